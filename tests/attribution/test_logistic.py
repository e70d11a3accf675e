"""The penalized logistic fit and its cross-validation, on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from workbench.attribution.logistic import PENALTIES, cv_folds, cv_penalty, fit_logistic


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def two_cells(rate0: float, rate1: float) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Two aggregated rows: without the feature (rate0) and with it (rate1), 100 journeys each."""
    x = sp.csr_matrix(np.array([[0.0], [1.0]]))
    return x, np.array([rate0, rate1]), np.array([100.0, 100.0])


def test_unpenalized_fit_gives_the_log_odds():
    x, y, w = two_cells(0.1, 0.2)
    b, beta = fit_logistic(x, y, w, 0.0)
    assert b == pytest.approx(logit(0.1), abs=1e-6)
    assert beta == pytest.approx(logit(0.2) - logit(0.1), abs=1e-6)


def test_nonnegative_bound_and_free_controls():
    x, y, w = two_cells(0.2, 0.1)  # the feature lowers the rate
    assert fit_logistic(x, y, w, 0.0)[1] == pytest.approx(0.0, abs=1e-8)
    free = fit_logistic(x, y, w, 0.0, nonnegative=False)[1]
    assert free == pytest.approx(logit(0.1) - logit(0.2), abs=1e-6)
    control = fit_logistic(x, y, w, 1e6, free=1)[1]  # a control is neither bounded nor penalized
    assert control == pytest.approx(free, abs=1e-6)


def test_the_penalty_shrinks_towards_zero():
    x, y, w = two_cells(0.1, 0.2)
    assert 0 < fit_logistic(x, y, w, 50.0)[1] < fit_logistic(x, y, w, 0.0)[1]


def test_folds_depend_on_ids_and_seed_not_on_row_order():
    ids = np.array([f"j{i}" for i in range(20)], dtype=object)
    f = cv_folds(ids, 4, seed=1)
    perm = np.random.default_rng(0).permutation(20)
    assert np.array_equal(cv_folds(ids[perm], 4, seed=1), f[perm])
    assert np.bincount(f).tolist() == [5, 5, 5, 5]
    assert not np.array_equal(cv_folds(ids, 4, seed=2), f)


def test_cv_penalty_scores_every_candidate_and_picks_the_lowest():
    rng = np.random.default_rng(3)
    x = sp.csr_matrix(rng.integers(0, 2, (200, 3)).astype(float))
    y = (rng.random(200) < 0.3).astype(float)
    w = np.ones(200)
    best, table = cv_penalty(x, y, w, np.arange(200) % 4, True, 0)
    assert table["penalty"].tolist() == list(PENALTIES)
    assert best == table.loc[table["cv_log_loss"].idxmin(), "penalty"]
