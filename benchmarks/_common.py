"""Measurement and result bookkeeping shared by the benchmark scripts.

Importing this module puts the repository root on ``sys.path`` (so a script run as
``python benchmarks/bench_x.py`` imports the checkout's ``workbench``), then offers:

* timing: :func:`best_of` (fastest wall and CPU time of ``repeat`` runs) and
  :func:`alternating` (project and baseline run in turns; median seconds and the
  median of the per-round ratios, robust on a shared, loaded machine);
* memory, three methods that the benchmarks use on purpose and that do not give
  the same numbers:

  - :func:`measure_peak_rss`: in-process, exact; the kernel's high-water mark
    (``VmHWM``) is reset before the call (``bench_prepare``, per stage);
  - :func:`measure_sampled_rss`: in-process, the resident size sampled every
    5 ms by a psutil thread, in decimal MB (``bench_journeys``);
  - :func:`child_peak_mb` with :func:`report_child_peak`: one run in a fresh
    interpreter, so nothing else the parent holds counts (``bench_stitching``,
    ``bench_sample``);

  and their building blocks :func:`rss_bytes`, :func:`peak_rss_bytes`,
  :func:`reset_peak_rss` and :func:`release_memory`;
* bookkeeping: :func:`machine_facts` and :func:`write_result` into
  :data:`RESULTS` (``benchmarks/results/``, git-ignored) via :func:`results_path`.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "RESULTS",
    "ROOT",
    "Alternating",
    "Timing",
    "alternating",
    "best_of",
    "child_peak_mb",
    "machine_facts",
    "measure_peak_rss",
    "measure_sampled_rss",
    "peak_rss_bytes",
    "release_memory",
    "report_child_peak",
    "reset_peak_rss",
    "results_path",
    "rss_bytes",
    "write_result",
]

#: The repository root.
ROOT = Path(__file__).resolve().parent.parent
#: Where the benchmarks write their JSON results (git-ignored).
RESULTS = ROOT / "benchmarks" / "results"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_MB = 2**20


class Timing(NamedTuple):
    """The outcome of :func:`best_of`.

    Attributes
    ----------
    seconds : float
        Fastest wall time of the runs.
    cpu_seconds : float
        Fastest CPU time (``time.process_time``) of the runs.
    result : Any
        What the last run returned.
    """

    seconds: float
    cpu_seconds: float
    result: Any


def best_of(
    fn: Callable[..., Any],
    repeat: int = 1,
    *,
    collect: bool = False,
    setup: Callable[[], Any] | None = None,
) -> Timing:
    """Time ``repeat`` runs of ``fn`` and keep the fastest.

    Parameters
    ----------
    fn : callable
        Called with no argument, or with what ``setup`` returned.
    repeat : int, default 1
        How many runs.
    collect : bool, default False
        Run the garbage collector (untimed) before each run.
    setup : callable, optional
        Called (untimed) before each run, before the garbage collection; its
        result is passed to ``fn``.

    Returns
    -------
    Timing
        Fastest wall and CPU seconds (each the minimum over the runs) and the
        last run's result.
    """
    wall, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        args = () if setup is None else (setup(),)
        if collect:
            gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return Timing(wall, cpu, out)


class Alternating(NamedTuple):
    """The outcome of :func:`alternating`.

    Attributes
    ----------
    seconds : dict
        Median wall seconds per name.
    ratio : float
        Median over the rounds of ``seconds[project] / seconds[baseline]`` in that round.
    cpu_ratio : float
        The same with CPU seconds of the process (all threads): less sensitive to other
        processes on a loaded machine, but counts parallel sections once per thread.
    rounds : int
        How many rounds ran.
    results : dict
        What each function returned in the last round.
    """

    seconds: dict[str, float]
    ratio: float
    cpu_ratio: float
    rounds: int
    results: dict[str, Any]


def alternating(
    project: Callable[[], Any], baseline: Callable[[], Any], rounds: int = 5
) -> Alternating:
    """Run ``baseline`` and ``project`` in turns, ``rounds`` times each, in this process.

    The order flips every round and the garbage collector runs (untimed) before
    each call, so drifting load from other processes hits both alike; the ratio
    is the median of the per-round ratios project / baseline.
    """
    import statistics

    times: dict[str, list[float]] = {"project": [], "baseline": []}
    cpu: dict[str, list[float]] = {"project": [], "baseline": []}
    results: dict[str, Any] = {}
    pairs = [("baseline", baseline), ("project", project)]
    for r in range(rounds):
        for name, fn in pairs if r % 2 == 0 else pairs[::-1]:
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)

    def median_ratio(t: dict[str, list[float]]) -> float:
        return statistics.median(p / b for p, b in zip(t["project"], t["baseline"], strict=True))

    return Alternating(
        {k: statistics.median(v) for k, v in times.items()},
        median_ratio(times),
        median_ratio(cpu),
        rounds,
        results,
    )


def rss_bytes() -> int:
    """Resident size of this process now, in bytes.

    Returns
    -------
    int
        From ``/proc/self/statm``.

    Raises
    ------
    OSError
        Where there is no ``/proc`` (not Linux).
    """
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """Peak resident size of this process, in bytes.

    Returns
    -------
    int
        ``VmHWM`` from ``/proc/self/status`` (reset by :func:`reset_peak_rss`);
        ``ru_maxrss`` where that line is missing.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's peak resident size to the current one.

    Returns
    -------
    bool
        Whether it could (writing ``5`` to ``/proc/self/clear_refs``, Linux >= 4.0).
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def release_memory() -> None:
    """Give freed memory back to the OS, so the resident size is the live data.

    Runs the garbage collector, releases Arrow's unused pool memory and calls
    glibc's ``malloc_trim`` (skipped where libc is not glibc).
    """
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def measure_peak_rss(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Seconds and exact peak extra resident memory of ``fn()`` in this process.

    Freed memory is released first (:func:`release_memory`) and the peak reset
    (:func:`reset_peak_rss`), so the figure is the peak during the call minus
    the resident size at its start. Where the peak cannot be reset it is the
    growth of ``ru_maxrss``, which only counts a call that sets a new peak.

    Parameters
    ----------
    fn : callable
        Called once with no argument.

    Returns
    -------
    tuple of (float, float, Any)
        Wall seconds, peak extra MB (2**20 bytes, at least 0) and the result.
    """
    release_memory()
    try:
        before = rss_bytes()
        exact = reset_peak_rss()
    except OSError:
        before, exact = 0, False
    max_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t0
    if exact:
        extra = peak_rss_bytes() - before
    else:
        extra = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - max_before
    return secs, max(extra, 0) / _MB, out


def measure_sampled_rss(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Seconds and sampled peak resident growth of ``fn()`` in this process.

    A thread samples the resident size with psutil every 5 ms; the figure is
    the largest sample minus the size at the start (0 when psutil is missing).

    Parameters
    ----------
    fn : callable
        Called once with no argument.

    Returns
    -------
    tuple of (float, float, Any)
        Wall seconds, peak growth in decimal MB (1e6 bytes) and the result.
    """
    try:
        import psutil
    except ImportError:  # pragma: no cover
        psutil = None
    gc.collect()
    proc = psutil.Process() if psutil else None
    base = proc.memory_info().rss if proc else 0
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.005)

    thread = threading.Thread(target=sample) if proc else None
    if thread:
        thread.start()
    t = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t
    done.set()
    if thread:
        thread.join()
    return secs, (peak[0] - base) / 1e6, out


