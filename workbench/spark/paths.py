"""Journeys and the ChannelAttribution-style path table, built per group of people in Spark.

The journeys are the ones ``workbench attribute`` builds by default (the
workspace's: internal people left out, the ``[journeys]`` rules and settings);
:func:`journey_path_table` is the local code, run on the people of one bucket in
a Spark task, and Spark adds the buckets' tables up by path. A person's
journeys depend on that person's rows only, so the buckets give the same
table as one local run (checked by ``tests/spark/test_engine.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.config import Config
from workbench.intcodes import with_plain_strings
from workbench.schema import ACCOUNT_ID, PERSON_ID, TS

__all__ = ["PATH_COLUMNS", "journey_path_table", "spark_path_table"]

#: Columns of the path table (``workbench attribute --paths`` reads them).
PATH_COLUMNS: tuple[str, ...] = (
    "path",
    "total_conversions",
    "total_conversion_value",
    "total_null",
)


def _period_end(touchpoints: pd.DataFrame, conversions: pd.DataFrame) -> pd.Timestamp | None:
    """The end of the data plus 1 µs (the workspace's default reporting period end)."""
    stamps = pd.concat([touchpoints[TS].dropna(), conversions[TS].dropna()])
    return stamps.max() + pd.Timedelta("1us") if len(stamps) else None


def journey_path_table(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    config: Config,
    *,
    period_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The path table of the default journeys of these rows (local engine).

    Parameters
    ----------
    touchpoints, conversions
        Prepared (stitched) tables, or the rows of some people of them.
    config
        Supplies ``[journeys]`` (settings and rules).
    period_end
        End of the reporting period; ``None`` takes the end of these rows.

    Returns
    -------
    DataFrame
        :data:`PATH_COLUMNS`, one row per distinct path, sorted by path.
    """
    from workbench.attribution.aggregated import aggregate_paths
    from workbench.attribution.inputs import paths_from_journeys
    from workbench.journeys.build import build_journeys
    from workbench.journeys.rules import apply_journey_rules

    tp, conv = _not_internal(touchpoints), _not_internal(conversions)
    tp = apply_journey_rules(tp, conv, config.journey_rules)[0]
    jc = config.journeys
    end = period_end if period_end is not None else _period_end(touchpoints, conversions)
    js = build_journeys(
        tp,
        conv,
        lookback_days=jc.lookback_days,
        unit=jc.unit,
        touch_types=list(jc.touch_types) if jc.touch_types else None,
        collapse_repeats=jc.collapse_repeats,
        path_level=jc.path_level,
        conversion_types=list(jc.conversion_types) if jc.conversion_types else None,
        period=(None, end) if end is not None else None,
    )
    if not len(js.journeys):
        return _empty()
    table = aggregate_paths(paths_from_journeys(js.touches, js.journeys))
    return table[list(PATH_COLUMNS)]


def _not_internal(frame: pd.DataFrame) -> pd.DataFrame:
    if "is_internal" not in frame.columns:
        return frame
    return frame.loc[~frame["is_internal"].fillna(False).astype(bool).to_numpy()]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": pd.Series(dtype="string"),
            **{c: pd.Series(dtype="float64") for c in PATH_COLUMNS[1:]},
        }
    )


def _buckets(frame: pd.DataFrame, key: str, n: int) -> np.ndarray:
    """Bucket of each row by a stable hash of its unit id (missing ids: bucket 0)."""
    ids = frame[key].astype("string")
    hashed = pd.util.hash_pandas_object(ids.fillna(""), index=False).to_numpy()
    return (hashed % np.uint64(n)).astype(np.int64)


def spark_path_table(
    spark: Any,
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    config: Config,
    *,
    buckets: int | None = None,
) -> pd.DataFrame:
    """:func:`journey_path_table` of the whole tables, computed bucket by bucket in Spark.

    People (accounts, with ``unit = "account"``) are hashed into ``buckets``
    groups; each Spark task builds its group's journeys and path table with the
    local code and Spark sums the tables by path.
    """
    from pyspark.sql import functions as F

    from workbench.spark.tasks import map_objects, parts_for

    n = buckets or max(
        4 * spark.sparkContext.defaultParallelism, parts_for(spark, len(touchpoints))
    )
    key = ACCOUNT_ID if config.journeys.unit == "account" else PERSON_ID
    # a coded person_id would carry every person id into every task: send the strings
    touchpoints = with_plain_strings(touchpoints, PERSON_ID)
    conversions = with_plain_strings(conversions, PERSON_ID)
    end = _period_end(touchpoints, conversions)
    tb, cb = _buckets(touchpoints, key, n), _buckets(conversions, key, n)
    groups = [
        (touchpoints.loc[tb == b], conversions.loc[cb == b])
        for b in range(n)
        if (tb == b).any() or (cb == b).any()
    ]

    def one(group: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
        return journey_path_table(group[0], group[1], config, period_end=end)

    parts = [p for p in map_objects(spark, groups, one) if len(p)]
    if not parts:
        return _empty()
    merged = pd.concat(parts, ignore_index=True)
    merged["path"] = merged["path"].astype(str)
    schema = (
        "path string, total_conversions double, total_conversion_value double, total_null double"
    )
    summed = (
        spark.createDataFrame(merged[list(PATH_COLUMNS)], schema)
        .groupBy("path")
        .agg(*(F.sum(c).alias(c) for c in PATH_COLUMNS[1:]))
        .toPandas()
    )
    summed["path"] = summed["path"].astype("string")
    return summed.sort_values("path", kind="stable").reset_index(drop=True)
