"""Path analysis: top paths, distributions, transitions, next/previous touch, flows.

(The module is called ``path_analysis`` because :mod:`workbench.paths` holds
the project's file-system paths.)

Every function takes the ``journeys`` and/or ``touches`` tables of a
:class:`~workbench.journeys.build.JourneySet` and returns a tidy frame with fixed
columns. Counts are of journeys unless a column says otherwise, so the totals
reconcile with the journey table: the shares of :func:`top_paths` (with its
``"(other paths)"`` row) sum to 1, and every step of :func:`flow` holds every
journey -- journeys that have ended are shown as ``"(end: converted)"`` /
``"(end: not converted)"``, rare labels are grouped into ``"(other)"``; none
is ever dropped.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from workbench.journeys.build import (
    NO_TOUCH,
    NOT_SET,
    PATH_SEP,
    paths_from_touches,
    touch_journey_index,
)
from workbench.schema import JOURNEY_ID, TOUCH_TYPE

__all__ = [
    "END_CONVERTED",
    "END_NOT_CONVERTED",
    "OTHER",
    "OTHER_PATHS",
    "flow",
    "flow_nodes",
    "grid_links",
    "group_rare",
    "next_touches",
    "path_length_distribution",
    "previous_touches",
    "time_to_convert_distribution",
    "top_paths",
    "transform_paths",
    "transform_touches",
    "transition_matrix",
    "transition_matrix_wide",
]

#: Node of journeys that ended (converted) before a step of the flow.
END_CONVERTED = "(end: converted)"
#: Node of journeys that ended (without conversion) before a step of the flow.
END_NOT_CONVERTED = "(end: not converted)"
#: Rare labels grouped together in the flow.
OTHER = "(other)"
#: The row of :func:`top_paths` that holds every path outside the top ``n``.
OTHER_PATHS = "(other paths)"
_START = "(start)"
_OUTCOME = {True: "Converted", False: "Not converted"}


def _rate(num: np.ndarray | pd.Series, den: np.ndarray | pd.Series) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _path_length(path: pd.Series) -> pd.Series:
    steps = path.str.count(re.escape(PATH_SEP)) + 1
    return steps.where(path != NO_TOUCH, 0).astype("int64")


def _ordered(touches: pd.DataFrame, journeys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(journey row of each touch, order of the touches by journey then position)."""
    j = touch_journey_index(touches, journeys)
    keep = np.flatnonzero(j >= 0)
    order = keep[np.lexsort((touches["position"].to_numpy()[keep], j[keep]))]
    return j, order


def top_paths(
    journeys: pd.DataFrame,
    *,
    n: int = 20,
    sort_by: str = "journeys",
    other: bool = True,
    path_col: str = "path",
) -> pd.DataFrame:
    """The ``n`` most frequent paths with their journeys, conversions and value.

    Parameters
    ----------
    journeys
        Journey table (``path``, ``converted``, ``value``).
    n
        How many paths to list.
    sort_by
        ``"journeys"``, ``"conversions"`` or ``"value"``; ties by path name.
    other
        Add a last row ``"(other paths)"`` with the rest so totals reconcile.

    Returns
    -------
    pandas.DataFrame
        ``rank, path, path_length, journeys, conversions, conversion_rate,
        value, share_of_journeys, share_of_conversions``.
    """
    if sort_by not in ("journeys", "conversions", "value"):
        raise ValueError(f"sort_by = {sort_by!r}; expected journeys, conversions or value")
    g = journeys.groupby(journeys[path_col].astype("string"), sort=False, observed=True)
    agg = pd.DataFrame(
        {
            "journeys": g.size(),
            "conversions": g["converted"].sum().astype("int64"),
            "value": g["value"].sum().astype(float),
        }
    )
    agg.index.name = "path"
    agg = agg.reset_index()
    keys = [sort_by, "journeys", "path"] if sort_by != "journeys" else ["journeys", "path"]
    asc = [False] * (len(keys) - 1) + [True]
    agg = agg.sort_values(keys, ascending=asc, kind="stable").reset_index(drop=True)
    top, rest = agg.iloc[:n].copy(), agg.iloc[n:]
    top.insert(0, "rank", pd.array(np.arange(1, len(top) + 1), dtype="Int64"))
    top["path_length"] = _path_length(top["path"]).astype("Int64")
    if other and len(rest):
        row = {
            "rank": pd.NA,
            "path": OTHER_PATHS,
            "path_length": pd.NA,
            "journeys": int(rest["journeys"].sum()),
            "conversions": int(rest["conversions"].sum()),
            "value": float(rest["value"].sum()),
        }
        top = pd.concat([top, pd.DataFrame([row]).astype(top.dtypes.to_dict())], ignore_index=True)
    top["conversion_rate"] = _rate(top["conversions"], top["journeys"])
    top["share_of_journeys"] = _rate(top["journeys"], len(journeys))
    top["share_of_conversions"] = _rate(top["conversions"], journeys["converted"].sum())
    top["path"] = top["path"].astype("string")
    cols = ["rank", "path", "path_length", "journeys", "conversions", "conversion_rate", "value"]
    return top[[*cols, "share_of_journeys", "share_of_conversions"]]


