"""Markov-chain attribution (order 1 to 4) with exact removal effects.

States
    Following ChannelAttribution: a path of length ``L >= k`` visits the ``L - k + 1``
    windows of ``k`` consecutive channels (order ``k``), a shorter path visits one state
    made of the whole path. Every path starts in ``(start)`` and ends in
    ``(conversion)`` (weight: its conversions) or ``(null)`` (weight: its non-converting
    count), so non-converting journeys are part of the chain. Transitions from a state
    to itself are dropped (as ChannelAttribution does); this changes no absorption
    probability.

Removal effects, exactly
    With ``Q`` the transient-to-transient transition matrix, ``r`` the one-step
    conversion probabilities and ``pi`` the start distribution, the conversion
    probability is ``P = pi' (I - Q)^-1 r``: we solve ``(I - Q)' y = pi`` (``y`` =
    expected visits) and take ``y' r``. Removing channel ``c`` redirects every
    transition into a state containing ``c`` to ``(null)``, i.e. drops those states from
    ``Q``, ``r`` and ``pi``; the removal effect is ``RE_c = 1 - P_without_c / P``. No
    simulation is involved.

    ``solver="auto"`` (default) uses sparse LU (:func:`scipy.sparse.linalg.spsolve`) up
    to :data:`DIRECT_MAX_STATES` states. Higher-order chains are de Bruijn-like graphs
    with one giant strongly connected component on which LU fill-in explodes (10k
    states: ~10M fill, seconds per solve), so above that the same system is solved by
    its Neumann series ``y = sum_t (Q')^t pi`` for all removal scenarios at once,
    stopped when the probability mass still transient is below :data:`SERIES_TOL`,
    which bounds the absolute error of every absorption probability (a chain built
    from finite paths always drains). ``"direct"`` / ``"series"`` force one method.

Credit
    ``conversions_c = RE_c / sum(RE) * total conversions``. Value, by
    ``value_method``:

    ``"transitions"`` (default, as ChannelAttribution)
        A value chain where reaching ``(conversion)`` from state ``s`` pays the mean value
        of the conversions that ended in ``s`` (reward ``value_s / out_s``); its removal
        effects ``REV_c`` give ``value_c = REV_c / sum(REV) * total value``.
    ``"conversions"``
        The conversion removal effects applied to value:
        ``value_c = RE_c / sum(RE) * total value``.

Zero credit
    Unlike the path models, the chain forgets history: a channel seen only on
    non-converting paths can still get credit when its states lead to states from which
    other paths converted. A channel on no path at all gets 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from workbench.attribution.inputs import DEFAULT_SEP, Paths
from workbench.schema import CHANNEL

__all__ = [
    "CONVERSION_STATE",
    "NULL_STATE",
    "ORDERS",
    "SOLVERS",
    "START_STATE",
    "VALUE_METHODS",
    "MarkovModel",
    "markov_transition_matrix",
    "prepare_markov",
]

ORDERS: tuple[int, ...] = (1, 2, 3, 4)
VALUE_METHODS: tuple[str, ...] = ("transitions", "conversions")
START_STATE = "(start)"
CONVERSION_STATE = "(conversion)"
NULL_STATE = "(null)"
_DENSE_KEY_LIMIT = 50_000_000
SOLVERS: tuple[str, ...] = ("auto", "direct", "series")
#: ``solver="auto"`` factorizes (sparse LU) up to this many states, above it sums the series.
DIRECT_MAX_STATES = 300
SERIES_TOL = 1e-15
SERIES_MAX_ITER = 1_000_000


class MarkovModel:
    """A Markov chain of order ``order`` prepared on ``paths``.

    The state sequence of every path is fixed at construction; :meth:`channel_credits`
    only re-weights it, so re-evaluating with bootstrap weights is cheap.
    """

    def __init__(
        self,
        paths: Paths,
        order: int = 1,
        value_method: str = "transitions",
        solver: str = "auto",
    ) -> None:
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}; got {solver!r}")
        if order not in ORDERS:
            raise ValueError(f"Markov order must be one of {ORDERS}; got {order!r}")
        if value_method not in VALUE_METHODS:
            raise ValueError(f"value_method must be one of {VALUE_METHODS}; got {value_method!r}")
        base = paths.n_channels + 1
        if base**order >= 2**62:
            raise ValueError(f"too many channels ({paths.n_channels}) for a chain of order {order}")
        self.paths = paths
        self.order = order
        self.value_method = value_method
        self.solver = solver
        self.channels = paths.channels
        self._build_states(base)

    def _build_states(self, base: int) -> None:
        paths, k = self.paths, self.order
        n_touch = len(paths.codes)
        length = paths.lengths[paths.path_of_touch]
        pos = paths.index_in_path
        window_start = np.flatnonzero((pos <= length - k) | ((pos == 0) & (length < k)))
        key = np.zeros(len(window_start), dtype=np.int64)
        for m in range(k):
            idx = np.minimum(window_start + m, max(n_touch - 1, 0))
            inside = pos[window_start] + m < length[window_start]
            key = key * base + np.where(inside, paths.codes[idx].astype(np.int64) + 1, 0)
        if base**k <= _DENSE_KEY_LIMIT:
            present = np.bincount(key, minlength=base**k) > 0
            unique_keys = np.flatnonzero(present)
            lookup = np.cumsum(present) - 1
            state = lookup[key]
        else:
            unique_keys, state = np.unique(key, return_inverse=True)
            state = state.ravel()
        self.n_states = len(unique_keys)
        n_windows = np.maximum(paths.lengths - k + 1, 1)
        woff = np.zeros(paths.n_paths + 1, dtype=np.int64)
        np.cumsum(n_windows, out=woff[1:])
        self.first_state = state[woff[:-1]]
        self.last_state = state[woff[1:] - 1]
        path_of_window = paths.path_of_touch[window_start]
        same = path_of_window[1:] == path_of_window[:-1]
        frm, to = state[:-1][same], state[1:][same]
        loop = frm == to
        self.trans_path = path_of_window[:-1][same][~loop]
        # Distinct (from, to) pairs, so re-weighting is one bincount.
        pair_key = frm[~loop] * self.n_states + to[~loop]
        if self.n_states**2 <= _DENSE_KEY_LIMIT:
            present = np.bincount(pair_key, minlength=self.n_states**2) > 0
            unique_pairs = np.flatnonzero(present)
            self.trans_pair = (np.cumsum(present) - 1)[pair_key]
        else:
            unique_pairs, self.trans_pair = np.unique(pair_key, return_inverse=True)
            self.trans_pair = self.trans_pair.ravel()
        self.pair_from = unique_pairs // self.n_states
        self.pair_to = unique_pairs % self.n_states
        digits = np.zeros((self.n_states, k), dtype=np.int64)
        rest = unique_keys.copy()
        for m in range(k - 1, -1, -1):
            digits[:, m] = rest % base
            rest //= base
        self.state_digits = digits
        #: contains[c, s]: state s contains channel c.
        self.contains = np.zeros((paths.n_channels, self.n_states), dtype=bool)
        for m in range(k):
            has = digits[:, m] > 0
            self.contains[digits[has, m] - 1, np.flatnonzero(has)] = True

    # -- fitting ------------------------------------------------------------------

    def _chain(self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray) -> dict:
        s = self.n_states
        total = conversions + nulls
        weight = np.bincount(
            self.trans_pair, weights=total[self.trans_path], minlength=len(self.pair_from)
        )
        counts = sp.csr_matrix((weight, (self.pair_from, self.pair_to)), shape=(s, s))
        start = np.bincount(self.first_state, weights=total, minlength=s)
        end_conv = np.bincount(self.last_state, weights=conversions, minlength=s)
        end_null = np.bincount(self.last_state, weights=nulls, minlength=s)
        end_value = np.bincount(self.last_state, weights=value, minlength=s)
        out = np.asarray(counts.sum(axis=1)).ravel() + end_conv + end_null
        inv = np.divide(1.0, out, out=np.zeros(s), where=out > 0)
        return {
            "counts": counts,
            "start": start,
            "end_conv": end_conv,
            "end_null": end_null,
            "out": out,
            "Q": sp.diags(inv) @ counts,
            "r_conv": end_conv * inv,
            "r_value": end_value * inv,
            "pi": start / start.sum() if start.sum() > 0 else start,
        }

    def _solve(self, chain: dict) -> tuple[np.ndarray, np.ndarray]:
        """Conversion probability and expected value from (start), for every scenario.

        Scenario 0 keeps every state; scenario ``c + 1`` removes the states containing
        channel ``c``.
        """
        n_ch, s = len(self.channels), self.n_states
        keep = np.ones((s, n_ch + 1), dtype=bool)
        keep[:, 1:] = ~self.contains.T
        keep &= (chain["out"] > 0)[:, None]
        use_direct = self.solver == "direct" or (self.solver == "auto" and s <= DIRECT_MAX_STATES)
        if use_direct:
            visits = np.zeros((s, n_ch + 1))
            for j in range(n_ch + 1):
                if j > 0 and not self.contains[j - 1].any():
                    visits[:, j] = visits[:, 0]
                    continue
                idx = np.flatnonzero(keep[:, j])
                if len(idx) == 0:
                    continue
                q = chain["Q"][idx][:, idx]
                a = (sp.identity(len(idx), format="csr") - q).T.tocsc()
                visits[idx, j] = np.atleast_1d(spsolve(a, chain["pi"][idx]))
        else:
            visits = self._series(chain, keep)
        return chain["r_conv"] @ visits, chain["r_value"] @ visits

    @staticmethod
    def _series(chain: dict, keep: np.ndarray) -> np.ndarray:
        """Expected visits by the Neumann series of ``(I - Q')^-1 pi``, all scenarios at once.

        Stops when the probability mass still in transient states is below
        :data:`SERIES_TOL`; that mass bounds the absolute error of every absorption
        probability. A chain built from finite paths always drains; should it not within
        :data:`SERIES_MAX_ITER` steps, the error suggests ``solver="direct"``.
        """
        qt = chain["Q"].T.tocsr()
        mask = keep.astype(np.float64)
        y = mask * chain["pi"][:, None]
        visits = y.copy()
        for _ in range(SERIES_MAX_ITER):
            y = (qt @ y) * mask
            visits += y
            if y.sum(axis=0).max() < SERIES_TOL:
                return visits
        raise RuntimeError(
            f"Markov chain did not drain in {SERIES_MAX_ITER} steps; use solver='direct'"
        )

    def removal_effects(
        self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Removal effects per channel on conversions and on value (value chain)."""
        chain = self._chain(conversions, nulls, value)
        p, v = self._solve(chain)
        re_conv = 1.0 - p[1:] / p[0] if p[0] > 0 else np.zeros(len(self.channels))
        re_value = 1.0 - v[1:] / v[0] if v[0] > 0 else np.zeros(len(self.channels))
        # Removing states can only lower absorption; clip round-off below zero.
        return np.clip(re_conv, 0.0, None), np.clip(re_value, 0.0, None)

    def channel_credits(
        self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Credited conversions and value per channel (see the module docstring)."""
        re_conv, re_value = self.removal_effects(conversions, nulls, value)
        total_conv, total_value = float(conversions.sum()), float(value.sum())
        conv_share = re_conv / re_conv.sum() if re_conv.sum() > 0 else re_conv * 0
        if self.value_method == "transitions":
            value_share = re_value / re_value.sum() if re_value.sum() > 0 else re_value * 0
        else:
            value_share = conv_share
        return conv_share * total_conv, value_share * total_value

    def touch_credits(self, model: str) -> None:
        """Markov credits channels, not touches."""
        return None

    # -- frames -------------------------------------------------------------------

    def state_labels(self, sep: str = DEFAULT_SEP) -> list[str]:
        """Label of every transient state: its channels joined by ``sep``."""
        names = np.asarray(("",) + self.channels, dtype=object)
        labels = []
        for row in names[self.state_digits]:
            labels.append(sep.join(x for x in row if x))
        return labels

    def transition_matrix(self) -> pd.DataFrame:
        """Long frame ``from_state, to_state, probability, count`` for the paths' weights."""
        p = self.paths
        chain = self._chain(p.conversions, p.nulls, p.value)
        labels = np.asarray(self.state_labels(), dtype=object)
        out = chain["out"]
        counts = chain["counts"].tocoo()
        parts = []
        start = chain["start"]
        nz = np.flatnonzero(start > 0)
        parts.append(
            (np.full(len(nz), START_STATE, dtype=object), labels[nz], start[nz], start.sum())
        )
        parts.append((labels[counts.row], labels[counts.col], counts.data, out[counts.row]))
        for name, end in ((CONVERSION_STATE, chain["end_conv"]), (NULL_STATE, chain["end_null"])):
            nz = np.flatnonzero(end > 0)
            parts.append((labels[nz], np.full(len(nz), name, dtype=object), end[nz], out[nz]))
        frm = np.concatenate([x[0] for x in parts])
        to = np.concatenate([x[1] for x in parts])
        cnt = np.concatenate([x[2] for x in parts])
        denom = np.concatenate([np.broadcast_to(x[3], len(x[2])) for x in parts])
        frame = pd.DataFrame(
            {
                "from_state": pd.Series(frm, dtype="str"),
                "to_state": pd.Series(to, dtype="str"),
                "probability": cnt / denom,
                "count": cnt,
            }
        )
        return frame[frame["count"] > 0].reset_index(drop=True)

    def details(self) -> dict[str, pd.DataFrame]:
        """``transition_matrix`` and ``removal_effects`` frames."""
        p = self.paths
        re_conv, re_value = self.removal_effects(p.conversions, p.nulls, p.value)
        effects = pd.DataFrame(
            {
                CHANNEL: pd.Series(list(self.channels), dtype="str"),
                "removal_effect": re_conv,
                "removal_effect_value": re_value,
            }
        )
        return {"transition_matrix": self.transition_matrix(), "removal_effects": effects}


def prepare_markov(
    paths: Paths, *, order: int = 1, value_method: str = "transitions", solver: str = "auto"
) -> MarkovModel:
    """Prepare a Markov model of ``order`` (1-4) on all paths (converting or not)."""
    return MarkovModel(paths, order=order, value_method=value_method, solver=solver)


def markov_transition_matrix(paths: Paths, *, order: int = 1) -> pd.DataFrame:
    """Transition matrix of the order-``order`` chain as a long frame for plotting.

    Returns
    -------
    DataFrame
        ``from_state, to_state, probability, count``; states are ``(start)``,
        ``(conversion)``, ``(null)`` and channel tuples joined by ``" > "``.
    """
    return MarkovModel(paths, order=order).transition_matrix()
