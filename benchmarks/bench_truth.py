"""How far attribution lands from the sample's true incremental channel shares.

For each seed: generate the sample, prepare it with the bundled config, build the
journeys and run the config's ``[attribution] models``; print the total-variation
distance (TV, see docs/attribution.md) of every model to ``_truth/channel_contribution.csv``,
the best default model, and the best calibrated model (``calibrated:MODEL`` with the
sample's simulated lift tests, ``_truth/experiments.csv``). ``--no-rules`` also scores
the journeys built without the journey rules (no merges, no exclusions, the previous
touch types) for comparison. Nothing is asserted; numbers are printed and written to
``benchmarks/results/bench_truth.json``. Usage::

    .venv/bin/python benchmarks/bench_truth.py --seeds 7 8 9 --people 3000
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from _common import results_path, write_result

from workbench.attribution import run_models, truthfulness
from workbench.attribution.calibration import (
    calibrate_credits,
    experiment_comparison,
    read_experiments,
)
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


def _prepare(folder: Path, people: int, seed: int) -> Path:
    generate_sample(folder / "sample", people=people, seed=seed, truth_touches=False)
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


def _score(ws: Workspace, experiments: pd.DataFrame) -> dict[str, object]:
    models = list(ws.config.attribution.get("models", [])) or None
    js = ws.journeys()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        credits = run_models(js.touches, js.journeys, models)
        cmp = experiment_comparison(js.touches, js.journeys, experiments, models)
    truth = ws.truth_contribution()
    plain = truthfulness(credits, truth)
    calibrated = truthfulness(calibrate_credits(credits, cmp), truth)
    return {
        "tv_per_model": dict(zip(plain["model"], plain["tv_conversions"].round(4), strict=True)),
        "best_model": plain["model"].iloc[0],
        "best_tv": float(plain["tv_conversions"].iloc[0]),
        "best_calibrated": calibrated["model"].iloc[0],
        "best_calibrated_tv": float(calibrated["tv_conversions"].iloc[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--no-rules", action="store_true", help="also score without the rules")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory(prefix="bench_truth_") as tmp:
            config = _prepare(Path(tmp), args.people, seed)
            ws = Workspace.load(config)
            experiments = read_experiments(Path(tmp) / "sample" / "_truth" / "experiments.csv")
            runs = {"rules": ws}
            if args.no_rules:
                journeys = dataclasses.replace(ws.config.journeys, touch_types=_OLD_TOUCH_TYPES)
                cfg = dataclasses.replace(ws.config, journey_rules=_NO_RULES, journeys=journeys)
                runs["no_rules"] = dataclasses.replace(ws, config=cfg, _cache={}, _rules_cache={})
            for name, w in runs.items():
                r = {"seed": seed, "journeys": name, **_score(w, experiments)}
                rows.append(r)
                print(
                    f"seed {seed} {name:8s}: best default {r['best_model']} "
                    f"TV {r['best_tv']:.1%}; best calibrated {r['best_calibrated']} "
                    f"TV {r['best_calibrated_tv']:.1%}",
                    flush=True,
                )
    frame = pd.DataFrame(rows)
    summary = frame.groupby("journeys")[["best_tv", "best_calibrated_tv"]].agg(["mean", "max"])
    print(summary.to_string())
    write_result({"people": args.people, "runs": rows}, results_path("bench_truth.json"))


if __name__ == "__main__":
    main()
