"""Run the local engine's functions inside Spark tasks, on small pickled objects.

Each item (a source's configuration, a file's bytes) travels to its own task
pickled, the task runs the local function on it (``mapInPandas``) and sends the
result back the same way. This is how the Spark engine reuses the local readers
instead of a second copy of them. Large tables do not travel this way: Spark
reads them itself (:mod:`workbench.spark.paths`).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

__all__ = ["map_objects"]

_SCHEMA = "part long, blob binary"


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
