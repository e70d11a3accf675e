"""What a report shows: readable numbers, escaped sentences, tables and figures with data.

The notebooks call these small helpers instead of formatting values themselves, so
every report follows the same rules:

- counts are whole numbers with thousands separators (``fmt_count``), rates are
  percentages (``fmt_pct``), ratios read ``2.1×`` (``fmt_ratio``); a missing or
  infinite value reads ``–``, never ``nan`` or ``inf``;
- words agree with their numbers (``plural``: "1 journey", "2 journeys");
- sentences (``say``, ``missing``) are HTML: the template is trusted (it is written
  in the notebook) and may use ``**bold**`` and ```code```; every value is escaped;
- tables (``table``) get readable column labels and formatted cells; long ones are
  interactive in the HTML report (sort, search, CSV/Excel download: :mod:`workbench.report.tables`),
  short ones are rendered by a
  pandas ``Styler`` that escapes every cell and label;
- figures (``chart``) are shown only with data on every axes: an empty axes is
  removed, and a figure left without any is replaced by one sentence.

Every helper displays what it makes and returns None (so a cell's last line adds no
``Out``); with ``show=False`` it returns the object instead (``IPython.display.HTML``,
a ``Styler`` or a ``Figure``, None when there is nothing to show), for tests.
"""

from __future__ import annotations

import html
import math
import re
import warnings
from collections.abc import Callable, Mapping
from numbers import Number
from typing import Any

import pandas as pd

__all__ = [
    "KNOWN_WARNINGS",
    "LABELS",
    "STATIC_ROWS",
    "bullets",
    "chart",
    "fmt_count",
    "fmt_days",
    "fmt_money",
    "fmt_pct",
    "fmt_ratio",
    "label",
    "metric_format",
    "metric_table",
    "missing",
    "plural",
    "quiet_known_warnings",
    "say",
    "table",
]

#: What an empty or missing value reads in a report.
DASH = "–"

#: Tables with more rows than this are interactive (sort, search, download) in reports.
STATIC_ROWS = 8

#: Readable labels of the column and metric names the analyses return.
LABELS: dict[str, str] = {
    "conversion_rate": "conversion rate",
    "value_per_journey": "value per journey",
    "median_path_length": "median touches per journey",
    "mean_path_length": "mean touches per journey",
    "zero_touch_conversions": "conversions without a touch",
    "median_path_length_converted": "median touches per converted journey",
    "mean_channels": "channels per journey",
    "median_duration_days": "median days to convert",
    "share_of_journeys": "share of journeys",
    "share_of_conversions": "share of conversions",
    "path_length": "touches",
    "completion_rate": "completion rate",
    "drop_off_rate": "drop-off rate",
    "median_days_from_previous": "median days from previous stage",
    "journeys_with": "journeys with it",
    "rate_with": "conversion rate with",
    "rate_without": "conversion rate without",
    "lift_low": "lift, low",
    "lift_high": "lift, high",
    "first_ts": "first seen",
    "last_ts": "last seen",
    "id_type": "identifier type",
    "conversion_ts": "converted at",
    "n_touches": "touches",
    "duration_days": "duration (days)",
}

_NUMBER = (int, float, Number)


