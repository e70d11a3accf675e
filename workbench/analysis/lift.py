"""Touchpoint lift: conversion rate of journeys with vs without a touchpoint.

"Those who attend the webinar convert at 10x" -- this module computes that
figure with its uncertainty: for each touchpoint definition (a channel, a
touch type, a page pattern such as ``/compare/`` or any combination) the
journeys are split into those that contain at least one matching touch and
those that do not, and the two conversion rates are compared.

**This is association, not causation.** People who attend a webinar were
often already closer to buying; longer journeys contain more touchpoints of
every kind; and in converting journeys every touch comes before the
conversion by construction. A lift says where to look, not what a touch
causes -- use holdout tests or the attribution models for that.

Statistics: each rate has a Wilson score interval; the rate ratio (lift) has
the Katz log interval ``exp(log(RR) +/- z * sqrt(1/a - 1/n1 + 1/c - 1/n2))``
with ``z`` the normal quantile (:func:`scipy.special.ndtri`, the function behind
``scipy.stats.norm.ppf``). When a conversion count is 0 the interval uses the
Haldane-Anscombe correction (0.5 added to each cell of the 2x2 table); the point
estimate stays uncorrected (0 or infinite).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from workbench.journeys.build import touch_journey_index
from workbench.schema import CHANNEL, TOUCH_TYPE

__all__ = [
    "LIFT_COLUMNS",
    "katz_interval",
    "touchpoint_lift",
    "wilson_interval",
]

#: Columns of :func:`touchpoint_lift`.
LIFT_COLUMNS: tuple[str, ...] = (
    "rank",
    "touchpoint",
    "kind",
    "journeys_with",
    "conversions_with",
    "rate_with",
    "rate_with_low",
    "rate_with_high",
    "journeys_without",
    "conversions_without",
    "rate_without",
    "rate_without_low",
    "rate_without_high",
    "lift",
    "lift_low",
    "lift_high",
    "rate_difference",
    "significant",
)
_KEYS = {"channel": CHANNEL, "touch_type": TOUCH_TYPE, "label": "label", "page": "page"}


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence = {confidence!r}; expected a number between 0 and 1")
    # the normal quantile, as scipy.stats.norm.ppf computes it (importing scipy.stats costs
    # more than a report's lift tables)
    return float(ndtri(0.5 + confidence / 2))


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``successes / trials`` (NaN where ``trials`` is 0)."""
    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z * z / n
        center = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    bad = n <= 0
    return np.where(bad, np.nan, center - half), np.where(bad, np.nan, center + half)


