"""Quarantine: rows are kept as cells and the table is built once, with the same rows.

``Quarantine.add`` used to build a small table (and scrub its values) on every
call, which cost more than parsing on many small files; it now keeps the cells
and :meth:`Quarantine.to_frame` builds one table. Expected tables are written
out by hand here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.ingest.privacy import scrub_values
from workbench.ingest.quarantine import Quarantine, empty_quarantine


def _expected(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["source", "source_file", "source_row", "column", "reason", "value"]
    )
    return frame.astype(empty_quarantine().dtypes.to_dict())


def test_many_additions_make_one_table_in_order():
    df = pd.DataFrame(
        {
            "ts": ["x", "2026-01-01", None],
            "source_row": pd.array([4, 5, 6], dtype="Int64"),
            "note": ["write to ann@example.com", "ok", "call"],
        }
    )
    q = Quarantine()
    assert q.add(df, df["ts"] == "x", reason="bad ts", column="ts", source="crm", file="a.csv") == 1
    other = Quarantine()
    other.add(df, df["ts"].isna().to_numpy(), reason="no ts", source="crm", file="b.csv")
    built = _expected([("web", "c.csv", 9, None, "dup", "identical to line c.csv:2")])
    assert q.add(df, np.zeros(3, dtype=bool), reason="never", source="crm") == 0
    q.extend(other)
    q.extend(built)
    q.add(df, [False, False, True], reason="odd note", column="note", source="crm", file="a.csv")
    q.add(df, [True, False, False], reason="odd note", column="note", source="crm", file="a.csv")
    assert len(q) == 5
    email = scrub_values(pd.Series(["write to ann@example.com"], dtype="string")).iloc[0]
    assert "ann@example.com" not in email
    expected = _expected(
        [
            ("crm", "a.csv", 4, "ts", "bad ts", "x"),
            ("crm", "b.csv", 6, None, "no ts", None),
            ("web", "c.csv", 9, None, "dup", "identical to line c.csv:2"),
            ("crm", "a.csv", 6, "note", "odd note", "call"),
            ("crm", "a.csv", 4, "note", "odd note", email),
        ]
    )
    pd.testing.assert_frame_equal(q.to_frame(), expected)
    pd.testing.assert_frame_equal(q.to_frame(), expected)  # built once, same again


def test_rows_without_row_numbers_or_file_take_them_from_the_frame():
    df = pd.DataFrame({"source_file": ["f1", "f2"], "x": [1, 2]})
    q = Quarantine()
    q.add(df, [True, True], reason="r", source="s", values=pd.Series(["a", "b"]))
    expected = _expected([("s", "f1", None, None, "r", "a"), ("s", "f2", None, None, "r", "b")])
    pd.testing.assert_frame_equal(q.to_frame(), expected)


def test_empty_quarantine_is_the_canonical_empty_table():
    pd.testing.assert_frame_equal(Quarantine().to_frame(), empty_quarantine())