def _finite(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt_count(value: Any) -> str:
    """A count: ``12,345`` (rounded to a whole number); ``–`` when missing."""
    return f"{round(float(value)):,}" if _finite(value) else DASH


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share as a percentage: ``0.123`` -> ``12.3%``; ``–`` when missing or infinite."""
    return f"{float(value):.{digits}%}" if _finite(value) else DASH


def fmt_ratio(value: Any, digits: int = 1) -> str:
    """A ratio: ``2.1×``; ``–`` when missing or infinite."""
    return f"{float(value):,.{digits}f}×" if _finite(value) else DASH


def fmt_days(value: Any, digits: int = 1) -> str:
    """A duration in days: ``1 day``, ``3.5 days``; ``–`` when missing."""
    if not _finite(value):
        return DASH
    v = round(float(value), digits)
    text = f"{v:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:,.0f}"
    return f"{text} day" if v == 1 else f"{text} days"


def fmt_money(value: Any, currency: str = "") -> str:
    """An amount: ``12,345 USD`` (whole units); ``–`` when missing."""
    if not _finite(value):
        return DASH
    return f"{float(value):,.0f} {currency}".strip()


def plural(n: Any, word: str, many: str | None = None) -> str:
    """``1 journey``, ``2 journeys``, ``1 person``/``2 people`` with ``many``."""
    count = round(float(n)) if _finite(n) else 0
    return f"{fmt_count(count)} {word if count == 1 else (many or word + 's')}"


def label(name: Any) -> str:
    """A readable label: ``conversion_rate`` -> ``conversion rate``; ``markov:1`` stays."""
    text = str(name)
    return LABELS.get(text, text.replace("_", " ") if "_" in text else text)


def _inline_markup(template: str) -> str:
    """``**bold**``, ``*italic*`` and ```code``` of a trusted template, as HTML."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", template)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _show(obj: Any, show: bool, **metadata: Any) -> Any:
    """Display ``obj`` and return None (so a cell adds no ``Out``), or return it."""
    if not show:
        return obj
    from IPython.display import display

    display(obj, metadata=metadata or None)
    return None


def say(template: str, *, show: bool = True, **values: Any) -> Any:
    """One sentence: ``say("**{n}** journeys in {label}.", n=..., label=...)``.

    The template is trusted (written in the notebook); each value is escaped, and
    numbers are formatted as counts unless the caller formatted them already.
    """
    from IPython.display import HTML

    safe = {
        k: html.escape(
            fmt_count(v) if isinstance(v, _NUMBER) and not isinstance(v, bool) else str(v)
        )
        for k, v in values.items()
    }
    body = _inline_markup(html.escape(template, quote=False)).format(**safe)
    return _show(HTML(f'<p class="wb-say">{body}</p>'), show)


def missing(what: str, how: str = "", *, show: bool = True, **values: Any) -> Any:
    """What a section lacks and how to add it, as one sentence (values escaped)."""
    sentence = what if not how else f"{what.rstrip('.')}; {how[0].lower()}{how[1:]}"
    if not sentence.endswith("."):
        sentence += "."
    return say(sentence, show=show, **values)


def _guess_format(name: str, values: pd.Series) -> Callable[[Any], str] | None:
    if pd.api.types.is_bool_dtype(values):
        return lambda v: (
            "yes" if v is True or v == 1 else ("no" if _finite(v) or v is False else DASH)
        )
    if pd.api.types.is_datetime64_any_dtype(values):
        return lambda v: f"{v:%Y-%m-%d}" if not pd.isna(v) else DASH
    if not pd.api.types.is_numeric_dtype(values):
        return lambda v: DASH if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
    lowered = name.lower()
    if any(k in lowered for k in ("rate", "share", "coverage")):
        return fmt_pct
    if "lift" in lowered:
        return fmt_ratio
    if "days" in lowered:
        return lambda v: fmt_days(v) if _finite(v) else DASH
    if pd.api.types.is_integer_dtype(values):
        return fmt_count
    finite = values[values.map(_finite)]
    whole = finite.empty or bool((finite.astype(float) % 1 == 0).all())
    return fmt_count if whole else (lambda v: f"{float(v):,.2f}" if _finite(v) else DASH)


