"""Channel-coalition Shapley attribution (Zhao, Mahboobi & Bagheri 2018) and its ordered form.

Characteristic function
    A coalition ``S`` is a set of channels. With ``characteristic="conversions"``
    (default, the paper's choice) ``v(S)`` is the conversions (and, for the value game,
    the conversion value) of the paths whose channel **set** is a subset of ``S``: what
    the journeys that used only channels of ``S`` produced. With
    ``characteristic="conversion_rate"`` ``v(S)`` is the conversion rate (value per
    journey) of those paths, which needs non-converting journeys; its Shapley values
    do not add up to the conversions, so they are rescaled to the totals (a channel can
    get negative credit when it lowers the rate).

Exact computation (``n <= max_exact_channels``, default 20)
    Per-set totals ``w(T)`` are binned on bitmasks, ``v = zeta(w)`` is the subset-sum
    (zeta) transform, ``n`` vectorized passes over the ``2**n`` array, and
    ``phi_i = sum_{S not containing i} |S|! (n-|S|-1)! / n! * (v(S+i) - v(S))`` is
    evaluated for every coalition at once. For ``"conversions"`` this equals the paper's
    simplified Shapley value, an equal split of each path's conversions over its
    distinct channels (tested as an independent check).

Too many channels (``n > max_exact_channels``)
    Monte-Carlo permutation sampling: ``n_permutations`` random channel orders from
    ``np.random.default_rng(seed)``; in each order a channel earns ``v(S+i) - v(S)``
    where ``S`` precedes it. Credits are the mean over orders; the standard error of the
    mean is reported in ``details()["std_error"]``. No channel is merged or dropped.

Ordered Shapley (``shapley_ordered``)
    The paper's ordered variant credits the channel at each touch position: every
    distinct channel of a converting path gets ``1/|S|`` of the path's conversions, split
    evenly over its touches, so ``phi_j^i`` (channel ``j`` at touch ``i``) is available
    per touch and in ``details()["by_position"]``. Channel totals equal ``shapley`` with
    ``characteristic="conversions"`` by construction.

A channel on no converting path gets 0 under ``"conversions"``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workbench.attribution.base import ShareModel, converting
from workbench.attribution.inputs import Paths
from workbench.attribution.sequences import group_sequences
from workbench.schema import CHANNEL

__all__ = [
    "CHARACTERISTICS",
    "ShapleyModel",
    "mobius_transform",
    "ordered_shapley_shares",
    "prepare_shapley",
    "prepare_shapley_ordered",
    "shapley_from_game",
    "zeta_transform",
]

CHARACTERISTICS: tuple[str, ...] = ("conversions", "conversion_rate")
_MAX_EXACT_LIMIT = 24
_MC_CELLS = 4_000_000
_MASK_BITS = 62


def zeta_transform(w: np.ndarray) -> np.ndarray:
    """Subset-sum transform along the last axis: ``v[S] = sum_{T subset of S} w[T]``.

    The last axis has length ``2**n``; bit ``i`` of an index is channel ``i``.
    """
    v = np.array(w, dtype=np.float64, copy=True)
    size = v.shape[-1]
    n = size.bit_length() - 1
    lead = v.shape[:-1]
    for i in range(n):
        view = v.reshape(*lead, -1, 2, 1 << i)
        view[..., 1, :] += view[..., 0, :]
    return v


def mobius_transform(v: np.ndarray) -> np.ndarray:
    """Inverse of :func:`zeta_transform`."""
    w = np.array(v, dtype=np.float64, copy=True)
    size = w.shape[-1]
    n = size.bit_length() - 1
    lead = w.shape[:-1]
    for i in range(n):
        view = w.reshape(*lead, -1, 2, 1 << i)
        view[..., 1, :] -= view[..., 0, :]
    return w


def shapley_from_game(v: np.ndarray) -> np.ndarray:
    """Exact Shapley values of games given on all ``2**n`` coalitions (last axis)."""
    size = v.shape[-1]
    n = size.bit_length() - 1
    lead = v.shape[:-1]
    masks = np.arange(size, dtype=np.int64)
    sizes = np.zeros(size, dtype=np.int64)
    for i in range(n):
        sizes += (masks >> i) & 1
    coef = np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)]) if n else np.zeros(0)
    phi = np.zeros((*lead, n))
    for i in range(n):
        view = v.reshape(*lead, -1, 2, 1 << i)
        diff = view[..., 1, :] - view[..., 0, :]
        weight = coef[sizes.reshape(-1, 2, 1 << i)[:, 0, :]]
        phi[..., i] = (diff * weight).sum(axis=(-2, -1))
    return phi


class ShapleyModel:
    """Channel-coalition Shapley prepared on ``paths`` (see the module docstring)."""

    def __init__(
        self,
        paths: Paths,
        characteristic: str = "conversions",
        max_exact_channels: int = 20,
        n_permutations: int = 1000,
        seed: int = 0,
    ) -> None:
        if characteristic not in CHARACTERISTICS:
            raise ValueError(
                f"characteristic must be one of {CHARACTERISTICS}; got {characteristic!r}"
            )
        if not 0 <= max_exact_channels <= _MAX_EXACT_LIMIT:
            raise ValueError(
                f"max_exact_channels must be in 0..{_MAX_EXACT_LIMIT}; got {max_exact_channels}"
            )
        if n_permutations < 2:
            raise ValueError(f"n_permutations must be >= 2; got {n_permutations}")
        self.paths = paths
        self.channels = paths.channels
        self.characteristic = characteristic
        self.n_permutations = int(n_permutations)
        self.seed = seed
        n = paths.n_channels
        self.exact = n <= max_exact_channels
        if n <= _MASK_BITS:
            # Channel set of every path as a bitmask (bit i = channel i).
            bits = np.left_shift(np.int64(1), paths.codes.astype(np.int64))
            mask = (
                np.bitwise_or.reduceat(bits, paths.starts)
                if paths.n_paths
                else np.zeros(0, np.int64)
            )
            if self.exact:
                self.path_mask = mask
                self._std_error: np.ndarray | None = None
                return
            uniq, self.set_id = np.unique(mask, return_inverse=True)
            self.set_id = self.set_id.ravel()
            member = ((uniq[:, None] >> np.arange(n)) & 1).astype(bool)
            rows, self.set_codes = np.nonzero(member)
            self.set_off = np.zeros(len(uniq) + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=len(uniq)), out=self.set_off[1:])
        else:
            key = np.unique(paths.path_of_touch * n + paths.codes)
            pair_path, pair_code = key // n, key % n
            set_len = np.bincount(pair_path, minlength=paths.n_paths)
            set_off = np.zeros(paths.n_paths + 1, dtype=np.int64)
            np.cumsum(set_len, out=set_off[1:])
            self.set_id, rep = group_sequences(pair_code, set_off, n)
            lens = set_len[rep]
            self.set_off = np.zeros(len(rep) + 1, dtype=np.int64)
            np.cumsum(lens, out=self.set_off[1:])
            take = np.repeat(set_off[rep], lens) + (
                np.arange(self.set_off[-1]) - np.repeat(self.set_off[:-1], lens)
            )
            self.set_codes = pair_code[take]
        self._std_error = None

    def _games(self, weights: list[np.ndarray], n_bins: int, ids: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(ids, weights=w, minlength=n_bins) for w in weights])

    def _exact(self, conversions, nulls, value) -> np.ndarray:
        n = len(self.channels)
        size = 1 << n
        if self.characteristic == "conversions":
            v = zeta_transform(self._games([conversions, value], size, self.path_mask))
        else:
            z = zeta_transform(
                self._games([conversions, value, conversions + nulls], size, self.path_mask)
            )
            v = np.divide(z[:2], z[2], out=np.zeros_like(z[:2]), where=z[2] > 0)
        return shapley_from_game(v)

    def _monte_carlo(self, conversions, nulls, value) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.channels)
        n_sets = len(self.set_off) - 1
        games = [conversions, value] + (
            [] if self.characteristic == "conversions" else [conversions + nulls]
        )
        w = self._games(games, n_sets, self.set_id)
        rng = np.random.default_rng(self.seed)
        total = np.zeros((2, n))
        total_sq = np.zeros((2, n))
        chunk = max(1, _MC_CELLS // max(len(self.set_codes), n, 1))
        starts = self.set_off[:-1]
        done = 0
        while done < self.n_permutations:
            b = min(chunk, self.n_permutations - done)
            perm = rng.permuted(np.tile(np.arange(n), (b, 1)), axis=1)
            rank = np.empty_like(perm)
            np.put_along_axis(rank, perm, np.broadcast_to(np.arange(n), (b, n)), axis=1)
            entry = np.maximum.reduceat(rank[:, self.set_codes], starts, axis=1)
            flat = (entry + (np.arange(b) * n)[:, None]).ravel()
            step = np.stack(
                [np.bincount(flat, weights=np.tile(g, b), minlength=b * n).reshape(b, n) for g in w]
            )
            if self.characteristic == "conversions":
                delta = step[:2]
            else:
                cum = np.cumsum(step, axis=2)
                v = np.divide(cum[:2], cum[2], out=np.zeros_like(cum[:2]), where=cum[2] > 0)
                delta = np.diff(v, axis=2, prepend=0.0)
            phi = np.zeros((2, b, n))
            for g in range(2):
                np.put_along_axis(phi[g], perm, delta[g], axis=1)
            total += phi.sum(axis=1)
            total_sq += (phi**2).sum(axis=1)
            done += b
        m = self.n_permutations
        mean = total / m
        var = np.maximum(total_sq / m - mean**2, 0.0) * m / (m - 1)
        return mean, np.sqrt(var / m)

    def channel_credits(
        self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Credited conversions and value per channel."""
        if len(self.channels) == 0:
            return np.zeros(0), np.zeros(0)
        if self.exact:
            phi = self._exact(conversions, nulls, value)
            se = np.zeros_like(phi)
        else:
            phi, se = self._monte_carlo(conversions, nulls, value)
        if self.characteristic == "conversion_rate":
            totals = np.array([conversions.sum(), value.sum()])
            sums = phi.sum(axis=1)
            scale = np.divide(totals, sums, out=np.zeros(2), where=sums != 0)
            phi, se = phi * scale[:, None], se * np.abs(scale)[:, None]
        self._std_error = se
        return phi[0], phi[1]

    def touch_credits(self, model: str) -> None:
        """Coalition Shapley credits channels, not touches (see ``shapley_ordered``)."""
        return None

    def details(self) -> dict[str, pd.DataFrame]:
        """``std_error`` of the credits (zeros when computed exactly)."""
        p = self.paths
        self.channel_credits(p.conversions, p.nulls, p.value)
        se = self._std_error if self._std_error is not None else np.zeros((2, p.n_channels))
        return {
            "std_error": pd.DataFrame(
                {
                    CHANNEL: pd.Series(list(self.channels), dtype="str"),
                    "conversions_se": se[0],
                    "value_se": se[1],
                    "method": "exact" if self.exact else "monte_carlo",
                }
            )
        }


