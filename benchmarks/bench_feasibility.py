"""Can any version of the incrementality model reach the truth with perfect data?

A feasibility diagnostic for issue 15 (docs/attribution.md, "Feasibility with perfect
data"). For each seed: generate the sample, build the journeys the causal model itself
used (``benchmarks/_oracle.py``: every true touch, enterprise accounts as units, no
pipeline), attach each unit's true ``segment``, ``region`` and ``product_line``
(``_truth/people.csv``; only this diagnostic may use them, never the product), and fit
the incrementality model in steps towards the causal model's form:

1. ``default``: presence features, span control, removal split rescaled per journey;
2. ``+segment``: one set of effects per true segment (``strata``);
3. ``+region/product``: plus the true region and product line as controls
   (``covariates``);
4. ``+log_count`` / ``+decayed 0.6`` / ``+decayed cv``: the touch-count form
   (``decayed 0.6`` is the causal model's own diminishing returns);
5. ``+lost``: each variant of 4 also with the removal effects kept unrescaled
   (``credit = "lost"``: shares of expected conversions lost, the removal truth's
   definition).

Printed per seed: TV to the removal truth (``(baseline)`` left out as in
``truthfulness``), the model's baseline share and the true one. Nothing is asserted;
results go to ``benchmarks/results/bench_feasibility.json``. Usage::

    .venv/bin/python benchmarks/bench_feasibility.py --seeds 7 8 9 --people 3000
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from _common import results_path, write_result
from _oracle import oracle_journeys

from workbench.attribution import run_models, truthfulness
from workbench.attribution.incrementality import BASELINE
from workbench.sample import generate_sample

_SEGMENT = {"strata": "segment"}
_COVARIATES = {**_SEGMENT, "covariates": ["region", "product_line"]}
VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "+segment": _SEGMENT,
    "+region/product": _COVARIATES,
    "+log_count": {**_COVARIATES, "features": "log_count"},
    "+decayed 0.6": {**_COVARIATES, "features": "decayed", "decay": 0.6},
    "+decayed cv": {**_COVARIATES, "features": "decayed", "decay": 0.0},
    "+region/product +lost": {**_COVARIATES, "credit": "lost"},
    "+log_count +lost": {**_COVARIATES, "features": "log_count", "credit": "lost"},
    "+decayed 0.6 +lost": {**_COVARIATES, "features": "decayed", "decay": 0.6, "credit": "lost"},
    "+decayed cv +lost": {**_COVARIATES, "features": "decayed", "decay": 0.0, "credit": "lost"},
    "segment only, +decayed 0.6 +lost": {
        **_SEGMENT,
        "features": "decayed",
        "decay": 0.6,
        "credit": "lost",
    },
    "no segment, +decayed 0.6 +lost": {"features": "decayed", "decay": 0.6, "credit": "lost"},
    # the oracle's journeys are whole (a unit converts in its last session or after it),
    # so the span control is not needed there: without it
    "+decayed 0.6 +lost, no span": {
        **_COVARIATES,
        "features": "decayed",
        "decay": 0.6,
        "credit": "lost",
        "controls": [],
    },
    "+decayed cv +lost, no span": {
        **_COVARIATES,
        "features": "decayed",
        "decay": 0.0,
        "credit": "lost",
        "controls": [],
    },
    "+decayed 0.6, no span": {**_COVARIATES, "features": "decayed", "decay": 0.6, "controls": []},
    "no segment, +decayed 0.6 +lost, no span": {
        "features": "decayed",
        "decay": 0.6,
        "credit": "lost",
        "controls": [],
    },
}


def unit_attributes(truth_dir: Path, journeys: pd.DataFrame) -> pd.DataFrame:
    """``journeys`` with each unit's true segment, region and product line."""
    people = pd.read_csv(truth_dir / "people.csv", dtype=str)
    unit = people["account_id"].where(people["segment"] == "enterprise", people["person_id"])
    first = people.assign(unit=unit).drop_duplicates("unit").set_index("unit")
    out = journeys.copy()
    for col in ("segment", "region", "product_line"):
        out[col] = out["journey_id"].map(first[col])
    return out


def score(touches, journeys, truth, options) -> dict[str, float]:
    """TV of the incrementality model with ``options`` and its baseline share."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        credits = run_models(touches, journeys, ["incrementality"], **options)
    base = float(credits.loc[credits["channel"] == BASELINE, "conversions"].sum())
    own = credits[credits["channel"] != BASELINE].groupby("channel")["conversions"].sum()
    true = truth.set_index("channel")["conversions_lost"].astype(float)
    idx = own.index.union(true.index)
    diff = own.reindex(idx).fillna(0) / own.sum() - true.reindex(idx).fillna(0) / true.sum()
    diff = diff.reindex(diff.abs().sort_values(ascending=False).index)[:5]
    return {
        "tv": float(truthfulness(credits, truth)["tv_conversions"].iloc[0]),
        "baseline_share": base / float(credits["conversions"].sum()),
        "errors": {str(k): round(float(v), 4) for k, v in diff.items()},
    }


def floor(truth_dir: Path) -> dict[str, float]:
    """TV of the causal model's own expected losses to the realized ones.

    ``channel_contribution_expected.csv`` holds each channel's expected conversions lost
    (``sigmoid(s) - sigmoid(s - channel part)`` summed over units): what a model that
    knew every unit's true logit would credit. Its distance to the realized losses (one
    draw per unit) is the sampling noise of the truth, which no model can go below.
    """
    truth = pd.read_csv(truth_dir / "channel_contribution.csv")
    expected = pd.read_csv(truth_dir / "channel_contribution_expected.csv")
    credits = pd.DataFrame(
        {
            "model": "expected",
            "channel": expected["channel"],
            "conversions": expected["conversions_lost"],
            "value": expected["revenue_lost"],
        }
    )
    tv = float(truthfulness(credits, truth)["tv_conversions"].iloc[0])
    print(f"    floor (the causal model's expected losses): TV {tv:.1%}", flush=True)
    return {"tv": tv, "baseline_share": float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), help="names to run")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory(prefix="bench_feasibility_") as tmp:
            generate_sample(Path(tmp), people=args.people, seed=seed, truth_touches=True)
            truth_dir = Path(tmp) / "_truth"
            truth = pd.read_csv(truth_dir / "channel_contribution.csv")
            touches, journeys = oracle_journeys(truth_dir)
            journeys = unit_attributes(truth_dir, journeys)
            conv = journeys["converted"].sum()
            true_base = 1.0 - float(truth["conversions_shapley"].sum()) / conv
            rows.append({"seed": seed, "variant": "floor: expected losses", **floor(truth_dir)})
            for name in args.variants:
                r = {
                    "seed": seed,
                    "variant": name,
                    **score(touches, journeys, truth, VARIANTS[name]),
                }
                r["true_baseline_share"] = true_base
                rows.append(r)
                print(
                    f"seed {seed} {name:34s} TV {r['tv']:.1%}  baseline "
                    f"{r['baseline_share']:.1%} (true {true_base:.1%}); largest errors "
                    + ", ".join(f"{k} {v:+.1%}" for k, v in r["errors"].items()),
                    flush=True,
                )
    frame = pd.DataFrame(rows)
    print(frame.pivot(index="variant", columns="seed", values="tv").round(3).to_string())
    write_result({"people": args.people, "runs": rows}, results_path("bench_feasibility.json"))


if __name__ == "__main__":
    main()
