"""How fast the GA4 reader reads a large export, against a bare pyarrow parse of the same files.

**What is timed.** Synthesizes ``--events`` GA4 events by repeating the real obfuscated
web sample (``tests/data/ga4_real/web_events.ndjson``, ~2.5 KB per event) with a
different ``user_pseudo_id`` per copy, spread over ``--files`` daily NDJSON files, with
a few duplicate and malformed lines per file. By default the sample's ``"ecommerce":
"null"`` strings (an artifact of how the sample was converted) are written as JSON
``null`` like BigQuery does; ``--as-sample`` keeps them (the reader then takes its
byte-fixing path), ``--bq-ints`` writes INT64 values as strings like ``bq extract``.
Then times

* the baseline: ``pyarrow.json.read_json`` of every file with the reader's explicit
  schema, in the parse mode the files need (parsing only, nothing else; the malformed
  lines are cut out first; pyarrow's threads, so both cores, as the reader; the
  reader's memory pool), and
* ``read_source`` of the whole source (parse, de-duplicate, quarantine, flatten
  ``event_params``, build sessions, page views, conversions, links).

**Why this baseline.** A bare parse into the same columns is the least any reader of
these files must do. With ``--duckdb`` (when duckdb is installed) DuckDB's
``read_json`` of the same files with the same columns is timed as a reference parser:
faster, but lenient (trailing commas, ``NaN``, type coercions) and without line
numbers, so the reader does not use it (see :mod:`workbench.ingest.readers._jsonl`).

**What the figures mean.** Prints both (wall and CPU seconds, fastest of ``--repeat``)
and their ratio reader / bare parse. ``--rounds N`` adds N alternating rounds of both
(order flipped each round) and prints the median of the per-round ratios, steadier on
a shared, loaded machine (the first single run also warms the page cache). Results go
to ``benchmarks/results/bench_readers.json`` (git-ignored). Usage::

    .venv/bin/python benchmarks/bench_readers.py --events 1000000
    .venv/bin/python benchmarks/bench_readers.py --events 1000000 --files 90  # daily files
    .venv/bin/python benchmarks/bench_readers.py --events 1000000 --files 90 --rounds 3

**Latest figures**, idle machine, 2026-12-04 15:02 UTC (load ~1.4): ``--events 1000000
--files 90 --rounds 3`` (2.6 GB) single run 1.09x (CPU 1.13x), median of 3 alternating
rounds **1.04x** (CPU 1.05x; bare parse 8.1 s, reader 8.7 s). Issue 16's target (1.2x)
is met.

History of the figure: ``benchmarks/HISTORY.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import re
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj
from _common import alternating, best_of, machine_facts, results_path, write_result

from workbench.config import SourceConfig
from workbench.ingest.readers import read_source
from workbench.ingest.readers._ga4_events import MODES
from workbench.ingest.readers._jsonl import PARSE_POOL
from workbench.paths import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "tests" / "data" / "ga4_real" / "web_events.ndjson"
_CUT = b'{"event_name": "page_view", "event_\n'
_UID = re.compile(rb'("user_pseudo_id": ")([^"]*)(")')


def templates(as_sample: bool, bq_ints: bool) -> list[bytes]:
    """The sample's lines, optionally normalized like a BigQuery export."""
    lines = SAMPLE.read_bytes().splitlines()
    if as_sample and not bq_ints:
        return lines
    out = []
    for line in lines:
        row = json.loads(line)
        if not as_sample and row.get("ecommerce") == "null":
            row["ecommerce"] = None
        if bq_ints:
            row["event_timestamp"] = str(row["event_timestamp"])
            for p in row["event_params"]:
                if (p.get("value") or {}).get("int_value") is not None:
                    p["value"]["int_value"] = str(p["value"]["int_value"])
        out.append(json.dumps(row).encode())
    return out


def synthesize(
    folder: Path, n_events: int, n_files: int, bad_per_file: int, lines: list[bytes]
) -> list[Path]:
    """Write ``n_events`` GA4 lines (plus duplicates and malformed lines) into ``n_files`` files."""
    templates = lines
    parts = [_UID.split(line, maxsplit=1) for line in templates]
    per_file = n_events // n_files
    paths = []
    copy = 0
    for f in range(n_files):
        out: list[bytes] = []
        while len(out) < per_file:
            tag = f"-{copy}".encode()
            for head, open_q, uid, close_q, tail in parts:
                out.append(head + open_q + uid + tag + close_q + tail)
            copy += 1
        out = out[:per_file]
        for k in range(bad_per_file):
            out[(k + 1) * 997 % len(out)] = out[0]  # duplicate line
            out[(k + 1) * 1999 % len(out)] = _CUT[:-1]  # cut line
        path = folder / f"events_202611{f + 1:02d}.ndjson"
        path.write_bytes(b"\n".join(out) + b"\n")
        paths.append(path)
    return paths


