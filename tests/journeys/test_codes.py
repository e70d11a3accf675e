"""Tests of workbench.journeys.codes: taking a column's values with their codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.journeys.codes import take_coded, take_text


def _chunked(values: list[str | None]) -> pd.Series:
    """A pandas string column over an Arrow array of three chunks."""
    parts = [values[:3], values[3:4], values[4:]]
    arr = pa.chunked_array([pa.array(p, pa.large_string()) for p in parts])
    return pd.Series(pd.arrays.ArrowStringArray(arr))


@pytest.mark.parametrize("kind", ["chunked", "categorical", "object"])
def test_take_coded_is_take_text_with_codes(kind):
    values = ["Email", None, "Direct", "Email", "Paid", None, "Direct", "Email"]
    column = {
        "chunked": _chunked(values),
        "categorical": pd.Series(values, dtype="category"),
        "object": pd.Series(values, dtype=object),
    }[kind]
    rows = np.array([7, 1, 4, 0, 5, 2, 2])
    text, codes, names = take_coded(column, rows, "(missing)")
    assert text.to_pylist() == take_text(column, rows).to_pylist()
    assert names[-1] == "(missing)" and len(set(names)) == len(names)
    expected = [v if v is not None else "(missing)" for v in np.array(values, dtype=object)[rows]]
    assert [names[c] for c in codes] == expected
