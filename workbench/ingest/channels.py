"""Channel grouping: GA4's default channel group, after the project's own rules.

:func:`assign_channels` fills the ``channel`` column of the touchpoints table;
:func:`default_channel_group` is the lower-level GA4 classifier over source /
medium / campaign.

GA4 default channel group
-------------------------
The rules reproduce Google's published definitions ("[GA4] Default channel
group", support.google.com/analytics/answer/9756891) for manually tagged
traffic, in Google's priority order; the first matching rule wins. All
comparisons are case-insensitive, as in GA4. ``PAID`` below is the medium
regex ``^(.*cp.*|ppc|retargeting|paid.*)$`` and ``SHOP`` the campaign regex
``^(.*(([^a-df-z]|^)shop|shopping).*)$``.

==========================  ==============================================================
Direct                      source is ``(direct)`` and medium is ``(not set)`` or ``(none)``
Cross-network               campaign contains ``cross-network``
Paid Shopping               (source in SHOPPING sites or campaign matches SHOP) and PAID
Paid Search                 source in SEARCH sites and medium matches PAID
Paid Social                 source in SOCIAL sites and medium matches PAID
Paid Video                  source in VIDEO sites and medium matches PAID
Display                     medium is display, banner, expandable, interstitial or cpm
Paid Other                  medium matches PAID
Organic Shopping            source in SHOPPING sites or campaign matches SHOP
Organic Social              source in SOCIAL sites or medium is social, social-network,
                            social-media, sm, social network or social media
Organic Video               source in VIDEO sites or medium matches ``^(.*video.*)$``
Organic Search              source in SEARCH sites or medium is ``organic``
Referral                    medium is referral, app or link
Email                       source or medium is email, e-mail, e_mail or e mail
Affiliates                  medium is ``affiliate``
Audio                       medium is ``audio``
SMS                         source or medium is ``sms``
Mobile Push Notifications   medium ends with ``push``, or contains ``mobile`` or
                            ``notification``, or source is ``firebase``
Unassigned                  anything else
==========================  ==============================================================

Google's conditions on Google Ads metadata (ad network type, campaign type)
are not available in exports and are not reproduced; a Google Ads click is
recognised through its click id instead (below).

Source categories
-----------------
Google classifies sources with lists of search, social, shopping and video
sites. The workbench ships Google's full published list (819 sources) as
package data, ``workbench/data/ga4_source_categories.csv``
(:data:`SOURCE_CATEGORIES_FILE`, columns ``source, source_category, origin``;
provenance in ``workbench/data/README.md``), plus a few newer sites marked
``origin = workbench``; :func:`source_categories` gives its sources per
category (``SOURCE_CATEGORY_SEARCH`` -> ``"search"`` ..., read on first use).
A source matches a category when, after lower-casing, removing a URL scheme, path and a leading ``www.``, it is
in the list; or, with a mobile/link-shim prefix (``m.``, ``l.``, ``lm.``,
``mobile.``, ``mbasic.``) removed, it is in the list; or it is
``<brand>.<public suffix>`` (``google.de``, ``yahoo.co.jp``) for a brand name
in the list. Other sub-domains (``mail.google.com``) do not match.

Missing values and click ids
----------------------------
A row without source and medium is ``(direct) / (none)``, i.e. Direct, as in
GA4; a missing source next to a medium is ``(not set)``, a missing medium next
to a source is ``(not set)``. When the medium is missing and the row carries a
click id, the click id stands for the auto-tagging it comes from (first
present in the order of :data:`CLICK_ID_SOURCES`): gclid / gbraid / wbraid →
``google / cpc``, msclkid → ``bing / cpc``, fbclid → ``facebook / cpc``,
li_fat_id → ``linkedin / cpc``, ttclid → ``tiktok / cpc`` (all ending as
Paid Search or Paid Social), dclid → ``dv360 / cpm`` (Display); a present
source is kept. Note that Meta appends ``fbclid`` to organic links too, so
untagged fbclid traffic counts as Paid Social here.

Channel groups given by the export
----------------------------------
Newer GA4 exports carry Google's own session channel group
(``session_traffic_source_last_click.cross_channel_campaign.default_channel_group``,
read into the ``ga4_channel_group`` column). Where it is present,
:func:`assign_channels` uses it instead of recomputing the rules above (the
project's own rules still come first); the rules are the fallback for older
exports and for other sources.

Non-visit touches (e-mail sends/opens/clicks, webinars, calls, meetings,
demos, offline events, CRM stages, impressions) normally get their channel
from the source configuration (set by the reader). When it is missing and the
row has no source, medium or click id, e-mail touches are Email and the others
Unassigned (they are not direct visits); with UTM tags the GA4 rules apply.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.config import ChannelRule
from workbench.schema import CAMPAIGN, CHANNEL, CLICK_ID_TYPES, PLATFORM, TOUCH_TYPE

__all__ = [
    "CHANNEL_GROUPS",
    "CLICK_ID_SOURCES",
    "NON_VISIT_TOUCH_TYPES",
    "PAID_MEDIUM_REGEX",
    "SHOP_CAMPAIGN_REGEX",
    "SOURCE_CATEGORIES_FILE",
    "assign_channels",
    "default_channel_group",
    "source_categories",
    "source_category",
]

#: GA4 default channel groups in rule priority order.
CHANNEL_GROUPS: tuple[str, ...] = (
    "Direct",
    "Cross-network",
    "Paid Shopping",
    "Paid Search",
    "Paid Social",
    "Paid Video",
    "Display",
    "Paid Other",
    "Organic Shopping",
    "Organic Social",
    "Organic Video",
    "Organic Search",
    "Referral",
    "Email",
    "Affiliates",
    "Audio",
    "SMS",
    "Mobile Push Notifications",
    "Unassigned",
)

PAID_MEDIUM_REGEX = r"^(.*cp.*|ppc|retargeting|paid.*)$"
SHOP_CAMPAIGN_REGEX = r"^(.*(([^a-df-z]|^)shop|shopping).*)$"
_VIDEO_MEDIUM_REGEX = r"^(.*video.*)$"
_DISPLAY_MEDIUMS = ("display", "banner", "expandable", "interstitial", "cpm")
_SOCIAL_MEDIUMS = (
    "social",
    "social-network",
    "social-media",
    "sm",
    "social network",
    "social media",
)
_EMAIL_VALUES = ("email", "e-mail", "e_mail", "e mail")
_REFERRAL_MEDIUMS = ("referral", "app", "link")
_DIRECT_SOURCES = ("(direct)", "direct")
_RULE_FIELDS = ("source", "medium", "campaign", "touch_type", "platform", "click_id")
_NONE_MEDIUMS = ("(none)", "(not set)")

#: Click id → (source, medium) that GA4 auto-tagging implies, in precedence order.
CLICK_ID_SOURCES: dict[str, tuple[str, str]] = {
    "gclid": ("google", "cpc"),
    "gbraid": ("google", "cpc"),
    "wbraid": ("google", "cpc"),
    "msclkid": ("bing", "cpc"),
    "fbclid": ("facebook", "cpc"),
    "li_fat_id": ("linkedin", "cpc"),
    "ttclid": ("tiktok", "cpc"),
    "dclid": ("dv360", "cpm"),
}

#: Touch types that are not website/app visits (see the module docstring).
NON_VISIT_TOUCH_TYPES: tuple[str, ...] = (
    "ad_impression",
    "email_send",
    "email_open",
    "email_click",
    "webinar_registration",
    "webinar_attendance",
    "sales_call",
    "meeting",
    "demo",
    "offline_event",
    "crm_stage",
)

# --- source categories: Google's list, shipped as package data ---------------
#: The source-category table (``source,source_category,origin``), see ``workbench/data/README.md``.
SOURCE_CATEGORIES_FILE = Path(__file__).parents[1] / "data" / "ga4_source_categories.csv"
_CATEGORY_NAMES = {
    "search": "SOURCE_CATEGORY_SEARCH",
    "social": "SOURCE_CATEGORY_SOCIAL",
    "shopping": "SOURCE_CATEGORY_SHOPPING",
    "video": "SOURCE_CATEGORY_VIDEO",
}


@functools.cache
def source_categories() -> dict[str, frozenset[str]]:
    """``{category: lower-cased sources}`` from :data:`SOURCE_CATEGORIES_FILE` (read once)."""
    table = pd.read_csv(SOURCE_CATEGORIES_FILE, dtype=str, keep_default_na=False)
    names = table["source"].str.strip().str.lower()
    return {
        short: frozenset(names[table["source_category"] == long])
        for short, long in _CATEGORY_NAMES.items()
    }


_SHIM_PREFIX = r"^(?:m|l|lm|mobile|mbasic)\."
_BRAND = r"^([a-z0-9-]+)\.(?:(?:co|com|org|net|ac|gov|gob|ne|or|edu)\.)?[a-z]{2,}$"


def _clean(values: pd.Series) -> pd.Series:
    """Lower-cased, stripped text with missing as ``""``."""
    return values.astype("string").str.strip().str.lower().fillna("")


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Factorize raw values, then clean only the uniques (fast on long columns).

    Returns integer codes per row into the cleaned uniques (distinct cleaned
    values may repeat in the uniques; that only costs a few duplicate combinations).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    cleaned = _clean(pd.Series(np.asarray(uniques, dtype=object), dtype="object"))
    cleaned = pd.concat([cleaned, pd.Series([""])], ignore_index=True)  # code -1 -> ""
    codes = np.where(codes < 0, len(cleaned) - 1, codes)
    return codes.astype(np.int64), cleaned.astype(str)


def _present(values: pd.Series) -> np.ndarray:
    """Non-missing, non-blank values."""
    mask = values.notna().to_numpy(dtype=bool, copy=True)
    if mask.any():
        blank = values[mask].astype("string").str.strip().eq("").to_numpy(dtype=bool)
        idx = np.flatnonzero(mask)
        mask[idx[blank]] = False
    return mask


def _on_unique(values: pd.Series, fn) -> np.ndarray:
    """``fn`` (a boolean test on a Series) evaluated once per distinct value, mapped back."""
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return np.zeros(len(values), dtype=bool)
    result = np.asarray(fn(pd.Series(np.asarray(uniques, dtype=object))), dtype=bool)
    return np.append(result, False)[codes]


def _category_of_unique(text: pd.Series, names: frozenset[str]) -> pd.Series:
    host = (
        text.str.replace(r"^[a-z][a-z0-9+.\-]*://", "", regex=True)
        .str.replace(r"[/?#].*$", "", regex=True)
        .str.replace(r"^www\.", "", regex=True)
    )
    unshimmed = host.str.replace(_SHIM_PREFIX, "", regex=True)
    brand = unshimmed.str.extract(_BRAND, expand=False).fillna("")
    return host.isin(names) | unshimmed.isin(names) | brand.isin(names)


def source_category(sources: pd.Series, category: str) -> pd.Series:
    """Whether each source belongs to a GA4 source category.

    Parameters
    ----------
    sources
        Traffic sources (``utm_source`` values or referrer hosts/URLs).
    category
        ``"search"``, ``"social"``, ``"shopping"`` or ``"video"``.

    Returns
    -------
    pandas.Series
        Boolean, aligned with ``sources`` (see the module docstring for the
        matching); computed once per distinct source.
    """
    names = source_categories()[category]
    hit = _on_unique(_clean(sources), lambda u: _category_of_unique(u.astype(str), names))
    return pd.Series(hit, index=sources.index, dtype=bool)


def _click_kind(click_ids: pd.DataFrame | None, n: int) -> tuple[np.ndarray, pd.Series]:
    """Code of the first present click id per row, and the labels (``""`` = none)."""
    names = list(CLICK_ID_SOURCES)
    kind = np.zeros(n, dtype=np.int64)
    if click_ids is not None:
        for i in range(len(names), 0, -1):  # earlier names win
            if names[i - 1] in click_ids.columns:
                kind[_present(click_ids[names[i - 1]])] = i
    return kind, pd.Series(["", *names], dtype=object)


def _combinations(
    fields: dict[str, pd.Series | tuple[np.ndarray, pd.Series]],
) -> tuple[np.ndarray, pd.DataFrame]:
    """Code per row of its unique combination of cleaned fields, and those combinations.

    Each field is factorized on its own (cleaning only its unique values), or
    given already coded as ``(codes, labels)``; the per-field codes are
    combined into one integer key.
    """
    first_field = next(iter(fields.values()))
    n = len(first_field[0] if isinstance(first_field, tuple) else first_field)
    key = np.zeros(n, dtype=np.int64)
    tables: dict[str, pd.Series] = {}
    field_codes: dict[str, np.ndarray] = {}
    span = 1  # keys are < span
    for name, values in fields.items():
        codes, labels = values if isinstance(values, tuple) else _codes(values)
        field_codes[name], tables[name] = codes, labels.astype(str)
        if span * (len(labels) + 1) >= 2**62:  # compact before the key could overflow
            key, uniques = pd.factorize(key)
            span = len(uniques)
        key = key * (len(labels) + 1) + codes
        span *= len(labels) + 1
    key, _ = pd.factorize(key)
    key = np.asarray(key, dtype=np.int64)
    # factorize numbers keys by first appearance, so first occurrences come in key order
    first = pd.Series(key).drop_duplicates().index.to_numpy()
    uniq = pd.DataFrame(
        {name: tables[name].to_numpy()[field_codes[name][first]] for name in fields}
    )
    return key, uniq.astype(str)


def _ga4_rules(source: pd.Series, medium: pd.Series, campaign: pd.Series) -> np.ndarray:
    """Apply the GA4 rules to cleaned, unique-ish values; returns channel names."""
    paid = _on_unique(medium, lambda u: u.str.fullmatch(PAID_MEDIUM_REGEX))
    shop_campaign = _on_unique(campaign, lambda u: u.str.fullmatch(SHOP_CAMPAIGN_REGEX))
    cat = {
        name: _on_unique(source, lambda u, names=names: _category_of_unique(u, names))
        for name, names in source_categories().items()
    }
    shopping = cat["shopping"] | shop_campaign
    conditions = [
        source.isin(_DIRECT_SOURCES) & medium.isin(_NONE_MEDIUMS),
        campaign.str.contains("cross-network", regex=False),
        shopping & paid,
        cat["search"] & paid,
        cat["social"] & paid,
        cat["video"] & paid,
        medium.isin(_DISPLAY_MEDIUMS),
        paid,
        shopping,
        cat["social"] | medium.isin(_SOCIAL_MEDIUMS),
        cat["video"] | _on_unique(medium, lambda u: u.str.fullmatch(_VIDEO_MEDIUM_REGEX)),
        cat["search"] | medium.eq("organic"),
        medium.isin(_REFERRAL_MEDIUMS),
        source.isin(_EMAIL_VALUES) | medium.isin(_EMAIL_VALUES),
        medium.eq("affiliate"),
        medium.eq("audio"),
        source.eq("sms") | medium.eq("sms"),
        medium.str.endswith("push")
        | medium.str.contains("mobile", regex=False)
        | medium.str.contains("notification", regex=False)
        | source.eq("firebase"),
    ]
    conds = [np.asarray(c, dtype=bool) for c in conditions]
    return np.select(conds, list(CHANNEL_GROUPS[:-1]), default=CHANNEL_GROUPS[-1])


def _fill_missing(
    source: pd.Series, medium: pd.Series, kind: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """GA4's placeholders for missing values, and click-id implied source/medium."""
    no_source = source.eq("") | source.isin(_DIRECT_SOURCES)
    no_medium = medium.eq("") | medium.isin(_NONE_MEDIUMS)
    src = source.mask(source.eq(""), np.where(no_medium, "(direct)", "(not set)"))
    med = medium.mask(medium.eq(""), np.where(src.eq("(direct)"), "(none)", "(not set)"))
    implied = kind.ne("") & no_medium
    if implied.any():
        click_src = kind.map({k: v[0] for k, v in CLICK_ID_SOURCES.items()})
        click_med = kind.map({k: v[1] for k, v in CLICK_ID_SOURCES.items()})
        src = src.mask(implied & no_source, click_src)
        med = med.mask(implied, click_med)
    return src, med