def bare_parse(paths: list[Path], bq_ints: bool = False, as_sample: bool = False) -> int:
    """The baseline: pyarrow's JSON parser on every file, reader's schema, nothing else.

    In the parse mode the files need (the one the reader picks for them too): INT64
    as numbers or strings, and the ``"null"`` fix (a scan of every byte) only for
    ``--as-sample`` files, which have those strings. Tables are allocated from the
    reader's pool (:data:`~workbench.ingest.readers._jsonl.PARSE_POOL`, the C
    library's allocator): the bare parse is no slower with it than with pyarrow's
    default (mimalloc), which cost the reader seconds of system time.
    """
    mode = MODES[2 * as_sample + bq_ints]
    options = pj.ParseOptions(explicit_schema=mode.schema, unexpected_field_behavior="ignore")
    rows = 0
    for path in paths:
        data = path.read_bytes()
        data = mode.fix(data) if mode.fix is not None else data  # type: ignore[misc]
        rows += pj.read_json(
            io.BytesIO(data.replace(_CUT, b"")), parse_options=options, memory_pool=PARSE_POOL
        ).num_rows
    return rows


def duckdb_parse(paths: list[Path]) -> int:
    """Reference: DuckDB's ``read_json`` of the same files and columns (lenient, no lines)."""
    import duckdb

    def sql(t: pa.DataType) -> str:
        if pa.types.is_struct(t):
            return "STRUCT(" + ", ".join(f"{f.name} {sql(f.type)}" for f in t) + ")"
        if pa.types.is_list(t):
            return sql(t.value_type) + "[]"
        return {pa.int64(): "BIGINT", pa.float64(): "DOUBLE"}.get(t, "VARCHAR")

    columns = {f.name: sql(f.type) for f in MODES[0].schema}
    files = [str(p) for p in paths]
    query = (
        f"SELECT * FROM read_json({files!r}, format='newline_delimited', "
        f"columns={columns!r}, ignore_errors=true)"
    )
    return duckdb.connect().sql(query).to_arrow_table().num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--bad-per-file", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs each; fastest kept")
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="also run baseline and reader in N alternating rounds; print the median ratios",
    )
    parser.add_argument("--as-sample", action="store_true", help='keep "ecommerce": "null"')
    parser.add_argument("--bq-ints", action="store_true", help="INT64 values as strings")
    parser.add_argument("--duckdb", action="store_true", help="also time duckdb's read_json")
    args = parser.parse_args()
    lines = templates(args.as_sample, args.bq_ints)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = synthesize(folder, args.events, args.files, args.bad_per_file, lines)
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(
            f"synthesized {args.events:,} events in {len(paths)} files ({size:,.0f} MB) "
            f"in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        base_wall, base_cpu, _ = best_of(
            lambda: bare_parse(paths, args.bq_ints, args.as_sample), args.repeat
        )
        print(f"baseline pyarrow.json parse: {base_wall:.1f} s (cpu {base_cpu:.1f} s)", flush=True)
        duck = None
        if args.duckdb and importlib.util.find_spec("duckdb") is None:
            print("reference duckdb read_json: skipped (pip install duckdb)")
        elif args.duckdb:
            duck = best_of(lambda: duckdb_parse(paths), args.repeat)[:2]
            print(
                f"reference duckdb read_json: {duck[0]:.1f} s (cpu {duck[1]:.1f} s) = "
                f"{duck[0] / base_wall:.2f} x baseline",
                flush=True,
            )
        source = SourceConfig(name="ga4", format="ga4", path="events_*.ndjson", base_dir=folder)
        wall, cpu, result = best_of(lambda: read_source(source), args.repeat)
        tp = result.touchpoints  # type: ignore[attr-defined]
        reasons = result.quarantine["reason"].value_counts().to_dict()  # type: ignore[attr-defined]
        print(
            f"read_source: {wall:.1f} s (cpu {cpu:.1f} s) = {wall / base_wall:.2f} x baseline "
            f"(cpu {cpu / base_cpu:.2f} x); {args.events / wall:,.0f} events/s; "
            f"sessions {int((tp.touch_type == 'session').sum()):,}, "
            f"pageviews {int((tp.touch_type == 'pageview').sum()):,}, "
            f"quarantined {sum(reasons.values()):,} ({reasons})"
        )
        alt = None
        if args.rounds:
            alt = alternating(
                lambda: read_source(source),
                lambda: bare_parse(paths, args.bq_ints, args.as_sample),
                args.rounds,
            )
            print(
                f"{args.rounds} alternating rounds: baseline {alt.seconds['baseline']:.1f} s, "
                f"read_source {alt.seconds['project']:.1f} s (medians); median ratio "
                f"{alt.ratio:.2f} x (cpu {alt.cpu_ratio:.2f} x)"
            )
    out = {
        "benchmark": "readers",
        **machine_facts("pyarrow"),
        "events": args.events,
        "files": args.files,
        "megabytes": round(size, 1),
        "baseline_seconds": round(base_wall, 2),
        "baseline_cpu_seconds": round(base_cpu, 2),
        "duckdb_seconds": None if duck is None else round(duck[0], 2),
        "read_source_seconds": round(wall, 2),
        "read_source_cpu_seconds": round(cpu, 2),
        "ratio": round(wall / base_wall, 2),
        "cpu_ratio": round(cpu / base_cpu, 2),
        "quarantined": {str(k): int(v) for k, v in reasons.items()},
        "rounds": args.rounds,
        "median_ratio": None if alt is None else round(alt.ratio, 2),
        "median_cpu_ratio": None if alt is None else round(alt.cpu_ratio, 2),
    }
    path = write_result(out, results_path("bench_readers.json"))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
