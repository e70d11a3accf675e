"""End to end: canonical touchpoints -> stitching -> journeys -> five rule models + Markov.

Times, in the same process and on the same synthesized rows (the identifier
structure of ``bench_stitching.synthesize`` plus a channel and timestamps
spread over a year):

* **project**: :func:`workbench.identity.stitch.stitch`, :func:`workbench.journeys.build.build_journeys`
  (90-day lookback), :func:`workbench.attribution.paths_from_journeys` and
  :func:`workbench.attribution.attribute` for ``first``, ``last``, ``linear``,
  ``time_decay``, ``position`` and ``markov:1`` (no per-touch credits, no details);
  ``paths_from_journeys`` reads the journey ids, channel and touch-type codes that
  ``build_journeys`` hands over (:mod:`workbench.journeys.handover`) instead of
  hashing those strings again, and validates the rest of the tables as any input;
* **baseline**, the leanest known one-process way to do the same steps: people
  by :func:`bench_stitching.lean_people` (integer identifier codes -- 64-bit
  hashes of the Arrow strings factorized as integers for millions of dense
  values, Arrow dictionary codes otherwise -- and
  ``scipy.sparse.csgraph.connected_components``; its docstring gives the
  alternatives measured); journeys by :func:`bench_journeys.lean_journeys`, the
  baseline ``bench_journeys`` times: the touches sorted by (person, time, row)
  with a stable counting sort by person (they come in time order here; else one
  packed ``np.sort``), one exact ``np.searchsorted`` per window bound (each
  conversion's lookback window, clipped at the person's previous conversion of
  the same type; non-converting journeys are a person's touches within the
  lookback before their last touch), checked before every run to give
  ``build_journeys``' journeys on 20,000 stitched rows (:func:`check_journeys`);
  rule credits with ``np.bincount``
  and ``reduceat``; the Markov input as ``np.bincount`` transitions and removal
  effects from one small linear solve per channel. No cleaning, blocking, ids,
  quarantine or output tables.

The baseline omits work the project must do (validation, blocking and
identifier limits, stable ids, tables), so the ratio project / baseline is an
upper bound on waste. On 50,000 rows the baseline's credits agree with the
project's within a few percent per channel (same totals); the differences come
from the project's identifier limits splitting shared devices.
Seconds are medians of ``--repeat`` rounds in which baseline and project run
in turns (order flipped each round); the ratio is the median of the per-round
ratios project / baseline. Peak memory is the exact peak resident growth of one
more run of each (``measure_peak_rss``: freed memory released and the kernel's
high-water mark reset first; a sampled growth read ~0 for the baseline, whose
arrays fit in memory the project had freed, and made the ratio meaningless).

Branch h3 (2026-12-04): the journeys step of the baseline is now
:func:`bench_journeys.lean_journeys`, shared with ``bench_journeys`` and checked
against ``build_journeys`` before every run. The step before (a stable
``np.argsort`` of packed (person, millisecond) keys -- numpy's timsort on int64 --
windows at millisecond resolution, clipped at the previous conversion of any type)
took 0.14-0.17 s CPU at 1M against 0.05-0.07 s now (a counting sort by person of
the time-ordered touches), so the baseline is leaner and the ratio rose. Same
session, 2 cores shared with other helpers (load average 3.9-4.6), ``--rows 1000000
--repeat 7 --stages``: this script **2.35x** (CPU 2.24x; baseline 0.51 s, project
1.20 s), peak 1.72x, stages CPU baseline / project: stitching 0.17 / 0.32, journeys
0.07 / 0.24, paths -- / 0.03, models 0.03 / 0.03; run right after, the script before
this change (old journeys step, this branch's workbench) 1.72x (CPU 1.77x), journeys
stage 0.17 / 0.23. An earlier pair (load 3.3-4.3, ``--repeat 5``): 2.33x (CPU 2.22x)
against 1.35x (CPU 1.55x). The project's ``build_journeys`` + ``paths_from_journeys``
of this branch took 0.85-0.98x the CPU of the code before on the stitched 1M rows
(``bench_journeys``' docstring). The 1.5x target is not met at 1M against this
baseline; 10M was not rerun.

Journeys stage after branch h2 (2026-12-03: counting sort of the time-ordered
touches by unit, unit ids sorted as integer words, fewer row-long temporaries, a
journey order without the four-key lexsort, the id hashing overlapped with the rest
of the tables; encoding channel and touch type on other threads during the sort was
tried and removed: under load it cost CPU and wall). The machine was shared with three other helpers'
benchmarks (load average 5-9), so the whole-pipeline figures below are noisy; the
change is best seen in one process, ``build_journeys`` + ``paths_from_journeys`` of
this branch and of the code before it (a renamed copy), alternating, on the same
stitched rows (medians of 5 rounds at 10M, 7-9 at 1M):

==========  =====================  =====================  ===============  =========
rows        journeys CPU before    journeys CPU after     wall after/bef.  paths CPU
==========  =====================  =====================  ===============  =========
1,000,000   0.29 / 0.26 s          0.27 / 0.21 s          0.90 / 0.86      0.04->0.03
10,000,000  4.83 / 4.44 s          3.21 / 3.02 s          0.52 / 0.60      0.44->0.34
==========  =====================  =====================  ===============  =========

(two runs each, load 5.1-5.6 and 7-9; a third at 10M, load 3.6-4.9: 5.05 -> 3.30 s;
with the machine quieter, 2.3 s). The final code, ``--repeat 5 --stages`` at 1M (load
2.7-2.8): 1.87x wall, 2.04x CPU, peak 1.66x; stages CPU baseline / project:
stitching 0.18 / 0.40, journeys 0.18 / 0.26, paths -- / 0.04, models 0.03 / 0.03
(at load 6.5-6.8: 2.16x wall, 1.73x CPU).
``--repeat 3 --stages`` at 10M (load 2.5-4.1): medians 7.50 s / 16.88 s, median
round ratio 1.34x wall (the rounds disagree: load), 1.62x CPU, peak 1.63x; stages CPU
(one more run each): stitching 2.41 / 5.74, journeys 2.46 / 4.85, paths -- / 0.34,
models 0.31 / 0.24. At load 6.2-8.1 (baseline 40 s wall against ~12 s idle): 1.57x
wall, 1.80x CPU, peak 1.65x; stages journeys 3.04 / 5.24. The code
before this branch, same command at 10M, load 4.3: 2.14x wall, 1.74x CPU; stages
journeys 2.30 / 3.46 (the branch half done, run right after it at load 4.3-5.7: 1.76x
CPU, the wall ratio meaningless as the load slowed the baseline). The 1.5x target is still not met: stitching (other branch) and
the journey tables the baseline does not build.

Last measured on the idle machine after merging this session's branches (2026-12-03
22:24-22:26 UTC, load average 1.3-2.5; one run each): ``--rows 1000000 --repeat 5
--stages`` baseline 0.35 s, project 0.54 s, **1.64x** (CPU 1.72x), peak 1.84x; stages
CPU baseline / project: stitching 0.16 / 0.27, journeys 0.19 / 0.26, paths -- / 0.04,
models 0.03 / 0.03. ``--rows 10000000 --repeat 3 --stages`` baseline 5.84 s, project
9.30 s, **1.53x** (CPU 1.58x), peak 1.88x (the baseline's sparse identifier columns
are now encoded without their nulls, so its peak fell); stages: stitching 2.75 /
4.51, journeys 3.35 / 4.77, paths -- / 0.36, models 0.35 / 0.23. Run again right
after (22:34 UTC, load 1.1-1.2): 10M **1.42x** (CPU 1.48x; 4.93 s against 6.84 s),
peak 1.92x; 1M ``--repeat 7`` 1.63x (CPU 1.68x). The 1.5x target: not met at 1M
(1.63-1.64x), at its edge at 10M (1.42-1.53x).

Measured before that on the idle machine (2026-12-03, merged main, the argsort baseline
above, ``--repeat 5`` at 1M and ``--repeat 3`` at 10M, ``--stages``; load average 1.1-2.4):

==========  =========  =========  ===========  ==========  =====
rows        baseline   project    time ratio   CPU ratio   peak
==========  =========  =========  ===========  ==========  =====
1,000,000   0.38 s     0.70 s     2.01x        1.97x       1.60x
10,000,000  12.44 s    24.78 s    1.98x        1.98x       1.60x
==========  =========  =========  ===========  ==========  =====

Per stage (CPU s of one more run, baseline / project): at 1M stitching 0.17 / 0.32,
journeys 0.20 / 0.31, paths -- / 0.04, models 0.03 / 0.03; at 10M stitching 2.51 / 9.60,
journeys 6.77 / 12.69, paths -- / 0.36, models 0.43 / 0.23. The 1.5x target is not met;
the gap is stitching (Arrow's exact dictionary encoding against the baseline's 64-bit
hashes) and the journey tables the baseline does not build. With the ``np.lexsort``
journeys baseline the same day: 2.10x at 1M (CPU 2.08x, load 2.5).

Earlier the same day (branch h2, 2 cores shared with other helpers' jobs,
load average 3.6-6.3; on such a machine single runs of the ratio move by +-0.3
at 1M and more at 10M), ``python benchmarks/bench_e2e.py --rows N --repeat R
--stages``:

==========  ======  =========  =========  ===========  ==========  =====  ========
rows        repeat  baseline   project    time ratio   CPU ratio   peak   load
==========  ======  =========  =========  ===========  ==========  =====  ========
1,000,000   5       0.70 s     1.22 s     1.83x        1.79x       1.93x  5.3-6.3
1,000,000   5       0.78 s     2.43 s     1.90x        1.65x       1.82x  3.6-3.8
10,000,000  3       7.77 s     22.48 s    2.18x        2.43x       2.06x  4.0-6.2
==========  ======  =========  =========  ===========  ==========  =====  ========

Per stage (CPU / wall seconds of one more run of each; ``--stages``):

==========  ===========  ============  ============  ======  ===========
rows        side         stitching     journeys      paths   models
==========  ===========  ============  ============  ======  ===========
1,000,000   baseline     0.20 / 0.55   0.16 / 0.47   --      0.02 / 0.07
1,000,000   project      0.38 / 1.19   0.53 / 1.68   0.04    0.04 / 0.11
1,000,000   baseline     0.29 / 0.59   0.21 / 0.41   --      0.03 / 0.07
1,000,000   project      0.65 / 1.43   0.71 / 1.71   0.04    0.04 / 0.04
10,000,000  baseline     2.57 / 5.83   4.06 / 11.26  --      0.33 / 0.82
10,000,000  project      8.39 / 22.53  6.03 / 15.65  0.30    0.22 / 0.47
==========  ===========  ============  ============  ======  ===========

The earlier figures (1.71x at 1M, 1.18-1.26x at 10M) were against a baseline
whose people step was slower than the project's stitching at 10M (8.5 s against
6.0 s wall on the idle machine): it cast the identifier columns to ``string``,
kept ``int64`` codes shifted by ``np.where`` per type and found each row's node
by chained ``np.where`` -- 10M-row copies that cost up to 1.7 s each under memory
pressure -- and dictionary-encoded 10M dense anonymous ids (2.8-3.8 s) where
hashing them takes 1.4 s. The people step is now :func:`bench_stitching.lean_people`,
3.3x faster than the project's stitching at 10M in the run above (2.57 s
against 8.39 s CPU), so the 10M ratio is no longer flattered. The same command
on the code before this change (main at bc620c4, old baseline, load 3.7-4.0)
gave 2.19x (CPU 2.30x) at 1M.

Usage::

    python benchmarks/bench_e2e.py --rows 1000000 10000000 [--stages]

Idle machine after the merge of issue 16's fourth round (2026-12-04 01:20-01:22 UTC, load
average 0.7-0.9, one run each; the same-work ``lean_journeys`` baseline): ``--rows 1000000 --repeat 5
--stages`` baseline 0.15 s, project 0.40 s, **2.56x** (CPU 2.82x), peak 2.11x; stages CPU baseline /
project: stitching 0.09 / 0.18, journeys 0.03 / 0.18, paths -- / 0.03, models 0.02 / 0.03.
``--rows 10000000 --repeat 3 --stages`` baseline 2.51 s, project 5.98 s, **2.24x** (CPU 2.37x), peak
2.46x; stages: stitching 1.53 / 2.43, journeys 0.66 / 2.72, paths -- / 0.18, models 0.26 / 0.18.
The 1.5x target is not met; the journeys stage (ids, paths and tables the baseline does not
build) is now the largest gap.

Branch h1 (2026-12-04 12:17-12:20 UTC, load average 5-10 from other helpers' jobs, one run each
in turn): ``--rows 10000000 --repeat 3 --stages`` h1 **1.86x** (CPU 1.88x), journeys stage CPU
baseline / project 0.55 / 1.33 s; main (01f23d2 + README) 2.15x (CPU 2.08x), journeys 0.53 / 1.35
s. At that load single runs differ by more than the change: ``build_journeys`` alone, main and
h1 alternating in one process, CPU 1.57 / 1.50 s at 10M, 0.136 / 0.126 s at 1M (see
``bench_journeys``).

Idle machine, 2026-12-04 12:50-13:03 UTC (load 0.6-1.3), after Arrow moved to the system
allocator (``workbench._memory``) and the fifth round's branches: 10M ``--repeat 3`` five runs
1.55x, 1.82x, 1.88x, 2.01x, 2.12x (project 3.98-6.39 s, baseline 2.18-3.10 s: the machine's speed
drifted); 1M ``--repeat 5 --stages`` 1.98x (CPU 2.05x) and 2.30x. Same session, pool against pool
at 10M: mimalloc project 6.50 s / baseline 2.86 s, system 4.03 / 2.18 s (and at 11:24, before the
branches: 6.39 / 3.87 s against 3.98 / 2.05 s).
"""

