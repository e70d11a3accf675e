"""Benchmark :func:`workbench.journeys.build.build_journeys` against a numpy baseline.

The baseline builds **the same journeys** in the leanest known way, as plain numpy
on the same rows in the same process (:func:`baseline`, :func:`lean_journeys`):
integer person codes (below); the touches sorted by (person, time, row) -- a
stable counting sort by person when they come in time order (exports; pandas'
Cython ``groupsort_indexer``), else one ``np.sort`` of int64 values packing
(person code, time bucket, row), no argsort and no gather of keys, ties in a
bucket put in time order; then one exact ``np.searchsorted`` per window bound:
each conversion's touches with ``ts - lookback <= ts <= conversion ts`` after the
person's previous conversion of the same type (zero-touch conversions kept), and
for each person with touches and no conversion one journey of the touches within
the lookback before their last touch. It returns, per journey touch, the input row
and journey index, and per journey start, length, converted flag, conversion row
and end time. It builds no ids, paths, strings or tables, and does not order the
journeys by person id: the ratio project / baseline is the cost of those outputs
and of any waste. :func:`check_baselines` proves the sameness before every run:
on 20,000 rows (string and categorical person ids, times cut to whole hours so
touches fall exactly on window bounds and share times) the baseline and
``build_journeys`` give the same touch rows for every conversion, the same
non-converting touches and the same counts of journeys, converting and zero-touch
ones. ``bench_e2e`` times the same :func:`lean_journeys` as its journeys step.

Until 2026-12-04 the baseline only grouped the touches per person (the packed sort
and ``reduceat``: no windows, no conversions), less work than ``build_journeys``,
so its ratio did not measure waste alone. That grouping is still printed, labelled
``sort floor``, and so is the grouping issue 16 named, ``np.lexsort((ts, code))``
and ``reduceat`` (``lexsort group``; 1.7-3x slower than the packed sort at 1M
rows, so its figure flatters the project). Both floors are checked to give the
same groups. On random-order touches the journeys cost the baseline little beyond
the sort (the windows are binary searches of the conversions), so its time is
close to the sort floor's.

Two inputs, each against its own baseline (``--inputs``, both by default):

* ``string``: ``person_id`` as Arrow strings; the baseline dictionary-encodes
  them in Arrow (C++ hashing on the string buffers, no Python strings);
* ``categorical``: ``person_id`` as a pandas ``Categorical`` (categories the
  person ids, codes the person numbers), as stitching hands it over; the
  baseline uses the codes as they are.

Run::

    .venv/bin/python benchmarks/bench_journeys.py --rows 1000000 10000000 \
        [--repeat 5] [--lookback 90] [--inputs string categorical]

(defaults: 1,000,000 and 10,000,000 rows, 5 rounds, 90 days; the data spans a
year, so ``--lookback 365`` puts nearly every touch into a journey). The baseline,
then each floor, and ``build_journeys`` run in turns (order flipped each round) in
the same process; prints median seconds, the median of the per-round ratios
build_journeys / baseline (wall and CPU), the same ratios to the two floors, and
the peak resident memory above the starting point of one more run of the baseline
and of ``build_journeys``, sampled every 5 ms with psutil (0 when psutil is
missing); writes ``benchmarks/results/bench_journeys.json``.

Against the same-work baseline (branch h3, 2026-12-04; 2 cores shared with other
helpers' benchmarks, so single figures move by +-0.5), ``--rows 1000000 --repeat 7``:
at 00:17 UTC (load average 4.2-4.6) string input **2.70x** (CPU 2.58x), sort floor
2.53x (CPU 2.31x), lexsort figure 1.29x (CPU 1.20x); categorical input **4.28x** (CPU
4.43x), sort floor 3.88x (CPU 4.47x), lexsort figure 1.48x (CPU 1.45x). At 00:07 (load
3.6-3.9; the string baseline then still encoded both tables' ids together, ~1.7x
slower for that step): string 2.15x (CPU 2.28x), categorical 3.58x (CPU 3.59x).
``--rows 10000000 --repeat 3`` at 00:19-00:24 (load 3.3-3.9): string **2.20x** (CPU
1.97x), sort floor 1.86x (CPU 1.82x), lexsort figure 0.76x (CPU 0.99x); categorical
**4.21x** (CPU 4.59x), sort floor 4.35x (CPU 5.39x), lexsort figure 1.11x (CPU 1.11x).
At 00:08-00:13 (load 3.4-4.2, the baseline before its last two speed-ups: both
tables' ids encoded together, the codes gathered and the keys built twice): string
1.85x (CPU 1.95x), categorical 2.93x (CPU 3.61x).
The 1.5x target is not met: ``build_journeys`` builds the ids, paths, touches and
journeys tables that the baseline does not (profile at 1M, categorical, CPU: the
touches' text columns and the journey ids ~150 ms of ~390 ms, the (unit, time) sort
~70 ms, attributes and the journeys table ~60 ms). The changes of branch h3 to
``build_journeys`` (channel and touch-type codes from the taken rows only, the
excluded-touch count from the same row mask, no ``fill_null`` copy when nothing is
missing) and ``paths_from_journeys`` (no float round trip of integer positions, no
per-touch marker search without marker touches): CPU of the code before / after in
one process, alternating, medians of 9 rounds, load 3.3-4.2 --
``bench_e2e`` stitched rows 0.17-0.19 / 0.15-0.20 s (ratio of rounds 0.85-0.98),
paths 0.026-0.034 / 0.021-0.030 s (0.74-0.86); this benchmark's string input
0.48-0.60 / 0.42-0.57 s (0.92-0.98), categorical 0.34-0.49 / 0.30-0.46 s (0.82-0.97);
paths 0.83-0.94. Same outputs (journeys, touches, excluded, every ``Paths`` array)
on all three inputs, also with ``collapse_repeats`` and another path level.

Figures before 2026-12-04 are against the grouping-only baseline, now the sort floor.

Last measured on the idle machine after the merge (2026-12-03 22:24 UTC, load
average 2.0-2.2, ``--rows 1000000 --repeat 3``): string input **3.06x** (CPU 3.61x),
lexsort figure 1.29x (CPU 1.49x); categorical input **3.86x** (CPU 4.73x), lexsort
figure 1.31x (CPU 1.53x). The 1.5x target is not met against the packed-sort
baseline (which only groups: no lookback cuts, ids, paths or tables).

Earlier (2026-12-03, branches h1 and h2, 2 cores shared, load 0.9-6.8) against that
baseline: 4.6-6.0x string and 5.0-5.6x categorical at 1M before h1, 2.9x / 4.6x after
h2; the lexsort figure 1.2-2.6x. Where the project's time went then and now: the
output (the touches' text columns and the journey ids, taken at ~30% of the rows,
and the journeys table), then the (unit, time) sort. Not done: the touches' text
columns as pandas Categoricals (upper bound, the columns not gathered at all: ~0.08
s of ~0.45 s at 1M; too little for the change of dtype every consumer would see).

Idle machine after the merge (2026-12-04 01:20 UTC, load average 0.8, ``--rows 1000000
--repeat 3``): string **2.40x** (CPU 2.77x; sort floor 2.07x, lexsort group 1.15x), categorical
**2.85x** (CPU 3.21x; sort floor 3.38x, lexsort group 1.45x). Not met.

Branch h2 (2026-12-04, issue 16 fifth round; outputs unchanged: journeys, touches and
excluded frames equal with dtypes, on this benchmark's inputs, ``bench_e2e``'s stitched
data and with every option): touch times read from the sorted index at the touches'
sorted positions (no scattered gather); channel and touch-type codes of the taken rows
spread over a small-int column-long array and gathered (no column-long int64 ``cumsum``
of ranks); journey ids hashed from Python ``bytes`` of the keys (pandas' hash encoded
``str`` again), keys joined with null replacement, the collision check by a hash table,
hex digits by one pair lookup per byte; journeys ordered by a counting sort by unit,
only units with several journeys sorted further (``unit_time_order`` 5x cheaper at
10M); timestamps built with their tz-aware dtype. ``build_journeys`` CPU of the code
before / after, alternating in one process, medians of 9-11 rounds, load 3.5-5.3 (other
helpers' jobs): this benchmark's string input 0.345 / 0.306 s (median round ratio
0.89), categorical 0.292 / 0.262 s (0.90); ``bench_e2e`` stitched data at 1M 0.167 /
0.130 s (0.82), at 10M 2.02 / 1.72 s (0.87; an earlier set at load 3.1: 0.79-0.84).
``paths_from_journeys`` unchanged (nothing found worth changing: its largest step, the
journey ids as Python strings for ``Paths.ids``, costs the same by Arrow). This
benchmark, ``--rows 1000000 --repeat 5``, old and new code run in turn four times
(02:51-03:08 UTC, load 2.0-5.5): string CPU 2.46-2.72x before, 2.33-2.55x after;
categorical CPU 3.51-3.71x before, 3.04-3.24x after. Tried without gain: the time rank
as the sort key of time-ordered touches (no gather of the times into (unit, time)
order: -0.12 s at 10M, but the rank search of unsorted times costs more than that);
the latest account per unit by ``np.maximum.at`` instead of a gather by the sort order
(4% of ``unit_table``); unit codes of string ids by encoding the touches' ids and
``index_in`` for the conversions' (1.09x slower); paths joined from labels with
``"(no touch)"`` inserted instead of ``if_else`` (1.7x slower); coded takes of the
campaign/platform/page columns (0.74-0.91x per column at 1M, but slower on columns of
many distinct values). Left: the (unit, time) sort and gather (shared with the
baseline), the two filtered ``dictionary_encode`` of channel and touch type (~0.07 s
each at 10M), the journey keys' Python bytes and SipHash (~0.06 s at 10M), and pandas
``where`` on the attribute columns (~0.09 s at 10M).

Branch h1 (2026-12-04, issue 16 sixth round; outputs unchanged: journeys, touches and
excluded equal with dtypes and Arrow types against main in separate processes, on this
benchmark's inputs, ``bench_e2e``'s stitched data at 1M and 10M and the demo sample with
every option): paths joined with empty journeys as missing lists, then filled (no
``if_else`` on the strings); campaign/platform/page/event_name taken from a small
dictionary when a sample of the taken rows holds <= 64 values (Arrow's ``take`` of
scattered strings: ~0.2 s per column at 10M); one all-missing array for absent columns;
Arrow ``take``/``coalesce`` for string attribute columns. ``build_journeys`` CPU main / h1,
alternating in one process, median round ratio (load 2.7-4.3, other helpers' jobs):
string 1M 0.33 / 0.34 s (0.98), categorical 1M 0.32 / 0.31 s (0.95), string 10M 5.7 /
4.8 s (0.78, 3 rounds); ``bench_e2e`` stitched 1M 0.136 / 0.126 s (0.94), 10M 1.57 / 1.50
s (0.975). This benchmark, ``--rows 1000000 --repeat 3``, h1 and main in turn (load 5-6):
string CPU 2.34-2.47x (main 2.30-2.47x), categorical 3.10x (main 3.21-3.64x). Not met:
what is left is the (unit, time) sort and gather shared with the baseline, Arrow's
dictionary encoding of the taken text columns (~0.01 s per column at 1M) and the ids.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from _common import alternating, machine_facts, measure_sampled_rss, results_path, write_result
from _lean_journeys import LeanJourneys, baseline, check_lean, person_codes, ts_us

from workbench.intcodes import factorize_parts
from workbench.journeys.build import build_journeys

INPUTS = ("string", "categorical")

CHANNELS = np.array(
    [
        "Paid Search - Brand",
        "Paid Search - Generic",
        "Paid Social - Meta",
        "Paid Social - LinkedIn",
        "Display - Retargeting",
        "Organic Search",
        "Direct",
        "Email",
        "Webinar",
        "Referral",
    ]
)
TOUCH_TYPES = np.array(["ad_click", "session", "email_open", "webinar_attendance", "pageview"])
PAGES = np.array(["/", "/pricing", "/blog/a", "/compare/x-vs-y", "/demo-request", "/webinar/1"])


def make_data(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` touchpoints of ``n // 10`` people over a year; 20% of people convert."""
    rng = np.random.default_rng(seed)
    people = max(n // 10, 1)

    def ids(codes: np.ndarray) -> pd.Series:
        txt = pc.utf8_lpad(pa.array(codes).cast(pa.string()), 8, "0")
        return pd.Series(pc.binary_join_element_wise("p", txt, ""), dtype="str")

    def pick(vocab: np.ndarray, k: int) -> pd.Series:
        return pd.Series(pa.array(vocab[rng.integers(0, len(vocab), k)]), dtype="str")

    t0 = pd.Timestamp("2026-01-01", tz="UTC").value // 1000
    year = 365 * 86_400 * 1_000_000
    touch_ts = t0 + rng.integers(0, year, n)
    touchpoints = pd.DataFrame(
        {
            "person_id": ids(rng.integers(0, people, n)),
            "ts": pd.Series(touch_ts.view("datetime64[us]")).dt.tz_localize("UTC"),
            "touch_type": pick(TOUCH_TYPES, n),
            "channel": pick(CHANNELS, n),
            "campaign": pick(np.array([f"campaign {i}" for i in range(40)]), n),
            "platform": pick(np.array(["google_ads", "meta", "linkedin", "hubspot"]), n),
            "page": pick(PAGES, n),
        }
    )
    m = people // 5
    conv_ts = t0 + rng.integers(0, year, m)
    conversions = pd.DataFrame(
        {
            "person_id": ids(rng.choice(people, m, replace=False)),
            "ts": pd.Series(conv_ts.view("datetime64[us]")).dt.tz_localize("UTC"),
            "conversion_type": pick(np.array(["lead", "deal_won"]), m),
            "value": rng.gamma(2.0, 5000.0, m),
            "customer_type": pick(np.array(["smb", "mid_market", "enterprise"]), m),
        }
    )
    return touchpoints, conversions


def as_categorical(
    touchpoints: pd.DataFrame, conversions: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables with ``person_id`` as one pandas ``Categorical`` (untimed set-up).

    Categories are the person ids in first-appearance order (not sorted), as
    stitching may hand them over.
    """
    (t_codes, c_codes), uniques = factorize_parts(
        [touchpoints["person_id"], conversions["person_id"]]
    )
    dtype = pd.CategoricalDtype(pd.Index(uniques))
    tp = touchpoints.assign(person_id=pd.Categorical.from_codes(t_codes, dtype=dtype))
    cv = conversions.assign(person_id=pd.Categorical.from_codes(c_codes, dtype=dtype))
    return tp, cv


def _summary(codes: np.ndarray, ts: np.ndarray, order: np.ndarray) -> dict[str, np.ndarray]:
    """Each person's group in ``order``: start, touch count, first and last time (``reduceat``)."""
    sc, st = codes[order], ts[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    n = np.add.reduceat(np.ones(len(sc), dtype=np.int64), starts)
    first = np.minimum.reduceat(st, starts)
    last = np.maximum.reduceat(st, starts)
    return {"start": starts, "n": n, "first": first, "last": last}


def _codes_ts(touchpoints: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    person = touchpoints["person_id"]
    return person_codes(person, person.iloc[:0])[0], ts_us(touchpoints["ts"])


def sort_floor(touchpoints: pd.DataFrame) -> dict[str, np.ndarray]:
    """The sort floor: touches grouped per person only (one ``np.sort``, ``reduceat``).

    Less work than the journeys (no lookback windows, no conversions): printed as
    a floor, not as the baseline. Person ids become integer codes
    (:func:`person_codes`); each row becomes one int64 ``code | time bucket | row``
    (the row in the low bits, the time cut to the bits left) and the values are
    sorted with ``np.sort`` (no argsort, no gather of keys); each person's group is
    summarised as in :func:`lexsort_grouping`. Falls back to :func:`lexsort_grouping`
    when fewer than 16 time bits are left.
    """
    codes, ts = _codes_ts(touchpoints)
    n = len(ts)
    pos_bits = max(1, (n - 1).bit_length())
    code_bits = int(codes.max(initial=0) + 1).bit_length()
    time_bits = 63 - pos_bits - code_bits
    if time_bits < 16 or (codes < 0).any():
        return lexsort_grouping(touchpoints)
    rel = ts - ts.min(initial=0)
    shift = max(0, int(rel.max(initial=0)).bit_length() - time_bits)
    rel >>= shift
    rel |= codes.astype(np.int64) << time_bits
    rel <<= pos_bits
    rel |= np.arange(n)
    rel.sort()
    rel &= (1 << pos_bits) - 1
    return _summary(codes, ts, rel)


def lexsort_grouping(touchpoints: pd.DataFrame) -> dict[str, np.ndarray]:
    """The grouping as issue 16 named it: ``np.lexsort((ts, code))`` and ``reduceat``.

    Less work than the journeys (no windows); printed as a second floor figure.
    """
    codes, ts = _codes_ts(touchpoints)
    return _summary(codes, ts, np.lexsort((ts, codes)))


def check_baselines(n: int = 20_000, lookback: float = 90) -> None:
    """The baseline builds the project's journeys; the two floors give the same groups."""
    touchpoints, conversions = make_data(n, seed=1)
    for tp, cv in ((touchpoints, conversions), as_categorical(touchpoints, conversions)):
        check_lean(tp, cv, lookback)
        a, b = sort_floor(tp), lexsort_grouping(tp)
        if a.keys() != b.keys() or not all(np.array_equal(a[k], b[k]) for k in a):
            raise AssertionError("sort_floor and lexsort_grouping disagree")


def run(
    n: int,
    kind: str,
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    lookback: int,
    rounds: int,
) -> dict[str, float | int | str]:
    """Time one input kind; prints four lines and returns the numbers."""

    def project() -> object:
        return build_journeys(touchpoints, conversions, lookback_days=lookback)

    def lean() -> LeanJourneys:
        return baseline(touchpoints, conversions, lookback)

    timed = alternating(project, lean, rounds)
    floor = alternating(project, lambda: sort_floor(touchpoints), rounds)
    lex = alternating(project, lambda: lexsort_grouping(touchpoints), rounds)
    b_secs, j_secs = timed.seconds["baseline"], timed.seconds["project"]
    _, b_mem, lj = measure_sampled_rss(lean)
    _, j_mem, js = measure_sampled_rss(project)
    print(f"{n:>12,} {kind:>11} {'baseline':>15} {b_secs:>9.2f} {1:>11.2f} {b_mem:>9.0f}")
    print(
        f"{n:>12,} {kind:>11} {'build_journeys':>15} {j_secs:>9.2f} {timed.ratio:>11.2f} "
        f"{j_mem:>9.0f}   (CPU {timed.cpu_ratio:.2f}x; {len(js.journeys):,} journeys, "
        f"{len(js.touches):,} touches; baseline {len(lj.length):,} / {len(lj.rows):,})"
    )
    for name, alt in (("sort floor", floor), ("lexsort group", lex)):
        print(
            f"{n:>12,} {kind:>11} {name:>15} {alt.seconds['baseline']:>9.2f} "
            f"{'':>11} {'':>9}   (grouping only, less work: build_journeys / it "
            f"{alt.ratio:.2f}x, CPU {alt.cpu_ratio:.2f}x)"
        )
    return {
        "rows": n,
        "input": kind,
        "baseline_seconds": b_secs,
        "project_seconds": j_secs,
        "ratio": timed.ratio,
        "cpu_ratio": timed.cpu_ratio,
        "sort_floor_seconds": floor.seconds["baseline"],
        "sort_floor_ratio": floor.ratio,
        "sort_floor_cpu_ratio": floor.cpu_ratio,
        "lexsort_seconds": lex.seconds["baseline"],
        "lexsort_ratio": lex.ratio,
        "lexsort_cpu_ratio": lex.cpu_ratio,
        "baseline_peak_mb": b_mem,
        "project_peak_mb": j_mem,
        "journeys": len(js.journeys),
        "touches": len(js.touches),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="alternating rounds; medians kept")
    parser.add_argument("--lookback", type=int, default=90, help="lookback window in days")
    parser.add_argument(
        "--inputs", nargs="+", choices=INPUTS, default=list(INPUTS), help="person_id as ..."
    )
    args = parser.parse_args(argv)
    check_baselines(lookback=args.lookback)
    print(f"lookback {args.lookback} days, {args.repeat} alternating rounds")
    print(
        f"{'rows':>12} {'input':>11} {'step':>15} {'seconds':>9} {'x baseline':>11} {'peak MB':>9}"
    )
    results = []
    for n in args.rows:
        touchpoints, conversions = make_data(n)
        for kind in args.inputs:
            tp, cv = (
                (touchpoints, conversions)
                if kind == "string"
                else as_categorical(touchpoints, conversions)
            )
            results.append(run(n, kind, tp, cv, args.lookback, args.repeat))
            del tp, cv
        del touchpoints, conversions
    out = {
        "benchmark": "journeys",
        **machine_facts("pandas"),
        "lookback_days": args.lookback,
        "results": results,
    }
    print(f"wrote {write_result(out, results_path('bench_journeys.json'))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