def default_channel_group(
    source: pd.Series,
    medium: pd.Series,
    campaign: pd.Series | None = None,
    *,
    click_ids: pd.DataFrame | None = None,
) -> pd.Series:
    """GA4 default channel group of each row.

    Parameters
    ----------
    source, medium, campaign
        Aligned Series of ``utm_source``, ``utm_medium`` and campaign name
        (missing allowed; ``campaign`` may be omitted).
    click_ids
        Optional frame aligned with ``source`` whose columns are click id
        types (``gclid``, ``fbclid``, ``dclid`` ...); see the module docstring.

    Returns
    -------
    pandas.Series
        Channel group names (one of :data:`CHANNEL_GROUPS`), string dtype,
        same index as ``source``. Rules are evaluated once per unique
        (source, medium, campaign, click id type) combination.
    """
    index = source.index
    if campaign is None:
        campaign = pd.Series(pd.NA, index=index, dtype="string")
    if len(index) == 0:
        return pd.Series([], index=index, dtype="string")
    codes, uniq = _combinations(
        {
            "s": source,
            "m": medium,
            "c": campaign,
            "k": _click_kind(click_ids, len(index)),
        }
    )
    src, med = _fill_missing(uniq["s"], uniq["m"], uniq["k"])
    channels = _ga4_rules(src, med, uniq["c"])
    return pd.Series(channels[codes], index=index, dtype="string")


