"""Large-star / small-star connected components in Spark, against scipy on small graphs."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.identity.graph import _components

pytestmark = pytest.mark.spark


def _spark_components(spark, a, b, n):
    from workbench.spark.components import SparkComponents

    run = SparkComponents(spark)
    labels, n_comp = run(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), n)
    return labels, n_comp, run.rounds


def test_hand_computed_graph(spark):
    # 0-3-5 chain, 1-4 pair, 2 alone, 6-7-8 triangle, 9 alone
    a = [5, 3, 4, 6, 7, 8]
    b = [3, 0, 1, 7, 8, 6]
    labels, n_comp, rounds = _spark_components(spark, a, b, 10)
    assert n_comp == 5
    # numbered by each component's smallest node, as scipy numbers them
    assert labels.tolist() == [0, 1, 2, 0, 1, 0, 3, 3, 3, 4]
    assert rounds >= 1
    alone, n_alone, no_rounds = _spark_components(spark, [], [], 3)
    assert alone.tolist() == [0, 1, 2] and n_alone == 3 and no_rounds == 0


def test_random_graph_and_long_chain_match_scipy(spark):
    rng = np.random.default_rng(11)
    n = 400
    a = rng.integers(0, n - 64, 300)
    b = rng.integers(0, n - 64, 300)
    keep = a != b
    # plus a path over the last 64 nodes, its edges in shuffled order
    order = rng.permutation(63)
    a = np.concatenate([a[keep], n - 64 + order])
    b = np.concatenate([b[keep], n - 64 + order + 1])
    labels, n_comp, rounds = _spark_components(spark, a, b, n)
    expected, n_expected = _components(a, b, n)
    assert n_comp == n_expected
    np.testing.assert_array_equal(labels, expected)
    assert len(set(labels[n - 64 :].tolist())) == 1
    assert 1 <= rounds <= 20
