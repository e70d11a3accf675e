"""Timestamps: time zones, offsets, formats, epochs, DST edges."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.errors import ConfigError
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


def test_ambiguous_fall_back_hour_reads_as_first_occurrence():
    out = parse_timestamps(pd.Series(["2025-11-02 01:17"]), timezone="America/New_York")
    assert out.iloc[0] == pd.Timestamp("2025-11-02 05:17", tz="UTC")  # 01:17 EDT (UTC-4)


def test_nonexistent_spring_forward_time_moves_forward():
    out = parse_timestamps(pd.Series(["2026-03-08 02:30"]), timezone="America/New_York")
    assert out.iloc[0] == pd.Timestamp("2026-03-08 07:00", tz="UTC")  # 03:00 EDT


def test_a_dash_date_is_local_time_not_an_offset():
    """'31-01-2026' ends like '-20:26': it is a date in the source's zone, not UTC-20:26."""
    values = pd.Series(["31-01-2026", "31-01-2026 10:00", "2026-01-31 10:00:00 -0500"])
    out = parse_timestamps(values, timezone="America/New_York")
    assert out.tolist() == [
        pd.Timestamp("2026-01-31 05:00", tz="UTC"),
        pd.Timestamp("2026-01-31 15:00", tz="UTC"),
        pd.Timestamp("2026-01-31 15:00", tz="UTC"),
    ]
    compact = parse_timestamps(pd.Series(["20260131T100000+0200", "2026-01-31T10:00Z"]))
    assert compact.tolist() == [
        pd.Timestamp("2026-01-31 08:00", tz="UTC"),
        pd.Timestamp("2026-01-31 10:00", tz="UTC"),
    ]