def report_child_peak(fn: Callable[[], Any]) -> None:
    """Run ``fn()`` once and print its peak extra resident memory as a JSON line.

    The child side of :func:`child_peak_mb`: collects garbage, notes the
    resident size, resets the peak (so what ran before does not count) and
    prints ``{"peak_extra_mb": ...}`` (2**20 bytes, at least 0) after the call.

    Parameters
    ----------
    fn : callable
        Called once with no argument.
    """
    gc.collect()
    start = rss_bytes()
    reset_peak_rss()
    fn()
    print(json.dumps({"peak_extra_mb": max(peak_rss_bytes() - start, 0) / _MB}))


def child_peak_mb(script: str | Path, args: Sequence[str]) -> float:
    """Peak extra resident memory of one run, measured in a fresh interpreter.

    Parameters
    ----------
    script : str or Path
        The benchmark script to run with this interpreter.
    args : sequence of str
        Its command-line arguments, selecting a child mode that ends with
        :func:`report_child_peak`.

    Returns
    -------
    float
        The ``peak_extra_mb`` of the child's last output line.

    Raises
    ------
    subprocess.CalledProcessError
        When the child fails.
    """
    cmd = [sys.executable, str(script), *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["peak_extra_mb"])


def machine_facts(*libraries: str, cpus: bool = True) -> dict[str, Any]:
    """The facts of this machine that a result should carry.

    Parameters
    ----------
    *libraries : str
        Importable modules whose ``__version__`` to include, in this order.
    cpus : bool, default True
        Include ``os.cpu_count()``.

    Returns
    -------
    dict
        ``python``, one key per library, ``machine`` and (optionally) ``cpus``,
        in that order.
    """
    facts: dict[str, Any] = {"python": platform.python_version()}
    for name in libraries:
        facts[name] = importlib.import_module(name).__version__
    facts["machine"] = platform.machine()
    if cpus:
        facts["cpus"] = os.cpu_count()
    return facts


def results_path(name: str) -> Path:
    """The path of the result file ``name`` in :data:`RESULTS`, creating the folder.

    Parameters
    ----------
    name : str
        File name, e.g. ``"bench_stitching.json"``.

    Returns
    -------
    Path
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    return RESULTS / name


def write_result(
    payload: dict[str, Any], path: str | Path, *, default: Callable[[Any], Any] | None = None
) -> Path:
    """Write a benchmark result as indented JSON.

    Parameters
    ----------
    payload : dict
        The result.
    path : str or Path
        Where to write it (see :func:`results_path`).
    default : callable, optional
        Passed to :func:`json.dumps` for values JSON cannot hold.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.write_text(json.dumps(payload, indent=2, default=default) + "\n")
    return path
