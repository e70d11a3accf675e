"""Per-type link limits (:func:`workbench.identity.rules.apply_limits`) against a plain count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.identity.rules import _over_limit, apply_limits


def _reference(x: np.ndarray, y: np.ndarray, limit: int) -> dict[int, int]:
    """Distinct partners per node, for the nodes over ``limit`` (a Python count)."""
    partners: dict[int, set[int]] = {}
    for u, v in zip(x.tolist(), y.tolist(), strict=True):
        partners.setdefault(u, set()).add(v)
    return {u: len(p) for u, p in sorted(partners.items()) if len(p) > limit}


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 10])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_over_limit_matches_a_plain_count(limit, seed):
    rng = np.random.default_rng(seed)
    n = 2_000
    # repeated edges, nodes with one partner, and a few with many; ids not from 0
    x = rng.integers(500, 800, n)
    y = np.where(rng.random(n) < 0.7, x * 3 + 1, rng.integers(1_000, 1_040, n))
    over, linked = _over_limit(x.astype(np.int64), y.astype(np.int64), limit)
    expected = _reference(x, y, limit)
    assert over.tolist() == list(expected)
    assert linked.tolist() == list(expected.values())
    assert over.dtype == np.int64 and linked.dtype == np.int64


def test_over_limit_without_edges():
    over, linked = _over_limit(np.zeros(0, np.int64), np.zeros(0, np.int64), 1)
    assert len(over) == 0 and len(linked) == 0


def test_apply_limits_both_directions_of_a_type_pair():
    # types: 0 = user_id, 1 = anonymous_id; node 0 (a user) joins 3 browsers (limit 2),
    # browser 5 joins 2 users (limit 1); repeats and either edge direction count once
    types = ("user_id", "anonymous_id")
    node_type = np.array([0, 0, 0, 1, 1, 1, 1], dtype=np.int16)
    a = np.array([0, 3, 0, 0, 5, 1, 0], dtype=np.int64)
    b = np.array([3, 0, 4, 5, 1, 6, 3], dtype=np.int64)
    limits = {"user_id": {"anonymous_id": 2}, "anonymous_id": {"user_id": 1}}
    shared, detail = apply_limits(a, b, node_type, types, limits, 7)
    assert shared.tolist() == [True, False, False, False, False, True, False]
    expected = pd.DataFrame(
        {
            "node": [5, 0],
            "id_type": pd.array(["anonymous_id", "user_id"], dtype="string"),
            "other_type": pd.array(["user_id", "anonymous_id"], dtype="string"),
            "linked": [2, 3],
            "limit": [1, 2],
            "block": [0, 1],
        }
    )
    pd.testing.assert_frame_equal(detail, expected)
