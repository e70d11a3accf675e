"""Arrow string factorize equals pandas factorize (issue 16: same codes, same ids)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from workbench.intcodes import (
    categorical_strings,
    factorize_parts,
    factorize_strings,
    fixed_width_strings,
    hex_strings,
    with_plain_strings,
)


def _random_strings(seed: int, n: int) -> list[str | None]:
    rng = np.random.default_rng(seed)
    vocab = np.array(["a", "b", "", " a", "A", "é", "x" * 30, "GA1.123", "null"])
    out: list[str | None] = list(vocab[rng.integers(0, len(vocab), n)])
    for i in np.flatnonzero(rng.random(n) < 0.2):
        out[i] = None
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("dtype", ["string", "string[pyarrow]", "object"])
def test_factorize_strings_matches_pandas(seed, dtype):
    values = pd.Series(_random_strings(seed, 200), dtype=dtype)
    codes, uniques = factorize_strings(values)
    want_codes, want_uniques = pd.factorize(values)
    np.testing.assert_array_equal(codes, want_codes)
    assert list(uniques) == list(want_uniques)
    assert codes.dtype == np.int64


def test_factorize_strings_across_chunks_keeps_first_appearance_order():
    chunks = pa.chunked_array([["b", "a", None], ["c", "a", "b"], ["d"]])
    values = pd.Series(pd.arrays.ArrowStringArray(chunks))
    codes, uniques = factorize_strings(values)
    assert codes.tolist() == [0, 1, -1, 2, 1, 0, 3]
    assert list(uniques) == ["b", "a", "c", "d"]


def test_factorize_strings_empty_and_all_missing():
    codes, uniques = factorize_strings(pd.Series([], dtype="string"))
    assert len(codes) == 0 and len(uniques) == 0
    codes, uniques = factorize_strings(pd.Series([None, None], dtype="string"))
    assert codes.tolist() == [-1, -1] and len(uniques) == 0


@pytest.mark.parametrize("seed", range(4))
def test_factorize_parts_is_pandas_factorize_of_the_parts_concatenated(seed):
    sizes = [0, 50, 1, 120][seed:] + [30]
    parts = [
        pd.Series(_random_strings(seed * 10 + i, n), dtype=["string", "object"][i % 2])
        for i, n in enumerate(sizes)
    ]
    codes, uniques = factorize_parts(parts)
    want_codes, want_uniques = pd.factorize(
        pd.concat([p.astype("string") for p in parts], ignore_index=True)
    )
    np.testing.assert_array_equal(np.concatenate(codes), want_codes)
    assert [len(c) for c in codes] == sizes
    assert list(uniques) == list(want_uniques)

    # missing_last: the same codes, missing coded len(uniques) instead of -1
    last, _ = factorize_parts(parts, missing_last=True)
    want_last = np.where(want_codes < 0, len(want_uniques), want_codes)
    np.testing.assert_array_equal(np.concatenate(last), want_last)


def test_factorize_parts_of_empty_columns_gives_empty_codes():
    # an ad-spend-only project: no touchpoints, no conversions (Arrow gives no chunk then)
    empty = pd.Series([], dtype="string")
    (a, b), uniques = factorize_parts([empty, empty.copy()])
    assert a.tolist() == [] and b.tolist() == [] and uniques.tolist() == []
    (a, b), uniques = factorize_parts([empty, pd.Series(["x", None, "x"], dtype="string")])
    assert a.tolist() == [] and b.tolist() == [0, -1, 0] and uniques.tolist() == ["x"]


def test_categorical_strings_gathers_the_categories_by_code():
    dtype = pd.CategoricalDtype(pd.Index(pd.array(["p_b", "p_a", "p_c"], dtype="string")))
    coded = pd.Series(
        pd.Categorical.from_codes([1, -1, 0, 1, 2], dtype=dtype), index=[5, 6, 7, 8, 9], name="x"
    )
    out = categorical_strings(coded)
    assert out.dtype == "string"
    assert out.index.tolist() == [5, 6, 7, 8, 9] and out.name == "x"
    assert out.tolist()[:1] + out.tolist()[2:] == ["p_a", "p_b", "p_a", "p_c"]
    assert pd.isna(out.iloc[1])
    # no categories at all: every row missing
    empty = pd.Series(pd.Categorical.from_codes([-1, -1], dtype=pd.CategoricalDtype([])))
    assert categorical_strings(empty).isna().all() and categorical_strings(empty).dtype == "string"
    # anything else is returned as it is
    plain = pd.Series(["a", None], dtype="string")
    assert categorical_strings(plain) is plain


def test_with_plain_strings_replaces_only_a_coded_column():
    dtype = pd.CategoricalDtype(pd.Index(pd.array(["p_x", "p_y"], dtype="string")))
    frame = pd.DataFrame(
        {"person_id": pd.Categorical.from_codes([1, 0, -1], dtype=dtype), "n": [1, 2, 3]}
    )
    out = with_plain_strings(frame, "person_id")
    assert out["person_id"].dtype == "string" and out["n"].tolist() == [1, 2, 3]
    assert out["person_id"].fillna("-").tolist() == ["p_y", "p_x", "-"]
    assert isinstance(frame["person_id"].dtype, pd.CategoricalDtype)  # the input is kept
    assert with_plain_strings(out, "person_id") is out
    assert with_plain_strings(frame, "account_id") is frame


def _dense_parts(seed: int) -> list[pd.Series]:
    rng = np.random.default_rng(seed)
    values = [f"GA1.{n}" for n in rng.integers(0, 400, 3000)]
    values += ["", " x", "é", "a" * 17]
    parts = [pd.Series(values[:1000], dtype="string"), pd.Series(values[1000:], dtype="string")]
    parts[0][rng.random(1000) < 0.1] = None
    return parts


@pytest.mark.parametrize("missing_last", [False, True])
def test_hashed_codes_are_the_dictionary_codes(monkeypatch, missing_last):
    """Dense columns are coded by hashes: the same codes and uniques as Arrow's."""
    import workbench._strhash as strhash

    parts = _dense_parts(1)
    monkeypatch.setattr(strhash, "HASH_MIN_ROWS", 10**12)
    exact = factorize_parts(parts, missing_last=missing_last)
    monkeypatch.setattr(strhash, "HASH_MIN_ROWS", 0)
    calls = []
    real = strhash.factorize_hashed
    monkeypatch.setattr(
        "workbench.intcodes.factorize_hashed", lambda *a: calls.append(1) or real(*a)
    )
    hashed = factorize_parts(parts, missing_last=missing_last)
    assert calls  # the hashed path ran
    for a, b in zip(exact[0], hashed[0], strict=True):
        np.testing.assert_array_equal(a, b)
    assert list(exact[1]) == list(hashed[1])


