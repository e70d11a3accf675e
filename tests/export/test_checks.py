"""Pre-send rules: event age, formats, required keys, duplicates, and the no-PII guard."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.export import PIILeakError, export_conversions
from workbench.export.checks import assert_no_pii, find_pii, walk_strings

NOW = pd.Timestamp("2026-03-10 12:00:00", tz="UTC")
SHA = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"


def conversions(ts: list[str], **columns: list) -> pd.DataFrame:
    n = len(ts)
    frame = {
        "ts": pd.to_datetime(ts, utc=True, format="ISO8601"),
        "conversion_type": ["purchase"] * n,
        "value": [10.0] * n,
        "currency": ["USD"] * n,
        "conversion_id": [f"C-{i}" for i in range(n)],
        "email": [SHA] * n,
    }
    frame.update(columns)
    return pd.DataFrame(frame)


def reasons(result) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for row, reason in zip(result.rejected["row"], result.rejected["reason"], strict=True):
        out.setdefault(int(row), []).append(reason)
    return out


@pytest.mark.parametrize(("platform", "days"), [("meta", 7), ("google_ads", 90), ("linkedin", 90)])
def test_maximum_event_age_per_platform(platform: str, days: int) -> None:
    edge = NOW - pd.Timedelta(days=days)
    frame = conversions(
        [edge.isoformat(), (edge - pd.Timedelta(seconds=1)).isoformat(), "2026-03-10T13:00:00Z"],
        conversion_id=["A", "B", "C"],
    )
    result = export_conversions(frame, platform=platform, now=NOW, write=False)
    got = reasons(result)
    assert set(got) == {1, 2}
    assert got[1] == [
        f"conversion older than {days} days ({result_label(platform)} accepts "
        f"at most {days} days back)"
    ]
    assert got[2] == ["conversion time is in the future"]
    assert result.sent["conversion_id"].tolist() == ["A"]


def result_label(platform: str) -> str:
    return {"meta": "Meta", "google_ads": "Google Ads", "linkedin": "LinkedIn"}[platform]


def test_google_click_age_rules() -> None:
    frame = conversions(
        ["2025-12-15T00:00:00Z", "2026-03-10T11:00:00Z", "2026-03-01T00:00:00Z"],
        person_id=["p1", "p2", "p3"],
    )
    touchpoints = pd.DataFrame(
        {
            "ts": pd.to_datetime(
                ["2025-12-01T00:00:00Z", "2026-03-10T10:00:00Z", "2026-02-27T00:00:00Z"], utc=True
            ),
            "person_id": ["p1", "p2", "p3"],
            "gclid": ["G1", "G2", "G3"],
        }
    )
    result = export_conversions(
        frame, platform="google_ads", touchpoints=touchpoints, now=NOW, write=False
    )
    got = reasons(result)
    assert got == {
        0: ["Google click older than 90 days (EXPIRED_EVENT)"],
        1: ["Google click less than 6 hours old (TOO_RECENT_EVENT); send it later"],
    }
    assert result.sent["click_id"].tolist() == ["G3"]


def test_value_and_currency_formats() -> None:
    frame = conversions(
        ["2026-03-09T00:00:00Z"] * 5,
        value=[-1.0, float("nan"), 5.0, 5.0, 0.0],
        currency=["USD", "USD", "US", None, "eur"],
    )
    result = export_conversions(frame, platform="meta", now=NOW, write=False)
    assert reasons(result) == {
        0: ["conversion value is negative"],
        1: ["conversion value missing or not numeric"],
        2: ["currency is not a 3-letter ISO 4217 code"],
        3: ["currency missing"],
    }
    assert result.sent["currency"].tolist() == ["EUR"]
    filled = export_conversions(
        frame.iloc[[3]], platform="meta", now=NOW, write=False, default_currency="usd"
    )
    assert filled.rejected.empty and filled.sent["currency"].tolist() == ["USD"]


def test_required_match_keys_per_platform() -> None:
    frame = conversions(["2026-03-09T00:00:00Z"], email=[None])
    expected = {
        "google_ads": "no Google click id (gclid/gbraid/wbraid) and no hashed email or phone",
        "meta": "no hashed email/phone, fbc, fbp or IP + user agent to match on",
        "linkedin": "no hashed email and no li_fat_id to match on",
    }
    for platform, reason in expected.items():
        result = export_conversions(frame, platform=platform, now=NOW, write=False)
        assert result.rejected["reason"].tolist() == [reason]
        assert result.rows_written == 0


def test_bad_hash_and_bad_email_are_rejected() -> None:
    frame = conversions(["2026-03-09T00:00:00Z"] * 2, email=[SHA[:-1], "x@y"])
    result = export_conversions(frame, platform="linkedin", now=NOW, write=False)
    both = [
        "email is neither a valid address nor a SHA-256 digest",
        "no hashed email and no li_fat_id to match on",
    ]
    assert reasons(result) == {0: both, 1: both}


def test_google_duplicates_same_click_name_and_time() -> None:
    frame = conversions(
        ["2026-03-09T00:00:00Z", "2026-03-09T00:00:00Z", "2026-03-09T01:00:00Z"],
        gclid=["G1", "G1", "G1"],
        conversion_id=["A", "B", "C"],
    )
    result = export_conversions(frame, platform="google_ads", now=NOW, write=False)
    assert reasons(result) == {
        1: ["duplicate: same click id (or email/phone), conversion name and time"]
    }
    assert result.sent["conversion_id"].tolist() == ["A", "C"]


def test_meta_duplicates_same_event_name_and_event_id() -> None:
    frame = conversions(
        ["2026-03-09T00:00:00Z", "2026-03-09T05:00:00Z", "2026-03-09T05:00:00Z"],
        conversion_id=["A", "A", "A"],
        conversion_type=["purchase", "purchase", "lead"],
    )
    result = export_conversions(frame, platform="meta", now=NOW, write=False)
    assert reasons(result) == {1: ["duplicate: same event_name and event_id as an earlier row"]}


def test_duplicate_of_a_rejected_row_is_still_sent_once() -> None:
    frame = conversions(["2026-03-09T00:00:00Z"] * 2, conversion_id=["A", "A"], value=[-5.0, 5.0])
    result = export_conversions(frame, platform="linkedin", now=NOW, write=False)
    assert reasons(result) == {0: ["conversion value is negative"]}
    assert result.rows_written == 1


@pytest.mark.parametrize(
    "value",
    [
        "jane@example.com",
        "Contact: jane.doe@example.co.uk",
        "+14155550123",
        "+44 20 7946 0958",
        "(415) 555-0123",
        "415-555-0123",
        "415.555.0123",
    ],
)
def test_find_pii_flags_raw_emails_and_phones(value: str) -> None:
    assert find_pii([("$.x", value)]) == ["$.x"]


@pytest.mark.parametrize(
    "value",
    [
        SHA,
        "2026-03-01 09:30:00",
        "2026-03-01",
        "1234567.50",
        "12345678.90",
        "203.0.113.7",
        "192.168.100.200",
        "fb.1.1772960400000.IwAR2F4-dbP0l7Mn1IawQQ",
        "Cj0KCQiA-latest",
        "urn:lla:llaPartnerConversion:123456",
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "Closed Won, Enterprise",
    ],
)
def test_find_pii_leaves_ordinary_values_alone(value: str) -> None:
    assert find_pii([("$.x", value)]) == []


def test_walk_strings_paths() -> None:
    payload = [{"data": [{"user_data": {"em": ["h"]}, "event_time": 1}]}]
    assert list(walk_strings(payload)) == [("$[0].data[0].user_data.em[0]", "h")]


def test_assert_no_pii_checks_hashed_fields() -> None:
    assert_no_pii([("$.a", "ok")], hashed=[("$.em", SHA)])
    with pytest.raises(PIILeakError, match=r"\$\.em"):
        assert_no_pii([], hashed=[("$.em", "abc")])


def test_guard_blocks_raw_email_in_any_field_and_writes_nothing(tmp_path: Path) -> None:
    frame = conversions(["2026-03-09T00:00:00Z"], conversion_id=["jane@example.com"])
    out = tmp_path / "meta.json"
    with pytest.raises(PIILeakError, match=r"event_id") as err:
        export_conversions(frame, platform="meta", now=NOW, out=out)
    assert "jane@example.com" not in str(err.value)
    assert not out.exists()


def test_guard_blocks_raw_phone_passed_through_unhashed(tmp_path: Path) -> None:
    frame = conversions(["2026-03-09T00:00:00Z"], fbp=["+1 415 555 0123"])
    with pytest.raises(PIILeakError, match=r"user_data\.fbp"):
        export_conversions(frame, platform="meta", now=NOW, out=tmp_path / "m.json")
    google = conversions(["2026-03-09T00:00:00Z"], gclid=["G1"])
    with pytest.raises(PIILeakError, match="Conversion Name"):
        export_conversions(
            google,
            platform="google_ads",
            now=NOW,
            conversion_name="Lead from jane@example.com",
            out=tmp_path / "g.csv",
        )
    assert not list(tmp_path.iterdir())
