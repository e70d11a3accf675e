"""Figures of attribution results (see :mod:`workbench.attribution`).

Every function draws on the given Axes or, when ``ax`` is None, on a new
:class:`matplotlib.figure.Figure` (no pyplot state is touched; in a notebook
show it with ``ax.figure``). Channel colours come from
:func:`workbench.plots.colors.channel_color`; an ad platform is drawn in the
colour of its main channel (Google Ads as Paid Search, Meta as Paid Social -
Meta, ...). Channels are rows (horizontal layouts) so long names never overlap;
models are told apart by marker shape, never by colour, and are shown by a
readable name ("Last touch", "Markov chain (order 1)").

Artists carry gids so they can be found in the figure: ``"model:<model>"``
(marker collections of the dot plots), ``"spread"`` (the min-max bands),
``"claim:<platform>"``, ``"total:<platform>"``, ``"deduplicated"`` and
``"ratio"`` (platform claims), ``"role:<start|assist|close>:<channel>"``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, FuncFormatter, PercentFormatter

from workbench.analysis.paths import OTHER
from workbench.attribution.markov import CONVERSION_STATE, NULL_STATE, START_STATE
from workbench.attribution.registry import model_label
from workbench.platforms import DEFAULT_CHANNEL_PLATFORMS, platform_label
from workbench.plots._helpers import axes_or_new as _axes
from workbench.plots.colors import channel_color, text_color
from workbench.plots.paths import plot_transition_matrix
from workbench.schema import CHANNEL, PLATFORM

__all__ = [
    "plot_bootstrap_intervals",
    "plot_channel_roles",
    "plot_cost_metrics",
    "plot_credit_spread",
    "plot_model_comparison",
    "plot_platform_claims",
    "plot_transition_matrix_markov",
    "plot_truthfulness",
]

_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*", "<", ">", "h", "p")
_MUTED = "#9e9e9e"
_FLAGGED = "#8a8a8a"
_BEST = "#1a9850"
_REAL = "#333333"
_NOUN = {"conversions": "conversions", "value": "conversion value"}
_FEW_NOTE = "Grey italic channels: too few conversions for a reliable figure"
#: (column, legend text, face alpha, hatch) of each journey role.
_ROLES = (
    ("start", "Opens (first touch)", 0.35, "///"),
    ("assist", "Assists (a middle touch)", 0.65, "..."),
    ("close", "Closes (last touch)", 1.0, ""),
)
_ROLE_TEXT = {"opener": "mainly opens", "assister": "mainly assists", "closer": "mainly closes"}
#: Platform -> its main channel (the first one mapped to it), for the colour.
_PLATFORM_CHANNEL = {p: c for c, p in reversed(DEFAULT_CHANNEL_PLATFORMS.items())}
#: Marker style of the dot plots and placement of legends (outside, top right).
_DOT = {"s": 48, "edgecolors": "white", "linewidths": 0.6, "zorder": 3}
_OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False, "fontsize": 8}


def _platform_color(platform: str) -> str:
    return channel_color(_PLATFORM_CHANNEL.get(platform, platform))


def _wrap(name: object, width: int = 30) -> str:
    return textwrap.fill(str(name), width, break_long_words=False)


def _number(v: float) -> str:
    if v != v:
        return "n/a"
    return f"{v:,.1f}" if abs(v) < 10 and v != round(v) else f"{v:,.0f}"


def _range_text(lo: float, hi: float) -> str:
    """``"  12% to 35%  (23 pts apart)"``; more decimals when the range is narrow."""
    pts = (hi - lo) * 100
    pct = ".1%" if pts < 2 else ".0%"
    gap = f"{pts:.1f}" if pts < 10 else f"{pts:.0f}"
    return f"  {lo:{pct}} to {hi:{pct}}  ({gap} pts apart)"


def _thousands() -> FuncFormatter:
    return FuncFormatter(lambda v, _: f"{v:,.0f}")


def _finish(
    ax: Axes, xlabel: str, title: str, formatter: Formatter | None = None, margin: float = 0.0
) -> Axes:
    """X formatter (percent by default), room for the labels, x from 0, grid, labels."""
    ax.xaxis.set_major_formatter(formatter or PercentFormatter(1.0))
    if margin:
        ax.margins(x=margin)
    ax.set_xlim(left=0)
    ax.grid(axis="x", color="#e6e6e6")
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return ax


def _rows(n: int) -> np.ndarray:
    """Y positions of ``n`` rows, the first on top."""
    return np.arange(n, dtype=float)[::-1]


def _flag_ticks(ax: Axes, flags: Sequence[bool]) -> None:
    """Grey italic tick labels for rows whose numbers rest on too few conversions."""
    for label, flag in zip(ax.get_yticklabels(), flags, strict=True):
        if flag:
            label.set_color(_FLAGGED)
            label.set_fontstyle("italic")


def _check_metric(metric: str, allowed: Sequence[str]) -> None:
    if metric not in allowed:
        raise ValueError(f"metric must be one of {list(allowed)}; got {metric!r}")


def _model_order(frame: pd.DataFrame, models: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(frame["model"].astype("str").tolist()))
    if models is None:
        return present
    wanted = [models] if isinstance(models, str) else list(models)
    missing = [m for m in wanted if m not in present]
    if missing:
        raise ValueError(f"model(s) {missing} not in the data; models present: {present}")
    return wanted


def _dot_rows(ax: Axes, wide: pd.DataFrame) -> np.ndarray:
    """One row per channel (index, top first), one marker per model (column).

    A pale band in the channel colour spans the lowest to the highest model; models
    are dodged a little vertically so equal values stay visible.
    """
    n, k = wide.shape
    y = _rows(n)
    values = wide.to_numpy(dtype=np.float64)
    colors = np.array([channel_color(c) for c in wide.index], dtype=object)
    finite = np.isfinite(values)
    has = finite.any(axis=1)
    lo = np.where(finite, values, np.inf).min(axis=1)
    hi = np.where(finite, values, -np.inf).max(axis=1)
    band = ax.hlines(y[has], lo[has], hi[has], colors=list(colors[has]), linewidth=7, alpha=0.25)
    band.set_gid("spread")
    step = min(0.5 / k, 0.12) if k > 1 else 0.0
    offsets = (np.arange(k) - (k - 1) / 2) * step
    handles = []
    for j, model in enumerate(wide.columns):
        marker = _MARKERS[j % len(_MARKERS)]
        ok = finite[:, j]
        if ok.any():
            points = ax.scatter(
                values[ok, j], y[ok] - offsets[j], marker=marker, c=list(colors[ok]), **_DOT
            )
            points.set_gid(f"model:{model}")
        label = model_label(model)
        handles.append(Line2D([], [], marker=marker, ls="none", color="#555555", label=label))
    ax.set_yticks(y, [_wrap(c) for c in wide.index])
    ax.set_ylim(-0.6, n - 0.4)
    if handles:
        ax.legend(handles=handles, title="Model", **_OUTSIDE)
    return y


def plot_model_comparison(
    credits: pd.DataFrame,
    *,
    metric: str = "conversions",
    models: Sequence[str] | None = None,
    share: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Dot plot: each channel's credit under each model, one row per channel.

    Markers (one shape per model) are in the channel colour; the pale band behind
    them spans the lowest to the highest model, i.e. how much the models disagree.
    Channels are sorted by their mean across the models, largest on top.

    Parameters
    ----------
    credits
        Output of :func:`~workbench.attribution.run_models`
        (``model, channel, conversions, value``).
    metric
        ``"conversions"`` or ``"value"``.
    models
        Models to draw, in legend order (default: all, in order of appearance).
    share
        Draw each model's share of its total (default) instead of the amounts.
    """
    _check_metric(metric, ("conversions", "value"))
    order = _model_order(credits, models)
    data = credits.loc[credits["model"].isin(order)]
    wide = data.pivot_table(
        index=CHANNEL, columns="model", values=metric, aggfunc="sum", fill_value=0.0
    ).reindex(columns=order)
    if share:
        totals = wide.sum(axis=0)
        wide = wide / totals.where(totals > 0)
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False, kind="stable").index]
    ax = _axes(ax, (10, 0.55 * len(wide) + 1.8))
    _dot_rows(ax, wide)
    noun = _NOUN[metric]
    return _finish(
        ax,
        f"{'Share of credited' if share else 'Credited'} {noun} (band: lowest to highest model)",
        title or f"Credit per channel under each attribution model ({noun})",
        None if share else _thousands(),
    )


