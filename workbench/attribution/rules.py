"""Rule-based attribution: first, last, last non-direct, linear, time decay, position, W-shaped.

Each rule gives every touch of a converting path a share; shares sum to 1 per path and
are multiplied by the path's conversions and value. Everything is computed for all
touches at once with numpy (segment reductions over the CSR layout, ``np.bincount``);
there is no loop per journey.

Rules
-----
first / last
    100% to the first / last touch.
last_non_direct
    100% to the last touch whose channel is not direct (``direct_channels``, default
    ``("Direct",)``); a path of direct touches only credits its last touch.
linear
    Equal shares.
time_decay
    Weight ``2 ** (-days_before_conversion / half_life_days)`` (default half-life 7 days,
    on real timestamps, see :mod:`~workbench.attribution.inputs`), normalized per path.
position
    U-shaped: ``position_weights = (first, middle, last)``, default ``(0.4, 0.2, 0.4)``;
    the middle share is spread evenly over the touches between first and last. A single
    touch gets 100%; with two touches the middle share is split between them (50/50 with
    the defaults).
w_shaped
    ``w_shaped_weights = (first, lead, opportunity, rest)``, default
    ``(0.3, 0.3, 0.3, 0.1)``: first touch, lead-creation touch and opportunity-creation
    touch (see :mod:`~workbench.attribution.inputs` for how they are found), the rest
    spread evenly over the other touches. When key touches coincide their shares add up;
    when there is no other touch the rest share is spread over the distinct key touches.
    Paths where the lead or the opportunity touch is unknown fall back to ``position``
    with ``position_weights``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workbench.attribution.base import ShareModel, converting
from workbench.attribution.inputs import Paths
from workbench.errors import ValidationError

__all__ = [
    "RULES",
    "prepare_rule",
    "rule_shares",
]

_NO_TIMESTAMPS = (
    "{model} needs journey tables with touch timestamps ('ts' with the journeys' "
    "'conversion_ts', or 'days_to_conversion') and, for w_shaped, lead/opportunity "
    "markers; these {source} paths have none (aggregated path tables carry no timestamps)"
)

RULES: tuple[str, ...] = (
    "first",
    "last",
    "last_non_direct",
    "linear",
    "time_decay",
    "position",
    "w_shaped",
)


def _check_weights(name: str, weights: Sequence[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"{name} must be {n} non-negative numbers summing to 1; got {weights!r}")
    return w


def _position_shares(paths: Paths, weights: np.ndarray) -> np.ndarray:
    f, m, last = weights
    length = paths.lengths
    middle = np.where(length > 2, m / np.maximum(length - 2, 1), 0.0)
    first_p = np.where(length == 1, 1.0, np.where(length == 2, f + m / 2, f))
    last_p = np.where(length == 1, 1.0, np.where(length == 2, last + m / 2, last))
    shares = middle[paths.path_of_touch]
    shares[paths.offsets[1:] - 1] = last_p
    shares[paths.starts] = first_p
    return shares


def _last_non_direct_index(paths: Paths, direct_channels: Sequence[str]) -> np.ndarray:
    """Per path: index in the path of the last non-direct touch (last touch if none)."""
    direct = set(direct_channels)
    is_direct = np.array([c in direct for c in paths.channels], dtype=bool)
    if not is_direct.any():
        return paths.lengths - 1
    non_direct = ~is_direct[paths.codes]
    last_nd = np.maximum.reduceat(np.where(non_direct, paths.index_in_path, -1), paths.starts)
    return np.where(last_nd >= 0, last_nd, paths.lengths - 1)


def _time_decay_shares(paths: Paths, half_life_days: float) -> np.ndarray:
    if not half_life_days > 0:
        raise ValueError(f"half_life_days must be > 0; got {half_life_days!r}")
    days = paths.days_before
    missing = np.isnan(days)
    if missing.any():
        ids = np.unique(paths.ids[paths.path_of_touch[missing]].astype(str))[:5]
        raise ValidationError(
            [
                "time_decay: touches of converting journeys without a time to conversion "
                f"(missing 'ts' or 'conversion_ts'); journeys {list(ids)}"
            ]
        )
    pt = paths.path_of_touch
    # Subtracting the per-path minimum leaves the normalized shares unchanged and keeps
    # the largest weight of every path at 1 (no underflow on long journeys).
    dmin = np.minimum.reduceat(days, paths.starts)
    raw = np.exp2((dmin[pt] - days) / half_life_days)
    total = np.add.reduceat(raw, paths.starts)
    return raw / total[pt]


def _w_shaped_shares(paths: Paths, weights: np.ndarray, position_weights: np.ndarray) -> np.ndarray:
    wf, wl, wo, wr = weights
    shares = _position_shares(paths, position_weights)
    lead, opp = paths.lead_index, paths.opportunity_index
    known = (lead >= 0) & (opp >= 0)
    if not known.any():
        return shares
    length = paths.lengths
    lead_new = lead != 0
    opp_new = (opp != 0) & (opp != lead)
    n_key = 1 + lead_new + opp_new
    n_rest = length - n_key
    rest_other = np.where(n_rest > 0, wr / np.maximum(n_rest, 1), 0.0)
    rest_key = np.where(n_rest > 0, 0.0, wr / n_key)
    touch_known = known[paths.path_of_touch]
    shares[touch_known] = rest_other[paths.path_of_touch[touch_known]]
    k = np.flatnonzero(known)
    start = paths.starts[k]
    idx = np.concatenate([start, start + lead[k], start + opp[k]])
    # Key touches: their weights plus, when there is no other touch, the rest share
    # once per distinct key touch; coinciding key touches add up.
    add = np.concatenate(
        [
            wf + rest_key[k],
            wl + np.where(lead_new[k], rest_key[k], 0.0),
            wo + np.where(opp_new[k], rest_key[k], 0.0),
        ]
    )
    shares[idx] = 0.0
    return shares + np.bincount(idx, weights=add, minlength=len(shares))


def rule_shares(
    paths: Paths,
    rule: str,
    *,
    half_life_days: float = 7.0,
    position_weights: Sequence[float] = (0.4, 0.2, 0.4),
    w_shaped_weights: Sequence[float] = (0.3, 0.3, 0.3, 0.1),
    direct_channels: Sequence[str] = ("Direct",),
) -> np.ndarray:
    """Share of every touch of ``paths`` under a rule (sums to 1 per path).

    Parameters
    ----------
    paths
        Paths (usually the converting ones).
    rule
        One of :data:`RULES`.
    half_life_days, position_weights, w_shaped_weights, direct_channels
        Rule options (see the module docstring).
    """
    model = prepare_rule(
        paths,
        rule=rule,
        half_life_days=half_life_days,
        position_weights=position_weights,
        w_shaped_weights=w_shaped_weights,
        direct_channels=direct_channels,
        all_paths=True,
    )
    return model.dense_shares()


def prepare_rule(
    paths: Paths,
    *,
    rule: str,
    half_life_days: float = 7.0,
    position_weights: Sequence[float] = (0.4, 0.2, 0.4),
    w_shaped_weights: Sequence[float] = (0.3, 0.3, 0.3, 0.1),
    direct_channels: Sequence[str] = ("Direct",),
    all_paths: bool = False,
) -> ShareModel:
    """Prepare a rule-based model on the converting paths of ``paths``.

    ``all_paths=True`` applies the rule to every path (used by :func:`rule_shares`).
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; expected one of {RULES}")
    pos_w = _check_weights("position_weights", position_weights, 3)
    w_w = _check_weights("w_shaped_weights", w_shaped_weights, 4)
    if rule == "time_decay" and paths.days_before is None:
        raise ValidationError([_NO_TIMESTAMPS.format(model=rule, source=paths.source)])
    if rule == "w_shaped" and (paths.lead_index is None or paths.opportunity_index is None):
        raise ValidationError([_NO_TIMESTAMPS.format(model=rule, source=paths.source)])
    sub, index = (paths, np.arange(paths.n_paths)) if all_paths else converting(paths)
    if rule in ("first", "last", "last_non_direct"):
        if rule == "first":
            at = np.zeros(sub.n_paths, dtype=np.int64)
        elif rule == "last":
            at = sub.lengths - 1
        else:
            at = _last_non_direct_index(sub, direct_channels) if sub.n_paths else sub.lengths
        touch = sub.starts + at
        return ShareModel(sub, index, np.ones(len(touch)), touch, np.arange(sub.n_paths))
    if sub.n_paths == 0:
        shares = np.zeros(0)
    elif rule == "linear":
        shares = (1.0 / sub.lengths)[sub.path_of_touch]
    elif rule == "time_decay":
        shares = _time_decay_shares(sub, half_life_days)
    elif rule == "position":
        shares = _position_shares(sub, pos_w)
    else:
        shares = _w_shaped_shares(sub, w_w, pos_w)
    return ShareModel(sub, index, shares)
