"""Anchored flows: the journeys after a chosen touch, or before it or the conversion.

:func:`workbench.analysis.paths.flow` reads every journey from its first touch.
:func:`anchored_flow` starts the flow at an *anchor* instead, as GA4's path
exploration does with a "starting point" or an "ending point":

* ``direction="forward"`` from a touch: each journey with a matching touch is read
  from its *first* matching touch onward (column 1 is that touch's label);
* ``direction="backward"`` from a touch: from its *last* matching touch back toward
  the journey's start (the last column is the anchor);
* ``direction="backward"`` from ``anchor="conversion"``: converted journeys only, read
  backward from the conversion (the last column is ``"Converted"``).

The columns read left to right in time in both directions, so the links have the
same shape as :func:`~workbench.analysis.paths.flow`'s and draw with the same
figure. Every column holds every anchored journey: journeys that started before a
backward column are ``"(start)"``, journeys that ended before a forward column are
``"(end: converted)"`` / ``"(end: not converted)"``; rare labels are ``"(other)"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.analysis.paths import (
    _OUTCOME,
    _START,
    END_CONVERTED,
    END_NOT_CONVERTED,
    OTHER,
    _anchor_mask,
    _ordered,
    flow,
    grid_links,
    group_rare,
)
from workbench.journeys.build import NOT_SET

__all__ = [
    "ANCHOR_CONVERSION",
    "DEFAULT_ANCHORS",
    "DIRECTIONS",
    "FLOW_COLUMNS",
    "JOURNEY_START",
    "START",
    "anchored_flow",
    "flow_views",
]

#: The anchor meaning "the conversion" (backward flows only).
ANCHOR_CONVERSION = "conversion"
#: Name of the anchor of a plain forward flow (every journey from its first touch).
JOURNEY_START = "journey start"
#: Node of journeys that started before a backward column.
START = _START
#: Allowed directions.
DIRECTIONS: tuple[str, ...] = ("forward", "backward")
#: Columns of :func:`anchored_flow`.
FLOW_COLUMNS: tuple[str, ...] = (
    "anchor",
    "direction",
    "step",
    "source",
    "target",
    "journeys",
    "conversions",
    "value",
)

Anchor = str | Mapping[str, str | Sequence[str]] | None

#: The views the reports precompute: label -> (anchor, direction).
DEFAULT_ANCHORS: dict[str, tuple[Anchor, str]] = {
    "From the first touch": (None, "forward"),
    "Back from the conversion": (ANCHOR_CONVERSION, "backward"),
    "After a webinar": ({"touch_type": "webinar_attendance"}, "forward"),
    "Before a demo": ({"touch_type": "demo"}, "backward"),
}


def _anchor_name(anchor: Anchor) -> str:
    if anchor is None:
        return JOURNEY_START
    if isinstance(anchor, str):
        return anchor
    parts = [
        f"{k} = {v if isinstance(v, str) else ' or '.join(map(str, v))}" for k, v in anchor.items()
    ]
    return ", ".join(parts)


def _check(anchor: Anchor, direction: str, steps: int) -> None:
    problems = []
    if direction not in DIRECTIONS:
        problems.append(f"direction = {direction!r}; expected one of {', '.join(DIRECTIONS)}")
    if steps < 1:
        problems.append(f"steps = {steps}; expected 1 or more")
    if isinstance(anchor, str) and anchor != ANCHOR_CONVERSION:
        problems.append(
            f"anchor = {anchor!r}; expected {ANCHOR_CONVERSION!r}, None or a mapping of "
            "channel / touch_type / page / label"
        )
    if anchor == ANCHOR_CONVERSION and direction != "backward":
        problems.append("anchor = 'conversion' reads backward only: use direction='backward'")
    if anchor is None and direction != "forward":
        problems.append("a backward flow needs an anchor: 'conversion' or a touch mapping")
    if isinstance(anchor, Mapping):
        unknown = set(anchor) - {"channel", "touch_type", "page", "label"}
        if unknown:
            problems.append(
                f"anchor keys {sorted(unknown)} unknown; allowed: channel, touch_type, page, label"
            )
    if problems:
        raise ValueError("; ".join(problems))


def anchored_flow(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    anchor: Anchor = None,
    direction: str = "forward",
    steps: int = 4,
    label_col: str = "label",
    top_n: int = 6,
) -> pd.DataFrame:
    """Links of a flow anchored at a touch or at the conversion (see the module docstring).

    Parameters
    ----------
    journeys, touches
        Tables of a :class:`~workbench.journeys.build.JourneySet`.
    anchor
        ``None`` (every journey from its start: :func:`~workbench.analysis.paths.flow`),
        ``"conversion"`` (backward only), or a mapping with any of ``channel``,
        ``touch_type``, ``label`` (a value or a list of values) and ``page`` (a
        regex); a touch matches when it meets every criterion.
    direction
        ``"forward"`` or ``"backward"``.
    steps
        Touches read after (forward) or before (backward) the anchor.
    top_n
        Labels kept per column; the rest are ``"(other)"``.

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`: ``anchor`` (readable anchor), ``direction``,
        ``step`` (1-based column of the source node, in time order), ``source``,
        ``target``, ``journeys``, ``conversions``, ``value``. Each column's
        links sum to the anchored journeys. A forward flow ends with an outcome
        column (``"Converted"`` / ``"Not converted"``); a backward flow ends at
        the anchor.
    """
    _check(anchor, direction, steps)
    name = _anchor_name(anchor)
    if anchor is None:
        links = flow(journeys, touches, steps=steps, label_col=label_col, top_n=top_n)
        return _finish(links, name, direction)
    j, order = _ordered(touches, journeys)
    js = j[order]
    codes, vocab = pd.factorize(
        touches[label_col].astype("string").fillna(NOT_SET).to_numpy(dtype=object)[order]
    )
    n_l = len(vocab)
    names = np.array(
        [*map(str, vocab), END_CONVERTED, END_NOT_CONVERTED, OTHER, START, *_OUTCOME.values()],
        dtype=object,
    )
    e_conv, e_not, start, converted, not_converted = n_l, n_l + 1, n_l + 3, n_l + 4, n_l + 5
    conv_all = journeys["converted"].to_numpy(dtype=bool)
    counts = np.bincount(js, minlength=len(journeys))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    end = first + counts  # one past the journey's last touch
    if anchor == ANCHOR_CONVERSION:
        sel = np.flatnonzero(conv_all)
        pos = end[sel]  # the conversion sits just after the last touch
        anchor_code = np.full(len(sel), converted, dtype=np.int64)
    else:
        mask = _anchor_mask(touches, **_criteria(anchor))[0][order]  # type: ignore[arg-type]
        hits = np.flatnonzero(mask)
        hj = js[hits]
        if direction == "forward":  # the first matching touch of each journey
            keep = np.r_[True, hj[1:] != hj[:-1]] if len(hits) else np.zeros(0, bool)
        else:  # the last one
            keep = np.r_[hj[1:] != hj[:-1], True] if len(hits) else np.zeros(0, bool)
        sel, pos = hj[keep], hits[keep]
        anchor_code = codes[pos].astype(np.int64)
    conv, value = conv_all[sel], journeys["value"].to_numpy(dtype=float)[sel]
    grid = np.empty((len(sel), steps + 1), dtype=np.int64)
    if direction == "forward":
        grid[:, 0] = anchor_code
        for k in range(1, steps + 1):
            p = pos + k
            inside = p < end[sel]
            ended = np.where(conv, e_conv, e_not)
            grid[:, k] = np.where(inside, codes[np.where(inside, p, 0)] if len(codes) else 0, ended)
        grid = group_rare(grid, n_l, names, top_n)
        grid = np.column_stack([grid, np.where(conv, converted, not_converted)])
    else:
        grid[:, steps] = anchor_code
        for k in range(1, steps + 1):
            p = pos - k
            inside = p >= first[sel]
            grid[:, steps - k] = np.where(
                inside, codes[np.where(inside, p, 0)] if len(codes) else 0, start
            )
        grid = group_rare(grid, n_l, names, top_n)
    return _finish(grid_links(grid, names, conv, value), name, direction)


def _criteria(anchor: Mapping[str, str | Sequence[str]]) -> dict[str, object]:
    out: dict[str, object] = {"channel": None, "touch_type": None, "page": None, "label": None}
    for key, want in anchor.items():
        out[key] = want if isinstance(want, str) else list(want)
    return out


def _finish(links: pd.DataFrame, name: str, direction: str) -> pd.DataFrame:
    out = links.assign(anchor=name, direction=direction)
    out["anchor"] = out["anchor"].astype("string")
    out["direction"] = out["direction"].astype("string")
    return out[list(FLOW_COLUMNS)].reset_index(drop=True)


def flow_views(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    anchors: Mapping[str, tuple[Anchor, str]] | None = None,
    steps: Sequence[int] = (3, 4, 5),
    label_col: str = "label",
    top_n: int = 6,
) -> dict[tuple[str, int], pd.DataFrame]:
    """Every (anchor, steps) flow a report offers, for an interactive chart to switch between.

    ``anchors`` maps a readable label to ``(anchor, direction)`` (default
    :data:`DEFAULT_ANCHORS`); views without any journey are left out.

    Returns
    -------
    dict
        ``{(label, steps): links}`` with links from :func:`anchored_flow`, in the
        order of ``anchors`` then ``steps``.
    """
    out = {}
    for name, (anchor, direction) in (anchors or DEFAULT_ANCHORS).items():
        for n in steps:
            links = anchored_flow(
                journeys,
                touches,
                anchor=anchor,
                direction=direction,
                steps=n,
                label_col=label_col,
                top_n=top_n,
            )
            if len(links):
                out[(name, int(n))] = links
    return out
