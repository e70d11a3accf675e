"""Deltas against a comparison period: key figures, funnel steps and credits by model.

The comparison window comes from :func:`workbench.periods.resolve_window`
(``compare = "previous_period"`` or ``"previous_year"``); the functions here take the
analysis frames of both windows and return tidy frames with the current value, the
comparison value and the change. Counts change *relatively* (``+25%``); rates and
shares change in *percentage points* (``+0.03`` = +3 pp). A change against nothing
(0 in the comparison window) is missing, never infinite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "METRIC_COLUMNS",
    "compare_credits",
    "compare_funnels",
    "compare_metrics",
    "period_metrics",
]

#: Columns of :func:`compare_metrics`.
METRIC_COLUMNS: tuple[str, ...] = ("metric", "current", "previous", "change", "kind")
_RATES = ("conversion_rate",)


def _relative(now: pd.Series | np.ndarray, before: pd.Series | np.ndarray) -> np.ndarray:
    now, before = np.asarray(now, dtype=float), np.asarray(before, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(before > 0, now / np.where(before > 0, before, 1) - 1, np.nan)


def period_metrics(journeys: pd.DataFrame) -> dict[str, float]:
    """Journeys, conversions, conversion rate and value of a journey table."""
    n = len(journeys)
    conv = float(journeys["converted"].sum()) if n else 0.0
    return {
        "journeys": float(n),
        "conversions": conv,
        "conversion_rate": conv / n if n else float("nan"),
        "value": float(journeys["value"].sum()) if n else 0.0,
    }


def compare_metrics(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Key figures of two journey tables side by side.

    Returns
    -------
    pandas.DataFrame
        :data:`METRIC_COLUMNS`: ``metric`` (journeys, conversions, conversion_rate,
        value), ``current``, ``previous``, ``change`` (relative for counts and
        value, percentage points for the rate) and ``kind`` (``"relative"`` or
        ``"points"``).
    """
    now, before = period_metrics(current), period_metrics(previous)
    rows = []
    for metric in now:
        a, b = now[metric], before[metric]
        if metric in _RATES:
            change, kind = (a - b if a == a and b == b else float("nan")), "points"
        else:
            change, kind = float(_relative([a], [b])[0]), "relative"
        rows.append((metric, a, b, change, kind))
    return pd.DataFrame(rows, columns=list(METRIC_COLUMNS))


def compare_funnels(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """A :func:`~workbench.analysis.funnels.stage_funnel` with the comparison period's numbers.

    Adds ``entrants_compare``, ``entrants_change`` (relative),
    ``completion_rate_compare`` and ``completion_rate_change`` (points), matched on
    segment and stage (a stage missing from the comparison has missing values).
    """
    keys = ["segment", "stage"]
    before = previous[[*keys, "entrants", "completion_rate"]].rename(
        columns={"entrants": "entrants_compare", "completion_rate": "completion_rate_compare"}
    )
    out = current.merge(before, on=keys, how="left")
    out["entrants_change"] = _relative(out["entrants"], out["entrants_compare"])
    out["completion_rate_change"] = out["completion_rate"].astype(float) - out[
        "completion_rate_compare"
    ].astype(float)
    return out


def compare_credits(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Credits by model and channel in both periods (``run_models`` outputs).

    Returns
    -------
    pandas.DataFrame
        ``model, channel, conversions, conversions_compare, conversions_change``
        (relative), ``share, share_compare, share_change`` (each model's share of its
        conversions; change in points), ``value, value_compare``. Channels credited in
        only one period are listed with 0 in the other.
    """
    cols = ["model", "channel", "conversions", "value"]
    both = pd.merge(
        current[cols],
        previous[cols],
        on=["model", "channel"],
        how="outer",
        suffixes=("", "_compare"),
    ).fillna({"conversions": 0.0, "value": 0.0, "conversions_compare": 0.0, "value_compare": 0.0})
    for col in ("conversions", "conversions_compare"):
        total = both.groupby("model")[col].transform("sum")
        both[col.replace("conversions", "share")] = both[col] / total.where(total > 0)
    both["conversions_change"] = _relative(both["conversions"], both["conversions_compare"])
    both["share_change"] = both["share"] - both["share_compare"]
    order = ["model", "channel", "conversions", "conversions_compare", "conversions_change"]
    order += ["share", "share_compare", "share_change", "value", "value_compare"]
    return both[order].reset_index(drop=True)
