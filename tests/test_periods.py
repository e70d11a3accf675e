"""How start, end, period_days, compare and the lookback combine (workbench.periods)."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.errors import ValidationError
from workbench.periods import COMPARE_CHOICES, parse_day, resolve_window

END = pd.Timestamp("2026-03-31 17:30", tz="UTC")
US = pd.Timedelta("1us")


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def test_nothing_set_is_all_data_up_to_just_after_its_last_timestamp() -> None:
    w = resolve_window(data_end=END)
    assert w.period == (None, END + US)
    assert w.compare_period is None and w.touch_start is None


def test_period_days_alone_counts_back_from_the_end_of_the_data() -> None:
    w = resolve_window(data_end=END, period_days=30, lookback_days=90)
    assert w.period == (END + US - pd.Timedelta(days=30), END + US)
    assert w.touch_start == w.start - pd.Timedelta(days=90)


def test_start_and_end_are_inclusive_days() -> None:
    w = resolve_window(data_end=END, start="2026-01-01", end="2026-01-31")
    assert w.period == (ts("2026-01-01"), ts("2026-02-01"))


def test_one_date_with_period_days() -> None:
    back = resolve_window(data_end=END, end="2026-01-31", period_days=7)
    assert back.period == (ts("2026-01-25"), ts("2026-02-01"))
    forward = resolve_window(data_end=END, start="2026-01-01", period_days=7)
    assert forward.period == (ts("2026-01-01"), ts("2026-01-08"))
    open_end = resolve_window(data_end=END, start="2026-03-01")
    assert open_end.period == (ts("2026-03-01"), END + US)
    open_start = resolve_window(data_end=END, end="2026-01-31")
    assert open_start.period == (None, ts("2026-02-01"))


def test_previous_period_is_the_same_length_just_before() -> None:
    w = resolve_window(
        data_end=END, start="2026-02-01", end="2026-02-28", compare="previous_period"
    )
    assert w.compare_period == (ts("2026-01-04"), ts("2026-02-01"))
    assert w.compare_label() == "2026-01-04 to 2026-01-31"


def test_previous_year_is_the_same_dates_a_year_earlier() -> None:
    w = resolve_window(data_end=END, start="2026-02-01", end="2026-02-28", compare="previous_year")
    assert w.compare_period == (ts("2025-02-01"), ts("2025-03-01"))
    none = resolve_window(data_end=END, start="2026-02-01", compare="none")
    assert none.compare_period is None and none.compare_label() == ""


def test_bad_values_are_all_named_in_one_error() -> None:
    with pytest.raises(ValidationError) as err:
        resolve_window(
            data_end=END, start="2026-13-01", end="31/01/2026", period_days=-1, compare="last_year"
        )
    text = str(err.value)
    assert "4 problems" in text
    assert "start = '2026-13-01' is not a calendar date" in text
    assert "end = '31/01/2026': expected an ISO date YYYY-MM-DD" in text
    assert "period_days = -1" in text
    assert "compare = 'last_year': expected one of " + ", ".join(COMPARE_CHOICES) in text


def test_contradictions_are_errors() -> None:
    with pytest.raises(ValidationError, match="is after end"):
        resolve_window(data_end=END, start="2026-02-02", end="2026-02-01")
    with pytest.raises(ValidationError, match="all set"):
        resolve_window(data_end=END, start="2026-02-01", end="2026-02-10", period_days=3)
    with pytest.raises(ValidationError, match="needs a window with a start"):
        resolve_window(data_end=END, compare="previous_period")


def test_parse_day() -> None:
    assert parse_day("", "start") is None
    assert parse_day(" 2026-02-03 ", "start") == ts("2026-02-03")
    with pytest.raises(ValidationError, match="start = '2026-02-30'"):
        parse_day("2026-02-30", "start")


def test_window_problems_need_no_data_and_match_resolve_window() -> None:
    from workbench.periods import window_problems

    assert window_problems(period_days=30, compare="previous_year") == []
    assert window_problems(start="2026-01-01", compare="previous_period") == []
    assert window_problems(compare="previous_period") == [
        "compare = 'previous_period' needs a window with a start: set start or period_days"
    ]
    assert window_problems(start="2026-1-1") == [
        "start = '2026-1-1': expected an ISO date YYYY-MM-DD (or \"\" for not set)"
    ]


def test_scheduled_reports_with_bad_periods_are_refused_before_running() -> None:
    from pathlib import Path

    from workbench.report.schedule import ReportJob, check_window_values

    good = ReportJob(Path("dropoffs.ipynb"), {"period_days": 90, "compare": "previous_period"})
    check_window_values([good, ReportJob(Path("journey_map.ipynb"), {"period_days": "soon"})])
    bad = [
        ReportJob(Path("dropoffs.ipynb"), {"trend_by": "day", "end": "2026-02-30"}),
        ReportJob(Path("attribution.ipynb"), {"compare": "yesterday"}),
    ]
    with pytest.raises(ValidationError) as err:
        check_window_values(bad)
    text = str(err.value)
    assert "dropoffs: end = '2026-02-30' is not a calendar date" in text
    assert "dropoffs: trend_by = 'day': expected one of week, month" in text
    assert (
        "attribution: compare = 'yesterday': expected one of none, previous_period, previous_year"
        in text
    )
