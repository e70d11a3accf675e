"""Ad platform exports: Google Ads click view and campaign report, Meta and LinkedIn spend.

``google_ads_clicks``
    One ``ad_click`` touch per click-log row, keyed by ``gclid`` (the click log
    is how a gclid seen on a landing page is tied to its campaign): ``ts`` =
    ``Click date`` at midnight in the source's ``timezone`` (set it to the
    ad account's timezone), ``campaign``, ``platform`` = ``google_ads``,
    ``traffic_source`` / ``traffic_medium`` = ``google`` / ``cpc``,
    ``device_category`` (Computers -> desktop, Mobile phones -> mobile,
    Tablets -> tablet). Extra columns ``attr_campaign_id``, ``attr_ad_group``,
    ``attr_keyword``, ``attr_match_type``, ``attr_click_type``. A repeated
    gclid is quarantined (``"duplicate click id"``).
``google_ads_spend`` / ``meta_spend`` / ``linkedin_spend``
    One ``spend`` row per file row: ``date``, ``platform`` (``google_ads`` /
    ``meta`` / ``linkedin``), ``campaign``, ``spend``, ``currency``,
    ``impressions``, ``clicks``, ``platform_conversions``,
    ``platform_conversion_value``, plus ``attr_campaign_id`` and
    format-specific attributes (``attr_campaign_type``; ``attr_ad_set``,
    ``attr_reach``, ``attr_result_indicator``; ``attr_account``,
    ``attr_campaign_group``). Google Ads ``Total: ...`` rows are skipped and
    counted (``files[...]["summary_rows"]`` and a warning). A Meta row whose
    ``Reporting starts`` and ``Reporting ends`` differ is quarantined
    (``"row covers more than one day"``): export with a daily breakdown.
    Meta's currency comes from ``Currency``, else from the spend header
    (``Amount spent (EUR)``).

``platform`` and ``channel`` can be overridden by the source config.
Title lines above the header (Google Ads, LinkedIn) are skipped by finding
the header row; LinkedIn's UTF-16 tab-separated files are detected by their BOM.
"""

from __future__ import annotations

import re
from typing import cast

import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import clean_ids, finish, number_column, parse_times
from workbench.ingest.readers._tabular import Field, parse_dates, read_exports
from workbench.ingest.readers.base import TABULAR_OPTIONS, ReadResult, register
from workbench.schema import CAMPAIGN, CHANNEL, CURRENCY, PLATFORM, TOUCH_TYPE, TS

__all__ = [
    "GOOGLE_ADS_CLICK_FIELDS",
    "GOOGLE_ADS_SPEND_FIELDS",
    "LINKEDIN_SPEND_FIELDS",
    "META_SPEND_FIELDS",
    "read_google_ads_clicks",
    "read_google_ads_spend",
    "read_linkedin_spend",
    "read_meta_spend",
]

GOOGLE_ADS_CLICK_FIELDS = (
    Field("Google click ID", ("GCLID", "Click ID"), required=True),
    Field("Click date", ("Day", "Date"), required=True),
    Field("Campaign", required=True),
    Field("Campaign ID"),
    Field("Ad group"),
    Field("Keyword"),
    Field("Match type"),
    Field("Device"),
    Field("Click type"),
)
GOOGLE_ADS_SPEND_FIELDS = (
    Field("Day", ("Date",), required=True),
    Field("Campaign", required=True),
    Field("Campaign ID"),
    Field("Campaign type"),
    Field("Currency code", ("Currency",)),
    Field("Cost", required=True),
    Field("Impr.", ("Impressions",)),
    Field("Clicks"),
    Field("Conversions"),
    Field("Conv. value", ("Conversion value", "Total conv. value")),
)
META_SPEND_FIELDS = (
    Field("Reporting starts", ("Day", "Date"), required=True),
    Field("Reporting ends"),
    Field("Campaign name", required=True),
    Field("Campaign ID"),
    Field("Ad set name"),
    Field("Currency"),
    Field("Amount spent (USD)", ("Amount spent*",), required=True),
    Field("Impressions"),
    Field("Reach"),
    Field("Link clicks"),
    Field("Results"),
    Field("Result indicator"),
    Field("Purchases conversion value", ("Purchase conversion value", "Website purchases*")),
)
LINKEDIN_SPEND_FIELDS = (
    Field("Start Date (in UTC)", ("Start Date*", "Date"), required=True),
    Field("Account Name"),
    Field("Campaign Group Name"),
    Field("Campaign Name", required=True),
    Field("Campaign ID"),
    Field("Currency"),
    Field("Total Spent", ("Amount Spent", "Spent*"), required=True),
    Field("Impressions"),
    Field("Clicks"),
    Field("Conversions"),
    Field("Total Conversion Value", ("Conversion Value",)),
)

