"""Figures of stage funnels, friction points and touchpoint lift.

(see :mod:`workbench.analysis.funnels` and :mod:`workbench.analysis.lift`). Every function draws
on the given Axes or, when ``ax`` is None, on a new
:class:`matplotlib.figure.Figure` (no pyplot state is touched; in a notebook
show it with ``ax.figure``). Channel colours come from
:func:`workbench.plots.colors.channel_color`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from workbench.analysis.segments import ALL_JOURNEYS
from workbench.plots._helpers import axes_or_new as _axes
from workbench.plots.colors import channel_color

__all__ = ["plot_friction", "plot_funnel", "plot_lift", "plot_trended_funnel"]

_STAGE_COLORS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b")
_LOST = "#E45756"
_NEUTRAL = "#4C78A8"


def plot_funnel(
    funnel: pd.DataFrame,
    *,
    segment: str = ALL_JOURNEYS,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars of journeys reaching each stage, with the share kept and lost between stages.

    ``funnel`` is the output of :func:`~workbench.analysis.funnels.stage_funnel`; one
    segment is drawn. Labels: journeys (share of step 1); between bars, the
    drop-off to the next step.
    """
    data = funnel.loc[funnel["segment"] == segment].sort_values("step")
    ax = _axes(ax, (1.8 * max(len(data), 2) + 2, 5))
    x = np.arange(len(data))
    colors = [_STAGE_COLORS[min(i, len(_STAGE_COLORS) - 1)] for i in range(len(data))]
    bars = ax.bar(x, data["entrants"], color=colors, width=0.5)
    for bar, n, share in zip(bars, data["entrants"], data["share_of_first_step"], strict=True):
        pct = f"\n({share:.0%} of step 1)" if share == share else ""
        ax.annotate(
            f"{n:,}{pct}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    top = float(data["entrants"].max()) if len(data) else 1.0
    for i, (lost, rate) in enumerate(zip(data["dropped"], data["drop_off_rate"], strict=True)):
        if i < len(data) - 1 and pd.notna(lost) and rate == rate:
            ax.annotate(
                f"-{rate:.0%}\n({int(lost):,} lost)",
                (i + 0.5, 0.5 * top),
                ha="center",
                va="center",
                fontsize=8,
                color=_LOST,
            )
    ax.set_xticks(x, [s.capitalize() for s in data["stage"]])
    ax.set_ylabel("Journeys reaching the stage")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(0, top * 1.2 if top else 1)
    total = int(data["journeys"].iloc[0]) if len(data) else 0
    ax.set_title(title or f"Stage funnel: {segment} ({total:,} journeys)")
    return ax


def plot_friction(
    friction: pd.DataFrame,
    *,
    segment: str = ALL_JOURNEYS,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars: journeys lost at each step transition, biggest loss on top.

    ``friction`` is the output of :func:`~workbench.analysis.funnels.friction_points`.
    """
    data = friction.loc[friction["segment"] == segment].sort_values("rank")
    ax = _axes(ax, (9, 0.5 * len(data) + 1.5))
    y = np.arange(len(data))[::-1]
    bars = ax.barh(y, data["lost_journeys"], color=_LOST)
    for bar, rate in zip(bars, data["drop_off_rate"], strict=True):
        text = f" {rate:.0%} drop off" if rate == rate else ""
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, text, va="center")
    labels = [f"{a} \u2192 {b}" for a, b in zip(data["from_stage"], data["to_stage"], strict=True)]
    ax.set_yticks(y, labels)
    ax.set_xlabel("Journeys lost")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(title or f"Where journeys are lost: {segment}")
    ax.margins(x=0.2)
    return ax


def plot_lift(
    lift: pd.DataFrame,
    *,
    n: int = 15,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Dot-and-whisker chart of lift (rate with / rate without) with its interval.

    ``lift`` is the output of :func:`~workbench.analysis.lift.touchpoint_lift`; the top
    ``n`` rows are drawn on a log scale, with the dashed line at 1 meaning "no
    difference". Channel touchpoints use their channel colour. Labels give
    both conversion rates. Lifts of 0 or infinity (a group without any
    conversion) cannot sit on a log axis and are left out. Association, not
    causation.
    """
    data = lift.loc[np.isfinite(lift["lift"]) & (lift["lift"] > 0)].head(n)
    ax = _axes(ax, (9, 0.45 * len(data) + 1.8))
    y = np.arange(len(data))[::-1]
    colors = [
        channel_color(t.split(": ", 1)[1]) if k == "channel" else _NEUTRAL
        for t, k in zip(data["touchpoint"], data["kind"], strict=True)
    ]
    lo = (data["lift"] - data["lift_low"]).clip(lower=0)
    hi = (data["lift_high"] - data["lift"]).clip(lower=0)
    ax.errorbar(data["lift"], y, xerr=[lo, hi], fmt="none", ecolor="#777777", capsize=3)
    ax.scatter(data["lift"], y, c=colors, s=60, zorder=3)
    for yi, (v, r1, r2) in zip(
        y, zip(data["lift"], data["rate_with"], data["rate_without"], strict=True), strict=True
    ):
        ax.annotate(
            f"{v:.1f}x  ({r1:.0%} vs {r2:.0%})",
            (v, yi),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
    ax.axvline(1, color="#9e9e9e", linestyle="--")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_yticks(y, data["touchpoint"].tolist())
    ax.set_xlabel("Lift: conversion rate with the touchpoint / without (log scale)")
    ax.set_title(title or "Conversion rate with vs without each touchpoint (association only)")
    return ax


def plot_trended_funnel(
    trend: pd.DataFrame,
    *,
    metric: str = "share_of_journeys",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One line per stage: the share of each cohort's journeys reaching it, over time.

    ``trend`` from :func:`~workbench.analysis.funnels.trended_funnel`; ``metric`` is
    ``"share_of_journeys"`` (default), ``"completion_rate"`` (both as
    percentages) or ``"entrants"`` (journeys). Lines carry the stage as label.
    """
    allowed = ("share_of_journeys", "completion_rate", "entrants")
    if metric not in allowed:
        raise ValueError(f"metric = {metric!r}; expected one of {', '.join(allowed)}")
    ax = _axes(ax, (10, 4.5))
    names = trend.groupby("step", sort=True)["stage"].first()
    for i, (step, name) in enumerate(names.items()):
        rows = trend.loc[trend["step"] == step].sort_values("period")
        color = _STAGE_COLORS[min(i + 1, len(_STAGE_COLORS) - 1)]
        ax.plot(
            rows["period"].dt.tz_localize(None),
            rows[metric].astype(float),
            marker="o",
            markersize=3,
            color=color,
            label=str(name).capitalize(),
        )
    if metric != "entrants":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_ylim(0, 1.05)
    ax.set_ylabel(
        {
            "share_of_journeys": "Share of the cohort's journeys",
            "completion_rate": "Continue to the next stage",
            "entrants": "Journeys reaching the stage",
        }[metric]
    )
    ax.set_xlabel("Cohort (week or month the journeys end)")
    if len(trend):
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title or "Stage funnel by cohort")
    return ax
