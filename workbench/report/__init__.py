"""Parameterized report runs: notebooks in, self-contained HTML reports and an index out.

- :mod:`~workbench.report.params`: read a notebook's ``parameters`` cell; validate values.
- :mod:`~workbench.report.schedule`: expand a schedule (``reports.toml``) into jobs.
- :mod:`~workbench.report.execute`: run jobs in warm kernels, export HTML.
- :mod:`~workbench.report.pool`: the pool of warm kernels running notebooks in parallel.
- :mod:`~workbench.report.html`: one executed notebook to one offline HTML page.
- :mod:`~workbench.report.index`: run manifests and ``reports/index.html``.
- :mod:`~workbench.report.publish`: ``publish(title=..., data_range=...)`` from a notebook.

Importing this package is cheap (each name's module loads on first use, and
Papermill, nbclient and nbconvert only when a run needs them), so notebooks can
``from workbench.report import publish``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.report.execute import (
        FailedCell,
        JobResult,
        RunSummary,
        new_run_id,
        run_reports,
    )
    from workbench.report.html import external_resources, notebook_to_html
    from workbench.report.index import read_runs, write_index
    from workbench.report.params import Param, read_parameters, validate_parameters
    from workbench.report.publish import META_MIME, publish, read_published
    from workbench.report.schedule import ReportJob, expand_schedule, job_slug, load_schedule

#: Where each public name lives; loaded on first access (PEP 562), so a notebook's
#: ``from workbench.report import publish`` does not load nbformat, nbclient or nbconvert.
_HOMES = {
    "execute": ("FailedCell", "JobResult", "RunSummary", "new_run_id", "run_reports"),
    "html": ("external_resources", "notebook_to_html"),
    "index": ("read_runs", "write_index"),
    "params": ("Param", "read_parameters", "validate_parameters"),
    "publish": ("META_MIME", "publish", "read_published"),
    "schedule": ("ReportJob", "expand_schedule", "job_slug", "load_schedule"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "META_MIME",
    "FailedCell",
    "JobResult",
    "Param",
    "ReportJob",
    "RunSummary",
    "expand_schedule",
    "external_resources",
    "job_slug",
    "load_schedule",
    "new_run_id",
    "notebook_to_html",
    "publish",
    "read_parameters",
    "read_published",
    "read_runs",
    "run_reports",
    "validate_parameters",
    "write_index",
]
