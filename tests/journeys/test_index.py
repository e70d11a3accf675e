"""The (unit, time) index: its fast path for time-ordered touches sorts as the general one."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.journeys import index as jindex
from workbench.journeys.index import UnitTimeIndex, _stable_code_order, unit_time_order


def _general(codes: np.ndarray, ts: np.ndarray, n_units: int) -> UnitTimeIndex:
    saved = jindex._MAX_TIME_RUNS
    jindex._MAX_TIME_RUNS = 0  # never the fast path
    try:
        return UnitTimeIndex(codes, ts, n_units, key_bits=40)
    finally:
        jindex._MAX_TIME_RUNS = saved


@pytest.mark.parametrize("n_units", [7, 70_000])
@pytest.mark.parametrize("layout", ["sorted", "three runs", "random"])
def test_time_ordered_touches_sort_like_the_combined_keys(n_units, layout):
    rng = np.random.default_rng(3)
    n = 5_000
    codes = rng.integers(0, n_units, n)
    ts = rng.integers(0, 10**12, n)
    ts[::7] = ts[1::7][: len(ts[::7])]  # repeated times: ties go by input order
    if layout == "sorted":
        ts = np.sort(ts)
    elif layout == "three runs":
        ts = np.concatenate([np.sort(part) for part in np.array_split(ts, 3)])
    fast = UnitTimeIndex(codes, ts, n_units, key_bits=40)
    slow = _general(codes, ts, n_units)
    np.testing.assert_array_equal(fast.order, slow.order)
    np.testing.assert_array_equal(fast.keys, slow.keys)
    for got, want in zip(fast.bounds(n_units), slow.bounds(n_units), strict=True):
        np.testing.assert_array_equal(got, want)
    expected = np.lexsort((np.arange(n), ts, codes))  # unit, then time, then input order
    np.testing.assert_array_equal(fast.order, expected)


@pytest.mark.parametrize("counting", [True, False])
def test_stable_code_order_is_a_stable_argsort(counting, monkeypatch):
    """pandas' counting sort and the numpy radix fallback give a stable argsort."""
    if not counting:
        monkeypatch.setattr(jindex, "_groupsort", None)
    rng = np.random.default_rng(5)
    for n_units in (3, 1 << 16, (1 << 16) + 5, 1 << 20):
        codes = rng.integers(0, n_units, 20_000)
        order, counts = _stable_code_order(codes, n_units)
        np.testing.assert_array_equal(order, np.argsort(codes, kind="stable"))
        np.testing.assert_array_equal(counts, np.bincount(codes, minlength=n_units))


@pytest.mark.parametrize("packed", [True, False])
def test_general_sort_packed_or_not_orders_by_unit_time_row(packed, monkeypatch):
    """The (key, position) sort and the argsort fallback give the same order and bounds."""
    monkeypatch.setattr(jindex, "_MAX_TIME_RUNS", 0)
    monkeypatch.setattr(jindex, "_MIN_PACKED_TIME_BITS", 16 if packed else 64)
    rng = np.random.default_rng(11)
    n, n_units = 3_000, 40
    codes = rng.integers(0, n_units, n)
    ts = rng.integers(0, 10**14, n)
    ts[::5] = ts[0]  # one repeated time: same-key runs ordered by time, then row
    idx = UnitTimeIndex(codes, ts, n_units, key_bits=30)  # coarse keys: many ties
    np.testing.assert_array_equal(idx.order, np.lexsort((np.arange(n), ts, codes)))
    counts = np.bincount(codes, minlength=n_units)
    first, got = idx.bounds(n_units)
    np.testing.assert_array_equal(got, counts)
    np.testing.assert_array_equal(first, np.cumsum(counts) - counts)
    np.testing.assert_array_equal(idx.codes, np.sort(codes))


@pytest.mark.parametrize("key_bits", [62, 30])
@pytest.mark.parametrize("time_ordered", [True, False])
def test_search_finds_the_first_touch_at_or_after_a_time(key_bits, time_ordered):
    """Exact search of (unit, time), also inside runs of touches sharing a coarse key."""
    rng = np.random.default_rng(8)
    n, n_units = 4_000, 50
    codes = rng.integers(0, n_units, n)
    ts = rng.integers(0, 10**9, n)
    ts[::3] = ts[0]  # repeated times
    if time_ordered:
        ts = np.sort(ts)
    idx = UnitTimeIndex(codes, ts, n_units, key_bits=key_bits)
    q_codes = rng.integers(0, n_units, 500)
    q_ts = np.r_[rng.integers(-10, 10**9 + 10, 497), ts[0], ts[0] + 1, 10**9 + 5]
    s_codes, s_ts = codes[idx.order], ts[idx.order]
    for side in ("left", "right"):
        later = s_ts > q_ts[:, None] if side == "right" else s_ts >= q_ts[:, None]
        after = (s_codes > q_codes[:, None]) | ((s_codes == q_codes[:, None]) & later)
        want = n - after.sum(axis=1)  # sorted by (unit, time): the matches are a suffix
        np.testing.assert_array_equal(idx.search(q_codes, q_ts, side), want)


@pytest.mark.parametrize("counting", [True, False])
@pytest.mark.parametrize("n_units", [300, 30_000])
def test_unit_time_order_is_the_lexsort(counting, n_units, monkeypatch):
    """Journeys ordered by (unit, time, ties...): as np.lexsort, with many exact ties.

    300 units: every unit has many rows; 30,000: most units have one row or none.
    """
    if not counting:
        monkeypatch.setattr(jindex, "_groupsort", None)
    rng = np.random.default_rng(4)
    n = 20_000
    units = rng.integers(0, n_units, n)
    ts = rng.integers(0, 50, n)  # few times: many (unit, time) ties
    typ, occ = rng.integers(0, 3, n), rng.integers(0, 2, n)
    got = unit_time_order(units, n_units, ts, typ, occ)
    np.testing.assert_array_equal(got, np.lexsort((occ, typ, ts, units)))
    np.testing.assert_array_equal(unit_time_order(units, n_units, ts), np.lexsort((ts, units)))


def test_private_counting_sort_is_used_only_when_it_behaves_as_expected(monkeypatch):
    """pandas' private ``groupsort_indexer`` passes the import-time check (else numpy is used)."""
    import pandas._libs.algos as algos

    assert jindex._private_groupsort() is algos.groupsort_indexer

    def wrong(codes, n):  # a changed private function: wrong order
        return np.arange(len(codes))[::-1], np.zeros(n + 1, dtype=np.intp)

    monkeypatch.setattr(algos, "groupsort_indexer", wrong)
    assert jindex._private_groupsort() is None


@pytest.mark.parametrize("layout", ["sorted", "random"])
def test_sorted_times_are_read_through_the_order(layout):
    codes = np.array([2, 0, 1, 0, 2, 1, 0])
    ts = np.array([50, 10, 30, 10, 20, 40, 5]) if layout == "random" else np.arange(7) * 10
    idx = UnitTimeIndex(codes, ts, 3)
    expected = ts[np.lexsort((np.arange(7), ts, codes))]  # by unit, then time
    np.testing.assert_array_equal(idx.ts, expected)
    np.testing.assert_array_equal(idx.ts_at(np.array([6, 0, 3])), expected[[6, 0, 3]])
