"""Figures of identity stitching diagnostics (see :mod:`workbench.identity.diagnostics`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from workbench.plots._helpers import axes_or_new as _axes

__all__ = ["plot_component_sizes", "plot_identifiers_per_person"]

_NORMAL = "#4C78A8"
_ALERT = "#E45756"
_SHADES = ("#9ecae1", "#4292c6", "#08519c")


def _frame(data: pd.DataFrame | Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    if isinstance(data, Mapping):
        return data[name]
    return data


def plot_component_sizes(
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    max_size: int | None = None,
    cap: int = 20,
    log: bool | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart: how many people have 1, 2, 3 ... identifiers.

    Parameters
    ----------
    data
        The ``component_sizes`` diagnostics frame (``size``, ``components``)
        or the whole diagnostics dict.
    max_size
        Alert threshold (``identity.max_component_size``): bars above it are
        drawn in red and a dashed line marks it. ``None``: no threshold.
    cap
        Sizes of ``cap`` or more are pooled into one ``"cap+"`` bar.
    log
        Log-scale the people axis; ``None`` chooses it when bar heights span
        more than three orders of magnitude.
    ax
        Axes to draw on; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per size, labelled with its number of people.
    """
    frame = _frame(data, "component_sizes")
    ax = _axes(ax, (8, 4.5))
    sizes = frame["size"].to_numpy(dtype=np.int64)
    counts = frame["components"].to_numpy(dtype=np.int64)
    pooled = sizes >= cap
    labels = [str(s) for s in sizes[~pooled]]
    heights = list(counts[~pooled])
    over = [max_size is not None and s > max_size for s in sizes[~pooled]]
    if pooled.any():
        labels.append(f"{cap}+")
        heights.append(int(counts[pooled].sum()))
        over.append(max_size is not None and bool((sizes[pooled] > max_size).any()))
    x = np.arange(len(labels))
    colors = [_ALERT if o else _NORMAL for o in over]
    bars = ax.bar(x, heights, color=colors, label="people")
    if len(labels) <= 30:
        ax.bar_label(bars, labels=[f"{h:,}" for h in heights], fontsize=8, padding=2)
    ax.set_xticks(x, labels)
    positive = [h for h in heights if h > 0]
    if log is None:
        log = bool(positive) and max(positive) / min(positive) > 1000
    if log:
        ax.set_yscale("log")
    if max_size is not None:
        below = [i for i, lab in enumerate(labels) if lab.isdigit() and int(lab) <= max_size]
        if below and len(below) < len(labels):
            ax.axvline(
                below[-1] + 0.5,
                color=_ALERT,
                linestyle="--",
                label=f"alert: more than {max_size} identifiers",
            )
            ax.legend(loc="upper right")
    ax.set_title("How many identifiers each person has")
    ax.set_xlabel("Identifiers linked to one person (cookies, e-mails, user ids, ...)")
    ax.set_ylabel("People" + (" (log scale)" if log else ""))
    return ax


def plot_identifiers_per_person(
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    ax: Axes | None = None,
) -> Axes:
    """Stacked horizontal bars: per identifier type, people with 1, 2, or 3+ of them.

    Parameters
    ----------
    data
        The ``identifiers_per_person`` diagnostics frame (``id_type``,
        ``identifiers``, ``people``) or the whole diagnostics dict.
    ax
        Axes to draw on; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        Three bar containers (labels ``1``, ``2``, ``3 or more``), one bar per type.
    """
    frame = _frame(data, "identifiers_per_person")
    ax = _axes(ax, (8, 4.5))
    n = frame["identifiers"].clip(upper=3)
    table = (
        frame.assign(bucket=n)
        .pivot_table(index="id_type", columns="bucket", values="people", aggfunc="sum")
        .reindex(columns=[1, 2, 3])
        .fillna(0)
        .astype(np.int64)
    )
    order = list(dict.fromkeys(frame["id_type"]))  # priority order as given
    table = table.reindex(order[::-1])
    y = np.arange(len(table))
    left = np.zeros(len(table), dtype=np.int64)
    for bucket, label, color in zip((1, 2, 3), ("1", "2", "3 or more"), _SHADES, strict=True):
        widths = table[bucket].to_numpy()
        ax.barh(y, widths, left=left, color=color, label=label)
        left = left + widths
    ax.set_yticks(y, [str(t).replace("_", " ") for t in table.index])  # "anonymous id"
    ax.set_title("How many identifiers of each kind one person has")
    ax.set_xlabel("People")
    ax.set_ylabel("Identifier type")
    ax.legend(title="identifiers per person", loc="lower right")
    return ax
