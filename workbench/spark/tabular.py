"""CSV (and other tabular) sources read by Spark: the files' bytes, the local parse in tasks.

Spark reads the bytes of each file (``spark.read.format("binaryFile")``), so
any path Spark can read works (a local glob, ``s3a://``, ``gs://``,
``hdfs://``, ``file://``); each file's bytes go to a task, where the local
reader's per-file function (:func:`workbench.ingest.readers._tabular.read_export`,
or the generic reader's Parquet/CSV file reading) parses them: the same rows,
row numbers, quarantine reasons and errors by construction. The reader's rules
across files (repeated rows, columns missing in some files) and its mapping to
canonical rows then run on the driver, unchanged
(:func:`workbench.ingest.readers._files.each_file` is the seam).

One file is one task: a single huge CSV file is not split (a CSV record may
span lines, so a file cannot be cut at arbitrary bytes), and a file must fit
in a task's memory (and below Spark's 2 GB ``binaryFile`` limit).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._files import FileMapper, FileReader, files_read_by
from workbench.ingest.readers.base import READERS, ReadResult
from workbench.spark._lines import file_key, spark_files

__all__ = ["read_tabular_spark", "spark_file_mapper"]

_SCHEMA = "path string, blob binary"


def spark_file_mapper(spark: Any) -> FileMapper:
    """A :data:`~workbench.ingest.readers._files.FileMapper` reading files with Spark.

    A :class:`~workbench.errors.WorkbenchError` raised in a task (a missing
    column, no header row) is raised again on the driver, for the first
    failing file in file order, as the local reader raises it.
    """

    def mapper(source: SourceConfig, read_one: FileReader) -> list[tuple[Any, Quarantine]]:
        listed = spark_files(spark, source)
        names = {file_key(path): name for path, name in listed}

        def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            from workbench.errors import WorkbenchError

            for batch in batches:
                for path, content in zip(batch["path"], batch["content"], strict=True):
                    rows = Quarantine()
                    try:
                        out: tuple = (True, read_one(bytes(content), names[file_key(path)], rows))
                    except WorkbenchError as exc:
                        out = (False, exc)
                    blob = pickle.dumps((*out, rows))
                    yield pd.DataFrame({"path": [path], "blob": [blob]})

        files = spark.read.format("binaryFile").load([path for path, _ in listed])
        files = files.select("path", "content").repartition(max(1, len(listed)), "path")
        got = {
            file_key(r["path"]): pickle.loads(bytes(r["blob"]))
            for r in files.mapInPandas(run, _SCHEMA).collect()
        }
        results = [got[file_key(path)] for path, _ in listed]
        for ok, value, _ in results:
            if not ok:
                raise value
        return [(value, rows) for _, value, rows in results]

    return mapper


def read_tabular_spark(spark: Any, source: SourceConfig) -> ReadResult:
    """Read a tabular source (CSV, TSV, the generic reader's Parquet) with Spark (module docs)."""
    with files_read_by(spark_file_mapper(spark)):
        return READERS[source.format](source)
