"""Figures of data health: quarantined rows by reason."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["plot_quarantine"]


def plot_quarantine(
    summary: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Horizontal bars of quarantined rows per source and reason.

    ``summary`` from :func:`workbench.ingest.quarantine.quarantine_summary`
    (``source, reason, rows``).
    """
    if ax is None:
        ax = Figure(
            figsize=(9, 0.45 * max(len(summary), 2) + 1.2), layout="constrained"
        ).add_subplot()
    data = summary.sort_values("rows", ascending=True, kind="stable")
    labels = [f"{s}: {r}" for s, r in zip(data["source"], data["reason"], strict=True)]
    bars = ax.barh(labels, data["rows"].to_numpy(), color="#b45f06")
    ax.bar_label(bars, labels=[f"{int(v):,}" for v in data["rows"]], padding=3, fontsize=9)
    ax.set_xlabel("rows set aside")
    ax.set_title(title or "Rows that could not be used, by source and reason")
    ax.spines[["top", "right"]].set_visible(False)
    if data.empty:
        ax.text(0.5, 0.5, "nothing was set aside", ha="center", va="center", transform=ax.transAxes)
    return ax
