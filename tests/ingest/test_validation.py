"""Validation rules, quarantine and the canonical schema, on tiny hand-written frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import ValidationError
from workbench.ingest.quarantine import Quarantine, quarantine_summary
from workbench.ingest.validation import (
    conform,
    empty_table,
    keep_rows,
    keep_rows_releasing,
    quarantine_rows,
    validate_table,
)
from workbench.schema import CONVERSIONS, IDENTITY_LINKS, SPEND, TABLES, TOUCHPOINTS
from workbench.timestamps import parse_timestamps


def _touches(**cols):
    base = {
        "ts": parse_timestamps(pd.Series(["2026-01-01 10:00", "2026-01-02 11:00"])),
        "touch_type": ["session", "ad_click"],
        "source": ["ga4", "ga4"],
        "anonymous_id": ["a1", "a2"],
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_every_table_has_unique_documented_columns():
    for table in TABLES.values():
        assert len(table.names) == len(set(table.names)), table.name
        assert all(c.doc for c in table.columns), table.name


def test_empty_table_has_canonical_columns_and_dtypes():
    df = empty_table(TOUCHPOINTS)
    assert df.columns.tolist() == TOUCHPOINTS.names
    assert str(df["ts"].dtype) == "datetime64[us, UTC]"


def test_conform_adds_missing_optional_columns_and_keeps_extras():
    df = _touches(customer_type=["smb", "enterprise"])
    out = conform(df, TOUCHPOINTS)
    assert out.columns[: len(TOUCHPOINTS.names)].tolist() == TOUCHPOINTS.names
    assert out.columns[-1] == "customer_type"
    assert out["gclid"].isna().all()
    assert out["source_row"].dtype == "Int64"


def test_validate_table_lists_every_structural_problem():
    df = pd.DataFrame({"ts": ["2026-01-01", "x"], "touch_type": ["session", None]})
    with pytest.raises(ValidationError) as err:
        validate_table(df, TOUCHPOINTS, file="events.csv")
    msg = str(err.value)
    assert "events.csv" in msg
    assert "required column 'source'" in msg
    assert "required column 'channel'" in msg
    assert "expected tz-aware UTC" in msg
    assert "column 'touch_type' must not be empty" in msg
    assert len(err.value.problems) == 4


def test_validate_table_names_non_numeric_values_with_rows():
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "platform": ["meta", "meta"],
            "channel": ["Paid Social", "Paid Social"],
            "campaign": ["c", "c"],
            "spend": ["12.5", "lots"],
            "currency": ["USD", "USD"],
            "source": ["meta", "meta"],
            "source_row": [2, 3],
        }
    )
    with pytest.raises(
        ValidationError, match=r"'spend' is not numeric; non-numeric values at row 3: 'lots'"
    ):
        validate_table(df, SPEND)


@pytest.mark.parametrize(
    ("table", "frame", "reason"),
    [
        (
            TOUCHPOINTS,
            {"ts": [pd.NaT], "touch_type": ["session"], "anonymous_id": ["a"]},
            "unparseable or missing timestamp",
        ),
        (
            TOUCHPOINTS,
            {"ts": [pd.Timestamp("2026-01-01", tz="UTC")], "touch_type": ["session"]},
            "missing every identifier",
        ),
        (
            TOUCHPOINTS,
            {"ts": [pd.Timestamp("2026-01-01", tz="UTC")], "touch_type": [None], "user_id": ["u"]},
            "missing touch type",
        ),
        (
            CONVERSIONS,
            {
                "ts": [pd.Timestamp("2026-01-01", tz="UTC")],
                "conversion_type": ["lead"],
                "value": [-5.0],
                "email": ["e"],
            },
            "negative conversion value",
        ),
        (
            CONVERSIONS,
            {
                "ts": [pd.Timestamp("2026-01-01", tz="UTC")],
                "conversion_type": [None],
                "value": [5.0],
                "email": ["e"],
            },
            "missing conversion type",
        ),
        (
            SPEND,
            {"date": [pd.Timestamp("2026-01-01")], "platform": ["meta"], "spend": [-1.0]},
            "negative spend",
        ),
        (
            SPEND,
            {"date": [pd.NaT], "platform": ["meta"], "spend": [1.0]},
            "unparseable or missing date",
        ),
        (
            SPEND,
            {"date": [pd.Timestamp("2026-01-01")], "platform": ["meta"], "spend": [None]},
            "missing or non-numeric spend",
        ),
        (
            SPEND,
            {"date": [pd.Timestamp("2026-01-01")], "platform": [None], "spend": [3.0]},
            "missing platform",
        ),
        (
            IDENTITY_LINKS,
            {
                "id_type_a": ["email"],
                "id_value_a": ["x"],
                "id_type_b": ["user_id"],
                "id_value_b": [None],
            },
            "identity link with a missing identifier",
        ),
    ],
)
def test_each_row_rule_quarantines_with_its_own_reason(table, frame, reason):
    df = conform(pd.DataFrame(frame | {"source_row": [7]}), table)
    q = Quarantine()
    kept = quarantine_rows(df, table, q, source="src", file="f.csv")
    assert kept.empty
    out = q.to_frame()
    assert out["reason"].tolist() == [reason]
    assert out["source_row"].tolist() == [7]
    assert out["source_file"].tolist() == ["f.csv"]


def test_broken_input_counts_each_row_once_under_first_rule():
    df = conform(
        pd.DataFrame(
            {
                "ts": parse_timestamps(pd.Series(["2026-01-01", "garbage", "2026-01-03", "nope"])),
                "touch_type": ["session", "session", "session", "session"],
                "anonymous_id": ["a", "b", None, None],
                "source": "ga4",
                "source_row": [1, 2, 3, 4],
            }
        ),
        TOUCHPOINTS,
    )
    q = Quarantine()
    kept = quarantine_rows(df, TOUCHPOINTS, q, source="ga4", file="events.ndjson")
    assert kept["source_row"].tolist() == [1]
    summary = quarantine_summary(q.to_frame())
    counts = dict(zip(summary["reason"], summary["rows"], strict=True))
    # row 4 breaks two rules but is counted once, under the first.
    assert counts == {"unparseable or missing timestamp": 2, "missing every identifier": 1}
    assert len(q) == 3


def test_quarantine_summary_of_nothing_is_empty_with_columns():
    out = quarantine_summary(Quarantine().to_frame())
    assert out.columns.tolist() == ["source", "reason", "rows"]
    assert out.empty


def test_keep_rows_equals_loc_and_copies_nothing_when_all_are_kept():
    frame = conform(
        pd.DataFrame(
            {
                "ts": parse_timestamps(pd.Series(["2026-01-01", None, "2026-01-03", "bad"])).array,
                "anonymous_id": ["a", "b", None, "d"],
                "touch_type": ["session", "session", "email", None],
                "source_row": [1, 2, 3, 4],
                "note": [1.5, None, 2.5, 3.5],  # an extra numpy column
            },
            index=[10, 11, 12, 13],
        ),
        TOUCHPOINTS,
    )
    keep = np.array([True, False, True, False])
    pd.testing.assert_frame_equal(keep_rows(frame, keep), frame.loc[keep])
    assert keep_rows(frame, np.ones(4, dtype=bool)) is frame
    q = Quarantine()
    kept = quarantine_rows(frame, TOUCHPOINTS, q, source="s")
    pd.testing.assert_frame_equal(kept, frame.loc[[10]])
    assert q.to_frame()[["source_row", "reason"]].values.tolist() == [
        [2, "unparseable or missing timestamp"],
        [4, "unparseable or missing timestamp"],
        [3, "missing every identifier"],
    ]


def test_keep_rows_releasing_equals_loc_with_a_fresh_index_and_empties_its_input():
    frame = conform(
        pd.DataFrame(
            {
                "ts": parse_timestamps(pd.Series(["2026-01-01", None, "2026-01-03"])).array,
                "anonymous_id": ["a", "b", None],
                "source_row": [1, 2, 3],
                "note": [1.5, None, 2.5],  # an extra numpy column
            },
            index=[10, 11, 12],
        ),
        TOUCHPOINTS,
    )
    keep = np.array([True, False, True])
    expected = frame.loc[keep].reset_index(drop=True)
    given = frame.copy()
    kept = keep_rows_releasing(given, keep)
    pd.testing.assert_frame_equal(kept, expected)
    assert list(given.columns) == []  # every column was handed over and released
    whole = frame.copy()
    pd.testing.assert_frame_equal(
        keep_rows_releasing(whole, np.ones(3, dtype=bool)), frame.reset_index(drop=True)
    )
