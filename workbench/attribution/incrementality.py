"""Incrementality: a conversion-probability model over converting and non-converting journeys.

Path models split the conversions that happened over the touches that were recorded;
this model asks instead how much each channel raises the chance of converting, from
the journeys that converted *and* those that did not, and credits each channel with
the conversions its touches add to what the journeys would have converted anyway.

Model
    Every journey (path) ``i`` has a feature per channel ``c``: ``f_ic = 1[n_ic > 0]``
    with ``n_ic`` its touches of ``c`` (``features="presence"``, default) or
    ``f_ic = log(1 + n_ic)`` (``"log_count"``) or ``f_ic = sum_{k < n_ic} decay^k``
    (``"decayed"``: each further touch counts ``decay`` times the one before; ``decay =
    0`` chooses it among :data:`DECAYS` with the penalty). The conversion probability is logistic,
    ``p_i = sigmoid(b + z_i gamma + sum_c beta_c f_ic)`` (``z_i``: the controls), fitted by maximum likelihood with an L2
    penalty ``lam / 2 * |beta|^2`` (the intercept ``b`` is not penalized) and
    ``beta_c >= 0`` (``nonnegative=True``, default: a touch never lowers the chance of
    converting), by :func:`scipy.optimize.minimize` (bounded truncated Newton, TNC) with the exact
    gradient.
    ``lam`` is chosen among :data:`PENALTIES` (scaled by the number of journeys) by
    ``folds``-fold cross-validated log loss, folds drawn with
    ``np.random.default_rng(seed)`` over the paths sorted by id (so the row order does
    not matter); ``folds=0`` fits ``penalty`` as given.

Controls
    ``controls`` are covariates that are not marketing, with free, unpenalized
    coefficients, kept as they are in every counterfactual (so they are part of the
    baseline). ``span`` (default): ``log(1 + days)`` from the journey's first touch to
    its conversion (or last touch), how long the journey was exposed; converting
    journeys are cut at the conversion while non-converting ones run on, and without
    this control the model reads the longer exposure of non-converting journeys as
    channels lowering conversion. ``length``: ``log`` of the journey's number of
    touches; it also holds the amount of marketing fixed, so the baseline takes what
    marketing did by adding touches (measured: a larger baseline and a larger distance
    from the sample's truth). Fixed before any later touch, and so not outcomes of
    marketing: ``exposure``, ``log(1 + days)`` from the first touch to the end of the
    observation (:attr:`~workbench.attribution.inputs.Paths.exposure_days`, at most
    ``horizon_days`` when that is > 0), how long the journey could convert; and
    ``first_channel``, indicators of the channel of the first touch. The journeys'
    ``covariates`` (:attr:`~workbench.attribution.inputs.Paths.covariates`, an input
    option: columns known when the journey starts) are added as indicator controls.

Risk set
    ``risk_set_cuts = K > 0`` fits on non-converting journeys cut at K quantiles of the
    converting journeys' time to conversion (:mod:`~workbench.attribution.riskset`),
    instead of holding the span fixed; the credit is read on the journeys as they are.

Counterfactuals
    ``v_i(S)`` is the fitted probability of journey ``i`` keeping only its touches of
    the channels in ``S`` (controls unchanged); ``v_i(empty) = sigmoid(b + z_i gamma)``
    is the probability without any marketing touch. With ``credit="removal"``
    (default) a channel's part of journey ``i`` is its removal effect
    ``p_i - v_i(all but c)``, the parts rescaled to sum to ``p_i - v_i(empty)``
    (the normalization of the Markov removal effects and of a lift test's truth). With
    ``credit="shapley"`` it is its exact Shapley value in the game ``v_i`` (the parts
    sum to ``p_i - v_i(empty)`` by construction), computed for every journey at once by
    :func:`~workbench.attribution.shapley.shapley_from_game` over the channels the
    journey has (``n_permutations`` random orders from ``default_rng(seed)`` for a
    journey with more than 14 channels). Both are order-free. With ``credit="lost"``
    the removal effects are kept unrescaled and all multiplied by one factor, so that
    the channels' credits are in proportion to their expected conversions lost (a lift
    test's quantity) and sum, over all journeys, to the incremental conversions.

Credit of a conversion
    Each converting journey's conversion (and value) is split in proportion to its
    parts: channel ``c`` gets ``part_ic / p_i`` and :data:`BASELINE` gets
    ``v_i(empty) / p_i``, the share of the conversion the model expects without any
    marketing touch. So credits sum to the conversions counted, and ``(baseline)`` is the
    model's estimate of the conversions marketing did not cause. Given the model, this
    is the expected share of the conversion each channel caused (``P(converted) =
    p_i``, ``P(converted without c) = v_i(...)``).

Assumptions (stated in docs/attribution.md)
    Channels act additively on the log-odds (no interactions, no order, a second touch
    of a channel adds nothing with ``"presence"``); given the controls, journeys differ
    only by their touches (no confounding: people who would convert anyway are not more
    likely to see a channel); a channel's effect is the same in every journey. An observational model cannot separate a channel's effect from its
    audience's readiness to buy; a lift test can (``calibrated:incrementality``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit

from workbench.attribution._helpers import _indicators
from workbench.attribution.inputs import Paths
from workbench.attribution.logistic import PENALTIES, cv_folds, cv_penalty, fit_logistic
from workbench.attribution.riskset import risk_set_rows
from workbench.attribution.shapley import shapley_from_game
from workbench.schema import CHANNEL, JOURNEY_ID

__all__ = [
    "BASELINE",
    "CREDIT_METHODS",
    "FEATURES",
    "PENALTIES",
    "IncrementalityModel",
    "cv_folds",
    "fit_logistic",
    "journey_parts",
    "path_features",
    "prepare_incrementality",
]

#: Channel credited with the conversions the model expects without any marketing touch.
BASELINE = "(baseline)"
#: Feature transforms of a channel's touch count.
FEATURES: tuple[str, ...] = ("decayed", "log_count", "presence")
#: How a journey's incremental probability is split over its channels.
CREDIT_METHODS: tuple[str, ...] = ("lost", "shapley", "removal")
#: Candidate decays of ``features = "decayed"`` with ``decay = 0`` (chosen by cross-validation).
DECAYS: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
#: Non-marketing covariates a journey can be controlled for.
CONTROLS: tuple[str, ...] = ("exposure", "first_channel", "length", "span")

_MAX_EXACT = 14
_CELLS = 2_000_000


def path_features(paths: Paths, features: str = "log_count", decay: float = 0.5) -> sp.csr_matrix:
    """Sparse (paths x channels) matrix of channel features (see the module docstring).

    ``"decayed"``: the k-th touch of a channel (0-based) counts ``decay ** k``, so
    ``n`` touches give ``(1 - decay ** n) / (1 - decay)`` (``n`` when ``decay = 1``).
    """
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}; got {features!r}")
    if features == "decayed" and not 0 < decay <= 1:
        raise ValueError(f"decay must be in (0, 1]; got {decay}")
    counts = sp.csr_matrix(
        (np.ones(len(paths.codes)), (paths.path_of_touch, paths.codes)),
        shape=(paths.n_paths, paths.n_channels),
    )
    counts.sum_duplicates()
    out = counts.copy()
    if features == "log_count":
        out.data = np.log1p(out.data)
    elif features == "decayed":
        out.data = out.data if decay == 1 else (1 - decay**out.data) / (1 - decay)
    else:
        out.data = np.ones_like(out.data)
    return out


def control_features(
    paths: Paths, controls: tuple[str, ...], horizon_days: float = 0.0
) -> tuple[np.ndarray, tuple[str, ...]]:
    """(paths x terms) non-marketing covariates, kept as they are in counterfactuals.

    ``length``: ``log`` of the journey's touches; ``span``: ``log(1 + days)`` from its
    first touch to its conversion (or last touch); ``exposure``: ``log(1 + days)`` from
    its first touch to the end of the observation (:attr:`Paths.exposure_days`), at most
    ``horizon_days`` when that is > 0; ``first_channel``: one indicator per channel of
    the journey's first touch but the most common one; then the paths'
    :attr:`~Paths.covariates`, always. Returns the matrix and the term names (the
    control, ``"first CHANNEL"`` or ``"COLUMN=VALUE"``).
    """
    unknown = [c for c in controls if c not in CONTROLS]
    if unknown:
        raise ValueError(f"controls must be among {CONTROLS}; got {unknown}")
    cols: list[np.ndarray] = []
    names: list[str] = []
    for name in controls:
        if name == "first_channel":
            for c, indicator in _indicators(paths.codes[paths.starts], paths.n_channels):
                cols.append(indicator)
                names.append(f"first {paths.channels[c]}")
            continue
        names.append(name)
        if name == "length":
            cols.append(np.log(np.maximum(paths.lengths, 1)))
        elif name == "exposure":
            if paths.exposure_days is None:
                raise ValueError("controls = ['exposure'] needs journeys with timestamps")
            days = np.nan_to_num(paths.exposure_days)
            cols.append(np.log1p(np.minimum(days, horizon_days) if horizon_days > 0 else days))
        else:
            if paths.days_before is None:
                raise ValueError("controls = ['span'] needs journeys with timestamps")
            d = np.nan_to_num(paths.days_before)
            span = np.maximum.reduceat(d, paths.starts) - np.minimum.reduceat(d, paths.starts)
            cols.append(np.log1p(np.maximum(span, 0.0)))
    if paths.covariates is not None:  # the journeys' pre-journey covariates, as indicators
        cols.extend(paths.covariates.T)
        names.extend(paths.covariate_names)
    z = np.column_stack(cols) if cols else np.zeros((paths.n_paths, 0))
    return z, tuple(names)


def stratified_features(paths: Paths, x: sp.csr_matrix) -> tuple[sp.csr_matrix, tuple[str, ...]]:
    """Channel features, one column per (stratum, channel) when ``paths`` has strata.

    Column ``s * n_channels + c`` holds channel ``c`` of the paths of stratum ``s``, so
    each stratum gets its own channel effects (the same model fitted per stratum, with
    one penalty and one set of controls). Returns the matrix and the term names
    (``"channel | stratum"``; the channels themselves without strata).
    """
    if paths.strata is None:
        return x, paths.channels
    n_strata = len(paths.strata_names)
    coo = x.tocoo()
    cols = paths.strata[coo.row] * paths.n_channels + coo.col
    out = sp.csr_matrix((coo.data, (coo.row, cols)), shape=(x.shape[0], n_strata * x.shape[1]))
    terms = tuple(f"{c} | {s}" for s in paths.strata_names for c in paths.channels)
    return out, terms


def stratum_controls(
    paths: Paths, z: np.ndarray, controls: tuple[str, ...]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The controls plus one indicator per stratum but the first (each its own baseline)."""
    if paths.strata is None or len(paths.strata_names) < 2:
        return z, controls
    names = paths.strata_names[1:]
    dummies = (paths.strata[:, None] == np.arange(1, len(paths.strata_names))).astype(float)
    return np.column_stack([z, dummies]), (*controls, *(f"stratum {n}" for n in names))


