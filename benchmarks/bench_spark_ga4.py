"""Reading a GA4 NDJSON export: the local reader vs the Spark-native reader (``local[2]``).

Builds an export of about ``--rows`` lines by copying the small sample's GA4
lines with a distinct ``user_pseudo_id`` per copy (so nothing is a duplicate),
in files of about 50,000 lines, then times
:func:`workbench.ingest.readers.read_source` (local) and
:func:`workbench.spark.ga4.read_ga4_spark` (Spark in this process; the session
start is timed apart) on the same files and checks that the touchpoints are
equal. Results go to ``benchmarks/results/bench_spark_ga4.json`` (git-ignored).

Usage::

    python benchmarks/bench_spark_ga4.py --rows 1000000
"""

from __future__ import annotations

import argparse
import re
import resource
import tempfile
import time
from pathlib import Path

from _common import machine_facts, results_path, write_result

_USER = re.compile(rb'("user_pseudo_id": ")([^"]*)(")')
_FILE_LINES = 50_000


def build_export(n_rows: int, folder: Path) -> tuple[Path, int]:
    """GA4 NDJSON files of about ``n_rows`` lines in ``folder``; (the config, lines written)."""
    from workbench.cli.demo import write_demo_config
    from workbench.sample import generate_sample

    sample = folder / "sample"
    generate_sample(sample, people=200, seed=7)
    ga4 = sample / "ga4"
    lines = [
        line
        for f in sorted(ga4.glob("*.ndjson"))
        for line in f.read_bytes().splitlines()
        if line.startswith(b"{") and line.endswith(b"}")
    ]
    for f in ga4.glob("*"):
        f.unlink()
    written, copy, buffer, part = 0, 0, [], 0
    while written < n_rows:
        tag = f".{copy}".encode()
        buffer += [_USER.sub(rb"\1\2" + tag + rb"\3", line) for line in lines]
        written += len(lines)
        copy += 1
        while len(buffer) >= _FILE_LINES or (written >= n_rows and buffer):
            (ga4 / f"events_{part:05d}.ndjson").write_bytes(
                b"\n".join(buffer[:_FILE_LINES]) + b"\n"
            )
            buffer, part = buffer[_FILE_LINES:], part + 1
    config = write_demo_config(folder, folder / "reports")
    return config, written


def main(n_rows: int) -> None:
    """Build the export, time both readers, print and save the result."""
    import pandas as pd

    from workbench.config import load_config
    from workbench.ingest.readers import read_source
    from workbench.schema import SOURCE_FILE, SOURCE_ROW, TOUCH_TYPE
    from workbench.spark.ga4 import read_ga4_spark
    from workbench.spark.session import spark_session

    with tempfile.TemporaryDirectory() as tmp:
        config, written = build_export(n_rows, Path(tmp))
        source = next(s for s in load_config(config).sources if s.format == "ga4")
        started = time.perf_counter()
        local = read_source(source)
        t_local = time.perf_counter() - started
        rss_local = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        spark = spark_session("local[2]")
        t_start = time.perf_counter() - started
        started = time.perf_counter()
        native = read_ga4_spark(spark, source)
        t_spark = time.perf_counter() - started
        assert native is not None
        key = [SOURCE_FILE, SOURCE_ROW, TOUCH_TYPE]
        a = local.touchpoints.sort_values(key).reset_index(drop=True)
        b = native.touchpoints.sort_values(key).reset_index(drop=True)
        same = a.equals(b) and local.quarantine.equals(native.quarantine)
        result = {
            "lines": written,
            "touchpoints": len(local.touchpoints),
            "seconds_local": round(t_local, 1),
            "seconds_spark_session_start": round(t_start, 1),
            "seconds_spark_read": round(t_spark, 1),
            "peak_rss_mb_after_local": round(rss_local),
            "equal_touchpoints_and_quarantine_count": bool(same),
            "machine": machine_facts("pyspark", "pyarrow", "pandas"),
        }
        spark.stop()
    print(pd.Series({k: v for k, v in result.items() if k != "machine"}).to_string())
    write_result(result, results_path("bench_spark_ga4.json"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    main(parser.parse_args().rows)
