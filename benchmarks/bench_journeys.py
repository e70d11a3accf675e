"""Benchmark :func:`workbench.journeys.build.build_journeys` against a numpy baseline.

The baseline is the leanest known way to do the grouping, written as plain
numpy on the same rows in the same process: integer person codes from Arrow's
``dictionary_encode``, ``np.lexsort((ts, person))`` and ``reduceat`` for each
person's group (start, count, first and last timestamp); printed ratios are
project / baseline. ``build_journeys`` additionally cuts a lookback window per
conversion, builds stable ids, the ``" > "`` paths and both output tables.

Run: ``.venv/bin/python benchmarks/bench_journeys.py [rows ...] [--lookback=DAYS] [--repeat=N]``
(default 1,000,000 and 10,000,000 rows, 90 days, 5 rounds; the data spans a year, so
``--lookback=365`` puts nearly every touch into a journey). Baseline and
``build_journeys`` run in turns (order flipped each round) in the same process;
prints median seconds, the median of the per-round ratios build_journeys /
baseline, and the peak resident memory above the starting point of one more run
of each step, sampled every 5 ms with psutil (0 when psutil is missing).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from _common import alternating, measure_sampled_rss

from workbench.journeys.build import build_journeys

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


def baseline(touchpoints: pd.DataFrame) -> dict[str, np.ndarray]:
    """Leanest known journey grouping: integer person codes, ``np.lexsort``, ``reduceat``.

    Person ids are dictionary-encoded in Arrow (C++ hashing on the string
    buffers, no Python strings), the rows ordered by ``np.lexsort((ts, code))``
    and each person's group summarised with ``np.add.reduceat`` (touch count),
    ``np.minimum.reduceat`` / ``np.maximum.reduceat`` (first and last time).
    """
    arr = getattr(touchpoints["person_id"].array, "_pa_array", None)
    if arr is None:
        arr = pa.chunked_array([pa.array(touchpoints["person_id"].astype("string"))])
    enc = pc.dictionary_encode(arr).unify_dictionaries()
    idx = pa.chunked_array([c.indices for c in enc.chunks], type=enc.type.index_type)
    codes = pc.fill_null(idx, -1).to_numpy()
    ts = touchpoints["ts"].to_numpy(dtype="datetime64[us]").view(np.int64)
    order = np.lexsort((ts, codes))
    sc, st = codes[order], ts[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    n = np.add.reduceat(np.ones(len(sc), dtype=np.int64), starts)
    first = np.minimum.reduceat(st, starts)
    last = np.maximum.reduceat(st, starts)
    return {"start": starts, "n": n, "first": first, "last": last}


def main(sizes: list[int], lookback_days: int = 90, rounds: int = 5) -> None:
    print(f"lookback {lookback_days} days, {rounds} alternating rounds")
    print(f"{'rows':>12} {'step':>16} {'seconds':>9} {'x baseline':>11} {'peak MB':>9}")
    for n in sizes:
        touchpoints, conversions = make_data(n)

        def project(tp=touchpoints, cv=conversions):
            return build_journeys(tp, cv, lookback_days=lookback_days)

        timed = alternating(project, lambda tp=touchpoints: baseline(tp), rounds)
        b_secs, j_secs = timed.seconds["baseline"], timed.seconds["project"]
        _, b_mem, _ = measure_sampled_rss(lambda tp=touchpoints: baseline(tp))
        _, j_mem, js = measure_sampled_rss(project)
        print(f"{n:>12,} {'lexsort baseline':>16} {b_secs:>9.2f} {1:>11.2f} {b_mem:>9.0f}")
        print(
            f"{n:>12,} {'build_journeys':>16} {j_secs:>9.2f} {timed.ratio:>11.2f} "
            f"{j_mem:>9.0f}   (CPU {timed.cpu_ratio:.2f}x; {len(js.journeys):,} journeys, "
            f"{len(js.touches):,} touches)"
        )
        del touchpoints, conversions, js


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
    main(
        [int(a) for a in args] or [1_000_000, 10_000_000],
        int(opts.get("lookback", 90)),
        int(opts.get("repeat", 5)),
    )
