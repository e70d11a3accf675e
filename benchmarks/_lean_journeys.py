"""The lean journeys baseline of ``bench_journeys`` and ``bench_e2e``, and its check.

:func:`lean_journeys` builds the journeys of
:func:`workbench.journeys.build.build_journeys` as flat numpy arrays (the
baseline's method and the alternatives measured are in ``bench_journeys``'
docstring); :func:`baseline` adds the integer person codes; :func:`check_lean`
proves, on small data before every timed run, that the two give the same
journeys.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench._strhash import unified
from workbench.journeys.build import build_journeys

DAY_US = 86_400 * 1_000_000


class LeanJourneys(NamedTuple):
    """Journeys as flat arrays (:func:`lean_journeys`).

    Attributes
    ----------
    rows : np.ndarray
        Input touch row of every journey touch, journey by journey, in time order.
    journey : np.ndarray
        Journey index of every journey touch.
    start, length : np.ndarray
        Each journey's first position in ``rows`` and its touch count (0: zero-touch).
    converted : np.ndarray
        Whether the journey ends in a conversion; converting journeys come first.
    conversion : np.ndarray
        Conversion row of each journey (-1 for a non-converting one).
    end_ts : np.ndarray
        Conversion time, or the last touch's time for a non-converting journey (us).
    """

    rows: np.ndarray
    journey: np.ndarray
    start: np.ndarray
    length: np.ndarray
    converted: np.ndarray
    conversion: np.ndarray
    end_ts: np.ndarray


def _stable_code_sort(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """``np.argsort(codes, kind="stable")`` by a counting sort (pandas' Cython one when there)."""
    try:
        from pandas._libs.algos import groupsort_indexer

        return np.asarray(groupsort_indexer(codes.astype(np.intp), n_codes)[0])
    except ImportError:  # pragma: no cover - private pandas function moved
        return np.argsort(codes, kind="stable")


class _Sorted:
    """Touches sorted by (person, time, row) with an exact search per (person, time)."""

    def __init__(self, codes: np.ndarray, ts: np.ndarray, n_codes: int) -> None:
        n = len(ts)
        self.tmin = int(ts.min(initial=0))
        span_bits = (int(ts.max(initial=0)) - self.tmin + 1).bit_length()
        code_bits = int(n_codes).bit_length()
        pos_bits = max(1, (n - 1).bit_length())
        shift, keys = max(0, span_bits + code_bits - 63), None
        if n < 2 or (ts[1:] >= ts[:-1]).all():  # time order (exports): counting sort by person
            order = _stable_code_sort(codes, n_codes)
        elif 63 - pos_bits - code_bits >= 16:  # one np.sort of (person, time bucket, row)
            shift = max(0, span_bits + code_bits + pos_bits - 63)
            packed = ts - self.tmin
            packed >>= shift
            packed |= np.left_shift(codes, span_bits - shift, dtype=np.int64)
            packed <<= pos_bits
            packed |= np.arange(n)
            packed.sort()
            order = packed & ((1 << pos_bits) - 1)
            packed >>= pos_bits  # the (person, time bucket) keys, sorted: searched as they are
            tie = np.r_[False, packed[1:] == packed[:-1]]
            if tie.any():  # same person and time bucket: exact time, then row
                sub = np.flatnonzero(tie | np.r_[tie[1:], False])
                order[sub] = order[sub][np.lexsort((order[sub], ts[order[sub]], packed[sub]))]
            keys = packed
        else:
            order = np.lexsort((ts, codes))
        self.order, self.ts = order, ts[order]
        self.shift, self.bits = shift, span_bits - shift
        if keys is None:
            keys = self.ts - self.tmin
            keys >>= self.shift
            keys |= np.left_shift(codes[order], self.bits, dtype=np.int64)
        self.keys = keys
        self.codes = keys >> self.bits

    def search(self, codes: np.ndarray, t: np.ndarray) -> np.ndarray:
        """First sorted position of person ``codes`` with ts >= ``t``."""
        rel = np.clip(t, self.tmin, self.tmin + (1 << (self.bits + self.shift)) - 1) - self.tmin
        key = (codes.astype(np.int64) << self.bits) | (rel >> self.shift)
        lo = np.searchsorted(self.keys, key)
        if self.shift:  # time buckets: step over the bucket's touches before ``t``
            last = len(self.keys) - 1
            act = np.flatnonzero(lo <= last)
            while len(act):
                p = lo[act]
                step = (self.keys[p] == key[act]) & (self.ts[p] < t[act])
                act = act[step]
                lo[act] += 1
                act = act[lo[act] <= last]
        return lo


def lean_journeys(
    person_tp: np.ndarray,
    ts: np.ndarray,
    person_cv: np.ndarray,
    cts: np.ndarray,
    ctype: np.ndarray,
    look: int,
) -> LeanJourneys:
    """The journeys of :func:`workbench.journeys.build.build_journeys`, as flat arrays.

    Parameters
    ----------
    person_tp, person_cv
        Person code per touch / conversion row, one code space, ``-1``: no person
        (such rows are in no journey).
    ts, cts
        Touch / conversion times, int64 microseconds.
    ctype
        Integer conversion type per conversion row.
    look
        Lookback in microseconds.

    Returns
    -------
    LeanJourneys
        A conversion's journey: its person's touches with ``cts - look <= ts <= cts``
        after the person's previous conversion of the same type (a conversion at the
        same time as the previous one gets none); zero-touch conversions are kept.
        A person with touches and no conversion: one journey of the touches within
        ``look`` before the last one. Journeys are not ordered by person id (the
        project lists them so; a sort of the journeys, not of the touches).
    """
    n_codes = int(max(person_tp.max(initial=-1), person_cv.max(initial=-1))) + 1
    tok = None if (person_tp >= 0).all() else np.flatnonzero(person_tp >= 0)
    s = _Sorted(
        person_tp if tok is None else person_tp[tok], ts if tok is None else ts[tok], n_codes
    )
    order = s.order if tok is None else tok[s.order]
    # converting: sorted by (person, type, time, row); the window clipped at the previous
    crow = np.flatnonzero(person_cv >= 0)
    crow = crow[np.lexsort((crow, cts[crow], ctype[crow], person_cv[crow]))]
    cp, ct, cy = person_cv[crow], cts[crow], ctype[crow]
    hi = s.search(cp, ct + 1)
    lo = s.search(cp, ct - look)
    same = np.r_[False, (cp[1:] == cp[:-1]) & (cy[1:] == cy[:-1])]
    if same.any():
        lo[same] = np.maximum(lo[same], s.search(cp[same], ct[np.flatnonzero(same) - 1] + 1))
    lo = np.minimum(lo, hi)
    # non-converting: people with touches and no conversion
    starts = np.flatnonzero(np.r_[True, s.codes[1:] != s.codes[:-1]]) if len(s.codes) else crow[:0]
    ends = np.r_[starts[1:], len(s.codes)].astype(np.int64)
    first = s.codes[starts]
    open_ = ~np.isin(first, cp)
    n_hi, n_code = ends[open_], first[open_]
    n_last = s.ts[n_hi - 1]
    n_lo = s.search(n_code, n_last - look)
    all_lo, all_hi = np.r_[lo, n_lo], np.r_[hi, n_hi]
    length = all_hi - all_lo
    start = np.zeros(len(length), dtype=np.int64)
    np.cumsum(length[:-1], out=start[1:])
    journey = np.repeat(np.arange(len(length)), length)
    at = np.repeat(all_lo - start, length)
    at += np.arange(len(at))
    converted = np.arange(len(length)) < len(lo)
    return LeanJourneys(
        order[at], journey, start, length, converted, np.r_[crow, np.full(len(n_lo), -1)],
        np.r_[ct, n_last],
    )  # fmt: skip


def person_codes(touch_person: pd.Series, conv_person: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer person codes of both tables in one code space (``-1``: no person).

    A categorical's own codes (both tables share its categories, as stitching hands
    them over). Strings: the touches' ids dictionary-encoded in Arrow, the
    conversions' ids looked up in that dictionary (``pc.index_in``), and the few not
    found encoded after it -- one encoding of both tables together (chunks unified)
    took twice as long at 1M touches.
    """
    if isinstance(touch_person.dtype, pd.CategoricalDtype):
        if touch_person.dtype != conv_person.dtype:
            raise ValueError("person_id: the two tables' categories differ")
        return touch_person.cat.codes.to_numpy(), conv_person.cat.codes.to_numpy()
    t_codes, names = _encode(pa.chunked_array(_arrow_chunks(touch_person), pa.large_string()))
    conv = pa.chunked_array(_arrow_chunks(conv_person), pa.large_string())
    c_codes = pc.fill_null(pc.index_in(conv, value_set=names), -1).to_numpy().astype(np.int64)
    new = (c_codes < 0) & pc.is_valid(conv).to_numpy(zero_copy_only=False)
    if new.any():  # people with conversions and no touch: codes after the touches' ones
        c_codes[new] = len(names) + _encode(conv.filter(pa.array(new)))[0]
    return t_codes, c_codes


def _encode(arr: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Arrow dictionary codes (``-1``: missing) and the dictionary of a string column."""
    if not arr.num_chunks:
        return np.zeros(0, dtype=np.int64), pa.array([], pa.large_string())
    enc = unified(pc.dictionary_encode(arr))  # the project's: no needless unify
    idx = pa.chunked_array([c.indices for c in enc.chunks], type=enc.type.index_type)
    return pc.fill_null(idx, -1).to_numpy().astype(np.int64), enc.chunk(0).dictionary


def _arrow_chunks(values: pd.Series) -> list[pa.Array]:
    arr = getattr(values.array, "_pa_array", None)
    if arr is None:
        arr = pa.chunked_array([pa.array(values.astype("string").array)])
    return [c.cast(pa.large_string()) for c in arr.chunks if len(c)]


def ts_us(values: pd.Series) -> np.ndarray:
    """Tz-aware microsecond timestamps as int64 (their own buffer, no copy)."""
    return values.to_numpy(dtype="datetime64[us]").view(np.int64)


def baseline(touchpoints: pd.DataFrame, conversions: pd.DataFrame, lookback: float) -> LeanJourneys:
    """The leanest known way to build the journeys: person codes, then :func:`lean_journeys`."""
    p_tp, p_cv = person_codes(touchpoints["person_id"], conversions["person_id"])
    ctype = pc.dictionary_encode(pa.array(conversions["conversion_type"].array)).indices
    return lean_journeys(
        p_tp, ts_us(touchpoints["ts"]), p_cv, ts_us(conversions["ts"]),
        ctype.to_numpy(zero_copy_only=False), int(round(lookback * DAY_US)),
    )  # fmt: skip


def _journey_pairs(conv: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(conversion row or -1, touch row) pairs, sorted: a journey set to compare."""
    pairs = np.stack([conv, rows], axis=1).astype(np.int64)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def check_lean(touchpoints: pd.DataFrame, conversions: pd.DataFrame, lookback: float) -> None:
    """:func:`baseline` builds the journeys ``build_journeys`` builds (small data, untimed).

    Times are cut to whole hours first, so touches fall exactly on window bounds and
    share times. Compared: every conversion's touch rows, the non-converting
    journeys' touch rows, the counts of journeys, converting and zero-touch ones.
    """
    hour = 3_600 * 1_000_000
    tp, cv = touchpoints.copy(), conversions.copy()
    for df in (tp, cv):
        us = ts_us(df["ts"]) // hour * hour
        df["ts"] = pd.Series(us.view("datetime64[us]"), index=df.index).dt.tz_localize("UTC")
    tp["page"] = pd.Series(np.arange(len(tp)).astype(str), dtype="str", index=tp.index)
    cv["conversion_id"] = pd.Series([f"{i:09d}" for i in range(len(cv))], dtype="str")
    js = build_journeys(tp, cv, lookback_days=lookback)
    j = js.journeys
    ji = pd.Index(j["journey_id"]).get_indexer(js.touches["journey_id"])
    cid = pd.to_numeric(j["conversion_id"]).fillna(-1).to_numpy(np.int64)
    want = _journey_pairs(cid[ji], js.touches["page"].astype(int).to_numpy())
    lean = baseline(tp, cv, lookback)
    got = _journey_pairs(lean.conversion[lean.journey], lean.rows)
    counts = (len(lean.length), int(lean.converted.sum()), int((lean.length == 0).sum()))
    n_j = (len(j), int(j["converted"].sum()), int((j["n_touches"] == 0).sum()))
    if counts != n_j or not np.array_equal(want, got):
        raise AssertionError(f"lean journeys differ from build_journeys: {counts} vs {n_j}")
