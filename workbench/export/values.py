"""The value sent to a platform for each conversion, chosen by an attribution model.

Models
------
``full``
    The conversion's own ``value``: what the platform gets today when every
    conversion it can match is reported at full value (each platform then
    claims the whole deal).
any attribution model name (``linear``, ``position_based``, ``markov`` ...)
    The value that model credits to *this platform's* touches in the
    conversion's journey: the sum of ``value_credit`` over the journey's
    credit rows whose touch belongs to the platform. The platform then learns
    its share of the truth instead of the whole.

Which touches belong to a platform: the ``platform`` column of the journey
touches when present and filled (spellings such as ``facebook`` are mapped by
:data:`~workbench.export.rules.PLATFORM_ALIASES`), otherwise the touch's
channel through ``channel_platforms`` (default
:data:`~workbench.export.rules.DEFAULT_CHANNEL_PLATFORMS`).

Conversions are tied to journeys by ``conversion_id`` when both tables have
one, otherwise by ``person_id`` + ``conversion_type`` + conversion time
(``ts`` = ``conversion_ts``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench.export.rules import DEFAULT_CHANNEL_PLATFORMS, PLATFORM_ALIASES
from workbench.schema import (
    CHANNEL,
    CONVERSION_ID,
    CONVERSION_TYPE,
    JOURNEY_ID,
    PERSON_ID,
    PLATFORM,
    TS,
    VALUE,
)

__all__ = [
    "FULL_MODEL",
    "NO_CREDIT",
    "NO_JOURNEY",
    "conversion_values",
    "credit_platforms",
    "match_journeys",
    "touch_platforms",
]

#: Model name meaning "send the conversion's own value".
FULL_MODEL = "full"
#: Rejection reason for a modeled value of zero.
NO_CREDIT = "model credits this platform nothing"
#: Rejection reason for a conversion without a journey (needed by a model).
NO_JOURNEY = "no journey found for this conversion (the model needs one)"

_CONVERSION_TS = "conversion_ts"


def _to_utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.as_unit("us")


def _named_platforms(values: pd.Series) -> pd.Series:
    named = values.astype("string").str.strip().str.lower()
    return named.map(PLATFORM_ALIASES).astype("string").fillna(named)


def touch_platforms(
    touches: pd.DataFrame, *, channel_platforms: Mapping[str, str] | None = None
) -> pd.Series:
    """Platform of each touch: its ``platform`` column when filled, else its channel's.

    Parameters
    ----------
    touches
        Frame with ``channel`` and optionally ``platform``.
    channel_platforms
        Channel group -> platform key; default
        :data:`~workbench.export.rules.DEFAULT_CHANNEL_PLATFORMS`.

    Returns
    -------
    pandas.Series
        ``string`` platform keys (missing: no ad platform), aligned with ``touches``.
    """
    mapping = dict(DEFAULT_CHANNEL_PLATFORMS if channel_platforms is None else channel_platforms)
    by_channel = touches[CHANNEL].astype("string").map(mapping).astype("string")
    if PLATFORM not in touches.columns:
        return by_channel
    return _named_platforms(touches[PLATFORM]).fillna(by_channel).astype("string")


def credit_platforms(
    credits: pd.DataFrame,
    touches: pd.DataFrame | None = None,
    *,
    channel_platforms: Mapping[str, str] | None = None,
) -> pd.Series:
    """Platform of the touch behind each credit row (missing when it is no ad platform).

    Parameters
    ----------
    credits
        Per-touch credit frame (``journey_id``, ``position``, ``channel``, ...).
    touches
        Journey touches; when they have a ``platform`` column it is joined on
        ``journey_id`` + ``position`` and wins over the channel mapping.
    channel_platforms
        Channel group -> platform key; default
        :data:`~workbench.export.rules.DEFAULT_CHANNEL_PLATFORMS`.

    Returns
    -------
    pandas.Series
        ``string`` platform keys aligned with ``credits``.
    """
    if touches is None or PLATFORM not in touches.columns:
        return touch_platforms(credits, channel_platforms=channel_platforms)
    keys = touches[[JOURNEY_ID, "position", PLATFORM]].drop_duplicates([JOURNEY_ID, "position"])
    keys = keys.astype({JOURNEY_ID: "string", "position": "int64"})
    left = credits[[JOURNEY_ID, "position", CHANNEL]].astype(
        {JOURNEY_ID: "string", "position": "int64"}
    )
    joined = left.merge(keys, on=[JOURNEY_ID, "position"], how="left")
    out = touch_platforms(joined, channel_platforms=channel_platforms)
    out.index = credits.index
    return out


def match_journeys(conversions: pd.DataFrame, journeys: pd.DataFrame) -> pd.Series:
    """``journey_id`` of each conversion's journey (missing where none matches).

    By ``conversion_id`` when both tables carry one, else by ``person_id``,
    ``conversion_type`` and conversion time.
    """
    out = pd.Series(pd.NA, index=conversions.index, dtype="string")
    done = journeys
    if "converted" in done.columns:
        done = done[done["converted"].fillna(False).astype(bool)]
    if CONVERSION_ID in conversions.columns and CONVERSION_ID in done.columns:
        ids = done.dropna(subset=[CONVERSION_ID]).drop_duplicates(CONVERSION_ID)
        lookup = pd.Series(
            ids[JOURNEY_ID].astype("string").to_numpy(),
            index=ids[CONVERSION_ID].astype("string").to_numpy(),
        )
        out = conversions[CONVERSION_ID].astype("string").map(lookup).astype("string")
    keys = [PERSON_ID, CONVERSION_TYPE, _CONVERSION_TS]
    if PERSON_ID not in conversions.columns or not set(keys) <= set(done.columns):
        return out
    right = done[[*keys, JOURNEY_ID]].dropna(subset=keys).copy()
    right[_CONVERSION_TS] = _to_utc(right[_CONVERSION_TS])
    right = right.astype({PERSON_ID: "string", CONVERSION_TYPE: "string", JOURNEY_ID: "string"})
    right = right.drop_duplicates(keys)
    left = pd.DataFrame(
        {
            PERSON_ID: conversions[PERSON_ID].astype("string").to_numpy(),
            CONVERSION_TYPE: conversions[CONVERSION_TYPE].astype("string").to_numpy(),
            _CONVERSION_TS: _to_utc(conversions[TS]).to_numpy(),
        }
    )
    joined = left.merge(right, on=keys, how="left")
    by_keys = pd.Series(joined[JOURNEY_ID].to_numpy(), index=conversions.index, dtype="string")
    return out.fillna(by_keys).astype("string")


def conversion_values(
    conversions: pd.DataFrame,
    *,
    platform: str,
    model: str = FULL_MODEL,
    credits: pd.DataFrame | None = None,
    journeys: pd.DataFrame | None = None,
    touches: pd.DataFrame | None = None,
    channel_platforms: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Value to send to ``platform`` for each conversion under ``model``.

    Parameters
    ----------
    conversions
        Canonical conversions (``ts``, ``conversion_type``, ``value`` ...).
    platform
        ``google_ads``, ``meta`` or ``linkedin``.
    model
        ``"full"`` or an attribution model present in ``credits["model"]``.
    credits, journeys, touches
        Attribution output, needed for any model but ``full``.
    channel_platforms
        Channel group -> platform override.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``conversions``; columns ``journey_id`` (string),
        ``value_sent`` (float) and ``value_reason`` (string: why the value
        cannot be sent, else missing).
    """
    reason = pd.Series(pd.NA, index=conversions.index, dtype="string")
    if model == FULL_MODEL:
        journey = (
            match_journeys(conversions, journeys)
            if journeys is not None
            else pd.Series(pd.NA, index=conversions.index, dtype="string")
        )
        value = pd.to_numeric(conversions[VALUE], errors="coerce").astype("float64")
        return pd.DataFrame({JOURNEY_ID: journey, "value_sent": value, "value_reason": reason})
    if credits is None or journeys is None:
        raise ValueError("models other than 'full' need credits and journeys")
    rows = credits[credits["model"].astype("string") == model]
    owner = credit_platforms(rows, touches, channel_platforms=channel_platforms)
    mine = rows[(owner == platform).fillna(False).to_numpy()]
    per_journey = (
        pd.to_numeric(mine["value_credit"], errors="coerce")
        .groupby(mine[JOURNEY_ID].astype("string"))
        .sum()
    )
    journey = match_journeys(conversions, journeys)
    value = journey.map(per_journey).astype("float64")
    value = value.where(journey.isna(), value.fillna(0.0))
    reason = reason.mask(journey.isna(), NO_JOURNEY)
    nothing = journey.notna() & np.isclose(value.fillna(0.0), 0.0)
    reason = reason.mask(nothing, NO_CREDIT)
    return pd.DataFrame({JOURNEY_ID: journey, "value_sent": value, "value_reason": reason})
