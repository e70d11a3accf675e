"""Report metadata published by a notebook, and read back from the executed notebook.

A notebook tells the report index what it shows::

    from workbench.report import publish

    publish(title="Journey map: SMB", data_range=(start, end), rows=len(touchpoints))

:func:`publish` displays one output of the MIME type :data:`META_MIME` (a
JSON object) plus a one-line ``text/plain`` fallback that JupyterLab shows to
the analyst. Nothing is printed and no file is written, so the notebook runs
the same in JupyterLab, under Papermill and in plain Python (where it does
nothing). After execution, :func:`read_published` merges every such output
(later calls win); the HTML export drops them (:func:`strip_published`).
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nbformat loads jsonschema (slow): notebooks calling publish() skip it
    import nbformat

__all__ = [
    "META_MIME",
    "notebook_title",
    "publish",
    "read_published",
    "strip_outputs",
    "strip_published",
]

#: MIME type of the metadata outputs written by :func:`publish`.
META_MIME = "application/vnd.workbench.meta+json"


def publish(**meta: Any) -> None:
    """Publish report metadata (title, data range, ...) from inside a notebook.

    Parameters
    ----------
    **meta
        JSON-friendly values. Conventional keys: ``title`` (str) and
        ``data_range`` (a ``(start, end)`` pair of dates or timestamps, or a
        string). Dates and timestamps become ISO strings, tuples become lists,
        anything else not JSON-serializable becomes ``str(value)``.

    Returns None, so a trailing ``publish(...)`` adds no ``Out[n]`` to the report.
    """
    data = _jsonable(meta)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    if get_ipython() is None:  # plain Python: nothing to display to
        return
    summary = ", ".join(f"{k}={v}" for k, v in data.items())
    display({META_MIME: data, "text/plain": f"workbench report metadata: {summary}"}, raw=True)


def read_published(notebook: nbformat.NotebookNode | str | Path) -> dict[str, Any]:
    """Merge the metadata of every :func:`publish` output in an executed notebook.

    Also accepts metadata stored in ``nb.metadata["workbench"]`` (a dict), which
    the published outputs override.
    """
    nb = _load(notebook)
    meta: dict[str, Any] = {}
    stored = nb.metadata.get("workbench")
    if isinstance(stored, dict):
        meta.update(stored)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if META_MIME in data and isinstance(data[META_MIME], dict):
                meta.update(data[META_MIME])
    return meta


def strip_published(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` without the :func:`publish` outputs (for HTML export)."""
    return strip_outputs(nb, META_MIME)


def strip_outputs(nb: nbformat.NotebookNode, mime: str) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` without the outputs that carry the MIME type ``mime``."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if mime not in o.get("data", {})]
    return out


def notebook_title(notebook: nbformat.NotebookNode | str | Path, default: str = "") -> str:
    """The published ``title``, else the first markdown heading, else ``default``."""
    nb = _load(notebook)
    title = read_published(nb).get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if match:
                return re.sub(r"[*_`]", "", match.group(1)).strip()
    return default


def _load(notebook: nbformat.NotebookNode | str | Path) -> nbformat.NotebookNode:
    if isinstance(notebook, str | Path):
        import nbformat

        return nbformat.read(Path(notebook), as_version=4)
    return notebook


def _jsonable(value: Any) -> Any:
    def default(obj: Any) -> Any:
        if isinstance(obj, _dt.datetime | _dt.date | _dt.time) or hasattr(obj, "isoformat"):
            try:
                return obj.isoformat()
            except (TypeError, ValueError):
                return str(obj)
        if isinstance(obj, set | frozenset):
            return sorted(obj, key=str)
        if hasattr(obj, "item"):  # numpy scalars
            try:
                return obj.item()
            except (TypeError, ValueError):
                pass
        return str(obj)

    return json.loads(json.dumps(value, default=default))
