"""Figures of path analysis (see :mod:`workbench.analysis.paths`).

Every function draws on the given Axes or, when ``ax`` is None, on a new
:class:`matplotlib.figure.Figure` (no pyplot state is touched; in a notebook
show it with ``ax.figure``). Channel colours come from
:func:`workbench.plots.colors.channel_color`.

The flow figure is drawn with matplotlib only: one stacked column of node
bars per step and filled cubic-Bezier ribbons between them, both sized in
journeys. Node patches carry the gid ``"node:<step>:<name>"`` and ribbons
``"link:<step>:<source>-><target>"`` so they can be found in the figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import PercentFormatter

from workbench.analysis.paths import (
    END_CONVERTED,
    END_NOT_CONVERTED,
    OTHER,
    OTHER_PATHS,
    flow_nodes,
)
from workbench.plots._helpers import axes_or_new as _axes
from workbench.plots.colors import channel_color

__all__ = [
    "flow_geometry",
    "plot_flow",
    "plot_next_touches",
    "plot_path_lengths",
    "plot_time_to_convert",
    "plot_top_paths",
    "plot_transition_matrix",
    "short_path",
]

_BAR = "#4C78A8"
_LAST = {OTHER: 1, END_CONVERTED: 2, END_NOT_CONVERTED: 3, "Converted": 0, "Not converted": 4}


def short_path(path: str, *, max_chars: int = 60, sep: str = " > ") -> str:
    """A path label that fits beside a bar: ``A > B > … > Z (12 touches)`` when long."""
    text = str(path)
    if len(text) <= max_chars:
        return text
    steps = text.split(sep)
    head, tail = steps[:2], steps[-1]
    return f"{sep.join(head)}{sep}…{sep}{tail} ({len(steps)} touches)"


def plot_top_paths(
    top: pd.DataFrame,
    *,
    show_other: bool = False,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars: journeys per path, most frequent on top, with conversion rates.

    Parameters
    ----------
    top
        Output of :func:`~workbench.analysis.paths.top_paths`.
    show_other
        Also draw the ``"(other paths)"`` row.
    """
    ax = _axes(ax, (10, 0.45 * len(top) + 1.5))
    data = top if show_other else top.loc[top["path"] != OTHER_PATHS]
    y = np.arange(len(data))[::-1]
    bars = ax.barh(y, data["journeys"], color=_BAR)
    ends = []
    for bar, n, rate in zip(bars, data["journeys"], data["conversion_rate"], strict=True):
        text = f"  {n:,} journeys, {rate:.0%} convert" if rate == rate else f"  {n:,}"
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=8)
        ends.append((float(bar.get_width()), text))
    labels = [short_path(p) for p in data["path"]]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("Journeys")
    ax.set_title(title or "Most common paths (touches in order, ' > ' between them)")
    ax.margins(x=_end_label_margin(ax, ends, labels, fontsize=8))
    return ax