def katz_interval(
    a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Katz log interval of the risk ratio ``(a/n1) / (c/n2)``.

    Zero counts get the Haldane-Anscombe correction (see the module docstring);
    empty groups give NaN.
    """
    a, n1, c, n2 = (np.asarray(v, dtype=float) for v in (a, n1, c, n2))
    z = _z(confidence)
    fix = (a == 0) | (c == 0)
    a2, c2 = np.where(fix, a + 0.5, a), np.where(fix, c + 0.5, c)
    m1, m2 = np.where(fix, n1 + 1, n1), np.where(fix, n2 + 1, n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_rr = np.log((a2 / m1) / (c2 / m2))
        se = np.sqrt(1 / a2 - 1 / m1 + 1 / c2 - 1 / m2)
    bad = (n1 <= 0) | (n2 <= 0)
    return (
        np.where(bad, np.nan, np.exp(log_rr - z * se)),
        np.where(bad, np.nan, np.exp(log_rr + z * se)),
    )


def _definitions(
    touches: pd.DataFrame,
    touchpoints: Mapping[str, Mapping[str, Any]] | None,
    pages: Sequence[str],
    by: Sequence[str],
) -> dict[str, tuple[str, dict[str, Any]]]:
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    if touchpoints is not None:
        for name, spec in touchpoints.items():
            unknown = set(spec) - set(_KEYS)
            if unknown:
                raise ValueError(
                    f"touchpoint {name!r}: unknown keys {sorted(unknown)}; "
                    f"allowed: {', '.join(_KEYS)}"
                )
            out[str(name)] = ("custom", dict(spec))
        return out
    for kind in by:
        for v in sorted(touches[_KEYS[kind]].dropna().astype(str).unique()):
            out[f"{kind.replace('_', ' ')}: {v}"] = (kind, {kind: v})
    for p in pages:
        out[f"page: {p}"] = ("page", {"page": p})
    return out


def _touch_match(touches: pd.DataFrame, spec: Mapping[str, Any]) -> np.ndarray:
    mask = np.ones(len(touches), dtype=bool)
    for key, want in spec.items():
        col = touches[_KEYS[key]]
        if key == "page":
            hit = col.astype("string").str.contains(str(want), regex=True).fillna(False)
        else:
            hit = col.isin([want] if isinstance(want, str) else list(want))
        mask &= hit.to_numpy(dtype=bool)
    return mask


def touchpoint_lift(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    touchpoints: Mapping[str, Mapping[str, Any]] | None = None,
    by: Sequence[str] = ("channel", "touch_type"),
    pages: Sequence[str] = (),
    confidence: float = 0.95,
    min_journeys: int = 1,
    exclude_zero_touch: bool = True,
) -> pd.DataFrame:
    """Conversion rate with vs without each touchpoint, with lift and intervals, ranked.

    Parameters
    ----------
    journeys, touches
        Tables of a :class:`~workbench.journeys.build.JourneySet` (one conversion
        type, with non-converting journeys, for a meaningful rate).
    touchpoints
        ``{name: criteria}`` with criteria keys ``channel``, ``touch_type``,
        ``label`` (a value or list of values) and ``page`` (a regex), all of
        which a touch must meet, e.g. ``{"webinar": {"touch_type":
        "webinar_attendance"}, "compare pages": {"page": "^/compare/"}}``.
        Default: one definition per value of each column in ``by`` plus one per
        regex in ``pages``.
    confidence
        Level of the intervals.
    min_journeys
        Leave out touchpoints found in fewer journeys.
    exclude_zero_touch
        Leave out journeys without any touch (conversions nothing was tracked
        for): they did not "go without" the touchpoint, they are unobserved,
        and would otherwise inflate every "without" rate.

    Returns
    -------
    pandas.DataFrame
        :data:`LIFT_COLUMNS`, ranked by ``lift`` (highest first, missing last);
        ``significant`` is true when the lift interval excludes 1.
    """
    defs = _definitions(touches, touchpoints, pages, by)
    j = touch_journey_index(touches, journeys)
    ok = j >= 0
    conv = journeys["converted"].to_numpy(dtype=bool)
    base = journeys["n_touches"].to_numpy() > 0 if exclude_zero_touch else np.ones(len(conv), bool)
    n_all, c_all = int(base.sum()), int((conv & base).sum())
    rows = []
    for name, (kind, spec) in defs.items():
        has = np.zeros(len(conv), dtype=bool)
        has[j[_touch_match(touches, spec) & ok]] = True
        has &= base
        n1 = int(has.sum())
        if n1 < max(min_journeys, 1):
            continue
        a = int((has & conv).sum())
        rows.append((name, kind, n1, a, n_all - n1, c_all - a))
    cols = ["touchpoint", "kind", "journeys_with", "conversions_with"]
    f = pd.DataFrame(rows, columns=[*cols, "journeys_without", "conversions_without"])
    a, n1 = f["conversions_with"].to_numpy(float), f["journeys_with"].to_numpy(float)
    c, n2 = f["conversions_without"].to_numpy(float), f["journeys_without"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r1 = np.where(n1 > 0, a / n1, np.nan)
        r2 = np.where(n2 > 0, c / n2, np.nan)
        lift = r1 / r2
    f["rate_with"], f["rate_without"] = r1, r2
    f["rate_with_low"], f["rate_with_high"] = wilson_interval(a, n1, confidence)
    f["rate_without_low"], f["rate_without_high"] = wilson_interval(c, n2, confidence)
    f["lift"] = lift
    f["lift_low"], f["lift_high"] = katz_interval(a, n1, c, n2, confidence)
    f["rate_difference"] = r1 - r2
    f["significant"] = (f["lift_low"] > 1) | (f["lift_high"] < 1)
    f = f.sort_values(["lift", "journeys_with", "touchpoint"], ascending=[False, False, True])
    f["rank"] = np.arange(1, len(f) + 1)
    f = f.astype({"touchpoint": "string", "kind": "string", "significant": bool})
    return f[list(LIFT_COLUMNS)].reset_index(drop=True)
