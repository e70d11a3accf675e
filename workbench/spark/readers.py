"""Which reader the Spark engine uses for each source format: one table, one place.

:data:`SPARK_READERS` maps a ``format`` to a reader that reads with Spark itself
(``reader(spark, source) -> ReadResult``, or None to decline, e.g. a GA4 source
mixing NDJSON and Parquet files): GA4 (:mod:`workbench.spark.ga4`), Segment
(:mod:`workbench.spark.segment`) and every tabular format, CSV and the other
exports built on ``read_exports`` (:mod:`workbench.spark.tabular`). The native
readers of several sources run side by side (their Spark jobs share the
cluster). A format without a native reader, and a declined source, is read by
its local reader inside a Spark task (:func:`workbench.spark.tasks.map_objects`):
the files must then be readable from the task's local file system, and one
source is one task.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from workbench.config import SourceConfig
from workbench.ingest.readers.base import TABULAR_FORMATS, ReadResult
from workbench.spark.ga4 import read_ga4_spark
from workbench.spark.segment import read_segment_spark
from workbench.spark.tabular import read_tabular_spark

__all__ = ["SPARK_READERS", "read_sources"]

_THREADS = 4

#: ``format`` -> Spark-native reader (see the module docs); the default is the local reader in a task.
SPARK_READERS: dict[str, Callable[[Any, SourceConfig], ReadResult | None]] = {
    "ga4": read_ga4_spark,
    "segment": read_segment_spark,
    **{fmt: read_tabular_spark for fmt in sorted(TABULAR_FORMATS)},
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

    def native(source: SourceConfig) -> ReadResult | None:
        check_options([source], context=f"source {source.name!r}")
        return SPARK_READERS[source.format](spark, source)

    mine = [i for i, source in enumerate(sources) if source.format in SPARK_READERS]
    # the native readers' Spark jobs run side by side (one thread per source)
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        futures = [pool.submit(native, sources[i]) for i in mine]
        wait(futures)
    results: list[ReadResult | None] = [None] * len(sources)
    for i, future in zip(mine, futures, strict=True):
        results[i] = future.result()  # the first failing source (in order) raises
    rest = [i for i, result in enumerate(results) if result is None]
    for i, result in zip(
        rest, map_objects(spark, [sources[i] for i in rest], read_source), strict=True
    ):
        results[i] = result
    return [r for r in results if r is not None]
