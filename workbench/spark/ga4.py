"""The GA4 export (NDJSON, Parquet) read by Spark itself: any path Spark reads, files split.

:func:`read_ga4_spark` gives what :func:`workbench.ingest.readers.ga4.read_ga4`
gives, with the heavy part distributed:

1. **Spark** reads the files as text (``spark.read.text``: a local glob,
   ``s3a://``, ``gs://``, ``hdfs://`` when the cluster has the connector; a
   large file is split over tasks, ``.gz`` files are read whole). Each line
   carries ``input_file_name()`` and a 1-based line number exact per file
   (:mod:`workbench.spark._lines`, shared with the Segment reader).
2. **Spark tasks** (``mapInPandas``) parse the lines with the local JSON-lines
   parser and its schemas (:func:`workbench.ingest.readers._jsonl.parse_text_lines`,
   :func:`workbench.ingest.readers._ga4_events.modes`) and reduce them to the
   flat event columns (the local ``event_columns``); a malformed line comes back
   with the same quarantine value (the parser's message and the line's start).
3. **The driver** holds the flat events (a few dozen columns; no nested JSON)
   and applies the local rules unchanged: ``"unparseable JSON"``, the repeat
   rule (``"duplicate event"``, within a file and across files), then
   :func:`workbench.ingest.readers.ga4.ga4_from_events` (timestamps, sessions,
   session touches, page views, conversions, identity links). Running the
   repeat and session rules as Spark groups over events already on the driver
   was tried and only added round trips (GA4 reading 4x slower at 1M lines).

Why not Spark's own JSON parser (``PERMISSIVE`` with a corrupt-record column)?
It accepts what the local reader quarantines (``NaN``, leading zeros, a string
where a number belongs becomes ``null`` in a kept row) and its messages are
not the local ones; parsing with the local parser inside the tasks gives the
same rows, the same reasons and the same values.

Can differ from the local engine (documented in ``docs/scale-out.md``): a line
with invalid UTF-8 reaches the task through Spark's text decoding (the sample's
such line gives the same row; other byte sequences are untested), a damaged ``.gz``
(the Spark job fails instead of quarantining the truncated tail), a carriage return
alone as a line end (Spark ends the line there; the local reader only at a
newline), and a file whose type-drift parse mode is chosen per task piece
rather than per file (same values; only the message of a line that is both
malformed and drifted can differ).

Parquet files (``*.parquet``, the same nested schema) are read with
``spark.read.schema(explicit).parquet`` (the local reader's fields), numbered per
file the same way and reduced by the local ``_columns`` in ``mapInArrow`` tasks;
a repeated row is a ``"duplicate event"`` as locally. A source mixing NDJSON
and Parquet files keeps the local reader (in a task), and so does Parquet whose
columns Spark's explicit-schema read rejects (null-typed or ``timestamp``
columns another converter wrote; :func:`_misfits`, on the files' footers).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._ga4_events import (
    EVENT_HASH,
    drop_repeated_events,
    event_columns,
    events_frame,
    modes,
)
from workbench.ingest.readers._identifier_params import identifiers_option
from workbench.ingest.readers.base import ReadResult
from workbench.ingest.readers.ga4 import ga4_from_events
from workbench.schema import SOURCE_FILE, SOURCE_ROW
from workbench.spark._lines import (
    Kinds,
    checked_files,
    flat,
    in_file_order,
    numbered,
    pieces,
    read_lines,
    spark_files,
    spark_schema,
)

__all__ = ["read_ga4_spark"]


def _column_kinds(identifiers: tuple[str, ...]) -> Kinds:
    """(name, is a number) of each flat event column, in the local reader's order."""
    empty = event_columns(modes(bool(identifiers))[-1].schema.empty_table(), identifiers)
    return [(name, isinstance(col, np.ndarray)) for name, col in empty.items()]


def _parquet_task(offsets: dict[tuple[str, int], tuple[int, int]], identifiers: tuple[str, ...]):
    kinds = _column_kinds(identifiers)
    schema = _arrow_schema(kinds)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            keys = table.select(["file", "pid"]).to_pandas()
            ids = table.column("id").to_numpy()
            nested = table.drop_columns(["file", "pid", "id"])
            for file, pid, rows in pieces(keys):
                first, offset = offsets[(file, pid)]
                columns = event_columns(nested.take(pa.array(rows)), identifiers)
                lines = ids[rows] - first + 1 + offset
                rows_out = flat(
                    file, lines, np.zeros(len(rows), dtype=np.int64), columns, [], kinds
                )
                yield pa.RecordBatch.from_pandas(rows_out, schema=schema, preserve_index=False)

    return run


def _arrow_schema(kinds: list[tuple[str, bool]]) -> pa.Schema:
    fields = [
        ("file", pa.string()),
        ("line", pa.int64()),
        ("hash", pa.int64()),
        ("bad", pa.string()),
    ]
    fields += [(f"c{i}", pa.float64() if n else pa.string()) for i, (_, n) in enumerate(kinds)]
    return pa.schema(fields)


def _read_lines(spark: Any, paths: list[str], identifiers: tuple[str, ...]) -> pd.DataFrame:
    """Every non-blank line of ``paths``: file URI, line number, hash, and flat columns or error."""
    columns = functools.partial(event_columns, identifiers=identifiers)
    return read_lines(spark, paths, modes(bool(identifiers)), columns, _column_kinds(identifiers))