def test_a_hash_collision_falls_back_to_exact_codes(monkeypatch):
    import workbench._strhash as strhash

    parts = _dense_parts(2)
    want = factorize_parts(parts)
    real = strhash.hash_lanes
    monkeypatch.setattr(strhash, "HASH_MIN_ROWS", 0)
    monkeypatch.setattr(
        strhash, "hash_lanes", lambda v: (np.zeros(len(v), np.uint64), real(v)[1])
    )  # every string collides in the first hash
    assert strhash.factorize_hashed(pa.chunked_array([pa.array(["a", "b"])])) is None
    got = factorize_parts(parts)
    for a, b in zip(want[0], got[0], strict=True):
        np.testing.assert_array_equal(a, b)
    assert list(want[1]) == list(got[1])


@pytest.mark.parametrize("missing_last", [False, True])
def test_mostly_null_columns_are_encoded_without_their_nulls(missing_last):
    rng = np.random.default_rng(3)
    values = pd.Series(_random_strings(3, 400), dtype="string")
    values[rng.random(400) < 0.8] = None
    parts = [values[:150], values[150:].reset_index(drop=True), pd.Series([None], dtype="string")]
    codes, uniques = factorize_parts(parts, missing_last=missing_last)
    want, want_uniques = pd.factorize(pd.concat(parts, ignore_index=True))
    if missing_last:
        want = np.where(want < 0, len(want_uniques), want)
    np.testing.assert_array_equal(np.concatenate(codes), want)
    assert list(uniques) == list(want_uniques)
    all_null = factorize_parts([pd.Series([None, None], dtype="string")], missing_last=True)
    assert all_null[0][0].tolist() == [0, 0] and len(all_null[1]) == 0


@pytest.mark.parametrize("null_share", [0.1, 0.9, 1.0])
def test_counted_codes_count_every_code_and_the_missing(null_share):
    from workbench.intcodes import factorize_parts_counted

    rng = np.random.default_rng(4)
    values = pd.Series(_random_strings(4, 500), dtype="string")
    values[rng.random(500) < null_share] = None
    parts = [values[:200], values[200:]]
    codes, uniques, counts = factorize_parts_counted(parts)
    flat = np.concatenate(codes)
    np.testing.assert_array_equal(counts, np.bincount(flat, minlength=len(uniques) + 1))
    assert counts[-1] == int(values.isna().sum()) and flat.dtype == np.int32


@pytest.mark.parametrize("share", [1.0, 0.6, 0.1, 0.0])
@pytest.mark.parametrize("kind", ["fixed", "varied", "empty", "chunked", "sliced"])
def test_take_strings_is_arrows_take(kind, share):
    from workbench.intcodes import take_strings

    rng = np.random.default_rng(3)
    words = {
        "fixed": [f"p_{i:016x}" for i in range(50)],
        "varied": [f"v{i}" * (i % 4) for i in range(50)],
        "empty": [""] * 50,
        "chunked": [f"c{i}" for i in range(50)],
        "sliced": [f"s{i:03d}" for i in range(60)],
    }[kind]
    values = pa.array(words, pa.large_string())
    if kind == "chunked":
        values = pa.chunked_array([values.slice(0, 20), values.slice(20)])
    if kind == "sliced":
        values = values.slice(7, 50)
    codes = rng.integers(0, 50, 1000)
    codes[rng.random(1000) >= share] = -1
    expected = pc.take(values, pa.array(codes, mask=codes < 0))
    got = take_strings(values, codes)
    if isinstance(expected, pa.ChunkedArray):
        expected = expected.combine_chunks()
    if isinstance(got, pa.ChunkedArray):
        got = got.combine_chunks()
    got.validate(full=True)
    assert got.type == expected.type
    assert got.equals(expected)


def test_hex_strings_spell_bytes_hex_with_the_prefix() -> None:
    rng = np.random.default_rng(3)
    digests = rng.integers(0, 256, (50, 8), dtype=np.uint8)
    digests[0] = [0, 15, 16, 255, 1, 2, 3, 4]  # both nibbles' edges
    got = hex_strings(b"p_", digests)
    assert got.type == pa.large_string()
    assert got.to_pylist() == ["p_" + row.tobytes().hex() for row in digests]
    assert hex_strings(b"j", digests[:0]).to_pylist() == []


def test_fixed_width_strings_are_the_numpy_bytes() -> None:
    values = np.array([b"ab", b"cd", b"ef"], dtype="S2")
    assert fixed_width_strings(values).to_pylist() == ["ab", "cd", "ef"]
    assert fixed_width_strings(np.repeat(values, [2, 0, 1])).to_pylist() == ["ab", "ab", "ef"]