def journey_parts(
    contrib: np.ndarray,
    intercept: float | np.ndarray,
    *,
    credit: str = "removal",
    n_permutations: int = 200,
    seed: int = 0,
) -> np.ndarray:
    """Each channel's part of each journey's incremental probability.

    Parameters
    ----------
    contrib
        (journeys x k) logit contributions ``beta_c f_ic`` of the journey's channels (0
        for a channel the journey does not have; such a channel gets part 0).
    intercept
        The logit without any marketing touch: the fitted intercept ``b``, or per
        journey ``b`` plus its controls' terms.
    credit
        ``"shapley"``, ``"removal"`` or ``"lost"`` (see the module docstring).

    Returns
    -------
    ndarray
        (journeys x k) parts; each row sums to ``sigmoid(b + sum) - sigmoid(b)``, but
        with ``"lost"``: the removal effects ``p_i - v_i(all but c)`` as they are. With
        negative contributions (``nonnegative=False``) the removal effects of a journey
        can sum to 0 or change sign; such a journey gets its Shapley split.
    """
    n, k = contrib.shape
    b0 = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (n,))
    full = expit(b0 + contrib.sum(axis=1))
    base = expit(b0)
    gain = full - base
    if k == 0 or n == 0:
        return np.zeros((n, k))
    if credit in ("removal", "lost"):
        drop = full[:, None] - expit((b0 + contrib.sum(axis=1))[:, None] - contrib)
        if credit == "lost":  # kept as they are: scaled over all journeys by the model
            return drop
        total = drop.sum(axis=1)
        ok = total * gain > 0  # with negative effects the drops can cancel out
        scale = np.divide(gain, total, out=np.zeros(n), where=ok)
        out = drop * scale[:, None]
        odd = ~ok & (gain != 0)
        if odd.any():  # no removal split of the gain: the Shapley split instead
            out[odd] = journey_parts(
                contrib[odd],
                b0[odd],
                credit="shapley",
                n_permutations=n_permutations,
                seed=seed,
            )
        return out
    if k <= _MAX_EXACT:
        masks = np.arange(1 << k, dtype=np.int64)
        bits = ((masks[:, None] >> np.arange(k)) & 1).astype(np.float64)
        out = np.zeros((n, k))
        step = max(1, _CELLS // (1 << k))
        for lo in range(0, n, step):
            game = expit(b0[lo : lo + step, None] + contrib[lo : lo + step] @ bits.T)
            out[lo : lo + step] = shapley_from_game(game)
        return out
    return _permutation_parts(contrib, b0, n_permutations, seed)


def _permutation_parts(contrib: np.ndarray, b0: np.ndarray, m: int, seed: int) -> np.ndarray:
    """Monte-Carlo Shapley parts from ``m`` random channel orders (they sum to the gain)."""
    n, k = contrib.shape
    rng = np.random.default_rng(seed)
    out = np.zeros((n, k))
    for _ in range(m):
        order = rng.permutation(k)
        cum = b0[:, None] + np.cumsum(contrib[:, order], axis=1)
        v = expit(np.concatenate([b0[:, None], cum], axis=1))
        out[:, order] += np.diff(v, axis=1)
    return out / m


class IncrementalityModel:
    """The incrementality model prepared on ``paths`` (see the module docstring)."""

    def __init__(
        self,
        paths: Paths,
        *,
        features: str = "presence",
        decay: float = 0.5,
        credit: str = "removal",
        folds: int = 5,
        penalty: float = 1e-3,
        nonnegative: bool = True,
        controls: tuple[str, ...] | list[str] = ("span",),
        horizon_days: float = 0.0,
        risk_set_cuts: int = 0,
        n_permutations: int = 200,
        seed: int = 0,
    ) -> None:
        if credit not in CREDIT_METHODS:
            raise ValueError(f"credit must be one of {CREDIT_METHODS}; got {credit!r}")
        if folds == 1 or folds < 0:
            raise ValueError(f"folds must be 0 (no cross-validation) or >= 2; got {folds}")
        if penalty < 0:
            raise ValueError(f"penalty must be >= 0; got {penalty}")
        if n_permutations < 1:
            raise ValueError(f"n_permutations must be >= 1; got {n_permutations}")
        if horizon_days < 0:
            raise ValueError(f"horizon_days must be >= 0 (0: no cap); got {horizon_days}")
        if features == "decayed" and not 0 <= decay <= 1:
            raise ValueError(f"decay must be in (0, 1], or 0 (cross-validated); got {decay}")
        if risk_set_cuts < 0:
            raise ValueError(
                f"risk_set_cuts must be 0 (whole journeys) or >= 1; got {risk_set_cuts}"
            )
        self.paths = paths
        self.channels = paths.channels
        self.extra_channels: tuple[str, ...] = (BASELINE,)
        self.credit = credit
        self.controls = tuple(controls)
        self.risk_set = risk_set_rows(paths, risk_set_cuts) if risk_set_cuts else None
        design = paths if self.risk_set is None else self.risk_set.paths
        z_all, self.control_terms = stratum_controls(
            design, *control_features(design, self.controls, horizon_days)
        )
        free = z_all.shape[1]
        x_all, (x, y, w), penalty = self._choose_fit(
            design, z_all, features, decay, penalty, folds, seed, nonnegative
        )
        self.x, self.z = x_all[: paths.n_paths], z_all[: paths.n_paths]
        self.penalty = penalty
        theta = fit_logistic(x, y, w, penalty * float(w.sum()), nonnegative=nonnegative, free=free)
        k = self.x.shape[1]
        self.theta, self.gamma = theta[: k + 1], theta[k + 1 :]
        self._parts = self._journey_parts(n_permutations, seed)

    def _choose_fit(
        self, design, z_all, features, decay, penalty, folds, seed, nonnegative
    ) -> tuple[sp.csr_matrix, tuple[sp.csr_matrix, np.ndarray, np.ndarray], float]:
        """Channel features, the rows to fit and the penalty (with ``decay = 0`` the decay).

        The penalty is chosen by cross-validated log loss (unless ``folds = 0``); with
        ``features = "decayed"`` and ``decay = 0`` every decay of :data:`DECAYS` is tried
        with it and the pair with the lowest loss kept. Sets ``terms``, ``decay`` and ``cv``.
        """
        free = z_all.shape[1]
        decays = DECAYS if features == "decayed" and decay == 0 else (decay,)
        best = None
        for d in decays:
            x_all, terms = stratified_features(design, path_features(design, features, d))
            x, y, w, fold = self._fit_rows(x_all, z_all, folds, seed)
            lam, cv = penalty, pd.DataFrame({"penalty": [penalty], "cv_log_loss": [np.nan]})
            if folds >= 2 and x.shape[0] >= 2 * folds and 0 < float(w @ y) < float(w.sum()):
                lam, cv = cv_penalty(x, y, w, fold, nonnegative, free)
            loss = float(cv["cv_log_loss"].min()) if cv["cv_log_loss"].notna().any() else 0.0
            if best is None or loss < best[0]:
                cv = cv.assign(decay=d) if features == "decayed" else cv
                best = (loss, d, lam, cv, x_all, terms, (x, y, w))
        assert best is not None
        _, self.decay, lam, self.cv, x_all, self.terms, rows = best
        return x_all, rows, lam

    def _fit_rows(
        self, x_all: sp.csr_matrix, z_all: np.ndarray, folds: int, seed: int
    ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        """Design matrix, converting share, weight and fold of the rows to fit.

        Every path with weight, or with ``risk_set_cuts`` the risk-set rows
        (:mod:`~workbench.attribution.riskset`), whose folds follow their source path.
        """
        paths = self.paths
        full = sp.hstack([x_all, sp.csr_matrix(z_all)]).tocsr()
        if self.risk_set is not None:
            rs = self.risk_set
            fold = cv_folds(paths.ids, max(folds, 1), seed)[rs.source]
            return full[rs.fit], rs.y, rs.weight, fold
        weight = paths.conversions + paths.nulls
        y = np.divide(paths.conversions, weight, out=np.zeros(paths.n_paths), where=weight > 0)
        usable = weight > 0
        fold = cv_folds(paths.ids[usable], max(folds, 1), seed)
        return full[usable], y[usable], weight[usable], fold

    @property
    def base_logit(self) -> np.ndarray:
        """Per path: the logit without any marketing touch (intercept plus controls)."""
        return self.theta[0] + self.z @ self.gamma

    def _journey_parts(self, n_perm: int, seed: int) -> sp.csr_matrix:
        """(paths x channels) parts of every path's incremental probability."""
        x = self.x.tocsr()
        beta = self.theta[1:]
        contrib = x.multiply(beta[None, :]).tocsr()
        k = np.diff(contrib.indptr)
        rows, cols, vals = [], [], []
        for width in np.unique(k):
            ids = np.flatnonzero(k == width)
            if width == 0:
                continue
            idx = contrib.indptr[ids][:, None] + np.arange(width)
            parts = journey_parts(
                contrib.data[idx],
                self.base_logit[ids],
                credit=self.credit,
                n_permutations=n_perm,
                seed=seed,
            )
            rows.append(np.repeat(ids, width))
            cols.append(contrib.indices[idx].ravel())
            vals.append(parts.ravel())
        if not rows:
            return sp.csr_matrix((x.shape[0], self.paths.n_channels))
        k = self.paths.n_channels
        return sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols) % k)),
            shape=(x.shape[0], k),
        )

    def probabilities(self) -> tuple[np.ndarray, np.ndarray]:
        """Fitted ``p_i`` and ``v_i(empty)`` of every path."""
        base = self.base_logit
        return expit(base + self.x @ self.theta[1:]), expit(base)

    def _shares(self, weight: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """Per path: each channel's share of a conversion, and the baseline's share.

        With ``credit = "lost"`` the shares are the removal effects over ``p_i``, all
        multiplied by one factor so that, summed with ``weight`` (the paths'
        conversions or value), they give the incremental ``sum_i weight_i (p_i -
        v_i(empty)) / p_i``: the channels' credits are in proportion to the conversions
        each is expected to have lost, and with the baseline they sum to the total.
        """
        p, p0 = self.probabilities()
        inv = sp.diags(1.0 / np.maximum(p, 1e-300))
        shares = (inv @ self._parts).tocsr()
        base = p0 / np.maximum(p, 1e-300)
        if self.credit == "lost":
            lost = float(np.asarray(shares.sum(axis=1)).ravel() @ weight)
            gain = float((1.0 - base) @ weight)
            shares = shares * (gain / lost if lost > 0 else 0.0)
        return shares, base

    def channel_credits(
        self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Credited conversions and value per channel, then :data:`BASELINE`."""
        shares, base = self._shares(conversions)
        conv = np.append(shares.T @ conversions, base @ conversions)
        shares, base = self._shares(value)
        val = np.append(shares.T @ value, base @ value)
        return conv, val

    def touch_credits(self, model: str) -> None:
        """Credit is per channel and journey, not per touch."""
        return None

    def journey_credits(self) -> pd.DataFrame:
        """Credit of every converting journey per channel (and :data:`BASELINE`).

        Columns ``journey_id, channel, conversions, value, lost``; non-zero rows only.
        ``lost`` is the model's expected share of the conversion that would not have
        happened without the channel's touches, ``(p_i - v_i(all but c)) / p_i`` (0 for
        :data:`BASELINE`): the quantity a lift test measures, summed over a period by
        :func:`~workbench.attribution.calibration.experiment_comparison`.
        """
        p = self.paths
        shares, base = self._shares(p.conversions)
        coo = shares.tocoo()
        keep = (p.conversions[coo.row] > 0) & (coo.data != 0)
        row, col, share = coo.row[keep], coo.col[keep], coo.data[keep]
        by_value, _ = self._shares(p.value)  # differs from ``shares`` only with "lost"
        share_value = np.asarray(by_value[row, col]).ravel()
        full, _ = self.probabilities()
        logit = self.base_logit + self.x @ self.theta[1:]
        term = col if p.strata is None else p.strata[row] * p.n_channels + col
        contrib = np.asarray(self.x[row, term]).ravel() * self.theta[1:][term]
        lost = (full[row] - expit(logit[row] - contrib)) / np.maximum(full[row], 1e-300)
        conv = np.flatnonzero(p.conversions > 0)
        names = np.asarray([*self.channels, BASELINE], dtype=object)
        rows = np.concatenate([row, conv])
        cols = np.concatenate([col, np.full(len(conv), len(self.channels))])
        shr = np.concatenate([share, base[conv]])
        return pd.DataFrame(
            {
                JOURNEY_ID: p.ids[rows],
                CHANNEL: pd.Series(names[cols], dtype="str"),
                "conversions": shr * p.conversions[rows],
                "value": np.concatenate([share_value, base[conv]]) * p.value[rows],
                "lost": np.concatenate([lost, np.zeros(len(conv))]) * p.conversions[rows],
            }
        )

    def details(self) -> dict[str, pd.DataFrame]:
        """``coefficients``, ``cv`` and ``journey_credits``.

        ``coefficients``: the intercept (as :data:`BASELINE`), the channels, then the
        controls; ``cv``: the cross-validated log loss of every penalty tried.
        """
        return {
            "coefficients": pd.DataFrame(
                {
                    "term": pd.Series([BASELINE, *self.terms, *self.control_terms], dtype="str"),
                    "coefficient": np.concatenate([self.theta, self.gamma]),
                }
            ),
            "cv": self.cv.assign(chosen=self.cv["penalty"] == self.penalty),
            "journey_credits": self.journey_credits(),
        }


#: Prepare (fit) the model on all paths: the registry's entry point. The model class
#: itself, so its options and their defaults are stated once, in ``__init__``.
prepare_incrementality = IncrementalityModel
