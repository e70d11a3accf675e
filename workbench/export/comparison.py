"""What each platform would receive under each model, next to what it claims.

For the attribution report: ``value_sent`` is the conversion value the export
would send a platform under a model (``full``: the whole value of every
converted journey the platform touched; a model: the ``value_credit`` that
model gives the platform's touches, see :mod:`workbench.export.values`),
``value_claimed`` the ``platform_conversion_value`` the platform reports for
itself in the spend table. Pass tables covering the same period; values are
summed as they are (one currency assumed).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from workbench.errors import ValidationError
from workbench.export.checks import require_columns
from workbench.export.rules import PLATFORM_ALIASES, PLATFORMS
from workbench.export.values import FULL_MODEL, credit_platforms, touch_platforms
from workbench.schema import CHANNEL, JOURNEY_ID, PLATFORM, VALUE

__all__ = ["COMPARISON_COLUMNS", "platform_value_comparison"]

#: Output columns of :func:`platform_value_comparison`.
COMPARISON_COLUMNS: tuple[str, ...] = ("platform", "model", "value_sent", "value_claimed")


def platform_value_comparison(
    credits: pd.DataFrame,
    journeys: pd.DataFrame,
    touches: pd.DataFrame | None,
    spend: pd.DataFrame,
    *,
    channel_platforms: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Value each platform would be sent per model vs the value it claims.

    Parameters
    ----------
    credits
        Per-touch credits: ``journey_id, position, channel, model, value_credit``.
    journeys
        Journeys: ``journey_id``, ``value`` (and ``converted`` when present).
    touches
        Journey touches (``journey_id, position, channel`` [+ ``platform``]);
        ``None`` to take touch channels from ``credits``.
    spend
        Spend table: ``platform`` and ``platform_conversion_value`` (missing
        column -> claims unknown, NaN).
    channel_platforms
        Channel group -> platform override.

    Returns
    -------
    pandas.DataFrame
        Long frame ``platform, model, value_sent, value_claimed``: one row per
        platform (ad platforms seen in credits or spend) and model (``full``
        first, then the credit models sorted), sorted by platform then model.
    """
    problems = require_columns(
        credits,
        (JOURNEY_ID, "position", CHANNEL, "model", "value_credit"),
        table="credits",
        purpose="platform value comparison",
    )
    problems += require_columns(
        journeys, (JOURNEY_ID, VALUE), table="journeys", purpose="platform value comparison"
    )
    problems += require_columns(
        spend, (PLATFORM,), table="spend", purpose="platform value comparison"
    )
    if touches is not None:
        problems += require_columns(
            touches, (JOURNEY_ID, CHANNEL), table="touches", purpose="platform value comparison"
        )
    if problems:
        raise ValidationError(problems, context="platform value comparison")

    owner = credit_platforms(credits, touches, channel_platforms=channel_platforms)
    modeled = (
        pd.DataFrame(
            {
                "platform": owner.to_numpy(),
                "model": credits["model"].astype("string").to_numpy(),
                "value_sent": pd.to_numeric(credits["value_credit"], errors="coerce").to_numpy(),
            }
        )
        .dropna(subset=["platform"])
        .groupby(["platform", "model"])["value_sent"]
        .sum()
    )

    source = touches if touches is not None else credits
    touched = (
        pd.DataFrame(
            {
                JOURNEY_ID: source[JOURNEY_ID].astype("string").to_numpy(),
                "platform": touch_platforms(source, channel_platforms=channel_platforms).to_numpy(),
            }
        )
        .dropna()
        .drop_duplicates()
    )
    done = journeys
    if "converted" in done.columns:
        done = done[done["converted"].fillna(False).astype(bool)]
    value = pd.Series(
        pd.to_numeric(done[VALUE], errors="coerce").to_numpy(),
        index=done[JOURNEY_ID].astype("string").to_numpy(),
    )
    value = value[~value.index.duplicated()]
    touched["value_sent"] = touched[JOURNEY_ID].map(value)
    full = touched.groupby("platform")["value_sent"].sum()

    spend_platform = spend[PLATFORM].astype("string").str.strip().str.lower()
    spend_platform = spend_platform.map(PLATFORM_ALIASES).astype("string").fillna(spend_platform)
    claims = (
        pd.to_numeric(spend["platform_conversion_value"], errors="coerce")
        if "platform_conversion_value" in spend.columns
        else pd.Series(float("nan"), index=spend.index)
    )
    claimed = claims.groupby(spend_platform.to_numpy()).sum(min_count=1)

    seen = set(modeled.index.get_level_values("platform")) | set(full.index) | set(claimed.index)
    platforms = [p for p in PLATFORMS if p in seen] + sorted(seen - set(PLATFORMS))
    models = [FULL_MODEL, *sorted(credits["model"].dropna().astype(str).unique())]
    grid = pd.MultiIndex.from_product([platforms, models], names=["platform", "model"])
    sent = pd.concat([pd.concat({FULL_MODEL: full}, names=["model"]).swaplevel(), modeled])
    out = pd.DataFrame(index=grid).reset_index()
    out["value_sent"] = (
        sent.reindex(grid).fillna(0.0).astype("float64").to_numpy() if len(sent) else 0.0
    )
    out["value_claimed"] = out["platform"].map(claimed).astype("float64")
    out["platform"] = out["platform"].astype("string")
    out["model"] = out["model"].astype("string")
    return out[list(COMPARISON_COLUMNS)]
