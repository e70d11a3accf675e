"""Generic daily spend report (``format = "spend"``): one row per day, platform and campaign.

The plain layout many teams export or assemble by hand::

    Platform,Date,Campaign,Impressions,Clicks,Spend,Conversions,Conversion value,Currency

Only ``Date``, ``Campaign`` and ``Spend`` are required (aliases: ``Day``;
``Campaign name``; ``Cost``, ``Amount spent``, ``Amount``). ``platform`` is the
file's ``Platform`` column when it has one, spelled as in
:data:`PLATFORM_ALIASES` (``Google Ads`` -> ``google_ads``, ``Facebook`` ->
``meta``; other names are lower-cased with ``_`` for spaces), and the source's
``platform`` setting fills it where the column is missing or empty. With
neither, the file is rejected (:class:`~workbench.errors.ValidationError`).
Emits the same ``spend`` rows as the named spend readers
(:mod:`workbench.ingest.readers.ads`), plus ``attr_campaign_id`` (``Campaign ID``).
Dates use ``ts_format`` when given, else ISO (``2026-03-01``).
"""

from __future__ import annotations

import pandas as pd

from workbench.config import SourceConfig
from workbench.errors import ValidationError
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import finish
from workbench.ingest.readers._tabular import Field, read_exports
from workbench.ingest.readers.ads import _spend_frame
from workbench.ingest.readers.base import TABULAR_OPTIONS, ReadResult, register
from workbench.schema import CAMPAIGN, CURRENCY, PLATFORM

__all__ = ["PLATFORM_ALIASES", "SPEND_FIELDS", "platform_names", "read_spend"]

SPEND_FIELDS = (
    Field("Platform", ("Network", "Channel platform", "Source")),
    Field("Date", ("Day", "Reporting starts"), required=True),
    Field("Campaign", ("Campaign name",), required=True),
    Field("Campaign ID"),
    Field("Impressions", ("Impr.",)),
    Field("Clicks", ("Link clicks",)),
    Field("Spend", ("Cost", "Amount spent*", "Amount", "Spent"), required=True),
    Field("Conversions", ("Results",)),
    Field("Conversion value", ("Conv. value", "Revenue")),
    Field("Currency", ("Currency code",)),
)

#: How platform names are written in spend files -> the canonical platform.
PLATFORM_ALIASES: dict[str, str] = {
    "google": "google_ads",
    "google_ads": "google_ads",
    "adwords": "google_ads",
    "meta": "meta",
    "meta_ads": "meta",
    "facebook": "meta",
    "facebook_ads": "meta",
    "instagram": "meta",
    "linkedin": "linkedin",
    "linkedin_ads": "linkedin",
    "microsoft": "microsoft_ads",
    "microsoft_ads": "microsoft_ads",
    "bing": "microsoft_ads",
    "bing_ads": "microsoft_ads",
    "tiktok": "tiktok",
    "tiktok_ads": "tiktok",
}


def platform_names(values: pd.Series) -> pd.Series:
    """Canonical platform names: lower-case, ``_`` for spaces/dashes, :data:`PLATFORM_ALIASES`."""
    key = values.astype("string").str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    key = key.mask(key == "")
    return key.map(PLATFORM_ALIASES).fillna(key).astype("string")


@register("spend", options=TABULAR_OPTIONS)
def read_spend(source: SourceConfig) -> ReadResult:
    """Plain daily spend CSV -> ``spend`` rows; platform from the file or the config."""
    q = Quarantine()
    rows, files, notes = read_exports(source, SPEND_FIELDS, q)
    has_column = any("Platform" in info["columns"] for info in files)  # type: ignore[operator]
    if not has_column and not source.platform:
        raise ValidationError(
            "the files have no Platform column and the source sets no platform; add "
            'platform = "google_ads" (or meta, linkedin, ...) to the source, or map the '
            "column with sources.columns.Platform",
            context=f"source {source.name!r} (format 'spend')",
        )
    spend = _spend_frame(
        rows,
        source,
        q,
        notes,
        platform="",
        date="Date",
        date_fmt=None,
        columns={
            CAMPAIGN: "Campaign",
            CURRENCY: "Currency",
            "spend": "Spend",
            "impressions": "Impressions",
            "clicks": "Clicks",
            "platform_conversions": "Conversions",
            "platform_conversion_value": "Conversion value",
        },
        attributes={"attr_campaign_id": "Campaign ID"},
    )
    platform = platform_names(rows.loc[spend.index, "Platform"])
    if source.platform:
        platform = platform.fillna(source.platform)
    missing = platform.isna()
    q.add(spend, missing, reason="missing platform", source=source.name, column="Platform")
    spend = spend.assign(**{PLATFORM: platform}).loc[~missing]
    return finish(source, q, spend=spend, files=files, warnings=notes)
