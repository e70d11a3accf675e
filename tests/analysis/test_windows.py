"""Tests of workbench.analysis.windows on the hand-built journeys of journey_fixtures.

Converted journeys: j1 (touches 10, 5, 2 days before), j2 (40, 20, 3) and the
zero-touch j5.
"""

from __future__ import annotations

import numpy as np
import pytest
from journey_fixtures import tables

from workbench.analysis.windows import lag_distribution, recommend_window, window_cutoffs

J, T = tables()


def test_lag_distribution() -> None:
    d = lag_distribution(J, day_bins=(0, 7, 14, 30, 60), touch_bins=(1, 2, 3, 5))
    days = d.loc[d["measure"] == "days"].set_index("bin")
    assert days["conversions"].to_dict() == {
        "0-7 days": 0,
        "7-14 days": 1,
        "14-30 days": 0,
        "30-60 days": 1,
        "60+ days": 0,
        "(no touch)": 1,
    }
    assert days["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    touches = d.loc[d["measure"] == "touches"].set_index("bin")
    assert touches.index.tolist() == ["1 touch", "2 touches", "3-4 touches", "5+ touches",
                                      "(no touch)"]  # fmt: skip
    assert touches.loc["3-4 touches", "conversions"] == 2
    assert touches.loc["1 touch", "conversions"] == 0
    assert touches.loc["(no touch)", "share"] == pytest.approx(1 / 3)


def test_window_cutoffs() -> None:
    c = window_cutoffs(J, T, windows=(1, 7, 14, 30, 60)).set_index("window_days")
    assert c["conversions"].unique().tolist() == [3]
    assert c["conversions_cut"].tolist() == [2, 2, 1, 1, 0]
    assert c["conversions_lost"].tolist() == [2, 0, 0, 0, 0]
    assert c["touches"].unique().tolist() == [6]
    assert c["touches_cut"].tolist() == [6, 3, 2, 1, 0]
    assert c.loc[7, "share_conversions_cut"] == pytest.approx(2 / 3)
    assert c.loc[14, "share_touches_cut"] == pytest.approx(1 / 3)


def test_recommend_window() -> None:
    r = recommend_window(J, candidates=(1, 7, 14, 30, 60), coverage=0.5).set_index("segment")
    row = r.loc["All journeys"]
    assert row["conversions"] == 3 and row["conversions_with_touches"] == 2
    assert row["recommended_days"] == 14 and row["coverage_at_recommended"] == 0.5
    assert row["median_days"] == 25 and row["p90_days"] == pytest.approx(37.0)
    strict = recommend_window(
        J,
        candidates=(7, 30, 14),
        coverage=0.9,
        segments={"SMB": "customer_type == 'smb'", "APAC": "region == 'APAC'"},
    ).set_index("segment")
    assert np.isnan(strict.loc["All journeys", "recommended_days"])  # 40 days > 30
    assert not strict.loc["All journeys", "meets_target"]
    assert strict.loc["All journeys", "coverage_at_recommended"] == 0.5
    assert strict.loc["SMB", "recommended_days"] == 14  # j1 only: 10 days
    assert not strict.loc["APAC", "meets_target"]
    with pytest.raises(ValueError):
        recommend_window(J, coverage=1.5)
