"""Identifier values as graph nodes (:func:`workbench.identity.encode.encode_values`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.config import IdentityConfig
from workbench.identity.encode import _shifted, encode_values
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