_DEVICES = {
    "computers": "desktop",
    "computer": "desktop",
    "desktop": "desktop",
    "mobile phones": "mobile",
    "mobile devices with full browsers": "mobile",
    "mobile": "mobile",
    "tablets": "tablet",
    "tablets with full browsers": "tablet",
    "tablet": "tablet",
    "tv screens": "tv",
}
_PROVENANCE = ["source", "source_file", "source_row"]


@register("google_ads_clicks", options=TABULAR_OPTIONS)
def read_google_ads_clicks(source: SourceConfig) -> ReadResult:
    """Google Ads click view -> ``ad_click`` touches keyed by gclid (see module docs)."""
    q = Quarantine()
    rows, files, notes = read_exports(source, GOOGLE_ADS_CLICK_FIELDS, q)
    ts, ok = parse_times(rows, "Click date", source, q, reason="unparseable or missing timestamp")
    device = rows["Device"].str.strip().str.lower()
    out = pd.DataFrame(
        {
            TS: ts,
            TOUCH_TYPE: "ad_click",
            CHANNEL: source.channel,
            PLATFORM: source.platform or "google_ads",
            CAMPAIGN: rows["Campaign"],
            "traffic_source": "google",
            "traffic_medium": "cpc",
            "device_category": device.map(_DEVICES).fillna(device).astype("string"),
            "gclid": clean_ids(rows["Google click ID"]),
            "attr_campaign_id": rows["Campaign ID"],
            "attr_ad_group": rows["Ad group"],
            "attr_keyword": rows["Keyword"],
            "attr_match_type": rows["Match type"],
            "attr_click_type": rows["Click type"],
            **{c: rows[c] for c in _PROVENANCE},
        }
    ).loc[ok]
    repeat = out["gclid"].notna() & out.duplicated("gclid")
    q.add(out, repeat, reason="duplicate click id", source=source.name, column="gclid")
    return finish(source, q, touchpoints=out.loc[~repeat], files=files, warnings=notes)


def _spend_frame(
    rows: pd.DataFrame,
    source: SourceConfig,
    q: Quarantine,
    notes: list[str],
    *,
    platform: str,
    date: str,
    date_fmt: str | None,
    columns: dict[str, str],
    attributes: dict[str, str],
) -> pd.DataFrame:
    dates, ok = parse_dates(rows, date, source, q, fmt=date_fmt)
    out = pd.DataFrame(
        {
            "date": dates,
            PLATFORM: source.platform or platform,
            CHANNEL: source.channel,
            CAMPAIGN: rows[columns[CAMPAIGN]],
            CURRENCY: rows[columns[CURRENCY]].str.upper(),
            **{c: rows[c] for c in _PROVENANCE},
        }
    )
    numbers = ("spend", "impressions", "clicks", "platform_conversions")
    for canonical in (*numbers, "platform_conversion_value"):
        outcome = "rows quarantined" if canonical == "spend" else "read as missing"
        out[canonical] = number_column(
            rows.loc[ok], columns[canonical], source, notes, outcome=outcome
        ).reindex(rows.index)
    for name, column in attributes.items():
        out[name] = rows[column]
    bad = ok & out["spend"].isna()
    q.add(
        out,
        bad,
        reason="missing or non-numeric spend",
        source=source.name,
        column=columns["spend"],
        values=rows[columns["spend"]],
    )
    return out.loc[ok & ~bad]


