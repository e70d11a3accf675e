"""The reports catalogue: per-run manifests and ``reports/index.html``.

Each run folder ``reports/<run-id>/`` holds a ``run.json`` manifest, rewritten
after every report, so an interrupted run still lists what it finished.
Folders without a manifest (copied in by hand, or from an older version) are
read from the Papermill metadata of their executed notebooks instead.

:func:`write_index` writes one self-contained page (inline CSS, no scripts)
linking every report of every run, newest run first, with relative links so
the whole ``reports/`` folder can be zipped and shared.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import workbench
from workbench.paths import REPORTS_DIR
from workbench.report._nbformat import nbformat
from workbench.report.publish import notebook_title, read_published

__all__ = [
    "INDEX_NAME",
    "MANIFEST_NAME",
    "read_runs",
    "write_index",
    "write_manifest",
]

#: File name of a run's manifest inside ``reports/<run-id>/``.
MANIFEST_NAME = "run.json"
#: File name of the catalogue page inside ``reports/``.
INDEX_NAME = "index.html"

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 4px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.sub, p.runmeta { color: #555; margin: 2px 0 10px; font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #eee; }
th { background: #f5f6f8; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
code { background: #f3f3f3; padding: 1px 4px; border-radius: 3px; font-size: 13px;
  white-space: nowrap; }
a { color: #1a5fb4; }
.nb, .extra { color: #666; font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; vertical-align: middle; }
.ok { background: #e6f4ea; color: #1e7b34; }
.failed { background: #fdecea; color: #b3261e; }
.incomplete { background: #fff4d6; color: #8a6100; }
tr.row-failed td { background: #fff8f7; }
.err { color: #b3261e; font-size: 13px; }
.empty { color: #666; font-style: italic; }
@media (max-width: 600px) { body { margin: 8px auto; padding: 0 8px; }
  table { display: block; overflow-x: auto; } }
"""

# The index in the dark theme (``[reports] theme``): always for "dark", by the reader's
# system for "auto".
_DARK_CSS = """
body { color: #e4e4e4; background: #111; } h2 { border-color: #444; }
p.sub, p.runmeta, .nb, .extra, .empty { color: #aaa; }
th { background: #222; } th, td { border-color: #333; }
code { background: #2a2a2a; } a { color: #7db4f0; }
tr.row-failed td { background: #2a1513; }
"""


