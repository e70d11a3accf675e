"""Benchmark of ``workbench report`` on the demo sample against empty notebook runs.

Generates the demo sample (``--people``, seeded) and prepares it into a
temporary folder, then times:

- the demo's report phase, ``workbench report`` on every bundled notebook
  (the jobs of ``workbench demo``), with the default workers (the available
  cores) and with ``--jobs 1``; each run renders every HTML page and the index;
- the baseline: the same number of runs of an *empty* notebook (a
  ``parameters`` cell only) through plain Papermill, one after another, each in
  a fresh kernel, which is the floor a one-kernel-per-report runner pays
  before doing any work.

The printed ratio is report time / baseline time (issue 16's target: <= 2).
Timings are single runs (``--repeat`` takes the fastest): a shared, loaded
machine moves them by tens of percent, so say so when quoting them. Writes JSON
to ``benchmarks/results/``.

Run: ``python benchmarks/bench_reports.py --people 3000``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from _common import machine_facts, results_path, write_result

from workbench.cli.commands import load_config, report_jobs, run_prepare, run_report, run_sample
from workbench.cli.demo import write_demo_config
from workbench.report.pool import default_workers


def time_reports(config: Path, out: Path, jobs: int | None, repeat: int) -> float:
    """Fastest wall time of ``workbench report`` (quiet) with ``jobs`` workers."""
    best = float("inf")
    for i in range(repeat):
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = run_report(
                config=config,
                out=out,
                run_id=f"bench-{jobs or 'auto'}-{i}",
                quiet=True,
                workers=jobs,
            )
        best = min(best, time.perf_counter() - t0)
        if code != 0:
            raise SystemExit(f"workbench report failed (exit {code}); see {out}")
    return best


def time_empty_runs(n: int, folder: Path, repeat: int) -> float:
    """Fastest wall time of ``n`` empty-notebook Papermill runs, each in a fresh kernel."""
    import papermill

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x: int = 1", metadata={"tags": ["parameters"]})]
    source = folder / "empty.ipynb"
    nbformat.write(nb, source)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(n):
            papermill.execute_notebook(
                str(source),
                str(folder / f"empty_out_{i}.ipynb"),
                parameters={"x": i},
                kernel_name="python3",
                language="python",
                progress_bar=False,
                log_output=False,
                cwd=str(folder),
            )
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000, help="demo size (default 3000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (fastest)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_reports_") as tmp:
        folder = Path(tmp)
        config = write_demo_config(folder / "demo", folder / "reports")
        cfg = load_config(config)
        with contextlib.redirect_stdout(io.StringIO()):
            run_sample(out=cfg.data_dir, people=args.people, seed=args.seed)
            run_prepare(config=config, out=None, quiet=True)
        n = len(report_jobs(cfg, schedule=None, notebooks=None, params={}))
        workers = default_workers(n)
        empty = time_empty_runs(n, folder, args.repeat)
        print(f"  {n} empty papermill runs: {empty:.1f} s", flush=True)
        auto = time_reports(config, folder / "reports", None, args.repeat)
        print(f"  workbench report ({workers} workers): {auto:.1f} s", flush=True)
        one = time_reports(config, folder / "reports", 1, args.repeat)
        print(f"  workbench report --jobs 1: {one:.1f} s", flush=True)

    rows = {
        "reports": n,
        "workers": workers,
        "report_seconds": round(auto, 2),
        "report_jobs1_seconds": round(one, 2),
        "empty_papermill_seconds": round(empty, 2),
        "ratio": round(auto / empty, 2),
        "ratio_jobs1": round(one / empty, 2),
    }
    print(f"{n} reports on the demo sample ({args.people} people)")
    print(f"  workbench report, {workers} worker(s):  {auto:6.1f} s")
    print(f"  workbench report --jobs 1:        {one:6.1f} s")
    print(f"  {n} empty papermill runs:          {empty:6.1f} s")
    print(f"  ratio report / empty runs: {auto / empty:.2f} (--jobs 1: {one / empty:.2f})")
    write_result(
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_facts(),
            "people": args.people,
            "results": rows,
        },
        results_path("bench_reports.json"),
    )


if __name__ == "__main__":
    main()
