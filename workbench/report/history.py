"""The order a run starts its reports in: longest first, by the last runs' times.

A pool of workers finishes a run soonest when the long reports start first and
the short ones fill the gaps at the end; a long report started last runs alone
while the other workers wait. The time each report took is in the manifests of
earlier runs (``run.json`` in each run folder), so the next run reads the few
newest of them. Reports with no time yet start first (they may be long), the
notebooks with more code cells first (without any earlier run, e.g. the first
``workbench demo``, the cell count is the best guess of a report's length), ties in
their given order. The order in which results are listed (progress, manifest,
index) stays the given one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from workbench.report.index import MANIFEST_NAME
from workbench.report.schedule import ReportJob

__all__ = ["RUNS_READ", "code_cells", "last_seconds", "longest_first"]

#: How many of the newest earlier runs are read for report times.
RUNS_READ = 5


def last_seconds(
    reports_dir: str | Path, *, skip: Path | None = None, runs: int = RUNS_READ
) -> dict[str, float]:
    """Seconds each report (by name) took in its newest successful run among the last ``runs``.

    Only ``run.json`` files are read (newest first by modification time); unreadable
    ones and the run folder ``skip`` (the run starting now) are ignored.
    """
    root = Path(reports_dir)
    if not root.is_dir():
        return {}
    manifests = []
    for folder in root.iterdir():
        path = folder / MANIFEST_NAME
        if folder == skip or not path.is_file():
            continue
        try:
            manifests.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    seconds: dict[str, float] = {}
    for _, path in sorted(manifests, reverse=True)[:runs]:
        try:
            reports = json.loads(path.read_text(encoding="utf-8")).get("reports", [])
        except (OSError, ValueError, AttributeError):
            continue
        for report in reports if isinstance(reports, list) else []:
            name, took = report.get("name"), report.get("seconds")
            ok = report.get("status") == "ok" and isinstance(took, int | float)
            if isinstance(name, str) and ok and not isinstance(took, bool):
                seconds.setdefault(name, float(took))
    return seconds


def longest_first(jobs: Sequence[ReportJob], seconds: dict[str, float]) -> list[ReportJob]:
    """``jobs`` by their last time, longest first; jobs without a time first, most code cells first."""
    cells: dict[Path, int] = {}

    def key(job: ReportJob) -> tuple[float, int]:
        took = seconds.get(str(job.name))
        if took is not None:
            return (-took, 0)
        if job.notebook not in cells:
            cells[job.notebook] = code_cells(job.notebook)
        return (-math.inf, -cells[job.notebook])

    return sorted(jobs, key=key)


def code_cells(notebook: str | Path) -> int:
    """How many code cells ``notebook`` has (0 when it cannot be read)."""
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
        return sum(c.get("cell_type") == "code" for c in nb.get("cells", []))
    except (OSError, ValueError, AttributeError, TypeError):
        return 0
