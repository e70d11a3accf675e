"""What :func:`~workbench.journeys.build.build_journeys` knows about its tables' strings.

``build_journeys`` makes the string columns of its tables from integer arrays: the
journey ids are distinct (their hashes are checked for collisions), the touches'
``journey_id`` column is the journeys' ids repeated by the journey lengths, and it
has the codes of every touch's ``channel``. A reader of the tables
(:func:`workbench.attribution.inputs.paths_from_journeys`) would otherwise derive
the same facts again by hashing and comparing the strings: at 1M touchpoints, more
time than every rule model and Markov order 1 together (issue 16).

The facts are kept per Arrow array object, the immutable ``ChunkedArray`` inside a
pandas Arrow-backed string column, and only for as long as that object lives (a
weak reference). Arrow data cannot change in place: a column that was edited,
filtered, reordered or read back from a file holds another array, about which
nothing is known, so its reader validates it as any user table. A copy of a frame
(``DataFrame.copy``) keeps the same arrays and so the facts.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["known_codes", "known_distinct", "known_rows", "vouch"]

# id(array) -> (weak reference to the array, kind -> fact)
_FACTS: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}


def _arrow(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow array inside an Arrow-backed string column (the same object), else None."""
    export = getattr(values.array, "__arrow_array__", None)
    arr = export() if export is not None else None
    return arr if isinstance(arr, pa.ChunkedArray) else None


def _remember(values: pd.Series, kind: str, fact: Any) -> None:
    arr = _arrow(values)
    if arr is None:
        return
    key = id(arr)
    hit = _FACTS.get(key)
    if hit is None or hit[0]() is not arr:
        hit = (weakref.ref(arr, _forget(key)), {})
        _FACTS[key] = hit
    hit[1][kind] = fact


def _forget(key: int) -> Callable[[weakref.ref], None]:
    """Weak-reference callback: drop the facts of the array ``key`` when it dies."""

    def drop(_: weakref.ref) -> None:
        _FACTS.pop(key, None)

    return drop


def _recall(values: pd.Series, kind: str) -> Any:
    arr = _arrow(values)
    hit = _FACTS.get(id(arr)) if arr is not None else None
    if hit is None or hit[0]() is not arr:
        return None
    return hit[1].get(kind)


def vouch(
    journey_ids: pd.Series,
    touch_journey_ids: pd.Series,
    lengths: np.ndarray,
    labels: list[tuple[pd.Series, np.ndarray, list[str | None]]],
) -> None:
    """Record what the builder knows about the string columns of its two tables.

    Parameters
    ----------
    journey_ids
        The journeys' ``journey_id`` column: distinct ids, none missing.
    touch_journey_ids
        The touches' ``journey_id`` column: ``journey_ids`` repeated ``lengths`` times.
    lengths
        Touches per journey, in the journeys' row order.
    labels
        ``(column, codes, names)``: the touches' column equals ``names[codes]`` (a
        ``None`` name: missing).
    """
    _remember(journey_ids, "distinct", True)
    keys = _arrow(journey_ids)
    if keys is not None:
        _remember(touch_journey_ids, "rows", (weakref.ref(keys), np.asarray(lengths, np.int64)))
    for column, codes, names in labels:
        _remember(column, "codes", (np.asarray(codes, dtype=np.int32), list(names)))


def known_distinct(values: pd.Series) -> bool:
    """Whether ``values`` is known to hold distinct, non-missing values (False: unknown)."""
    return bool(_recall(values, "distinct"))


def known_rows(lookup: pd.Series, keys: pd.Series) -> np.ndarray | None:
    """Row of ``keys`` holding each value of ``lookup``, when known; None otherwise."""
    fact = _recall(lookup, "rows")
    if fact is None or fact[0]() is not _arrow(keys):
        return None
    lengths = fact[1]
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def known_codes(values: pd.Series) -> tuple[np.ndarray, list[str | None]] | None:
    """``(codes, names)`` with ``values == names[codes]`` (None: missing), when known."""
    return _recall(values, "codes")
