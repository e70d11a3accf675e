"""Run the local engine's functions inside Spark tasks, on pandas frames moved as Arrow.

A frame is cut into parts, each part travels to a task as one Arrow IPC blob
(so pandas dtypes, time zones and missing values arrive exactly as they were),
the task runs the local function on it (``mapInPandas``) and sends the result
back the same way. This is how the Spark engine reuses the local rules instead
of a second copy of them.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

__all__ = ["PART_ROWS", "from_blob", "map_frames", "map_objects", "parts_for", "to_blob"]

#: At most this many rows travel to a task in one part (each part is one row of a
#: DataFrame that Spark keeps on the driver until its task runs).
PART_ROWS = 100_000

_SCHEMA = "part long, blob binary"


def to_blob(frame: pd.DataFrame) -> bytes:
    """``frame`` as Arrow IPC stream bytes (pandas metadata kept, index dropped)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def from_blob(blob: bytes) -> pd.DataFrame:
    """The frame :func:`to_blob` wrote."""
    return pa.ipc.open_stream(io.BytesIO(blob)).read_all().to_pandas()


def parts_for(spark: Any, rows: int) -> int:
    """How many parts ``rows`` rows go in: the parallelism, more for large frames."""
    return max(spark.sparkContext.defaultParallelism, -(-rows // PART_ROWS))


def _parts(frame: pd.DataFrame, n_parts: int) -> list[pd.DataFrame]:
    size = max(1, -(-len(frame) // max(1, n_parts)))
    return [frame.iloc[i : i + size] for i in range(0, max(len(frame), 1), size)]


def map_frames(
    spark: Any,
    frame: pd.DataFrame,
    func: Callable[[pd.DataFrame], pd.DataFrame],
    *,
    parts: int | None = None,
) -> pd.DataFrame:
    """``func`` applied to row slices of ``frame`` in Spark tasks, concatenated in order.

    ``func`` must treat rows independently (as channel grouping does).
    """
    n = parts or parts_for(spark, len(frame))
    blobs = [(i, to_blob(p)) for i, p in enumerate(_parts(frame, n))]

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for part, blob in zip(batch["part"], batch["blob"], strict=True):
                out = to_blob(func(from_blob(blob)))
                yield pd.DataFrame({"part": [part], "blob": [out]})

    rows = _collect(spark, blobs, run, len(blobs))
    out = pd.concat([from_blob(b) for _, b in rows], ignore_index=True)
    return out.set_axis(frame.index) if len(out) == len(frame) else out


def map_objects(spark: Any, items: list[Any], func: Callable[[Any], Any]) -> list[Any]:
    """``[func(item) for item in items]`` with one Spark task per item (pickled both ways).

    A :class:`~workbench.errors.WorkbenchError` raised in a task (a file without a
    required column, ...) is raised again here, unchanged, as the local engine raises it.
    """
    blobs = [(i, pickle.dumps(item)) for i, item in enumerate(items)]

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from workbench.errors import WorkbenchError

        for batch in batches:
            for part, blob in zip(batch["part"], batch["blob"], strict=True):
                try:
                    out: tuple[bool, Any] = (True, func(pickle.loads(blob)))
                except WorkbenchError as exc:
                    out = (False, exc)
                yield pd.DataFrame({"part": [part], "blob": [pickle.dumps(out)]})

    results = [pickle.loads(b) for _, b in _collect(spark, blobs, run, len(blobs))]
    for ok, value in results:
        if not ok:
            raise value
    return [value for _, value in results]


def _collect(spark: Any, blobs: list[tuple[int, bytes]], run: Callable, n: int) -> list:
    """Run ``run`` over ``blobs`` spread on ``n`` partitions; rows sorted by part."""
    frame = spark.createDataFrame(
        pd.DataFrame({"part": [p for p, _ in blobs], "blob": [b for _, b in blobs]}), _SCHEMA
    ).repartition(max(1, n), "part")
    rows = frame.mapInPandas(run, _SCHEMA).collect()
    return sorted(((r["part"], bytes(r["blob"])) for r in rows), key=lambda r: r[0])
