"""Journeys and the ChannelAttribution-style path table, built per group of people in Spark.

The journeys are the ones ``workbench attribute`` builds by default (the
workspace's: internal people left out, the ``[journeys]`` rules and settings);
:func:`journey_path_table` is the local code, run on the people of one bucket in
a Spark task, and Spark adds the buckets' tables up by path. A person's
journeys depend on that person's rows only, so the buckets give the same
table as one local run (checked by ``tests/spark/test_engine.py`` and
``tests/spark/test_paths.py``). Spark reads the rows from the tables ``prepare``
wrote (:mod:`workbench.partitioned`), so they never pass through the driver.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.config import Config
from workbench.schema import ACCOUNT_ID, PERSON_ID, TS

__all__ = [
    "BUCKET_ROWS",
    "PATH_COLUMNS",
    "default_period_end",
    "journey_path_table",
    "spark_path_table",
]

#: Columns of the path table (``workbench attribute --paths`` reads them).
PATH_COLUMNS: tuple[str, ...] = (
    "path",
    "total_conversions",
    "total_conversion_value",
    "total_null",
)


def default_period_end(touchpoints: pd.DataFrame, conversions: pd.DataFrame) -> pd.Timestamp | None:
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
    end = period_end if period_end is not None else default_period_end(touchpoints, conversions)
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


_BUCKET, _FILE, _ROW = "_wb_bucket", "_wb_file", "_wb_row"
_PART = r"/part-(\d+)\.parquet$"  # workbench.partitioned's part file names

#: About this many touchpoints per bucket (one Spark task's journeys).
BUCKET_ROWS = 100_000


def _restore(frame: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """The rows Spark handed a task, as :func:`workbench.prepare.load_prepared` reads them.

    Rows come back in their stored order (by part file, then row); the columns get
    their stored types (``schema``: the file's Arrow schema, pandas metadata
    included) and go through the same Parquet reading as the stored file.
    """
    frame = frame.sort_values([_FILE, _ROW], kind="stable")
    table = pa.Table.from_pandas(frame[schema.names], preserve_index=False)
    table = table.cast(pa.schema(list(schema))).replace_schema_metadata(schema.metadata)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return pd.read_parquet(io.BytesIO(sink.getvalue().to_pybytes()))


def _stored_schema(path: str) -> pa.Schema:
    """The Arrow schema of a stored table (a Parquet file, or a folder of part files)."""
    import pyarrow.dataset as ds

    return ds.dataset(path, format="parquet").schema


def _bucketed(spark: Any, path: str, key: str, n: int) -> Any:
    """The stored table at ``path`` read by Spark, with its bucket, file and row order."""
    from pyspark.sql import functions as F

    frame = spark.read.parquet(path)
    return frame.select(
        *frame.columns,
        F.pmod(F.xxhash64(F.col(key).cast("string")), F.lit(n)).alias(_BUCKET),
        # the part's number (0 for a single file): an integer, not the file's URI, to shuffle
        F.concat(F.lit("0"), F.regexp_extract(F.input_file_name(), _PART, 1))
        .cast("long")
        .alias(_FILE),
        F.monotonically_increasing_id().alias(_ROW),
    )


def spark_path_table(
    spark: Any,
    touchpoints: str,
    conversions: str,
    config: Config,
    *,
    period_end: pd.Timestamp | None,
    rows: int = 0,
    buckets: int | None = None,
) -> pd.DataFrame:
    """:func:`journey_path_table` of stored tables, computed bucket by bucket in Spark.

    Spark reads the prepared ``touchpoints`` and ``conversions`` (paths of the
    Parquet tables ``prepare`` wrote: a file or a folder of part files), hashes
    people (accounts, with ``unit = "account"``) into ``buckets`` groups
    (default: one per :data:`BUCKET_ROWS` of the ``rows`` touchpoints, at
    least 4 per core) and shuffles each group to one task, which builds its
    journeys and path table with the local code; Spark sums the tables by path.
    Nothing of the tables passes through the driver; only the path table returns.

    Parameters
    ----------
    spark
        The session.
    touchpoints, conversions
        Where the stored tables are (paths Spark and pyarrow can open).
    config
        Supplies ``[journeys]``.
    period_end
        The reporting period's end (the data's end plus 1 µs, as the workspace's
        default: :func:`default_period_end`), the same for every bucket.
    rows
        How many touchpoints there are (sizes the default ``buckets``).
    buckets
        How many groups of people (tasks) to use.

    Returns
    -------
    DataFrame
        :data:`PATH_COLUMNS`, one row per distinct path, sorted by path.
    """
    from pyspark.sql import functions as F

    n = buckets or max(4 * spark.sparkContext.defaultParallelism, -(-rows // BUCKET_ROWS))
    key = ACCOUNT_ID if config.journeys.unit == "account" else PERSON_ID
    schemas = (_stored_schema(touchpoints), _stored_schema(conversions))

    def one(tp: pd.DataFrame, cv: pd.DataFrame) -> pd.DataFrame:
        table = journey_path_table(
            _restore(tp, schemas[0]), _restore(cv, schemas[1]), config, period_end=period_end
        )
        table["path"] = table["path"].astype(object)
        return table

    schema = (
        "path string, total_conversions double, total_conversion_value double, total_null double"
    )
    summed = (
        _bucketed(spark, touchpoints, key, n)
        .groupBy(_BUCKET)
        .cogroup(_bucketed(spark, conversions, key, n).groupBy(_BUCKET))
        .applyInPandas(one, schema)
        .groupBy("path")
        .agg(*(F.sum(c).alias(c) for c in PATH_COLUMNS[1:]))
        .toPandas()
    )
    if not len(summed):
        return _empty()
    summed["path"] = summed["path"].astype("string")
    return summed.sort_values("path", kind="stable").reset_index(drop=True)
