"""Which reader the Spark engine uses for each source format: one table, one place.

:data:`SPARK_READERS` maps a ``format`` to a reader that reads with Spark itself
(``reader(spark, source) -> ReadResult``, or None to decline, e.g. GA4 Parquet
files). Every other format, and a declined source, is read by its local reader
inside a Spark task (:func:`workbench.spark.tasks.map_objects`): the files must
then be readable from the task's local file system, and one source is one task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.config import SourceConfig
from workbench.ingest.readers.base import ReadResult
from workbench.spark.ga4 import read_ga4_spark
from workbench.spark.segment import read_segment_spark

__all__ = ["SPARK_READERS", "read_sources"]

#: ``format`` -> Spark-native reader (see the module docs); the default is the local reader in a task.
SPARK_READERS: dict[str, Callable[[Any, SourceConfig], ReadResult | None]] = {
    "ga4": read_ga4_spark,
    "segment": read_segment_spark,
}


def read_sources(spark: Any, sources: list[SourceConfig]) -> list[ReadResult]:
    """Every source read (in order): natively where :data:`SPARK_READERS` has a reader.

    Raises
    ------
    ConfigError, ValidationError
        As the local readers raise them (an unknown format, bad options, no files, ...).
    """
    from workbench.ingest.readers import read_source
    from workbench.ingest.readers.options import check_options
    from workbench.spark.tasks import map_objects

    results: list[ReadResult | None] = [None] * len(sources)
    for i, source in enumerate(sources):
        native = SPARK_READERS.get(source.format)
        if native is not None:
            check_options([source], context=f"source {source.name!r}")
            results[i] = native(spark, source)
    rest = [i for i, result in enumerate(results) if result is None]
    for i, result in zip(
        rest, map_objects(spark, [sources[i] for i in rest], read_source), strict=True
    ):
        results[i] = result
    return [r for r in results if r is not None]
