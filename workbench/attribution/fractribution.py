"""Google fractribution's path-level "simplified Shapley" (also Snowplow's default model).

Algorithm (google/fractribution, ``Fractribution.run_shapley_attribution``)
    1. Trim every path to its last ``lookback_steps`` touches (0 = keep all) and apply
       the path transform.
    2. Group identical transformed paths; a path's conversion probability is
       ``conversions / (conversions + non-conversions)`` over the journeys with exactly
       that transformed path (0 for a path never observed).
    3. For each converting path and each of its touch positions ``i``, the counterfactual
       is the path with that one touch removed; the marginal contribution is
       ``max(P(path) - P(counterfactual), 0)``. A one-touch path gets ``P(path)``.
    4. Contributions are normalized to sum to 1 per path; when all are 0 the last touch
       of the transformed path gets 1. Shares of repeated channels add up, and the
       path's conversions and value are split by the shares.

Path transforms (fractribution's definitions)
    ``unique``
        Identity: ``D > A > B > B > C > D > C > C`` stays as is.
    ``exposure`` (default, as fractribution)
        Collapse consecutive repeats: ``D > A > B > C > D > C``.
    ``first``
        Keep the first occurrence of each channel: ``D > A > B > C``.
    ``frequency``
        First occurrences labelled with the channel's count: ``D(2) > A(1) > B(2) > C(3)``;
        the labels are distinct path elements, credit goes back to the channel.

Per-touch credits (journey input)
    The share of a transformed element is split evenly over the original touches it
    stands for (a run for ``exposure``, all occurrences for ``first``/``frequency``);
    touches trimmed by ``lookback_steps`` get 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.attribution.inputs import DEFAULT_SEP, POSITION, Paths
from workbench.attribution.sequences import group_sequences, join_paths, sequence_keys
from workbench.schema import CHANNEL, JOURNEY_ID

__all__ = [
    "TRANSFORMS",
    "FractributionModel",
    "prepare_fractribution",
    "transform_paths",
]

TRANSFORMS: tuple[str, ...] = ("unique", "exposure", "first", "frequency")
_CF_CELLS = 4_000_000


def transform_paths(paths: Paths, transform: str = "exposure", lookback_steps: int = 0) -> dict:
    """Apply fractribution's lookback trim and path transform to every path at once.

    Returns
    -------
    dict
        ``tokens`` / ``offsets`` (transformed paths, CSR), ``token_channel`` and
        ``token_label`` (per token id), and per original touch ``element`` (global index
        into ``tokens``, -1 when trimmed).
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}; got {transform!r}")
    if lookback_steps < 0:
        raise ValueError(f"lookback_steps must be >= 0; got {lookback_steps}")
    n = max(paths.n_channels, 1)
    pt, pos, length = paths.path_of_touch, paths.index_in_path, paths.lengths
    kept = np.ones(len(paths.codes), dtype=bool)
    if lookback_steps > 0:
        kept = pos >= length[pt] - lookback_steps
    kt = np.flatnonzero(kept)
    codes, kpath = paths.codes[kt], pt[kt]
    first_kept = np.r_[True, kpath[1:] != kpath[:-1]] if len(kt) else np.zeros(0, bool)
    token = codes.astype(np.int64)
    names = np.asarray(paths.channels, dtype=object)
    token_channel = np.arange(paths.n_channels)
    token_label = names
    if transform == "unique":
        is_elem = np.ones(len(kt), dtype=bool)
    elif transform == "exposure":
        is_elem = first_kept | np.r_[True, codes[1:] != codes[:-1]]
    else:
        key = kpath * n + codes
        _, first_idx, inverse, counts = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        inverse = inverse.ravel()
        is_elem = np.zeros(len(kt), dtype=bool)
        is_elem[first_idx] = True
        if transform == "frequency":
            pair = token * (int(counts.max(initial=0)) + 1) + counts[inverse]
            upair, token = np.unique(pair, return_inverse=True)
            token = token.ravel()
            width = int(counts.max(initial=0)) + 1
            token_channel = upair // width
            token_label = np.array(
                [f"{names[c]}({k})" for c, k in zip(token_channel, upair % width, strict=True)],
                dtype=object,
            )
    element_kept = np.cumsum(is_elem) - 1
    if transform in ("first", "frequency"):
        element_kept = element_kept[first_idx[inverse]]
    element = np.full(len(paths.codes), -1, dtype=np.int64)
    element[kt] = element_kept
    offsets = np.zeros(paths.n_paths + 1, dtype=np.int64)
    np.cumsum(np.bincount(kpath[is_elem], minlength=paths.n_paths), out=offsets[1:])
    return {
        "tokens": token[is_elem],
        "offsets": offsets,
        "token_channel": np.asarray(token_channel, dtype=np.int64),
        "token_label": np.asarray(token_label, dtype=object),
        "element": element,
    }


