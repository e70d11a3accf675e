"""The GA4 export (NDJSON, Parquet) read by Spark itself: any path Spark reads, files split.

:func:`read_ga4_spark` gives what :func:`workbench.ingest.readers.ga4.read_ga4`
gives, with the heavy part distributed:

1. **Spark** reads the files as text (``spark.read.text``: a local glob,
   ``s3a://``, ``gs://``, ``hdfs://`` when the cluster has the connector; a
   large file is split over tasks, ``.gz`` files are read whole). Each line
   carries ``input_file_name()`` and a 1-based line number exact per file: a
   first pass counts the lines of each (file, partition) piece, the offsets
   are summed on the driver and travel to the tasks with the parsing function.
2. **Spark tasks** (``mapInPandas``) parse the lines with the local JSON-lines
   parser and its schemas (:func:`workbench.ingest.readers._jsonl.parse_text_lines`,
   :func:`workbench.ingest.readers._ga4_events.modes`) and reduce them to the
   flat event columns (the local ``_columns``); a malformed line comes back
   with the same quarantine value (the parser's message and the line's start).
3. **The driver** gets the flat events (a few dozen columns; no nested JSON)
   and applies the local rules unchanged: repeated lines within a file and across
   files (``"duplicate event"``), ``"unparseable JSON"``, then
   :func:`workbench.ingest.readers.ga4.ga4_from_events` (timestamps, sessions,
   page views, conversions, identity links).

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
and Parquet files keeps the local reader (in a task).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.config import SourceConfig
from workbench.errors import ConfigError
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import relative_name, source_files
from workbench.ingest.readers._ga4_events import (
    EVENT_HASH,
    drop_repeated_events,
    event_columns,
    events_frame,
    modes,
)
from workbench.ingest.readers._identifier_params import identifiers_option
from workbench.ingest.readers._jsonl import mark_duplicates, parse_text_lines
from workbench.ingest.readers.base import ReadResult
from workbench.ingest.readers.ga4 import ga4_from_events
from workbench.schema import SOURCE_FILE, SOURCE_ROW

__all__ = ["read_ga4_spark", "spark_files"]

_BOM = "\ufeff"


def _key(uri: str) -> str:
    """A file's identity whatever its spelling (``file:`` URI, plain path, other URI)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return str(Path(unquote(parsed.path or uri)).resolve())
    return uri


def spark_files(spark: Any, source: SourceConfig) -> list[tuple[str, str]]:
    """``(path for Spark, file name for the tables)`` of each file of ``source``, sorted.

    A ``path`` with a scheme (``s3a://``, ``gs://``, ``hdfs://``) is listed by
    Hadoop's file system and named by its URI; otherwise the local listing and
    names (relative to the data dir) of the local engine.

    Raises
    ------
    ConfigError
        When the path matches no file (as the local engine).
    """
    if "://" not in source.path:
        return [
            (p.resolve().as_uri(), relative_name(p, source.base_dir)) for p in source_files(source)
        ]
    jvm = spark.sparkContext._jvm
    pattern = jvm.org.apache.hadoop.fs.Path(source.path)
    fs = pattern.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    found = fs.globStatus(pattern) or []
    files = sorted(str(s.getPath().toString()) for s in found if s.isFile())
    if not files:
        raise ConfigError(
            f"source {source.name!r} (format {source.format!r}): path {source.path!r} "
            "matches no file; check [[sources]] path"
        )
    return [(f, f) for f in files]


def _column_kinds(identifiers: tuple[str, ...]) -> list[tuple[str, bool]]:
    """(name, is a number) of each flat event column, in the local reader's order."""
    empty = event_columns(modes(bool(identifiers))[-1].schema.empty_table(), identifiers)
    return [(name, isinstance(col, np.ndarray)) for name, col in empty.items()]


def _spark_schema(kinds: list[tuple[str, bool]]) -> str:
    cols = [f"c{i} {'double' if number else 'string'}" for i, (_, number) in enumerate(kinds)]
    return ", ".join(["file string", "line long", "hash long", "bad string", *cols])


