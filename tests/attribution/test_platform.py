"""Platform-reported conversions, click-window claims and the double-counting ratio."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.attribution import click_window_claims, double_counting, platform_reported
from workbench.errors import ValidationError

CONV = pd.Timestamp("2026-05-31", tz="UTC")


def test_platform_reported_sums_the_spend_table():
    spend = pd.DataFrame(
        {
            "date": ["2026-05-01", "2026-05-02", "2026-05-01"],
            "platform": ["meta", "meta", "google_ads"],
            "spend": [10.0, 20.0, 50.0],
            "platform_conversions": [3.0, None, 4.0],
            "platform_conversion_value": [30.0, 5.0, 80.0],
        }
    )
    out = platform_reported(spend)
    assert out["platform"].tolist() == ["google_ads", "meta"]
    assert out["conversions"].tolist() == [4.0, 3.0]
    assert out["value"].tolist() == [80.0, 35.0]
    assert out["spend"].tolist() == [50.0, 30.0]
    with pytest.raises(ValidationError, match="must be a number >= 0"):
        platform_reported(spend.assign(spend=[1.0, -2.0, 3.0]))


@pytest.fixture
def tables():
    # j1 (value 100): Google click 20 days before, Meta click 5 days before -> both claim.
    # j2 (value 50): Meta click 10 days before (outside Meta's 7 days), LinkedIn 25 days.
    # j3 (value 10): Google impression only (not a click) -> nobody claims.
    # j4: not converted, Meta click -> nothing to claim.
    rows = [
        ("j1", 0, 20, "Paid Search", "google_ads", "ad_click"),
        ("j1", 1, 5, "Paid Social", "meta", "ad_click"),
        ("j1", 2, 1, "Paid Social", "meta", "ad_click"),
        ("j2", 0, 10, "Paid Social", "meta", "ad_click"),
        ("j2", 1, 25, "Paid Social", "linkedin", "ad_click"),
        ("j3", 0, 2, "Display", "google_ads", "ad_impression"),
        ("j4", 0, 1, "Paid Social", "meta", "ad_click"),
    ]
    touches = pd.DataFrame(
        [(j, p, CONV - pd.Timedelta(days=d), c, pl, tt) for j, p, d, c, pl, tt in rows],
        columns=["journey_id", "position", "ts", "channel", "platform", "touch_type"],
    )
    journeys = pd.DataFrame(
        {
            "journey_id": ["j1", "j2", "j3", "j4"],
            "converted": [True, True, True, False],
            "value": [100.0, 50.0, 10.0, 0.0],
            "conversion_ts": [CONV, CONV, CONV, pd.NaT],
        }
    )
    return touches, journeys


def test_click_window_claims_by_hand(tables):
    out = click_window_claims(*tables).set_index("platform")
    assert out.index.tolist() == ["google_ads", "meta", "linkedin"]
    assert out["conversions"].tolist() == [1.0, 1.0, 1.0]
    assert out["value"].tolist() == [100.0, 100.0, 50.0]
    assert out["window_days"].tolist() == [30.0, 7.0, 30.0]
    # A 14-day Meta window also claims j2.
    wide = click_window_claims(*tables, windows={"meta": 14}).set_index("platform")
    assert wide.loc["meta", "conversions"] == 2.0 and wide.loc["meta", "value"] == 150.0


def test_channel_platform_mapping_when_touches_have_no_platform(tables):
    touches, journeys = tables
    mapping = {"Paid Search": "google_ads", "Paid Social": "meta"}
    out = click_window_claims(
        touches.drop(columns="platform"), journeys, channel_platform=mapping, windows={"meta": 30}
    )
    assert out["conversions"].tolist() == [2.0]  # j1 and j2 (LinkedIn click mapped to meta)
    with pytest.raises(ValidationError, match="channel_platform"):
        click_window_claims(touches.drop(columns="platform"), journeys)


def test_double_counting_ratio(tables):
    touches, journeys = tables
    claims = click_window_claims(touches, journeys)
    out = double_counting(claims, journeys).set_index("metric")
    # Claims: 3 conversions worth 250 against 3 real conversions worth 160.
    assert out.loc["conversions", "claimed"] == 3.0
    assert out.loc["conversions", "deduplicated"] == 3.0
    assert out.loc["conversions", "ratio"] == pytest.approx(1.0)
    assert out.loc["value", "ratio"] == pytest.approx(250 / 160)