def _text_inches(texts: list[str], fontsize: float) -> np.ndarray:
    """Widths of ``texts`` in inches from the font's metrics (nothing drawn), 5% to spare.

    Agg's hinting draws small text a few percent wider than the outlines measure.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop, measure = FontProperties(size=fontsize), TextToPath()
    points = [measure.get_text_width_height_descent(t, prop, ismath=False)[0] for t in texts]
    return np.asarray(points, dtype=float).reshape(-1) * 1.05 / 72


def _end_label_margin(
    ax: Axes,
    ends: list[tuple[float, str]],
    tick_labels: list[str],
    *,
    fontsize: float,
    least: float = 0.25,
) -> float:
    """The x margin of horizontal bars that keeps each bar's end label inside the axes.

    A label anchored at a bar's end moves with the axes, so constrained layout cannot
    make room for one that runs past the axes' right edge (each pass moves the label
    by part of the room made): the figure was drawn, found to overflow the canvas and
    drawn again (:func:`workbench.plots.render.figure_png`). Here the labels are
    measured from the font before any drawing, the axes' width estimated as its share
    of the figure's width less the widest tick label, the ticks and the layout's pads,
    and the margin made wide enough that ``end / xmax * width + label <= width`` for
    every bar (at least ``least``, the old fixed margin).

    Parameters
    ----------
    ax
        The axes of the bars.
    ends
        (bar end in data units, its label) per bar.
    tick_labels
        The y tick labels (their width is taken from the axes' width).
    fontsize
        Font size of the end and tick labels.
    least
        Smallest margin returned.
    """
    import matplotlib as mpl

    reach = max((end for end, _ in ends), default=0.0)
    if not ends or reach <= 0:
        return least
    spec = ax.get_subplotspec()
    share = len(spec.colspan) / spec.get_gridspec().ncols if spec is not None else 1.0
    ticks = mpl.rcParams["ytick.major.size"] + mpl.rcParams["ytick.major.pad"]
    pads = 2 * mpl.rcParams["figure.constrained_layout.w_pad"] + 0.1  # 0.1 in to spare
    tick_text = float(_text_inches(tick_labels, fontsize).max(initial=0.0))
    fig = ax.figure  # a Figure or a SubFigure: its width in inches from its box
    width = fig.bbox.width / fig.dpi * share - tick_text - ticks / 72 - pads
    label = _text_inches([text for _, text in ends], fontsize)
    room = width - label
    if width <= 0 or (room <= 0).any():  # no room at any scale: keep the old margin
        return least
    end = np.asarray([e for e, _ in ends], dtype=float)
    xmax = float((end * width / room).max())
    return max(least, xmax / reach - 1.0)


def plot_path_lengths(
    dist: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Bars: share of journeys by number of touches, labelled with the conversion rate.

    ``dist`` is the output of :func:`~workbench.analysis.paths.path_length_distribution`.
    """
    ax = _axes(ax)
    x = np.arange(len(dist))
    bars = ax.bar(x, dist["share_of_journeys"], color=_BAR)
    labelled = bool((dist["conversion_rate"].fillna(0) > 0).any())  # all 0%: say nothing
    for bar, rate in zip(bars, dist["conversion_rate"], strict=True):
        if labelled and rate == rate:
            ax.annotate(
                f"{rate:.0%} conv.",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    ax.set_xticks(x, dist["bin"].tolist())
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Touches in the journey")
    ax.set_ylabel("Share of journeys")
    ax.set_title(
        title
        or "How many touches journeys have"
        + (" (label: share that converts)" if labelled else " (none converted)")
    )
    return ax


def plot_time_to_convert(
    dist: pd.DataFrame, *, title: str | None = None, ax: Axes | None = None
) -> Axes:
    """Bars: share of conversions by days from first touch; line: cumulative share.

    ``dist`` is the output of :func:`~workbench.analysis.paths.time_to_convert_distribution`.
    """
    ax = _axes(ax)
    x = np.arange(len(dist))
    ax.bar(x, dist["share_of_conversions"], color=_BAR, label="Share of conversions")
    ax.plot(x, dist["cumulative_share"], color="#F58518", marker="o", label="Cumulative share")
    ax.set_xticks(x, dist["bin"].tolist(), rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Days from the first touch to the conversion")
    ax.set_ylabel("Share of conversions")
    ax.legend(loc="center right")
    ax.set_title(title or "Time to convert")
    return ax


def plot_transition_matrix(
    transitions: pd.DataFrame,
    *,
    values: str = "share_of_from",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap: from which touch (rows) people go to which next touch (columns).

    ``transitions`` is :func:`~workbench.analysis.paths.transition_matrix`; each
    cell shows the share of the row's transitions (rows sum to 100%).
    """
    wide = transitions.pivot_table(
        index="from_label", columns="to_label", values=values, aggfunc="sum", fill_value=0
    )
    ends = ["Converted", "Not converted"]
    rows = sorted(wide.index, key=lambda v: (v != "(start)", v))
    wide = wide.reindex(index=rows, columns=sorted(wide.columns, key=lambda v: (v in ends, v)))
    ax = _axes(ax, (1.0 + 0.8 * wide.shape[1], 1.0 + 0.5 * wide.shape[0]))
    image = ax.imshow(wide.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (r, c), v in np.ndenumerate(wide.to_numpy(dtype=float)):
        if v > 0:
            color = "white" if v > 0.6 else "black"
            ax.text(c, r, f"{v:.0%}", ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(wide.shape[1]), wide.columns.tolist(), rotation=40, ha="right")
    ax.set_yticks(range(wide.shape[0]), wide.index.tolist())
    ax.set_xlabel("Next touch (or outcome)")
    ax.set_ylabel("Touch")
    ax.figure.colorbar(image, ax=ax, format=PercentFormatter(1.0), label="Share of row")
    ax.set_title(title or "What people do next: share of transitions from each touch")
    return ax


def plot_next_touches(
    neighbours: pd.DataFrame,
    *,
    step: int = 1,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars: the share of journeys by the touch ``step`` after (or before) the anchor.

    ``neighbours`` is :func:`~workbench.analysis.paths.next_touches` or
    :func:`~workbench.analysis.paths.previous_touches`.
    """
    ax = _axes(ax)
    data = neighbours.loc[neighbours["step"] == step].sort_values("share")
    bars = ax.barh(
        data["label"].tolist(), data["share"], color=[channel_color(v) for v in data["label"]]
    )
    for bar, n in zip(bars, data["journeys"], strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f"  {n:,}", va="center")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Share of journeys")
    anchor = data["anchor"].iloc[0] if len(data) else ""
    word = "after" if (data["direction"] == "next").all() else "before"
    ax.set_title(title or f"What comes {word} {anchor} (touch {step} {word})")
    ax.margins(x=0.15)
    return ax


def _ribbon(x0: float, x1: float, y0: tuple[float, float], y1: tuple[float, float]) -> Path:
    """Filled band from [y0] at x0 to [y1] at x1 with cubic Bezier edges."""
    xm = (x0 + x1) / 2
    verts = [
        (x0, y0[0]),
        (xm, y0[0]),
        (xm, y1[0]),
        (x1, y1[0]),
        (x1, y1[1]),
        (xm, y1[1]),
        (xm, y0[1]),
        (x0, y0[1]),
        (x0, y0[0]),
    ]
    codes = [Path.MOVETO] + [Path.CURVE4] * 3 + [Path.LINETO] + [Path.CURVE4] * 3
    return Path(verts, [*codes, Path.CLOSEPOLY])


def flow_geometry(
    links: pd.DataFrame, *, node_width: float = 0.16, gap: float = 0.02
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where each node bar and ribbon of a flow figure goes (shared by every flow figure).

    Steps are 1 apart on x; each column is stacked top-down (largest nodes first,
    ends, "(other)" and outcomes last), sized in journeys with ``gap`` (a share of
    all journeys) between nodes.

    Returns
    -------
    tuple of pandas.DataFrame
        Nodes ``step, node, journeys, conversions, x0, x1, bottom, top`` and links
        (the input's columns plus ``x0, x1, source_top, source_bottom, target_top,
        target_bottom``) in drawing order.
    """
    # plain Python over the few nodes and links (hundreds at most): per-step pandas calls
    # cost more than the whole layout
    nodes = flow_nodes(links)
    sums = {
        (s, node): (n, c)
        for s, node, n, c in zip(
            nodes["step"].to_numpy(dtype=np.int64),
            list(nodes["node"]),
            nodes["journeys"].to_numpy(),
            nodes["conversions"].to_numpy(),
            strict=True,
        )
    }
    step = links["step"].to_numpy(dtype=np.int64)
    source, target = list(links["source"]), list(links["target"])
    journeys = links["journeys"].to_numpy()
    steps = sorted({s for s, _ in sums})
    total = int(sum(n for (s, _), (n, _c) in sums.items() if s == steps[0])) if steps else 0
    space = gap * total
    rows, pos = [], {}
    for s in steps:
        col = sorted(
            ((node, n, c) for (st, node), (n, c) in sums.items() if st == s),
            key=lambda r: (_LAST.get(r[0], -1), -r[1], r[0]),
        )
        top = total + space * (len(col) - 1)
        for node, n, c in col:
            rows.append((s, node, n, c, s - node_width / 2, s + node_width / 2, top - n, top))
            pos[(s, node)] = [top, top]  # next free top edge for outgoing / incoming ribbons
            top = top - n - space
    cols = ["step", "node", "journeys", "conversions", "x0", "x1", "bottom", "top"]
    geo_nodes = pd.DataFrame(rows, columns=cols)
    rank = {k: i for i, k in enumerate(pos)}
    first = np.array([rank[(s, v)] for s, v in zip(step, source, strict=True)], dtype=np.int64)
    second = np.array([rank[(s + 1, v)] for s, v in zip(step, target, strict=True)], dtype=np.int64)
    order = np.lexsort((second, first))
    edges = []
    for k in order:
        s, n = step[k], journeys[k]
        out_top, in_top = pos[(s, source[k])][0], pos[(s + 1, target[k])][1]
        edges.append((out_top, out_top - n, in_top, in_top - n))
        pos[(s, source[k])][0] -= n
        pos[(s + 1, target[k])][1] -= n
    geo_links = links.take(order).reset_index(drop=True)
    ends = pd.DataFrame(
        edges, columns=["source_top", "source_bottom", "target_top", "target_bottom"], dtype=float
    )
    geo_links["x0"] = geo_links["step"] + node_width / 2
    geo_links["x1"] = geo_links["step"] + 1 - node_width / 2
    return geo_nodes, pd.concat([geo_links, ends], axis=1)


def plot_flow(
    links: pd.DataFrame,
    *,
    node_width: float = 0.16,
    gap: float = 0.02,
    min_label_share: float = 0.02,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Sankey-style flow of the first touches of every journey.

    Parameters
    ----------
    links
        Output of :func:`~workbench.analysis.paths.flow` (or
        :func:`~workbench.analysis.flow.anchored_flow`); each column (step)
        holds every journey, so all node columns have the same height.
    node_width
        Width of the node bars (steps are 1 apart).
    gap
        Space between nodes as a share of all journeys.
    min_label_share
        Nodes smaller than this share of journeys are not labelled.
    """
    nodes, geo = flow_geometry(links, node_width=node_width, gap=gap)
    steps = sorted(nodes["step"].unique())
    total = int(nodes.loc[nodes["step"] == steps[0], "journeys"].sum()) if steps else 0
    ax = _axes(ax, (2.6 * max(len(steps), 2), 6))
    space = gap * total
    for r in nodes.itertuples():
        n = int(r.journeys)
        rect = Rectangle((r.x0, r.bottom), node_width, n, facecolor=channel_color(r.node))
        rect.set_gid(f"node:{r.step}:{r.node}")
        ax.add_patch(rect)
        if total and n / total >= min_label_share:
            ax.text(
                r.x1 + 0.03,
                r.bottom + n / 2,
                f"{r.node}\n{n:,} ({n / total:.0%})",
                va="center",
                fontsize=7,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5},
            )
    for r in geo.itertuples():
        path = _ribbon(r.x0, r.x1, (r.source_top, r.source_bottom), (r.target_top, r.target_bottom))
        patch = PathPatch(path, facecolor=channel_color(r.source), alpha=0.35, linewidth=0)
        patch.set_gid(f"link:{r.step}:{r.source}->{r.target}")
        ax.add_patch(patch)
    has_outcome = bool(steps) and set(nodes.loc[nodes["step"] == steps[-1], "node"]) <= {
        "Converted",
        "Not converted",
    }
    names = [f"Touch {s}" for s in steps]
    if has_outcome and names:
        names[-1] = "Outcome"
    ax.set_xticks(steps, names)
    ax.set_xlim(steps[0] - 0.4 if steps else 0, steps[-1] + 0.9 if steps else 1)
    most = int(nodes.groupby("step").size().max()) if steps else 1
    ax.set_ylim(-space, max(total + space * most, 1))
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or f"How {total:,} journeys unfold, touch by touch (every journey counted)")
    return ax
