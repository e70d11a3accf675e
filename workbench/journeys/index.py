"""Touches sorted by (unit, time) for journey windows, and stable journey ids.

:class:`UnitTimeIndex` sorts the touches once by (unit code, time);
:func:`conversion_windows` and :func:`open_windows` turn journey bounds into
ranges ``[lo, hi)`` of sorted positions with one vectorized binary search per
bound; touches in time order (as exports come) are grouped by unit with a
counting sort, and :func:`unit_time_order` orders the journeys the same way.
:func:`journey_ids` hashes each journey's natural key into ``"j"`` + 16
hex digits with a fixed key, so an id is the same in every run on the same data.
Times are int64 microseconds since the epoch, UTC (:func:`ts_us`,
:func:`ts_from_us`, :func:`period_us`). Used by
:func:`workbench.journeys.build.build_journeys`; no Python loop per unit or journey.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.util import hash_array

from workbench.intcodes import hex_strings

__all__ = [
    "KEY_BITS",
    "UnitTimeIndex",
    "conversion_windows",
    "hex_id_bytes",
    "journey_ids",
    "open_windows",
    "period_us",
    "ts_from_us",
    "ts_us",
    "unit_time_order",
]

#: Bits of a sort key (unit code + time bucket).
KEY_BITS = 62

_HASH_KEY = "journeyworkbench"  # 16 characters, fixed: ids never change
_UTC_US = pd.DatetimeTZDtype("us", "UTC")


def ts_us(values: pd.Series) -> np.ndarray:
    """Tz-aware timestamps as int64 microseconds since the epoch (UTC)."""
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[us]").view(np.int64)


def ts_from_us(us: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """Inverse of :func:`ts_us` (UTC); NaT where ``missing``.

    The Series is made with its tz-aware dtype (no ``tz_localize`` pass); it may
    hold ``us`` itself: pass an array nothing else writes to.
    """
    us = us.astype(np.int64, copy=False)
    if missing is not None:
        us = np.where(missing, np.iinfo(np.int64).min, us)  # the int64 value of NaT
    return pd.Series(us.view("datetime64[us]"), dtype=_UTC_US)


def period_us(period: Any) -> tuple[int | None, int | None]:
    """``(start, end)`` in microseconds (naive values are UTC; None stays None)."""

    def us(x: Any) -> int | None:
        if x is None:
            return None
        t = pd.Timestamp(x)
        return int((t.tz_localize("UTC") if t.tzinfo is None else t).value) // 1000

    return (None, None) if period is None else (us(period[0]), us(period[1]))


class UnitTimeIndex:
    """Touches sorted by (unit code, time), with an exact binary search per (unit, time).

    Sort keys are ``code << bits | (us since the first touch) >> shift``, with
    ``shift`` just large enough for the key to fit in ``key_bits`` bits (fewer when
    the key and the row position are sorted packed into one int64). Touches
    sharing a key are ordered by exact time, then input order (stable tie-break),
    and searches finish with a vectorized binary search inside such runs.
    """

    def __init__(
        self, codes: np.ndarray, ts: np.ndarray, n_units: int, key_bits: int = KEY_BITS
    ) -> None:
        self.tmin = int(ts.min()) if len(ts) else 0
        self.span = int(ts.max()) - self.tmin + 1 if len(ts) else 1
        self._counts: np.ndarray | None = None
        self._times = ts  # input order: sorted times are read through ``order`` when asked for
        found = _time_ordered(codes, ts, n_units)
        if found is not None:  # (unit, time, input order) already: keys only for the search
            self._scale(n_units, key_bits)
            self.order, self._counts = found
            keys = ts - self.tmin  # the time part in input order, then one gather
            keys >>= self.shift
            keys = keys[self.order]  # the unit codes of the sorted touches: a step per unit
            keys |= np.repeat(np.arange(n_units, dtype=np.int64) << self.bits, self._counts)
            self.keys = keys
            return
        pos_bits = max(1, (len(ts) - 1).bit_length())
        packed = 63 - pos_bits - int(n_units).bit_length() >= _MIN_PACKED_TIME_BITS
        self._scale(n_units, min(key_bits, 63 - pos_bits) if packed else key_bits)
        key = self._key(codes.astype(np.int64, copy=False), ts)
        if packed:  # one sort of (key, position) values: cheaper than an argsort and a gather
            key <<= pos_bits
            key |= np.arange(len(key))
            key.sort()
            order = key & ((1 << pos_bits) - 1)
            key >>= pos_bits
            keys = key
        else:
            order = np.argsort(key)
            keys = key[order]
        tie = np.r_[False, keys[1:] == keys[:-1]]
        if tie.any():  # same unit and time bucket: exact time, then input order
            sub = np.flatnonzero(tie | np.r_[tie[1:], False])
            order[sub] = order[sub][np.lexsort((order[sub], ts[order[sub]], keys[sub]))]
        self.order, self.keys = order, keys

    @property
    def ts(self) -> np.ndarray:
        """Time of every sorted touch (a gather of all of them: prefer :meth:`ts_at`)."""
        return self._times[self.order]

    def ts_at(self, positions: np.ndarray) -> np.ndarray:
        """Time of the sorted touches at ``positions`` (only those are read)."""
        return self._times[self.order[positions]]

    @property
    def codes(self) -> np.ndarray:
        """Unit code of every sorted touch (computed from the keys when asked for)."""
        return self.keys >> self.bits

    def codes_at(self, positions: np.ndarray) -> np.ndarray:
        """Unit code of the sorted touches at ``positions`` (only those are computed)."""
        return self.keys[positions] >> self.bits

    def _scale(self, n_units: int, key_bits: int) -> None:
        """Set ``shift`` and ``bits`` so that a key fits in ``key_bits`` bits."""
        self.shift = max(0, self.span.bit_length() + int(n_units).bit_length() - key_bits)
        self.bits = self.span.bit_length() - self.shift

    def _key(self, codes: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Sort keys ``code << bits | (ts - tmin) >> shift`` (int64 codes, in place on a temporary)."""
        key = ts - self.tmin
        key >>= self.shift
        key |= codes << self.bits
        return key

    def search(self, codes: np.ndarray, t: np.ndarray, side: str) -> np.ndarray:
        """First sorted position of unit ``codes`` with ts >= t (left) / > t (right)."""
        if side == "right":  # integer microseconds: ts > t is ts >= t + 1
            t = t + 1
        rel = np.clip(t, self.tmin, self.tmin + self.span) - self.tmin
        key = (codes.astype(np.int64) << self.bits) | (rel >> self.shift)
        lo = np.searchsorted(self.keys, key, side="left")
        if self.shift == 0 or not len(self.keys):  # keys hold the exact time: found
            return lo
        # only where the key is there can touches of the same key come before ``t``
        run = np.flatnonzero(self.keys[np.minimum(lo, len(self.keys) - 1)] == key)
        if not len(run):
            return lo
        sub_lo, t_run = lo[run], t[run]
        sub_hi = np.searchsorted(self.keys, key[run], side="right")
        while (active := sub_lo < sub_hi).any():  # binary search within same-key runs
            mid = (sub_lo + sub_hi) // 2
            go = active & (self.ts_at(np.minimum(mid, len(self.keys) - 1)) < t_run)
            sub_lo, sub_hi = np.where(go, mid + 1, sub_lo), np.where(active & ~go, mid, sub_hi)
        lo[run] = sub_lo
        return lo

    def bounds(self, n_units: int) -> tuple[np.ndarray, np.ndarray]:
        """First sorted position and touch count of every unit code."""
        if self._counts is not None and len(self._counts) == n_units:  # from the counting sort
            return np.cumsum(self._counts) - self._counts, self._counts
        edges = np.searchsorted(self.keys, np.arange(n_units + 1, dtype=np.int64) << self.bits)
        return edges[:-1], np.diff(edges)


