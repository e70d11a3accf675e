"""What-is-missing sentences and the counting-rules line of every report."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from workbench.config import JourneyConfig
from workbench.journeys.build import JourneySet
from workbench.report import gaps


def _ws(*, conversions=(), spend_rows=0, segments=None, stages=None, conversion_types=None):
    conv = pd.DataFrame({"conversion_type": list(conversions), "ts": pd.NaT})
    spend = pd.DataFrame({"spend": [1.0] * spend_rows})
    first = pd.Timestamp("2026-01-01", tz="UTC")
    ws = SimpleNamespace(
        prepared=SimpleNamespace(conversions=conv, spend=spend),
        config=SimpleNamespace(
            journeys=JourneyConfig(conversion_types=conversion_types), stages=stages or {}
        ),
        segments=lambda: dict(segments or {}),
        data_range=lambda: (first, first + pd.Timedelta(hours=5)),
        period=lambda days=0, end="", start="": (None, first + pd.Timedelta(hours=6)),
    )
    return ws


def _js(converted, *, excluded=None, **settings):
    journeys = pd.DataFrame({"converted": converted})
    base = {"unit": "person", "lookback_days": 1, "touch_types": None, "conversion_types": None}
    return JourneySet(
        journeys=journeys,
        touches=pd.DataFrame(),
        excluded=excluded
        if excluded is not None
        else pd.DataFrame(columns=["table", "reason", "rows"]),
        settings={**base, **settings},
    )


def test_no_conversions_at_all_says_how_to_map_conversion_events():
    text, values = gaps.no_conversions(_ws(), _js([False, False]))
    assert "No conversions were found" in text and "conversion_events" in text


def test_conversions_of_uncounted_types_name_both_lists():
    ws = _ws(conversions=["lead", "lead"], conversion_types=("purchase",))
    text, values = gaps.no_conversions(ws, _js([False]))
    assert "conversion_types" in text
    assert values == {"n": "2 conversions", "found": "lead", "counted": "purchase"}


def test_nothing_is_missing_when_a_journey_converted_or_data_is_there():
    ws = _ws(conversions=["purchase"], spend_rows=2, segments={"smb": 1}, stages={"a": {}})
    assert gaps.no_conversions(ws, _js([True, False])) is None
    assert gaps.no_spend(ws) is None and gaps.no_segments(ws) is None
    assert gaps.no_stages(ws) is None


def test_no_spend_segments_or_stages_each_name_the_config_to_add():
    ws = _ws()
    assert "spend" in gaps.no_spend(ws)[0] and "[[sources]]" in gaps.no_spend(ws)[0]
    assert "[segments.NAME]" in gaps.no_segments(ws)[0]
    assert "[stages.NAME]" in gaps.no_stages(ws)[0]


def test_period_of_a_single_day_is_one_date():
    assert gaps.period_text(_ws()) == "2026-01-01"


def test_counting_rules_state_period_counts_types_and_exclusions():
    excluded = pd.DataFrame(
        {"table": ["touchpoints", "conversions"], "reason": ["internal or test person"] * 2,
         "rows": [3, 1]}
    )  # fmt: skip
    js = _js([True, False, False], excluded=excluded, conversion_types=("deal_won",),
             touch_types=("email_open",))  # fmt: skip
    text, values = gaps.counting_rules(_ws(), js)
    assert values["period"] == "2026-01-01"
    assert values["journeys"] == "3 journeys" and values["converted"] == "1 converted"
    assert values["conversions"] == "deal won" and values["touches"] == "email open"
    assert values["lookback"] == "1 day"
    assert values["left"] == "; left out: 4 rows (internal or test person)"