def path_length_distribution(journeys: pd.DataFrame, *, max_length: int = 10) -> pd.DataFrame:
    """Journeys and conversions by number of touches (``max_length`` pools the longer ones).

    Returns
    -------
    pandas.DataFrame
        ``path_length`` (lower bound of the bin), ``bin`` (``"3"``, ``"10+"``),
        ``journeys, conversions, conversion_rate, share_of_journeys,
        share_of_conversions, cumulative_share_of_conversions``.
    """
    length = np.minimum(journeys["n_touches"].to_numpy(dtype=np.int64), max_length)
    conv = journeys["converted"].to_numpy(dtype=bool)
    k = np.arange(max_length + 1)
    n_j = np.bincount(length, minlength=max_length + 1)
    n_c = np.bincount(length[conv], minlength=max_length + 1)
    out = pd.DataFrame(
        {
            "path_length": k,
            "bin": pd.array([f"{i}+" if i == max_length else str(i) for i in k], dtype="string"),
            "journeys": n_j,
            "conversions": n_c,
            "conversion_rate": _rate(n_c, n_j),
            "share_of_journeys": _rate(n_j, n_j.sum()),
            "share_of_conversions": _rate(n_c, n_c.sum()),
        }
    )
    out["cumulative_share_of_conversions"] = _rate(np.cumsum(n_c), n_c.sum())
    return out


