"""Segments: compare journeys of different kinds of customers side by side.

One generic journey map for everyone hides what matters: an enterprise deal
and a self-serve signup travel different roads. A segment is a named filter
over the journey table -- any column, including the attribute columns carried
from the conversions (customer type, product line, region, industry ...),
``first_channel`` or a deal-size band made with :func:`deal_size_band`.

Segments can be given as

* the ``[segments]`` of the config (``{name: SegmentConfig}``, or a list of
  :class:`~workbench.config.SegmentConfig`); the ``segment`` column of the
  outputs shows the segment's ``label`` (its name when the label is empty);
* ``{name: "pandas query"}`` for ad-hoc filters, e.g.
  ``{"EMEA SMB": "region == 'EMEA' and customer_type == 'smb'"}``;
* ``{name: boolean mask}`` or ``{name: callable(journeys) -> mask}``.

A journey can be in several segments; journeys matching none are simply not
in any. ``include_all=True`` adds the whole table as ``"All journeys"`` so every
segment can be read against the overall figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from workbench.analysis.paths import top_paths
from workbench.config import SegmentConfig
from workbench.errors import ValidationError
from workbench.journeys.build import touch_journey_index
from workbench.schema import CHANNEL

__all__ = [
    "ALL_JOURNEYS",
    "DEFAULT_DEAL_BANDS",
    "SEGMENT_METRICS",
    "SegmentSpec",
    "compare_segments",
    "deal_size_band",
    "filter_journeys",
    "segment_channel_mix",
    "segment_mask",
    "segment_masks",
    "segment_top_paths",
]

#: Name of the pseudo-segment holding every journey.
ALL_JOURNEYS = "All journeys"
#: Lower edges of the default deal-size bands (currency units).
DEFAULT_DEAL_BANDS: tuple[float, ...] = (0, 5_000, 25_000, 100_000)
#: Metrics of :func:`compare_segments`, in output order.
SEGMENT_METRICS: tuple[str, ...] = (
    "journeys",
    "conversions",
    "conversion_rate",
    "value",
    "value_per_journey",
    "value_per_conversion",
    "median_path_length",
    "mean_path_length",
    "median_path_length_converted",
    "median_duration_days",
    "zero_touch_conversions",
    "touches",
    "mean_channels",
)

SegmentSpec: TypeAlias = (
    SegmentConfig | str | pd.Series | np.ndarray | Callable[[pd.DataFrame], Any]
)
Segments: TypeAlias = Mapping[str, SegmentSpec] | Iterable[SegmentConfig] | None


def _items(segments: Segments) -> list[tuple[str, SegmentSpec]]:
    if segments is None:
        return []
    if isinstance(segments, Mapping):
        pairs = list(segments.items())
    else:
        pairs = [(s.name, s) for s in segments]
    out: list[tuple[str, SegmentSpec]] = []
    for name, spec in pairs:
        if isinstance(spec, SegmentConfig):
            out.append((spec.label or spec.name, spec))
        else:
            out.append((str(name), spec))
    return out


def segment_mask(journeys: pd.DataFrame, spec: SegmentSpec) -> np.ndarray:
    """Which journeys a segment holds: the one segment filter of the package.

    ``spec`` is a :class:`~workbench.config.SegmentConfig`, a pandas query text, a
    boolean Series/array or a callable of the journeys; missing results count as
    not in the segment.

    Raises
    ------
    Exception
        Whatever evaluating the filter raises (unknown column, syntax error), or
        TypeError when it does not give one value per journey.
    """
    if isinstance(spec, SegmentConfig):
        spec = spec.filter
    if isinstance(spec, str):
        result = journeys.eval(spec)
    elif callable(spec):
        result = spec(journeys)
    else:
        result = spec
    if isinstance(result, pd.Series):
        if not result.index.equals(journeys.index):
            result = result.reindex(journeys.index)
        result = result.astype("boolean").fillna(False)
    arr = np.asarray(result, dtype=bool)
    if arr.shape != (len(journeys),):
        raise TypeError(f"gives {arr.shape} values for {len(journeys)} journeys")
    return arr


def segment_masks(
    journeys: pd.DataFrame, segments: Segments, *, include_all: bool = True
) -> dict[str, np.ndarray]:
    """``{segment: boolean mask over journeys}``; every bad segment is reported at once.

    Raises
    ------
    ValidationError
        Listing each segment whose filter fails (unknown column, syntax error,
        not a true/false result), with the columns that can be used.
    """
    out: dict[str, np.ndarray] = {}
    if include_all:
        out[ALL_JOURNEYS] = np.ones(len(journeys), dtype=bool)
    problems = []
    for name, spec in _items(segments):
        try:
            out[name] = segment_mask(journeys, spec)
        except Exception as exc:  # noqa: BLE001 - reported with the segment's name
            text = spec.filter if isinstance(spec, SegmentConfig) else spec
            problems.append(
                f"segment {name!r}: filter {text!r} cannot be applied ({exc}); "
                f"usable columns: {', '.join(map(str, journeys.columns))}"
            )
    if problems:
        raise ValidationError(problems, context="segments")
    return out


def filter_journeys(journeys: pd.DataFrame, spec: SegmentSpec) -> pd.DataFrame:
    """The journeys matching one ad-hoc filter (query string, mask, callable, SegmentConfig)."""
    mask = segment_masks(journeys, {"filter": spec}, include_all=False)["filter"]
    return journeys.loc[mask]


def deal_size_band(
    values: pd.Series,
    bands: tuple[float, ...] = DEFAULT_DEAL_BANDS,
    labels: list[str] | None = None,
    *,
    prefix: str = "$",
) -> pd.Series:
    """Ordered categorical deal-size band of each value: ``[bands[i], bands[i+1])``.

    Default labels read ``"$0-$5k"``, ``"$5k-$25k"``, ``"$25k-$100k"``,
    ``"$100k+"``; values below the first edge or missing are missing. Use it to
    add a segment attribute: ``journeys["deal_size"] = deal_size_band(journeys["value"])``.
    """
    edges = [float(b) for b in bands]
    problems = []
    if len(edges) < 1 or any(b >= a for a, b in zip(edges[1:], edges[:-1], strict=False)):
        problems.append(f"bands = {bands!r}; expected increasing lower edges, e.g. (0, 5000)")
    if labels is not None and len(labels) != len(edges):
        problems.append(f"labels has {len(labels)} names for {len(edges)} bands")
    if problems:
        raise ValidationError(problems, context="deal_size_band")
    if labels is None:
        names = [_money(e, prefix) for e in edges]
        labels = [f"{a}-{b}" for a, b in zip(names[:-1], names[1:], strict=True)]
        labels.append(f"{names[-1]}+")
    cut = pd.cut(
        pd.to_numeric(values, errors="coerce"),
        bins=[*edges, np.inf],
        right=False,
        labels=labels,
        ordered=True,
    )
    return pd.Series(cut, index=values.index, name="deal_size_band")


def _money(x: float, prefix: str) -> str:
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{prefix}{x / div:g}{unit}"
    return f"{prefix}{x:g}"


def _metrics(j: pd.DataFrame, n_touch_rows: int | None) -> dict[str, float]:
    conv = j["converted"].to_numpy(dtype=bool)
    n, c = len(j), int(conv.sum())
    value = float(j["value"].sum())
    length = j["n_touches"].to_numpy(dtype=float)
    dur = j.loc[conv & (length > 0), "duration_days"]
    nan = float("nan")
    return {
        "journeys": n,
        "conversions": c,
        "conversion_rate": c / n if n else nan,
        "value": value,
        "value_per_journey": value / n if n else nan,
        "value_per_conversion": value / c if c else nan,
        "median_path_length": float(np.median(length)) if n else nan,
        "mean_path_length": float(length.mean()) if n else nan,
        "median_path_length_converted": float(np.median(length[conv])) if c else nan,
        "median_duration_days": float(dur.median()) if len(dur) else nan,
        "zero_touch_conversions": int((conv & (length == 0)).sum()),
        "touches": float(length.sum()) if n_touch_rows is None else n_touch_rows,
        "mean_channels": float(j["n_channels"].mean()) if n else nan,
    }


def compare_segments(
    journeys: pd.DataFrame,
    touches: pd.DataFrame | None = None,
    segments: Segments = None,
    *,
    include_all: bool = True,
) -> pd.DataFrame:
    """Headline metrics per segment, long format.

    ``conversion_rate`` is converted journeys / journeys (build the journeys
    with one conversion type for a clean rate); durations count converted
    journeys with at least one touch; ``touches`` counts the rows of
    ``touches`` in the segment's journeys (``sum(n_touches)`` without it).

    Returns
    -------
    pandas.DataFrame
        ``segment, metric, value`` with the metrics of :data:`SEGMENT_METRICS`.
    """
    masks = segment_masks(journeys, segments, include_all=include_all)
    counts = None
    if touches is not None:
        j = touch_journey_index(touches, journeys)
        counts = np.bincount(j[j >= 0], minlength=len(journeys))
    rows = []
    for name, mask in masks.items():
        m = _metrics(journeys.loc[mask], None if counts is None else int(counts[mask].sum()))
        rows += [(name, k, float(m[k])) for k in SEGMENT_METRICS]
    out = pd.DataFrame(rows, columns=["segment", "metric", "value"])
    return out.astype({"segment": "string", "metric": "string", "value": "float64"})


def segment_channel_mix(
    journeys: pd.DataFrame,
    touches: pd.DataFrame,
    segments: Segments = None,
    *,
    include_all: bool = True,
    channel_col: str = CHANNEL,
) -> pd.DataFrame:
    """Channel mix per segment: touches, journeys touched and their conversion rate.

    Returns
    -------
    pandas.DataFrame
        ``segment, channel, touches, touch_share, journeys, journey_share,
        conversions, conversion_rate`` -- ``touch_share`` sums to 1 per segment;
        ``journey_share`` is the share of the segment's journeys with the channel.
    """
    masks = segment_masks(journeys, segments, include_all=include_all)
    j = touch_journey_index(touches, journeys)
    ok = j >= 0
    codes, names = pd.factorize(touches[channel_col].astype("string").fillna("Unassigned"))
    j, codes = j[ok], codes[ok]
    conv = journeys["converted"].to_numpy(dtype=bool)
    k = len(names)
    pair = np.unique(j.astype(np.int64) * max(k, 1) + codes)
    pj, pcode = pair // max(k, 1), pair % max(k, 1)
    parts = []
    for name, mask in masks.items():
        t_in = mask[j]
        p_in = mask[pj]
        n_touch = np.bincount(codes[t_in], minlength=k)
        n_j = np.bincount(pcode[p_in], minlength=k)
        n_c = np.bincount(pcode[p_in & conv[pj]], minlength=k)
        seg_j = int(mask.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            part = pd.DataFrame(
                {
                    "segment": name,
                    "channel": np.asarray(names, dtype=object),
                    "touches": n_touch,
                    "touch_share": n_touch / n_touch.sum() if n_touch.sum() else np.nan,
                    "journeys": n_j,
                    "journey_share": n_j / seg_j if seg_j else np.nan,
                    "conversions": n_c,
                    "conversion_rate": np.where(n_j > 0, n_c / np.maximum(n_j, 1), np.nan),
                }
            )
        parts.append(
            part.loc[part["touches"] > 0].sort_values(
                ["touches", "channel"], ascending=[False, True]
            )
        )
    cols = ["segment", "channel", "touches", "touch_share", "journeys", "journey_share"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out = out[[*cols, "conversions", "conversion_rate"]]
    return out.astype(
        {
            "segment": "string",
            "channel": "string",
            "touches": "int64",
            "journeys": "int64",
            "conversions": "int64",
        }
    )


def segment_top_paths(
    journeys: pd.DataFrame,
    segments: Segments = None,
    *,
    n: int = 10,
    sort_by: str = "journeys",
    include_all: bool = True,
) -> pd.DataFrame:
    """:func:`~workbench.analysis.paths.top_paths` per segment, with a leading ``segment`` column."""
    masks = segment_masks(journeys, segments, include_all=include_all)
    parts = [
        top_paths(journeys.loc[mask], n=n, sort_by=sort_by).assign(segment=name)
        for name, mask in masks.items()
    ]
    out = pd.concat(parts, ignore_index=True)
    out["segment"] = out["segment"].astype("string")
    return out[["segment", *[c for c in out.columns if c != "segment"]]]
