"""Ad platform readers: Google Ads clicks and spend, Meta and LinkedIn spend."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import SourceConfig
from workbench.errors import ValidationError
from workbench.ingest.readers import read_source

TITLE = 'Click performance report\n"November 1, 2026 - November 30, 2026"\n'
CLICK_HEADER = "Google click ID,Click date,Campaign,Campaign ID,Ad group,Keyword,Match type,Device,Click type\n"
SPEND_HEADER = (
    "Day,Campaign,Campaign ID,Campaign type,Currency code,Cost,Impr.,Clicks,Conversions,"
    "Conv. value\n"
)
META_HEADER = (
    "Reporting starts,Reporting ends,Campaign name,Campaign ID,Ad set name,Currency,"
    "Amount spent (USD),Impressions,Reach,Link clicks,Results,Result indicator,"
    "Purchases conversion value\n"
)
LINKEDIN_PREAMBLE = [
    "Campaign Performance Report (in UTC)",
    "Report Start: 11/1/2026",
    "Report End: 11/30/2026",
    "Date Generated: 12/1/2026",
    "",
]
LINKEDIN_HEADER = (
    "Start Date (in UTC)\tAccount Name\tCampaign Group Name\tCampaign Name\tCampaign ID\t"
    "Currency\tTotal Spent\tImpressions\tClicks\tConversions\tTotal Conversion Value"
)


def source(tmp_path: Path, fmt: str, name: str, content: str | bytes, **kw: object) -> SourceConfig:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return SourceConfig(name=fmt, format=fmt, path=name, base_dir=tmp_path, **kw)  # type: ignore[arg-type]


def test_google_ads_clicks_are_ad_click_touches_keyed_by_gclid(tmp_path: Path) -> None:
    body = (
        TITLE
        + CLICK_HEADER
        + (
            "G1,2026-11-02,Brand,111,AG,crm software,Exact,Computers,Headline\n"
            "G2,2026-11-03,Generic,222,AG2,crm,Phrase,Mobile phones,Headline\n"
        )
    )
    result = read_source(
        source(
            tmp_path,
            "google_ads_clicks",
            "google_ads/click_view.csv",
            body,
            timezone="America/New_York",
        )
    )
    tp = result.touchpoints
    assert tp["gclid"].tolist() == ["G1", "G2"]
    assert tp["touch_type"].eq("ad_click").all() and tp["platform"].eq("google_ads").all()
    assert tp["campaign"].tolist() == ["Brand", "Generic"]
    assert tp["device_category"].tolist() == ["desktop", "mobile"]
    assert tp["ts"].iloc[0] == pd.Timestamp("2026-11-02 05:00", tz="UTC")  # midnight New York
    assert tp["source_row"].tolist() == [4, 5]  # two title lines + header
    assert tp["source_file"].eq("google_ads/click_view.csv").all()
    assert tp["attr_keyword"].tolist() == ["crm software", "crm"]
    assert result.files[0]["header_line"] == 3


def test_google_ads_clicks_broken_rows(tmp_path: Path) -> None:
    body = (
        TITLE
        + CLICK_HEADER
        + (
            "G1,2026-11-02,Brand,111,AG,kw,Exact,Computers,Headline\n"
            "G1,2026-11-04,Brand,111,AG,kw,Exact,Tablets,Headline\n"
            ",2026-11-04,Brand,111,AG,kw,Exact,Tablets,Headline\n"
            "G4,sometime,Brand,111,AG,kw,Exact,Tablets,Headline\n"
            "G5,2026-11-04,Brand,111,AG,kw,Exact,Tablets,Headline,extra,fields\n"
        )
    )
    result = read_source(source(tmp_path, "google_ads_clicks", "c.csv", body))
    q = result.quarantine.sort_values("source_row")
    assert q[["source_row", "reason"]].values.tolist() == [
        [5, "duplicate click id"],
        [6, "missing every identifier"],
        [7, "unparseable or missing timestamp"],
        [8, "wrong number of fields"],
    ]
    assert q["value"].iloc[2] == "sometime"
    assert result.touchpoints["gclid"].tolist() == ["G1"]


def test_missing_required_column_names_file_column_and_mapping_key(tmp_path: Path) -> None:
    body = TITLE + "Google click ID,Campaign\nG1,Brand\n"
    with pytest.raises(ValidationError) as err:
        read_source(source(tmp_path, "google_ads_clicks", "c.csv", body))
    text = str(err.value)
    assert "c.csv" in text and "'Click date'" in text
    assert 'sources.columns."Click date"' in text


def test_google_ads_spend_numbers_and_total_row(tmp_path: Path) -> None:
    body = (
        TITLE
        + SPEND_HEADER
        + (
            '2026-11-01,Brand,111,Search,USD,"1,234.50","12,000",300,4.00,"1,000.00"\n'
            "2026-11-02,Brand,111,Search,USD,oops,1,1,0,0\n"
            "2026-11-02,Brand,111,Search,USD,-5,1,1,0,0\n"
            'Total: Account,--,--,--,USD,"1,234.50","12,001",301,4,"1,000.00"\n'
        )
    )
    result = read_source(source(tmp_path, "google_ads_spend", "s.csv", body))
    spend = result.spend
    assert len(spend) == 1
    row = spend.iloc[0]
    assert (row["spend"], row["impressions"], row["clicks"]) == (1234.5, 12000.0, 300.0)
    assert (row["platform_conversions"], row["platform_conversion_value"]) == (4.0, 1000.0)
    assert (row["platform"], row["currency"], row["date"]) == (
        "google_ads",
        "USD",
        pd.Timestamp("2026-11-01"),
    )
    assert row["attr_campaign_type"] == "Search"
    assert result.quarantine[["source_row", "reason"]].values.tolist() == [
        [5, "missing or non-numeric spend"],
        [6, "negative spend"],
    ]
    assert result.files[0]["summary_rows"] == 1
    assert any("Total" in w for w in result.warnings)


def test_meta_spend_currency_from_header_and_multi_day_rows(tmp_path: Path) -> None:
    body = META_HEADER.replace("(USD)", "(EUR)") + (
        "2026-11-01,2026-11-01,Prospecting,9,AS1,,12.5,1000,900,20,1,actions:lead,0\n"
        "2026-11-01,2026-11-07,Prospecting,9,AS1,,99,1000,900,20,1,actions:lead,0\n"
    )
    result = read_source(source(tmp_path, "meta_spend", "m.csv", body, channel="Paid Social"))
    spend = result.spend
    assert spend[["spend", "currency", "platform", "channel"]].values.tolist() == [
        [12.5, "EUR", "meta", "Paid Social"]
    ]
    assert (spend["clicks"].item(), spend["platform_conversions"].item()) == (20.0, 1.0)
    q = result.quarantine
    assert q[["source_row", "reason", "value"]].values.tolist() == [
        [3, "row covers more than one day", "2026-11-01 .. 2026-11-07"]
    ]


def test_linkedin_utf16_tsv_with_preamble(tmp_path: Path) -> None:
    lines = [
        *LINKEDIN_PREAMBLE,
        LINKEDIN_HEADER,
        "11/2/2026\tAcme\tGroup\tABM\t77\tUSD\t45.10\t1000\t10\t1\t0",
        "2/30/2026\tAcme\tGroup\tABM\t77\tUSD\t45.10\t1000\t10\t1\t0",
    ]
    raw = codecs.BOM_UTF16_LE + "\r\n".join(lines).encode("utf-16-le")
    result = read_source(source(tmp_path, "linkedin_spend", "li.csv", raw))
    spend = result.spend
    assert spend[["date", "campaign", "spend", "platform"]].values.tolist() == [
        [pd.Timestamp("2026-11-02"), "ABM", 45.1, "linkedin"]
    ]
    assert spend["source_row"].tolist() == [7]
    assert result.files[0]["encoding"] == "utf-16"
    assert result.quarantine[["source_row", "reason", "value"]].values.tolist() == [
        [8, "unparseable or missing date", "2/30/2026"]
    ]


def test_linkedin_day_first_export_is_an_error_not_swapped_days(tmp_path: Path) -> None:
    """A day-first export: 2/1 would be read as February 1 under LinkedIn's M/D/YYYY."""
    lines = [
        *LINKEDIN_PREAMBLE,
        LINKEDIN_HEADER,
        "2/1/2026\tAcme\tGroup\tABM\t77\tUSD\t45.10\t1000\t10\t1\t0",
        "13/1/2026\tAcme\tGroup\tABM\t77\tUSD\t45.10\t1000\t10\t1\t0",
    ]
    raw = codecs.BOM_UTF16_LE + "\r\n".join(lines).encode("utf-16-le")
    with pytest.raises(
        ValidationError, match=r"li.csv line 8: '13/1/2026' are day-first.*ts_format"
    ):
        read_source(source(tmp_path, "linkedin_spend", "li.csv", raw))
    spend = read_source(
        source(tmp_path, "linkedin_spend", "li.csv", raw, ts_format="%d/%m/%Y")
    ).spend
    assert spend["date"].tolist() == [pd.Timestamp("2026-01-02"), pd.Timestamp("2026-01-13")]


