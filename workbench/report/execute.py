"""Run report jobs: execute notebooks in warm kernels and export self-contained HTML.

:func:`run_reports` validates every job first (unknown or ill-typed
parameters, missing notebooks, missing kernel) and raises one
:class:`~workbench.errors.ValidationError` before anything runs or any file
is written. Then the notebooks are executed, ``workers`` at a time, in a pool
of kernels reused across reports (:mod:`workbench.report.pool`; parameters
injected as Papermill does) into ``<out_dir>/<run-id>/<name>.ipynb`` and
exported to ``<name>.html`` beside it; the reports that took longest in the last
runs start first (:mod:`workbench.report.history`), results are listed in job order.
A failing notebook does not stop the others: it keeps its partially executed
notebook and an HTML page marked FAILED, and the run's exit code is 1.
Finally ``<out_dir>/index.html`` is rewritten to list every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import html
import os
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import workbench
from workbench.config_sections import THEMES
from workbench.errors import ValidationError
from workbench.paths import PROJECT_ROOT, REPORTS_DIR
from workbench.report._nbformat import nbformat
from workbench.report.history import last_seconds, longest_first
from workbench.report.html import notebook_to_html
from workbench.report.index import MANIFEST_NAME, write_index, write_manifest
from workbench.report.outputs import TABLES_DIR, describe, strip_tables, write_tables
from workbench.report.params import check_values, read_parameters
from workbench.report.pool import KernelPool, NotebookFailure, default_workers
from workbench.report.publish import notebook_title, read_published
from workbench.report.schedule import ReportJob

__all__ = [
    "FailedCell",
    "JobResult",
    "RunSummary",
    "new_run_id",
    "run_reports",
]

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_MARKER_TAGS = {_PAPERMILL_ERROR_TAG, "injected-parameters"}
_INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_EXCERPT_LINES = 12
_EXCERPT_CHARS = 800


@dataclass(frozen=True)
class FailedCell:
    """Where a notebook failed.

    Attributes
    ----------
    index
        0-based position of the cell in the source notebook (markdown cells
        count; the injected-parameters cell does not).
    execution_count
        The ``In [n]`` number shown in the executed notebook, if any.
    source
        The start of the cell's code.
    """

    index: int
    execution_count: int | None
    source: str

    @property
    def number(self) -> int:
        """1-based cell number, as a person counts cells."""
        return self.index + 1

    def describe(self) -> str:
        """``cell 3 (In [2])``."""
        prompt = f" (In [{self.execution_count}])" if self.execution_count is not None else ""
        return f"cell {self.number}{prompt}"


@dataclass(frozen=True)
class JobResult:
    """The outcome of one job."""

    job: ReportJob
    status: Literal["ok", "failed"]
    html_path: Path | None
    ipynb_path: Path | None
    seconds: float
    error: str | None = None
    failed_cell: FailedCell | None = None
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    tables: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the notebook ran to the end and its HTML was written."""
        return self.status == "ok"

    def line(self, position: str = "") -> str:
        """One progress line: ``[2/6] journey_map  segment=smb  ok  4.2 s``."""
        head = f"{position} " if position else ""
        params = f"  {self.job.params_text}" if self.job.parameters else ""
        state = "ok" if self.ok else "FAILED"
        return f"{head}{self.job.notebook.stem}{params}  {state}  {self.seconds:.1f} s"

    def failure_text(self) -> str:
        """Multi-line description of the failure (empty when ok)."""
        if self.ok:
            return ""
        where = f" at {self.failed_cell.describe()}" if self.failed_cell else ""
        lines = [f"FAILED {self.job.name}{where}: {self.error}"]
        if self.failed_cell and self.failed_cell.source:
            lines += ["    " + s for s in self.failed_cell.source.splitlines()]
        if self.html_path:
            lines.append(f"    report: {self.html_path}")
        return "\n".join(lines)


@dataclass(frozen=True)
class RunSummary:
    """The outcome of :func:`run_reports`.

    ``exit_code`` is 0 when every report succeeded, else 1.
    """

    run_id: str
    results: list[JobResult]
    exit_code: int
    run_dir: Path | None = None
    index_path: Path | None = None

    @property
    def failed(self) -> list[JobResult]:
        """The results whose notebook failed."""
        return [r for r in self.results if not r.ok]


