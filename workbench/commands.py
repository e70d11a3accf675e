"""What each ``workbench`` subcommand does; the CLI module only parses arguments."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from workbench.config import load_config
from workbench.errors import WorkbenchError
from workbench.paths import SAMPLE_DIR

__all__ = ["run_prepare", "run_sample"]


def _echo(message: str) -> None:
    print(message, flush=True)


def run_sample(*, out: Path | None, people: int, seed: int) -> int:
    """``workbench sample``: write the synthetic exports and their ground truth."""
    from workbench.sample import generate_sample

    if people < 1:
        raise WorkbenchError(f"--people {people}: expected a whole number >= 1")
    out_dir = Path(out) if out is not None else SAMPLE_DIR
    started = time.perf_counter()
    summary = generate_sample(out_dir, people=people, seed=seed)
    _echo(
        f"wrote the sample ({people:,} people, seed {seed}) to {out_dir} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    for line in _summary_lines(summary):
        _echo(f"  {line}")
    return 0


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


def run_prepare(*, config: Path | None, out: Path | None, quiet: bool = False) -> int:
    """``workbench prepare``: read, validate, group channels, stitch, write Parquet."""
    from workbench.prepare import prepare, write_prepared
    from workbench.quarantine import quarantine_summary

    cfg = load_config(config)
    out_dir = Path(out) if out is not None else cfg.processed_dir
    started = time.perf_counter()
    prepared = prepare(cfg, progress=None if quiet else _echo)
    write_prepared(prepared, out_dir)
    _echo(
        f"prepared {len(cfg.sources)} sources in {time.perf_counter() - started:.1f}s -> {out_dir}"
    )
    for metric, value in prepared.summary().itertuples(index=False):
        shown = f"{value:.1%}" if isinstance(value, float) else f"{value:,}"
        _echo(f"  {metric}: {shown}")
    q = quarantine_summary(prepared.quarantine)
    if len(q):
        _echo("  quarantined by reason:")
        for source, reason, rows in q.itertuples(index=False):
            _echo(f"    {rows:>6,}  {source}: {reason}")
    for warning in prepared.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