class FractributionModel:
    """Fractribution prepared on ``paths`` (see the module docstring)."""

    def __init__(self, paths: Paths, transform: str = "exposure", lookback_steps: int = 0) -> None:
        self.paths = paths
        self.channels = paths.channels
        self.transform = transform
        t = transform_paths(paths, transform, lookback_steps)
        self._t = t
        n_tokens = len(t["token_label"])
        self.upath, rep = group_sequences(t["tokens"], t["offsets"], n_tokens)
        n_u = len(rep)
        self.u_len = np.diff(t["offsets"])[rep]
        self.u_off = np.zeros(n_u + 1, dtype=np.int64)
        np.cumsum(self.u_len, out=self.u_off[1:])
        self.elem_u = np.repeat(np.arange(n_u), self.u_len)
        self.elem_pos = np.arange(self.u_off[-1]) - self.u_off[:-1][self.elem_u]
        self.u_tokens = t["tokens"][t["offsets"][rep][self.elem_u] + self.elem_pos]
        self.elem_channel = t["token_channel"][self.u_tokens]
        converting = np.bincount(self.upath, weights=paths.conversions, minlength=n_u) > 0
        self.cf = self._counterfactuals(converting, n_tokens + 1)

    def _counterfactuals(self, converting: np.ndarray, base: int) -> np.ndarray:
        """For every element of every converting path: the path without it, or -1."""
        cf = np.full(len(self.u_tokens), -1, dtype=np.int64)
        tables = {}
        for width in np.unique(self.u_len):
            ids = np.flatnonzero(self.u_len == width)
            mat = self.u_tokens[self.u_off[ids][:, None] + np.arange(width)]
            keys = sequence_keys(mat, base)
            order = np.argsort(keys, kind="stable")
            tables[int(width)] = (keys[order], ids[order])
        for width in np.unique(self.u_len[converting]):
            width = int(width)
            if width < 2 or width - 1 not in tables:
                continue
            keys_sorted, ids_sorted = tables[width - 1]
            ids = np.flatnonzero((self.u_len == width) & converting)
            drop = np.array([[j for j in range(width) if j != i] for i in range(width)])
            step = max(1, _CF_CELLS // (width * width))
            for lo in range(0, len(ids), step):
                chunk = ids[lo : lo + step]
                mat = self.u_tokens[self.u_off[chunk][:, None] + np.arange(width)]
                cf_rows = mat[:, drop].reshape(len(chunk) * width, width - 1)
                q = sequence_keys(cf_rows, base)
                at = np.minimum(np.searchsorted(keys_sorted, q), len(keys_sorted) - 1)
                found = np.where(keys_sorted[at] == q, ids_sorted[at], -1)
                where = (self.u_off[chunk][:, None] + np.arange(width)).ravel()
                cf[where] = found
        return cf

    def element_shares(self, conversions: np.ndarray, nulls: np.ndarray) -> tuple:
        """Shares per element of the distinct transformed paths, and per-path totals."""
        n_u = len(self.u_len)
        cu = np.bincount(self.upath, weights=conversions, minlength=n_u)
        nu = np.bincount(self.upath, weights=nulls, minlength=n_u)
        prob = np.divide(cu, cu + nu, out=np.zeros(n_u), where=(cu + nu) > 0)
        pe = prob[self.elem_u]
        p_cf = np.where(self.cf >= 0, prob[np.maximum(self.cf, 0)], 0.0)
        mc = np.where(self.u_len[self.elem_u] == 1, pe, np.maximum(pe - p_cf, 0.0))
        total = np.add.reduceat(mc, self.u_off[:-1]) if n_u else np.zeros(0)
        is_last = self.elem_pos == self.u_len[self.elem_u] - 1
        tot_e = total[self.elem_u]
        share = np.where(tot_e > 0, mc / np.where(tot_e > 0, tot_e, 1.0), is_last * 1.0)
        return share, cu, nu, prob

    def channel_credits(
        self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Credited conversions and value per channel."""
        share, cu, _, _ = self.element_shares(conversions, nulls)
        vu = np.bincount(self.upath, weights=value, minlength=len(self.u_len))
        n = len(self.channels)
        c = np.bincount(self.elem_channel, weights=share * cu[self.elem_u], minlength=n)
        v = np.bincount(self.elem_channel, weights=share * vu[self.elem_u], minlength=n)
        return c, v

    def touch_credits(self, model: str) -> pd.DataFrame:
        """Per-touch credits for the paths' own weights (converting paths only)."""
        p = self.paths
        share, _, _, _ = self.element_shares(p.conversions, p.nulls)
        element = self._t["element"]
        offsets = self._t["offsets"]
        pt = p.path_of_touch
        ok = element >= 0
        mult = np.bincount(element[ok], minlength=int(offsets[-1]))
        local = element - offsets[:-1][pt]
        u_elem = self.u_off[:-1][self.upath[pt]] + local
        touch_share = np.where(ok, share[np.where(ok, u_elem, 0)] / mult[np.maximum(element, 0)], 0)
        touch_share = np.where(ok, touch_share, 0.0)
        sel = p.conversions[pt] > 0
        idx = np.flatnonzero(sel)
        n = len(idx)
        return pd.DataFrame(
            {
                JOURNEY_ID: p.ids[pt[idx]],
                POSITION: p.positions[idx],
                CHANNEL: pd.Series(p.channel_names(p.codes[idx]), dtype="str"),
                "model": pd.Series([model] * n, dtype="str"),
                "credit": touch_share[idx] * p.conversions[pt[idx]],
                "value_credit": touch_share[idx] * p.value[pt[idx]],
            }
        )

    def details(self) -> dict[str, pd.DataFrame]:
        """``paths``: distinct transformed paths with totals and conversion probability."""
        p = self.paths
        _, cu, nu, prob = self.element_shares(p.conversions, p.nulls)
        vu = np.bincount(self.upath, weights=p.value, minlength=len(self.u_len))
        labels = self._t["token_label"][self.u_tokens]
        return {
            "paths": pd.DataFrame(
                {
                    "path": pd.Series(join_paths(labels, self.u_off, DEFAULT_SEP), dtype="str"),
                    "total_conversions": cu,
                    "total_conversion_value": vu,
                    "total_null": nu,
                    "conversion_probability": prob,
                }
            )
        }


def prepare_fractribution(
    paths: Paths, *, transform: str = "exposure", lookback_steps: int = 0
) -> FractributionModel:
    """Prepare fractribution on all paths (non-converting ones give the probabilities)."""
    return FractributionModel(paths, transform=transform, lookback_steps=lookback_steps)
