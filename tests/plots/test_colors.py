"""Tests of workbench.plots.colors: fixed palette, normalisation, stable fallback."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from workbench.plots.colors import (
    CHANNEL_COLORS,
    FALLBACK_COLOR,
    channel_color,
    channel_palette,
    text_color,
)

KNOWN = [
    "Paid Search - Brand",
    "Paid Search - Generic",
    "Paid Social - Meta",
    "Paid Social - LinkedIn",
    "Display - Retargeting",
    "Webinar",
    "Sales",
    "Events",
    "Email",
    "Organic Search",
    "Direct",
    "Referral",
    "Organic Social",
    "Other",
    "Unassigned",
    "Paid Search",
    "Paid Social",
    "Display",
    "Cross-network",
    "Paid Video",
    "Paid Shopping",
    "Paid Other",
    "Organic Video",
    "Organic Shopping",
    "Affiliates",
    "Audio",
    "SMS",
    "Mobile Push Notifications",
]


def test_every_known_channel_has_its_own_fixed_colour() -> None:
    colours = [channel_color(c) for c in KNOWN]
    assert colours == [CHANNEL_COLORS[c] for c in KNOWN]
    assert len(set(colours)) == len(colours)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)


def test_lookup_ignores_case_spaces_and_dash_variants() -> None:
    assert channel_color("paid search \u2013  brand") == CHANNEL_COLORS["Paid Search - Brand"]
    assert channel_color("ORGANIC SEARCH") == CHANNEL_COLORS["Organic Search"]


def test_unknown_channels_get_a_stable_hash_colour() -> None:
    a = channel_color("TikTok Ads")
    assert re.fullmatch(r"#[0-9a-f]{6}", a)
    assert a == channel_color("tiktok ads") == channel_color("TikTok Ads")
    assert a == "#ab45c9"  # fixed across runs and processes (md5-based, not hash())
    assert channel_color("Podcast") != a
    assert a not in CHANNEL_COLORS.values()


def test_missing_values_and_palette() -> None:
    assert channel_color(None) == channel_color(np.nan) == channel_color(pd.NA) == FALLBACK_COLOR
    pal = channel_palette(["Email", "Direct", "Email", "New thing"])
    assert list(pal) == ["Email", "Direct", "New thing"]
    assert pal["Email"] == CHANNEL_COLORS["Email"]
    assert text_color("#ffffff") == "#000000" and text_color("#000000") == "#ffffff"
