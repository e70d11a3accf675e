"""How fast the GA4 reader reads a large export, against a bare pyarrow parse of the same files.

Synthesizes ``--events`` GA4 events by repeating the real obfuscated web
sample (``tests/data/ga4_real/web_events.ndjson``, ~2.5 KB per event) with a
different ``user_pseudo_id`` per copy, spread over ``--files`` daily NDJSON
files, with a few duplicate and malformed lines per file. By default the
sample's ``"ecommerce": "null"`` strings (an artifact of how the sample was
converted) are written as JSON ``null`` like BigQuery does; ``--as-sample``
keeps them (the reader then takes its byte-fixing path), ``--bq-ints`` writes
INT64 values as strings like ``bq extract``. Then times

* the baseline: ``pyarrow.json.read_json`` of every file with the reader's
  explicit schema (parsing only, nothing else), and
* ``read_source`` of the whole source (parse, de-duplicate, quarantine,
  flatten ``event_params``, build sessions, page views, conversions, links),

and prints both and their ratio. Usage::

    .venv/bin/python benchmarks/bench_readers.py --events 1000000
"""

from __future__ import annotations

import argparse
import io
import json
import re
import tempfile
import time
from pathlib import Path

import pyarrow.json as pj

from workbench.config import SourceConfig
from workbench.paths import PROJECT_ROOT
from workbench.readers import read_source
from workbench.readers._ga4_events import MODES

SAMPLE = PROJECT_ROOT / "tests" / "data" / "ga4_real" / "web_events.ndjson"
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
                if p["value"]["int_value"] is not None:
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
            out[(k + 1) * 1999 % len(out)] = b'{"event_name": "page_view", "event_'  # cut line
        path = folder / f"events_202611{f + 1:02d}.ndjson"
        path.write_bytes(b"\n".join(out) + b"\n")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--bad-per-file", type=int, default=5)
    parser.add_argument("--as-sample", action="store_true", help='keep "ecommerce": "null"')
    parser.add_argument("--bq-ints", action="store_true", help="INT64 values as strings")
    args = parser.parse_args()
    lines = templates(args.as_sample, args.bq_ints)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = synthesize(folder, args.events, args.files, args.bad_per_file, lines)
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(
            f"synthesized {args.events:,} events in {len(paths)} files ({size:,.0f} MB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )

        t0 = time.perf_counter()
        options = pj.ParseOptions(
            explicit_schema=MODES[2].schema, unexpected_field_behavior="ignore"
        )
        for path in paths:
            data = MODES[2].fix(path.read_bytes())  # type: ignore[misc]
            data = data.replace(b'{"event_name": "page_view", "event_\n', b"")
            pj.read_json(io.BytesIO(data), parse_options=options)
        baseline = time.perf_counter() - t0
        print(f"baseline pyarrow.json parse: {baseline:.1f} s")

        source = SourceConfig(name="ga4", format="ga4", path="events_*.ndjson", base_dir=folder)
        t0 = time.perf_counter()
        result = read_source(source)
        elapsed = time.perf_counter() - t0
        tp = result.touchpoints
        print(
            f"read_source: {elapsed:.1f} s = {elapsed / baseline:.2f} x baseline; "
            f"{args.events / elapsed:,.0f} events/s; sessions {int((tp.touch_type == 'session').sum()):,}, "
            f"pageviews {int((tp.touch_type == 'pageview').sum()):,}, "
            f"quarantined {len(result.quarantine):,} "
            f"({result.quarantine['reason'].value_counts().to_dict()})"
        )


if __name__ == "__main__":
    main()
