"""Penalized logistic regression for the incrementality model.

``fit_logistic`` minimizes the weighted log loss of ``sigmoid(b + x beta)`` plus an L2
penalty on ``beta`` (controls, the last ``free`` columns, unpenalized and unbounded),
with ``beta >= 0`` when asked, by scipy's bounded truncated Newton method with the exact
gradient, then a few exact Newton steps so the result does not depend on row order.
``cv_folds`` splits paths into seeded folds independent of row order, and
``cv_penalty`` picks the penalty of :data:`PENALTIES` with the lowest cross-validated
log loss.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit

__all__ = ["PENALTIES", "cv_folds", "cv_penalty", "fit_logistic"]

#: Candidate L2 penalties per journey, compared by cross-validated log loss.
PENALTIES: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def _objective(theta, x, y, w, lam, free):
    b, beta = theta[0], theta[1:]
    z = b + x @ beta
    pen = beta.copy()
    if free:
        pen[-free:] = 0.0  # controls are not penalized
    # log(1 + e^z) - y z, weighted; stable for large |z|
    loss = float(w @ (np.logaddexp(0.0, z) - y * z)) + 0.5 * lam * float(pen @ pen)
    r = w * (expit(z) - y)
    grad = np.concatenate([[r.sum()], x.T @ r + lam * pen])
    return loss, grad


def fit_logistic(
    x: sp.csr_matrix,
    y: np.ndarray,
    weight: np.ndarray,
    lam: float,
    *,
    nonnegative: bool = True,
    free: int = 0,
) -> np.ndarray:
    """Penalized logistic regression: ``[intercept, beta...]``.

    Minimizes ``sum_i w_i (log(1 + e^z_i) - y_i z_i) + lam / 2 * |beta|^2`` with
    ``z = b + x beta``; ``y`` is the converting share of each row (rows may be aggregated
    paths with ``weight`` journeys). ``beta >= 0`` when ``nonnegative``; the last
    ``free`` columns (controls) are neither bounded nor penalized.
    """
    k = x.shape[1]
    total = float(weight.sum())
    rate = float(weight @ y) / total if total > 0 else 0.5
    rate = min(max(rate, 1e-6), 1 - 1e-6)
    start = np.zeros(k + 1)
    start[0] = math.log(rate / (1 - rate))
    bound = (0.0, None) if nonnegative else (None, None)
    bounds = [(None, None)] + [bound] * (k - free) + [(None, None)] * free
    from scipy.optimize import minimize  # here: importing it costs ~0.3 s, most runs never fit

    res = minimize(
        _objective,
        start,
        args=(x, y, weight, lam, free),
        jac=True,
        method="TNC",
        bounds=bounds,
        options={"maxfun": 5000, "gtol": 1e-8, "xtol": 1e-10, "ftol": 0.0},
    )
    theta = np.asarray(res.x, dtype=np.float64)
    bounded = np.r_[False, np.full(k - free, nonnegative), np.zeros(free, dtype=bool)]
    return _newton_polish(theta, x, y, weight, lam, free, bounded)


def _newton_polish(theta, x, y, w, lam, free, bounded, steps: int = 3) -> np.ndarray:
    """A few exact Newton steps on the coefficients off their bound.

    The optimizer stops at a tolerance, so where it stops depends on the order of rows
    and columns in the last digits; Newton steps converge quadratically, which makes the
    fit the same to rounding whatever the order. A step that would cross a bound or not
    lower the objective is not taken.
    """
    k = x.shape[1]
    design = sp.hstack([sp.csr_matrix(np.ones((x.shape[0], 1))), x]).tocsr()
    pen = np.r_[0.0, np.full(k - free, lam), np.zeros(free)]
    for _ in range(steps):
        loss, grad = _objective(theta, x, y, w, lam, free)
        at_bound = bounded & (theta <= 0) & (grad >= 0)
        move = np.flatnonzero(~at_bound)
        p = expit(design @ theta)
        sub = design[:, move]
        hess = (sub.T @ sp.diags(w * p * (1 - p)) @ sub).toarray() + np.diag(pen[move])
        try:
            step = np.linalg.solve(hess, grad[move])
        except np.linalg.LinAlgError:
            break
        new = theta.copy()
        new[move] -= step
        if not np.all(np.isfinite(new)) or np.any(new[bounded] < 0):
            break
        if _objective(new, x, y, w, lam, free)[0] > loss + 1e-12 * max(abs(loss), 1.0):
            break
        theta = new
    return theta


def cv_folds(ids: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of every path: a seeded random split of the paths sorted by id.

    Sorting first makes the folds independent of the order of the rows.
    """
    order = np.argsort(pd.Series(ids).astype("str").to_numpy(), kind="stable")
    fold = np.empty(len(ids), dtype=np.int64)
    fold[order] = np.random.default_rng(seed).permutation(len(ids)) % folds
    return fold


def cv_penalty(
    x, y, w, fold: np.ndarray, nonnegative: bool, free: int
) -> tuple[float, pd.DataFrame]:
    """The penalty of :data:`PENALTIES` with the lowest cross-validated log loss."""
    folds = int(fold.max(initial=0)) + 1
    total = float(w.sum())
    rows = []
    for per in PENALTIES:
        lam = per * total
        loss = 0.0
        for f in range(folds):
            test = fold == f
            train = ~test
            scale = float(w[train].sum()) / total if total else 1.0
            theta = fit_logistic(
                x[train], y[train], w[train], lam * scale, nonnegative=nonnegative, free=free
            )
            z = theta[0] + x[test] @ theta[1:]
            loss += float(w[test] @ (np.logaddexp(0.0, z) - y[test] * z))
        rows.append((per, loss / total if total else 0.0))
    table = pd.DataFrame(rows, columns=["penalty", "cv_log_loss"])
    best = float(table.loc[table["cv_log_loss"].idxmin(), "penalty"])
    return best, table
