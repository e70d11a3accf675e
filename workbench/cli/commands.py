"""What each ``workbench`` subcommand does; the CLI module only parses arguments."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.config import Config, load_config
from workbench.errors import WorkbenchError
from workbench.paths import find_config, notebooks_dir, project_dir

if TYPE_CHECKING:
    import argparse

    from workbench.report import ReportJob

__all__ = [
    "REPORT_ORDER",
    "report_jobs",
    "run_attribute",
    "run_demo",
    "run_export",
    "run_prepare",
    "run_report",
    "run_sample",
]


def run_attribute(args: argparse.Namespace) -> int:
    """``workbench attribute`` (:func:`workbench.cli.analysis.run_attribute`, loaded on use)."""
    from workbench.cli.analysis import run_attribute as run

    return run(args)


def run_export(args: argparse.Namespace) -> int:
    """``workbench export-conversions`` (:func:`workbench.cli.analysis.run_export`, on use).

    Loading the analysis modules on use keeps ``workbench report`` from importing them.
    """
    from workbench.cli.analysis import run_export as run

    return run(args)


def _echo(message: str) -> None:
    print(message, flush=True)


def run_sample(*, out: Path | None, people: int, seed: int) -> int:
    """``workbench sample``: write the synthetic exports and their ground truth."""
    from workbench.sample import generate_sample

    if people < 1:
        raise WorkbenchError(f"--people {people}: expected a whole number >= 1")
    out_dir = Path(out) if out is not None else _sample_dir()
    started = time.perf_counter()
    summary = generate_sample(out_dir, people=people, seed=seed)
    _echo(
        f"wrote the sample ({people:,} people, seed {seed}) to {out_dir} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    for line in _summary_lines(summary):
        _echo(f"  {line}")
    return 0


def _sample_dir() -> Path:
    """Where ``workbench sample`` writes by default: the found config's ``data_dir``.

    Without a config: ``data/sample`` in the current folder. A ``data_dir`` that
    already holds files the sample did not write (no ``_truth/`` folder) is
    refused, so a project's own exports are never mixed with or replaced by
    synthetic ones.
    """
    from workbench.errors import ConfigError

    try:
        found = find_config()
    except ConfigError:
        return project_dir() / "data" / "sample"
    cfg = load_config(found)
    folder = cfg.data_dir
    theirs = [p for p in folder.iterdir() if p.name != ".gitkeep"] if folder.is_dir() else []
    if theirs and not (folder / "_truth").is_dir():
        raise WorkbenchError(
            f"{folder} (data_dir of {cfg.path}) already holds files the sample did not "
            f"write (e.g. {theirs[0].name}); pass --out FOLDER to write the sample elsewhere"
        )
    return folder


def _summary_lines(summary: object) -> list[str]:
    lines = []
    for key in ("people", "touchpoints", "conversions"):
        value = getattr(summary, key, None)
        if value is not None:
            lines.append(f"{key}: {value:,}" if isinstance(value, int) else f"{key}: {value}")
    files = getattr(summary, "files", None)
    if files:
        lines.append(f"files: {len(files)}")
    return lines


def run_prepare(
    *,
    config: Path | None,
    out: Path | None,
    quiet: bool = False,
    strict: bool = False,
    engine: str | None = None,
    master: str | None = None,
) -> int:
    """``workbench prepare``: read, validate, group channels, stitch, check, write Parquet.

    Holds the folder's lock throughout, checks the config against the data
    (an error stops before anything is written; what will be empty is printed)
    and switches the new set in atomically with its manifest (:mod:`workbench.store`).
    ``engine`` (``--engine``, else ``[engine] kind``) is decided here and only here:
    ``spark`` runs the stages on Spark (:mod:`workbench.spark.engine`, with
    ``master`` over ``[engine] master``) and also writes the path table.
    """
    from workbench.report.preflight import check_config, raise_for_errors, summary_lines
    from workbench.store import prepare_lock, read_previous_identities, recover

    cfg = load_config(config)
    kind = engine or cfg.engine.kind
    if kind != "spark" and master is not None:
        raise WorkbenchError("--master is a Spark setting; use it with --engine spark")
    out_dir = Path(out) if out is not None else cfg.processed_dir
    started = time.perf_counter()
    with prepare_lock(out_dir):
        notes = recover(out_dir)
        previous, corrupt = read_previous_identities(out_dir)
        notes += [corrupt] if corrupt else []
        for note in notes:
            print(f"warning: {note}", file=sys.stderr)
        say = None if quiet else _echo
        run = _prepare_with(kind, cfg, master, say, previous, strict)
        prepared = run.prepared if kind == "spark" else run
        findings = check_config(cfg, prepared)
        raise_for_errors(findings, config_path=cfg.path)
        empty = summary_lines(findings)
        extra: dict[str, object] = {"config_check": empty}
        if kind == "spark":
            from workbench.spark.engine import write_spark_prepared

            write_spark_prepared(run, out_dir, config_path=cfg.path, extra=extra, progress=say)
        else:
            from workbench.prepare import write_prepared

            write_prepared(prepared, out_dir, config_path=cfg.path, extra=extra)
    _print_prepared(cfg, prepared, out_dir, time.perf_counter() - started, empty)
    return 0


def _prepare_with(kind: str, cfg: Config, master: str | None, say, previous, strict: bool):
    """The local :class:`~workbench.prepare.Prepared`, or a Spark run (``SparkRun``)."""
    if kind == "spark":
        from workbench.spark.engine import prepare_spark

        return prepare_spark(cfg, master=master, progress=say, previous=previous, strict=strict)
    from workbench.prepare import prepare

    return prepare(cfg, progress=say, previous=previous, strict=strict)


def _print_prepared(cfg: Config, prepared, out_dir: Path, seconds: float, empty: list) -> None:
    from workbench.ingest.quarantine import quarantine_summary

    _echo(f"prepared {len(cfg.sources)} sources in {seconds:.1f}s -> {out_dir}")
    for metric, value in prepared.summary().itertuples(index=False):
        shown = f"{value:.1%}" if isinstance(value, float) else f"{value:,}"
        _echo(f"  {metric}: {shown}")
    q = quarantine_summary(prepared.quarantine)
    if len(q):
        _echo("  quarantined by reason:")
        for source, reason, rows in q.itertuples(index=False):
            _echo(f"    {rows:>6,}  {source}: {reason}")
    if empty:
        _echo("what will be empty in the reports, and why:")
        for line in empty:
            _echo(f"  - {line}")
    for warning in prepared.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _parse_params(items: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    bad = [item for item in items if "=" not in item or not item.split("=", 1)[0].strip()]
    if bad:
        raise WorkbenchError(
            "parameters must be written NAME=VALUE; got " + ", ".join(repr(b) for b in bad)
        )
    for item in items:
        name, value = item.split("=", 1)
        params[name.strip()] = value
    return params


def report_jobs(
    cfg: Config,
    *,
    schedule: Path | None = None,
    notebooks: list[str] | None = None,
    params: Mapping[str, object] | None = None,
) -> list[ReportJob]:
    """The report runs for a config.

    From ``schedule``, else the config's ``[reports]``, else every notebook with
    its defaults: the project's ``notebooks/`` (beside the config) when it holds
    notebooks, else the ones shipped in the package.

    Every notebook that declares ``config`` gets the config file's path, and one
    that declares ``interactive`` gets ``False`` (headless runs never need widgets).
    ``params`` (from ``-p NAME=VALUE``) go to the notebooks that declare them and
    replace the scheduled values there (see
    :func:`~workbench.report.schedule.override_jobs`). A segment value that is
    not ``all`` or a ``[segments]`` name is refused here, before anything runs.
    """
    from workbench.notebook.workspace import ALL
    from workbench.report import (
        ReportJob,
        expand_schedule,
        load_schedule,
        read_parameters,
    )
    from workbench.report.schedule import check_segment_values, check_window_values, override_jobs

    if schedule is not None:
        jobs = load_schedule(schedule)
    elif cfg.reports.runs:
        jobs = expand_schedule(cfg, base_dir=cfg.path.parent if cfg.path else None)
    else:
        jobs = [ReportJob(nb) for nb in _default_notebooks(cfg)]
    if notebooks:
        known = sorted({j.notebook.stem for j in jobs})
        unknown = [n for n in notebooks if n not in known]
        if unknown:
            raise WorkbenchError(
                f"--notebook {', '.join(unknown)}: not in the schedule; known: {', '.join(known)}"
            )
        jobs = [j for j in jobs if j.notebook.stem in notebooks]
    jobs = override_jobs(jobs, dict(params or {}))
    check_segment_values(jobs, list(cfg.segments), all_name=ALL)
    check_window_values(jobs)
    out = []
    for job in jobs:
        declared = {p.name for p in read_parameters(job.notebook)}
        auto: dict[str, object] = {}
        if "config" in declared and cfg.path is not None:
            auto["config"] = str(Path(cfg.path).resolve())
        if "interactive" in declared:
            auto["interactive"] = False
        out.append(ReportJob(job.notebook, {**auto, **job.parameters}, name=job.name))
    return out


def _default_notebooks(cfg: Config) -> list[Path]:
    folder = notebooks_dir(Path(cfg.path).resolve().parent if cfg.path else None)
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("_"))
    order = {name: i for i, name in enumerate(REPORT_ORDER)}
    return sorted(found, key=lambda p: (order.get(p.stem, len(order)), p.stem))


#: The order reports appear in when no schedule says otherwise.
REPORT_ORDER = ("executive_summary", "data_health", "journey_map", "dropoffs", "attribution")


def run_report(
    *,
    config: Path | None = None,
    schedule: Path | None = None,
    notebooks: list[str] | None = None,
    params: list[str] | None = None,
    out: Path | None = None,
    run_id: str | None = None,
    quiet: bool = False,
    log_file: Path | None = None,
    show_code: bool = False,
    allow_other_config: bool = False,
    kernel: str | None = None,
    workers: int | None = None,
    theme: str | None = None,
) -> int:
    """``workbench report``: render the notebooks headlessly to self-contained HTML.

    Before anything runs: the jobs and parameters are validated, and the
    config's ``processed_dir`` must hold a complete set prepared from this
    config (``allow_other_config`` accepts another config's tables). ``params``
    are ``NAME=VALUE`` texts (``-p``).
    """
    from workbench.prepare import TABLE_FILES
    from workbench.report import run_reports
    from workbench.store import check_prepared

    cfg = load_config(config)
    jobs = report_jobs(
        cfg, schedule=schedule, notebooks=notebooks, params=_parse_params(list(params or []))
    )
    if not jobs:
        raise WorkbenchError("nothing to render: the schedule names no notebook")
    notes = check_prepared(
        cfg.processed_dir,
        Path(cfg.path).resolve() if cfg.path else None,
        table_files=TABLE_FILES,
        allow_other_config=allow_other_config,
    )
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    out_dir = Path(out) if out is not None else cfg.reports_dir
    summary = run_reports(
        jobs,
        kernel_name=kernel or "python3",
        cwd=Path(cfg.path).resolve().parent if cfg.path else Path.cwd(),
        out_dir=out_dir,
        run_id=run_id,
        quiet=quiet,
        log_file=log_file,
        show_code=show_code,
        workers=workers,
        theme=theme or cfg.reports.theme,
    )
    ok = sum(r.status == "ok" for r in summary.results)
    _echo(f"{ok} of {len(summary.results)} reports rendered in {summary.run_dir}")
    _echo(f"open {summary.index_path}")
    return summary.exit_code


def run_demo(
    *,
    people: int,
    seed: int,
    quiet: bool = False,
    folder: Path | None = None,
    reports_dir: Path | None = None,
    notebooks: list[str] | None = None,
    kernel: str | None = None,
) -> int:
    """``workbench demo``: sample data -> prepare -> every report, in its own folders.

    Writes only under ``folder`` (default ``data/demo/``) and ``reports_dir``
    (default ``reports/demo/``), see :mod:`workbench.cli.demo`, so a user's project
    is never overwritten; the last line printed is the path of the index page.
    ``notebooks`` limits the reports (tests); ``kernel`` names the Jupyter kernel.
    """
    from workbench.cli.demo import DEMO_DIR, DEMO_REPORTS_DIR, write_demo_config

    started = time.perf_counter()
    folder = Path(folder) if folder is not None else DEMO_DIR
    config = write_demo_config(folder, reports_dir or DEMO_REPORTS_DIR)
    cfg = load_config(config)
    run_sample(out=cfg.data_dir, people=people, seed=seed)
    run_prepare(config=config, out=None, quiet=quiet)
    code = run_report(config=config, notebooks=notebooks, quiet=quiet, kernel=kernel)
    _echo(
        f"demo finished in {time.perf_counter() - started:.0f}s; its data is in {folder}, "
        f"its reports in {cfg.reports_dir}; the index page:"
    )
    _echo(str(cfg.reports_dir / "index.html"))
    return code
