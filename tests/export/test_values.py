"""Value per conversion by model, channel -> platform mapping, platform comparison, clicks."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.errors import ValidationError
from workbench.export import platform_value_comparison
from workbench.export.clicks import select_clicks
from workbench.export.values import NO_CREDIT, NO_JOURNEY, conversion_values, credit_platforms


def utc(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True, format="ISO8601"))


CONVERSIONS = pd.DataFrame(
    {
        "ts": utc("2026-03-01T10:00:00", "2026-03-02T10:00:00", "2026-03-03T10:00:00"),
        "conversion_type": ["purchase", "lead", "purchase"],
        "value": [100.0, 50.0, 70.0],
        "person_id": ["p1", "p2", "p3"],
    }
)
JOURNEYS = pd.DataFrame(
    {
        "journey_id": ["j1", "j2", "j3"],
        "person_id": ["p1", "p2", "p9"],
        "converted": [True, True, False],
        "conversion_type": ["purchase", "lead", None],
        "conversion_ts": utc("2026-03-01T10:00:00", "2026-03-02T10:00:00", "NaT"),
        "value": [100.0, 50.0, 0.0],
    }
)
#: linear: j1 = 40 brand search + 35 Meta + 25 email; j2 = 50 organic.
#: last_click: j1 = 100 Meta; j2 = 50 organic.
CREDITS = pd.DataFrame(
    {
        "journey_id": ["j1", "j1", "j1", "j2", "j1", "j2"],
        "position": [0, 1, 2, 0, 1, 0],
        "channel": [
            "Paid Search - Brand",
            "Paid Social - Meta",
            "Email",
            "Organic Search",
            "Paid Social - Meta",
            "Organic Search",
        ],
        "model": ["linear", "linear", "linear", "linear", "last_click", "last_click"],
        "credit": [0.4, 0.35, 0.25, 1.0, 1.0, 1.0],
        "value_credit": [40.0, 35.0, 25.0, 50.0, 100.0, 50.0],
    }
)


def test_full_model_sends_the_conversion_value() -> None:
    out = conversion_values(CONVERSIONS, platform="meta")
    assert out["value_sent"].tolist() == [100.0, 50.0, 70.0]
    assert out["value_reason"].isna().all()


def test_model_sends_the_platform_share_and_reports_zero_and_missing_journeys() -> None:
    google = conversion_values(
        CONVERSIONS, platform="google_ads", model="linear", credits=CREDITS, journeys=JOURNEYS
    )
    assert google["journey_id"].tolist()[:2] == ["j1", "j2"]
    assert google["value_sent"].tolist()[:2] == [40.0, 0.0]
    assert google["value_reason"].tolist()[1:] == [NO_CREDIT, NO_JOURNEY]
    meta = conversion_values(
        CONVERSIONS, platform="meta", model="last_click", credits=CREDITS, journeys=JOURNEYS
    )
    assert meta["value_sent"].iloc[0] == 100.0


def test_touch_platform_column_wins_over_channel_mapping() -> None:
    touches = pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j1"],
            "position": [0, 1, 2],
            "platform": ["Google", None, "google_ads"],  # email touch re-labelled on purpose
        }
    )
    linear = CREDITS[CREDITS["model"] == "linear"]
    owners = credit_platforms(linear, touches)
    assert owners.tolist()[:3] == ["google_ads", "meta", "google_ads"]
    assert pd.isna(owners.iloc[3])
    out = conversion_values(
        CONVERSIONS.iloc[:1],
        platform="google_ads",
        model="linear",
        credits=CREDITS,
        journeys=JOURNEYS,
        touches=touches,
    )
    assert out["value_sent"].tolist() == [65.0]


def test_custom_channel_mapping() -> None:
    owners = credit_platforms(CREDITS, channel_platforms={"Email": "linkedin"})
    assert owners.tolist()[2] == "linkedin"
    assert owners.isna().sum() == 5


def test_conversion_id_links_journeys_when_both_have_it() -> None:
    conversions = CONVERSIONS.assign(conversion_id=["X", "Y", "Z"], person_id=None)
    journeys = JOURNEYS.assign(conversion_id=["Y", "X", None])
    out = conversion_values(
        conversions, platform="google_ads", model="linear", credits=CREDITS, journeys=journeys
    )
    assert out["journey_id"].tolist()[:2] == ["j2", "j1"]
    assert out["value_sent"].tolist()[:2] == [0.0, 40.0]


def test_platform_value_comparison_long_frame() -> None:
    spend = pd.DataFrame(
        {
            "platform": ["google_ads", "Google Ads", "meta"],
            "platform_conversion_value": [100.0, 200.0, 80.0],
        }
    )
    out = platform_value_comparison(CREDITS, JOURNEYS, None, spend)
    assert list(out.columns) == ["platform", "model", "value_sent", "value_claimed"]
    got = {(r.platform, r.model): (r.value_sent, r.value_claimed) for r in out.itertuples()}
    assert got == {
        # full: every converted journey the platform touched, at full value (j1 = 100)
        ("google_ads", "full"): (100.0, 300.0),
        ("google_ads", "last_click"): (0.0, 300.0),
        ("google_ads", "linear"): (40.0, 300.0),
        ("meta", "full"): (100.0, 80.0),
        ("meta", "last_click"): (100.0, 80.0),
        ("meta", "linear"): (35.0, 80.0),
    }
    assert out["platform"].tolist() == ["google_ads"] * 3 + ["meta"] * 3


def test_platform_value_comparison_names_missing_columns() -> None:
    with pytest.raises(ValidationError, match="value_credit"):
        platform_value_comparison(
            CREDITS.drop(columns="value_credit"), JOURNEYS, None, pd.DataFrame({"platform": []})
        )


def test_select_clicks_most_recent_in_window_then_own_click() -> None:
    conversions = pd.DataFrame(
        {
            "ts": utc("2026-03-01T12:00:00", "2026-03-01T12:00:00", "2026-03-01T12:00:00"),
            "person_id": ["p1", "p2", "p3"],
            "gclid": ["OWN", "OWN2", None],
        }
    )
    touchpoints = pd.DataFrame(
        {
            "ts": utc(
                "2026-01-20T00:00:00",  # p1 gclid, 40 days before
                "2026-02-19T12:00:00",  # p1 gbraid, 10 days before: most recent
                "2026-03-01T13:00:00",  # p1 after the conversion: ignored
                "2026-02-28T00:00:00",  # p3 gclid and gbraid at the same time
                "2026-02-28T00:00:00",
                "2026-01-01T00:00:00",  # OWN2 seen earlier by someone else
            ),
            "person_id": ["p1", "p1", "p1", "p3", "p3", "p8"],
            "gclid": ["A", None, "C", "G", None, "OWN2"],
            "gbraid": [None, "B", None, None, "H", None],
        }
    )
    out = select_clicks(conversions, touchpoints, platform="google_ads")
    assert out["click_id"].tolist() == ["B", "OWN2", "G"]
    assert out["click_kind"].tolist() == ["gbraid", "gclid", "gclid"]
    assert out["click_from"].tolist() == ["touchpoint", "conversion", "touchpoint"]
    assert out["click_ts"].tolist()[1] == pd.Timestamp("2026-01-01", tz="UTC")
    short = select_clicks(conversions, touchpoints, platform="google_ads", window_days=5)
    assert short["click_id"].tolist()[0] == "OWN"
    assert pd.isna(short["click_ts"].iloc[0])


def test_fbc_first_seen_is_earliest_sighting() -> None:
    conversions = pd.DataFrame({"ts": utc("2026-03-05T00:00:00"), "person_id": ["p1"]})
    touchpoints = pd.DataFrame(
        {
            "ts": utc("2026-03-01T00:00:00", "2026-03-03T00:00:00"),
            "person_id": ["p1", "p1"],
            "fbclid": ["F", "F"],
        }
    )
    out = select_clicks(conversions, touchpoints, platform="meta")
    assert out["click_ts"].iloc[0] == pd.Timestamp("2026-03-03", tz="UTC")
    assert out["first_seen"].iloc[0] == pd.Timestamp("2026-03-01", tz="UTC")
