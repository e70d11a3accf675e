"""Parameterized report runs: notebooks in, self-contained HTML reports and an index out.

- :mod:`~workbench.report.params`: read a notebook's ``parameters`` cell; validate values.
- :mod:`~workbench.report.schedule`: expand a schedule (``reports.toml``) into jobs.
- :mod:`~workbench.report.execute`: run jobs with Papermill, export HTML.
- :mod:`~workbench.report.html`: one executed notebook to one offline HTML page.
- :mod:`~workbench.report.index`: run manifests and ``reports/index.html``.
- :mod:`~workbench.report.publish`: ``publish(title=..., data_range=...)`` from a notebook.

Importing this package is cheap (Papermill and nbconvert load on first use), so
notebooks can ``from workbench.report import publish``.
"""

from __future__ import annotations

from workbench.report.execute import FailedCell, JobResult, RunSummary, new_run_id, run_reports
from workbench.report.html import external_resources, notebook_to_html
from workbench.report.index import read_runs, write_index
from workbench.report.params import Param, read_parameters, validate_parameters
from workbench.report.publish import META_MIME, publish, read_published
from workbench.report.schedule import ReportJob, expand_schedule, job_slug, load_schedule

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