def _as_is(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes and stripped labels of ``values`` (not lower-cased; missing -> ``""``)."""
    codes, uniques = pd.factorize(values)
    labels = pd.Series([*np.asarray(uniques, dtype=object), ""], dtype=object)
    labels = labels.astype(str).str.strip()
    return np.where(codes < 0, len(labels) - 1, codes).astype(np.int64), labels


def _rule_mask(rule: ChannelRule, fields: pd.DataFrame) -> np.ndarray:
    """Rows (of the unique combination frame) matching every field the rule sets."""
    mask = np.ones(len(fields), dtype=bool)
    for name in _RULE_FIELDS:
        pattern = getattr(rule, name)
        if pattern is not None:
            hit = fields[name].str.fullmatch(pattern, case=False)
            mask &= hit.fillna(False).to_numpy(dtype=bool)
    return mask


def assign_channels(
    touchpoints: pd.DataFrame,
    rules: Iterable[ChannelRule] = (),
    *,
    source_col: str = "traffic_source",
    medium_col: str = "traffic_medium",
    campaign_col: str = CAMPAIGN,
    touch_type_col: str = TOUCH_TYPE,
    platform_col: str = PLATFORM,
    channel_col: str = CHANNEL,
    click_id_cols: Sequence[str] = (*CLICK_ID_TYPES, "dclid"),
    given_group_col: str = "ga4_channel_group",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Fill the channel of every touchpoint: user rules first, then GA4's default group.

    Parameters
    ----------
    touchpoints
        Touchpoints table. Columns that are absent count as missing.
    rules
        User rules (``[[channel_rules]]``), tried in order before the GA4
        rules; a rule matches when every field it sets full-matches
        (case-insensitive regex). Missing values are matched as ``""``; the
        ``click_id`` field is matched against the type name of the row's
        first present click id (``gclid`` ...).
    source_col, medium_col, campaign_col, touch_type_col, platform_col, channel_col
        Column names.
    click_id_cols
        Click id columns looked at (those present in the frame are used).
    given_group_col
        Channel group the export already computed (GA4's
        ``session_traffic_source_last_click.cross_channel_campaign.default_channel_group``,
        read into ``ga4_channel_group``): where present it is used instead of
        recomputing the GA4 default channel group (user rules still come first).
    overwrite
        ``False`` (default): only rows whose channel is missing are filled,
        so a channel set by the reader from the source configuration is
        kept. ``True``: user rules also override existing channels (the GA4
        rules still only fill missing ones).

    Returns
    -------
    pandas.DataFrame
        A copy of ``touchpoints`` with ``channel_col`` filled (string dtype);
        every other column unchanged.
    """
    out = touchpoints.copy(deep=False)
    n = len(out)
    missing = pd.Series(pd.NA, index=out.index, dtype="string")

    def col(name: str) -> pd.Series:
        return out[name] if name in out.columns else missing

    if n == 0:
        out[channel_col] = col(channel_col).astype("string")
        return out
    # the current and the given channel join the combination key as is (not lower-cased)
    clicks = out[[c for c in click_id_cols if c in out.columns]]
    codes, u = _combinations(
        {
            "source": col(source_col),
            "medium": col(medium_col),
            "campaign": col(campaign_col),
            "touch_type": col(touch_type_col),
            "platform": col(platform_col),
            "click_id": _click_kind(clicks, n),
            "current": _as_is(col(channel_col)),
            "given": _as_is(col(given_group_col)),
        }
    )
    by_rule = np.full(len(u), "", dtype=object)
    for rule in rules:
        hit = _rule_mask(rule, u) & (by_rule == "")
        by_rule[hit] = rule.channel
    # GA4 defaults (once per source/medium/campaign/click id), with the
    # fallback for untagged non-visit touches
    g_codes, g = _combinations({k: u[k] for k in ("source", "medium", "campaign", "click_id")})
    src, med = _fill_missing(g["source"], g["medium"], g["click_id"])
    ga4 = _ga4_rules(src, med, g["campaign"])[g_codes]
    untagged = u["source"].eq("") & u["medium"].eq("") & u["click_id"].eq("")
    non_visit = (u["touch_type"].isin(NON_VISIT_TOUCH_TYPES) & untagged).to_numpy(dtype=bool)
    emailish = u["touch_type"].str.startswith("email").to_numpy(dtype=bool)
    ga4 = np.where(non_visit, np.where(emailish, "Email", "Unassigned"), ga4)
    given = u["given"].to_numpy(dtype=object)
    ga4 = np.where(given != "", given, ga4)
    current = u["current"].to_numpy(dtype=object)
    first, second = (by_rule, current) if overwrite else (current, by_rule)
    final = np.where(first != "", first, np.where(second != "", second, ga4))
    labels = pa.array(final.astype(str).tolist(), type=pa.large_string())
    channel = pd.Series(
        pd.arrays.ArrowStringArray(pc.take(labels, pa.array(codes))), index=out.index
    )
    out[channel_col] = channel
    return out
