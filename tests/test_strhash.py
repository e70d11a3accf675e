"""Hashed factorize of Arrow strings equals Arrow's dictionary codes; collisions fall back.

``workbench._strhash`` is the package's (:mod:`workbench.intcodes` factorizes dense
identifier columns with it) and the lean stitching baseline's
(``benchmarks/bench_stitching.py`` hashes with :func:`hash_strings`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import workbench._strhash as strhash
from workbench._strhash import factorize_hashed, hash_lanes, hash_strings


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
    codes, uniques = factorize_hashed(arr, missing=-1)
    want_codes, want_uniques = _expected(values)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.to_pylist() == want_uniques
    assert codes.dtype == np.int32


def test_missing_code_defaults_to_the_number_of_uniques():
    codes, uniques = factorize_hashed(pa.chunked_array([["b", None, "a", "b"]]))
    assert codes.tolist() == [0, 2, 1, 0] and uniques.to_pylist() == ["b", "a"]


def test_sliced_array_and_all_null_and_empty():
    arr = pa.array(["q", "a", None, "b", "a", "zz"]).slice(1, 4)
    codes, uniques = factorize_hashed(pa.chunked_array([arr]), missing=-1)
    assert codes.tolist() == [0, -1, 1, 0] and uniques.to_pylist() == ["a", "b"]
    codes, uniques = factorize_hashed(pa.chunked_array([pa.array([None, None], pa.string())]), -1)
    assert codes.tolist() == [-1, -1] and len(uniques) == 0
    codes, uniques = factorize_hashed(pa.chunked_array([], pa.string()))
    assert len(codes) == 0 and len(uniques) == 0


def test_empty_string_is_a_value_not_a_null():
    codes, uniques = factorize_hashed(pa.chunked_array([[None, "", "a", None]]), missing=-1)
    assert codes.tolist() == [-1, 0, 1, -1] and uniques.to_pylist() == ["", "a"]


def test_null_slot_holding_bytes_does_not_count():
    # a null whose slot still spans "zz" (Arrow allows it)
    offsets = pa.py_buffer(np.array([0, 1, 3, 4, 4], dtype=np.int32))
    validity = pa.py_buffer(np.packbits([1, 0, 1, 0], bitorder="little"))
    arr = pa.Array.from_buffers(pa.string(), 4, [validity, offsets, pa.py_buffer(b"azzb")], 2)
    result = factorize_hashed(pa.chunked_array([arr]), missing=-1)
    # null rows are not checked, whatever their slots hold
    assert result is not None
    assert (result[0].tolist(), result[1].to_pylist()) == ([0, -1, 1, -1], ["a", "b"])


def test_equal_strings_equal_hashes_and_prefixes_differ():
    h = hash_strings(pa.array(["abcdefgh", "abcdefgh", "abcdefg", "abcdefgh\x00", ""]))
    assert h[0] == h[1] and len(set(h[1:].tolist())) == 4


def test_one_length_blocks_hash_as_mixed_ones():
    # a block of one length (and nulls) is laid out by whole rows: the same hashes
    same = ["GA1.0001", None, "GA1.0002", "GA1.0001"]
    mixed = [*same, "longer-id"]
    for lanes in (hash_lanes(pa.array(same)), hash_lanes(pa.array(mixed))):
        assert lanes[0][0] == lanes[0][3] and lanes[1][0] == lanes[1][3]
    for a, b in zip(hash_lanes(pa.array(same)), hash_lanes(pa.array(mixed)), strict=True):
        np.testing.assert_array_equal(a, b[:4])
    np.testing.assert_array_equal(hash_strings(pa.array(same)), hash_lanes(pa.array(same))[0])


def test_a_collision_is_detected(monkeypatch):
    # every string shares the first hash: the second must refuse the codes
    real = strhash.hash_lanes

    def colliding(values):
        return np.full(len(values), 7, np.uint64), real(values)[1]

    monkeypatch.setattr(strhash, "hash_lanes", colliding)
    assert factorize_hashed(pa.chunked_array([["a", "b", "a"]])) is None
    codes, uniques = factorize_hashed(pa.chunked_array([["a", "a", None]]), missing=-1)
    assert codes.tolist() == [0, 0, -1] and uniques.to_pylist() == ["a"]


@pytest.mark.parametrize("seed", range(2))
def test_codes_are_arrow_dictionary_codes(seed):
    rng = np.random.default_rng(seed)
    numbers = rng.integers(0, 5000, 20_000)
    text = pc.binary_join_element_wise("GA1.", pc.cast(pa.array(numbers), pa.string()), "")
    text = pc.if_else(pa.array(rng.random(len(numbers)) < 0.9), text, None)
    arr = pa.chunked_array([text.slice(0, 7000), text.slice(7000)]).cast(pa.large_string())
    enc = pc.dictionary_encode(arr).unify_dictionaries()
    want = pc.fill_null(pa.chunked_array([c.indices for c in enc.chunks]), -1).to_numpy()
    codes, uniques = factorize_hashed(arr, missing=-1)
    np.testing.assert_array_equal(codes, want)
    assert uniques.equals(enc.chunk(0).dictionary)


def test_unified_keeps_a_shared_dictionary_and_unifies_others():
    # dictionary_encode of chunks gives each the final dictionary: nothing to unify
    arr = pa.chunked_array([pa.array(["b", None]), pa.array(["a", "b"]), pa.array(["c"])])
    encoded = pc.dictionary_encode(arr)
    assert strhash.unified(encoded) is encoded
    assert strhash.unified(encoded).equals(encoded.unify_dictionaries())
    # chunks encoded apart hold their own dictionaries: they are unified
    apart = pa.chunked_array([pc.dictionary_encode(c) for c in arr.chunks])
    got = strhash.unified(apart)
    assert got.equals(apart.unify_dictionaries())
    assert [c.dictionary.to_pylist() for c in got.chunks] == [["b", "a", "c"]] * 3
    # equal-looking dictionaries in different buffers are unified too (not assumed equal)
    twins = pa.chunked_array([pc.dictionary_encode(pa.array(["x"])) for _ in range(2)])
    assert strhash.unified(twins).equals(twins.unify_dictionaries())
    single = pc.dictionary_encode(pa.chunked_array([pa.array(["x", "y"])]))
    assert strhash.unified(single) is single


@pytest.mark.parametrize("fill", [-1, 7])
@pytest.mark.parametrize("numpy_above", [0, None])
def test_filled_codes_is_arrows_fill_null(fill, numpy_above, monkeypatch):
    """Sliced chunks (offsets not a multiple of 8), nulls, empty and all-null chunks."""
    rng = np.random.default_rng(3)
    values = rng.integers(0, 5, 200).astype(np.int32)
    whole = pa.array(values, mask=rng.random(200) < 0.3)
    chunks = [whole.slice(3, 50), pa.array([], pa.int32()), whole.slice(61, 139)]
    chunks += [pa.nulls(5, pa.int32()), pa.array(values[:9])]
    indices = pa.chunked_array(chunks, type=pa.int32())
    if numpy_above is not None:  # the numpy path, taken for large arrays
        monkeypatch.setattr(strhash, "FRESH_PAGES_BYTES", numpy_above)
    got = strhash.filled_codes(indices, fill)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, pc.fill_null(indices, fill).to_numpy())
