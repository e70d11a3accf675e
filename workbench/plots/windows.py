"""Figures of attribution-window analysis (see :mod:`workbench.analysis.windows`).

Every function draws on the given Axes or, when ``ax`` is None, on a new
:class:`matplotlib.figure.Figure` (no pyplot state is touched; in a notebook
show it with ``ax.figure``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from workbench.plots._helpers import axes_or_new as _axes

__all__ = ["plot_lag_distribution", "plot_recommended_windows", "plot_window_cutoffs"]

_BAR = "#4C78A8"
_LINE = "#F58518"
_SERIES = {
    "share_conversions_cut": ("Conversions missing some touches", "#4C78A8"),
    "share_conversions_lost": ("Conversions missing every touch", "#E45756"),
    "share_touches_cut": ("Touches left out", "#F58518"),
}


def plot_lag_distribution(
    dist: pd.DataFrame,
    *,
    measure: str = "days",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars: share of conversions per lag bin; line: cumulative share.

    ``dist`` is :func:`~workbench.analysis.windows.lag_distribution`; ``measure`` picks
    ``"days"`` or ``"touches"`` from first touch to conversion.
    """
    data = dist.loc[dist["measure"] == measure]
    ax = _axes(ax)
    x = np.arange(len(data))
    ax.bar(x, data["share"], color=_BAR, label="Share of conversions")
    ax.plot(x, data["cumulative_share"], color=_LINE, marker="o", label="Cumulative share")
    ax.set_xticks(x, data["bin"].tolist(), rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("Share of conversions")
    word = "Days" if measure == "days" else "Touches"
    ax.set_xlabel(f"{word} from the first touch to the conversion")
    ax.legend(loc="center right")
    ax.set_title(title or f"How long journeys take: {word.lower()} from first touch to conversion")
    return ax


def plot_window_cutoffs(
    cutoffs: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Lines: what each attribution window would cut off, by window length.

    ``cutoffs`` is :func:`~workbench.analysis.windows.window_cutoffs`.
    """
    ax = _axes(ax)
    x = np.arange(len(cutoffs))
    for col, (label, color) in _SERIES.items():
        ax.plot(x, cutoffs[col], marker="o", color=color, label=label)
    ax.set_xticks(x, [f"{w:g} day" + ("s" if w != 1 else "") for w in cutoffs["window_days"]])
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Attribution window")
    ax.set_ylabel("Share cut off by the window")
    ax.legend()
    ax.set_title(title or "What each attribution window would miss")
    return ax


def plot_recommended_windows(
    recommended: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Horizontal bars: recommended window per segment, labelled with its coverage.

    ``recommended`` is :func:`~workbench.analysis.windows.recommend_window`; segments
    where no candidate reaches the target are shown empty and labelled so.
    """
    ax = _axes(ax, (8, 0.5 * len(recommended) + 1.5))
    y = np.arange(len(recommended))[::-1]
    days = recommended["recommended_days"].to_numpy(dtype=float)
    bars = ax.barh(y, np.nan_to_num(days), color=_BAR)
    for bar, d, cov, ok in zip(
        bars,
        days,
        recommended["coverage_at_recommended"],
        recommended["meets_target"],
        strict=True,
    ):
        if ok:
            text = f" {d:g} days (covers {cov:.0%})"
        else:
            text = " no candidate window reaches the target"
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, text, va="center")
    ax.set_yticks(y, recommended["segment"].tolist())
    ax.set_xlabel("Recommended lookback window (days)")
    ax.set_title(title or "Smallest window covering most journeys whole, by segment")
    ax.margins(x=0.35)
    return ax
