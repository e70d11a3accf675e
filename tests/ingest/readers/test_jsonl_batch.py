"""A batch of JSON-lines files parsed in one call gives what file-by-file parsing gives.

``read_json_batch`` must equal ``read_json_lines`` on each file followed by
joining the tables (cast to the last mode's schema when they differ): same
rows, line numbers, hashes, counts and quarantine rows in the same order,
whether the one parse succeeds or the batch falls back to the exact path.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers import _jsonl, _jsonl_batch
from workbench.ingest.readers._ga4_events import MODES


def _line(i: int, quoted: bool = False) -> bytes:
    ts = 1_730_000_000_000_000 + i
    event = {
        "event_timestamp": str(ts) if quoted else ts,
        "event_name": "page_view",
        "user_pseudo_id": f"u{i % 7}",
        "event_params": [{"key": "ga_session_id", "value": {"int_value": 100 + i % 3}}],
    }
    return json.dumps(event).encode()


def _write(folder: Path, files: dict[str, list[bytes]], end: bytes = b"\n") -> list:
    out = []
    for name, lines in files.items():
        data = end.join(lines) + (end if lines else b"")
        path = folder / name
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        out.append((path, name))
    return out


def _per_file(paths):
    tables, infos, q = [], [], Quarantine()
    for path, name in paths:
        own = Quarantine()
        got = _jsonl.read_json_lines(path, modes=MODES, quarantine=own, source="s", file=name)
        q.extend(own)
        tables.append(got.table)
        infos.append(got)
    if len({t.schema for t in tables}) > 1:
        tables = [t.cast(MODES[-1].schema) for t in tables]
    return pa.concat_tables(tables), infos, q.to_frame()


def _batch(paths):
    table, done = _jsonl_batch.read_json_batch(paths, modes=MODES, source="s")
    q = Quarantine()
    for _, own in done:
        q.extend(own)
    return table, [lines for lines, _ in done], q.to_frame()


GOOD = [_line(i) for i in range(30)]
CASES = {
    "clean": {"a.ndjson": GOOD[:10], "b.ndjson": GOOD[10:20], "c.ndjson": GOOD[20:]},
    "odd lines": {
        "a.ndjson": [*GOOD[:4], b'{"event_name": "page_', b"null", GOOD[0], b"", *GOOD[4:8]],
        "b.ndjson": [b"null", *GOOD[8:12], b"  " + GOOD[12] + b"  ", b"[1, 2]", GOOD[8]],
        "c.ndjson.gz": [GOOD[0], *GOOD[20:25]],
        "d.ndjson": [],
    },
    "odd lines, read in place": {
        "a.ndjson": [b"\xef\xbb\xbf" + GOOD[0], *GOOD[1:4], b'{"event_name": "page_', GOOD[1]],
        "b.ndjson": [b"\xef\xbb\xbf" + b"null", *GOOD[8:12], b"[1, 2]", GOOD[8], b""],
        "c.ndjson": [GOOD[0], *GOOD[20:25]],
    },
    "one parse fails": {
        "a.ndjson": GOOD[:10],
        "b.ndjson": [*GOOD[10:14], b'{"a": 1} {"b": 2}', *GOOD[14:18]],
        "c.ndjson": [*GOOD[18:22], b'{"event_name": "x\xff"}', *GOOD[22:26]],
    },
    "modes differ": {
        "a.ndjson": GOOD[:10],
        "b.ndjson": [_line(i, quoted=True) for i in range(10, 20)],
        "c.ndjson": [*GOOD[20:25], _line(99, quoted=True), *GOOD[25:]],
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
def test_one_parse_per_batch_equals_file_by_file(tmp_path: Path, case: str, end: bytes) -> None:
    paths = _write(tmp_path, CASES[case], end)
    want_table, want, want_q = _per_file(paths)
    got_table, got, got_q = _batch(paths)
    assert got_table.equals(want_table)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.rows, w.rows)
        np.testing.assert_array_equal(g.hashes, w.hashes)
        assert (g.lines, g.duplicates, g.malformed) == (w.lines, w.duplicates, w.malformed)
    pd.testing.assert_frame_equal(got_q, want_q)


def test_files_parsed_where_they_were_read_equal_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain files parsed in the read buffer: missing final line ends, byte order marks."""
    calls = []
    real = _jsonl_batch._parse_in_place
    monkeypatch.setattr(_jsonl_batch, "_parse_in_place", lambda *a: calls.append(1) or real(*a))
    bodies = {
        "a.ndjson": b"\n".join([*GOOD[:3], b"{cut", GOOD[0], GOOD[3]]),  # no final line end
        "b.ndjson": b"\xef\xbb\xbf" + b"\n".join([GOOD[5], b"[1]", GOOD[5]]) + b"\n",
        "c.ndjson": b"\n".join([GOOD[6], b"null", GOOD[7]]),
    }
    paths = []
    for name, data in bodies.items():
        (tmp_path / name).write_bytes(data)
        paths.append((tmp_path / name, name))
    want_table, want, want_q = _per_file(paths)
    for _ in range(2):  # the second time the read buffer holds the first batch's bytes
        got_table, got, got_q = _batch(paths)
        assert got_table.equals(want_table)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g.rows, w.rows)
            np.testing.assert_array_equal(g.hashes, w.hashes)
        pd.testing.assert_frame_equal(got_q, want_q)
    assert calls


def test_broken_lines_keep_their_file_and_line(tmp_path: Path) -> None:
    paths = _write(tmp_path, CASES["odd lines"])
    _, lines, q = _batch(paths)
    assert q[["source_file", "source_row", "reason"]].values.tolist() == [
        ["a.ndjson", 7, "duplicate event"],
        ["a.ndjson", 5, "unparseable JSON"],
        ["b.ndjson", 8, "duplicate event"],
        ["b.ndjson", 7, "unparseable JSON"],
    ]
    assert q["value"].iloc[0] == "identical to line a.ndjson:1"
    # a null line is a row of nulls; the padded line is read; the empty file has no rows
    assert lines[0].rows.tolist() == [1, 2, 3, 4, 6, 9, 10, 11, 12]
    assert lines[1].rows.tolist() == [1, 2, 3, 4, 5, 6]
    assert lines[3].rows.tolist() == []


def test_a_failed_batch_parse_falls_back_only_for_the_file_at_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact: list[str] = []
    real = _jsonl_batch._exact
    monkeypatch.setattr(_jsonl_batch, "_exact", lambda f, *a: exact.append(f.name) or real(f, *a))
    _batch(_write(tmp_path, CASES["one parse fails"]))
    assert exact == ["b.ndjson", "c.ndjson"]
    exact.clear()
    _batch(_write(tmp_path, CASES["clean"]))
    assert exact == []
