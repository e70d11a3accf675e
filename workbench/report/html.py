"""Convert an executed notebook into one self-contained HTML file.

The output opens offline: the JupyterLab CSS is inlined, images are embedded
as ``data:`` URIs, and the template's CDN scripts (require.js, MathJax,
Mermaid, widget manager) are removed. Code inputs and prompts are hidden
unless ``show_code=True``. LaTeX is shown as its source text (no MathJax).
Pages read on a phone: the viewport is the device width, tables scroll
sideways inside their own box and figures scale down to the screen.

A page with interactive tables (:mod:`workbench.report.tables`) gets the DataTables
bundle once, inline; a page with three or more sections gets a table of contents under
its title (links to its ``##`` headings); ``theme`` picks JupyterLab's light or dark
colours, or ``auto``: light, and dark where the reader's system prefers it.
"""

from __future__ import annotations

import functools
import html as _html
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from workbench.config_sections import THEMES
from workbench.plots.interactive import add_chart_runtime
from workbench.report._nbformat import nbformat
from workbench.report.outputs import strip_tables
from workbench.report.publish import notebook_title, strip_published
from workbench.report.tables import INTERACTIVE_CLASS, datatables_assets

__all__ = ["TOC_MIN_SECTIONS", "external_resources", "notebook_to_html"]

#: A report with at least this many ``##`` sections gets a table of contents.
TOC_MIN_SECTIONS = 3

