"""JSON lines: lines that look broken are parsed on their own, with the same outcome.

``read_json_lines`` used to find every malformed line by bisecting the block
that failed, re-parsing the block around each bad line (costly on many daily
GA4 files with a few bad lines each). It now parses the lines that do not start
with ``{`` and end with ``}`` apart up front. These tests read the same bytes
both ways (the up-front split turned off by a zero budget) and compare tables,
line numbers, hashes and quarantine rows.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers import _jsonl
from workbench.ingest.readers._ga4_events import MODES


def _line(i: int, **extra) -> bytes:
    event = {
        "event_date": "20261101",
        "event_timestamp": 1_730_000_000_000_000 + i,
        "event_name": "page_view",
        "user_pseudo_id": f"u{i % 7}",
        "event_params": [{"key": "ga_session_id", "value": {"int_value": 100 + i % 3}}],
        **extra,
    }
    return json.dumps(event).encode()


LINES = [_line(i) for i in range(40)]
BROKEN = {
    3: b'{"event_name": "page_view", "event_',  # cut
    9: b"[1, 2, 3]",  # not an object
    15: b"  " + LINES[15] + b"  ",  # padded: suspected, but fine
    21: LINES[21] + b"\r",  # CRLF: not suspected
    27: b"",  # blank
    30: LINES[0],  # duplicate of line 1
    33: b'{"a": 1} {"b": 2}',  # two objects: starts and ends right, found by bisection
}


def _read(path, monkeypatch, budget: int | None):
    if budget is not None:
        monkeypatch.setattr(_jsonl, "_MAX_SUSPECTS", budget)
        monkeypatch.setattr(_jsonl, "_suspect_lines", _no_suspects)
    q = Quarantine()
    got = _jsonl.read_json_lines(path, modes=MODES, quarantine=q, source="ga4", file=path.name)
    return got, q.to_frame()


def _no_suspects(body, starts, ends, blank):
    return np.zeros(0, dtype=np.int64)


@pytest.mark.parametrize("broken", [sorted(BROKEN), [3], [9, 33], []])
def test_suspects_apart_gives_the_same_result_as_bisection(tmp_path, monkeypatch, broken):
    lines = list(LINES)
    for i in broken:
        lines[i] = BROKEN[i]
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fast, fast_q = _read(path, monkeypatch, None)
    slow, slow_q = _read(path, monkeypatch, 0)
    assert fast.table.equals(slow.table)
    np.testing.assert_array_equal(fast.rows, slow.rows)
    np.testing.assert_array_equal(fast.hashes, slow.hashes)
    assert (fast.lines, fast.duplicates, fast.malformed) == (
        slow.lines,
        slow.duplicates,
        slow.malformed,
    )
    pd.testing.assert_frame_equal(fast_q, slow_q)
    bad = {3, 9, 33} & set(broken)
    assert sorted(fast_q.loc[fast_q["reason"] == "unparseable JSON", "source_row"]) == sorted(
        i + 1 for i in bad
    )


def test_suspect_lines_are_the_ones_not_shaped_like_an_object():
    body = b'{"a": 1}\n  {"b": 2}\n[1]\n{"c": 3}\r\n\n{"d"\n'
    ends = _jsonl._line_ends(body)
    starts = np.r_[0, ends[:-1] + 1]
    blank = np.array([False, False, False, False, True, False])
    np.testing.assert_array_equal(_jsonl._suspect_lines(body, starts, ends, blank), [1, 2, 5])


def test_thousands_of_bad_lines_in_a_row_are_each_quarantined(tmp_path, monkeypatch):
    # 2,000 lines that are JSON but not objects, one after another, then good lines:
    # cutting around each error one line at a time used to recurse once per bad line.
    lines = [b"[%d, 2]" % i for i in range(2000)] + LINES[:5]
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    got, q = _read(path, monkeypatch, 0)  # no suspects apart: the bisection path
    assert got.table.num_rows == 5
    np.testing.assert_array_equal(got.rows, np.arange(2001, 2006))
    bad = q[q["reason"] == "unparseable JSON"]
    assert len(bad) == 2000
    assert sorted(bad["source_row"]) == list(range(1, 2001))
