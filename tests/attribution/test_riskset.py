"""Risk-set rows of the incrementality model on tiny hand-built journeys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.attribution.test_incrementality import DOUBLES, EXACT, cells, credit
from workbench.attribution import paths_from_journeys, run_models
from workbench.attribution.incrementality import BASELINE
from workbench.attribution.riskset import risk_set_rows

DAY = pd.Timedelta(days=1)


def _journeys(rows):
    """``(journey, converted, [(channel, day after the first touch)])`` -> tables.

    A converting journey converts on its last listed day; ``days_to_conversion`` is
    counted to the conversion, or to the last touch (as the journey builder does).
    """
    start = pd.Timestamp("2026-03-01", tz="UTC")
    touches, journeys = [], []
    for jid, converted, seq in rows:
        end = seq[-1][1]
        for pos, (ch, day) in enumerate(seq):
            touches.append(
                {"journey_id": jid, "position": pos, "channel": ch, "ts": start + day * DAY,
                 "days_to_conversion": end - day}
            )  # fmt: skip
        journeys.append(
            {"journey_id": jid, "converted": converted, "value": 1.0 if converted else 0.0,
             "conversion_ts": start + end * DAY if converted else pd.NaT}
        )  # fmt: skip
    return pd.DataFrame(touches), pd.DataFrame(journeys)


def test_non_converting_journeys_are_cut_at_the_quantiles_of_time_to_conversion():
    touches, journeys = _journeys(
        [
            ("c1", True, [("A", 0), ("B", 2)]),  # converts 2 days after its first touch
            ("c2", True, [("A", 0), ("B", 4)]),  # 4 days
            ("n1", False, [("A", 0), ("C", 3), ("B", 5)]),
            ("n2", False, [("A", 4), ("C", 5)]),  # observed 1 day: at risk at no cut
        ]
    )
    paths = paths_from_journeys(touches, journeys)
    rows = risk_set_rows(paths, 2)
    # quantiles 0.25 and 0.75 of (2, 4)
    assert rows.cut_days.tolist() == pytest.approx([2.5, 3.5])
    big = rows.paths
    names = np.asarray(big.channels)
    got = [
        names[big.codes[a:b]].tolist()
        for a, b in zip(big.offsets[:-1], big.offsets[1:], strict=True)
    ]
    # the input paths first, unchanged, then n1 and n2 cut at 2.5 and at 3.5 days
    assert got == [
        *(["A", "B"], ["A", "B"], ["A", "C", "B"], ["A", "C"]),
        *(["A"], ["A", "C"], ["A", "C"], ["A", "C"]),
    ]
    # n2's data end 1 day after its first touch (the latest time is day 5): not fitted
    assert paths.exposure_days.tolist() == pytest.approx([5, 5, 5, 1])
    assert rows.fit.tolist() == [0, 1, 4, 6]
    assert rows.y.tolist() == [1, 1, 0, 0]
    assert rows.weight.tolist() == [1, 1, 0.5, 0.5]
    assert rows.source.tolist() == [0, 1, 2, 2]
    with pytest.raises(ValueError, match="risk_set_cuts"):
        risk_set_rows(paths, 0)


def _late_b():
    """DOUBLES, but every non-converting A journey also sees B 5 days after its first touch.

    Every conversion comes 1 day after the first touch, so by then those journeys were
    DOUBLES' A-only journeys: B's late touch is what a journey that did not convert goes
    on to collect.
    """
    touches, journeys = cells(DOUBLES)
    touches["days_to_conversion"] = 1.0 - touches["position"] / 24
    a_only = journeys["journey_id"].isin(touches.groupby("journey_id").filter(
        lambda t: t["channel"].tolist() == ["A"])["journey_id"])  # fmt: skip
    late = journeys.loc[a_only & ~journeys["converted"], "journey_id"]
    extra = pd.DataFrame(
        {"journey_id": late, "position": 1, "channel": "B",
         "ts": pd.Timestamp("2026-03-06", tz="UTC"), "days_to_conversion": 0.0}
    )  # fmt: skip
    first = touches["journey_id"].isin(late)
    touches.loc[first, "days_to_conversion"] = 5.0  # days to the journey's last touch
    return pd.concat([touches, extra], ignore_index=True), journeys


@pytest.mark.parametrize("cuts", [1, 3])
def test_the_risk_set_fit_ignores_touches_after_the_time_others_converted(cuts):
    touches, journeys = _late_b()
    out = run_models(touches, journeys, ["incrementality"], risk_set_cuts=cuts, **EXACT)
    # cut at 1 day the non-converting journeys are DOUBLES' again: its exact credits
    assert credit(out, "B") == pytest.approx(10.0, abs=1e-4)
    assert credit(out, "A") == pytest.approx(0.0, abs=1e-4)
    assert credit(out, BASELINE) == pytest.approx(15.0, abs=1e-4)
    # whole journeys: B is in 45 more non-converting journeys and looks weaker
    whole = run_models(touches, journeys, ["incrementality"], **EXACT)
    assert credit(whole, "B") < 9.0
    assert whole["conversions"].sum() == pytest.approx(25.0)
