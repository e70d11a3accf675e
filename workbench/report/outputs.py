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
import io
import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.csv_safety import write_atomic, write_csv
from workbench.report.publish import strip_outputs

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "SCHEMAS",
    "TABLES_DIR",
    "TABLE_MIME",
    "describe",
    "emit",
    "read_tables",
    "schema_text",
    "strip_tables",
    "write_tables",
]

#: MIME type of the table outputs written by :func:`emit`.
TABLE_MIME = "application/vnd.workbench.table+json"

#: The folder of a run that holds one folder of tables per report.
TABLES_DIR = "tables"

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")

_LIFT = {
    "rank": "1 = highest lift",
    "touchpoint": "the touchpoint (a touch type, page pattern or channel)",
    "kind": "what defines it (touch_type, page, channel ...)",
    "journeys_with": "journeys with the touchpoint",
    "conversions_with": "converted journeys among them",
    "rate_with": "their conversion rate (0-1)",
    "rate_with_low": "95% Wilson interval, low",
    "rate_with_high": "95% Wilson interval, high",
    "journeys_without": "journeys without it",
    "conversions_without": "converted journeys among them",
    "rate_without": "their conversion rate (0-1)",
    "rate_without_low": "95% Wilson interval, low",
    "rate_without_high": "95% Wilson interval, high",
    "lift": "rate_with / rate_without",
    "lift_low": "95% Katz interval of the lift, low",
    "lift_high": "95% Katz interval of the lift, high",
    "rate_difference": "rate_with - rate_without",
    "significant": "whether the lift interval excludes 1",
}

