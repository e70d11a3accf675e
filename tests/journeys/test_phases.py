"""Tests of workbench.journeys._phases on hand-made examples (build_journeys' phases)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from workbench.journeys._phases import _Excluded, expand, first_of_runs, journey_order
from workbench.journeys.codes import UnitCodes


def test_first_of_runs_keeps_the_first_touch_of_each_label_run_per_journey() -> None:
    lab = np.array([0, 0, 1, 1, 1, 0])
    jid = np.array([0, 0, 0, 0, 1, 1])
    # a new journey starts a run even with the same label (index 4)
    assert first_of_runs(lab, jid).tolist() == [True, False, True, False, True, True]


def test_expand_takes_each_window_and_counts_unused_touches() -> None:
    orig = np.array([10, 11, 12, 13, 14])  # input row of each sorted touch
    lo, hi = np.array([1, 0, 0, 4]), np.array([3, 0, 2, 5])  # windows may overlap
    excl = _Excluded()
    lengths, offsets, jid, src, selection = expand(orig, lo, hi, 20, excl)
    assert lengths.tolist() == [2, 0, 2, 1]
    assert offsets.tolist() == [0, 2, 2, 4, 5]
    assert jid.tolist() == [0, 0, 2, 2, 3]
    assert src.tolist() == [11, 12, 10, 11, 14]
    assert selection.distinct() == 4  # rows 10, 11, 12, 14; row 13 in no window
    assert excl == [("touchpoints", "outside every journey window", 1)]


def test_journey_order_by_unit_then_end_time_open_journeys_last_type() -> None:
    units = UnitCodes(np.zeros(0, np.int64), np.zeros(0, np.int64), pa.array(["a", "b", "c"]))
    c_rows = np.array([7, 3, 5])
    converting = (  # cc, ct, typ, occ, lo_c, hi_c
        np.array([0, 2, 0]),
        np.array([50, 10, 20]),
        np.array([0, 1, 0]),
        np.array([0, 0, 0]),
        np.array([0, 5, 6]),
        np.array([2, 6, 8]),
    )
    open_ = (np.array([1]), np.array([2]), np.array([5]), np.array([30]))  # nc, lo, hi, last
    code, conv, end_ts, typ, occ, lo, hi, crow = journey_order(units, 2, c_rows, converting, open_)
    assert code.tolist() == [0, 0, 1, 2]
    assert conv.tolist() == [True, True, False, True]
    assert end_ts.tolist() == [20, 50, 30, 10]
    assert typ.tolist() == [0, 0, 2, 1]  # open journeys get type code n_types
    assert occ.tolist() == [0, 0, 0, 0]
    assert lo.tolist() == [6, 0, 2, 5]
    assert hi.tolist() == [8, 2, 5, 6]
    assert crow.tolist() == [5, 7, -1, 3]
