"""Per-touch credit for models that credit channels, not touches.

Markov and Shapley credit channels. Exports and per-platform value tables need
credit per touch, so :func:`spread_channel_credits` spreads a model's channel
credit over the touches of the converting journeys by iterative proportional
fitting, starting from the linear touch credits: each journey's touches share
exactly its conversion and value, and each channel's touches add up to the
model's credit for the channel (negative credit counts as 0; where both cannot
hold, the journey totals win).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.attribution.base import TOUCH_CREDIT_COLUMNS
from workbench.schema import CHANNEL, JOURNEY_ID

__all__ = ["reconcile_touch_credits", "spread_channel_credits"]


def spread_channel_credits(
    credits: pd.DataFrame, skeleton: pd.DataFrame, model: str, *, max_iter: int = 500
) -> pd.DataFrame:
    """Per-touch credits of a channel-level model (see the module docstring).

    ``credits`` is the model's ``model, channel, conversions, value`` table.

    ``skeleton`` is a touch-credit frame of the converting journeys (linear) whose
    ``credit`` / ``value_credit`` sum to each journey's conversions and value; it is
    the starting point of the iterative proportional fitting.
    """
    j_idx, _ = pd.factorize(skeleton[JOURNEY_ID])
    c_idx, channels = pd.factorize(skeleton[CHANNEL].astype(str))
    per_channel = credits.groupby(credits[CHANNEL].astype(str))[["conversions", "value"]].sum()
    out = skeleton[[JOURNEY_ID, "position", CHANNEL]].copy()
    for credit_col, column in (("credit", "conversions"), ("value_credit", "value")):
        x = skeleton[credit_col].to_numpy(dtype=np.float64).clip(0.0)
        row_target = np.bincount(j_idx, weights=x).astype(np.float64)  # float when empty
        col_target = (
            per_channel[column].reindex(channels).fillna(0.0).clip(lower=0.0).to_numpy(copy=True)
        )
        if col_target.sum() > 0:
            col_target *= row_target.sum() / col_target.sum()
        for _ in range(max_iter):
            col = np.bincount(c_idx, weights=x, minlength=len(channels)).astype(np.float64)
            x *= np.divide(col_target, col, out=np.zeros_like(col), where=col > 0)[c_idx]
            row = np.bincount(j_idx, weights=x, minlength=len(row_target)).astype(np.float64)
            x *= np.divide(row_target, row, out=np.zeros_like(row), where=row > 0)[j_idx]
            gap = np.abs(np.bincount(c_idx, weights=x, minlength=len(channels)) - col_target)
            if gap.sum() <= 1e-9 * max(row_target.sum(), 1.0):
                break
        out[credit_col] = x
    out["model"] = pd.Series([model] * len(out), dtype="str", index=out.index)
    return out[list(TOUCH_CREDIT_COLUMNS)].reset_index(drop=True)


def reconcile_touch_credits(
    touch_credits: pd.DataFrame, credits: pd.DataFrame, *, tolerance: float = 1e-6
) -> pd.DataFrame:
    """Per-touch credits plus one residual row per model and channel they do not carry.

    Summed per ``model, channel``, the result equals ``credits`` (conversions and
    value). A residual row has no journey (``journey_id`` missing, ``position`` -1) and
    holds what no touch can carry: the credit of ``(no known touch)`` (converted journeys
    without a known touch), and, for a channel-level model (Markov, Shapley), the part
    of a channel's credit the iterative fit of :func:`spread_channel_credits` could not
    place without breaking a journey's own total (each journey's touches keep exactly
    its conversion and value).
    """
    keys = ["model", CHANNEL]
    have = touch_credits.assign(**{CHANNEL: touch_credits[CHANNEL].astype(str)})
    have = have.groupby(keys, sort=False)[["credit", "value_credit"]].sum()
    want = credits.assign(**{CHANNEL: credits[CHANNEL].astype(str)})
    want = want.groupby(keys, sort=False)[["conversions", "value"]].sum()
    gap = want.join(have, how="outer").fillna(0.0)
    gap["credit"] = gap["conversions"] - gap["credit"]
    gap["value_credit"] = gap["value"] - gap["value_credit"]
    scale = max(float(want["conversions"].abs().sum()), 1.0)
    value_scale = max(float(want["value"].abs().sum()), 1.0)
    keep = (gap["credit"].abs() > tolerance * scale) | (
        gap["value_credit"].abs() > tolerance * value_scale
    )
    rows = gap.loc[keep, ["credit", "value_credit"]].reset_index()
    rows[JOURNEY_ID] = pd.Series([pd.NA] * len(rows), dtype="string")
    rows["position"] = -1
    out = pd.concat([touch_credits, rows[list(TOUCH_CREDIT_COLUMNS)]], ignore_index=True)
    return out[list(TOUCH_CREDIT_COLUMNS)]