def new_run_id(now: _dt.datetime | None = None) -> str:
    """A run id from the UTC time, e.g. ``20261128T134501Z``."""
    now = now or _dt.datetime.now(_dt.UTC)
    return now.astimezone(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def run_reports(
    jobs: Sequence[ReportJob],
    *,
    out_dir: str | Path = REPORTS_DIR,
    run_id: str | None = None,
    quiet: bool = False,
    log_file: str | Path | None = None,
    progress: Callable[[JobResult], None] | None = None,
    kernel_name: str = "python3",
    timeout: float = 600,
    cwd: str | Path = PROJECT_ROOT,
    show_code: bool = False,
    write_index_page: bool = True,
    workers: int | None = None,
    theme: str = "light",
) -> RunSummary:
    """Execute report notebooks and write HTML reports plus the index.

    Parameters
    ----------
    jobs
        What to run (e.g. from :func:`~workbench.report.schedule.expand_schedule`).
    out_dir
        The reports folder; this run goes to ``<out_dir>/<run_id>/``.
    run_id
        Folder name of this run; defaults to the UTC start time
        (``20261128T134501Z``). An existing run's id is refused.
    quiet
        Print nothing but failures (to stderr); for cron.
    log_file
        Append timestamped progress and failure lines to this file.
    progress
        Called with each :class:`JobResult` in job order, as soon as that job
        and every job before it are done. When
        not given (and not ``quiet``) one line per report is printed to stdout.
    kernel_name
        The Jupyter kernel; ``python3`` is the interpreter running this code.
    timeout
        Seconds any single cell may run before the notebook is failed.
    cwd
        Working directory of the notebooks (default: the project root).
    show_code
        Show code cells' input in the HTML (hidden by default).
    write_index_page
        Rewrite ``<out_dir>/index.html`` at the end.
    workers
        Notebooks run at the same time, each in its own warm kernel reused
        across reports (see :mod:`workbench.report.pool`); default: the
        available cores (at most one per report). 1 runs them one by one.
    theme
        Colour theme of the HTML pages: ``light``, ``dark`` or ``auto``.

    Returns
    -------
    RunSummary

    Raises
    ------
    ValidationError
        Before anything runs, listing every bad job, parameter, the run id or
        a missing kernel.
    """
    jobs = list(jobs)
    out = Path(out_dir).resolve()  # papermill writes from inside ``cwd``: no relative paths
    explicit_id = run_id is not None
    run_id = run_id if run_id is not None else new_run_id()
    prepared = _validate(jobs, kernel_name, run_id, theme)
    run_dir = out / run_id
    if (run_dir / MANIFEST_NAME).exists():
        if explicit_id:
            raise ValidationError(
                f"run id {run_id!r} already exists in {out}; choose another id or delete {run_dir}"
            )
        n = 2
        while (out / f"{run_id}-{n}" / MANIFEST_NAME).exists():
            n += 1
        run_id, run_dir = f"{run_id}-{n}", out / f"{run_id}-{n}"
    run_dir.mkdir(parents=True, exist_ok=True)

    log = _Log(Path(log_file).resolve() if log_file is not None else None)
    started = _dt.datetime.now(_dt.UTC)
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "started": started.isoformat(timespec="seconds"),
        "finished": None,
        "seconds": None,
        "workbench_version": workbench.__version__,
        "kernel": kernel_name,
        "reports": [],
    }
    write_manifest(run_dir, manifest)
    log.write(f"run {run_id} started: {len(jobs)} report(s) into {run_dir}")
    t_run = time.perf_counter()
    results: list[JobResult] = []
    lock = threading.Lock()
    converted = [replace(j, parameters=p) for j, p in zip(jobs, prepared, strict=True)]
    order = {id(j): i for i, j in enumerate(converted)}

    finished: dict[int, JobResult] = {}

    def done(result: JobResult) -> None:
        """Record a result; report results in job order (a later job may finish first)."""
        with lock:
            finished[order[id(result.job)]] = result
            while len(results) in finished:
                _report_progress(finished[len(results)], len(results) + 1)

    def _report_progress(result: JobResult, position: int) -> None:
        results.append(result)
        manifest["reports"].append(_manifest_entry(result, run_dir))
        write_manifest(run_dir, manifest)
        line = result.line(f"[{position}/{len(jobs)}]")
        log.write(line)
        if progress is not None:
            progress(result)
        elif not quiet:
            print(line, flush=True)
        if not result.ok:
            log.write(result.failure_text())
            print(result.failure_text(), file=sys.stderr, flush=True)

    try:
        with _kernel_env():
            run_in_pool(
                longest_first(converted, last_seconds(out, skip=run_dir)),
                done,
                run_dir=run_dir,
                run_id=run_id,
                workers=workers,
                kernel_name=kernel_name,
                timeout=timeout,
                cwd=Path(cwd).resolve(),
                show_code=show_code,
                theme=theme,
            )
    except KeyboardInterrupt:
        log.write(f"run {run_id} interrupted after {len(results)} of {len(jobs)} report(s)")
        if write_index_page:
            write_index(out, theme=theme)  # list what finished; the run shows as incomplete
        raise

    seconds = time.perf_counter() - t_run
    manifest["finished"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    manifest["seconds"] = round(seconds, 2)
    write_manifest(run_dir, manifest)
    index_path = write_index(out, theme=theme) if write_index_page else None
    n_failed = sum(not r.ok for r in results)
    closing = (
        f"run {run_id} finished in {seconds:.1f} s: {len(results) - n_failed} ok, "
        f"{n_failed} FAILED; reports in {run_dir}"
    )
    log.write(closing)
    if not quiet:
        print(closing + (f"; index: {index_path}" if index_path else ""), flush=True)
    return RunSummary(
        run_id=run_id,
        results=results,
        exit_code=1 if n_failed else 0,
        run_dir=run_dir,
        index_path=index_path,
    )


def _validate(
    jobs: list[ReportJob], kernel_name: str, run_id: str, theme: str = "light"
) -> list[dict[str, Any]]:
    """Check everything that can be checked without running; return converted parameters."""
    problems: list[str] = []
    if theme not in THEMES:
        problems.append(f"theme {theme!r} is not allowed; allowed values: {', '.join(THEMES)}")
    if not _RUN_ID.fullmatch(run_id):
        problems.append(
            f"run id {run_id!r} must start with a letter or digit and contain only letters, "
            "digits and . _ -"
        )
    if not jobs:
        problems.append("no reports to run")
    prepared: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for i, job in enumerate(jobs, start=1):
        if not isinstance(job, ReportJob):
            problems.append(f"job {i}: expected a ReportJob, got {job!r}")
            prepared.append({})
            continue
        if job.name in names:
            problems.append(
                f"job {i} ({job.notebook.name}): report name {job.name!r} is also used by job "
                f"{names[job.name]}; names must be unique within a run"
            )
        names.setdefault(str(job.name), i)
        try:
            params = read_parameters(job.notebook)
            prepared.append(check_values(params, job.parameters, where=job.notebook.name))
        except ValidationError as exc:
            problems += [p for p in exc.problems if p not in problems]
            prepared.append({})
    spec_problem = _check_kernel(kernel_name)
    if spec_problem:
        problems.append(spec_problem)
    if problems:
        raise ValidationError(problems, context="reports not run")
    return prepared


def _check_kernel(kernel_name: str) -> str | None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(kernel_name)
    except NoSuchKernel:
        available = ", ".join(sorted(manager.find_kernel_specs())) or "(none)"
        return f"Jupyter kernel {kernel_name!r} is not installed; available kernels: {available}"
    return None


def run_in_pool(
    jobs: Sequence[ReportJob],
    done: Callable[[JobResult], None],
    *,
    run_dir: Path,
    run_id: str,
    workers: int | None,
    kernel_name: str,
    timeout: float,
    cwd: Path,
    show_code: bool,
    theme: str = "light",
) -> None:
    """Execute ``jobs`` in a :class:`~workbench.report.pool.KernelPool`; ``done`` gets each result.

    ``done`` is called as each report finishes (in completion order, from one
    thread at a time). HTML exports run in a helper thread, one at a time, while
    the kernel that ran the notebook already runs the next one.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    pool = KernelPool(
        default_workers(len(jobs)) if workers is None else workers,
        kernel_name=kernel_name,
        cwd=cwd,
        timeout=timeout,
        extra_arguments=_kernel_arguments(spec),
    )
    export = asyncio.Lock()

    async def execute(run: Callable[..., Any], job: ReportJob) -> Awaitable[None]:
        nb = nbformat.read(job.notebook, as_version=4)
        error: str | None = None
        t0 = time.perf_counter()
        try:
            await run(nb, job.parameters, spec.language)
        except NotebookFailure as exc:
            error = f"{exc.ename}: {_clip(str(exc.evalue))}" if exc.evalue else str(exc.ename)
        except Exception as exc:  # noqa: BLE001 - any failure of one notebook must not stop the run
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            error = f"{type(exc).__name__}: {_clip(first)}".rstrip(": ")
        seconds = time.perf_counter() - t0
        return finish(job, nb, error, seconds)  # the pool runs it while the kernel goes on

    async def finish(
        job: ReportJob, nb: nbformat.NotebookNode, error: str | None, seconds: float
    ) -> None:
        async with export:
            result = await asyncio.to_thread(
                _finish_one, job, nb, error, seconds, run_dir, show_code, run_id, theme
            )
        done(result)

    pool.map(list(jobs), execute)


def _finish_one(
    job: ReportJob,
    nb: nbformat.NotebookNode,
    error: str | None,
    seconds: float,
    run_dir: Path,
    show_code: bool,
    run_id: str,
    theme: str = "light",
) -> JobResult:
    """Keep the executed notebook beside its HTML page and its tables; describe the outcome."""
    ipynb = run_dir / f"{job.name}.ipynb"
    html_path = run_dir / f"{job.name}.html"
    meta = read_published(nb)
    written = write_tables(nb, run_dir / TABLES_DIR / str(job.name)) if not error else []
    tables = describe(written, run_dir)
    nb = strip_tables(nb)  # the tables are in their own files; the notebook stays small
    nbformat.write(nb, ipynb)
    failed_cell = _find_failed_cell(nb) if error else None
    title = notebook_title(nb, default=job.notebook.stem)
    status: Literal["ok", "failed"] = "failed" if error else "ok"
    partial = JobResult(job, status, None, ipynb, seconds, error, failed_cell, title, meta)
    if error and nb.cells and _PAPERMILL_ERROR_TAG in nb.cells[0].metadata.get("tags", []):
        nb.cells = nb.cells[1:]  # papermill's top "exception at In [n]" note; our banner says it
    try:
        notebook_to_html(
            nb,
            html_path,
            show_code=show_code,
            title=title,
            header_html=_header_html(partial, run_id),
            resources_dir=job.notebook.resolve().parent,
            theme=theme,
        )
    except Exception as exc:  # noqa: BLE001 - report the export failure, keep going
        error = (error + "; " if error else "") + f"HTML export failed: {type(exc).__name__}: {exc}"
        return JobResult(
            job, "failed", None, ipynb, seconds, error, failed_cell, title, meta, tables
        )
    return JobResult(
        job, status, html_path, ipynb, seconds, error, failed_cell, title, meta, tables
    )


def _kernel_arguments(spec: Any) -> list[str]:
    """Quiet ipykernel's log and switch off its input history, for IPython kernels.

    The log only says things like "running over TCP without encryption" or
    "KeyboardInterrupt caught" (jupyter_client interrupts before every shutdown): stderr
    noise in cron mails. Cell errors are kept in the notebook and a dead kernel is
    reported by Papermill, so nothing is lost.

    The input history is kept in memory, as nbclient (and so Papermill) does for the
    kernels it starts: by default IPython writes it to its SQLite file
    (``~/.ipython/profile_default/history.sqlite``, shared by every kernel on the machine)
    from a thread that commits each executed cell, and the next cell waits for that commit
    (tens of milliseconds on a busy disk, for every cell of every report).
    """
    if not any("ipykernel" in a for a in spec.argv):
        return []
    return ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"]


@contextlib.contextmanager
def _kernel_env() -> Iterator[None]:
    """Make kernels draw matplotlib figures inline even if ``MPLBACKEND=Agg`` is set (CI)."""
    old = os.environ.get("MPLBACKEND")
    if old is not None and old != _INLINE_BACKEND:
        os.environ["MPLBACKEND"] = _INLINE_BACKEND
    try:
        yield
    finally:
        if old is not None:
            os.environ["MPLBACKEND"] = old


def _find_failed_cell(nb: nbformat.NotebookNode) -> FailedCell | None:
    """The cell with an error output (or the last one started, e.g. after a timeout)."""
    index = -1
    last_started: FailedCell | None = None
    for cell in nb.cells:
        if _MARKER_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        index += 1
        if cell.cell_type != "code":
            continue
        info = cell.get("metadata", {}).get("papermill", {})
        errors = [
            o
            for o in cell.get("outputs", [])
            if o.get("output_type") == "error"
            and not (o.get("ename") == "SystemExit" and o.get("evalue") in ("", "0"))
        ]
        here = FailedCell(index, cell.get("execution_count"), _excerpt(cell.source))
        if errors or info.get("exception") or info.get("status") == "failed":
            return here
        if info.get("start_time"):
            last_started = here
    return last_started


def _clip(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _excerpt(source: str) -> str:
    lines = source.splitlines()
    text = "\n".join(lines[:_EXCERPT_LINES])
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS].rstrip()
    if len(lines) > _EXCERPT_LINES or len(text) < len("\n".join(lines[:_EXCERPT_LINES])):
        text += "\n..."
    return text


def _header_html(result: JobResult, run_id: str) -> str:
    e = html.escape
    params = " ".join(
        f"<code>{e(k)}={e(_value_text(v))}</code>" for k, v in result.job.parameters.items()
    )
    parts = [
        '<a href="../index.html">&larr; all reports</a>',
        f"notebook <code>{e(result.job.notebook.name)}</code>",
        f'<span class="wb-params">parameters: {params or "defaults"}</span>',
        f"run {e(run_id)}",
        f"workbench {e(workbench.__version__)}",
        f"{result.seconds:.1f} s",
    ]
    if result.ipynb_path is not None:
        parts.append(f'<a href="{e(result.ipynb_path.name)}">executed notebook</a>')
    header = '<div class="wb-header">' + " &middot; ".join(parts) + "</div>"
    if result.ok:
        return header
    cell = result.failed_cell
    where = f' at <a href="#papermill-error-cell">{e(cell.describe())}</a>' if cell else ""
    code = f"<pre>{e(cell.source)}</pre>" if cell and cell.source else ""
    banner = (
        f'<div class="wb-failed"><strong>FAILED</strong>{where}: {e(result.error or "")}'
        f"{code}</div>"
    )
    return header + banner


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_value_text(v) for v in value)
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "None"
    return str(value)


def _manifest_entry(result: JobResult, run_dir: Path) -> dict[str, Any]:
    cell = result.failed_cell
    return {
        "name": result.job.name,
        "notebook": result.job.notebook.stem,
        "notebook_path": str(result.job.notebook.resolve()),
        "parameters": result.job.parameters,
        "status": result.status,
        "html": result.html_path.relative_to(run_dir).as_posix() if result.html_path else None,
        "ipynb": result.ipynb_path.relative_to(run_dir).as_posix() if result.ipynb_path else None,
        "seconds": round(result.seconds, 2),
        "error": result.error,
        "failed_cell": (
            None
            if cell is None
            else {
                "index": cell.index,
                "number": cell.number,
                "execution_count": cell.execution_count,
                "source": cell.source,
            }
        ),
        "title": result.title,
        "meta": result.meta,
        "tables": result.tables,
    }


class _Log:
    """Appends timestamped lines to a file (or does nothing without one)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, message: str) -> None:
        if self.path is None:
            return
        stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        with self.path.open("a", encoding="utf-8") as fh:
            for line in message.splitlines() or [""]:
                fh.write(f"{stamp} {line}\n")
