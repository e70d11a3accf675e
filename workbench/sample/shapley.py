"""Shapley shares of each converted unit's conversion (a second truth definition).

The removal truth (``conversions_lost``) counts, per channel, the conversions that
would not happen without it. With interacting channels those counts overlap (a
conversion that needs two channels is lost to both) or miss conversions entirely (one
that either of two channels would have secured is lost to neither), so their shares
are one normalization among several. The Shapley value splits each converted unit's
outcome exactly: with the unit's uniform ``u`` (common random numbers),
``v(S) = 1[u < sigmoid(base + sum of the contributions of the channels in S)]``, and
channel ``c`` gets the average over orderings of ``v(S + c) - v(S)``. Per unit the
values sum to ``v(all channels) - v(no channel)``: 1 for a conversion that marketing
caused, 0 for one that would have happened anyway (the baseline), so the total is the
incremental conversions. Channels without a touch are dummies (value 0).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["shapley_values"]

_BATCH = 256


def shapley_values(
    base: np.ndarray, contrib: np.ndarray, u: np.ndarray, converted: np.ndarray
) -> np.ndarray:
    """Per unit and channel, the Shapley value of the unit's conversion.

    Parameters
    ----------
    base
        Logit without any channel, per unit.
    contrib
        ``(units x channels)`` logit contribution of each channel's touches.
    u
        The unit's uniform draw: it converts iff ``u < sigmoid(logit)``.
    converted
        Whether the unit converted with every channel (only those can have values).

    Returns
    -------
    numpy.ndarray
        ``(units x channels)``; rows of non-converted units are 0.
    """
    n, c = contrib.shape
    out = np.zeros((n, c))
    masks = np.arange(1 << c)
    bits = ((masks[:, None] >> np.arange(c)) & 1).astype(float)
    size = bits.sum(axis=1).astype(np.int64)
    weight = np.array(
        [math.factorial(k) * math.factorial(c - k - 1) / math.factorial(c) for k in range(c)]
    )
    without = [masks[(masks >> k) & 1 == 0] for k in range(c)]
    rows = np.flatnonzero(converted)
    threshold = np.log(u) - np.log1p(-u)  # u < sigmoid(x)  <=>  x > logit(u)
    for i in range(0, len(rows), _BATCH):
        r = rows[i : i + _BATCH]
        v = (base[r, None] + contrib[r] @ bits.T > threshold[r, None]).astype(float)
        for k in range(c):
            idx = without[k]
            out[r, k] = (v[:, idx | (1 << k)] - v[:, idx]) @ weight[size[idx]]
    return out
