"""Helpers shared by the plot modules (private to :mod:`workbench.plots`)."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["axes_or_new"]


def axes_or_new(ax: Axes | None, size: tuple[float, float] = (9, 5)) -> Axes:
    """``ax`` itself, or the axes of a new constrained-layout figure of ``size`` inches.

    The figure is a plain :class:`matplotlib.figure.Figure`, so no pyplot state is touched.
    """
    if ax is not None:
        return ax
    return Figure(figsize=size, layout="constrained").add_subplot()
