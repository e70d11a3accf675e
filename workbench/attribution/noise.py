"""Which channels' credit is too uncertain to act on.

A channel is flagged by the uncertainty that was measured: when a bootstrap interval
of its credit exists (:func:`~workbench.attribution.bootstrap.bootstrap_credits`), it is
flagged when the interval is wider than ``max_relative_width`` times its credited
conversions (by default: wider than the credit itself, i.e. roughly ±50% or worse), or
when its credit is zero or negative. Only a channel without a measured interval falls
back to the count rule: fewer than ``min_conversions`` credited conversions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.schema import CHANNEL

__all__ = ["NOISE_COLUMNS", "noisy_channels"]

#: Columns of :func:`noisy_channels`.
NOISE_COLUMNS: tuple[str, ...] = (
    CHANNEL,
    "conversions",
    "conversions_low",
    "conversions_high",
    "relative_width",
    "noisy",
    "rule",
)


def noisy_channels(
    credits: pd.DataFrame,
    intervals: pd.DataFrame | None = None,
    *,
    model: str,
    min_conversions: float = 30,
    max_relative_width: float = 1.0,
) -> pd.DataFrame:
    """Flag the channels whose ``model`` credit is too noisy to act on.

    Parameters
    ----------
    credits
        Long credit frame (``model, channel, conversions, value``).
    intervals
        Bootstrap intervals (``model, channel, conversions_low, conversions_high``), or
        None when none were measured.
    model
        The model whose credit is judged (e.g. the data-driven one that was bootstrapped).
    min_conversions
        The fallback rule for channels without an interval.
    max_relative_width
        Flag when ``(high - low) > max_relative_width * conversions``.

    Returns
    -------
    DataFrame
        :data:`NOISE_COLUMNS`, one row per channel of ``model``; ``rule`` is
        ``"interval"`` or ``"count"`` (which rule decided).
    """
    own = credits[credits["model"] == model]
    per = own.groupby(own[CHANNEL].astype(str), sort=False)["conversions"].sum()
    out = pd.DataFrame({CHANNEL: per.index.astype(str), "conversions": per.to_numpy(float)})
    low = high = pd.Series(np.nan, index=out.index)
    if intervals is not None and not intervals.empty:
        ci = intervals[intervals["model"] == model].set_index(intervals[CHANNEL].astype(str))
        low = out[CHANNEL].map(ci["conversions_low"]).astype(float)
        high = out[CHANNEL].map(ci["conversions_high"]).astype(float)
    out["conversions_low"] = low.to_numpy(float)
    out["conversions_high"] = high.to_numpy(float)
    measured = out["conversions_low"].notna() & out["conversions_high"].notna()
    width = out["conversions_high"] - out["conversions_low"]
    conv = out["conversions"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["relative_width"] = np.where(measured & (conv > 0), width / conv, np.nan)
    by_interval = (conv <= 0) | (width > max_relative_width * conv)
    by_count = conv < min_conversions
    out["noisy"] = np.where(measured, by_interval, by_count).astype(bool)
    out["rule"] = np.where(measured, "interval", "count")
    return out[list(NOISE_COLUMNS)].reset_index(drop=True)
