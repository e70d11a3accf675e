"""How far attribution lands from the sample's true incremental channel shares.

For each seed: generate the sample, prepare it with the bundled config, build the
journeys and run the config's ``[attribution] models``; print the total-variation
distance (TV, see docs/attribution.md) of every model to ``_truth/channel_contribution.csv``,
the best default model, and the best calibrated model (``calibrated:MODEL`` with the
sample's simulated lift tests, ``_truth/experiments.csv``). ``--no-rules`` also scores
the journeys built without the journey rules (no merges, no exclusions, the previous
touch types) for comparison; ``--oracle`` also scores the journeys the causal model
itself used (``_truth/touches.csv``, see ``benchmarks/_oracle.py``), separating what
the models miss from what the data pipeline adds. Per run the largest per-channel
errors of the best model are printed, the calibrated models are also scored with
noise-free experiments (the true conversions lost of the tested channels), and every
figure is also given against the Shapley truth (``conversions_shapley``). The
incrementality model (``incrementality``, a conversion-probability model over converting
and non-converting journeys) is scored beside them whether or not the config lists it, with
and without calibration, with its ``(baseline)`` share (conversions it expects without
marketing) next to the true baseline share, and with the TV it gets when that baseline is
counted as misplaced credit; ``--strata COLUMN`` fits it with one set of effects per
stratum of that journeys column (``strata`` option; not on the oracle journeys, which have
no attributes); ``--options JSON`` passes other options to it (e.g.
``'{"controls": [], "risk_set_cuts": 5}'``, docs/attribution.md), or a JSON list of such
objects, each scored on the same prepared samples (the default models run once); a
variant's ``strata`` or ``covariates`` that the journeys lack (the oracle's) are left
out. Beside its TV, each variant's TV with its ``(no known touch)`` conversions split
like its other conversions (the model's baseline share of them to ``(baseline)``) is
printed. Nothing is asserted; numbers are printed and written to
``benchmarks/results/bench_truth.json``. Usage::

    .venv/bin/python benchmarks/bench_truth.py --seeds 7 8 9 --people 3000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from _common import results_path, write_result
from _oracle import oracle_journeys

from workbench.attribution import run_models, truthfulness
from workbench.attribution.calibration import (
    calibrate_credits,
    experiment_comparison,
    read_experiments,
)
from workbench.attribution.incrementality import BASELINE
from workbench.attribution.inputs import NO_KNOWN_TOUCH
from workbench.attribution.settings import model_options, resolve_models
from workbench.cli.demo import with_project_paths
from workbench.journeys.rules import JourneyRules
from workbench.notebook.workspace import Workspace
from workbench.paths import default_config_path
from workbench.sample import generate_sample

_NO_RULES = JourneyRules(
    merge_ad_clicks=False,
    merge_email_clicks=False,
    product_pages=(),
    email_opens=False,
    after_conversion=False,
)
_OLD_TOUCH_TYPES = ("session", "email_open", "email_click", "webinar_registration",
                    "webinar_attendance", "sales_call", "meeting", "demo", "offline_event",
                    "form_submit")  # fmt: skip


def _prepare(folder: Path, people: int, seed: int, touches: bool = False) -> Path:
    generate_sample(folder / "sample", people=people, seed=seed, truth_touches=touches)
    text = with_project_paths(
        default_config_path().read_text(encoding="utf-8"),
        data_dir=folder / "sample",
        processed_dir=folder / "processed",
        truth_dir=folder / "sample" / "_truth",
        reports_dir=folder / "reports",
    )
    config = folder / "workbench.toml"
    config.write_text(text, encoding="utf-8")
    cli = Path(sys.executable).with_name("workbench")
    subprocess.run([str(cli), "prepare", "--config", str(config), "--quiet"], check=True)
    return config


def _score(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    truth: pd.DataFrame,
    experiments: pd.DataFrame,
    ws: Workspace,
    true_baseline: float,
    strata: str = "",
    ours_options: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    defaults = resolve_models(None, ws.config.attribution)
    options = model_options(ws.config.attribution, defaults)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        credits = run_models(touches, journeys, defaults, **options)
        cmp = experiment_comparison(touches, journeys, experiments, defaults, **options)
    used = strata if strata in journeys.columns else ""  # oracle journeys have no attributes
    variants = []
    for extra in ours_options or [{}]:  # options of the incrementality model only
        mine = {**model_options(ws.config.attribution, [_OURS])}
        if used:
            mine["strata"] = used
        if extra.get("strata") and extra["strata"] not in journeys.columns:
            extra = {k: v for k, v in extra.items() if k != "strata"}
        mine.update({k: v for k, v in extra.items() if k != "covariates"})
        covariates = [c for c in extra.get("covariates", []) if c in journeys.columns]  # type: ignore[union-attr]
        if covariates:
            mine["covariates"] = covariates
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            own = run_models(touches, journeys, [_OURS], **mine)
            own_cmp = experiment_comparison(touches, journeys, experiments, [_OURS], **mine)
        variants.append(
            {
                **_ours(own, own_cmp, truth, true_baseline),
                "ours_strata": str(mine.get("strata", "")),
                "ours_options": {k: v for k, v in mine.items() if k != "strata"},
            }
        )
    plain = truthfulness(credits, truth)
    calibrated = truthfulness(calibrate_credits(credits, cmp), truth)
    # the same calibration with noise-free experiments: the true conversions lost
    lost = truth.set_index("channel")["conversions_lost"].astype(float)
    exact = cmp.assign(incremental=cmp["channel"].map(lost).to_numpy())
    exact = exact.assign(low=exact["incremental"], high=exact["incremental"])
    calibrated_exact = truthfulness(calibrate_credits(credits, exact), truth)
    best = plain["model"].iloc[0]
    # the second truth definition: Shapley shares of each conversion (_truth README)
    shapley = truth.assign(conversions_lost=truth["conversions_shapley"])
    plain_sh = truthfulness(credits, shapley)
    calibrated_sh = truthfulness(calibrate_credits(credits, cmp), shapley)
    return {
        "tv_per_model": dict(zip(plain["model"], plain["tv_conversions"].round(4), strict=True)),
        "best_model": best,
        "best_tv": float(plain["tv_conversions"].iloc[0]),
        "best_calibrated": calibrated["model"].iloc[0],
        "best_calibrated_tv": float(calibrated["tv_conversions"].iloc[0]),
        "best_calibrated_exact": calibrated_exact["model"].iloc[0],
        "best_calibrated_exact_tv": float(calibrated_exact["tv_conversions"].iloc[0]),
        "best_tv_shapley_truth": float(plain_sh["tv_conversions"].iloc[0]),
        "best_model_shapley_truth": plain_sh["model"].iloc[0],
        "best_calibrated_tv_shapley_truth": float(calibrated_sh["tv_conversions"].iloc[0]),
        "best_errors": _errors(credits[credits["model"] == best], truth),
        **variants[0],
        "variants": variants,
    }


_OURS = "incrementality"


def _ours(
    credits: pd.DataFrame, cmp: pd.DataFrame, truth: pd.DataFrame, true_baseline: float
) -> dict[str, object]:
    """The incrementality model's distances, its baseline share and its largest errors."""
    own = credits[credits["model"] == _OURS]
    shapley = truth.assign(conversions_lost=truth["conversions_shapley"])
    calibrated = calibrate_credits(own, cmp[cmp["model"] == _OURS])
    # the baseline counted as misplaced credit: renamed to a channel the truth lacks
    counted = own.assign(channel=own["channel"].replace(BASELINE, "(baseline, counted)"))
    base = float(own.loc[own["channel"] == BASELINE, "conversions"].sum())
    # (no known touch) split like the other conversions: its baseline share to (baseline)
    touchless = own["channel"] == NO_KNOWN_TOUCH
    known = float(own.loc[~touchless, "conversions"].sum())
    share = base / known if known else 0.0
    split = pd.concat(
        [
            own.assign(
                conversions=own["conversions"].where(~touchless, own["conversions"] * (1 - share))
            ),
            own[touchless].assign(channel=BASELINE, conversions=own["conversions"] * share),
        ]
    )
    return {
        "ours_tv_touchless_split": float(truthfulness(split, truth)["tv_conversions"].iloc[0]),
        "ours_tv": float(truthfulness(own, truth)["tv_conversions"].iloc[0]),
        "ours_calibrated_tv": float(truthfulness(calibrated, truth)["tv_conversions"].iloc[0]),
        "ours_tv_shapley_truth": float(truthfulness(own, shapley)["tv_conversions"].iloc[0]),
        "ours_tv_baseline_counted": float(truthfulness(counted, truth)["tv_conversions"].iloc[0]),
        "ours_baseline_share": base / float(own["conversions"].sum()),
        "true_baseline_share": true_baseline,
        "ours_errors": _errors(own[own["channel"] != BASELINE], truth),
    }


