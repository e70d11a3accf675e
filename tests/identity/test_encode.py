"""Identifier values as graph nodes (:func:`workbench.identity.encode.encode_values`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.config import IdentityConfig
from workbench.identity.encode import _shifted, _stripped, encode_values
from workbench.identity.rules import Blocklist


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_shifted_is_the_gather_of_in_order_nodes(dtype):
    rng = np.random.default_rng(0)
    n_values, base = 50, 1_000
    codes = rng.integers(0, n_values + 1, 500).astype(np.int32)  # n_values: missing
    node = np.arange(n_values, dtype=dtype) + base
    expected = np.append(node, dtype(-1))[codes]
    got, kept = _shifted(codes, n_values, base, dtype)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == dtype and got is not codes
    assert kept == int(np.count_nonzero(codes != n_values))


@pytest.mark.parametrize(
    ("second", "kept"),
    [
        (["b", None, "c"], ["a", "b", "c"]),  # every value kept in order: base + code
        (["b", " a ", "null"], ["a", "b"]),  # cleaning merges " a " into "a", "null" blocked
    ],
)
def test_node_codes_whether_or_not_values_are_dropped(second, kept):
    block = Blocklist.from_config(IdentityConfig())
    parts = [pd.Series(["a", "b", None, "a"], dtype="string"), pd.Series(second, dtype="string")]
    enc = encode_values(parts, "user_id", block, base=10)
    assert enc.values.tolist() == kept
    node = {v: 10 + i for i, v in enumerate(kept)}
    for part, codes in zip(parts, enc.codes, strict=True):
        want = [node.get(v.strip(), -1) if isinstance(v, str) else -1 for v in part]
        assert codes.tolist() == want


@pytest.mark.parametrize("id_type", ["user_id", "email"])
def test_mostly_missing_parts_encode_as_when_scattered(monkeypatch, id_type):
    # a column more than half missing comes back as SparseCodes; the node codes and row
    # flags must be those of the per-row codes (test ids, internal e-mails, blocked values)
    import workbench.identity.encode as encode

    rng = np.random.default_rng(5)
    pool = np.array(
        ["u1", " u2 ", "null", "guest", "test-user-001", "ann@acme.com", "Bob@Example.org", "u3"]
    )
    parts = []
    for n in (400, 37, 0):
        values = pool[rng.integers(0, len(pool), n)].astype(object)
        values[rng.random(n) < 0.8] = None
        parts.append(pd.Series(values, dtype="string"))
    config = IdentityConfig(
        blocked_values=("guest",), test_ids=("test-user-001",), internal_email_domains=("acme.com",)
    )
    block = Blocklist.from_config(config)
    got = encode_values(parts, id_type, block, base=7)
    real = encode.factorize_parts_counted
    monkeypatch.setattr(
        encode, "factorize_parts_counted", lambda p, sparse=False: real(p, sparse=False)
    )
    want = encode_values(parts, id_type, block, base=7)
    assert got.values.tolist() == want.values.tolist()
    for field in ("codes", "test_rows", "internal_rows"):
        for g, w in zip(getattr(got, field), getattr(want, field), strict=True):
            assert (g is None) == (w is None)
            if g is not None:
                np.testing.assert_array_equal(g, w)
                assert g.dtype == w.dtype
    np.testing.assert_array_equal(got.internal, want.internal)
    np.testing.assert_array_equal(got.occurrences, want.occurrences)
    assert got.blocked == want.blocked and got.kept_rows == want.kept_rows


@pytest.mark.parametrize(
    "values",
    [
        ["a1", "GA1.2", None, "", "x"],  # nothing to trim: the same Series back
        [" a", "b", None],
        ["a\t", "b"],
        ["a\u00a0", "b"],  # no-break space (two bytes)
        ["\u3000a", "b"],  # ideographic space (three bytes)
        ["\x1fa", "b"],  # a control byte Python's strip would take
        ["é", "aé", "ü1"],  # non-ASCII ends that are not spaces
        [None, None],
        [],
    ],
)
def test_stripped_is_arrows_strip(values):
    series = pd.Series(values, dtype="string")
    got = _stripped(series)
    pd.testing.assert_series_equal(got, series.str.strip())

    def plain(c: str) -> bool:  # printable ASCII but the space
        return "!" <= c <= "~"

    if all(v is None or v == "" or (plain(v[0]) and plain(v[-1])) for v in values):
        assert got is series


def test_stripped_of_a_sliced_chunked_column():
    series = pd.Series([" x", "a", "b ", "c"], dtype="string").iloc[1:].reset_index(drop=True)
    pd.testing.assert_series_equal(_stripped(series), series.str.strip())
    tail = pd.Series(["a ", "b", "c"], dtype="string").iloc[1:]
    assert _stripped(tail) is tail
