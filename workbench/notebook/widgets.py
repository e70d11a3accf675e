"""ipywidgets controls for exploring a view interactively in JupyterLab.

Headless report runs never build widgets (notebooks pass ``interactive=False``);
in JupyterLab :func:`explore` shows dropdowns for segment, period, lookback
window, ``start`` / ``end`` dates (ISO days, empty = not set; they combine with the
period as :func:`workbench.periods.resolve_window` says) and optionally model and
path level, and re-renders the view whenever one changes. A bad date shows the
error message instead of the view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from workbench.config import PATH_LEVELS
from workbench.errors import WorkbenchError
from workbench.notebook.workspace import ALL, Workspace
from workbench.periods import resolve_window

__all__ = ["PERIOD_CHOICES", "explore"]

#: Reporting periods offered in the period dropdown: (label, days; 0 = all data).
PERIOD_CHOICES: tuple[tuple[str, int], ...] = (
    ("All data", 0),
    ("Last 30 days", 30),
    ("Last 90 days", 90),
    ("Last 180 days", 180),
)


def explore(
    render: Callable[..., Any],
    ws: Workspace,
    *,
    segment: str = ALL,
    period_days: int = 0,
    lookback_days: int = 90,
    start: str = "",
    end: str = "",
    models: Sequence[str] | None = None,
    path_level: str | None = None,
) -> Any:
    """Controls plus an output area that shows ``render(**values)``.

    Parameters
    ----------
    render
        Called with ``segment``, ``period_days``, ``lookback_days``, ``start``,
        ``end`` (and ``model`` / ``path_level`` when those controls are asked
        for); its return value (a Figure, an Axes, a DataFrame ...) is displayed.
    ws
        The workspace whose segments fill the segment dropdown.
    models
        Offer a model dropdown with these names (first is selected).
    path_level
        Offer a path-level dropdown starting at this level.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as w
    from IPython.display import display

    segments = [("All journeys", ALL)] + [
        (cfg.label or name, name) for name, cfg in ws.segments().items()
    ]
    periods = list(PERIOD_CHOICES)
    if period_days not in dict(periods).values():
        periods.append((f"Last {period_days} days", period_days))
    controls: dict[str, Any] = {
        "segment": w.Dropdown(options=segments, value=segment, description="Segment"),
        "period_days": w.Dropdown(options=periods, value=period_days, description="Period"),
        "lookback_days": w.IntSlider(
            value=lookback_days,
            min=1,
            max=180,
            step=1,
            description="Lookback (days)",
            continuous_update=False,
        ),
        "start": w.Text(value=start, placeholder="YYYY-MM-DD", description="From"),
        "end": w.Text(value=end, placeholder="YYYY-MM-DD", description="To"),
    }
    if models:
        controls["model"] = w.Dropdown(options=list(models), value=models[0], description="Model")
    if path_level is not None:
        controls["path_level"] = w.Dropdown(
            options=list(PATH_LEVELS), value=path_level, description="Path level"
        )

    def _show(**values: Any) -> None:
        try:
            resolve_window(  # the one check of the dates, before anything is computed
                data_end=ws.data_range()[1],
                start=values["start"],
                end=values["end"],
                period_days=values["period_days"],
            )
        except WorkbenchError as exc:
            display(str(exc))
            return
        result = render(**values)
        figure = getattr(result, "figure", None)
        display(figure if figure is not None else result)

    out = w.interactive_output(_show, controls)
    boxes = list(controls.values())
    return w.VBox([w.HBox(boxes[:3]), w.HBox(boxes[3:5]), w.HBox(boxes[5:]), out])