#: Every table a report run writes: name -> (what it is, {column: meaning}). The
#: columns are fixed (in this order); docs/outputs.md documents the same.
SCHEMAS: dict[str, tuple[str, dict[str, str]]] = {
    "journeys": (
        "journey map: one row per journey of the report's segment and period",
        {
            "journey_id": "stable journey id",
            "person_id": "pseudonymous person id (stitched identity)",
            "account_id": "account (company) id, when known",
            "converted": "whether the journey ends in a conversion",
            "conversion_type": "the conversion's type (empty when not converted)",
            "conversion_ts": "conversion time, UTC",
            "value": "conversion value in the project currency (0 when not converted)",
            "first_ts": "first touch time, UTC",
            "n_touches": "touches in the journey",
            "n_channels": "distinct channels touched",
            "first_channel": "channel of the first touch",
            "last_channel": "channel of the last touch",
            "duration_days": "days from the first touch to the conversion (or last touch)",
            "path": "the touches' path level values joined by ' > '",
        },
    ),
    "top_paths": (
        "journey map: every path, ranked as in the report (which shows the first 10)",
        {
            "rank": "1 = most conversions (most journeys when none converted)",
            "path": "the path, steps joined by ' > '",
            "path_length": "steps in the path",
            "journeys": "journeys with this path",
            "conversions": "converted journeys with this path",
            "conversion_rate": "conversions / journeys (0-1)",
            "value": "conversion value",
            "share_of_journeys": "journeys / all journeys (0-1)",
            "share_of_conversions": "conversions / all conversions (0-1)",
        },
    ),
    "flow_links": (
        "journey map: the links of the flow chart (first four steps)",
        {
            "step": "the step the link leaves (1 = first touch)",
            "source": "node at that step",
            "target": "node at the next step ('(converted)' / '(ended)' when it ends)",
            "journeys": "journeys along the link",
            "conversions": "converted journeys along the link",
            "value": "their conversion value",
        },
    ),
    "funnel_steps": (
        "drop-offs: the stage funnel, per segment",
        {
            "segment": "segment label ('All journeys' for everyone)",
            "step": "1 = first stage",
            "stage": "stage name from [stages]",
            "journeys": "journeys of the segment",
            "entrants": "journeys entering the stage",
            "new_entrants": "entrants that skipped earlier stages (open funnels)",
            "completed": "entrants that reached the next stage",
            "dropped": "entrants that did not",
            "excluded": "entrants left out (closed funnel: not from the first stage)",
            "completion_rate": "completed / entrants (0-1)",
            "drop_off_rate": "dropped / entrants (0-1)",
            "share_of_first_step": "entrants / first stage entrants (0-1)",
            "share_of_journeys": "entrants / journeys (0-1)",
            "median_days_from_previous": "median days from the previous stage",
            "conversions": "converted journeys among the entrants",
        },
    ),
    "touchpoint_lift": ("drop-offs: conversion lift of named touchpoints", _LIFT),
    "credits_by_channel": (
        "attribution: each model's credit per channel",
        {
            "model": "model name (first, last, linear, markov:1, shapley ...)",
            "channel": "channel",
            "conversions": "credited conversions (sums to the converted journeys per model)",
            "value": "credited conversion value",
        },
    ),
    "touch_credits": (
        "attribution: each model's credit per touch of the converted journeys",
        {
            "journey_id": "journey (join with journeys); empty on a residual row",
            "position": "touch position in the journey (0 = first); -1 on a residual row",
            "channel": "the touch's channel",
            "model": "model name",
            "credit": "conversions credited to this touch",
            "value_credit": "value credited to this touch",
        },
    ),
    "value_sent_back": (
        "attribution: conversion value each platform would receive, per model",
        {
            "platform": "ad platform",
            "model": "model name ('full' = the whole value of every touched conversion)",
            "value_sent": "value sent under this model",
            "value_claimed": "value the platform claims in its own reports",
        },
    ),
    "quarantine_reasons": (
        "data health: rows set aside, per source and reason",
        {"source": "source name", "reason": "why the rows were set aside", "rows": "rows"},
    ),
    "sources": (
        "data health: the exports read",
        {
            "source": "source name",
            "format": "reader format",
            "files": "files read",
            "rows": "rows read",
            "first_ts": "earliest time in the source, UTC",
            "last_ts": "latest time in the source, UTC",
        },
    ),
}


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
        A frame holding the documented columns of :data:`SCHEMAS` (others are left
        out; its index is dropped). An empty frame writes an empty table with the columns.
    """
    if name not in SCHEMAS:
        raise ValueError(f"table {name!r} is not documented; known tables: {', '.join(SCHEMAS)}")
    columns = list(SCHEMAS[name][1])
    lacking = [c for c in columns if c not in frame.columns]
    if lacking and len(frame):  # an empty table of a degenerate report gets the columns
        raise ValueError(f"table {name!r} lacks the column(s) {', '.join(lacking)}")
    frame = frame.reindex(columns=columns)
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
    return strip_outputs(nb, TABLE_MIME)


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
    for name, frame in sorted(tables.items()):
        written.append(write_atomic(out / f"{name}.parquet", partial(_parquet, frame)))
        written.append(write_csv(_csv_ready(frame), out / f"{name}.csv"))
    readme = schema_text(sorted(tables))
    written.append(write_atomic(out / "README.md", lambda tmp: tmp.write_text(readme, "utf-8")))
    return written


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def schema_text(names: list[str]) -> str:
    """The schemas of the tables ``names`` as Markdown (written beside them as README.md)."""
    lines = [
        "# Tables of this report",
        "",
        "Each table is written as Parquet and as CSV (formula-safe: a text cell starting",
        "with = + - @ gets a leading '). Times are UTC; money is in the project currency.",
        "",
    ]
    for name in names:
        what, columns = SCHEMAS[name]
        lines += [f"## {name}", "", what, "", "| column | meaning |", "| --- | --- |"]
        lines += [f"| `{c}` | {m} |" for c, m in columns.items()]
        lines.append("")
    return "\n".join(lines)


def describe(files: list[Path], run_dir: Path) -> list[dict[str, Any]]:
    """``[{"name", "parquet", "csv"}]`` with paths relative to ``run_dir`` (for the manifest)."""
    by_name: dict[str, dict[str, Any]] = {}
    for f in files:
        if f.suffix not in (".csv", ".parquet"):
            continue
        entry = by_name.setdefault(f.stem, {"name": f.stem})
        entry[f.suffix.lstrip(".")] = f.relative_to(run_dir).as_posix()
    return [by_name[k] for k in sorted(by_name)]
