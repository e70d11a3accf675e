"""End to end: canonical touchpoints -> stitching -> journeys -> five rule models + Markov.

**What is timed.** Both sides run in one process on the same synthesized rows
(:func:`make_data`: the identifier structure of ``bench_stitching.synthesize`` plus a
channel and timestamps spread over a year):

* **project** (:func:`project`): :func:`workbench.identity.stitch.stitch`,
  :func:`workbench.journeys.build.build_journeys` (90-day lookback),
  :func:`workbench.attribution.paths_from_journeys` and
  :func:`workbench.attribution.attribute` for ``first``, ``last``, ``linear``,
  ``time_decay``, ``position`` and ``markov:1`` (no per-touch credits, no details);
  ``paths_from_journeys`` reads the journey ids, channel and touch-type codes that
  ``build_journeys`` hands over (:mod:`workbench.journeys.handover`) instead of
  hashing those strings again, and validates the rest of the tables as any input;
* **baseline** (:func:`baseline`), the leanest known one-process way to do the same
  steps: people by :func:`bench_stitching.lean_people` (integer identifier codes --
  64-bit hashes of the Arrow strings factorized as integers for millions of dense
  values, Arrow dictionary codes otherwise -- and
  ``scipy.sparse.csgraph.connected_components``); journeys by
  :func:`_lean_journeys.lean_journeys`, the baseline ``bench_journeys`` times: the
  touches sorted by (person, time, row) with a stable counting sort by person (they
  come in time order here; else one packed ``np.sort``), one exact
  ``np.searchsorted`` per window bound (each conversion's lookback window, clipped at
  the person's previous conversion of the same type; non-converting journeys are a
  person's touches within the lookback before their last touch), checked before
  every run to give ``build_journeys``' journeys on 20,000 stitched rows
  (:func:`check_journeys`); rule credits with ``np.bincount`` and ``reduceat``; the
  Markov input as ``np.bincount`` transitions and removal effects from one small
  linear solve per channel. No cleaning, blocking, ids, quarantine or output tables.

**Why this baseline** (alternatives measured and dropped; the people and journeys
steps' own alternatives are in ``bench_stitching``'s and ``bench_journeys``'
docstrings):

* people by Arrow ``dictionary_encode`` of string-cast columns, ``int64`` codes
  shifted per type by ``np.where`` and rows' nodes by chained ``np.where``: slower
  than the project's stitching at 10M (8.5 s against 6.0 s wall; its 10M-row copies
  cost up to 1.7 s each, encoding 10M dense anonymous ids 2.8-3.8 s against 1.4 s
  hashed);
* journeys by a stable ``np.argsort`` of packed (person, millisecond) keys (numpy's
  timsort on int64), windows clipped at the previous conversion of any type: 0.14-0.17
  s CPU at 1M against 0.05-0.07 s for the counting sort of the time-ordered touches,
  and not quite the project's journeys.

**What the figures mean.** The baseline omits work the project must do (validation,
blocking and identifier limits, stable ids, tables), so the ratio project / baseline
is an upper bound on waste. On 50,000 rows the baseline's credits agree with the
project's within a few percent per channel (same totals); the differences come from
the project's identifier limits splitting shared devices. Seconds are medians of
``--repeat`` rounds in which baseline and project run in turns (order flipped each
round); the ratio is the median of the per-round ratios project / baseline, in wall
and CPU time. Peak memory is the exact peak resident growth of one more run of each
(``measure_peak_rss``: freed memory released and the kernel's high-water mark reset
first; a sampled growth read ~0 for the baseline, whose arrays fit in memory the
project had freed). ``--stages`` adds one more run of each timed per stage (CPU /
wall seconds).

Usage::

    python benchmarks/bench_e2e.py --rows 1000000 10000000 [--repeat 5] [--stages]

**Latest figures**, idle machine, 2026-12-04 14:57-15:01 UTC (load 0.9-1.3), main after
issue 16's sixth round (branch h2: journeys): ``--rows 1000000 --repeat 5 --stages``
**2.15x** (CPU 2.20x; peak 1.29x; stages CPU s baseline / project: stitching 0.09 / 0.17,
journeys 0.04 / 0.12, paths -- / 0.02, models 0.02 / 0.02); ``--rows 10000000 --repeat 3
--stages`` **1.62x** (CPU 1.67x; baseline 2.60 s, project 4.06 s; peak 1.47x; stages
stitching 1.39 / 2.31, journeys 0.55 / 1.56, paths -- / 0.25, models 0.23 / 0.50), a second
run 1.86x, and the session's other runs of the same code 1.85x, 1.89x, 1.98x (14:46-14:53,
load 1.0-2.6). Issue 16's target (1.5x) is not met: the journey ids, paths and tables the
baseline does not build, and stitching's per-person SHA-256 ids and exactness check, are
most of the gap.

History of the figure (one line per change): ``benchmarks/HISTORY.md``.
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

    The journeys of ``build_journeys`` by :func:`_lean_journeys.lean_journeys` (the
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

    :func:`_lean_journeys.check_lean` on the stitched tables (touches in time
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