@register("google_ads_spend", options=TABULAR_OPTIONS)
def read_google_ads_spend(source: SourceConfig) -> ReadResult:
    """Google Ads campaign report -> daily spend rows; ``Total`` rows skipped and counted."""
    q = Quarantine()
    rows, files, notes = read_exports(source, GOOGLE_ADS_SPEND_FIELDS, q)
    # a data row's Day is a date, so a Day cell starting with "Total" is a summary row
    total = rows["Day"].str.match(r"(?i)\s*total\b", na=False)
    for info in files:
        info["summary_rows"] = int((total & (rows["source_file"] == info["file"])).sum())
    if total.any():
        notes.append(f"source {source.name!r}: skipped {int(total.sum())} 'Total' summary row(s)")
    spend = _spend_frame(
        rows.loc[~total],
        source,
        q,
        notes,
        platform="google_ads",
        date="Day",
        date_fmt="%Y-%m-%d",
        columns={
            CAMPAIGN: "Campaign",
            CURRENCY: "Currency code",
            "spend": "Cost",
            "impressions": "Impr.",
            "clicks": "Clicks",
            "platform_conversions": "Conversions",
            "platform_conversion_value": "Conv. value",
        },
        attributes={"attr_campaign_id": "Campaign ID", "attr_campaign_type": "Campaign type"},
    )
    return finish(source, q, spend=spend, files=files, warnings=notes)


def _header_currency(header: object) -> str | None:
    match = re.search(r"\(([A-Za-z]{3})\)", str(header or ""))
    return match.group(1).upper() if match else None


@register("meta_spend", options=TABULAR_OPTIONS)
def read_meta_spend(source: SourceConfig) -> ReadResult:
    """Meta Ads Manager export -> daily spend rows (multi-day rows quarantined)."""
    q = Quarantine()
    rows, files, notes = read_exports(source, META_SPEND_FIELDS, q)
    for info in files:
        matched = cast(dict[str, str], info["columns"])
        currency = _header_currency(matched.get("Amount spent (USD)"))
        if currency:
            mine = rows["source_file"] == info["file"]
            rows.loc[mine, "Currency"] = rows.loc[mine, "Currency"].fillna(currency)
    ends = rows["Reporting ends"]
    multi = ends.notna() & (ends.str.strip() != rows["Reporting starts"].str.strip())
    q.add(
        rows,
        multi,
        reason="row covers more than one day",
        source=source.name,
        column="Reporting ends",
        values=rows["Reporting starts"] + " .. " + ends,
    )
    spend = _spend_frame(
        rows.loc[~multi],
        source,
        q,
        notes,
        platform="meta",
        date="Reporting starts",
        date_fmt="%Y-%m-%d",
        columns={
            CAMPAIGN: "Campaign name",
            CURRENCY: "Currency",
            "spend": "Amount spent (USD)",
            "impressions": "Impressions",
            "clicks": "Link clicks",
            "platform_conversions": "Results",
            "platform_conversion_value": "Purchases conversion value",
        },
        attributes={
            "attr_campaign_id": "Campaign ID",
            "attr_ad_set": "Ad set name",
            "attr_reach": "Reach",
            "attr_result_indicator": "Result indicator",
        },
    )
    return finish(source, q, spend=spend, files=files, warnings=notes)


@register("linkedin_spend", options=TABULAR_OPTIONS)
def read_linkedin_spend(source: SourceConfig) -> ReadResult:
    """LinkedIn Campaign Manager export (UTF-16 TSV with preamble) -> daily spend rows."""
    q = Quarantine()
    rows, files, notes = read_exports(source, LINKEDIN_SPEND_FIELDS, q)
    spend = _spend_frame(
        rows,
        source,
        q,
        notes,
        platform="linkedin",
        date="Start Date (in UTC)",
        date_fmt="%m/%d/%Y",
        columns={
            CAMPAIGN: "Campaign Name",
            CURRENCY: "Currency",
            "spend": "Total Spent",
            "impressions": "Impressions",
            "clicks": "Clicks",
            "platform_conversions": "Conversions",
            "platform_conversion_value": "Total Conversion Value",
        },
        attributes={
            "attr_campaign_id": "Campaign ID",
            "attr_account": "Account Name",
            "attr_campaign_group": "Campaign Group Name",
        },
    )
    return finish(source, q, spend=spend, files=files, warnings=notes)