def prepare_shapley(
    paths: Paths,
    *,
    characteristic: str = "conversions",
    max_exact_channels: int = 20,
    n_permutations: int = 1000,
    seed: int = 0,
) -> ShapleyModel:
    """Prepare channel-coalition Shapley on all paths."""
    return ShapleyModel(
        paths,
        characteristic=characteristic,
        max_exact_channels=max_exact_channels,
        n_permutations=n_permutations,
        seed=seed,
    )


def ordered_shapley_shares(paths: Paths) -> np.ndarray:
    """Per-touch shares of the ordered Shapley value (sum to 1 per path).

    Each distinct channel of a path gets ``1/|S|``, split evenly over its touches.
    """
    n = max(paths.n_channels, 1)
    key = paths.path_of_touch * n + paths.codes
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    distinct = np.bincount(uniq // n, minlength=paths.n_paths)
    return 1.0 / (distinct[paths.path_of_touch] * counts[inverse.ravel()])


def prepare_shapley_ordered(paths: Paths) -> ShareModel:
    """Prepare the ordered Shapley value on the converting paths of ``paths``."""
    sub, index = converting(paths)
    shares = ordered_shapley_shares(sub)
    n_pos = int(sub.lengths.max(initial=0))
    key = sub.codes.astype(np.int64) * max(n_pos, 1) + sub.index_in_path
    size = sub.n_channels * max(n_pos, 1)
    pt = sub.path_of_touch
    conv = np.bincount(key, weights=shares * sub.conversions[pt], minlength=size)
    val = np.bincount(key, weights=shares * sub.value[pt], minlength=size)
    keep = np.flatnonzero(np.bincount(key, minlength=size) > 0)
    by_position = pd.DataFrame(
        {
            CHANNEL: pd.Series(sub.channel_names(keep // max(n_pos, 1)), dtype="str"),
            "position": keep % max(n_pos, 1) + 1,
            "conversions": conv[keep],
            "value": val[keep],
        }
    )
    return ShareModel(sub, index, shares, extra={"by_position": by_position})
