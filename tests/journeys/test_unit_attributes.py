"""Tests of workbench.journeys.unit_attributes: attribute and account columns of journeys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.journeys.build import build_journeys
from workbench.journeys.unit_attributes import _arrow_first_known, _first_known, _last_rows


def test_first_known_widens_a_categorical_by_the_fallback_values() -> None:
    own = pd.Series(["x", None, None], dtype="category")
    fallback = pd.Series(["q", "y", None], dtype="string")
    out = _first_known(own, fallback)
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert out.astype(object).where(out.notna(), None).tolist() == ["x", "y", None]


def test_categorical_account_and_attribute_columns_are_filled_from_every_source() -> None:
    # found crashing (pandas: "Cannot setitem on a Categorical with a new category")
    # when a conversion's account was categorical and the person's account came from a
    # touch whose account is not among the conversions' categories
    tp = pd.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "ts": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"], utc=True),
            "channel": ["Email", "Direct", "Paid Search"],
            "touch_type": ["email_click", "session", "session"],
            "account_id": pd.Series([None, "acme", None], dtype="string"),
        }
    )
    cv = pd.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "ts": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07"], utc=True),
            "conversion_type": ["lead", "lead", "lead"],
            "account_id": pd.Series(["globex", None, None], dtype="category"),
            "region": pd.Series([None, "EMEA", None], dtype="category"),
        }
    )
    attrs = pd.DataFrame({"person_id": ["a", "c"], "region": ["US", "APAC"]})
    j = build_journeys(tp, cv, attributes=attrs).journeys.set_index("person_id")
    # account: the conversion's own, else the latest touch's; none for c
    assert j["account_id"].tolist()[:2] == ["globex", "acme"] and pd.isna(j.loc["c", "account_id"])
    # region: the conversion row's own value first, then the attributes table
    assert j["region"].astype(object).tolist() == ["US", "EMEA", "APAC"]


def test_arrow_first_known_is_pandas_take_and_where() -> None:
    """The Arrow path gives pandas' values and dtype; other dtypes are left to pandas."""
    for dtype in ("string", "str"):
        column = pd.Series(["a", None, "c", "d"], dtype=dtype)
        crow = np.array([2, -1, 1, 0, -1, 3])
        fallback = pd.Series(["x", "y", "z", None, None, "w"], dtype=dtype, index=range(10, 16))
        fast = _arrow_first_known(column, crow, fallback)
        own = column.take(np.maximum(crow, 0)).set_axis(fallback.index).where(crow >= 0)
        slow = _first_known(own, fallback)
        pd.testing.assert_series_equal(fast, slow, check_names=False)
        assert fast.tolist()[:3] == ["c", "y", "z"] and fast.dtype == column.dtype
    assert _arrow_first_known(pd.Series([True, False]), np.array([0]), pd.Series([None])) is None


def test_last_rows_takes_each_units_latest_flagged_row_then_the_highest_row() -> None:
    has = np.array([True, True, False, True, True, True, False])
    codes = np.array([0, 0, 0, 2, 2, 2, 1])  # unit 1: no flagged row
    ts = np.array([5, 9, 99, 7, 7, 3, 1])  # unit 0: row 2 is later but not flagged
    rows, units = _last_rows(has, codes, ts, 4)
    assert rows.tolist() == [1, 4]  # unit 2: rows 3 and 4 share the latest time
    assert units.tolist() == [0, 2]
