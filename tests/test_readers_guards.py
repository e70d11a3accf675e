"""No silent corruption in readers: plausible times, epoch units, day/month orders (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import SourceConfig, parse_config
from workbench.errors import ValidationError
from workbench.readers import read_source

US = 1_000_000
T0 = 1_793_000_000  # 2026-10-26 (UTC), in seconds


def ga4_event(ts: int | None, user: str) -> dict:
    return {
        "event_timestamp": ts,
        "event_name": "page_view",
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": 1}},
            {"key": "page_location", "value": {"string_value": "https://ex.com/a"}},
        ],
        "user_pseudo_id": user,
    }


def write_lines(path: Path, rows: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def reasons(result) -> dict[int, str]:
    q = result.quarantine
    return dict(zip(q["source_row"].astype(int), q["reason"], strict=True))


def test_ga4_wrong_units_placeholders_and_implausible_dates_are_quarantined(tmp_path: Path):
    rows = [
        ga4_event(T0 * US, "ok"),  # line 1: microseconds, kept
        ga4_event(T0, "sec"),  # 2: seconds
        ga4_event(T0 * 1000, "ms"),  # 3: milliseconds
        ga4_event(0, "zero"),  # 4
        ga4_event(-1, "minus"),  # 5
        ga4_event(4_102_444_800 * US, "y2100"),  # 6: 2100-01-01
        ga4_event(946_684_800 * US, "y2000"),  # 7: 2000-01-01, before min_date
    ]
    write_lines(tmp_path / "e.ndjson", rows)
    result = read_source(SourceConfig(name="ga4", format="ga4", path="*.ndjson", base_dir=tmp_path))
    assert result.touchpoints["anonymous_id"].unique().tolist() == ["ok"]
    assert reasons(result) == {
        2: "event_timestamp not in microseconds",
        3: "event_timestamp not in microseconds",
        4: "event_timestamp 0 or negative",
        5: "event_timestamp 0 or negative",
        6: "timestamp in the future (beyond max_future_days)",
        7: "timestamp before min_date",
    }
    values = result.quarantine.set_index("source_row")["value"]
    assert "seconds" in values[2] and "milliseconds" in values[3]
    assert result.touchpoints["ts"].min() >= pd.Timestamp("2026-10-26", tz="UTC")


def generic(tmp_path: Path, text: str, **kw: object) -> SourceConfig:
    (tmp_path / "t.csv").write_text(text)
    columns = {"ts": ["when"], "anonymous_id": ["id"], "touch_type": ["kind"]}
    return SourceConfig(
        name="g",
        format="csv",
        path="t.csv",
        base_dir=tmp_path,
        table="touchpoints",
        columns=columns,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_every_reader_quarantines_times_outside_the_window(tmp_path: Path):
    text = (
        "when,id,kind\n2026-11-01 10:00,a,visit\n1970-01-01 00:00,b,visit\n"
        "2100-01-01 00:00,c,visit\n2004-12-31 23:00,d,visit\n"
    )
    result = read_source(generic(tmp_path, text))
    assert result.touchpoints["anonymous_id"].tolist() == ["a"]
    assert reasons(result) == {
        3: "timestamp before min_date",
        4: "timestamp in the future (beyond max_future_days)",
        5: "timestamp before min_date",
    }
    # a configured floor and future allowance (per source) move the window
    wide = read_source(generic(tmp_path, text, min_date="1960-01-01", max_future_days=40000))
    assert wide.touchpoints["anonymous_id"].tolist() == ["a", "b", "c", "d"]


def test_spend_dates_in_the_future_are_quarantined(tmp_path: Path):
    (tmp_path / "s.csv").write_text("day,cost\n2026-11-01,10\n2100-01-01,5\n")
    src = SourceConfig(
        name="s",
        format="csv",
        path="s.csv",
        base_dir=tmp_path,
        table="spend",
        columns={"date": ["day"], "spend": ["cost"]},
        platform="google_ads",
    )
    result = read_source(src)
    assert result.spend["spend"].tolist() == [10.0]
    assert reasons(result) == {3: "timestamp in the future (beyond max_future_days)"}


def test_window_is_configured_in_project_and_overridden_per_source(tmp_path: Path):
    config = parse_config(
        {
            "project": {"min_date": "2020-01-01", "max_future_days": 3},
            "sources": [
                {"name": "a", "format": "ga4", "path": "x"},
                {"name": "b", "format": "ga4", "path": "x", "min_date": "2010-06-01"},
            ],
        },
        base_dir=tmp_path,
    )
    a, b = config.sources
    assert (config.min_date, config.max_future_days) == ("2020-01-01", 3.0)
    assert (a.min_date, a.max_future_days) == ("2020-01-01", 3.0)
    assert (b.min_date, b.max_future_days) == ("2010-06-01", 3.0)
    with pytest.raises(ValidationError) as err:
        parse_config({"project": {"min_date": "yesterday", "max_future_days": -1}})
    assert "project.min_date" in str(err.value) and "project.max_future_days" in str(err.value)


def test_mixed_day_month_orders_ask_for_ts_format(tmp_path: Path):
    text = "when,id,kind\n05/01/2026,a,visit\n13/01/2026,b,visit\n"
    with pytest.raises(ValidationError) as err:
        read_source(generic(tmp_path, text))
    message = str(err.value)
    assert "'13/01/2026'" in message and "'05/01/2026'" in message
    assert "t.csv line 3" in message and "ts_format" in message
    fixed = read_source(generic(tmp_path, text, ts_format="%d/%m/%Y"))
    assert fixed.touchpoints["ts"].dt.day.tolist() == [5, 13]
    # one consistent (month-first) order is fine
    us = read_source(generic(tmp_path, "when,id,kind\n05/01/2026,a,visit\n12/31/2025,b,visit\n"))
    assert us.touchpoints["ts"].dt.month.tolist() == [5, 12]
