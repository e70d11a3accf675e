"""Findings read as sentences: no ``inf``, no "1 days", nothing claimed is no claim."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.notebook.findings import (
    friction_sentence,
    lift_sentence,
    overclaim_sentence,
    segment_sentence,
    window_sentence,
)


def test_an_infinite_lift_is_not_a_finding():
    lift = pd.DataFrame(
        {
            "touchpoint": ["a demo", "a webinar attended"],
            "significant": [True, True],
            "journeys_with": [50, 40],
            "lift": [np.inf, 1.5],
            "rate_with": [0.2, 0.15],
            "rate_without": [0.0, 0.1],
        }
    )
    text = lift_sentence(lift)
    assert "inf" not in text and text.startswith("Journeys with a webinar attended")
    assert lift_sentence(lift.iloc[:1]) is None


def test_nothing_claimed_is_no_overclaim():
    counting = pd.DataFrame(
        {"metric": ["conversions"], "claimed": [0.0], "deduplicated": [20.0], "ratio": [0.0]}
    )
    assert overclaim_sentence(counting, pd.DataFrame({"platform": [], "conversions": []})) is None


def test_one_day_and_one_touch_are_singular():
    rec = pd.DataFrame({"segment": ["SMB"], "recommended_days": [1.0], "median_days": [1.0]})
    assert window_sentence(rec) == (
        "Attribution window that covers 90% of conversions: SMB 1 day (median journey 1 day)."
    )
    comparison = pd.DataFrame(
        {
            "segment": ["A"] * 3 + ["B"] * 3,
            "metric": ["median_path_length_converted", "median_duration_days", "conversion_rate"]
            * 2,
            "value": [1, 1.0, 0.5, 2, 0.0, 0.25],
        }
    )
    assert segment_sentence(comparison) == (
        "Typical converting journey - A: 1 touch over 1 day, 50% convert; "
        "B: 2 touches over 0 days, 25% convert."
    )


def test_a_funnel_nobody_reaches_has_no_biggest_drop_off():
    """Spend or e-mail only projects: 0 journeys reach the first stage; no 'nan% of the 0'."""
    friction = pd.DataFrame(
        {
            "from_stage": ["awareness", "consideration"],
            "to_stage": ["consideration", "decision"],
            "entrants": [0, 0],
            "lost_journeys": [0, 0],
            "drop_off_rate": [np.nan, np.nan],
        }
    )
    assert friction_sentence(friction, segment="all") is None
    friction.loc[1, ["entrants", "lost_journeys", "drop_off_rate"]] = [4, 1, 0.25]
    assert friction_sentence(friction, segment="all") == (
        "The biggest drop-off in all journeys is consideration -> decision: 25% of the 4 "
        "journeys that reach consideration go no further."
    )
