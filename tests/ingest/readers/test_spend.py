"""The generic daily spend reader (format = "spend")."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.config import SourceConfig
from workbench.errors import ValidationError
from workbench.ingest.readers import read_source

BODY = (
    "Platform,Date,Campaign,Impressions,Clicks,Spend,Conversions,Conversion value,Currency\n"
    'Google Ads,2026-03-01,Brand,1000,50,"1,234.50",3,300,usd\n'
    "Facebook,2026-03-01,Retarget,2000,40,80,1,50,USD\n"
    ",2026-03-02,Brand,900,45,110,2,200,USD\n"
    "TikTok Ads,2026-03-02,Launch,500,5,n/a,0,0,USD\n"
)


def _source(tmp_path: Path, body: str, **kw: object) -> SourceConfig:
    (tmp_path / "spend.csv").write_text(body, encoding="utf-8")
    return SourceConfig(name="spend", format="spend", path="spend.csv", base_dir=tmp_path, **kw)  # type: ignore[arg-type]


def test_platform_from_the_column_and_the_config(tmp_path: Path) -> None:
    result = read_source(_source(tmp_path, BODY, platform="google_ads"))
    spend = result.spend
    assert spend["platform"].tolist() == ["google_ads", "meta", "google_ads"]
    assert spend["spend"].tolist() == [1234.5, 80.0, 110.0]
    assert spend["currency"].tolist() == ["USD", "USD", "USD"]
    assert spend["date"].tolist() == [pd.Timestamp("2026-03-01")] * 2 + [pd.Timestamp("2026-03-02")]
    assert spend[
        ["impressions", "clicks", "platform_conversions", "platform_conversion_value"]
    ].iloc[0].tolist() == [1000, 50, 3, 300]
    assert result.quarantine[["source_row", "reason"]].values.tolist() == [
        [5, "missing or non-numeric spend"]
    ]


def test_a_row_without_any_platform_is_quarantined(tmp_path: Path) -> None:
    result = read_source(_source(tmp_path, BODY))
    assert result.spend["platform"].tolist() == ["google_ads", "meta"]
    assert ["missing platform"] == result.quarantine.loc[
        result.quarantine["source_row"] == 4, "reason"
    ].tolist()


def test_no_platform_column_needs_the_config(tmp_path: Path) -> None:
    body = "Day,Campaign name,Cost\n2026-03-01,Brand,10\n"
    with pytest.raises(ValidationError, match="no Platform column"):
        read_source(_source(tmp_path, body))
    spend = read_source(_source(tmp_path, body, platform="linkedin")).spend
    assert spend[["platform", "campaign", "spend"]].values.tolist() == [["linkedin", "Brand", 10.0]]


def test_us_month_first_dates_are_read_not_quarantined(tmp_path: Path) -> None:
    body = "Date,Campaign,Spend\n01/31/2026,Brand,10\n2/1/2026,Brand,12\n"
    result = read_source(_source(tmp_path, body, platform="bing"))
    assert result.spend["date"].tolist() == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-01")]
    assert result.quarantine.empty