from __future__ import annotations

import argparse
import gc
import time
import warnings

import _lean_journeys
import bench_stitching
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from _common import alternating, measure_peak_rss
from _lean_journeys import check_lean, ts_us
from bench_stitching import _arrow, synthesize

from workbench._strhash import unified
from workbench.attribution import attribute, paths_from_journeys
from workbench.attribution.inputs import TOUCHLESS_WARNING
from workbench.config import IdentityConfig
from workbench.identity.stitch import stitch
from workbench.journeys.build import build_journeys

CHANNELS = np.array([f"Channel {i}" for i in range(10)])
RULE_MODELS = ("first", "last", "linear", "time_decay", "position")
LOOKBACK_DAYS = 90
DAY_US = 86_400 * 1_000_000


def make_data(n_rows: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """``bench_stitching.synthesize`` plus channels and times spread over a year."""
    data = synthesize(n_rows, seed)
    rng = np.random.default_rng(seed + 1)
    t0 = pd.Timestamp("2026-01-01", tz="UTC").value // 1000
    year = 365 * DAY_US

    def stamps(k: int) -> pd.Series:
        us = t0 + np.sort(rng.integers(0, year, k))
        return pd.Series(us.view("datetime64[us]")).dt.tz_localize("UTC")

    tp, cv = data["touchpoints"], data["conversions"]
    tp["ts"] = stamps(len(tp))
    tp["channel"] = pd.Series(pa.array(CHANNELS[rng.integers(0, 10, len(tp))]), dtype="str")
    cv["ts"] = stamps(len(cv))
    return data


class Stages:
    """CPU and wall seconds per stage of one run (``with stages("name"): ...``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, tuple[float, float]] = {}
        self._name = ""

    def __call__(self, name: str) -> Stages:
        self._name = name
        return self

    def __enter__(self) -> None:
        self._start = (time.process_time(), time.perf_counter())

    def __exit__(self, *exc: object) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        self.seconds[self._name] = (cpu - self._start[0], wall - self._start[1])


# --- project ------------------------------------------------------------------
def project(data: dict[str, pd.DataFrame], stages: Stages | None = None) -> dict[str, pd.DataFrame]:
    """The project's pipeline; returns credits per model."""
    stages = stages or Stages()
    config = IdentityConfig(blocked_values=("guest",), test_ids=("test-user-001",))
    with stages("stitching"):
        res = stitch(data["touchpoints"], data["conversions"], data["links"], config)
    with stages("journeys"):
        js = build_journeys(res.touchpoints, res.conversions, lookback_days=LOOKBACK_DAYS)
    with stages("paths"):
        paths = paths_from_journeys(js.touches, js.journeys)
    with stages("models"):
        return {
            m: attribute(paths, m, with_touches=False, with_details=False).credits
            for m in (*RULE_MODELS, "markov:1")
        }


# --- baseline -----------------------------------------------------------------
def lean_people(data: dict[str, pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    """Component label per touchpoint and conversion row (-1: no identifier).

    The people step of ``bench_stitching`` (:func:`bench_stitching.lean_people`).
    """
    people_tp, people_cv, _ = bench_stitching.lean_people(data)
    return people_tp.astype(np.int64), people_cv.astype(np.int64)


def lean_journeys(
    data: dict[str, pd.DataFrame], person_tp: np.ndarray, person_cv: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Touch rows, journey index per touch, journey lengths, converted flags, days.

    The journeys of ``build_journeys`` by :func:`bench_journeys.lean_journeys` (the
    same function ``bench_journeys`` times); days to conversion of the converting
    journeys' touches (they come first).
    """
    tp, cv = data["touchpoints"], data["conversions"]
    ts, cts = ts_us(tp["ts"]), ts_us(cv["ts"])
    ctype = pc.dictionary_encode(pa.array(cv["conversion_type"].array)).indices
    lj = _lean_journeys.lean_journeys(
        person_tp, ts, person_cv, cts, ctype.to_numpy(zero_copy_only=False),
        LOOKBACK_DAYS * DAY_US,
    )  # fmt: skip
    n_conv = int(lj.length[lj.converted].sum())
    days = (lj.end_ts[lj.journey[:n_conv]] - ts[lj.rows[:n_conv]]) / DAY_US
    return lj.rows, lj.journey, lj.length, lj.converted, days


def lean_credits(channel: np.ndarray, path: np.ndarray, lengths: np.ndarray, converted, days):
    """Five rule models and Markov order 1 on the flat arrays; channel credits each."""
    k = len(CHANNELS)
    conv_touch = converted[path]
    ch, pth, n = channel[conv_touch], path[conv_touch], lengths[converted]
    n_conv = int((n > 0).sum())
    live = n > 0
    starts = np.r_[0, np.cumsum(n)[:-1]][live]
    ends = starts + n[live] - 1
    pos = np.arange(len(ch)) - np.repeat(np.r_[0, np.cumsum(n)[:-1]], n)
    nt = n[pth]
    out = {
        "first": np.bincount(ch[starts], minlength=k),
        "last": np.bincount(ch[ends], minlength=k),
        "linear": np.bincount(ch, weights=1.0 / nt, minlength=k),
    }
    w = 0.5 ** (days / 7.0)
    wsum = np.add.reduceat(w, starts) if len(starts) else w[:0]
    out["time_decay"] = np.bincount(ch, weights=w / np.repeat(wsum, n[live]), minlength=k)
    mid = np.where(nt > 2, 0.2 / np.maximum(nt - 2, 1), 0.0)
    edge = np.where(nt == 1, 1.0, np.where(nt == 2, 0.5, 0.4))
    pw = np.where((pos == 0) | (pos == nt - 1), edge, mid)
    out["position"] = np.bincount(ch, weights=pw, minlength=k)
    # Markov order 1: states 0..k-1 channels, k start, k+1 conversion, k+2 null
    first_at = np.r_[0, np.cumsum(lengths)[:-1]]
    prev = np.r_[k, channel[:-1]]
    prev[first_at[lengths > 0]] = k
    src = np.r_[prev, np.where(lengths > 0, channel[first_at + lengths - 1], k)[lengths > 0]]
    dst = np.r_[channel, np.where(converted, k + 1, k + 2)[lengths > 0]]
    s = k + 3
    counts = np.bincount(src * s + dst, minlength=s * s).reshape(s, s).astype(float)
    out["markov:1"] = _removal_effects(counts, k) * n_conv
    return out


def _removal_effects(counts: np.ndarray, k: int) -> np.ndarray:
    rows = counts.sum(1, keepdims=True)
    p = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)

    def conv_prob(removed: int | None) -> float:
        q = p[: k + 1, : k + 1].copy()
        r = p[: k + 1, k + 1].copy()
        if removed is not None:
            q[:, removed] = 0.0
            r[removed] = 0.0
        x = np.linalg.solve(np.eye(k + 1) - q, r)
        return float(x[k])

    base = conv_prob(None)
    effect = np.array([1.0 - conv_prob(c) / base if base else 0.0 for c in range(k)])
    return effect / effect.sum() if effect.sum() else effect


def baseline(data: dict[str, pd.DataFrame], stages: Stages | None = None) -> dict[str, np.ndarray]:
    """The lean pipeline: integer people, sorted journeys, numpy credits."""
    stages = stages or Stages()
    with stages("stitching"):
        person_tp, person_cv = lean_people(data)
    with stages("journeys"):
        at, path, lengths, converted, days = lean_journeys(data, person_tp, person_cv)
    with stages("models"):
        channel = data["touchpoints"]["channel"]
        enc = unified(pc.dictionary_encode(pa.chunked_array(_arrow(channel))))
        idx = pa.chunked_array([c.indices for c in enc.chunks], type=enc.type.index_type)
        names = enc.chunk(0).dictionary.to_numpy(zero_copy_only=False)
        to_vocab = np.searchsorted(CHANNELS, names)  # CHANNELS is sorted: credits in its order
        return lean_credits(to_vocab[idx.to_numpy()][at], path, lengths, converted, days)


def print_stages(n: int, data: dict[str, pd.DataFrame]) -> None:
    """One more run of each, timed per stage (CPU and wall seconds)."""
    for name, fn in (("baseline", baseline), ("project", project)):
        stages = Stages()
        gc.collect()
        fn(data, stages)
        cells = ", ".join(f"{k} {c:.2f}/{w:.2f}" for k, (c, w) in stages.seconds.items())
        print(f"{n:>12,} {name:>9} stages CPU/wall s: {cells}")


def check_journeys(n_rows: int = 20_000) -> None:
    """The baseline's journeys are ``build_journeys``' on stitched rows (small, untimed).

    :func:`bench_journeys.check_lean` on the stitched tables (touches in time
    order, as here): the same touch rows per conversion and the same counts.
    """
    data = make_data(n_rows)
    config = IdentityConfig(blocked_values=("guest",), test_ids=("test-user-001",))
    res = stitch(data["touchpoints"], data["conversions"], data["links"], config)
    check_lean(res.touchpoints, res.conversions, LOOKBACK_DAYS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="alternating rounds; medians kept")
    parser.add_argument("--stages", action="store_true", help="also one run timed per stage")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=TOUCHLESS_WARNING)  # the synthetic data has some
    check_journeys()
    print(f"{'rows':>12} {'step':>9} {'seconds':>9} {'peak MB':>9}")
    for n in args.rows:
        data = make_data(n, args.seed)
        timed = alternating(lambda d=data: project(d), lambda d=data: baseline(d), args.repeat)
        b_s, p_s = timed.seconds["baseline"], timed.seconds["project"]
        _, b_mb, _ = measure_peak_rss(lambda d=data: baseline(d))
        _, p_mb, _ = measure_peak_rss(lambda d=data: project(d))
        print(f"{n:>12,} {'baseline':>9} {b_s:>9.2f} {b_mb:>9.0f}")
        print(f"{n:>12,} {'project':>9} {p_s:>9.2f} {p_mb:>9.0f}")
        print(
            f"{n:>12,} ratio project/baseline: time {timed.ratio:.2f}x "
            f"(CPU {timed.cpu_ratio:.2f}x; medians of {timed.rounds} rounds), "
            f"peak {p_mb / b_mb:.2f}x"
        )
        if args.stages:
            print_stages(n, data)
        del data
        gc.collect()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