def write_manifest(run_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """Atomically write ``run.json`` into ``run_dir``."""
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / MANIFEST_NAME
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".run-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, default=str)
    os.replace(tmp, target)
    return target


def read_runs(reports_dir: str | Path = REPORTS_DIR) -> list[dict[str, Any]]:
    """Every run under ``reports_dir`` as a manifest dict, newest first.

    Run folders without ``run.json`` are reconstructed from their executed
    notebooks; folders with neither are skipped.
    """
    root = Path(reports_dir)
    if not root.is_dir():
        return []
    runs: list[dict[str, Any]] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        manifest = folder / MANIFEST_NAME
        run: dict[str, Any] | None = None
        if manifest.is_file():
            try:
                run = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                run = None
        if not isinstance(run, dict):
            run = _run_from_notebooks(folder)
        if run is None:
            continue
        run["run_id"] = folder.name  # the folder is the truth for links
        runs.append(run)
    runs.sort(key=lambda r: (str(r.get("started") or ""), r["run_id"]), reverse=True)
    return runs


def write_index(
    reports_dir: str | Path = REPORTS_DIR,
    *,
    title: str = "Journey Workbench reports",
    theme: str = "light",
) -> Path:
    """Write ``<reports_dir>/index.html`` listing every report of every run.

    ``theme`` (``light``, ``dark`` or ``auto``) colours the page like the reports.

    Returns
    -------
    Path
        The written index file.
    """
    root = Path(reports_dir)
    root.mkdir(parents=True, exist_ok=True)
    runs = read_runs(root)
    e = html.escape
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    n_reports = sum(len(r.get("reports", [])) for r in runs)
    body = [
        f"<h1>{e(title)}</h1>",
        f'<p class="sub">{len(runs)} run(s), {n_reports} report(s) &middot; index written '
        f"{e(now)} by workbench {e(workbench.__version__)}</p>",
    ]
    if not runs:
        body.append('<p class="empty">No reports yet.</p>')
    for run in runs:
        body.append(_run_section(run))
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}{_theme_css(theme)}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    out = root / INDEX_NAME
    tmp = out.with_name(f".{INDEX_NAME}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out


def _theme_css(theme: str) -> str:
    if theme == "dark":
        return _DARK_CSS
    if theme == "auto":
        return f"@media (prefers-color-scheme: dark) {{ {_DARK_CSS} }}"
    return ""


def _run_section(run: dict[str, Any]) -> str:
    e = html.escape
    run_id = str(run["run_id"])
    reports = [r for r in run.get("reports", []) if isinstance(r, dict)]
    n_failed = sum(r.get("status") != "ok" for r in reports)
    badges = [f'<span class="badge ok">{len(reports) - n_failed} ok</span>']
    if n_failed:
        badges.append(f'<span class="badge failed">{n_failed} failed</span>')
    if not run.get("finished"):
        badges.append('<span class="badge incomplete">incomplete</span>')
    meta = [f"started {e(_when(run.get('started')))}"]
    if run.get("seconds") is not None:
        meta.append(f"took {_duration(run['seconds'])}")
    meta.append(f"workbench {e(str(run.get('workbench_version') or 'unknown'))}")
    rows = [
        "<tr><th>Report</th><th>Parameters</th><th>Data range</th><th>Status</th>"
        "<th>Time</th><th>Notebook</th></tr>"
    ]
    rows += [_report_row(run_id, r) for r in reports]
    table = (
        "<table>\n" + "\n".join(rows) + "\n</table>"
        if reports
        else '<p class="empty">No reports finished in this run.</p>'
    )
    return (
        f'<section id="run-{e(run_id)}">\n<h2>Run {e(run_id)} {" ".join(badges)}</h2>\n'
        f'<p class="runmeta">{" &middot; ".join(meta)}</p>\n{table}\n</section>'
    )


def _report_row(run_id: str, report: dict[str, Any]) -> str:
    e = html.escape
    name = str(report.get("name") or "report")
    title = str(report.get("title") or report.get("notebook") or name)
    raw_meta = report.get("meta")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    if report.get("html"):
        link = f'<a href="{_href(run_id, report["html"])}">{e(title)}</a>'
    else:
        link = f"{e(title)} <span class='extra'>(no HTML)</span>"
    extra = [
        f"{e(str(k))}: {e(_text(v))}" for k, v in meta.items() if k not in ("title", "data_range")
    ]
    first = f'{link}<div class="nb">{e(str(report.get("notebook", "")))} &middot; {e(name)}</div>'
    if extra:
        first += f'<div class="extra">{"; ".join(extra)}</div>'
    params = report.get("parameters") or {}
    params_html = " ".join(f"<code>{e(str(k))}={e(_text(v))}</code>" for k, v in params.items())
    ok = report.get("status") == "ok"
    if ok:
        status = '<span class="badge ok">ok</span>'
    else:
        cell = report.get("failed_cell") or {}
        where = ""
        if cell.get("number") is not None:
            prompt = cell.get("execution_count")
            where = f" at cell {cell['number']}" + (f" (In [{prompt}])" if prompt else "")
        status = (
            '<span class="badge failed">FAILED</span>'
            f'<div class="err">{e(where.strip())}{":" if where else ""} '
            f"{e(str(report.get('error') or ''))}</div>"
        )
    notebook = (
        f'<a href="{_href(run_id, report["ipynb"])}">.ipynb</a>' if report.get("ipynb") else ""
    )
    notebook += _tables_links(run_id, report.get("tables"))
    return (
        f'<tr class="row-{"ok" if ok else "failed"}"><td>{first}</td>'
        f"<td>{params_html or '<span class=extra>defaults</span>'}</td>"
        f"<td>{e(_data_range(meta.get('data_range')))}</td><td>{status}</td>"
        f'<td class="num">{_duration(report.get("seconds"))}</td><td>{notebook}</td></tr>'
    )


def _run_from_notebooks(folder: Path) -> dict[str, Any] | None:
    """Rebuild a manifest from executed notebooks' Papermill metadata."""
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        return None
    reports: list[dict[str, Any]] = []
    starts: list[str] = []
    ends: list[str] = []
    for path in notebooks:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - an unreadable file is listed as failed
            reports.append(
                {
                    "name": path.stem,
                    "notebook": path.stem,
                    "status": "failed",
                    "error": "unreadable notebook",
                    "ipynb": path.name,
                }
            )
            continue
        pm = nb.metadata.get("papermill", {})
        if pm.get("start_time"):
            starts.append(str(pm["start_time"]))
        if pm.get("end_time"):
            ends.append(str(pm["end_time"]))
        failed = bool(pm.get("exception")) or not pm.get("end_time")
        html_file = path.with_suffix(".html")
        reports.append(
            {
                "name": path.stem,
                "notebook": Path(str(pm.get("input_path") or path.stem)).stem,
                "parameters": dict(pm.get("parameters") or {}),
                "status": "failed" if failed else "ok",
                "html": html_file.name if html_file.is_file() else None,
                "ipynb": path.name,
                "seconds": pm.get("duration"),
                "error": (
                    "the notebook raised an error"
                    if pm.get("exception")
                    else ("the notebook did not finish" if failed else None)
                ),
                "title": notebook_title(nb, default=path.stem),
                "meta": read_published(nb),
            }
        )
    return {
        "run_id": folder.name,
        "started": min(starts) if starts else None,
        "finished": max(ends) if len(ends) == len(notebooks) else None,
        "seconds": None,
        "workbench_version": None,
        "reports": reports,
    }


def _tables_links(run_id: str, tables: Any) -> str:
    """The report's BI tables (docs/outputs.md): each name linking its CSV, then Parquet.

    Their schemas are in the ``README.md`` written beside them.
    """
    if not isinstance(tables, list) or not tables:
        return ""
    e = html.escape
    items = []
    readme = ""
    for t in tables:
        if not isinstance(t, dict) or not t.get("name"):
            continue
        if not readme and t.get("csv"):
            readme = str(t["csv"]).rsplit("/", 1)[0] + "/README.md"
        links = [
            f'<a href="{_href(run_id, str(t[kind]))}">{kind}</a>'
            for kind in ("csv", "parquet")
            if t.get(kind)
        ]
        items.append(f"{e(str(t['name']))} ({', '.join(links)})")
    schemas = f' (<a href="{_href(run_id, readme)}">schemas</a>)' if readme else ""
    return f'<div class="extra tables">tables{schemas}: {"; ".join(items)}</div>'


def _href(run_id: str, file: str) -> str:
    return html.escape(quote(f"{run_id}/{file}"), quote=True)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if value is None:
        return "None"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _data_range(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = [value.get("start"), value.get("end")]
    if isinstance(value, list) and len(value) == 2:
        return f"{_text(value[0])} \u2013 {_text(value[1])}"
    return _text(value)


def _when(value: Any) -> str:
    if not value:
        return "unknown"
    try:
        moment = _dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(_dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return (
        f"{minutes} min {secs:02d} s"
        if minutes < 60
        else f"{minutes // 60} h {minutes % 60:02d} min"
    )
