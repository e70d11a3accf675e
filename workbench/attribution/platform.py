"""Platform-reported attribution and double counting.

Every ad platform credits itself with every conversion it can see, so their claims add
up to more than the conversions that happened. Two views:

:func:`platform_reported`
    What each platform says: the sums of ``platform_conversions`` /
    ``platform_conversion_value`` of the canonical spend table, with the spend.
:func:`click_window_claims`
    What each platform *would* claim from our own journeys: a converted journey counts
    for a platform when it has a click of that platform (``touch_type`` in
    ``click_types``, default ``ad_click``) at most ``window`` days before the
    conversion. Default windows: Google Ads 30 days, Meta 7, LinkedIn 30 (click-through
    only; view-through claims are not modelled). The platform of a touch comes from a
    ``platform`` column of the touches or from a ``channel_platform`` mapping.
:func:`double_counting`
    Sum of claims over the deduplicated truth (converted journeys and their value):
    ``ratio = claimed / deduplicated``; above 1 means double counting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.attribution._helpers import _require_columns
from workbench.attribution.inputs import (
    CONVERSION_TS,
    CONVERTED,
    DAYS_TO_CONVERSION,
    touch_days_before,
)
from workbench.errors import ValidationError
from workbench.platforms import DEFAULT_CLICK_WINDOWS
from workbench.schema import CHANNEL, JOURNEY_ID, PLATFORM, SPEND, TOUCH_TYPE, TS, VALUE

__all__ = [
    "CLAIM_COLUMNS",
    "DEFAULT_CLICK_WINDOWS",
    "click_window_claims",
    "double_counting",
    "platform_reported",
]

#: Columns shared by both claim frames.
CLAIM_COLUMNS: tuple[str, ...] = (PLATFORM, "conversions", "value")

_SPEND = SPEND["spend"].name
_PLATFORM_CONVERSIONS = SPEND["platform_conversions"].name
_PLATFORM_VALUE = SPEND["platform_conversion_value"].name


def platform_reported(
    spend: pd.DataFrame,
    *,
    platform: str = PLATFORM,
    spend_col: str = _SPEND,
    conversions: str = _PLATFORM_CONVERSIONS,
    value: str = _PLATFORM_VALUE,
) -> pd.DataFrame:
    """What each platform claims in the spend table.

    Returns
    -------
    DataFrame
        ``platform, conversions, value, spend`` (missing claims count as 0), one row per
        platform, sorted by platform.
    """
    _require_columns(spend, "spend", [platform, spend_col, conversions, value])
    problems = []
    for col in (spend_col, conversions, value):
        num = pd.to_numeric(spend[col], errors="coerce")
        bad = (num < 0) | (num.isna() & spend[col].notna())
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())[:5]
            problems.append(
                f"spend: column {col!r} must be a number >= 0; got rows "
                f"{[(int(r), spend[col].iloc[r]) for r in rows]}"
            )
    if problems:
        raise ValidationError(problems)
    frame = pd.DataFrame(
        {
            PLATFORM: spend[platform].astype("str"),
            "conversions": pd.to_numeric(spend[conversions]).fillna(0.0).astype(float),
            "value": pd.to_numeric(spend[value]).fillna(0.0).astype(float),
            "spend": pd.to_numeric(spend[spend_col]).fillna(0.0).astype(float),
        }
    )
    return frame.groupby(PLATFORM, sort=True, as_index=False)[
        ["conversions", "value", "spend"]
    ].sum()


def click_window_claims(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    *,
    windows: Mapping[str, float] = DEFAULT_CLICK_WINDOWS,
    channel_platform: Mapping[str, str] | None = None,
    click_types: Sequence[str] = ("ad_click",),
    journey_id: str = JOURNEY_ID,
    platform: str = PLATFORM,
    channel: str = CHANNEL,
    touch_type: str = TOUCH_TYPE,
    ts: str = TS,
    days_to_conversion: str = DAYS_TO_CONVERSION,
    converted: str = CONVERTED,
    value: str = VALUE,
    conversion_ts: str = CONVERSION_TS,
) -> pd.DataFrame:
    """Conversions each platform would claim under its own click window.

    Parameters
    ----------
    touches, journeys
        Journey tables. The touches need ``touch_type`` and either a ``platform`` column
        or ``channel_platform``.
    windows
        Click window in days per platform; platforms not listed claim nothing.
    channel_platform
        Channel -> platform mapping, used when the touches have no platform column.
    click_types
        Touch types that count as clicks.

    Returns
    -------
    DataFrame
        ``platform, conversions, value, window_days``, one row per platform in
        ``windows``.
    """
    _require_columns(touches, "journey_touches", [journey_id, touch_type])
    _require_columns(journeys, "journeys", [journey_id, converted, value])
    if platform in touches.columns:
        plat = touches[platform].astype("str").where(touches[platform].notna())
    elif channel_platform is not None:
        _require_columns(touches, "journey_touches", [channel])
        plat = touches[channel].map(dict(channel_platform))
    else:
        raise ValidationError(
            [
                f"journey_touches: no {platform!r} column and no channel_platform mapping; "
                "expected one of them to know which platform a click belongs to"
            ]
        )
    days = touch_days_before(
        touches,
        journeys,
        journey_id=journey_id,
        ts=ts,
        conversion_ts=conversion_ts,
        days_to_conversion=days_to_conversion,
    )
    jv = journeys.drop_duplicates(journey_id).set_index(journey_id)
    conv = jv[converted].astype(bool).reindex(touches[journey_id].to_numpy()).fillna(False)
    window = plat.map(dict(windows)).to_numpy(dtype=np.float64, na_value=np.nan)
    is_click = touches[touch_type].isin(list(click_types)).to_numpy()
    claim = is_click & conv.to_numpy(dtype=bool) & (days >= 0) & (days <= window)
    pairs = pd.DataFrame(
        {PLATFORM: plat.to_numpy()[claim], journey_id: touches[journey_id].to_numpy()[claim]}
    ).drop_duplicates()
    pairs["value"] = jv[value].reindex(pairs[journey_id].to_numpy()).to_numpy(dtype=np.float64)
    agg = pairs.groupby(PLATFORM)["value"].agg(["size", "sum"])
    names = list(windows)
    return pd.DataFrame(
        {
            PLATFORM: pd.Series(names, dtype="str"),
            "conversions": agg["size"].reindex(names).fillna(0).to_numpy(dtype=np.float64),
            "value": agg["sum"].reindex(names).fillna(0.0).to_numpy(dtype=np.float64),
            "window_days": np.array([windows[n] for n in names], dtype=np.float64),
        }
    )


def double_counting(
    claims: pd.DataFrame,
    journeys: pd.DataFrame,
    *,
    converted: str = CONVERTED,
    value: str = VALUE,
) -> pd.DataFrame:
    """Sum of platform claims against the deduplicated conversions and value.

    Parameters
    ----------
    claims
        Output of :func:`platform_reported` or :func:`click_window_claims`.
    journeys
        The journeys table: the truth is the number of converted journeys and their value.

    Returns
    -------
    DataFrame
        ``metric`` (``conversions``, ``value``), ``claimed``, ``deduplicated``, ``ratio``
        (NaN when nothing converted).
    """
    _require_columns(claims, "claims", list(CLAIM_COLUMNS))
    _require_columns(journeys, "journeys", [converted, value])
    conv = journeys[converted].astype(bool).to_numpy()
    claimed = np.array([claims["conversions"].sum(), claims["value"].sum()], dtype=np.float64)
    truth = np.array(
        [conv.sum(), pd.to_numeric(journeys[value]).to_numpy()[conv].sum()], dtype=np.float64
    )
    ratio = np.divide(claimed, truth, out=np.full(2, np.nan), where=truth > 0)
    return pd.DataFrame(
        {
            "metric": pd.Series(["conversions", "value"], dtype="str"),
            "claimed": claimed,
            "deduplicated": truth,
            "ratio": ratio,
        }
    )
