"""A local rule keyed by a column, run by Spark on groups of keys (``applyInPandas``).

:func:`apply_in_groups` sends a frame to Spark, groups it by a key (the keys
hashed into buckets, so one call of the local function handles many keys,
with all the rows of each key) and runs the local function on each group's
rows, in their original order, in the tasks; the outputs come back
concatenated. The local rules are functions whose result for a key depends
only on that key's rows, so they run unchanged (one copy of each rule). The
frames cross to the JVM and back as Arrow columns:

* text columns travel as strings; a column the function built by inference
  (pandas ``str`` or ``object``) is inferred again over the whole output on the
  driver, as the local run over the whole table infers it, and an explicit
  ``string`` column keeps its dtype;
* time-zone aware timestamps travel as microseconds since the epoch;
* numbers and booleans as themselves (nullable integers as Spark ``long``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["apply_in_groups"]

_KEY = "_group_key"
_ROW = "_group_row"
#: Rows per bucket the bucket count aims at (more buckets than the parallelism for large frames).
BUCKET_ROWS = 200_000
_EPOCH = pd.Timestamp(0, tz="UTC")


def _kind(dtype: Any) -> str:
    """How a column travels: ``ts``, ``long``, ``double``, ``boolean`` or ``string``."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "ts"
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.StringDtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "long"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    return "string"


def _inferred(dtype: Any) -> bool:
    """Whether pandas infers this dtype from values (``object``, the default ``str``)."""
    if pd.api.types.is_object_dtype(dtype):
        return True
    return isinstance(dtype, pd.StringDtype) and dtype.na_value is not pd.NA


def _spark_type(kind: str) -> str:
    return "long" if kind == "ts" else kind


def _encode(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """``frame`` with Spark-friendly columns (see the module docs)."""
    out = {}
    for name, kind in kinds.items():
        col = frame[name]
        if kind == "ts":
            micros = (col - _EPOCH) // pd.Timedelta(microseconds=1)
            out[name] = micros.astype("Int64")
        elif kind == "string":
            values = col.astype(object)
            out[name] = values.where(col.notna(), None)
        elif kind == "long" and col.isna().any():
            out[name] = col.astype("Int64")
        else:
            out[name] = col
    return pd.DataFrame(out, index=frame.index)


def _decode(frame: pd.DataFrame, dtypes: dict[str, Any], kinds: dict[str, str]) -> pd.DataFrame:
    """The columns :func:`_encode` wrote, with ``dtypes`` back (inferred ones inferred again)."""
    out = {}
    for name, kind in kinds.items():
        col = frame[name]
        dtype = dtypes[name]
        if kind == "ts":
            stamps = pd.to_datetime(col.astype("Int64").astype("float64"), unit="us", utc=True)
            out[name] = stamps.astype(dtype)
        elif kind == "string" and _inferred(dtype):
            values = col.astype(object).where(col.notna(), None)
            out[name] = pd.Series(values.to_numpy(dtype=object), index=frame.index)
        else:
            out[name] = col.astype(dtype)
    return pd.DataFrame(out, index=frame.index)


def _schema(kinds: dict[str, str]) -> str:
    return ", ".join(f"`{name}` {_spark_type(kind)}" for name, kind in kinds.items())


def _bucket_count(spark: Any, rows: int) -> int:
    return max(2 * spark.sparkContext.defaultParallelism, -(-rows // BUCKET_ROWS))


def apply_in_groups(
    spark: Any,
    frame: pd.DataFrame,
    key: pd.Series,
    func: Callable[[pd.DataFrame], pd.DataFrame],
    *,
    buckets: int | None = None,
) -> pd.DataFrame:
    """``func`` on the rows of ``frame`` grouped by ``key``, in Spark; outputs concatenated.

    Parameters
    ----------
    frame
        Non-empty input rows (any index; the groups get a fresh one).
    key
        The rule's key of each row (aligned with ``frame``). Keys are hashed
        into ``buckets`` groups (default: twice the parallelism, more for large
        frames); ``func`` gets all the rows of the keys of one bucket, in
        their order in ``frame``.
    func
        The local function; its result for a key must depend on that key's rows
        only, and its output columns and dtypes must not depend on the rows (its
        output on the first key's rows, run on the driver, gives them).

    Returns
    -------
    DataFrame
        Every group's output, in no particular order (callers sort), index reset.
    """
    text = key.astype("string").fillna("\x00")
    n = buckets or _bucket_count(spark, len(frame))
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy()
    bucket = (hashed % np.uint64(n)).astype(np.int64)
    probe = func(frame.loc[(text == text.iloc[0]).to_numpy()].reset_index(drop=True))
    in_kinds = {name: _kind(dtype) for name, dtype in frame.dtypes.items()}
    in_dtypes = dict(frame.dtypes.items())
    out_kinds = {name: _kind(dtype) for name, dtype in probe.dtypes.items()}
    encoded = _encode(frame, in_kinds).reset_index(drop=True)
    encoded[_KEY] = bucket
    encoded[_ROW] = np.arange(len(frame), dtype=np.int64)
    schema = _schema({**in_kinds, _KEY: "long", _ROW: "long"})

    def run(group: pd.DataFrame) -> pd.DataFrame:
        group = group.sort_values(_ROW, kind="stable")
        rows = _decode(group.drop(columns=[_KEY, _ROW]), in_dtypes, in_kinds)
        return _encode(func(rows.reset_index(drop=True)), out_kinds)

    data = spark.createDataFrame(encoded, schema).repartition(n, _KEY)
    result = data.groupBy(_KEY).applyInPandas(run, _schema(out_kinds)).toPandas()
    return _decode(result, dict(probe.dtypes.items()), out_kinds).reset_index(drop=True)
