"""Tests of workbench.journeys.codes: taking a column's values with their codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from workbench.journeys.codes import (
    RowSelection,
    _byte_order,
    _code_type,
    few_distinct,
    take_coded,
    take_text,
)


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


@pytest.mark.parametrize("kind", ["chunked", "categorical", "object"])
def test_take_coded_of_few_rows_encodes_only_those(kind):
    """A selective :class:`RowSelection` (rows repeated, some chunks untouched) gives the same."""
    values = ["Email", None, "Direct", "Email", "Paid", None, "Direct", "Email"] * 4
    column = {
        "chunked": _chunked(values),
        "categorical": pd.Series(values, dtype="category"),
        "object": pd.Series(values, dtype=object),
    }[kind]
    rows = np.array([7, 1, 1, 4, 0, 5, 2, 2])
    selection = RowSelection(rows, len(column))
    assert selection.selective and selection.distinct() == 6
    text, codes, names = take_coded(column, rows, "(missing)", selection)
    assert text.to_pylist() == take_text(column, rows).to_pylist()
    assert names[-1] == "(missing)" and len(set(names)) == len(names)
    expected = [v if v is not None else "(missing)" for v in np.array(values, dtype=object)[rows]]
    assert [names[c] for c in codes] == expected
    empty = take_coded(column, rows[:0], "(missing)")
    assert len(empty[0]) == 0 and len(empty[1]) == 0


@pytest.mark.parametrize(("n_names", "kind"), [(3, np.int8), (200, np.int16), (10**6, np.int32)])
def test_take_coded_of_few_rows_with_many_names(n_names, kind):
    """Codes of the kept rows spread in the smallest integer type (int8, int16, int32) that fits."""
    rng = np.random.default_rng(2)
    values = np.array([f"v{i}" for i in rng.integers(0, n_names, 200_000)], dtype=object)
    values[rng.random(len(values)) < 0.05] = None
    column = pd.Series(values, dtype="string")
    rows = rng.integers(0, len(column), 70_000)
    selection = RowSelection(rows, len(column))
    assert selection.selective
    text, codes, names = take_coded(column, rows, "(missing)", selection)
    assert text.equals(take_text(column, rows))
    assert codes.dtype == np.int64
    assert _code_type(len(names) - 1) is kind  # (names: the kept rows' values, then missing)
    expected = [v if v is not None else "(missing)" for v in values[rows]]
    assert [names[c] for c in codes] == expected


@pytest.mark.parametrize("layout", ["fixed", "shared prefix", "variable", "sliced", "wide"])
def test_byte_order_sorts_ids_as_arrow_does(layout):
    """The integer-word sort of equal-width ids (and the Arrow fallback) order ids byte-wise."""
    rng = np.random.default_rng(2)
    digits = list("0123456789abcdef\x00\x7f" + "é" * (layout == "variable"))
    width = {"fixed": 18, "shared prefix": 18, "variable": 9, "sliced": 11, "wide": 70}[layout]
    picks = rng.integers(0, len(digits), (3_000, width))
    rows = ["".join(digits[i] for i in row) for row in picks]
    if layout == "shared prefix":  # many ids share their first 8 bytes: the tie-break runs
        rows = ["p_00000" + r[7:] if i % 3 else r for i, r in enumerate(rows)]
    if layout == "variable":
        rows = [r[: rng.integers(1, width)] for r in rows]
    ids = pa.array(list(dict.fromkeys(rows)), pa.large_string())
    if layout == "sliced":
        ids = ids.slice(5, len(ids) - 10)
    expected = pc.array_sort_indices(ids).to_numpy()
    widths = set(pc.binary_length(ids).to_pylist())
    fast = len(widths) == 1 and max(widths) <= 64  # the integer-word path
    assert fast == (layout not in ("variable", "wide"))
    np.testing.assert_array_equal(_byte_order(ids), expected)


def test_few_distinct_samples_the_taken_rows():
    """Few values among the taken rows: True; many, a categorical or no rows: False."""
    few = pd.Series(["a", "b", None, "c"] * 1000, dtype="string")
    many = pd.Series([f"v{i}" for i in range(4000)], dtype="string")
    rows = np.arange(4000)[::-1]
    assert few_distinct(few, rows)
    assert not few_distinct(many, rows)
    assert few_distinct(many, rows[:64])  # 64 rows: at most 64 values among them
    assert not few_distinct(many, rows[:65])
    assert not few_distinct(few.astype("category"), rows)
    assert not few_distinct(few, rows[:0])
