"""Local engine vs the Spark engine (``local[2]``) on the same canonical rows, per stage.

Synthesizes canonical touchpoints, conversions and identity links
(:func:`bench_stitching.synthesize`, seeded, plus timestamps and traffic
sources), writes them as Parquet, then runs each engine in a fresh interpreter
over the same files and times each stage:

* **read**: the canonical Parquet files into the driver (local: pandas;
  Spark: ``spark.read.parquet`` then Arrow to pandas);
* **channels**: :func:`workbench.ingest.channels.assign_channels`, on the driver in
  both engines (as ``prepare --engine spark`` does: the rows are there);
* **stitch**: :func:`workbench.identity.stitch.stitch` (Spark: components by
  large-star / small-star rounds, :mod:`workbench.spark.components`);
* **write**: the stitched touchpoints and conversions written as ``prepare`` stores them;
* **paths**: journeys and the path table (local: on the driver's tables; Spark:
  read back from the written files by Spark, per person bucket in tasks, summed
  by Spark; :mod:`workbench.spark.paths`).

Memory: the driver's peak resident size (``ru_maxrss`` of the Python process)
and, sampled every 0.2 s, the peak of the driver plus its child processes (the
JVM and Python workers in ``local[2]``) and of the JVM alone. Spark's session
start-up is timed apart. Results go to ``benchmarks/results/bench_spark.json`` (git-ignored).

``--until stitch`` stops each engine after stitching (no path table), for the stitching
rounds alone. The full 10M run passed with ``--driver-memory 8g`` (the engine's 4 GB default
ran out collecting 10M rows in an earlier run; docs/scale-out.md).

Usage::

    python benchmarks/bench_spark.py --rows 1000000 10000000 [--until stitch] [--driver-memory 8g]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine_facts, results_path, write_result

SOURCES = np.array(["google", "facebook", "(direct)", "newsletter", "bing", "linkedin"])
MEDIUMS = np.array(["cpc", "paid_social", "(none)", "email", "organic", "referral"])


def synthesize_files(n_rows: int, folder: Path) -> None:
    """Canonical tables of about ``n_rows`` touchpoints as Parquet in ``folder``."""
    from bench_stitching import synthesize

    data = synthesize(n_rows)
    rng = np.random.default_rng(3)
    tp, cv = data["touchpoints"], data["conversions"]
    start = pd.Timestamp("2026-01-01", tz="UTC").value
    tp["ts"] = pd.to_datetime(start + rng.integers(0, 60 * 86_400, len(tp)) * 10**9, utc=True)
    cv["ts"] = pd.to_datetime(start + rng.integers(0, 60 * 86_400, len(cv)) * 10**9, utc=True)
    pick = rng.integers(0, len(SOURCES), len(tp))
    tp["traffic_source"] = pd.array(SOURCES[pick], dtype="string")
    tp["traffic_medium"] = pd.array(MEDIUMS[pick], dtype="string")
    cv["value"] = rng.gamma(2.0, 50.0, len(cv))
    tp.to_parquet(folder / "touchpoints.parquet", index=False, coerce_timestamps="us")
    cv.to_parquet(folder / "conversions.parquet", index=False, coerce_timestamps="us")
    data["links"].to_parquet(folder / "identity_links.parquet", index=False, coerce_timestamps="us")


class _Stages(dict):
    """Stage times; each one also printed to stderr when measured (kept if a run is cut off)."""

    def __init__(self, engine: str) -> None:
        super().__init__()
        self.engine = engine

    def __setitem__(self, key: str, value: float) -> None:
        super().__setitem__(key, value)
        print(f"{self.engine}: {key} {value:.1f}s", file=sys.stderr, flush=True)


class _Sampler:
    """Peak resident size of this process with its children, and of the JVM alone (0.2 s)."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process()
        self.peak = 0
        self.jvm_peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            total, jvm = self.me.memory_info().rss, 0
            for child in self.me.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                    jvm += rss if child.name() == "java" else 0
                    total += rss
                except Exception:  # noqa: BLE001 - a worker may end between the calls
                    pass
            self.peak = max(self.peak, total)
            self.jvm_peak = max(self.jvm_peak, jvm)
            time.sleep(0.2)

    def close(self) -> tuple[float, float]:
        """(peak of all processes, peak of the JVM) in MB."""
        self.stop.set()
        self.thread.join()
        return self.peak / 2**20, self.jvm_peak / 2**20


