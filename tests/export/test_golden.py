"""Golden-file format tests for the platform exports (files in tests/data/export_golden/)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.export import export_conversions
from workbench.export.linkedin import linkedin_batches
from workbench.export.meta import meta_batches

GOLDEN = Path(__file__).parents[1] / "data" / "export_golden"
TEST_EMAIL_SHA = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
NOW = "2026-03-10 12:00:00+00:00"


def utc(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True, format="ISO8601"))


def google_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    conversions = pd.DataFrame(
        {
            "ts": utc(
                "2026-03-01T14:30:00", "2026-03-09T15:00:00", "2026-03-02T16:45:10", "2025-11-01"
            ),
            "conversion_type": ["purchase", "lead", "deal_won", "purchase"],
            "value": [120.0, 45.5, 2500.0, 10.0],
            "currency": ["USD", "usd", "EUR", "USD"],
            "conversion_id": ["D-1", "L-2", "D-3", "D-4"],
            "person_id": ["p1", "p2", "p3", "p4"],
            "email": [None, None, " John.Smith@GMail.com ", None],
            "phone": [None, None, "(415) 555-0123", None],
            "gclid": ["Cj0KCQiA-form", None, None, "Cj0KCQiA-old"],
            "gbraid": [None, "gb-123", None, None],
        }
    )
    touchpoints = pd.DataFrame(
        {
            "ts": utc("2026-02-20T10:00:00", "2026-02-28T20:00:00", "2026-03-02T08:00:00"),
            "person_id": ["p1", "p1", "p1"],
            "touch_type": ["ad_click"] * 3,
            "gclid": ["Cj0KCQiA-older", "Cj0KCQiA-latest", "Cj0KCQiA-after"],
        }
    )
    return conversions, touchpoints


NAMES = {
    "purchase": "Offline Purchase",
    "lead": "Qualified Lead",
    "deal_won": "Closed Won, Enterprise",
}


def test_google_ads_files_match_golden(tmp_path: Path) -> None:
    conversions, touchpoints = google_inputs()
    result = export_conversions(
        conversions,
        platform="google_ads",
        touchpoints=touchpoints,
        now=NOW,
        timezone="America/New_York",
        conversion_name=NAMES,
        out=tmp_path / "google_ads.csv",
    )
    names = sorted(p.name for p in result.paths)
    assert names == ["google_ads.csv", "google_ads_enhanced_leads.csv", "google_ads_gbraid.csv"]
    for path in result.paths:
        assert path.read_text(encoding="utf-8") == (GOLDEN / path.name).read_text(), path.name
    assert result.rows_written == 3
    assert result.rejected["row"].tolist() == [3]
    assert result.rejected["reason"].str.contains("older than 90 days").all()


def test_google_ads_utc_declares_plus_0000(tmp_path: Path) -> None:
    conversions, touchpoints = google_inputs()
    result = export_conversions(
        conversions.iloc[[0]],
        platform="google_ads",
        touchpoints=touchpoints,
        now=NOW,
        conversion_name=NAMES,
        out=tmp_path / "utc.csv",
    )
    assert result.paths == (tmp_path / "utc.csv",)
    assert (tmp_path / "utc.csv").read_text() == (GOLDEN / "google_ads_utc.csv").read_text()


def test_meta_payload_matches_golden(tmp_path: Path) -> None:
    conversions = pd.DataFrame(
        {
            "ts": utc(
                "2026-03-09T10:00:00",
                "2026-03-06T08:00:00",
                "2026-03-01T10:00:00",
                "2026-03-09T10:00:00",
            ),
            "conversion_type": ["purchase", "lead", "lead", "purchase"],
            "value": [120.0, 30.0, 5.0, 120.0],
            "currency": ["USD", "GBP", "USD", "USD"],
            "conversion_id": ["D-1", None, "L-3", "D-1"],
            "person_id": ["p1", "p2", "p3", "p1"],
            "email": [TEST_EMAIL_SHA, None, TEST_EMAIL_SHA, TEST_EMAIL_SHA],
            "phone": [None, "+44 20 7946 0958", None, None],
            "fbp": ["fb.1.1772000000000.1234567890", None, None, None],
            "client_ip_address": ["203.0.113.7", None, None, None],
            "client_user_agent": ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)", None, None, None],
            "event_source_url": ["https://shop.example.com/checkout/thank-you", None, None, None],
        }
    )
    touchpoints = pd.DataFrame(
        {
            "ts": utc("2026-03-08T09:00:00"),
            "person_id": ["p1"],
            "touch_type": ["ad_click"],
            "fbclid": ["IwAR2F4-dbP0l7Mn1IawQQ"],
        }
    )
    out = tmp_path / "meta.json"
    result = export_conversions(
        conversions, platform="meta", touchpoints=touchpoints, now=NOW, out=out
    )
    assert json.loads(out.read_text()) == json.loads((GOLDEN / "meta_events.json").read_text())
    reasons = dict(zip(result.rejected["row"], result.rejected["reason"], strict=True))
    assert reasons[2].startswith("conversion older than 7 days")
    assert reasons[3].startswith("duplicate")


def test_linkedin_payload_matches_golden(tmp_path: Path) -> None:
    conversions = pd.DataFrame(
        {
            "ts": utc("2026-03-01T14:30:00", "2026-03-05T18:20:30", "2026-03-05T18:20:30"),
            "conversion_type": ["purchase", "signup", "signup"],
            "value": [120.5, 10.0, 10.0],
            "currency": ["USD", "eur", "EUR"],
            "conversion_id": ["D-1", "S-2", "S-3"],
            "person_id": ["p1", "p2", "p3"],
            "email": [TEST_EMAIL_SHA, None, None],
            "li_fat_id": ["a1b2c3d4-e5f6-7890-abcd-ef1234567890", None, None],
        }
    )
    touchpoints = pd.DataFrame(
        {
            "ts": utc("2026-02-20T09:00:00"),
            "person_id": ["p2"],
            "touch_type": ["ad_click"],
            "li_fat_id": ["f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f"],
        }
    )
    out = tmp_path / "linkedin.json"
    result = export_conversions(
        conversions,
        platform="linkedin",
        touchpoints=touchpoints,
        now=NOW,
        conversion_name={"purchase": "urn:lla:llaPartnerConversion:123456"},
        out=out,
    )
    assert json.loads(out.read_text()) == json.loads((GOLDEN / "linkedin_events.json").read_text())
    assert result.rejected["reason"].tolist() == ["no hashed email and no li_fat_id to match on"]
    assert any("placeholder" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("builder", "key", "size"), [(meta_batches, "data", 1000), (linkedin_batches, "elements", 5000)]
)
def test_batches_respect_platform_limits(builder, key: str, size: int) -> None:
    events = [{"n": i} for i in range(size + 1)]
    bodies = builder(events)
    assert [len(b[key]) for b in bodies] == [size, 1]
    assert bodies[1][key][0] == {"n": size}