def plot_credit_spread(
    comparison: pd.DataFrame,
    *,
    metric: str = "conversions",
    title: str | None = None,
    flag_note: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Range bars: the lowest to the highest share each channel gets across models.

    ``comparison`` is the output of :func:`~workbench.attribution.compare_models`
    (``share_min`` / ``share_max``, or ``value_share_*`` with ``metric="value"``).
    Channels flagged ``few_conversions`` get a grey italic label and a note (``flag_note``
    says why when the flag is not the count rule). Sorted by
    the middle of the range, largest on top; labels give the range and its width in
    percentage points.
    """
    _check_metric(metric, ("conversions", "value"))
    prefix = "share" if metric == "conversions" else "value_share"
    lo_all = comparison[f"{prefix}_min"].to_numpy(dtype=np.float64)
    hi_all = comparison[f"{prefix}_max"].to_numpy(dtype=np.float64)
    order = np.argsort(-(lo_all + hi_all), kind="stable")
    data = comparison.iloc[order]
    lo, hi = lo_all[order], hi_all[order]
    names = data[CHANNEL].astype("str").tolist()
    colors = [channel_color(c) for c in names]
    ax = _axes(ax, (10, 0.5 * len(data) + 1.8))
    y = _rows(len(data))
    bars = ax.barh(y, hi - lo, left=lo, height=0.5, color=colors, alpha=0.85)
    for bar, name in zip(bars, names, strict=True):
        bar.set_gid(f"spread:{name}")
    ax.scatter(np.r_[lo, hi], np.r_[y, y], marker="|", s=180, c=colors + colors, zorder=3)
    for yi, a, b in zip(y, lo, hi, strict=True):
        ax.text(b, yi, _range_text(a, b), va="center", fontsize=8)
    ax.set_yticks(y, [_wrap(c) for c in names])
    flags = data["few_conversions"].to_numpy(dtype=bool).tolist()
    _flag_ticks(ax, flags)
    label = f"Share of credited {_NOUN[metric]}: lowest to highest across the models"
    return _finish(
        ax,
        label + (f"\n{flag_note or _FEW_NOTE + ' in at least one model'}" if any(flags) else ""),
        title or "How much the models disagree on each channel's share",
        margin=0.3,
    )


def plot_platform_claims(
    claims: pd.DataFrame,
    counting: pd.DataFrame,
    *,
    metric: str = "conversions",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars: what each ad platform claims, their sum, and the real (deduplicated) total.

    Parameters
    ----------
    claims
        Output of :func:`~workbench.attribution.platform_reported` or
        :func:`~workbench.attribution.click_window_claims` (``platform, conversions,
        value``).
    counting
        Output of :func:`~workbench.attribution.double_counting` for those claims
        (``metric, claimed, deduplicated, ratio``).
    metric
        ``"conversions"`` or ``"value"``.

    The platforms' bar is stacked from their own bars and annotated with the ratio,
    e.g. "platforms claim 1.8x the real conversions".
    """
    _check_metric(metric, ("conversions", "value"))
    row = counting.loc[counting["metric"] == metric]
    if row.empty:
        raise ValueError(f"counting has no row for metric {metric!r}")
    claimed = float(row["claimed"].iloc[0])
    real = float(row["deduplicated"].iloc[0])
    ratio = float(row["ratio"].iloc[0])
    data = claims.sort_values(metric, ascending=False, kind="stable")
    names = data[PLATFORM].astype("str").tolist()
    amounts = data[metric].to_numpy(dtype=np.float64)
    colors = [_platform_color(p) for p in names]
    n = len(names)
    ax = _axes(ax, (10, 0.5 * n + 2.6))
    y_plat = _rows(n) + 2.6
    bars = ax.barh(y_plat, amounts, height=0.6, color=colors)
    left = np.r_[0.0, np.cumsum(amounts)[:-1]]
    stacked = ax.barh(np.ones(n), amounts, left=left, height=0.6, color=colors, edgecolor="white")
    for name, bar, seg in zip(names, bars, stacked, strict=True):
        bar.set_gid(f"claim:{name}")
        seg.set_gid(f"total:{name}")
    (dedup,) = ax.barh([0.0], [real], height=0.6, color=_REAL)
    dedup.set_gid("deduplicated")
    for yi, v in zip([*y_plat, 0.0], [*amounts, real], strict=True):
        ax.text(v, yi, f"  {_number(v)}", va="center", fontsize=8)
    noun = _NOUN[metric]
    if ratio == ratio:
        message = f"  {_number(claimed)}: platforms claim {ratio:.1f}\u00d7 the real {noun}"
    else:
        message = f"  {_number(claimed)}: no real {noun} to compare with"
    note = ax.text(claimed, 1.0, message, va="center", fontsize=9, fontweight="bold")
    note.set_gid("ratio")
    labels = [platform_label(p) for p in names] + [
        "All platforms added up",
        f"Real {noun}\n(each counted once)",
    ]
    ax.set_yticks([*y_plat, 1.0, 0.0], labels)
    title = title or f"What the ad platforms claim vs the real {noun}"
    return _finish(ax, f"Claimed {noun}", title, _thousands(), margin=0.6)


def plot_cost_metrics(
    cost: pd.DataFrame,
    *,
    metric: str = "cpa",
    models: Sequence[str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Dot plot of CPA or ROAS per channel (rows) under each model (marker shapes).

    ``cost`` is the output of :func:`~workbench.attribution.cost_metrics`; only
    channels with spend are drawn, best on top (lowest CPA / highest ROAS on average
    over the models). Tick labels carry the spend; ROAS has a break-even line at 1x.
    A model that credits a channel no conversions has no CPA marker.
    """
    _check_metric(metric, ("cpa", "roas"))
    order = _model_order(cost, models)
    data = cost.loc[(cost["spend"] > 0) & cost["model"].isin(order)]
    wide = data.set_index([CHANNEL, "model"])[metric].unstack("model").reindex(columns=order)
    spend = data.groupby(CHANNEL)["spend"].first()
    mean = wide.mean(axis=1)
    wide = wide.loc[mean.sort_values(ascending=metric == "cpa", na_position="last").index]
    ax = _axes(ax, (10, 0.6 * len(wide) + 1.8))
    y = _dot_rows(ax, wide)
    ax.set_yticks(y, [f"{_wrap(c)}\nspend {spend[c]:,.0f}" for c in wide.index], fontsize=9)
    if metric == "cpa":
        label = "Cost per credited conversion (spend \u00f7 conversions): lower is better"
        if wide.isna().to_numpy().any():
            label += "\nNo marker: the model credits the channel no conversions"
        title = title or "Cost per conversion by channel under each model"
        return _finish(ax, label, title, FuncFormatter(lambda v, _: _number(v)))
    ax.axvline(1.0, color=_MUTED, linestyle="--", linewidth=1)
    label = (
        "Return on ad spend (credited value \u00f7 spend): higher is better; "
        "dashed line: value = spend"
    )
    title = title or "Return on ad spend by channel under each model"
    return _finish(ax, label, title, FuncFormatter(lambda v, _: f"{v:g}\u00d7"))


def plot_channel_roles(
    roles: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Stacked bars: share of converting journeys each channel opens, assists, closes.

    ``roles`` is the output of :func:`~workbench.attribution.channel_roles`. Segment
    widths are ``start_share``, ``assist_share`` and ``close_share``; all three are in
    the channel colour (pale and hatched: opens, mid: assists, solid: closes). A
    channel can play several roles, so a bar can pass 100%. Sorted by the number of
    converting journeys the channel is in, most on top; the main role is written at
    the end of the bar.
    """
    data = roles.sort_values("converting_journeys", ascending=False, kind="stable")
    names = data[CHANNEL].astype("str").tolist()
    ax = _axes(ax, (10, 0.5 * len(data) + 1.8))
    y = _rows(len(data))
    colors = [channel_color(c) for c in names]
    left = np.zeros(len(data))
    for role, _, alpha, hatch in _ROLES:
        widths = data[f"{role}_share"].to_numpy(dtype=np.float64)
        faces = [to_rgba(c, alpha) for c in colors]
        bars = ax.barh(
            y, widths, left=left, height=0.6, color=faces, edgecolor=colors, hatch=hatch or None
        )
        for bar, name, color, a, w in zip(bars, names, colors, left, widths, strict=True):
            bar.set_gid(f"role:{role}:{name}")
            yi = bar.get_y() + bar.get_height() / 2
            if w >= 0.07:  # hatched: black on a pale box; solid: black or white
                style = {"color": text_color(color)}
                if hatch:
                    style = {"bbox": {"facecolor": "white", "alpha": 0.6, "edgecolor": "none"}}
                ax.text(a + w / 2, yi, f"{w:.0%}", ha="center", va="center", fontsize=8, **style)
        left = left + widths
    for yi, end, role in zip(y, left, data["role"].astype("str"), strict=True):
        if role in _ROLE_TEXT:
            ax.text(end, yi, f"  {_ROLE_TEXT[role]}", va="center", fontsize=8, color="#555555")
    ax.set_yticks(y, [_wrap(c) for c in names])
    grey = "#666666"
    handles = [
        Patch(facecolor=to_rgba(grey, alpha), edgecolor=grey, hatch=hatch or None, label=text)
        for _, text, alpha, hatch in _ROLES
    ]
    ax.legend(handles=handles, title="Role", **_OUTSIDE)
    label = (
        "Share of converting journeys the channel opens, assists or closes\n"
        "(a channel can play several roles, so a bar can pass 100%)"
    )
    title = title or "Which channels open, assist and close converting journeys"
    return _finish(ax, label, title, margin=0.25)


def plot_truthfulness(
    scores: pd.DataFrame,
    *,
    metric: str = "conversions",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars: each model's distance to the true incremental contribution, best on top.

    ``scores`` is the output of :func:`~workbench.attribution.truthfulness`; the bar
    is ``tv_conversions`` (or ``tv_value``), the total-variation distance, which is
    the share of the credit a model gives to the wrong channels. The best model(s)
    are green with a bold label, the others grey.
    """
    _check_metric(metric, ("conversions", "value"))
    col = f"tv_{metric}"
    data = scores.sort_values(col, kind="stable")
    tv = data[col].to_numpy(dtype=np.float64)
    best = np.isclose(tv, np.nanmin(tv)) if len(tv) else np.zeros(0, dtype=bool)
    ax = _axes(ax, (9, 0.45 * len(data) + 1.8))
    y = _rows(len(data))
    bars = ax.barh(y, tv, height=0.6, color=np.where(best, _BEST, _MUTED).tolist())
    for bar, model, v, b in zip(bars, data["model"].astype("str"), tv, best, strict=True):
        bar.set_gid(f"model:{model}")
        text = f"  {v:.1%}" + ("  closest to the truth" if b else "")
        ax.text(v, bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=8)
    ax.set_yticks(y, [model_label(m) for m in data["model"].astype("str")])
    for label, b in zip(ax.get_yticklabels(), best, strict=True):
        if b:
            label.set_fontweight("bold")
    label = (
        f"Share of credited {_NOUN[metric]} given to the wrong channels (distance to the\n"
        "true incremental contribution): lower is closer to the truth"
    )
    title = title or "Which attribution model comes closest to the truth"
    return _finish(ax, label, title, margin=0.35)


def plot_transition_matrix_markov(
    matrix: pd.DataFrame,
    *,
    top: int = 12,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of a Markov chain's transition probabilities (rows sum to 100%).

    ``matrix`` is the output of :func:`~workbench.attribution.markov_transition_matrix`
    (``from_state, to_state, probability, count``). Drawn by
    :func:`workbench.plots.paths.plot_transition_matrix`: the ``top`` states most
    often entered are kept, the others are merged into ``"(other)"`` (probabilities
    recomputed from the counts, so every row still sums to 100%), and the ends are
    shown as ``Converted`` / ``Not converted``.
    """
    counts = matrix["count"].to_numpy(dtype=np.float64)
    ends = {CONVERSION_STATE: "Converted", NULL_STATE: "Not converted"}
    special = {START_STATE, *ends}
    entered = matrix.groupby("to_state")["count"].sum().sort_values(ascending=False, kind="stable")
    keep = [s for s in entered.index if s not in special][: max(top, 0)]
    kept = {*keep, *special}

    def relabel(states: pd.Series) -> pd.Series:
        s = states.astype("str")
        return s.where(s.isin(kept), OTHER).replace(ends)

    frame = pd.DataFrame(
        {
            "from_label": relabel(matrix["from_state"]).to_numpy(dtype=object),
            "to_label": relabel(matrix["to_state"]).to_numpy(dtype=object),
            "count": counts,
        }
    )
    frame = frame.groupby(["from_label", "to_label"], as_index=False)["count"].sum()
    frame["share_of_from"] = frame["count"] / frame.groupby("from_label")["count"].transform("sum")
    ax = plot_transition_matrix(
        frame,
        title=title or "Markov chain: chance of moving from each state to the next",
        ax=ax,
    )
    ax.set_ylabel("Current state (channel, or last channels)")
    ax.set_xlabel("Next state or outcome")
    return ax


def plot_bootstrap_intervals(
    ci: pd.DataFrame,
    *,
    model: str,
    metric: str = "conversions",
    share: bool = True,
    title: str | None = None,
    flag_note: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars of one model's credit per channel with bootstrap interval lines.

    Parameters
    ----------
    ci
        Output of :func:`~workbench.attribution.bootstrap_credits`.
    model
        The model to draw.
    metric
        ``"conversions"`` or ``"value"``.
    share
        Divide the estimate and its interval by the model's total (default); the
        interval is that of the credited amount relative to the estimated total, a
        slightly conservative interval of the share.

    Channels are sorted by their estimate, largest on top; ``few_conversions``
    channels get a grey italic label and a note (``flag_note`` says why, if not the count).
    """
    _check_metric(metric, ("conversions", "value"))
    data = ci.loc[ci["model"] == model]
    if data.empty:
        present = list(dict.fromkeys(ci["model"].astype("str").tolist()))
        raise ValueError(f"model {model!r} not in the data; models present: {present}")
    data = data.sort_values(metric, ascending=False, kind="stable")
    est = data[metric].to_numpy(dtype=np.float64)
    low = data[f"{metric}_low"].to_numpy(dtype=np.float64)
    high = data[f"{metric}_high"].to_numpy(dtype=np.float64)
    total = est.sum() if share else 1.0
    scale = 1.0 / total if total > 0 else np.nan
    est, low, high = est * scale, low * scale, high * scale
    names = data[CHANNEL].astype("str").tolist()
    ax = _axes(ax, (10, 0.5 * len(data) + 1.8))
    y = _rows(len(data))
    ax.barh(y, est, height=0.6, color=[channel_color(c) for c in names])
    xerr = np.vstack([np.clip(est - low, 0, None), np.clip(high - est, 0, None)])
    ax.errorbar(est, y, xerr=xerr, fmt="none", ecolor="#333333", capsize=3, linewidth=1.2)
    fmt = (lambda v: f"{v:.0%}") if share else _number
    for yi, e, lo, hi in zip(y, est, low, high, strict=True):
        end = max(e, hi) if hi == hi else e
        text = f"  {fmt(e)}  ({fmt(lo)} to {fmt(hi)})"
        ax.text(end, yi, text, va="center", fontsize=8)
    ax.set_yticks(y, [_wrap(c) for c in names])
    flags = data["few_conversions"].to_numpy(dtype=bool).tolist()
    _flag_ticks(ax, flags)
    label = f"{'Share of credited' if share else 'Credited'} {_NOUN[metric]}; lines: bootstrap"
    label += " interval (range of plausible values)" + (
        f"\n{flag_note or _FEW_NOTE}" if any(flags) else ""
    )
    title = title or f"Credit per channel under {model_label(model)}, with its uncertainty"
    return _finish(ax, label, title, None if share else _thousands(), margin=0.3)
