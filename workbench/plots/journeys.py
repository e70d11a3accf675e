"""Figures of journeys and segments (see :mod:`workbench.journeys.build`, :mod:`workbench.analysis.segments`).

Every function draws on the given Axes or, when ``ax`` is None, on a new
:class:`matplotlib.figure.Figure` (no pyplot state is touched; in a notebook
show it with ``ax.figure``). Channel colours come from
:func:`workbench.plots.colors.channel_color`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from workbench.analysis.segments import ALL_JOURNEYS
from workbench.plots._helpers import axes_or_new as _axes
from workbench.plots.colors import channel_color
from workbench.schema import CHANNEL, JOURNEY_ID

__all__ = [
    "plot_channel_mix",
    "plot_journey_timelines",
    "plot_segment_comparison",
]

_BAR = "#4C78A8"
_REFERENCE = "#9e9e9e"
_RATES = {"conversion_rate"}
_METRIC_NAMES = {
    "journeys": "Journeys",
    "conversions": "Conversions",
    "conversion_rate": "Conversion rate",
    "value": "Conversion value",
    "value_per_journey": "Value per journey",
    "value_per_conversion": "Value per conversion",
    "median_path_length": "Median touches per journey",
    "mean_path_length": "Mean touches per journey",
    "median_path_length_converted": "Median touches per converted journey",
    "median_duration_days": "Median days from first touch to conversion",
    "zero_touch_conversions": "Conversions without any touch",
    "touches": "Touches",
    "mean_channels": "Mean channels per journey",
}


def plot_journey_timelines(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    journey_ids: Sequence[str] | None = None,
    n: int = 15,
    channel_col: str = CHANNEL,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One row per journey: its touches as dots by days before the journey's end.

    A star at 0 marks a conversion. Shows ``journey_ids`` or the first ``n``
    journeys of the table.
    """
    ids = list(journey_ids) if journey_ids is not None else journeys[JOURNEY_ID].head(n).tolist()
    ax = _axes(ax, (10, 0.35 * len(ids) + 1.8))
    row = {jid: i for i, jid in enumerate(ids)}
    sel = touches.loc[touches[JOURNEY_ID].isin(ids)]
    y = sel[JOURNEY_ID].map(row).to_numpy(dtype=float)
    x = -sel["days_to_conversion"].to_numpy(dtype=float)
    channels = sel[channel_col].astype("string").fillna("Unassigned")
    ax.scatter(x, y, c=[channel_color(c) for c in channels], s=40, zorder=3)
    info = journeys.set_index(JOURNEY_ID).reindex(ids)
    conv = info["converted"].fillna(False).to_numpy(dtype=bool)
    ax.scatter(np.zeros(conv.sum()), np.flatnonzero(conv), marker="*", s=140, c="#1a9850", zorder=4)
    for i in range(len(ids)):
        ax.axhline(i, color="#eeeeee", zorder=1)
    ax.set_yticks(range(len(ids)), [str(p) for p in info["person_id"].fillna("?")], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Days before the conversion (or the last touch)")
    ax.set_ylabel("Person")
    legend = [
        Line2D([], [], marker="o", linestyle="", color=channel_color(c), label=c)
        for c in sorted(channels.unique())
    ]
    legend.append(Line2D([], [], marker="*", linestyle="", color="#1a9850", label="Conversion"))
    ax.legend(handles=legend, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    ax.set_title(title or "Individual journeys: every touch before the conversion")
    return ax


def plot_segment_comparison(
    comparison: pd.DataFrame,
    *,
    metric: str = "conversion_rate",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of one metric per segment; ``"All journeys"`` as a dashed reference.

    ``comparison`` is the output of :func:`~workbench.analysis.segments.compare_segments`.
    """
    data = comparison.loc[comparison["metric"] == metric]
    ax = _axes(ax, (8, 0.45 * len(data) + 1.5))
    seg = data.loc[data["segment"] != ALL_JOURNEYS]
    y = np.arange(len(seg))[::-1]
    bars = ax.barh(y, seg["value"].fillna(0), color=_BAR)
    fmt = (lambda v: f"{v:.1%}") if metric in _RATES else (lambda v: f"{v:,.3g}")
    for bar, v in zip(bars, seg["value"], strict=True):
        text = fmt(v) if v == v else "n/a"
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {text}", va="center")
    ref = data.loc[data["segment"] == ALL_JOURNEYS, "value"]
    if len(ref) and ref.iloc[0] == ref.iloc[0]:
        ax.axvline(
            ref.iloc[0], color=_REFERENCE, linestyle="--", label=f"All journeys: {fmt(ref.iloc[0])}"
        )
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(y, seg["segment"].tolist())
    name = _METRIC_NAMES.get(metric, metric.replace("_", " ").capitalize())
    if metric in _RATES:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(name)
    ax.set_title(title or f"{name} by segment")
    ax.margins(x=0.15)
    return ax


def plot_channel_mix(
    mix: pd.DataFrame,
    *,
    share: str = "touch_share",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """100% stacked bars: each segment's channel mix (share of touches by default).

    ``mix`` is the output of :func:`~workbench.analysis.segments.segment_channel_mix`;
    ``share`` may also be ``"journey_share"`` (share of journeys touched; then
    the bars need not add up to 100%).
    """
    segments = list(dict.fromkeys(mix["segment"]))
    ax = _axes(ax, (10, 0.5 * len(segments) + 1.8))
    channels = mix.groupby("channel")["touches"].sum().sort_values(ascending=False).index.tolist()
    wide = mix.pivot_table(index="segment", columns="channel", values=share, aggfunc="sum")
    wide = wide.reindex(index=segments, columns=channels).fillna(0.0)
    y = np.arange(len(segments))[::-1]
    left = np.zeros(len(segments))
    for ch in channels:
        w = wide[ch].to_numpy(dtype=float)
        bars = ax.barh(y, w, left=left, color=channel_color(ch), label=ch)
        for bar, v in zip(bars, w, strict=True):
            if v >= 0.06:
                ax.text(
                    bar.get_x() + v / 2,
                    bar.get_y() + bar.get_height() / 2,
                    f"{v:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                )
        left += w
    ax.set_yticks(y, segments)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    what = "touches" if share == "touch_share" else "journeys touched"
    ax.set_xlabel(f"Share of {what}")
    if ax.get_legend_handles_labels()[0]:  # no touches: no channel, no legend
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title="Channel")
    ax.set_title(title or f"Channel mix by segment (share of {what})")
    return ax
