"""Tests of workbench.analysis.lift: counts, intervals (checked against scipy) and ranking."""

from __future__ import annotations

import math

import numpy as np
import pytest
from journey_fixtures import tables
from scipy.stats import binomtest
from scipy.stats.contingency import relative_risk

from workbench.analysis.lift import LIFT_COLUMNS, katz_interval, touchpoint_lift, wilson_interval

J, T = tables()


def test_counts_rates_and_lift_hand_computed() -> None:
    lift = touchpoint_lift(J, T, exclude_zero_touch=False)
    assert tuple(lift.columns) == LIFT_COLUMNS
    r = lift.set_index("touchpoint")
    web = r.loc["channel: Webinar"]  # j1, j2, j6 (2 convert) vs j3, j4, j5 (1 converts)
    assert (web["journeys_with"], web["conversions_with"]) == (3, 2)
    assert (web["journeys_without"], web["conversions_without"]) == (3, 1)
    assert web["rate_with"] == pytest.approx(2 / 3) and web["rate_without"] == pytest.approx(1 / 3)
    assert web["lift"] == pytest.approx(2.0)
    assert web["rate_difference"] == pytest.approx(1 / 3)
    assert r.loc["channel: Paid Search", "lift"] == pytest.approx(0.5)
    assert r.loc["channel: Organic Search", "lift"] == pytest.approx(1.0)
    assert r.loc["channel: Direct", "lift"] == 0.0
    assert r.loc["touch type: webinar_attendance", "lift"] == pytest.approx(2.0)
    # ranked by lift, ties by journeys then name
    assert lift["touchpoint"].tolist()[:4] == [
        "channel: Email",
        "channel: Sales",
        "touch type: demo",
        "touch type: email_click",
    ]
    assert lift["rank"].tolist() == list(range(1, len(lift) + 1))


def test_intervals_match_scipy() -> None:
    lift = touchpoint_lift(J, T, exclude_zero_touch=False).set_index("touchpoint")
    web = lift.loc["channel: Webinar"]
    ci = binomtest(2, 3).proportion_ci(confidence_level=0.95, method="wilson")
    assert (web["rate_with_low"], web["rate_with_high"]) == pytest.approx((ci.low, ci.high))
    rr = relative_risk(2, 3, 1, 3).confidence_interval(confidence_level=0.95)
    assert (web["lift_low"], web["lift_high"]) == pytest.approx((rr.low, rr.high))
    assert not web["significant"]
    lo, hi = wilson_interval(np.array([30, 0]), np.array([40, 0]), 0.9)
    ci = binomtest(30, 40).proportion_ci(confidence_level=0.9, method="wilson")
    assert (lo[0], hi[0]) == pytest.approx((ci.low, ci.high)) and np.isnan(lo[1])


def test_zero_cells_use_haldane_correction() -> None:
    lo, hi = katz_interval(np.array([0]), np.array([1]), np.array([3]), np.array([5]))
    rr = (0.5 / 2) / (3.5 / 6)
    se = math.sqrt(1 / 0.5 - 1 / 2 + 1 / 3.5 - 1 / 6)
    z = 1.959963984540054
    assert lo[0] == pytest.approx(rr * math.exp(-z * se))
    assert hi[0] == pytest.approx(rr * math.exp(z * se))
    direct = touchpoint_lift(J, T, exclude_zero_touch=False).set_index("touchpoint")
    direct = direct.loc["channel: Direct"]
    assert direct["lift"] == 0.0 and direct["lift_high"] == pytest.approx(hi[0])


def test_custom_touchpoints_pages_and_significance() -> None:
    lift = touchpoint_lift(
        J,
        T,
        exclude_zero_touch=False,
        touchpoints={
            "compare pages": {"page": "^/compare/"},
            "paid webinar": {"channel": "Webinar", "touch_type": ["webinar_attendance"]},
        },
    ).set_index("touchpoint")
    assert lift.loc["compare pages", "journeys_with"] == 1
    assert lift.loc["compare pages", "kind"] == "custom"
    assert lift.loc["paid webinar", "lift"] == pytest.approx(2.0)
    pages = touchpoint_lift(J, T, by=(), pages=["^/webinar/"])
    assert pages["touchpoint"].tolist() == ["page: ^/webinar/"]
    assert touchpoint_lift(J, T, min_journeys=3)["journeys_with"].min() >= 3
    # a strong, large effect is flagged as significant
    big = J.loc[J.index.repeat(60)].reset_index(drop=True)
    big["journey_id"] = [f"b{i}" for i in range(len(big))]
    bt = T.merge(J[["journey_id"]].assign(k=range(len(J))), on="journey_id")
    big_t = bt.loc[bt.index.repeat(60)].copy()
    big_t["journey_id"] = [f"b{k * 60 + r}" for k, r in zip(big_t["k"], big_t.groupby(
        level=0).cumcount(), strict=True)]  # fmt: skip
    strong = touchpoint_lift(big, big_t.drop(columns="k"), exclude_zero_touch=False)
    strong = strong.set_index("touchpoint")
    assert strong.loc["channel: Webinar", "lift"] == pytest.approx(2.0)
    assert strong.loc["channel: Webinar", "significant"]
    with pytest.raises(ValueError):
        touchpoint_lift(J, T, touchpoints={"x": {"colour": "red"}})


def test_zero_touch_journeys_are_left_out_by_default() -> None:
    lift = touchpoint_lift(J, T).set_index("touchpoint")
    web = lift.loc["channel: Webinar"]  # j5 (converted, no touch) no longer counts as "without"
    assert web["journeys_with"] + web["journeys_without"] == 5
    assert (web["conversions_without"], web["rate_without"]) == (0, 0.0)
    assert np.isinf(web["lift"]) and lift.index[0] == "channel: Webinar"  # inf ranks first
    assert web["lift_low"] == pytest.approx(
        3.75 * math.exp(-1.959963984540054 * math.sqrt(1 / 2.5 - 1 / 4 + 1 / 0.5 - 1 / 3))
    )


def test_z_is_the_normal_quantile_of_scipy_stats() -> None:
    from scipy import stats

    from workbench.analysis.lift import _z

    for confidence in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        assert _z(confidence) == float(stats.norm.ppf(0.5 + confidence / 2))
    with pytest.raises(ValueError, match="between 0 and 1"):
        _z(1.0)
