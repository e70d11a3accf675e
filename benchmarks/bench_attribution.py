"""Benchmark of the attribution models, with ChannelAttribution as the baseline.

Generates synthetic journeys with a seeded rng (10 channels, geometric path lengths,
conversion probability driven by the channels present, log-normal values), then, for
every size in ``--journeys``:

- builds :class:`~workbench.attribution.Paths` from the journey DataFrames;
- runs every registered model on them;
- aggregates the paths into the ChannelAttribution interchange table and times, on that
  same table, our exact Markov model (parsing included) against
  ``ChannelAttribution.markov_model`` (simulation, its defaults, one thread) for each
  order in ``--orders``: the ratio ours / theirs should be <= 1 (skipped with a note when
  the package is not installed; ``pip install channelattribution``);

and finally times the rule-based models on ``--rule-touches`` touches (all converting,
the worst case). Prints a table and writes JSON to ``benchmarks/results/``.

Run: ``python benchmarks/bench_attribution.py --journeys 100000 1000000``
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from _common import best_of, machine_facts, results_path, write_result

from workbench.attribution import (
    MODELS,
    Paths,
    aggregate_paths,
    attribute,
    paths_from_aggregated,
    paths_from_journeys,
)
from workbench.attribution.markov import prepare_markov
from workbench.attribution.rules import RULES

CHANNELS = (
    "Paid Search",
    "Organic Search",
    "Direct",
    "Email",
    "Paid Social",
    "Display",
    "Referral",
    "Affiliates",
    "Organic Social",
    "Webinar",
)
POPULARITY = np.array([0.18, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.04, 0.04, 0.03])
LIFT = np.array([0.05, 0.03, 0.02, 0.04, 0.03, 0.01, 0.02, 0.03, 0.005, 0.06])
T0 = np.datetime64("2026-01-01T00:00:00", "us")


def synthetic_arrays(n_journeys: int, seed: int, mean_len: float = 3.5) -> dict:
    """Journeys as arrays: CSR channel codes, conversion flags, values, timestamps."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(1.0 / mean_len, size=n_journeys), 40)
    offsets = np.zeros(n_journeys + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = rng.choice(len(CHANNELS), size=int(offsets[-1]), p=POPULARITY).astype(np.int32)
    path = np.repeat(np.arange(n_journeys), lengths)
    distinct = np.unique(path * len(CHANNELS) + codes)
    score = 0.01 + np.bincount(
        distinct // len(CHANNELS), weights=LIFT[distinct % len(CHANNELS)], minlength=n_journeys
    )
    converted = rng.random(n_journeys) < 1 - np.exp(-score)
    value = np.where(converted, rng.lognormal(4.0, 1.0, n_journeys).round(2), 0.0)
    end_us = T0 + (rng.random(n_journeys) * 180 * 86_400e6).astype("timedelta64[us]")
    gaps = (rng.exponential(2.0, len(codes)) * 86_400e6).astype(np.int64)
    # Time before the end: reverse cumulative sum of gaps within each path.
    rev = np.cumsum(gaps[::-1])[::-1]
    after = np.append(rev, 0)[offsets[1:]]
    before_end = rev - np.repeat(after, lengths)
    ts = np.repeat(end_us, lengths) - before_end.astype("timedelta64[us]")
    return {
        "codes": codes,
        "offsets": offsets,
        "lengths": lengths,
        "converted": converted,
        "value": value,
        "end": end_us,
        "ts": ts,
    }


def synthetic_tables(arrays: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The journey tables (``journey_touches``, ``journeys``) of the synthetic arrays."""
    n = len(arrays["lengths"])
    ids = pd.Series(np.char.add("j", np.arange(n).astype(str)), dtype="str")
    path = np.repeat(np.arange(n), arrays["lengths"])
    position = np.arange(len(path)) - np.repeat(arrays["offsets"][:-1], arrays["lengths"])
    channel = pd.Categorical.from_codes(arrays["codes"], categories=list(CHANNELS))
    touches = pd.DataFrame(
        {
            "journey_id": ids.take(path).reset_index(drop=True),
            "position": position,
            "ts": pd.to_datetime(arrays["ts"]).tz_localize("UTC"),
            "channel": pd.Series(channel).astype("str"),
            "touch_type": "session",
        }
    )
    journeys = pd.DataFrame(
        {
            "journey_id": ids,
            "converted": arrays["converted"],
            "value": arrays["value"],
            "conversion_ts": pd.Series(pd.to_datetime(arrays["end"]).tz_localize("UTC")).where(
                arrays["converted"]
            ),
        }
    )
    return touches, journeys


def converting_paths(n_touches: int, seed: int) -> Paths:
    """Paths built directly from arrays: converting journeys totalling ``n_touches``."""
    arrays = synthetic_arrays(int(n_touches / 3.5 * 1.02), seed)
    offsets = arrays["offsets"]
    n = int(np.searchsorted(offsets, n_touches, side="right") - 1)
    offsets = offsets[: n + 1]
    t = int(offsets[-1])
    days = (
        np.repeat(arrays["end"][:n], arrays["lengths"][:n]) - arrays["ts"][:t]
    ) / np.timedelta64(1, "D")
    return Paths(
        channels=CHANNELS,
        codes=arrays["codes"][:t],
        offsets=offsets,
        conversions=np.ones(n),
        nulls=np.zeros(n),
        value=np.maximum(arrays["value"][:n], 1.0),
        ids=np.arange(n).astype(object),
        positions=np.arange(t) - np.repeat(offsets[:-1], arrays["lengths"][:n]),
        days_before=days,
        lead_index=np.where(arrays["lengths"][:n] > 2, 1, -1),
        opportunity_index=np.where(arrays["lengths"][:n] > 2, arrays["lengths"][:n] - 2, -1),
    )


def channelattribution():
    """The ChannelAttribution module, or None."""
    try:
        import ChannelAttribution  # noqa: PLC0415

        return ChannelAttribution
    except ImportError:
        return None


def bench_size(n_journeys: int, seed: int, orders: list[int], ca) -> dict:
    arrays = synthetic_arrays(n_journeys, seed)
    touches, journeys = synthetic_tables(arrays)
    out = {"journeys": n_journeys, "touches": len(touches), "models": {}, "markov_vs_ca": []}
    out["paths_from_journeys_s"], _, paths = best_of(lambda: paths_from_journeys(touches, journeys))
    out["touch_index_s"], _, _ = best_of(lambda: (paths.path_of_touch, paths.index_in_path))
    for name in MODELS:
        secs, _, _ = best_of(
            lambda name=name: attribute(paths, name, with_touches=False, with_details=False)
        )
        out["models"][name] = secs
    table = aggregate_paths(paths)
    out["distinct_paths"] = len(table)
    for order in orders:

        def ours(order=order):
            p = paths_from_aggregated(table)
            m = prepare_markov(p, order=order)
            return m.channel_credits(p.conversions, p.nulls, p.value)

        ours_s, _, credits = best_of(ours, 2)
        row = {"order": order, "ours_s": ours_s}
        if ca is not None:
            ca_s, _, res = best_of(
                lambda order=order: ca.markov_model(
                    table,
                    "path",
                    "total_conversions",
                    var_value="total_conversion_value",
                    var_null="total_null",
                    order=order,
                    sep=">",
                    verbose=False,
                    flg_pro=False,
                )
            )
            theirs = res.set_index("channel_name")["total_conversions"].reindex(sorted(CHANNELS))
            row.update(
                ca_s=ca_s,
                ratio=ours_s / ca_s,
                max_abs_share_diff=float(
                    np.abs(credits[0] / credits[0].sum() - theirs.to_numpy() / theirs.sum()).max()
                ),
            )
        out["markov_vs_ca"].append(row)
    return out


def bench_rules(n_touches: int, seed: int) -> dict:
    paths = converting_paths(n_touches, seed)
    index_s, _, _ = best_of(lambda: (paths.path_of_touch, paths.index_in_path))
    rows = {}
    for rule in RULES:
        secs, _, _ = best_of(
            lambda rule=rule: attribute(paths, rule, with_touches=False, with_details=False),
            2,
        )
        rows[rule] = secs
    return {
        "touches": len(paths.codes),
        "journeys": paths.n_paths,
        "touch_index_s": index_s,
        "models": rows,
        "all_rules_s": sum(rows.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--rule-touches", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="JSON path (default benchmarks/results/)")
    args = parser.parse_args(argv)

    ca = channelattribution()
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **machine_facts(cpus=False),
        "channelattribution": getattr(ca, "__version__", "installed") if ca else None,
        "sizes": [],
    }
    if ca is None:
        print("note: ChannelAttribution not installed; Markov baseline skipped")
    for n in args.journeys:
        size = bench_size(n, args.seed, args.orders, ca)
        result["sizes"].append(size)
        print(
            f"\n{n:,} journeys, {size['touches']:,} touches, {size['distinct_paths']:,} distinct paths"
        )
        print(f"  paths_from_journeys            {size['paths_from_journeys_s']:8.3f} s")
        print(f"  touch index (once per Paths)   {size['touch_index_s']:8.3f} s")
        for name, secs in size["models"].items():
            print(f"  {name:30s} {secs:8.3f} s")
        print("  Markov on the aggregated table: ours (exact) vs ChannelAttribution (simulation)")
        for row in size["markov_vs_ca"]:
            if "ca_s" in row:
                print(
                    f"    order {row['order']}: ours {row['ours_s']:7.3f} s  CA {row['ca_s']:7.3f} s  "
                    f"ratio {row['ratio']:.3f}  max |share diff| {row['max_abs_share_diff']:.4f}"
                )
            else:
                print(f"    order {row['order']}: ours {row['ours_s']:7.3f} s  (CA skipped)")
    if args.rule_touches:
        rules = bench_rules(args.rule_touches, args.seed)
        result["rules"] = rules
        print(
            f"\nrule-based models on {rules['touches']:,} touches ({rules['journeys']:,} converting journeys)"
        )
        print(f"  touch index (once per Paths)   {rules['touch_index_s']:8.3f} s")
        for name, secs in rules["models"].items():
            print(f"  {name:30s} {secs:8.3f} s")
        print(f"  all seven rules                {rules['all_rules_s']:8.3f} s")
    out = args.out
    if out is None:
        out = results_path(f"attribution_{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json")
    write_result(result, out)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
