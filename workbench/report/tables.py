"""Interactive report tables: sort, search and download, offline, inside the one HTML file.

A long table of a report (top paths, credits by model, funnel steps, value sent back)
is written by :func:`interactive_table` as a plain, fully escaped HTML ``<table>`` of
class :data:`INTERACTIVE_CLASS`: every cell and label goes through :func:`html.escape`
and each cell carries its raw value in ``data-order`` so numbers sort as numbers, not as
the text ``12,345``. Without JavaScript (an e-mail, a printout) it is an ordinary table.

:func:`datatables_assets` is what the HTML export (:mod:`workbench.report.html`) adds
once per page that holds such a table: the DataTables bundle shipped inside the
``itables`` package (DataTables with its Buttons and JSZip extensions), inlined as
base64 and loaded as a module from a ``blob:`` URL (no network, no server), and one
fixed script that turns every such table into a sortable, searchable table with
CSV and Excel buttons. No value from the data ever reaches a script: the scripts are
the same on every page, and DataTables reads the (escaped) cells from the page.
The CSV and Excel downloads are formula-safe like every CSV the workbench writes
(:mod:`workbench.csv_safety`): a text cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading ``'`` (numbers such as ``-5`` stay numbers).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

import pandas as pd

__all__ = [
    "INTERACTIVE_CLASS",
    "InteractiveTable",
    "datatables_assets",
    "interactive_table",
]

#: The class of every table :func:`datatables_assets` makes interactive.
INTERACTIVE_CLASS = "wb-interactive"

# Runs once per page, after the loader: DataTables reads each table from the page.
_INIT_SCRIPT = r"""
(async () => {
  const theme = document.documentElement.dataset.wbTheme;
  if (theme === "dark" || (theme === "auto" && matchMedia("(prefers-color-scheme: dark)").matches))
    document.documentElement.classList.add("dark");  // DataTables' dark colours
  const mod = await window.__wbDataTables;
  const DataTable = mod.default;
  const strip = DataTable.Buttons.stripData;
  const plain = {stripHtml: true, stripNewlines: true, decodeEntities: true, trim: true,
                 escapeExcelFormula: false};
  const number = /^[-+]?[0-9][0-9.,]*\s*(%|×)?$/;
  const safe = (data) => {
    const text = strip(data, plain);
    return (typeof text === "string" && /^[=+\-@\t\r]/.test(text) && !number.test(text))
      ? "'" + text : text;
  };
  const exportOptions = {escapeExcelFormula: false, format: {body: safe, header: safe}};
  document.querySelectorAll("table.wb-interactive").forEach((table) => {
    if (table.classList.contains("dataTable")) return;
    const name = table.dataset.name || "table";
    new DataTable(table, {
      pageLength: Number(table.dataset.pageLength || 25),
      lengthMenu: [10, 25, 50, 100, -1],
      order: [],
      autoWidth: false,
      layout: {
        topStart: {buttons: [
          {extend: "csvHtml5", text: "CSV", filename: name, exportOptions: exportOptions},
          {extend: "excelHtml5", text: "Excel", filename: name, exportOptions: exportOptions},
        ]},
        topEnd: "search",
        bottomStart: "info",
        bottomEnd: ["pageLength", "paging"],
      },
    });
  });
})();
"""

# The CSS of DataTables is injected by the loader (base64, so no `</style>` can close it).
_LOADER_SCRIPT = r"""
(() => {
  if (window.__wbDataTables) return;
  const decode = (b64) => new TextDecoder().decode(
    Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  const style = document.createElement("style");
  style.textContent = decode("__CSS__");
  document.head.appendChild(style);
  const url = URL.createObjectURL(new Blob([decode("__JS__")], {type: "text/javascript"}));
  window.__wbDataTables = import(url);
})();
"""

_STYLE = """
.wb-table-box { max-width: 100%; overflow-x: auto; margin: 4px 0 12px; }
table.wb-interactive { border-collapse: collapse; font-size: 13px; }
table.wb-interactive th, table.wb-interactive td { padding: 3px 8px; }
table.wb-interactive td.wb-num, table.wb-interactive th.wb-num { text-align: right; }
table.wb-interactive td.wb-text, table.wb-interactive th.wb-text { text-align: left; }
.dt-container .dt-buttons .dt-button { font-size: 12px; padding: 2px 10px; }
.dt-container .dt-search input { max-width: 60vw; }
@media (max-width: 600px) {  /* a phone: long text keeps a readable width, the box scrolls */
  table.wb-interactive { width: auto !important; }
  table.wb-interactive td.wb-text { min-width: 9em; }
  table.wb-interactive td.wb-num { white-space: nowrap; }
}
"""


@functools.cache
def _bundle() -> tuple[str, str]:
    """The DataTables bundle of the ``itables`` package (JS, CSS), base64-encoded."""
    folder = resources.files("itables") / "html"
    js = (folder / "dt_bundle.js").read_bytes()
    css = (folder / "dt_bundle.css").read_bytes()
    return base64.b64encode(js).decode("ascii"), base64.b64encode(css).decode("ascii")


def datatables_assets() -> str:
    """The ``<style>`` and ``<script>`` tags that make a page's tables interactive.

    Include once per page, after the tables (the HTML export does it). The same
    text on every page: nothing in it comes from the data.
    """
    js, css = _bundle()
    loader = _LOADER_SCRIPT.replace("__CSS__", css).replace("__JS__", js)
    return (
        f'<style type="text/css">{_STYLE}</style>\n'
        f"<script>{loader}</script>\n"
        f'<script type="module">{_INIT_SCRIPT}</script>\n'
    )


class InteractiveTable:
    """An interactive table's HTML: shown by IPython (``_repr_html_``) or read (``to_html``)."""

    def __init__(self, markup: str) -> None:
        self.data = markup

    def _repr_html_(self) -> str:
        return self.data

    def to_html(self) -> str:
        """The table's HTML (escaped cells, ``data-order`` sort keys)."""
        return self.data


def _order_key(value: Any) -> str:
    """The sort key of a raw value: numbers as numbers, dates as ISO text, else ''."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value)) if math.isfinite(float(value)) else ""
    if hasattr(value, "isoformat") and not pd.isna(value):
        return str(value.isoformat())
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return repr(number) if math.isfinite(number) else ""


def _shades(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[str]]:
    """Background colours (Blues, shared scale) of the cells of ``columns``."""
    if not columns:
        return {}
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    values = frame[list(columns)].apply(pd.to_numeric, errors="coerce")
    finite = values.stack()
    if finite.empty:
        return {}
    low, high = float(finite.min()), float(finite.max())
    span = high - low or 1.0
    cmap = colormaps["Blues"]
    out: dict[str, list[str]] = {}
    for col in columns:
        cells = []
        for v in values[col]:
            if pd.isna(v):
                cells.append("")
                continue
            level = (float(v) - low) / span
            text = "#f1f1f1" if level > 0.55 else "#000000"
            cells.append(f"background-color: {to_hex(cmap(level))}; color: {text}")
        out[col] = cells
    return out


def interactive_table(
    frame: pd.DataFrame,
    formats: Mapping[str, Callable[[Any], str]],
    names: Mapping[str, str],
    *,
    name: str = "table",
    gradient: Sequence[str] = (),
    page_length: int = 25,
) -> InteractiveTable:
    """A sortable, searchable, downloadable table; every cell and label escaped.

    Parameters
    ----------
    frame
        The raw values (their order is the sort order of each column).
    formats
        Per column, the function that turns a value into the text shown.
    names
        Per column, the label shown.
    name
        The file name of the CSV and Excel downloads (escaped).
    gradient
        Columns shaded by value (one blue scale over all of them).
    page_length
        Rows per page before paging.
    """
    e = html.escape
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns}
    kind = {c: "wb-num" if numeric[c] else "wb-text" for c in frame.columns}
    shades = _shades(frame, [c for c in gradient if c in frame.columns])
    head = "".join(f'<th class="{kind[c]}">{e(str(names[c]))}</th>' for c in frame.columns)
    rows = []
    columns = list(frame.columns)
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = []
        for col, value in zip(columns, values, strict=True):
            order = _order_key(value) if numeric[col] or hasattr(value, "isoformat") else ""
            attrs = f' data-order="{e(order)}"' if order else ""
            style = shades.get(col, [""] * (i + 1))[i]
            attrs += f' style="{e(style)}"' if style else ""
            cells.append(f'<td class="{kind[col]}"{attrs}>{e(formats[col](value))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "".join(rows)
    table_id = "wb-table-" + hashlib.sha1((head + body).encode("utf-8")).hexdigest()[:10]
    markup = (
        f'<div class="wb-table-box"><table id="{table_id}" class="{INTERACTIVE_CLASS} display '
        f'compact" data-name="{e(name)}" data-page-length="{int(page_length)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
    return InteractiveTable(markup)