def _flat(
    file: str, lines: np.ndarray, hashes: np.ndarray, columns: dict, bad: list[str], kinds: list
) -> pd.DataFrame:
    """Rows for the driver: the parsed rows' flat columns, then the bad lines' values."""
    out: dict[str, Any] = {"file": file, "line": lines, "hash": hashes}
    out["bad"] = [None] * (len(lines) - len(bad)) + list(bad)
    for i, (name, number) in enumerate(kinds):
        col = columns[name]
        if number:
            out[f"c{i}"] = np.concatenate([col, np.full(len(bad), np.nan)])
        else:
            text = col.to_pandas() if hasattr(col, "to_pandas") else pd.Series(col)
            out[f"c{i}"] = pd.concat([text.astype(object), pd.Series([None] * len(bad))]).to_numpy()
    return pd.DataFrame(out)


def _parse_piece(
    file: str, lines: np.ndarray, values: list[str], identifiers: tuple[str, ...], kinds: list
) -> pd.DataFrame:
    """The non-blank lines of one piece of one file: flat columns, or the quarantine value."""
    table, idx, _, bad = parse_text_lines(values, modes(bool(identifiers)))
    at = np.concatenate([idx.astype(np.int64), np.array([i for i, _ in bad], dtype=np.int64)])
    hashes = pd.util.hash_array(np.asarray(values, dtype=object)).view(np.int64)
    columns = event_columns(table, identifiers)
    return _flat(file, lines[at], hashes[at], columns, [v for _, v in bad], kinds)


def _pieces(frame: pd.DataFrame) -> Iterator[tuple[str, int, np.ndarray]]:
    """(file, partition, row positions) of each piece of a batch (one file within a partition)."""
    for (file, pid), rows in frame.groupby(["file", "pid"], sort=False).indices.items():
        yield file, int(pid), rows


def _parse_task(offsets: dict[tuple[str, int], tuple[int, int]], identifiers: tuple[str, ...]):
    kinds = _column_kinds(identifiers)

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for file, pid, rows in _pieces(batch):
                first, offset = offsets[(file, pid)]
                lines = batch["id"].to_numpy(dtype=np.int64)[rows] - first + 1 + offset
                values = batch["value"].iloc[rows].tolist()
                if len(lines) and lines[0] == 1 and values[0].startswith(_BOM):
                    values[0] = values[0][len(_BOM) :]
                yield _parse_piece(file, lines, values, identifiers, kinds)

    return run


def _parquet_task(offsets: dict[tuple[str, int], tuple[int, int]], identifiers: tuple[str, ...]):
    kinds = _column_kinds(identifiers)
    schema = _arrow_schema(kinds)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            keys = table.select(["file", "pid"]).to_pandas()
            ids = table.column("id").to_numpy()
            nested = table.drop_columns(["file", "pid", "id"])
            for file, pid, rows in _pieces(keys):
                first, offset = offsets[(file, pid)]
                columns = event_columns(nested.take(pa.array(rows)), identifiers)
                lines = ids[rows] - first + 1 + offset
                flat = _flat(file, lines, np.zeros(len(rows), dtype=np.int64), columns, [], kinds)
                yield pa.RecordBatch.from_pandas(flat, schema=schema, preserve_index=False)

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


def _numbered(raw: Any) -> tuple[Any, dict[tuple[str, int], tuple[int, int]]]:
    """``raw`` with file, partition and row id; and (first id, lines before) of each piece.

    A piece is one file's rows within one partition; its rows are consecutive in
    the file, and the pieces of a file, in id order, follow the file's order.
    """
    from pyspark.sql import functions as F

    raw = raw.select(
        F.input_file_name().alias("file"),
        F.spark_partition_id().alias("pid"),
        F.monotonically_increasing_id().alias("id"),
        *raw.columns,
    )
    pieces = (
        raw.groupBy("file", "pid")
        .agg(F.min("id").alias("first"), F.count(F.lit(1)).alias("n"))
        .toPandas()
        .sort_values(["file", "first"], kind="stable")
    )
    before = pieces.groupby("file")["n"].cumsum() - pieces["n"]
    offsets = {
        (f, int(p)): (int(first), int(off))
        for f, p, first, off in zip(
            pieces["file"], pieces["pid"], pieces["first"], before, strict=True
        )
    }
    return raw, offsets


