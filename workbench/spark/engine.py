"""``workbench prepare --engine spark``: the local pipeline's stages run by Spark.

:func:`prepare_spark` hands :func:`workbench.prepare.prepare` the Spark versions
of its stages (:class:`workbench.prepare.Steps`):

* **read**: every source read by Spark itself (:mod:`workbench.spark.readers` routes by
  format): GA4 NDJSON / Parquet (:mod:`workbench.spark.ga4`) and Segment
  (:mod:`workbench.spark.segment`) split over tasks and parsed there by the local
  parser (their repeat and session rules run on the driver); CSV and the
  other tabular exports (:mod:`workbench.spark.tabular`) read as bytes and parsed
  by the local reader in a task, one file per task. Quarantine reasons, files
  and rows are the local ones;
* **components**: the identity graph's connected components by large-star /
  small-star rounds in Spark (:mod:`workbench.spark.components`).

Channels are grouped on the driver, where the readers' rules leave the rows. The
result is written like the local engine's; Spark then reads the written
touchpoints and conversions back and builds the path table from them
(:mod:`workbench.spark.paths`), written as ``paths.parquet`` into the same set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.config import Config, SourceConfig
from workbench.prepare import Prepared, Steps, prepare, write_prepared

__all__ = [
    "PATHS_FILE",
    "SparkRun",
    "path_table_of",
    "prepare_spark",
    "spark_steps",
    "write_spark_prepared",
]

#: The path table's file in the processed dir (read with ``workbench attribute --paths``).
PATHS_FILE = "paths.parquet"


@dataclass
class SparkRun:
    """What :func:`prepare_spark` returns.

    Attributes
    ----------
    prepared
        The same tables as :func:`workbench.prepare.prepare`.
    config
        The configuration the run used (its ``[journeys]`` make the path table).
    spark
        The session that ran it (it builds the path table when the set is written).
    rounds
        Large-star / small-star rounds the stitching took.
    seconds
        Wall time per stage (``prepare``; ``paths`` once written).
    paths
        The path table (``path, total_conversions, total_conversion_value,
        total_null``), set by :func:`write_spark_prepared`.
    """

    prepared: Prepared
    config: Config
    spark: Any
    rounds: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    paths: pd.DataFrame | None = None


def _read_all(spark: Any) -> Callable[[list[SourceConfig]], list]:
    from workbench.spark.readers import read_sources

    def read(sources: list[SourceConfig]) -> list:
        return read_sources(spark, list(sources))

    return read


def spark_steps(spark: Any) -> tuple[Steps, Any]:
    """The Spark stages for :func:`workbench.prepare.prepare`, and the components function.

    Channel grouping is not among them: the rows are on the driver when it runs
    (the readers' rules run there), so :func:`~workbench.ingest.channels.assign_channels`
    runs there too, as locally; shipping the touchpoints to Spark tasks and back
    copied them three times and took 50 times longer (docs/scale-out.md).
    """
    from workbench.spark.components import SparkComponents

    components = SparkComponents(spark)
    return Steps(read=_read_all(spark), components=components), components


def prepare_spark(
    config: Config,
    *,
    master: str | None = None,
    progress: Callable[[str], None] | None = None,
    previous: pd.DataFrame | None = None,
    strict: bool = False,
    spark: Any = None,
) -> SparkRun:
    """Run ``prepare`` on Spark (``master`` over ``[engine] master``; ``[engine.conf]`` passed on).

    The path table is built when the set is written (:func:`write_spark_prepared`):
    Spark reads it from the written tables.

    Raises
    ------
    WorkbenchError
        When pyspark or Java is missing (one line naming what to install).
    """
    from workbench.spark.session import spark_session

    say = progress or (lambda message: None)
    if spark is None:
        spark = spark_session(master or config.engine.master, config.engine.conf)
    steps, components = spark_steps(spark)
    started = time.perf_counter()
    prepared = prepare(config, progress=say, previous=previous, strict=strict, steps=steps)
    seconds = {"prepare": time.perf_counter() - started}
    say(f"stitching took {components.rounds} large-star/small-star rounds")
    return SparkRun(prepared, config, spark, rounds=components.rounds, seconds=seconds)


def path_table_of(run: SparkRun, folder: Path) -> pd.DataFrame:
    """The path table of the prepared tables written in ``folder``, built by Spark from them."""
    from workbench.spark.paths import default_period_end, spark_path_table

    tp, cv = run.prepared.touchpoints, run.prepared.conversions
    return spark_path_table(
        run.spark,
        str(folder / "touchpoints.parquet"),
        str(folder / "conversions.parquet"),
        run.config,
        period_end=default_period_end(tp, cv),
        rows=len(tp),
    )


def write_spark_prepared(
    run: SparkRun,
    out_dir: Path,
    *,
    config_path: Path | None = None,
    extra: dict[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the prepared tables (as the local engine does) plus :data:`PATHS_FILE`.

    The tables are written first, into the new set's folder; Spark then reads
    the touchpoints and conversions from there and builds the path table
    (:func:`workbench.spark.paths.spark_path_table`), so the tables never go
    from the driver to the JVM; the set with the path table is switched in
    atomically (``out_dir`` must be a path the executors can read, as the sources are).
    """
    say = progress or (lambda message: None)

    def paths(folder: Path) -> dict[str, pd.DataFrame]:
        say("building journeys and the path table")
        started = time.perf_counter()
        run.paths = path_table_of(run, folder)
        run.seconds["paths"] = time.perf_counter() - started
        return {PATHS_FILE: run.paths}

    return write_prepared(
        run.prepared,
        out_dir,
        config_path=config_path,
        extra={**(extra or {}), "engine": "spark", "stitch_rounds": run.rounds},
        tables=paths,
    )
