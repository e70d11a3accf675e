"""Risk-set rows for the incrementality model: non-converting journeys cut like converting ones.

A converting journey ends at its conversion; a non-converting journey runs on to its
last touch, so it holds more touches and more time than the converting journeys it is
compared with, and a conversion-probability model fitted on whole journeys reads that
as channels lowering conversion (the incrementality model's ``span`` control is there
for it, at the price of holding fixed something marketing changes). The *risk-set*
design compares like with like instead, as a nested case-control study samples its
controls from the people still at risk at each case's event time: every non-converting
journey enters the fit ``cuts`` times, cut ``t_q`` days after its first touch (its
touches up to then), for the quantiles ``q = (j + 0.5) / cuts`` of the converting
journeys' time from first touch to conversion, each copy with weight ``1 / cuts``, as
long as the journey was observed until the cut (its
:attr:`~workbench.attribution.inputs.Paths.exposure_days`, when known, reach it). The
converting journeys enter once, as they are (a touch without a time counts as at the
first touch). So converting and non-converting rows have the same distribution of time
since the first touch, and no control is needed for it.

:func:`risk_set_rows` builds the rows;
:class:`~workbench.attribution.incrementality.IncrementalityModel` (``risk_set_cuts``)
fits on them and credits the converting journeys as they are.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from workbench.attribution.inputs import Paths

__all__ = ["RiskSetRows", "risk_set_rows"]


@dataclasses.dataclass(frozen=True, eq=False)
class RiskSetRows:
    """The rows to fit: ``paths`` (the input's paths first, then the cut copies).

    Attributes
    ----------
    paths
        The input paths (rows ``0 .. n - 1``, unchanged) followed by the cut copies of
        the paths with non-converting weight.
    fit
        Row indices of ``paths`` that enter the fit: the converting input paths and
        every copy.
    y, weight
        Per fitted row: the converting share (1 for an input path, 0 for a copy) and
        its weight (the path's conversions, or its nulls divided by the number of cuts).
    source
        Per fitted row: the input path it comes from (cross-validation folds follow it,
        so a journey's copies are in one fold).
    cut_days
        The cut times, days after the first touch.
    """

    paths: Paths
    fit: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    source: np.ndarray
    cut_days: np.ndarray


def risk_set_rows(paths: Paths, cuts: int) -> RiskSetRows:
    """The risk-set rows of ``paths`` with ``cuts`` cut times (see the module docstring).

    Raises
    ------
    ValueError
        When ``cuts < 1``, the paths have no timestamps or nothing converted.
    """
    if cuts < 1:
        raise ValueError(f"risk_set_cuts must be >= 1; got {cuts}")
    if paths.days_before is None:
        raise ValueError("risk_set_cuts needs journeys with timestamps")
    n = paths.n_paths
    d = np.nan_to_num(paths.days_before)
    since = np.repeat(d[paths.starts], paths.lengths) - d  # days after the first touch
    converting = paths.conversions > 0
    if not converting.any():
        raise ValueError("risk_set_cuts needs converting journeys (their times set the cuts)")
    cut_days = np.quantile(d[paths.starts][converting], (np.arange(cuts) + 0.5) / cuts)
    nulls = np.flatnonzero(paths.nulls > 0)
    null_touch = np.repeat(paths.nulls > 0, paths.lengths)
    parts = [paths]
    for q in cut_days:
        parts.append(_cut(paths, null_touch & (since <= q + 1e-9), nulls))
    big = _concat(parts)
    conv_rows = np.flatnonzero(converting)
    source = np.tile(nulls, cuts)
    # a copy is at risk only if the journey was observed until its cut
    exposure = paths.exposure_days
    seen = np.ones(len(source), dtype=bool)
    if exposure is not None:
        seen = ~(np.nan_to_num(exposure, nan=np.inf)[source] < np.repeat(cut_days, len(nulls)))
    copy_rows = (n + np.arange(cuts * len(nulls)))[seen]
    return RiskSetRows(
        paths=big,
        fit=np.concatenate([conv_rows, copy_rows]),
        y=np.concatenate([np.ones(len(conv_rows)), np.zeros(len(copy_rows))]),
        weight=np.concatenate([paths.conversions[conv_rows], paths.nulls[source[seen]] / cuts]),
        source=np.concatenate([conv_rows, source[seen]]),
        cut_days=cut_days,
    )


def _cut(paths: Paths, keep: np.ndarray, rows: np.ndarray) -> Paths:
    """The paths ``rows`` with only their touches where ``keep``, as non-converting copies."""
    return dataclasses.replace(
        paths.take(rows, keep),
        conversions=np.zeros(len(rows)),
        value=np.zeros(len(rows)),
        lead_index=None,
        opportunity_index=None,
    )


def _concat(parts: list[Paths]) -> Paths:
    """Paths stacked in order (same channels and strata names)."""
    lengths = np.concatenate([p.lengths for p in parts])
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    def cat_optional(name: str) -> np.ndarray | None:
        values = [getattr(p, name) for p in parts]
        return None if any(v is None for v in values) else np.concatenate(values)

    return dataclasses.replace(
        parts[0],
        codes=cat("codes"),
        offsets=offsets,
        conversions=cat("conversions"),
        nulls=cat("nulls"),
        value=cat("value"),
        ids=cat("ids"),
        positions=cat("positions"),
        days_before=cat_optional("days_before"),
        lead_index=None,
        opportunity_index=None,
        strata=cat_optional("strata"),
        exposure_days=cat_optional("exposure_days"),
        covariates=cat_optional("covariates"),
    )