def _true_baseline(truth_dir: Path, truth: pd.DataFrame) -> float:
    """Share of the real conversions that would have happened without any touch."""
    conv = pd.read_csv(truth_dir / "conversions.csv", dtype=str)
    conv = conv[conv["counted"].str.lower() == "true"]
    unit = conv["account_id"].where(conv["conversion_type"] == "deal_won", conv["person_id"])
    n = unit.nunique()
    return 1.0 - float(truth["conversions_shapley"].sum()) / n if n else float("nan")


def _errors(credits: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Signed share error per channel (credit share - true share), largest first."""
    got = credits.groupby("channel")["conversions"].sum()
    true = truth.set_index("channel")["conversions_lost"].astype(float)
    idx = got.index.union(true.index)
    diff = got.reindex(idx).fillna(0) / got.sum() - true.reindex(idx).fillna(0) / true.sum()
    diff = diff.reindex(diff.abs().sort_values(ascending=False).index)
    return {str(k): round(float(v), 4) for k, v in diff.items()}


def _print_ours(v: dict[str, object]) -> None:
    """One incrementality variant's distances, baseline share and largest errors."""
    by = f" by {v['ours_strata']}" if v["ours_strata"] else ""
    print(
        f"    {_OURS}{by} {json.dumps(v['ours_options'])}: TV {v['ours_tv']:.1%}, "
        f"calibrated {v['ours_calibrated_tv']:.1%}, "
        f"vs Shapley truth {v['ours_tv_shapley_truth']:.1%}, baseline counted as "
        f"misplaced {v['ours_tv_baseline_counted']:.1%}, (no known touch) split like the "
        f"other conversions {v['ours_tv_touchless_split']:.1%}; baseline share "
        f"{v['ours_baseline_share']:.1%} (true {v['true_baseline_share']:.1%})",
        flush=True,
    )
    top = list(v["ours_errors"].items())[:6]  # type: ignore[attr-defined]
    print("    its largest errors: " + ", ".join(f"{k} {e:+.1%}" for k, e in top))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--no-rules", action="store_true", help="also score without the rules")
    parser.add_argument(
        "--oracle",
        action="store_true",
        help="also score the true journeys (_truth/touches.csv, benchmarks/_oracle.py)",
    )
    parser.add_argument(
        "--strata",
        default="",
        help="journeys column whose values give the incrementality model one effect per "
        "stratum (e.g. employee_band); not applied to the oracle journeys",
    )
    parser.add_argument(
        "--options",
        default="{}",
        help="JSON object of further incrementality options, e.g. "
        '\'{"controls": [], "risk_set_cuts": 5}\', or a list of such objects: each is '
        "scored on the same prepared samples (the default models are run once)",
    )
    args = parser.parse_args()
    ours_options = json.loads(args.options)
    ours_options = ours_options if isinstance(ours_options, list) else [ours_options]
    rows = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory(prefix="bench_truth_") as tmp:
            config = _prepare(Path(tmp), args.people, seed, args.oracle)
            ws = Workspace.load(config)
            truth_dir = Path(tmp) / "sample" / "_truth"
            experiments = read_experiments(truth_dir / "experiments.csv")
            truth = ws.truth_contribution()
            baseline = _true_baseline(truth_dir, truth)
            js = ws.journeys()
            runs = {"rules": (js.touches, js.journeys)}
            if args.no_rules:
                journeys = dataclasses.replace(ws.config.journeys, touch_types=_OLD_TOUCH_TYPES)
                cfg = dataclasses.replace(ws.config, journey_rules=_NO_RULES, journeys=journeys)
                bare = dataclasses.replace(ws, config=cfg, _cache={}, _rules_cache={}).journeys()
                runs["no_rules"] = (bare.touches, bare.journeys)
            if args.oracle:
                runs["oracle"] = oracle_journeys(truth_dir)
            for name, (touches, journeys) in runs.items():
                r = {
                    "seed": seed,
                    "journeys": name,
                    **_score(
                        touches,
                        journeys,
                        truth,
                        experiments,
                        ws,
                        baseline,
                        args.strata,
                        ours_options,
                    ),
                }
                rows.append(r)
                print(
                    f"seed {seed} {name:8s}: best default {r['best_model']} "
                    f"TV {r['best_tv']:.1%}; best calibrated {r['best_calibrated']} "
                    f"TV {r['best_calibrated_tv']:.1%} (with noise-free experiments "
                    f"{r['best_calibrated_exact']} {r['best_calibrated_exact_tv']:.1%})",
                    flush=True,
                )
                print(
                    f"    against the Shapley truth: best default {r['best_model_shapley_truth']} "
                    f"TV {r['best_tv_shapley_truth']:.1%}, best calibrated "
                    f"TV {r['best_calibrated_tv_shapley_truth']:.1%}"
                )
                top = list(r["best_errors"].items())[:6]
                print("    largest errors: " + ", ".join(f"{k} {v:+.1%}" for k, v in top))
                for v in r["variants"]:
                    _print_ours(v)
    frame = pd.DataFrame(rows)
    cols = ["best_tv", "best_calibrated_tv", "best_calibrated_exact_tv", "best_tv_shapley_truth",
            "ours_tv", "ours_calibrated_tv"]  # fmt: skip
    summary = frame.groupby("journeys")[cols].agg(["mean", "max"])
    print(summary.to_string())
    write_result({"people": args.people, "runs": rows}, results_path("bench_truth.json"))


if __name__ == "__main__":
    main()
