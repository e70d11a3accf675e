"""Hashed factorize of Arrow strings equals pandas factorize, collisions included (issue 16).

The module is the benchmarks' (``benchmarks/_strhash.py``: the lean stitching baseline
hashes with it; the project keeps Arrow's exact codes), so it is imported from there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _strhash as strhash  # noqa: E402
from _strhash import factorize_hashed, hash_strings  # noqa: E402


def _values(seed: int, n: int = 300) -> list[str | None]:
    rng = np.random.default_rng(seed)
    vocab = ["a", "b", "", " a", "A", "é", "x" * 8, "x" * 9, "y" * 70, "GA1.123", "GA1.1234"]
    out: list[str | None] = [vocab[i] for i in rng.integers(0, len(vocab), n)]
    for i in np.flatnonzero(rng.random(n) < 0.2):
        out[i] = None
    return out


def _expected(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    return codes, list(uniques)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_factorize_hashed_is_pandas_factorize(seed, kind):
    values = _values(seed)
    arr = pa.chunked_array([pa.array(values[:100], kind), pa.array(values[100:], kind)])
    codes, uniques = factorize_hashed(arr)
    want_codes, want_uniques = _expected(values)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.to_pylist() == want_uniques


def test_sliced_array_and_all_null_and_empty():
    arr = pa.array(["q", "a", None, "b", "a", "zz"]).slice(1, 4)
    codes, uniques = factorize_hashed(arr)
    assert codes.tolist() == [0, -1, 1, 0] and uniques.to_pylist() == ["a", "b"]
    codes, uniques = factorize_hashed(pa.array([None, None], pa.string()))
    assert codes.tolist() == [-1, -1] and len(uniques) == 0
    codes, uniques = factorize_hashed(pa.chunked_array([], pa.string()))
    assert len(codes) == 0 and len(uniques) == 0


def test_empty_string_is_a_value_not_a_null():
    with_empty = factorize_hashed(pa.array([None, "", "a", None]))
    assert with_empty is None or with_empty[0].tolist() == [-1, 0, 1, -1]


def test_null_slot_holding_bytes_does_not_count():
    # a null whose slot still spans "zz" (Arrow allows it)
    offsets = pa.py_buffer(np.array([0, 1, 3, 4], dtype=np.int32))
    validity = pa.py_buffer(np.packbits([1, 0, 1], bitorder="little"))
    arr = pa.Array.from_buffers(pa.string(), 3, [validity, offsets, pa.py_buffer(b"azzb")], 1)
    result = factorize_hashed(arr)
    assert result is None or (result[0].tolist(), result[1].to_pylist()) == ([0, -1, 1], ["a", "b"])


def test_equal_strings_equal_hashes_and_prefixes_differ():
    h = hash_strings(pa.array(["abcdefgh", "abcdefgh", "abcdefg", "abcdefgh\x00", ""]))
    assert h[0] == h[1] and len(set(h[1:].tolist())) == 4


def test_a_collision_is_detected(monkeypatch):
    # every string hashes alike: the exact check must refuse the codes
    monkeypatch.setattr(strhash, "hash_strings", lambda values: np.full(len(values), 7, np.uint64))
    assert factorize_hashed(pa.array(["a", "b", "a"])) is None
    codes, uniques = factorize_hashed(pa.array(["a", "a", None]))
    assert codes.tolist() == [0, 0, -1] and uniques.to_pylist() == ["a"]
