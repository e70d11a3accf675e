"""Benchmark :func:`workbench.journeys.build.build_journeys` against a numpy baseline.

The baseline is the leanest known way to do the grouping, written as plain
numpy on the same rows in the same process: integer person codes,
``np.lexsort((ts, person))`` and ``reduceat`` for each person's group (start,
count, first and last timestamp); printed ratios are project / baseline.
``build_journeys`` additionally cuts a lookback window per conversion, builds
stable ids, the ``" > "`` paths and both output tables.

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
year, so ``--lookback 365`` puts nearly every touch into a journey). Baseline and
``build_journeys`` run in turns (order flipped each round) in the same process;
prints median seconds, the median of the per-round ratios build_journeys /
baseline (wall and CPU), and the peak resident memory above the starting point
of one more run of each step, sampled every 5 ms with psutil (0 when psutil is
missing); writes ``benchmarks/results/bench_journeys.json``.

Last measured (2026-12-03, branch h2, ``--repeat 3``, 2 cores shared with other
jobs, load average 4-5): string input 2.18x at 1M (CPU 2.45x) and 2.09x at 10M
(CPU 2.31x); categorical input 2.93x at 1M (CPU 2.54x) and 1.59x at 10M (CPU
2.34x). The baseline only sorts and groups; most of the difference is the
output: the touches table (journey ids and five string columns taken at ~30% of
the rows) and the journeys table (paths, ids, attributes).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from _common import alternating, machine_facts, measure_sampled_rss, results_path, write_result

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


def person_codes(person: pd.Series) -> np.ndarray:
    """Integer person codes: a categorical's own codes, else Arrow ``dictionary_encode``."""
    if isinstance(person.dtype, pd.CategoricalDtype):
        return person.cat.codes.to_numpy()
    arr = getattr(person.array, "_pa_array", None)
    if arr is None:
        arr = pa.chunked_array([pa.array(person.astype("string"))])
    enc = pc.dictionary_encode(arr).unify_dictionaries()
    idx = pa.chunked_array([c.indices for c in enc.chunks], type=enc.type.index_type)
    return pc.fill_null(idx, -1).to_numpy()


def baseline(touchpoints: pd.DataFrame) -> dict[str, np.ndarray]:
    """Leanest known journey grouping: integer person codes, ``np.lexsort``, ``reduceat``.

    Person ids become integer codes (:func:`person_codes`), the rows are
    ordered by ``np.lexsort((ts, code))`` and each person's group summarised
    with ``np.add.reduceat`` (touch count), ``np.minimum.reduceat`` /
    ``np.maximum.reduceat`` (first and last time).
    """
    codes = person_codes(touchpoints["person_id"])
    ts = touchpoints["ts"].to_numpy(dtype="datetime64[us]").view(np.int64)
    order = np.lexsort((ts, codes))
    sc, st = codes[order], ts[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    n = np.add.reduceat(np.ones(len(sc), dtype=np.int64), starts)
    first = np.minimum.reduceat(st, starts)
    last = np.maximum.reduceat(st, starts)
    return {"start": starts, "n": n, "first": first, "last": last}


def run(
    n: int,
    kind: str,
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    lookback: int,
    rounds: int,
) -> dict[str, float | int | str]:
    """Time one input kind; prints two lines and returns the numbers."""

    def project() -> object:
        return build_journeys(touchpoints, conversions, lookback_days=lookback)

    timed = alternating(project, lambda: baseline(touchpoints), rounds)
    b_secs, j_secs = timed.seconds["baseline"], timed.seconds["project"]
    _, b_mem, _ = measure_sampled_rss(lambda: baseline(touchpoints))
    _, j_mem, js = measure_sampled_rss(project)
    print(f"{n:>12,} {kind:>11} {'baseline':>15} {b_secs:>9.2f} {1:>11.2f} {b_mem:>9.0f}")
    print(
        f"{n:>12,} {kind:>11} {'build_journeys':>15} {j_secs:>9.2f} {timed.ratio:>11.2f} "
        f"{j_mem:>9.0f}   (CPU {timed.cpu_ratio:.2f}x; {len(js.journeys):,} journeys, "
        f"{len(js.touches):,} touches)"
    )
    return {
        "rows": n,
        "input": kind,
        "baseline_seconds": b_secs,
        "project_seconds": j_secs,
        "ratio": timed.ratio,
        "cpu_ratio": timed.cpu_ratio,
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