def _read_rows(spark: Any, paths: list[str], identifiers: tuple[str, ...]) -> pd.DataFrame:
    """Every row of the Parquet ``paths`` (explicit schema: the local reader's fields)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    schema = from_arrow_schema(modes(bool(identifiers))[0].schema)
    raw, offsets = numbered(spark.read.schema(schema).parquet(*paths))
    kinds = _column_kinds(identifiers)
    parsed = raw.mapInArrow(_parquet_task(offsets, identifiers), spark_schema(kinds)).toPandas()
    return parsed.rename(columns={f"c{i}": name for i, (name, _) in enumerate(kinds)})


def _events(kept: pd.DataFrame, identifiers: tuple[str, ...], parquet: bool) -> pd.DataFrame:
    """The local event frame (``_frame``) of the kept lines / rows, with their hashes.

    A Parquet row's hash is the local one: of every field read (not file and row).
    """
    part: dict[str, Any] = {}
    for name, number in _column_kinds(identifiers):
        if number:
            part[name] = kept[name].to_numpy(dtype="float64")
        else:
            part[name] = pa.array(kept[name].astype(object), type=pa.string(), from_pandas=True)
    frame = events_frame(
        [part],
        kept[SOURCE_FILE].to_numpy(dtype=object),
        kept["line"].to_numpy(dtype=np.int64),
    )
    if parquet:
        rest = frame.drop(columns=[SOURCE_FILE, SOURCE_ROW])
        frame[EVENT_HASH] = pd.util.hash_pandas_object(rest, index=False).to_numpy()
    else:
        frame[EVENT_HASH] = kept["hash"].to_numpy(dtype=np.int64).view(np.uint64)
    return frame


def _fits(actual: Any, expected: Any) -> bool:
    """Whether Spark can read a Parquet column of type ``actual`` as ``expected``.

    Structs fit when every field they share fits (a field missing from the file
    is read as null); arrays when their elements fit; other types only when equal.
    """
    from pyspark.sql.types import ArrayType, StructType

    if isinstance(expected, StructType):
        if not isinstance(actual, StructType):
            return False
        have = {f.name: f.dataType for f in actual.fields}
        return all(_fits(have[f.name], f.dataType) for f in expected.fields if f.name in have)
    if isinstance(expected, ArrayType):
        return isinstance(actual, ArrayType) and _fits(actual.elementType, expected.elementType)
    return bool(actual == expected)


def _misfits(spark: Any, paths: list[str], identifiers: tuple[str, ...]) -> list[str]:
    """Columns of the Parquet ``paths`` that Spark cannot read as the BigQuery export's types.

    The schema is merged from the files' footers (no data read). A file written by
    another converter can hold a ``null`` column (a column that was always empty,
    e.g. ``user_id`` or a ``list<null>`` ``user_properties``), a ``timestamp``
    ``event_timestamp`` or drifted value types, which Spark's explicit-schema read
    rejects; the local reader reads them (see
    :mod:`workbench.ingest.readers._ga4_events`), so such a source is declined
    and read by it in a task. Files whose types cannot even be merged are
    declined the same way.
    """
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException
    from pyspark.sql.pandas.types import from_arrow_schema

    expected = from_arrow_schema(modes(bool(identifiers))[0].schema)
    try:
        actual = spark.read.option("mergeSchema", "true").parquet(*paths).schema
    except (PySparkException, Py4JJavaError) as err:  # conflicting types across files
        return [f"(schemas do not merge: {str(err).splitlines()[0]})"]
    have = {f.name: f.dataType for f in actual.fields}
    return [
        f.name for f in expected.fields if f.name in have and not _fits(have[f.name], f.dataType)
    ]


def read_ga4_spark(spark: Any, source: SourceConfig) -> ReadResult | None:
    """Read a GA4 source with Spark (see the module docs).

    Returns None when the source mixes NDJSON and Parquet files, or when its
    Parquet columns do not have the export's types (:func:`_misfits`): the
    caller reads such a source with the local reader in a task.
    """
    listed = spark_files(spark, source)
    kinds = {path.lower().endswith(".parquet") for path, _ in listed}
    if len(kinds) > 1:
        return None
    parquet = kinds == {True}
    identifiers = tuple(identifiers_option(source))
    if parquet and _misfits(spark, [path for path, _ in listed], identifiers):
        return None  # columns Spark cannot read as the export's types: the local reader
    read = _read_rows if parquet else _read_lines
    parsed = in_file_order(read(spark, [path for path, _ in listed], identifiers), listed)
    quarantine = Quarantine()
    if parquet:
        by_file = dict(tuple(parsed.groupby("order", sort=True)))
        kept = [by_file.get(i, parsed.iloc[:0]) for i in range(len(listed))]
        infos: list[dict[str, object]] = [
            {"file": name, "rows": len(rows), "malformed": 0}
            for rows, (_, name) in zip(kept, listed, strict=True)
        ]
    else:
        kept, infos = checked_files(parsed, listed, quarantine, source.name)
    events = _events(pd.concat(kept, ignore_index=True), identifiers, parquet)
    events = drop_repeated_events(events, infos, quarantine, source.name)
    return ga4_from_events(source, events, infos, quarantine)
