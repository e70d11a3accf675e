"""Ad platform facts, in one place: names, labels, click ids, channels, windows.

The attribution comparison (platform claims), the plots, the CLI and the export
package (:mod:`workbench.export.rules`, which adds the upload rules and their
sources) all read these.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "DEFAULT_CHANNEL_PLATFORMS",
    "DEFAULT_CLICK_WINDOWS",
    "PLATFORMS",
    "PLATFORM_ALIASES",
    "PLATFORM_CLICK_IDS",
    "PLATFORM_LABELS",
    "SPEND_FORMATS",
    "platform_label",
]

#: Source formats that read ad spend (``[[sources]] format``), named in hints.
SPEND_FORMATS: tuple[str, ...] = ("google_ads_spend", "meta_spend", "linkedin_spend", "spend")

#: Ad platforms, in display order.
PLATFORMS: tuple[str, ...] = ("google_ads", "meta", "linkedin")

#: Human name of each platform, for messages and charts.
PLATFORM_LABELS: dict[str, str] = {
    "google_ads": "Google Ads",
    "meta": "Meta",
    "linkedin": "LinkedIn",
}

#: Identifier columns carrying each platform's click ids, preferred first.
PLATFORM_CLICK_IDS: dict[str, tuple[str, ...]] = {
    "google_ads": ("gclid", "gbraid", "wbraid"),
    "meta": ("fbclid",),
    "linkedin": ("li_fat_id",),
}

#: Click-through attribution windows (days) the platforms use by default when they
#: credit themselves: Google Ads 30 ("About conversion windows"), Meta 7 (7-day click
#: attribution setting), LinkedIn 30 (``postClickAttributionWindowSize`` default).
DEFAULT_CLICK_WINDOWS: Mapping[str, float] = {"google_ads": 30, "meta": 7, "linkedin": 30}

#: Default channel group -> platform, used for touches without a ``platform``.
#: Channels not listed belong to no ad platform (organic, email, direct ...).
DEFAULT_CHANNEL_PLATFORMS: dict[str, str] = {
    "Paid Search": "google_ads",
    "Paid Search - Brand": "google_ads",
    "Paid Search - Generic": "google_ads",
    "Display": "google_ads",
    "Display - Retargeting": "google_ads",
    "Paid Social - Meta": "meta",
    "Paid Social - LinkedIn": "linkedin",
}

#: Spellings of platform names seen in exports, mapped to the platform keys.
PLATFORM_ALIASES: dict[str, str] = {
    "google": "google_ads",
    "google ads": "google_ads",
    "google_ads": "google_ads",
    "adwords": "google_ads",
    "meta": "meta",
    "facebook": "meta",
    "instagram": "meta",
    "linkedin": "linkedin",
    "linkedin ads": "linkedin",
}


def platform_label(platform: str) -> str:
    """A readable platform name ("google_ads" -> "Google Ads"; others title-cased)."""
    return PLATFORM_LABELS.get(platform, str(platform).replace("_", " ").title())
