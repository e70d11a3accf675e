"""Benchmark the synthetic sample generator: wall time and peak memory per size.

For each ``--people`` size, times :func:`workbench.sample.generate_sample`
into a temporary folder (fastest of ``--repeat`` in-process runs) and measures
its peak memory in a fresh interpreter (peak resident size minus the resident
size after the imports). With ``--score`` it also reads the sample with every
configured reader, stitches it and scores the stitching against the sample's
ground truth (pairwise precision and recall over identifiers, as
``tests/identity/test_stitch_accuracy.py`` does). Results go to
``benchmarks/results/bench_sample.json`` (git-ignored).

Usage::

    python benchmarks/bench_sample.py --people 3000 50000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import (
    ROOT,
    best_of,
    child_peak_mb,
    machine_facts,
    report_child_peak,
    results_path,
    write_result,
)

from workbench.sample import generate_sample


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(people: int, seed: int, chunk: int, repeat: int) -> tuple[float, dict, Path]:
    """Fastest of ``repeat`` runs; returns the seconds, the summary and the last folder."""
    folders: list[Path] = []

    def new_folder() -> Path:
        if folders:
            shutil.rmtree(folders[-1].parent, ignore_errors=True)
        folders.append(Path(tempfile.mkdtemp(prefix="bench_sample_")) / "sample")
        return folders[-1]

    def generate(out: Path) -> dict:
        return generate_sample(out, people=people, seed=seed, chunk_people=chunk)

    best, _, summary = best_of(generate, repeat, collect=True, setup=new_folder)
    return best, summary, folders[-1]


def peak_memory_mb(people: int, seed: int, chunk: int) -> float:
    """Peak extra resident memory of one generation, measured in a fresh interpreter."""
    args = ["--child", "--people", str(people), "--seed", str(seed), "--chunk-people", str(chunk)]
    return child_peak_mb(__file__, args)


def _child(people: int, seed: int, chunk: int) -> None:
    def generate() -> None:
        with tempfile.TemporaryDirectory(prefix="bench_sample_") as tmp:
            generate_sample(Path(tmp) / "sample", people=people, seed=seed, chunk_people=chunk)

    report_child_peak(generate)


def score(out: Path) -> dict[str, float]:
    """Read, stitch and score the sample in ``out`` against its ``_truth/identifiers.csv``."""
    from workbench.config import load_config
    from workbench.identifiers import normalize_email, normalize_fbclid, normalize_phone
    from workbench.identity.diagnostics import pairwise_scores
    from workbench.identity.stitch import stitch
    from workbench.ingest import readers
    from workbench.ingest.validation import conform
    from workbench.schema import CONVERSIONS, IDENTITY_LINKS, TOUCHPOINTS

    config = load_config(ROOT / "workbench.toml")
    parts: dict[str, list[pd.DataFrame]] = {"touchpoints": [], "conversions": [], "links": []}
    t0 = time.perf_counter()
    for source in config.sources:
        if not source.enabled:
            continue
        result = readers.read_source(dataclasses.replace(source, base_dir=out))
        for name, frame in (
            ("touchpoints", result.touchpoints),
            ("conversions", result.conversions),
            ("links", result.identity_links),
        ):
            if len(frame):
                parts[name].append(frame)
    tables = [
        conform(pd.concat(parts[name], ignore_index=True), table)
        for name, table in (
            ("touchpoints", TOUCHPOINTS),
            ("conversions", CONVERSIONS),
            ("links", IDENTITY_LINKS),
        )
    ]
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = stitch(*tables, config.identity)
    stitch_s = time.perf_counter() - t0

    truth = pd.read_csv(out / "_truth" / "identifiers.csv", dtype=str)
    truth["id_value"] = truth["id_value"].str.strip()
    for id_type, fn in (
        ("email", normalize_email),
        ("phone", lambda v: normalize_phone(v, default_region=config.default_phone_region)),
        ("fbclid", normalize_fbclid),
    ):
        sel = truth["id_type"] == id_type
        truth.loc[sel, "id_value"] = fn(truth.loc[sel, "id_value"]).to_numpy()
    truth = truth.dropna(subset=["id_value"])
    owners = truth.groupby(["id_type", "id_value"])["person_id"].transform("nunique")
    scores = pairwise_scores(result.identities, truth[owners == 1])
    return {
        "precision": round(scores["precision"], 4),
        "recall": round(scores["recall"], 4),
        "true_pairs": int(scores["true_pairs"]),
        "read_seconds": round(read_s, 2),
        "stitch_seconds": round(stitch_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[3000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk-people", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs each; fastest kept")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory children")
    parser.add_argument("--score", action="store_true", help="also stitch and score the sample")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.people[0], args.seed, args.chunk_people)
        return 0
    results = []
    for n in args.people:
        seconds, summary, out = timed(n, args.seed, args.chunk_people, args.repeat)
        row = {
            "people": n,
            "seconds": round(seconds, 2),
            "people_per_second": round(n / seconds),
            "ga4_events": summary.ga4_events,
            "rows": sum(summary.files.values()),
            "megabytes": round(_folder_bytes(out) / 2**20, 1),
            "peak_extra_mb": None
            if args.no_memory
            else round(peak_memory_mb(n, args.seed, args.chunk_people), 1),
        }
        if args.score:
            row.update(score(out))
        shutil.rmtree(out.parent, ignore_errors=True)
        results.append(row)
        print(json.dumps(row), flush=True)
    payload = {
        **machine_facts(),
        "seed": args.seed,
        "chunk_people": args.chunk_people,
        "results": results,
    }
    write_result(payload, results_path("bench_sample.json"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
