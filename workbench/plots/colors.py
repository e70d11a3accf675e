"""One colour per channel, the same in every figure of the project.

Known channel names (GA4's default channel groups plus the project's custom
channels) have a fixed colour, chosen so that channel families read together:
paid search in blues, paid social in purples, display in oranges, organic in
greens, owned/sales touches in reds and golds, catch-alls in greys. Any other
name gets a colour derived from an MD5 hash of the name, so it is the same in
every run, every process and every figure without being registered anywhere.

Lookups ignore case, repeated spaces and the dash variant ("Paid Search –
Brand" is "Paid Search - Brand").
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable

__all__ = [
    "CHANNEL_COLORS",
    "FALLBACK_COLOR",
    "channel_color",
    "channel_palette",
    "text_color",
]

#: Fixed colours of the known channels and of the analysis placeholders.
CHANNEL_COLORS: dict[str, str] = {
    # paid search: blues
    "Paid Search": "#1f5fbf",
    "Paid Search - Brand": "#1f4e99",
    "Paid Search - Generic": "#5b9bd5",
    "Cross-network": "#3f51b5",
    # paid social: purples
    "Paid Social": "#7b4fc9",
    "Paid Social - Meta": "#9c7be0",
    "Paid Social - LinkedIn": "#512d91",
    # display and other paid: oranges and warm browns
    "Display": "#e6842a",
    "Display - Retargeting": "#f5b26b",
    "Paid Video": "#d6604d",
    "Paid Shopping": "#c77c1e",
    "Paid Other": "#b07a4f",
    "Affiliates": "#b8860b",
    "Audio": "#8d6e63",
    # organic: greens
    "Organic Search": "#2e9e44",
    "Organic Social": "#8bc34a",
    "Organic Video": "#4caf90",
    "Organic Shopping": "#9ccc65",
    # owned and direct
    "Email": "#17a2b8",
    "SMS": "#00838f",
    "Mobile Push Notifications": "#4dd0e1",
    "Direct": "#4d4d4d",
    "Referral": "#8c564b",
    # people-led touches: reds and gold
    "Webinar": "#d62728",
    "Sales": "#7f0000",
    "Events": "#e3b505",
    # catch-alls
    "Other": "#9e9e9e",
    "Unassigned": "#c7c7c7",
    # placeholders used by the analyses
    "(other)": "#b3b3b3",
    "(not set)": "#d0d0d0",
    "(no touch)": "#e3e3e3",
    "(start)": "#6b6b6b",
    "(end: converted)": "#1a9850",
    "(end: not converted)": "#dcdcdc",
    "Converted": "#1a9850",
    "Not converted": "#dcdcdc",
}

#: Colour for a missing (None/NaN) channel.
FALLBACK_COLOR = "#c7c7c7"


def _norm(name: str) -> str:
    text = name.replace("\u2013", "-").replace("\u2014", "-")
    return " ".join(text.split()).casefold()


_BY_NORM = {_norm(k): v for k, v in CHANNEL_COLORS.items()}


def _hashed(name: str) -> str:
    digest = hashlib.md5(_norm(name).encode("utf-8"), usedforsecurity=False).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    light = 0.42 + 0.16 * digest[2] / 255
    sat = 0.50 + 0.30 * digest[3] / 255
    r, g, b = colorsys.hls_to_rgb(hue, light, sat)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def channel_color(name: object) -> str:
    """The colour (``"#rrggbb"``) of a channel name.

    Known names get their fixed colour, anything else a stable hash-based one;
    ``None``/NaN get :data:`FALLBACK_COLOR`.

    Examples
    --------
    >>> channel_color("Organic Search")
    '#2e9e44'
    >>> channel_color("paid search  –  brand") == channel_color("Paid Search - Brand")
    True
    """
    if name is None or (isinstance(name, float) and name != name):
        return FALLBACK_COLOR
    try:
        if bool(name != name):  # pandas NA / NaT
            return FALLBACK_COLOR
    except TypeError:
        return FALLBACK_COLOR
    text = str(name)
    return _BY_NORM.get(_norm(text)) or _hashed(text)


def channel_palette(names: Iterable[object]) -> dict[str, str]:
    """``{name: colour}`` for each distinct name, in first-seen order.

    Look colours up in it when drawing.
    """
    out: dict[str, str] = {}
    for name in names:
        key = str(name)
        if key not in out:
            out[key] = channel_color(name)
    return out


def text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``"#rrggbb"``)."""
    r, g, b = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.55 else "#ffffff"
