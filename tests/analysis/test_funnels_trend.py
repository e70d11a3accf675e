"""The trended (cohort) funnel and its figure, on the hand-built journeys of journey_fixtures.

Every fixture journey ends on 2026-03-01; here j2 is moved 35 days earlier (it ends on
Sunday 2026-01-25) and j4 and j6 10 days earlier (Thursday 2026-02-19), touches and
conversion alike. Cohorts are by the end of the journey (conversion, else last touch).
"""

from __future__ import annotations

import pandas as pd
import pytest
from journey_fixtures import STAGES, tables

from workbench.analysis.funnels import stage_funnel, trended_funnel
from workbench.errors import ValidationError
from workbench.plots.funnels import plot_trended_funnel


def _shifted() -> tuple[pd.DataFrame, pd.DataFrame]:
    journeys, touches = tables()
    back = {"j2": 35, "j4": 10, "j6": 10}
    jd = pd.to_timedelta(journeys["journey_id"].map(back).fillna(0), unit="D")
    td = pd.to_timedelta(touches["journey_id"].map(back).fillna(0), unit="D")
    journeys = journeys.assign(
        conversion_ts=journeys["conversion_ts"] - jd, first_ts=journeys["first_ts"] - jd
    )
    return journeys, touches.assign(ts=touches["ts"] - td)


J, T = _shifted()


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def test_monthly_cohorts_hand_computed() -> None:
    trend = trended_funnel(J, T, STAGES, freq="month")
    months = [ts("2026-01-01"), ts("2026-02-01"), ts("2026-03-01")]
    assert trend["period"].unique().tolist() == months
    by = {m: trend[trend["period"] == m] for m in months}
    # January: j2 goes session > webinar > demo > deal won
    assert by[months[0]]["entrants"].tolist() == [1, 1, 1, 1]
    # February: j4 (a session) and j6 (ad click > webinar, not converted)
    assert by[months[1]]["journeys"].unique().tolist() == [2]
    assert by[months[1]]["entrants"].tolist() == [2, 1, 0, 0]
    assert by[months[1]]["conversions"].tolist() == [0, 0, 0, 0]
    # March: j1 (ad click > webinar > e-mail to /pricing), j3 (never considers), j5 (no touch)
    assert by[months[2]]["entrants"].tolist() == [2, 1, 0, 0]
    assert by[months[2]]["share_of_journeys"].tolist() == pytest.approx([2 / 3, 1 / 3, 0, 0])
    assert by[months[2]]["conversions"].tolist() == [1, 1, 0, 0]  # j1 converts


def test_weekly_cohorts_start_on_monday_and_add_up_to_the_whole_funnel() -> None:
    trend = trended_funnel(J, T, STAGES, freq="week")
    weeks = trend.groupby("period")["journeys"].first()
    assert weeks.to_dict() == {ts("2026-01-19"): 1, ts("2026-02-16"): 2, ts("2026-02-23"): 3}
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
    assert lines["Consideration"].get_ydata().tolist() == pytest.approx([1, 1 / 2, 1 / 3])
    assert len(lines["Awareness"].get_xdata()) == 3
    entrants = plot_trended_funnel(trend, metric="entrants")
    assert entrants.get_lines()[0].get_ydata().tolist() == [1, 2, 2]
    with pytest.raises(ValueError, match="expected one of"):
        plot_trended_funnel(trend, metric="rate")
