"""The trended (cohort) funnel and its figure, on the hand-built journeys of journey_fixtures.

Cohorts by first touch (conversion for j5): j2 2026-01-20, j1 2026-02-19, j3 2026-02-23,
j6 2026-02-28, j4 and j5 2026-03-01.
"""

from __future__ import annotations

import pandas as pd
import pytest
from journey_fixtures import STAGES, tables

from workbench.errors import ValidationError
from workbench.funnels import stage_funnel, trended_funnel
from workbench.plots.funnels import plot_trended_funnel

J, T = tables()


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def test_monthly_cohorts_hand_computed() -> None:
    trend = trended_funnel(J, T, STAGES, freq="month")
    assert trend["period"].unique().tolist() == [
        ts("2026-01-01"),
        ts("2026-02-01"),
        ts("2026-03-01"),
    ]
    feb = trend[trend["period"] == ts("2026-02-01")]
    # j1, j3, j6 touch awareness; j1 and j6 attend a webinar; none reaches decision
    assert feb["journeys"].unique().tolist() == [3]
    assert feb["entrants"].tolist() == [3, 2, 0, 0]
    assert feb["conversions"].tolist() == [1, 1, 0, 0]  # j1 converts
    assert feb["share_of_journeys"].tolist() == pytest.approx([1, 2 / 3, 0, 0])
    march = trend[trend["period"] == ts("2026-03-01")]
    assert march["entrants"].tolist() == [1, 0, 0, 0]  # j4; j5 has no touch
    assert march["share_of_journeys"].tolist() == pytest.approx([0.5, 0, 0, 0])


def test_weekly_cohorts_start_on_monday_and_add_up_to_the_whole_funnel() -> None:
    trend = trended_funnel(J, T, STAGES, freq="week")
    weeks = trend.groupby("period")["journeys"].first()
    assert weeks.to_dict() == {ts("2026-01-19"): 1, ts("2026-02-16"): 1, ts("2026-02-23"): 4}
    whole = stage_funnel(J, T, STAGES)
    by_step = trend.groupby("step")["entrants"].sum().tolist()
    assert by_step == whole["entrants"].tolist() == [5, 3, 1, 1]


def test_bad_frequency_names_the_allowed_values() -> None:
    with pytest.raises(ValidationError, match="freq = 'day'; expected one of week, month"):
        trended_funnel(J, T, STAGES, freq="day")


def test_trend_figure_draws_one_line_per_stage_with_the_shares() -> None:
    trend = trended_funnel(J, T, STAGES, freq="month")
    ax = plot_trended_funnel(trend)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ["Awareness", "Consideration", "Decision", "Conversion"]
    assert lines["Consideration"].get_ydata().tolist() == pytest.approx([1, 2 / 3, 0])
    assert len(lines["Awareness"].get_xdata()) == 3
    entrants = plot_trended_funnel(trend, metric="entrants")
    assert entrants.get_lines()[0].get_ydata().tolist() == [1, 3, 1]
    with pytest.raises(ValueError, match="expected one of"):
        plot_trended_funnel(trend, metric="rate")
