"""Attribution windows: how long before a conversion do its touches start.

Attribution tools give credit only to touches within a lookback window (GA4:
30 or 90 days; ad platforms: 1, 7 or 28 days). This module measures, on the
converted journeys, how much each window would cut off, and recommends the
smallest window that covers most journeys whole.

The journeys themselves were cut with a lookback (``build_journeys``'s
``lookback_days``): a window longer than that cannot be judged from them. Build
the journeys with a generous lookback (e.g. 180 days) for this analysis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.analysis.segments import Segments, segment_masks
from workbench.journeys.build import touch_journey_index

__all__ = [
    "DEFAULT_WINDOWS",
    "lag_distribution",
    "recommend_window",
    "window_cutoffs",
]

#: Candidate windows, in days.
DEFAULT_WINDOWS: tuple[int, ...] = (1, 7, 14, 30, 60, 90)


def _converted(journeys: pd.DataFrame) -> pd.DataFrame:
    return journeys.loc[journeys["converted"].to_numpy(dtype=bool)]


def _count_bin(a: float, b: float) -> str:
    if b - a > 1:
        return f"{a:g}-{b - 1:g} touches"
    return "1 touch" if a == 1 else f"{a:g} touches"


def lag_distribution(
    journeys: pd.DataFrame,
    *,
    day_bins: Sequence[float] = (0, 1, 7, 14, 30, 60, 90),
    touch_bins: Sequence[int] = (1, 2, 3, 5, 10, 20),
) -> pd.DataFrame:
    """Converted journeys by days and by touches from first touch to conversion.

    Bins are ``[lower, upper)``; the last bin of each measure is open-ended.
    Zero-touch conversions are their own ``"(no touch)"`` bin in both measures.

    Returns
    -------
    pandas.DataFrame
        ``measure`` (``"days"`` / ``"touches"``), ``bin, lower, upper,
        conversions, share, cumulative_share``.
    """
    conv = _converted(journeys)
    n_touch = conv["n_touches"].to_numpy(dtype=float)
    values = {"days": conv["duration_days"].to_numpy(dtype=float), "touches": n_touch}
    parts = []
    for measure, edges in (("days", day_bins), ("touches", touch_bins)):
        e = np.asarray(edges, dtype=float)
        x = values[measure]
        none = n_touch == 0
        which = np.clip(np.searchsorted(e, x, side="right") - 1, 0, len(e) - 1)
        which = np.where(none, len(e), which)
        n = np.bincount(which, minlength=len(e) + 1)
        unit = " days" if measure == "days" else " touches"
        names = [
            f"{a:g}-{b:g}{unit}" if measure == "days" else _count_bin(a, b)
            for a, b in zip(e[:-1], e[1:], strict=True)
        ]
        with np.errstate(invalid="ignore", divide="ignore"):
            part = pd.DataFrame(
                {
                    "measure": measure,
                    "bin": [*names, f"{e[-1]:g}+{unit}", "(no touch)"],
                    "lower": [*e, np.nan],
                    "upper": [*e[1:], np.inf, np.nan],
                    "conversions": n,
                    "share": n / n.sum(),
                    "cumulative_share": np.cumsum(n) / n.sum(),
                }
            )
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"measure": "string", "bin": "string", "conversions": "int64"})


def window_cutoffs(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    windows: Sequence[float] = DEFAULT_WINDOWS,
) -> pd.DataFrame:
    """What each window would cut off, over the converted journeys.

    A conversion is *cut* when its first touch is more than ``w`` days before
    it (the window misses part of the journey) and *lost* when every touch is
    (the window sees none of it, so the conversion looks unattributable).
    Zero-touch conversions are neither; shares are of all conversions.

    Returns
    -------
    pandas.DataFrame
        ``window_days, conversions, conversions_cut, share_conversions_cut,
        conversions_lost, share_conversions_lost, touches, touches_cut,
        share_touches_cut``.
    """
    conv = journeys["converted"].to_numpy(dtype=bool)
    j = touch_journey_index(touches, journeys)
    keep = (j >= 0) & conv[np.maximum(j, 0)]
    days = touches["days_to_conversion"].to_numpy(dtype=float)[keep]
    nearest = np.full(len(journeys), np.inf)
    np.minimum.at(nearest, j[keep], days)
    first = journeys["duration_days"].to_numpy(dtype=float)
    has = conv & (journeys["n_touches"].to_numpy() > 0)
    w = np.asarray(windows, dtype=float)
    n_conv = int(conv.sum())
    cut = np.array([int((has & (first > x)).sum()) for x in w])
    lost = np.array([int((has & (nearest > x)).sum()) for x in w])
    t_cut = np.array([int((days > x).sum()) for x in w])
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "window_days": w,
                "conversions": n_conv,
                "conversions_cut": cut,
                "share_conversions_cut": cut / n_conv if n_conv else np.nan,
                "conversions_lost": lost,
                "share_conversions_lost": lost / n_conv if n_conv else np.nan,
                "touches": len(days),
                "touches_cut": t_cut,
                "share_touches_cut": t_cut / len(days) if len(days) else np.nan,
            }
        )


def recommend_window(
    journeys: pd.DataFrame,
    *,
    candidates: Sequence[float] = DEFAULT_WINDOWS,
    coverage: float = 0.9,
    segments: Segments = None,
    include_all: bool = True,
) -> pd.DataFrame:
    """The smallest candidate window covering ``coverage`` of converted journeys whole.

    Coverage of ``w`` = share of converted journeys with touches whose first
    touch is at most ``w`` days before the conversion. When no candidate
    reaches the target, ``recommended_days`` is missing and ``meets_target``
    false (``coverage_at_recommended`` then shows the largest candidate's).

    Returns
    -------
    pandas.DataFrame
        ``segment, conversions, conversions_with_touches, recommended_days,
        coverage_at_recommended, meets_target, median_days, p90_days``.
    """
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage = {coverage!r}; expected a share in (0, 1]")
    w = np.sort(np.asarray(candidates, dtype=float))
    masks = segment_masks(journeys, segments, include_all=include_all)
    conv = journeys["converted"].to_numpy(dtype=bool)
    days = journeys["duration_days"].to_numpy(dtype=float)
    has = conv & (journeys["n_touches"].to_numpy() > 0)
    rows = []
    for name, m in masks.items():
        d = np.sort(days[has & m])
        share = np.searchsorted(d, w, side="right") / len(d) if len(d) else np.full(len(w), np.nan)
        ok = np.flatnonzero(share >= coverage - 1e-12)
        pick = ok[0] if len(ok) else len(w) - 1
        rows.append(
            {
                "segment": name,
                "conversions": int((conv & m).sum()),
                "conversions_with_touches": len(d),
                "recommended_days": w[pick] if len(ok) else np.nan,
                "coverage_at_recommended": share[pick] if len(w) else np.nan,
                "meets_target": bool(len(ok)),
                "median_days": float(np.median(d)) if len(d) else np.nan,
                "p90_days": float(np.quantile(d, 0.9)) if len(d) else np.nan,
            }
        )
    out = pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))  # no segments: no rows
    return out.astype({"segment": "string", "conversions": "int64", "meets_target": bool})


#: Columns of :func:`recommend_window`.
WINDOW_COLUMNS = (
    "segment",
    "conversions",
    "conversions_with_touches",
    "recommended_days",
    "coverage_at_recommended",
    "meets_target",
    "median_days",
    "p90_days",
)
