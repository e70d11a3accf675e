"""Timestamps and identifier normalization."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from workbench.errors import ConfigError
from workbench.identifiers import blank_blocked, normalize_email, normalize_fbclid, normalize_phone
from workbench.timestamps import check_timezone, parse_timestamps, parse_unix


def test_naive_timestamps_get_the_source_timezone():
    out = parse_timestamps(pd.Series(["2026-01-15 09:30"]), timezone="America/New_York")
    assert out.iloc[0] == pd.Timestamp("2026-01-15 14:30", tz="UTC")


def test_mixed_offsets_are_normalized_to_utc():
    out = parse_timestamps(
        pd.Series(["2026-03-01T10:00:00+02:00", "2026-03-01T10:00:00Z", "2026-03-01 10:00"]),
        timezone="Europe/Berlin",
    )
    assert out.tolist() == [
        pd.Timestamp("2026-03-01 08:00", tz="UTC"),
        pd.Timestamp("2026-03-01 10:00", tz="UTC"),
        pd.Timestamp("2026-03-01 09:00", tz="UTC"),
    ]


def test_unparseable_timestamps_become_nat_not_errors():
    out = parse_timestamps(pd.Series(["not a date", "", None, "2026-02-30"]))
    assert out.isna().all()


def test_explicit_format():
    out = parse_timestamps(
        pd.Series(["Nov 28, 2026 10:02:13 AM"]), timezone="UTC", fmt="%b %d, %Y %I:%M:%S %p"
    )
    assert out.iloc[0] == pd.Timestamp("2026-11-28 10:02:13", tz="UTC")


def test_unix_microseconds():
    out = parse_unix(pd.Series([1604192073036492, "x"]), unit="us")
    assert out.iloc[0] == pd.Timestamp("2020-11-01 00:54:33.036492", tz="UTC")
    assert pd.isna(out.iloc[1])


def test_bad_timezone_is_a_config_error():
    with pytest.raises(ConfigError, match="'Mars/Olympus' is not a known IANA timezone"):
        check_timezone("Mars/Olympus")


def test_email_is_trimmed_lowercased_and_hashed():
    out = normalize_email(pd.Series(["  Test@Example.COM ", "not-an-email", None, "null"]))
    assert out.iloc[0] == hashlib.sha256(b"test@example.com").hexdigest()
    assert out.iloc[0] == "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
    assert out.iloc[1:].isna().all()


def test_already_hashed_email_is_kept():
    digest = hashlib.sha256(b"a@b.co").hexdigest()
    assert normalize_email(pd.Series([digest])).iloc[0] == digest


def test_phone_is_e164_then_hashed():
    out = normalize_phone(pd.Series(["(415) 555-0123", "+1 415 555 0123", "12"]))
    expected = hashlib.sha256(b"+14155550123").hexdigest()
    assert out.iloc[0] == expected
    assert out.iloc[1] == expected
    assert pd.isna(out.iloc[2])


def test_blocked_placeholders_and_all_zero_ids_become_missing():
    out = blank_blocked(
        pd.Series(
            ["undefined", "0", "-1", "00000000-0000-0000", "anonymous", "(data deleted)", "abc"]
        )
    )
    assert out.isna().tolist() == [True] * 6 + [False]


def test_fbc_cookie_reduces_to_fbclid():
    out = normalize_fbclid(pd.Series(["fb.1.1596403881668.IwAR2F4", "IwAR9", None]))
    assert out.tolist()[:2] == ["IwAR2F4", "IwAR9"]
    assert pd.isna(out.iloc[2])


def test_ambiguous_fall_back_hour_reads_as_first_occurrence():
    out = parse_timestamps(pd.Series(["2025-11-02 01:17"]), timezone="America/New_York")
    assert out.iloc[0] == pd.Timestamp("2025-11-02 05:17", tz="UTC")  # 01:17 EDT (UTC-4)


def test_nonexistent_spring_forward_time_moves_forward():
    out = parse_timestamps(pd.Series(["2026-03-08 02:30"]), timezone="America/New_York")
    assert out.iloc[0] == pd.Timestamp("2026-03-08 07:00", tz="UTC")  # 03:00 EDT
