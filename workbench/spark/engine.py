"""``workbench prepare --engine spark``: the local pipeline's stages run by Spark.

:func:`prepare_spark` hands :func:`workbench.prepare.prepare` the Spark versions
of its stages (:class:`workbench.prepare.Steps`):

* **read**: every source read by Spark itself (:mod:`workbench.spark.readers` routes by
  format): GA4 NDJSON / Parquet (:mod:`workbench.spark.ga4`) and Segment
  (:mod:`workbench.spark.segment`) split over tasks and parsed there by the local
  parser, their repeat and session rules grouped by key in Spark; CSV and the
  other tabular exports (:mod:`workbench.spark.tabular`) read as bytes and parsed
  by the local reader in a task, one file per task. Quarantine reasons, files
  and rows are the local ones;
* **channels**: :func:`workbench.ingest.channels.assign_channels` over slices of the
  touchpoints, in Spark tasks (``mapInPandas``);
* **components**: the identity graph's connected components by large-star /
  small-star rounds in Spark (:mod:`workbench.spark.components`);

then builds the path table in Spark (:mod:`workbench.spark.paths`). The result
is written like the local engine's, plus ``paths.parquet``.
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

__all__ = ["PATHS_FILE", "SparkRun", "prepare_spark", "spark_steps", "write_spark_prepared"]

#: The path table's file in the processed dir (read with ``workbench attribute --paths``).
PATHS_FILE = "paths.parquet"


@dataclass
class SparkRun:
    """What :func:`prepare_spark` returns.

    Attributes
    ----------
    prepared
        The same tables as :func:`workbench.prepare.prepare`.
    paths
        The path table (``path, total_conversions, total_conversion_value, total_null``).
    rounds
        Large-star / small-star rounds the stitching took.
    seconds
        Wall time per stage (``prepare``, ``paths``).
    """

    prepared: Prepared
    paths: pd.DataFrame
    rounds: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _read_all(spark: Any) -> Callable[[list[SourceConfig]], list]:
    from workbench.spark.readers import read_sources

    def read(sources: list[SourceConfig]) -> list:
        return read_sources(spark, list(sources))

    return read


def _channels(spark: Any) -> Callable[[pd.DataFrame, tuple], pd.DataFrame]:
    from workbench.spark.tasks import map_frames

    def channels(touchpoints: pd.DataFrame, rules: tuple) -> pd.DataFrame:
        from workbench.ingest.channels import assign_channels

        if not len(touchpoints):
            return assign_channels(touchpoints, rules)
        return map_frames(spark, touchpoints, lambda part: assign_channels(part, rules))

    return channels


def spark_steps(spark: Any) -> tuple[Steps, Any]:
    """The Spark stages for :func:`workbench.prepare.prepare`, and the components function."""
    from workbench.spark.components import SparkComponents

    components = SparkComponents(spark)
    steps = Steps(read=_read_all(spark), channels=_channels(spark), components=components)
    return steps, components


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

    Raises
    ------
    WorkbenchError
        When pyspark or Java is missing (one line naming what to install).
    """
    from workbench.spark.paths import spark_path_table
    from workbench.spark.session import spark_session

    say = progress or (lambda message: None)
    if spark is None:
        spark = spark_session(master or config.engine.master, config.engine.conf)
    steps, components = spark_steps(spark)
    started = time.perf_counter()
    prepared = prepare(config, progress=say, previous=previous, strict=strict, steps=steps)
    seconds = {"prepare": time.perf_counter() - started}
    say(f"stitching took {components.rounds} large-star/small-star rounds")
    say("building journeys and the path table")
    started = time.perf_counter()
    paths = spark_path_table(spark, prepared.touchpoints, prepared.conversions, config)
    seconds["paths"] = time.perf_counter() - started
    return SparkRun(prepared=prepared, paths=paths, rounds=components.rounds, seconds=seconds)


def write_spark_prepared(
    run: SparkRun,
    out_dir: Path,
    *,
    config_path: Path | None = None,
    extra: dict[str, object] | None = None,
) -> list[Path]:
    """Write the prepared tables (as the local engine does) plus :data:`PATHS_FILE`."""
    return write_prepared(
        run.prepared,
        out_dir,
        config_path=config_path,
        extra={**(extra or {}), "engine": "spark", "stitch_rounds": run.rounds},
        tables={PATHS_FILE: run.paths},
    )
