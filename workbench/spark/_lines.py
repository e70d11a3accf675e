"""JSON-lines exports read by Spark: exact file and line numbers, the local parser in tasks.

Shared by the GA4 (:mod:`workbench.spark.ga4`) and Segment
(:mod:`workbench.spark.segment`) readers:

1. :func:`spark_files` lists a source's files (the local listing, or Hadoop's
   ``globStatus`` for a path with a scheme: ``s3a://``, ``gs://``, ``hdfs://``,
   ``file://``).
2. :func:`read_lines`: Spark reads them as text (``spark.read.text``; a large
   file is split over tasks, ``.gz`` files are read whole). Each line carries
   ``input_file_name()`` and a 1-based line number exact per file: a first
   pass counts the lines of each (file, partition) piece (:func:`numbered`),
   the offsets are summed on the driver and travel to the tasks. The tasks
   (``mapInPandas``) parse the lines with the local JSON-lines parser
   (:func:`workbench.ingest.readers._jsonl.parse_text_lines`) and the reader's
   modes, and reduce them to the reader's flat columns; a malformed line comes
   back with the local quarantine value (the parser's message and the line's start).
3. :func:`checked_files` (driver): lines in file order, each file's repeated
   lines (``"duplicate event"``, found per group of line hashes in Spark when
   given the Spark finder) and unparseable lines (``"unparseable JSON"``)
   quarantined as the local reader does, and the per-file counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from workbench.config import SourceConfig
from workbench.errors import ConfigError
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import relative_name, source_files
from workbench.ingest.readers._jsonl import (
    Mode,
    find_duplicates,
    parse_text_lines,
    quarantine_duplicates,
)
from workbench.schema import SOURCE_FILE

__all__ = [
    "Kinds",
    "checked_files",
    "file_key",
    "flat",
    "in_file_order",
    "numbered",
    "pieces",
    "read_lines",
    "spark_files",
    "spark_schema",
]

_BOM = "\ufeff"

#: ``(column name, is a number)`` of each flat column a reader keeps, in order.
Kinds = list[tuple[str, bool]]


def file_key(uri: str) -> str:
    """A file's identity whatever its spelling (``file:`` URI, plain path, other URI)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return str(Path(unquote(parsed.path or uri)).resolve())
    return uri


def spark_files(spark: Any, source: SourceConfig) -> list[tuple[str, str]]:
    """``(path for Spark, file name for the tables)`` of each file of ``source``, sorted.

    A ``path`` with a scheme (``s3a://``, ``gs://``, ``hdfs://``, ``file://``) is
    listed by Hadoop's file system and named by its URI; otherwise the local
    listing and names (relative to the data dir) of the local engine.

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


def spark_schema(kinds: Kinds) -> str:
    """The Spark schema of the rows :func:`flat` builds."""
    cols = [f"c{i} {'double' if number else 'string'}" for i, (_, number) in enumerate(kinds)]
    return ", ".join(["file string", "line long", "hash long", "bad string", *cols])


def _text(col: Any) -> pd.Series:
    """A text column (arrow array or pandas Series) as objects, missing values as None."""
    text = col.to_pandas() if hasattr(col, "to_pandas") else pd.Series(col)
    text = text.reset_index(drop=True).astype(object)
    return text.where(text.notna(), None)


def flat(
    file: str, lines: np.ndarray, hashes: np.ndarray, columns: dict, bad: list[str], kinds: Kinds
) -> pd.DataFrame:
    """Rows for the driver: the parsed rows' flat columns, then the bad lines' values."""
    out: dict[str, Any] = {"file": file, "line": lines, "hash": hashes}
    out["bad"] = [None] * (len(lines) - len(bad)) + list(bad)
    for i, (name, number) in enumerate(kinds):
        col = columns[name]
        if number:
            out[f"c{i}"] = np.concatenate([col, np.full(len(bad), np.nan)])
        else:
            out[f"c{i}"] = pd.concat([_text(col), pd.Series([None] * len(bad))]).to_numpy()
    return pd.DataFrame(out)


def pieces(frame: pd.DataFrame) -> Iterator[tuple[str, int, np.ndarray]]:
    """(file, partition, row positions) of each piece of a batch (one file within a partition)."""
    for (file, pid), rows in frame.groupby(["file", "pid"], sort=False).indices.items():
        yield file, int(pid), rows


def _parse_task(
    offsets: dict[tuple[str, int], tuple[int, int]],
    modes: Sequence[Mode],
    columns: Callable[[Any], dict],
    kinds: Kinds,
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def parse(file: str, lines: np.ndarray, values: list[str]) -> pd.DataFrame:
        table, idx, _, bad = parse_text_lines(values, modes)
        at = np.concatenate([idx.astype(np.int64), np.array([i for i, _ in bad], dtype=np.int64)])
        hashes = pd.util.hash_array(np.asarray(values, dtype=object)).view(np.int64)
        return flat(file, lines[at], hashes[at], columns(table), [v for _, v in bad], kinds)

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for file, pid, rows in pieces(batch):
                first, offset = offsets[(file, pid)]
                lines = batch["id"].to_numpy(dtype=np.int64)[rows] - first + 1 + offset
                values = batch["value"].iloc[rows].tolist()
                if len(lines) and lines[0] == 1 and values[0].startswith(_BOM):
                    values[0] = values[0][len(_BOM) :]
                yield parse(file, lines, values)

    return run


def numbered(raw: Any) -> tuple[Any, dict[tuple[str, int], tuple[int, int]]]:
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
    found = (
        raw.groupBy("file", "pid")
        .agg(F.min("id").alias("first"), F.count(F.lit(1)).alias("n"))
        .toPandas()
        .sort_values(["file", "first"], kind="stable")
    )
    before = found.groupby("file")["n"].cumsum() - found["n"]
    offsets = {
        (f, int(p)): (int(first), int(off))
        for f, p, first, off in zip(
            found["file"], found["pid"], found["first"], before, strict=True
        )
    }
    return raw, offsets


def read_lines(
    spark: Any,
    paths: list[str],
    modes: Sequence[Mode],
    columns: Callable[[Any], dict],
    kinds: Kinds,
) -> pd.DataFrame:
    """Every non-blank line of ``paths``: file URI, line, hash, and flat columns or error.

    ``columns(table)`` reduces the parsed arrow table to the reader's flat
    columns (``kinds`` names them); it runs in the tasks.
    """
    raw, offsets = numbered(spark.read.text(paths))
    task = _parse_task(offsets, modes, columns, kinds)
    parsed = raw.mapInPandas(task, spark_schema(kinds)).toPandas()
    return parsed.rename(columns={f"c{i}": name for i, (name, _) in enumerate(kinds)})


def in_file_order(parsed: pd.DataFrame, listed: list[tuple[str, str]]) -> pd.DataFrame:
    """``parsed`` sorted by file (as listed) and line, with each file's name and ``order``."""
    order = {file_key(path): (i, name) for i, (path, name) in enumerate(listed)}
    spelled = {uri: order[file_key(uri)] for uri in parsed["file"].unique()}
    parsed["order"] = parsed["file"].map({uri: i for uri, (i, _) in spelled.items()})
    parsed[SOURCE_FILE] = parsed["file"].map({uri: name for uri, (_, name) in spelled.items()})
    return parsed.sort_values(["order", "line"], kind="stable").reset_index(drop=True)