_TEMPLATE_NAME = "workbench_report.html.j2"
_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
.wb-header { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px;
  color: var(--jp-ui-font-color1, #444); border-bottom: 1px solid var(--jp-border-color2, #ddd);
  padding: 8px 0 10px; margin-bottom: 12px; }
.wb-header a, .wb-toc a { color: var(--jp-content-link-color, #1a5fb4); }
.wb-header .wb-params code { background: var(--jp-layout-color2, #f3f3f3); padding: 1px 4px;
  border-radius: 3px; }
.wb-toc { font-family: var(--jp-ui-font-family, sans-serif); font-size: 14px;
  border: 1px solid var(--jp-border-color2, #ddd); border-radius: 4px; padding: 6px 12px;
  margin: 8px 0 14px; background: var(--jp-layout-color1, #fff); }
.wb-toc ol { margin: 4px 0 2px; padding-left: 22px; }
.wb-toc li { margin: 2px 0; break-inside: avoid; }
html { scroll-behavior: smooth; }
.wb-failed { font-family: var(--jp-ui-font-family, sans-serif); background: #fdecea;
  border: 2px solid #c62828; color: #8e0000; padding: 10px 14px; margin: 8px 0 16px;
  border-radius: 4px; }
.wb-failed pre { white-space: pre-wrap; background: #fff; padding: 6px; margin: 6px 0 0; }
</style>
{%- endblock extra_css -%}
{%- block notebook_css -%}
{{ super() }}
<style type="text/css">
/* Readable on a phone (390 px): nothing is wider than the screen. Tables scroll
   sideways inside their own box, figures shrink to the width, long text wraps. */
.jp-RenderedHTMLCommon table, .jp-OutputArea-output table {
  display: block; max-width: 100%; overflow-x: auto; -webkit-overflow-scrolling: touch; }
.jp-OutputArea-output img, .jp-RenderedHTMLCommon img, .jp-RenderedImage img {
  max-width: 100%; height: auto; }
.jp-OutputArea-output, .jp-RenderedHTMLCommon { max-width: 100%; overflow-x: auto; }
.jp-OutputArea-output pre { white-space: pre-wrap; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  body, .jp-Notebook { padding: 4px !important; margin: 0; }
  .jp-InputPrompt, .jp-OutputPrompt { display: none; }
  .jp-Cell, .jp-RenderedHTMLCommon { padding-left: 0; padding-right: 0; }
  .jp-RenderedHTMLCommon { font-size: 15px; }
  .wb-header { font-size: 12px; }
}
</style>
{%- endblock notebook_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.get('wb_header_html', '') }}
{%- endblock body_header -%}
"""

_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source|embed)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.IGNORECASE,
)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?((?:https?:)?//[^"')\s]+)""", re.I)


def notebook_to_html(
    notebook: nbformat.NotebookNode | str | Path,
    html_path: str | Path,
    *,
    show_code: bool = False,
    title: str | None = None,
    header_html: str = "",
    resources_dir: str | Path | None = None,
    theme: str = "light",
) -> Path:
    """Write ``notebook`` as a self-contained HTML page.

    Parameters
    ----------
    notebook
        An executed notebook (node or ``.ipynb`` path).
    html_path
        The file to write.
    show_code
        Show code cells' input (hidden by default); prompts stay hidden.
    title
        The page ``<title>``; defaults to the published title, else the first
        markdown heading, else the file name.
    header_html
        Trusted HTML placed at the top of the page body (run details, a
        failure banner); callers escape any user text in it.
    resources_dir
        Folder that relative image paths in markdown (``![](img/logo.png)``) are
        resolved against before embedding; defaults to the notebook file's folder.
    theme
        ``light``, ``dark`` or ``auto`` (light, dark where the reader's system prefers it).

    Returns
    -------
    Path
        ``html_path``.
    """
    if isinstance(notebook, str | Path):
        name = Path(notebook).stem
        nb = nbformat.read(Path(notebook), as_version=4)
        if resources_dir is None:
            resources_dir = Path(notebook).resolve().parent
    else:
        name = Path(str(notebook.metadata.get("papermill", {}).get("output_path", "report"))).stem
        nb = notebook
    if theme not in THEMES:
        raise ValueError(f"theme {theme!r}: expected one of {', '.join(THEMES)}")
    title = title or notebook_title(nb, default=name)
    nb = strip_tables(strip_published(nb))
    nb.metadata.pop("widgets", None)  # widget state would pull the widget manager from a CDN
    nb.metadata["title"] = title
    resources: dict[str, object] = {"metadata": {"name": name}, "wb_header_html": header_html}
    if resources_dir is not None:
        resources["metadata"] = {"name": name, "path": str(resources_dir)}
    with _EXPORTING:  # one exporter per look, used by one thread at a time
        exporter = _exporter(show_code, "dark" if theme == "dark" else "light")
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = _finish_page(body, theme)
    body = add_chart_runtime(body)  # BokehJS once, only on pages with interactive charts
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


_EXPORTING = threading.Lock()


@functools.cache
def _exporter(show_code: bool, theme: str) -> Any:
    """The nbconvert exporter of a report page; kept, so its templates compile once a process."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        theme=theme,
        # the notebook is validated once, after every preprocessor, not after each of them:
        # it was valid when written and only our own code changes it
        optimistic_validation=True,
    )
    exporter.require_js_url = ""
    exporter.mathjax_url = ""
    return exporter


def _finish_page(body: str, theme: str) -> str:
    """Contents, the theme's marks, and the table scripts (once) of an exported page."""
    body = _with_contents(body)
    body = re.sub(r"<html\b", f'<html data-wb-theme="{theme}"', body, count=1)
    if theme == "auto":
        body = body.replace("</head>", _auto_dark_css() + "</head>", 1)
    if f'class="{INTERACTIVE_CLASS}' in body:
        at = body.rfind("</body>")
        body = body[:at] + datatables_assets() + body[at:]
    return body


def _auto_dark_css() -> str:
    """JupyterLab's dark colours, applied where the reader's system prefers dark."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("nbconvert", "templates", "lab", "static"):
        css = Path(folder) / "theme-dark.css"
        if css.is_file():
            text = css.read_text(encoding="utf-8")
            return (
                f'<style type="text/css">@media (prefers-color-scheme: dark) {{ {text} }}</style>'
            )
    return ""


class _Headings(HTMLParser):
    """The ``id`` and text of every ``<h2>`` of a page (the anchor-link ``¶`` left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._id: str | None = None
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "h2" and values.get("id"):
            self._id, self._text = values["id"], []
        elif self._id is not None and tag == "a" and "anchor-link" in (values.get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._skip:
            self._skip -= 1
        elif tag == "h2" and self._id is not None:
            text = " ".join("".join(self._text).split())
            self.found.append((self._id, text))
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._id is not None and not self._skip:
            self._text.append(data)


def _with_contents(body: str) -> str:
    """Insert a table of contents after the first ``</h1>`` of a page with enough sections."""
    parser = _Headings()
    parser.feed(body)
    sections = [(i, t) for i, t in parser.found if t]
    end = body.find("</h1>")
    if len(sections) < TOC_MIN_SECTIONS or end < 0:
        return body
    e = _html.escape
    items = "".join(f'<li><a href="#{e(i)}">{e(t)}</a></li>' for i, t in sections)
    nav = (
        f'<nav class="wb-toc" aria-label="Contents"><strong>Contents</strong><ol>{items}</ol></nav>'
    )
    end += len("</h1>")
    return body[:end] + nav + body[end:]


def external_resources(html: str) -> list[str]:
    """URLs an HTML page would fetch from the network (scripts, styles, images, frames).

    Plain ``<a href>`` links are not counted: they are only followed on click.
    """
    return _EXTERNAL.findall(html) + _CSS_IMPORT.findall(html)