def test_meta_day_first_dates_are_an_error_not_all_quarantined(tmp_path: Path) -> None:
    body = META_HEADER + (
        "02/01/2026,02/01/2026,Spring,1,Set,USD,10.00,100,90,5,1,x,0\n"
        "31/01/2026,31/01/2026,Spring,1,Set,USD,12.00,100,90,5,1,x,0\n"
    )
    with pytest.raises(ValidationError, match=r"column 'Reporting starts'.*day-first"):
        read_source(source(tmp_path, "meta_spend", "meta.csv", body))


def test_linkedin_without_header_row_is_a_clear_error(tmp_path: Path) -> None:
    raw = "\n".join(LINKEDIN_PREAMBLE + ["nothing\there"]).encode("utf-16")
    with pytest.raises(
        ValidationError,
        match=r"li.csv: no header row found in the first 50 lines; expected a line with the columns Start Date",
    ):
        read_source(source(tmp_path, "linkedin_spend", "li.csv", raw))


def test_google_ads_conversions_in_decimal_comma_are_a_warning(tmp_path: Path) -> None:
    body = TITLE + SPEND_HEADER + '2026-11-01,Brand,1,Search,USD,10.00,100,5,"0,50",0\n'
    result = read_source(source(tmp_path, "google_ads_spend", "r.csv", body))
    assert result.spend[["spend", "platform_conversions"]].values.tolist()[0][0] == 10.0
    assert result.spend["platform_conversions"].isna().all()
    assert any(
        "column 'Conversions': 1 value(s) are not numbers with decimal '.' (r.csv:4 '0,50')" in w
        and 'decimal = ","' in w
        for w in result.warnings
    )


def test_spend_days_in_another_layout_than_the_formats_are_read(tmp_path: Path) -> None:
    """A US-locale Google Ads report (01/31/2026) is read, not quarantined whole."""
    body = (
        TITLE
        + SPEND_HEADER
        + (
            "01/31/2026,Brand,1,Search,USD,10.00,100,5,0,0\n"
            "2/1/2026,Brand,1,Search,USD,12.00,100,5,0,0\n"
        )
    )
    result = read_source(source(tmp_path, "google_ads_spend", "r.csv", body))
    assert result.spend["date"].tolist() == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-01")]
    assert result.quarantine.empty
    own = read_source(source(tmp_path, "google_ads_spend", "r.csv", body, ts_format="%d/%m/%Y"))
    assert own.quarantine["value"].tolist() == ["01/31/2026"]  # the source's own format rules