def _per_file(
    lines: pd.DataFrame,
    name: str,
    quarantine: Quarantine,
    source: str,
    dup: np.ndarray,
    values: list[str],
) -> tuple[pd.DataFrame, dict[str, object]]:
    """One file's parsed lines without its repeats (``dup``); its quarantine rows and counts."""
    rows = lines["line"].to_numpy(dtype=np.int64)
    names = np.full(len(lines), name, dtype=object)
    quarantine_duplicates(quarantine, names[dup], rows[dup], values, source=source)
    bad = lines["bad"].notna().to_numpy() & ~dup
    quarantine.add_rows(
        reason="unparseable JSON",
        source=source,
        file=name,
        rows=rows[bad],
        values=lines["bad"].to_numpy(dtype=object)[bad],
    )
    info: dict[str, object] = {
        "file": name,
        "rows": len(lines),
        "duplicates": int(dup.sum()),
        "malformed": int(bad.sum()),
    }
    return lines.loc[~dup & ~lines["bad"].notna().to_numpy()], info


def checked_files(
    parsed: pd.DataFrame,
    listed: list[tuple[str, str]],
    quarantine: Quarantine,
    source: str,
) -> tuple[list[pd.DataFrame], list[dict[str, object]]]:
    """Each listed file's kept lines (:func:`in_file_order` rows) and counts, as read locally.

    Repeated lines within a file are quarantined as ``"duplicate event"``
    (found by the local rule over every file at once, keyed by file and line
    hash), malformed ones as ``"unparseable JSON"`` (with file and line), file by file.
    """
    keys = pd.DataFrame({"order": parsed["order"].to_numpy(), "hash": parsed["hash"].to_numpy()})
    hashed = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    rows = parsed["line"].to_numpy(dtype=np.int64)
    dup, values = find_duplicates(hashed, rows, parsed[SOURCE_FILE].to_numpy(dtype=object))
    value = np.full(len(parsed), None, dtype=object)
    value[dup] = values
    kept, infos = [], []
    for i, (_, name) in enumerate(listed):
        at = np.flatnonzero(parsed["order"].to_numpy() == i)
        lines = parsed.iloc[at]
        mine = dup[at]
        rows_out, info = _per_file(lines, name, quarantine, source, mine, list(value[at][mine]))
        kept.append(rows_out)
        infos.append(info)
    return kept, infos
