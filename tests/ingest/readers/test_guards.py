"""No silent corruption in readers: plausible times, epoch units, day/month orders (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import SourceConfig, parse_config
from workbench.errors import ValidationError
from workbench.ingest.readers import read_source

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
        ga4_event(T0 * US * 1000, "ns"),  # 8: nanoseconds
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
        8: "event_timestamp not in microseconds",
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
    import tomllib

    unquoted = tomllib.loads("[project]\nmin_date = 2010-02-03\n")  # a TOML date
    assert parse_config(unquoted).min_date == "2010-02-03"
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


def spend_source(tmp_path: Path, text: str, **kw: object) -> SourceConfig:
    (tmp_path / "s.csv").write_text(text)
    return SourceConfig(
        name="s",
        format="csv",
        path="s.csv",
        base_dir=tmp_path,
        table="spend",
        columns={"date": ["day"], "spend": ["cost"], "clicks": ["clicks"]},  # type: ignore[arg-type]
        platform="meta",
        **kw,  # type: ignore[arg-type]
    )


def test_spend_honours_the_decimal_separator_and_rejects_non_finite(tmp_path: Path):
    text = 'day;cost;clicks\n2026-11-01;"1.234,50";3\n2026-11-02;inf;1\n2026-11-03;1e309;1\n'
    text += "2026-11-04;12;-inf\n"
    result = read_source(spend_source(tmp_path, text, decimal=","))
    assert result.spend["spend"].tolist() == [1234.5]
    assert reasons(result) == {3: "non-finite number (inf)", 4: "non-finite number (inf)"} | {
        5: "non-finite number (inf)"
    }
    # with the default "." the European value is not silently read as 1.2345
    default = read_source(spend_source(tmp_path, text))
    assert 1.2345 not in default.spend["spend"].tolist()
    assert reasons(default)[2] == "missing or non-numeric spend"


def test_decimal_must_be_dot_or_comma(tmp_path: Path):
    with pytest.raises(ValidationError, match="decimal"):
        parse_config({"sources": [{"name": "a", "format": "ga4", "path": "x", "decimal": ";"}]})


def test_mixed_currencies_are_rejected_unless_rates_are_given():
    from workbench.errors import WorkbenchError
    from workbench.ingest.currency import unify_currencies

    conversions = pd.DataFrame({"value": [10.0, 20.0, 5.0], "currency": ["USD", "eur", None]})
    spend = pd.DataFrame(
        {
            "spend": [100.0, 50.0],
            "platform_conversion_value": [1.0, 2.0],
            "currency": ["GBP", "USD"],
        }
    )
    tables = {"conversions": conversions, "spend": spend}
    with pytest.raises(WorkbenchError) as err:
        unify_currencies(tables, currency="USD", rates={})
    message = str(err.value)
    assert "conversions: EUR (1 rows), USD (1 rows)" in message
    assert "spend: GBP (1 rows), USD (1 rows)" in message
    assert "exchange_rates = { EUR = <USD per EUR>, GBP = <USD per GBP> }" in message
    out, notes = unify_currencies(tables, currency="USD", rates={"EUR": 1.1, "GBP": 1.25})
    assert out["conversions"]["value"].tolist() == pytest.approx([10.0, 22.0, 5.0])
    assert out["conversions"]["currency"].tolist()[:2] == ["USD", "USD"]
    assert out["spend"]["spend"].tolist() == [125.0, 50.0]
    assert out["spend"]["platform_conversion_value"].tolist() == [1.25, 2.0]
    assert len(notes) == 2


def test_prepare_stops_on_mixed_currencies(tmp_path: Path):
    from workbench.errors import WorkbenchError
    from workbench.prepare import prepare

    (tmp_path / "s.csv").write_text("day,cost,cur\n2026-11-01,10,USD\n2026-11-02,10,EUR\n")
    source = {
        "name": "s",
        "format": "csv",
        "path": "s.csv",
        "table": "spend",
        "platform": "meta",
        "columns": {"date": "day", "spend": "cost", "currency": "cur"},
    }
    data = {"project": {"data_dir": str(tmp_path)}, "sources": [source]}
    with pytest.raises(WorkbenchError, match="mixed currencies"):
        prepare(parse_config(data, base_dir=tmp_path))
    data["project"]["exchange_rates"] = {"EUR": 2.0}
    prepared = prepare(parse_config(data, base_dir=tmp_path))
    assert prepared.spend["spend"].tolist() == [10.0, 20.0]
    assert set(prepared.spend["currency"]) == {"USD"}