def run_engine(engine: str, folder: Path, until: str = "paths", driver_memory: str = "") -> dict:
    """The stages of one engine over the files in ``folder`` (in this process), up to ``until``."""
    from workbench.config import Config, IdentityConfig
    from workbench.identity.stitch import stitch
    from workbench.ingest.channels import assign_channels
    from workbench.intcodes import with_plain_strings
    from workbench.partitioned import write_table
    from workbench.schema import CHANNEL, PERSON_ID

    sampler = _Sampler()
    seconds: dict[str, float] = _Stages(engine)
    out: dict = {"engine": engine, "seconds": seconds}
    spark = None
    components = None
    t = time.perf_counter()
    if engine == "spark":
        from workbench.spark.components import SparkComponents
        from workbench.spark.session import spark_session

        conf = {"spark.sql.shuffle.partitions": "8"}
        if driver_memory:  # over the engine's default (DEFAULT_CONF in workbench/spark/session.py)
            conf |= {"spark.driver.memory": driver_memory, "spark.driver.maxResultSize": "0"}
        spark = spark_session("local[2]", conf)
        spark.range(1).count()
        components = SparkComponents(spark)
        seconds["session start"] = time.perf_counter() - t

    t = time.perf_counter()
    if spark is None:
        tables = {n: pd.read_parquet(folder / f"{n}.parquet") for n in _TABLES}
    else:
        tables = {
            n: _utc(spark.read.parquet(str(folder / f"{n}.parquet")).toPandas()) for n in _TABLES
        }
    seconds["read"] = time.perf_counter() - t

    tp = tables["touchpoints"]
    tp[CHANNEL] = pd.Series(pd.NA, index=tp.index, dtype="string")
    t = time.perf_counter()
    tp = assign_channels(tp, ())  # both engines: on the driver, where the rows are
    seconds["channels"] = time.perf_counter() - t

    t = time.perf_counter()
    stitched = stitch(
        tp, tables["conversions"], tables["identity_links"], IdentityConfig(), components=components
    )
    seconds["stitch"] = time.perf_counter() - t
    out["people"] = int(stitched.people["person_id"].nunique())
    out["rounds"] = components.rounds if components is not None else None
    del tables, tp
    if until == "stitch":
        return _finish(out, sampler, spark)

    config = Config(path=None)
    t = time.perf_counter()
    written = folder / f"prepared-{engine}"
    written.mkdir()
    for name in ("touchpoints", "conversions"):
        frame = with_plain_strings(getattr(stitched, name), PERSON_ID)
        write_table(frame, written / f"{name}.parquet")  # parts when large, as prepare
    seconds["write"] = time.perf_counter() - t
    t = time.perf_counter()
    if spark is None:
        from workbench.spark.paths import journey_path_table

        paths = journey_path_table(stitched.touchpoints, stitched.conversions, config)
    else:
        from workbench.spark.paths import default_period_end, spark_path_table

        paths = spark_path_table(
            spark,
            str(written / "touchpoints.parquet"),
            str(written / "conversions.parquet"),
            config,
            period_end=default_period_end(stitched.touchpoints, stitched.conversions),
            rows=len(stitched.touchpoints),
        )
    seconds["paths"] = time.perf_counter() - t
    out["paths"] = len(paths)
    out["conversions_in_paths"] = float(paths["total_conversions"].sum())
    return _finish(out, sampler, spark)


def _finish(out: dict, sampler: _Sampler, spark) -> dict:
    """Peak memory into ``out``; the session stopped."""
    out["driver_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["all_processes_peak_mb"], out["jvm_peak_mb"] = sampler.close()
    if spark is not None:
        spark.stop()
    return out


_TABLES = ("touchpoints", "conversions", "identity_links")


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    """Spark hands timestamps back naive (in the session's UTC): mark them UTC again."""
    for col in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[col]) and frame[col].dt.tz is None:
            frame[col] = frame[col].dt.tz_localize("UTC")
    return frame


def _child(engine: str, folder: Path, until: str, driver_memory: str) -> dict:
    extra = ["--driver-memory", driver_memory] if driver_memory else []
    proc = subprocess.run(
        [sys.executable, __file__, "--child", engine, "--folder", str(folder), "--until", until]
        + extra,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )  # the child's stderr (stage times as they come, Spark's log) passes through
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{engine} run failed (exit {proc.returncode}); see stderr above")
    return json.loads(lines[-1])


def main(sizes: list[int], until: str = "paths", driver_memory: str = "") -> None:
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            synthesize_files(n, folder)
            for engine in ("local", "spark"):
                res = {"rows": n, "until": until, **_child(engine, folder, until, driver_memory)}
                results.append(res)
                stages = ", ".join(f"{k} {v:.1f}s" for k, v in res["seconds"].items())
                print(
                    f"{n:>11,} rows  {engine:<5}  {stages}; total "
                    f"{sum(res['seconds'].values()):.1f}s; driver peak "
                    f"{res['driver_peak_mb']:,.0f} MB, with JVM/workers "
                    f"{res['all_processes_peak_mb']:,.0f} MB (JVM {res['jvm_peak_mb']:,.0f} MB); "
                    f"people {res['people']:,}"
                    + (f"; {res['rounds']} rounds" if res["rounds"] is not None else ""),
                    flush=True,
                )
    path = results_path("bench_spark.json")
    write_result({"machine": machine_facts("pandas", "pyspark"), "results": results}, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--child", choices=("local", "spark"), default=None)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument(
        "--until", choices=("stitch", "paths"), default="paths", help="last stage to run"
    )
    parser.add_argument(
        "--driver-memory", default="", help="Spark driver heap, e.g. 8g (default: the engine's)"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_engine(args.child, args.folder, args.until, args.driver_memory)))
    else:
        main(args.rows, args.until, args.driver_memory)