def time_to_convert_distribution(
    journeys: pd.DataFrame, *, bins: tuple[float, ...] = (0, 1, 7, 14, 30, 60, 90)
) -> pd.DataFrame:
    """Converted journeys by days from first touch to conversion.

    Bins are ``[bins[i], bins[i+1])`` days plus ``bins[-1]+``; zero-touch
    conversions form a last ``"(no touch)"`` bin (no first touch to count from).

    Returns
    -------
    pandas.DataFrame
        ``bin, lower_days, upper_days, conversions, value,
        share_of_conversions, cumulative_share``.
    """
    conv = journeys.loc[journeys["converted"].astype(bool)]
    days = conv["duration_days"].to_numpy(dtype=float)
    edges = np.asarray(bins, dtype=float)
    which = np.searchsorted(edges, days, side="right") - 1
    which = np.where(np.isnan(days), len(edges), np.clip(which, 0, len(edges) - 1))
    n = np.bincount(which, minlength=len(edges) + 1)
    v = np.bincount(which, weights=conv["value"].to_numpy(dtype=float), minlength=len(edges) + 1)
    names = [f"{a:g}-{b:g} days" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return pd.DataFrame(
        {
            "bin": pd.array([*names, f"{edges[-1]:g}+ days", NO_TOUCH], dtype="string"),
            "lower_days": [*edges, np.nan],
            "upper_days": [*edges[1:], np.inf, np.nan],
            "conversions": n,
            "value": v,
            "share_of_conversions": _rate(n, n.sum()),
            "cumulative_share": _rate(np.cumsum(n), n.sum()),
        }
    )


def transition_matrix(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    *,
    label_col: str = "label",
    start_end: bool = True,
) -> pd.DataFrame:
    """Counts of consecutive touch pairs (``from_label`` -> ``to_label``) within journeys.

    With ``start_end``, each journey also contributes ``"(start)"`` -> first
    touch and last touch -> ``"Converted"``/``"Not converted"`` (a Markov-chain
    view); zero-touch journeys go straight from start to their outcome.

    Returns
    -------
    pandas.DataFrame
        ``from_label, to_label, transitions, share_of_from, share_of_all``
        (``share_of_from`` sums to 1 per ``from_label``).
    """
    j, order = _ordered(touches, journeys)
    j = j[order]
    lab = touches[label_col].astype("string").fillna(NOT_SET).to_numpy(dtype=object)[order]
    same = j[1:] == j[:-1]
    frm, to = [lab[:-1][same]], [lab[1:][same]]
    if start_end:
        conv = journeys["converted"].to_numpy(dtype=bool)
        first = np.r_[True, ~same] if len(j) else np.zeros(0, bool)
        last = np.r_[~same, True] if len(j) else np.zeros(0, bool)
        outcome = np.where(conv, _OUTCOME[True], _OUTCOME[False])
        empty = np.setdiff1d(np.arange(len(journeys)), j)
        frm += [np.full(first.sum(), _START, dtype=object), lab[last]]
        to += [lab[first], outcome[j[last]]]
        frm.append(np.full(len(empty), _START, dtype=object))
        to.append(outcome[empty])
    pairs = pd.DataFrame({"from_label": np.concatenate(frm), "to_label": np.concatenate(to)})
    out = pairs.value_counts(sort=False).rename("transitions").reset_index()
    out = out.sort_values(["from_label", "to_label"], kind="stable", ignore_index=True)
    total_from = out.groupby("from_label")["transitions"].transform("sum")
    out["share_of_from"] = _rate(out["transitions"], total_from)
    out["share_of_all"] = _rate(out["transitions"], out["transitions"].sum())
    for col in ("from_label", "to_label"):
        out[col] = out[col].astype("string")
    return out[["from_label", "to_label", "transitions", "share_of_from", "share_of_all"]]


def transition_matrix_wide(
    transitions: pd.DataFrame, *, values: str = "share_of_from"
) -> pd.DataFrame:
    """Pivot :func:`transition_matrix` into from (rows) x to (columns), missing pairs 0."""
    wide = transitions.pivot_table(
        index="from_label", columns="to_label", values=values, aggfunc="sum", fill_value=0
    )
    wide.columns.name, wide.index.name = "to_label", "from_label"
    return wide


def _anchor_mask(
    touches: pd.DataFrame,
    channel: str | list[str] | None,
    touch_type: str | list[str] | None,
    page: str | None,
    label: str | list[str] | None,
) -> tuple[np.ndarray, str]:
    mask = np.ones(len(touches), dtype=bool)
    parts = []
    for col, want in (("channel", channel), (TOUCH_TYPE, touch_type), ("label", label)):
        if want is not None:
            values = [want] if isinstance(want, str) else list(want)
            mask &= touches[col].isin(values).to_numpy(dtype=bool)
            parts.append(f"{col} = {' or '.join(values)}")
    if page is not None:
        mask &= touches["page"].astype("string").str.contains(page, regex=True).fillna(False)
        mask = np.asarray(mask, dtype=bool)
        parts.append(f"page ~ {page}")
    if not parts:
        raise ValueError("give at least one of channel, touch_type, page or label")
    return mask, ", ".join(parts)


def _neighbours(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    direction: int,
    steps: int,
    label_col: str,
    **anchor: object,
) -> pd.DataFrame:
    mask, name = _anchor_mask(touches, **anchor)  # type: ignore[arg-type]
    j, order = _ordered(touches, journeys)
    js, ms = j[order], mask[order]
    lab = touches[label_col].astype("string").fillna(NOT_SET).to_numpy(dtype=object)[order]
    hits = np.flatnonzero(ms)
    hits = hits[np.r_[True, js[hits][1:] != js[hits][:-1]]] if len(hits) else hits
    conv = journeys["converted"].to_numpy(dtype=bool)
    rows = []
    for step in range(1, steps + 1):
        p = hits + direction * step
        inside = (p >= 0) & (p < len(js))
        pc_ = np.where(inside, p, 0)
        ok = inside & (js[pc_] == js[hits])
        if direction > 0:
            end = np.where(conv[js[hits]], END_CONVERTED, END_NOT_CONVERTED).astype(object)
        else:
            end = np.full(len(hits), _START, dtype=object)
        labels = np.where(ok, lab[pc_], end)
        frame = pd.DataFrame({"label": labels, "converted": conv[js[hits]]})
        g = frame.groupby("label", sort=True)
        part = pd.DataFrame({"journeys": g.size(), "conversions": g["converted"].sum()})
        part = part.reset_index().assign(step=step)
        rows.append(part)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    out["anchor"] = name
    out["direction"] = "next" if direction > 0 else "previous"
    out["share"] = _rate(out["journeys"], len(hits))
    out["conversion_rate"] = _rate(out["conversions"], out["journeys"])
    out = out.sort_values(["step", "journeys", "label"], ascending=[True, False, True])
    cols = ["anchor", "direction", "step", "label", "journeys", "share", "conversions"]
    out = out[[*cols, "conversion_rate"]].reset_index(drop=True)
    for col in ("anchor", "direction", "label"):
        out[col] = out[col].astype("string")
    return out.astype({"journeys": "int64", "conversions": "int64", "step": "int64"})


def next_touches(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    *,
    channel: str | list[str] | None = None,
    touch_type: str | list[str] | None = None,
    page: str | None = None,
    label: str | list[str] | None = None,
    steps: int = 1,
    label_col: str = "label",
) -> pd.DataFrame:
    """What journeys do after a touch: "what do people do after a webinar".

    The anchor is the *first* touch of each journey matching every given
    criterion (channel / touch type / label equal to one of the values, page
    matching the regex). For step ``k`` the label of the k-th touch after it
    is counted, or ``"(end: converted)"`` / ``"(end: not converted)"`` when
    the journey ends first -- every anchored journey is counted at every step.

    Returns
    -------
    pandas.DataFrame
        ``anchor, direction, step, label, journeys, share, conversions,
        conversion_rate``; ``share`` sums to 1 per step.
    """
    anchor = {"channel": channel, "touch_type": touch_type, "page": page, "label": label}
    return _neighbours(touches, journeys, 1, steps, label_col, **anchor)


def previous_touches(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    *,
    channel: str | list[str] | None = None,
    touch_type: str | list[str] | None = None,
    page: str | None = None,
    label: str | list[str] | None = None,
    steps: int = 1,
    label_col: str = "label",
) -> pd.DataFrame:
    """What came before a touch: "what came before a demo" (see :func:`next_touches`).

    Journeys whose anchor is their first touch count as ``"(start)"``.
    """
    anchor = {"channel": channel, "touch_type": touch_type, "page": page, "label": label}
    return _neighbours(touches, journeys, -1, steps, label_col, **anchor)


def transform_touches(
    touches: pd.DataFrame, *, how: str, n: int | None = None, label_col: str = "label"
) -> pd.DataFrame:
    """Keep a subset of each journey's touches; positions are renumbered from 0.

    ``how``: ``"unique"`` (first touch of each label), ``"collapse"`` (drop a
    touch repeating the previous label), ``"first"`` / ``"last"`` (first or
    last ``n`` touches).
    """
    if how not in ("unique", "collapse", "first", "last"):
        raise ValueError(f"how = {how!r}; expected unique, collapse, first or last")
    if how in ("first", "last") and (n is None or n < 1):
        raise ValueError(f"how = {how!r} needs n >= 1")
    jid = pd.factorize(touches[JOURNEY_ID])[0]
    order = np.lexsort((touches["position"].to_numpy(), jid))
    t = touches.iloc[order]
    j = jid[order]
    lab = pd.factorize(t[label_col].astype("string").fillna(NOT_SET))[0]
    starts = np.r_[True, j[1:] != j[:-1]] if len(j) else np.zeros(0, bool)
    rank = np.arange(len(j)) - np.maximum.accumulate(np.where(starts, np.arange(len(j)), 0))
    if how == "unique":
        keep = ~pd.DataFrame({"j": j, "l": lab}).duplicated().to_numpy()
    elif how == "collapse":
        keep = starts | np.r_[True, lab[1:] != lab[:-1]]
    elif how == "first":
        keep = rank < n
    else:
        size = np.bincount(j)[j]
        keep = rank >= size - n
    out = t.loc[t.index[keep]].copy()
    kept_j = j[keep]
    new_start = np.r_[True, kept_j[1:] != kept_j[:-1]] if len(kept_j) else np.zeros(0, bool)
    idx = np.arange(len(kept_j))
    out["position"] = idx - np.maximum.accumulate(np.where(new_start, idx, 0))
    return out.reset_index(drop=True)


def transform_paths(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    how: str,
    n: int | None = None,
    label_col: str = "label",
) -> pd.DataFrame:
    """A copy of ``journeys`` with ``path`` rebuilt from :func:`transform_touches`."""
    kept = transform_touches(touches, how=how, n=n, label_col=label_col)
    out = journeys.copy()
    out["path"] = paths_from_touches(kept, journeys, label_col=label_col)
    return out


def flow(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    steps: int = 4,
    label_col: str = "label",
    top_n: int = 6,
    outcome: bool = True,
) -> pd.DataFrame:
    """Links of a Sankey-style flow of the first ``steps`` touches of every journey.

    Column ``k`` (1-based) holds every journey: the label of its k-th touch
    (the ``top_n`` most frequent labels of that step, the rest as
    ``"(other)"``), or ``"(end: converted)"`` / ``"(end: not converted)"`` when
    it had fewer than ``k`` touches. With ``outcome`` a last column
    ``steps + 1`` holds ``"Converted"`` / ``"Not converted"``. Each column thus
    sums to the number of journeys.

    Returns
    -------
    pandas.DataFrame
        ``step`` (column of the source node), ``source``, ``target``,
        ``journeys``, ``conversions``, ``value``; one row per link.
    """
    n_j = len(journeys)
    j = touch_journey_index(touches, journeys)
    pos = touches["position"].to_numpy()
    sel = (j >= 0) & (pos < steps)
    codes, vocab = pd.factorize(touches[label_col].astype("string").fillna(NOT_SET))
    names = np.array([*map(str, vocab), END_CONVERTED, END_NOT_CONVERTED, OTHER], dtype=object)
    e_conv, e_not = len(vocab), len(vocab) + 1
    conv = journeys["converted"].to_numpy(dtype=bool)
    grid = np.full((n_j, steps), -1, dtype=np.int64)
    grid[j[sel], pos[sel]] = codes[sel]
    grid = np.where(grid < 0, np.where(conv, e_conv, e_not)[:, None], grid)
    grid = group_rare(grid, len(vocab), names, top_n)
    if outcome:
        names = np.append(names, [_OUTCOME[True], _OUTCOME[False]])
        grid = np.column_stack([grid, np.where(conv, len(names) - 2, len(names) - 1)])
    return grid_links(grid, names, conv, journeys["value"].to_numpy(dtype=float))


def group_rare(grid: np.ndarray, n_labels: int, names: np.ndarray, top_n: int) -> np.ndarray:
    """Replace, column by column, touch labels outside the ``top_n`` most frequent by ``OTHER``.

    ``grid`` holds codes into ``names``; codes below ``n_labels`` are touch labels,
    the others (ends, start, outcome) are kept; ``names`` must hold :data:`OTHER`.
    Ties are broken by name, so the choice is stable.
    """
    other = int(np.flatnonzero(names == OTHER)[0])
    out = grid.copy()
    for k in range(grid.shape[1]):
        col = grid[:, k]
        real = col < n_labels
        counts = np.bincount(col[real], minlength=n_labels)
        rank = np.lexsort((names[:n_labels].astype(str), -counts))
        keep = np.zeros(n_labels + 1, dtype=bool)  # a spare slot: no label at all indexes 0
        keep[rank[: max(top_n, 0)]] = True
        keep[:n_labels] &= counts > 0
        out[:, k] = np.where(real & ~keep[np.where(real, col, 0)], other, col)
    return out


def grid_links(
    grid: np.ndarray, names: np.ndarray, conv: np.ndarray, value: np.ndarray
) -> pd.DataFrame:
    """Links between consecutive columns of a journeys x columns grid of node codes.

    Returns
    -------
    pandas.DataFrame
        ``step`` (1-based column of the source node), ``source``, ``target``,
        ``journeys``, ``conversions``, ``value``; sorted by step, source, target code.
    """
    cols = ["step", "source", "target", "journeys", "conversions", "value"]
    n_links = grid.shape[1] - 1
    if n_links < 1 or not len(grid):
        out = pd.DataFrame({c: pd.Series(dtype="int64") for c in cols})
        out["value"] = out["value"].astype(float)
        for c in ("source", "target"):
            out[c] = out[c].astype("string")
        return out
    pairs = pd.DataFrame(  # every column pair stacked: one grouping for all steps
        {
            "step": np.repeat(np.arange(1, n_links + 1, dtype=np.int64), len(grid)),
            "source": grid[:, :-1].T.ravel(),
            "target": grid[:, 1:].T.ravel(),
            "c": np.tile(conv, n_links),
            "v": np.tile(value, n_links),
        }
    )
    g = pairs.groupby(["step", "source", "target"], sort=True)
    out = pd.DataFrame(
        {"journeys": g.size(), "conversions": g["c"].sum(), "value": g["v"].sum()}
    ).reset_index()
    out["source"] = pd.array(names[out["source"]], dtype="string")
    out["target"] = pd.array(names[out["target"]], dtype="string")
    return out[cols].astype({"journeys": "int64", "conversions": "int64", "step": "int64"})


def flow_nodes(links: pd.DataFrame) -> pd.DataFrame:
    """Nodes of a :func:`flow`: ``step, node, journeys, conversions`` (each step sums to all)."""
    src = links.groupby(["step", "source"], sort=False)[["journeys", "conversions"]].sum()
    last = links["step"].max() if len(links) else 0
    tgt = links.loc[links["step"] == last].groupby("target", sort=False)
    tgt = tgt[["journeys", "conversions"]].sum()
    src.index.names = ["step", "node"]
    tgt.index = pd.MultiIndex.from_product([[last + 1], tgt.index], names=["step", "node"])
    out = pd.concat([src, tgt]).reset_index()
    out["node"] = out["node"].astype("string")
    return out[["step", "node", "journeys", "conversions"]]