def _read_lines(spark: Any, paths: list[str], identifiers: tuple[str, ...]) -> pd.DataFrame:
    """Every non-blank line of ``paths``: file URI, line number, hash, and flat columns or error."""
    raw, offsets = _numbered(spark.read.text(paths))
    kinds = _column_kinds(identifiers)
    parsed = raw.mapInPandas(_parse_task(offsets, identifiers), _spark_schema(kinds)).toPandas()
    return parsed.rename(columns={f"c{i}": name for i, (name, _) in enumerate(kinds)})


def _read_rows(spark: Any, paths: list[str], identifiers: tuple[str, ...]) -> pd.DataFrame:
    """Every row of the Parquet ``paths`` (explicit schema: the local reader's fields)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    schema = from_arrow_schema(modes(bool(identifiers))[0].schema)
    raw, offsets = _numbered(spark.read.schema(schema).parquet(*paths))
    kinds = _column_kinds(identifiers)
    parsed = raw.mapInArrow(_parquet_task(offsets, identifiers), _spark_schema(kinds)).toPandas()
    return parsed.rename(columns={f"c{i}": name for i, (name, _) in enumerate(kinds)})


def _per_file(
    lines: pd.DataFrame, name: str, quarantine: Quarantine, source: str
) -> tuple[pd.DataFrame, dict[str, object]]:
    """One file's parsed lines without its repeats; its quarantine rows and counts."""
    hashes = lines["hash"].to_numpy(dtype=np.int64).view(np.uint64)
    rows = lines["line"].to_numpy(dtype=np.int64)
    names = np.full(len(lines), name, dtype=object)
    dup = mark_duplicates(hashes, rows, names, quarantine, source=source)
    bad = lines["bad"].notna().to_numpy() & ~dup
    if bad.any():
        frame = pd.DataFrame({SOURCE_ROW: rows[bad], "value": lines["bad"].to_numpy()[bad]})
        quarantine.add(
            frame,
            np.ones(len(frame), dtype=bool),
            reason="unparseable JSON",
            source=source,
            file=name,
            values=frame["value"],
        )
    info: dict[str, object] = {
        "file": name,
        "rows": len(lines),
        "duplicates": int(dup.sum()),
        "malformed": int(bad.sum()),
    }
    return lines.loc[~dup & ~lines["bad"].notna().to_numpy()], info


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


def read_ga4_spark(spark: Any, source: SourceConfig) -> ReadResult | None:
    """Read a GA4 source with Spark (see the module docs).

    Returns None when the source mixes NDJSON and Parquet files: the caller
    reads such a source with the local reader in a task.
    """
    listed = spark_files(spark, source)
    kinds = {path.lower().endswith(".parquet") for path, _ in listed}
    if len(kinds) > 1:
        return None
    parquet = kinds == {True}
    identifiers = tuple(identifiers_option(source))
    read = _read_rows if parquet else _read_lines
    parsed = read(spark, [path for path, _ in listed], identifiers)
    order = {_key(path): (i, name) for i, (path, name) in enumerate(listed)}
    spelled = {uri: order[_key(uri)] for uri in parsed["file"].unique()}
    parsed["order"] = parsed["file"].map({uri: i for uri, (i, _) in spelled.items()})
    parsed[SOURCE_FILE] = parsed["file"].map({uri: name for uri, (_, name) in spelled.items()})
    parsed = parsed.sort_values(["order", "line"], kind="stable").reset_index(drop=True)
    quarantine = Quarantine()
    by_file = dict(tuple(parsed.groupby("order", sort=True)))
    kept, infos = [], []
    for i, (_, name) in enumerate(listed):
        lines = by_file.get(i, parsed.iloc[:0])
        if parquet:
            rows, info = lines, {"file": name, "rows": len(lines), "malformed": 0}
        else:
            rows, info = _per_file(lines, name, quarantine, source.name)
        kept.append(rows)
        infos.append(info)
    events = _events(pd.concat(kept, ignore_index=True), identifiers, parquet)
    events = drop_repeated_events(events, infos, quarantine, source.name)
    return ga4_from_events(source, events, infos, quarantine)