def _private_groupsort() -> Any:
    """``pandas._libs.algos.groupsort_indexer`` if it behaves as expected, else ``None``.

    A private pandas function: it is checked once on a tiny input (order and
    counts, the count of ``-1`` codes first), so a moved, renamed or changed
    function falls back to numpy's radix sort instead of failing or misordering.
    """
    try:
        from pandas._libs.algos import groupsort_indexer as groupsort

        order, counts = groupsort(np.array([1, 0, 1, 0], dtype=np.intp), 2)
        ok = list(np.asarray(order)) == [1, 3, 0, 2] and list(np.asarray(counts)) == [0, 2, 2]
    except Exception:  # pragma: no cover - private pandas function moved or changed
        return None
    return groupsort if ok else None


#: A stable counting sort of codes in ``[0, n)``: ``(order, counts)``, or ``None``.
_groupsort = _private_groupsort()

#: Fewest time bits a (unit, time, position) sort value must keep to be used.
_MIN_PACKED_TIME_BITS = 16
#: Most sorted runs of touch times for which :func:`_time_ordered` sorts by time first.
_MAX_TIME_RUNS = 64


def _time_ordered(
    codes: np.ndarray, ts: np.ndarray, n_units: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions sorted by (unit code, time, position) when the touches come in time order.

    Exports are written in time order (a few sorted runs once sources are
    concatenated): then a stable sort by time is cheap (numpy's timsort merges
    runs) and a stable counting sort by unit code (:func:`_stable_code_order`)
    gives the order a sort of the combined keys would. Returns the positions and
    the touch count of every unit code; ``None`` when the times are in no such
    order or the codes need more than 32 bits.
    """
    n = len(ts)
    if n < 2 or n_units > 1 << 32:
        return None
    runs = np.count_nonzero(ts[1:] < ts[:-1]) + 1
    if runs > _MAX_TIME_RUNS:
        return None
    if runs == 1:  # by time already: the stable order by code is the answer
        return _stable_code_order(codes, n_units)
    by_time = np.argsort(ts, kind="stable")
    order, counts = _stable_code_order(codes[by_time], n_units)
    return by_time[order], counts


def _stable_code_order(codes: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.argsort(codes, kind="stable")`` for codes in ``[0, n_units)``, n_units <= 2**32.

    Also returns ``np.bincount(codes, minlength=n_units)``, the count of every code.

    A counting sort, pandas' ``groupsort_indexer`` (one counting pass and one
    placing pass, in Cython): 3-4x faster than numpy's radix sort of 16-bit
    integers at 1M and 10M touches. Without it (a private pandas function),
    numpy radix-sorts 16-bit integers: one pass, or two (low half, then high half).
    """
    if _groupsort is not None:
        order, counts = _groupsort(codes.astype(np.intp, copy=False), n_units)
        return order, counts[1:]  # counts[0]: codes -1 (none here)
    counts = np.bincount(codes, minlength=n_units)
    if n_units <= 1 << 16:
        return np.argsort(codes.astype(np.uint16), kind="stable"), counts
    low = np.argsort(codes.astype(np.uint16), kind="stable")  # the low 16 bits (wraps)
    high = np.argsort((codes[low] >> 16).astype(np.uint16), kind="stable")
    return low[high], counts


def unit_time_order(
    units: np.ndarray, n_units: int, ts: np.ndarray, *ties: np.ndarray
) -> np.ndarray:
    """``np.lexsort((*reversed(ties), ts, units))`` for unit codes in ``[0, n_units)``.

    The stable counting sort by unit (:func:`_stable_code_order`) orders the rows
    of units with one row (most units have one journey) and groups the others;
    only those are then sorted by :func:`_by_unit_time` (rows of one unit keep
    their order of position, so position still breaks the last ties). 5x faster
    than sorting all rows for the journeys of 10M touches, where 3% of the
    journeys share their unit with another.
    """
    order = _stable_code_order(units, n_units)[0]
    u = units[order]
    shared = u[1:] == u[:-1]
    if not shared.any():
        return order
    sub = np.flatnonzero(np.r_[shared, False] | np.r_[False, shared])
    rows = order[sub]
    order[sub] = rows[_by_unit_time(u[sub], n_units, ts[rows], *(key[rows] for key in ties))]
    return order


def _by_unit_time(units: np.ndarray, n_units: int, ts: np.ndarray, *ties: np.ndarray) -> np.ndarray:
    """:func:`unit_time_order` by a stable sort by time, then the counting sort by unit.

    Rows of the same unit and time are then ordered by ``ties`` (first key first),
    then position. 2-3x faster than the lexsort.
    """
    by_time = np.argsort(ts, kind="stable")
    order = by_time[_stable_code_order(units[by_time], n_units)[0]]
    u, t = units[order], ts[order]
    same = np.r_[False, (u[1:] == u[:-1]) & (t[1:] == t[:-1])]
    if ties and same.any():
        sub = np.flatnonzero(same | np.r_[same[1:], False])
        keys = [key[order[sub]] for key in reversed(ties)]
        order[sub] = order[sub][np.lexsort((*keys, t[sub], u[sub]))]
    return order


def conversion_windows(
    idx: UnitTimeIndex,
    code: np.ndarray,
    ts: np.ndarray,
    typ: np.ndarray,
    cid: np.ndarray,
    look: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Touch ranges [lo, hi) of conversions sorted by (unit, type, ts, id); duplicate numbers."""
    same = np.zeros(len(code), dtype=bool)
    same[1:] = (code[1:] == code[:-1]) & (typ[1:] == typ[:-1])
    prev = np.roll(ts, 1)
    hi = idx.search(code, ts, "right")
    lo = idx.search(code, ts - look, "left")
    lo = np.where(same, np.maximum(lo, idx.search(code, np.where(same, prev, ts), "right")), lo)
    dup = same & (prev == ts) & (np.roll(cid, 1) == cid)
    first = np.flatnonzero(~dup)
    occ = np.arange(len(code)) - first[np.cumsum(~dup) - 1] if len(code) else np.zeros(0, int)
    return np.minimum(lo, hi), hi, occ.astype(np.int64)


def open_windows(
    idx: UnitTimeIndex,
    n_units: int,
    converted: np.ndarray,
    start: int | None,
    end: int | None,
    look: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Non-converting journeys: unit code, [lo, hi) and last touch time."""
    first, counts = idx.bounds(n_units)
    has_touch = counts > 0
    has_touch[converted] = False
    code = np.flatnonzero(has_touch)
    lo = first[code] if start is None else idx.search(code, np.full(len(code), start), "left")
    hi = (
        first[code] + counts[code]
        if end is None
        else idx.search(code, np.full(len(code), end), "left")
    )
    keep = hi > lo
    code, lo, hi = code[keep], lo[keep], hi[keep]
    last = idx.ts_at(hi - 1) if len(code) else np.zeros(0, dtype=np.int64)
    return code, np.maximum(lo, idx.search(code, last - look, "left")), hi, last


def journey_ids(
    unit: str,
    unit_ids: pa.ChunkedArray | pa.Array,
    types: pa.ChunkedArray | pa.Array,
    end_ts: np.ndarray,
    conversion_ids: pa.ChunkedArray | pa.Array,
    occ: np.ndarray,
    converted: np.ndarray,
) -> pa.Array:
    """``"j"`` + 16 hex digits of a fixed-key hash of each journey's natural key.

    The key is (unit kind, unit id, conversion type, conversion time, conversion
    id, duplicate number ``occ``), or (unit kind, unit id, ``types`` entry) for a
    non-converting journey (``converted`` false).
    """
    large, open_ = pa.large_string(), ~converted
    parts = [
        unit_ids,
        types,
        pa.array(end_ts, mask=open_).cast(large),  # empty text for an open journey
        pc.cast(conversion_ids, large),
        pa.array(occ, mask=open_).cast(large),
    ]
    handling = "replace"  # a missing part reads as empty text
    if unit_ids.null_count or types.null_count:  # such keys stay missing, as they always did
        parts[2:], handling = [pc.fill_null(part, "") for part in parts[2:]], "emit_null"
    key = pc.binary_join_element_wise(
        pa.scalar(unit, large),  # the same text on every row
        *parts,
        pa.scalar("|", large),
        null_handling=handling,
    )
    # ``pa.chunked_array([key])`` on a ChunkedArray would rebuild it from Python strings
    key = key if isinstance(key, pa.ChunkedArray) else pa.chunked_array([key])
    return _hex_ids(key.cast(large))


def hex_id_bytes(ids: pa.Array) -> np.ndarray:
    """The ids of :func:`journey_ids` as the numpy ``S17`` array they were made from."""
    buf = ids.buffers()[2]
    return np.frombuffer(buf, dtype="S17", count=len(ids), offset=ids.offset * 17)


def _hex_ids(keys: pa.ChunkedArray) -> pa.Array:
    # the values of ``hash_pandas_object`` (its dictionary-encoding pass only saves
    # work on repeated values, and the keys are distinct); hashed as Python ``bytes``,
    # the UTF-8 the hash reads (made from Arrow's buffers: 2x cheaper than ``str``,
    # which the hash would encode again)
    text = keys.cast(pa.large_binary()).to_numpy(zero_copy_only=False)
    h = hash_array(text, hash_key=_HASH_KEY, categorize=False)
    if not pd.Index(h).is_unique:  # pragma: no cover - 64-bit collision
        raise RuntimeError("journey id hash collision; please report this data set")
    return hex_strings(b"j", h.astype(">u8").view(np.uint8).reshape(-1, 8))