def table(
    data: pd.DataFrame,
    *,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    labels: Mapping[str, str] | None = None,
    index: bool = False,
    empty: str = "",
    gradient: tuple[str, ...] | list[str] = (),
    interactive: bool | None = None,
    name: str | None = None,
    show: bool = True,
) -> Any:
    """A readable table: formatted cells, readable labels, every cell and label escaped.

    A long table (more than :data:`STATIC_ROWS` rows, or ``interactive=True``) is
    interactive in the HTML report: sortable, searchable, with CSV and Excel downloads
    (:mod:`workbench.report.tables`); a short one (key figures) stays a static table.

    Parameters
    ----------
    data
        The frame to show (its index is shown only with ``index=True``).
    formats
        Per column: ``"count"``, ``"pct"``, ``"ratio"``, ``"days"``, ``"money"``,
        ``"date"``, ``"text"`` or a function; other columns are guessed from their
        name and dtype (rates and shares as percentages, whole numbers as counts).
    labels
        Column labels overriding :data:`LABELS`.
    empty
        The sentence shown instead of an empty table (nothing when "").
    gradient
        Columns shaded by value (a blue background gradient over all of them).
    interactive
        Force an interactive (True) or static (False) table; None decides by length.
    name
        The table's name: the file name of its downloads, and, when given, the raw
        ``data`` is also written with the report run's tables
        (:func:`workbench.report.outputs.emit`, see docs/outputs.md).
    """
    if name is not None:
        from workbench.report.outputs import emit

        emit(name, data if data is not None else pd.DataFrame())
    if data is None or data.empty:
        return missing(empty, show=show) if empty else None
    named = {
        "count": fmt_count,
        "pct": fmt_pct,
        "ratio": fmt_ratio,
        "days": fmt_days,
        "money": fmt_money,
        "date": lambda v: f"{v:%Y-%m-%d}" if not pd.isna(v) else DASH,
        "text": lambda v: DASH if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v),
    }
    frame = data.reset_index() if index and data.index.name else data
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    fmt: dict[str, Callable[[Any], str]] = {}
    for col in frame.columns:
        given = (formats or {}).get(col)
        chosen = named[given] if isinstance(given, str) else given
        fmt[col] = chosen or _guess_format(col, frame[col]) or str
    names = {c: (labels or {}).get(c, label(c)) for c in frame.columns}
    if interactive or (interactive is None and len(frame) > STATIC_ROWS):
        from workbench.report.tables import interactive_table

        made = interactive_table(
            frame, fmt, names, name=name or "table", gradient=[g for g in gradient if g in fmt]
        )
        return _show(made, show)
    shown = frame.rename(columns=names)
    styler = shown.style.format({names[c]: f for c, f in fmt.items()}, escape="html")
    styler = styler.format_index(escape="html", axis=1).hide(axis="index")
    text_cols = [names[c] for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text_cols:  # words read from the left, numbers line up on the right
        styler = styler.set_properties(subset=text_cols, **{"text-align": "left"})
        heads = [{"selector": "th", "props": "text-align: left"}]
        styler = styler.set_table_styles(dict.fromkeys(text_cols, heads), overwrite=False)
    if gradient:
        shaded = [names[c] for c in gradient if c in names]
        styler = styler.background_gradient(subset=shaded, axis=None, cmap="Blues")
    return _show(styler, show)


def chart(figure_or_axes: Any, *, empty: str = "", show: bool = True) -> Any:
    """Show a figure without its empty axes; one sentence instead when none has data.

    The displayed image carries ``{"workbench": {"axes": n, "axes_with_data": n}}``
    output metadata, so a test can check every figure of an executed notebook.
    """
    fig = getattr(figure_or_axes, "figure", figure_or_axes)
    if fig is None:
        return missing(empty, show=show) if empty else None
    for ax in list(fig.axes):
        if not _axes_has_data(ax):
            ax.remove()
    if not fig.axes:
        return missing(empty, show=show) if empty else None
    n = len(fig.axes)
    if not show:
        return fig
    with warnings.catch_warnings():
        # a crowded figure still renders; the layout engine's complaint is no news to a reader
        warnings.filterwarnings("ignore", message=".*(constrained_layout|tight_layout).*")
        return _show(_Rendered(fig), show, workbench={"axes": n, "axes_with_data": n})


class _Rendered:
    """A figure drawn once into a PNG (:func:`workbench.plots.render.figure_png`) for display.

    Shown as Jupyter's inline backend shows a figure (``image/png`` at the figure's dpi,
    margin trimmed, and the figure's ``repr`` as text), without drawing it twice.
    """

    def __init__(self, fig: Any) -> None:
        self.fig = fig

    def __repr__(self) -> str:
        return repr(self.fig)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        import base64

        from workbench.plots.render import figure_png

        png = base64.b64encode(figure_png(self.fig)).decode("ascii")
        return {"image/png": png, "text/plain": repr(self.fig)}


def _axes_has_data(ax: Any) -> bool:
    """Axes with drawn data (lines, bars, patches, images, collections), not only text."""
    if getattr(ax, "name", "") == "colorbar" or _is_colorbar(ax):
        return True
    if not ax.has_data():
        return False
    if ax.lines or ax.collections or ax.images:
        return True
    # bars only: an axes whose every bar is flat (all zero) shows nothing
    from matplotlib.patches import Rectangle

    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    if len(bars) < len(ax.patches):
        return True
    return any(b.get_height() != 0 and b.get_width() != 0 for b in bars)


def _is_colorbar(ax: Any) -> bool:
    return hasattr(ax, "_colorbar") or ax.get_label() == "<colorbar>"


def bullets(items: list[str] | tuple[str, ...], *, show: bool = True) -> Any:
    """A bulleted list of plain sentences (each escaped); nothing when empty."""
    from IPython.display import HTML

    if not items:
        return None
    body = "".join(f"<li>{html.escape(str(item))}</li>" for item in items)
    return _show(HTML(f'<ul class="wb-findings">{body}</ul>'), show)


def metric_format(metric: str, currency: str = "") -> Callable[[Any], str]:
    """How a metric named ``metric`` reads: rates as %, values as money, days, counts."""
    name = metric.lower()
    if any(k in name for k in ("rate", "share")):
        return fmt_pct
    if "value" in name:
        return lambda v: fmt_money(v, currency)
    if "days" in name or "duration" in name:
        return fmt_days
    if "mean" in name or "median" in name:
        return lambda v: f"{float(v):,.1f}" if _finite(v) else DASH
    return fmt_count


def metric_table(
    data: pd.DataFrame,
    *,
    row: str = "metric",
    column: str = "segment",
    value: str = "value",
    currency: str = "",
    show: bool = True,
) -> Any:
    """A long ``row, column, value`` frame as a readable metric-by-column table.

    Each metric row is formatted by its name (:func:`metric_format`) and labelled
    readably (:func:`label`); cells and labels are escaped.
    """
    if data is None or data.empty:
        return None
    wide = data.pivot_table(index=row, columns=column, values=value, sort=False, dropna=False)
    text = pd.DataFrame(
        {
            str(col): [metric_format(str(m), currency)(v) for m, v in wide[col].items()]
            for col in wide.columns
        }
    )
    text.insert(0, "", [label(m) for m in wide.index])
    fmt = dict.fromkeys(text.columns, "text")
    labels = {c: c for c in text.columns}
    return table(text, formats=fmt, labels=labels, interactive=False, show=show)


#: Warnings a report turns into sentences of its own (so their text never reaches the page).
KNOWN_WARNINGS: tuple[str, ...] = (
    r".*converted journey\(s\) have no touches and get no credit.*",
    r".*(constrained_layout|tight_layout) not applied.*",
    r"No artists with labels found to put in legend.*",
)


def quiet_known_warnings() -> None:
    """Silence :data:`KNOWN_WARNINGS` for the rest of the session (a report's setup cell).

    Each one is said in a sentence by the report instead (for example, converted journeys
    without a touch are counted in the counting-rules line of the attribution report).
    """
    for message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
