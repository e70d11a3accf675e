"""BI-ready tables of a report run: the numbers of each report as Parquet and CSV.

A notebook hands a table to the run with :func:`emit` (or ``table(..., name=...)`` of
:mod:`workbench.report.display`, which emits the raw frame it shows). Like
:func:`workbench.report.publish.publish`, :func:`emit` only displays one output of the
MIME type :data:`TABLE_MIME` (the frame as base64 Parquet, plus a one-line
``text/plain`` note for JupyterLab): nothing is written by the notebook, so it runs the
same in JupyterLab and in a report run. After execution the run
(:mod:`workbench.report.execute`) calls :func:`write_tables`, which writes each table
as ``<run>/tables/<report>/<name>.parquet`` and ``.csv`` (formula-safe,
:mod:`workbench.csv_safety`; both written atomically), and removes those outputs from the
executed notebook and the HTML page. The schemas are documented in ``docs/outputs.md``;
a later emit of the same name replaces the earlier one.
"""

from __future__ import annotations

import base64
import copy
import io
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.csv_safety import write_csv

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "TABLES_DIR",
    "TABLE_MIME",
    "describe",
    "emit",
    "read_tables",
    "strip_tables",
    "write_tables",
]

#: MIME type of the table outputs written by :func:`emit`.
TABLE_MIME = "application/vnd.workbench.table+json"

#: The folder of a run that holds one folder of tables per report.
TABLES_DIR = "tables"

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _encode(frame: pd.DataFrame) -> str:
    out = frame.reset_index(drop=True).copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:  # categories and objects: plain text columns in BI tools
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("string")
    buffer = io.BytesIO()
    out.to_parquet(buffer, index=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def emit(name: str, frame: pd.DataFrame) -> None:
    """Hand ``frame`` to the report run as the table ``name`` (see the module docstring).

    Parameters
    ----------
    name
        Lower-case file name (``top_paths``): one of the tables of docs/outputs.md.
    frame
        A tidy frame with the documented columns (its index is dropped).
    """
    if not _NAME.fullmatch(name):
        raise ValueError(f"table name {name!r}: use lower-case letters, digits and _")
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    if get_ipython() is None:  # plain Python: no report run to hand it to
        return
    data = {"name": name, "rows": len(frame), "parquet": _encode(frame)}
    note = f"table {name}: {len(frame):,} rows (written with the report run's tables)"
    display({TABLE_MIME: data, "text/plain": note}, raw=True)


def read_tables(nb: nbformat.NotebookNode) -> dict[str, pd.DataFrame]:
    """The tables emitted in an executed notebook, by name (a later emit wins)."""
    found: dict[str, pd.DataFrame] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(TABLE_MIME)
            if isinstance(data, dict) and _NAME.fullmatch(str(data.get("name", ""))):
                raw = base64.b64decode(str(data["parquet"]))
                found[str(data["name"])] = pd.read_parquet(io.BytesIO(raw))
    return found


def strip_tables(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without the :func:`emit` outputs."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if TABLE_MIME not in o.get("data", {})]
    return out


def _write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and arrays as ``a > b`` text; timestamps as ISO 8601."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype == object and values.map(lambda v: isinstance(v, list | tuple)).any():
            out[col] = values.map(
                lambda v: " > ".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
        elif values.dtype == object and values.map(lambda v: hasattr(v, "tolist")).any():
            out[col] = values.map(
                lambda v: " > ".join(map(str, v.tolist())) if hasattr(v, "tolist") else v
            )
        elif pd.api.types.is_datetime64_any_dtype(values):
            out[col] = values.map(lambda v: v.isoformat() if not pd.isna(v) else "")
    return out


def write_tables(nb: nbformat.NotebookNode, folder: str | Path) -> list[Path]:
    """Write the emitted tables of ``nb`` as Parquet and CSV into ``folder``.

    Returns the files written (Parquet, CSV per table, sorted by name); nothing (and
    no folder) when the notebook emitted no table.
    """
    tables = read_tables(nb)
    if not tables:
        return []
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in sorted(tables):
        frame = tables[name]
        written.append(_write_parquet(frame, out / f"{name}.parquet"))
        written.append(write_csv(_csv_ready(frame), out / f"{name}.csv"))
    return written


def describe(files: list[Path], run_dir: Path) -> list[dict[str, Any]]:
    """``[{"name", "parquet", "csv"}]`` with paths relative to ``run_dir`` (for the manifest)."""
    by_name: dict[str, dict[str, Any]] = {}
    for f in files:
        entry = by_name.setdefault(f.stem, {"name": f.stem})
        entry[f.suffix.lstrip(".")] = f.relative_to(run_dir).as_posix()
    return [by_name[k] for k in sorted(by_name)]
