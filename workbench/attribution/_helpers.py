"""Private helpers of the attribution stage: input checks, UTC times, key lookups, codes.

Shared by :mod:`workbench.attribution.inputs` (the path input) and the modules that
validate other attribution inputs (aggregated paths, platform claims). Every check
collects its problems with examples (:func:`_examples`) for one ``ValidationError``.
The optional parts of a :class:`~workbench.attribution.inputs.Paths` (strata, covariates,
exposure days, marker positions) are built here too, for ``paths_from_journeys``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.errors import ValidationError
from workbench.intcodes import factorize_strings
from workbench.journeys.handover import known_codes, known_distinct, known_rows

_NS_PER_DAY = 86_400e9
_MAX_EXAMPLES = 5


def _examples(frame: pd.DataFrame, mask: np.ndarray, cols: Sequence[str]) -> str:
    """Up to five offending rows as ``row i (col=value, ...)``."""
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))[:_MAX_EXAMPLES]
    parts = []
    for r in rows:
        vals = ", ".join(f"{c}={frame[c].iloc[r]!r}" for c in cols if c in frame.columns)
        parts.append(f"row {r} ({vals})")
    more = int(np.count_nonzero(mask)) - len(rows)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _missing_columns(frame: pd.DataFrame, table: str, required: Sequence[str]) -> list[str]:
    missing = [c for c in required if c not in frame.columns]
    if not missing:
        return []
    return [
        f"{table}: missing column(s) {missing}; expected {list(required)} "
        f"(found {list(frame.columns)})"
    ]


def _require_columns(frame: pd.DataFrame, table: str, required: Sequence[str]) -> None:
    """Raise one :class:`ValidationError` naming the missing columns, if any."""
    if problems := _missing_columns(frame, table, required):
        raise ValidationError(problems)


def _numeric(
    frame: pd.DataFrame, col: str, table: str, problems: list[str], *, nonneg: bool = True
) -> np.ndarray:
    """A numeric column as float64; records non-numeric, missing and negative values."""
    values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) & frame[col].notna().to_numpy()
    if bad.any():
        problems.append(
            f"{table}: column {col!r} must be numeric; got {_examples(frame, bad, [col])}"
        )
    missing = frame[col].isna().to_numpy()
    if missing.any():
        problems.append(
            f"{table}: column {col!r} has missing values; expected a number: "
            f"{_examples(frame, missing, [col])}"
        )
    if nonneg:
        neg = np.nan_to_num(values, nan=0.0) < 0
        if neg.any():
            problems.append(
                f"{table}: column {col!r} must be >= 0; got {_examples(frame, neg, [col])}"
            )
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)


def _utc_ns(series: pd.Series) -> np.ndarray:
    """Timestamps as float nanoseconds since the epoch (UTC; naive taken as UTC), NaN for NaT."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):  # stored as UTC: read the buffer
        arr = series.to_numpy(dtype="datetime64[ns]")
    else:
        s = pd.to_datetime(series, utc=True)
        arr = s.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    out = arr.view(np.int64).astype(np.float64)
    out[np.isnat(arr)] = np.nan
    return out


def _row_of(keys: pd.Series, lookup: pd.Series, counts: pd.Series | None = None) -> np.ndarray:
    """Row of ``keys`` (unique) holding each value of ``lookup``; -1 where absent.

    ``counts`` (e.g. the journeys' ``n_touches``) is a guess of how many lookups each key
    has, in key order, as :func:`workbench.journeys.build.build_journeys` writes them: when
    ``lookup`` equals ``keys`` repeated that way (checked value by value, without hashing)
    the rows follow from the counts; otherwise the keys are hashed.
    """
    known = known_rows(lookup, keys)  # the touches and journeys of build_journeys
    if known is not None:
        return known
    if counts is not None:
        guess = _rows_from_counts(keys, lookup, counts)
        if guess is not None:
            return guess
    codes, _ = pd.factorize(pd.concat([keys, lookup], ignore_index=True))
    n = len(keys)
    row = np.full(int(codes.max(initial=-1)) + 2, -1, dtype=np.int64)
    row[codes[:n]] = np.arange(n)
    return row[codes[n:]]  # codes of missing lookups are -1 -> row[-1] == -1


def _rows_from_counts(keys: pd.Series, lookup: pd.Series, counts: pd.Series) -> np.ndarray | None:
    """``repeat(arange(len(keys)), counts)`` when ``lookup`` equals ``keys`` repeated so.

    Only for string keys (compared as Arrow strings); ``None`` when the guess does not hold.
    """
    n = pd.to_numeric(counts, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if not (np.isfinite(n).all() and (n >= 0).all() and int(n.sum()) == len(lookup)):
        return None
    if not (_is_text(keys) and _is_text(lookup)):
        return None
    rows = np.repeat(np.arange(len(keys)), n.astype(np.int64))
    large = pa.large_string()
    want = pa.array(keys.array, type=large, from_pandas=True).take(pa.array(rows))
    got = pa.array(lookup.array, type=large, from_pandas=True)
    same = pc.all(pc.fill_null(pc.equal(want, got), False)).as_py()
    return rows if same or len(rows) == 0 else None


def _duplicated(values: pd.Series) -> np.ndarray:
    """``values.duplicated(keep=False)``; one Arrow hash pass when every value is distinct.

    Nothing to compute for the journey ids of :func:`~workbench.journeys.build.build_journeys`
    (:func:`~workbench.journeys.handover.known_distinct`).
    """
    if known_distinct(values):
        return np.zeros(len(values), dtype=bool)
    if _is_text(values) and len(values):
        arr = pa.array(values.array, type=pa.large_string(), from_pandas=True)
        if pc.count_distinct(arr, mode="all").as_py() == len(values):
            return np.zeros(len(values), dtype=bool)
    return values.duplicated(keep=False).to_numpy()


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes into the sorted distinct values (as text), ``-1`` where missing.

    The result of ``pd.factorize(values.astype("str"), sort=True)``, hashed in Arrow; from
    the codes :func:`~workbench.journeys.build.build_journeys` made the column with, when
    they are known (:func:`~workbench.journeys.handover.known_codes`).
    """
    known = known_codes(values)
    if known is not None and None not in known[1]:  # (a missing value needs its error)
        return _used_sorted(*known)
    codes, uniques = factorize_strings(values)
    names = pa.array(uniques.array, type=pa.large_string(), from_pandas=True)
    order = pc.array_sort_indices(names).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    return rank[codes], names.take(order).to_pylist()


def _used_sorted(codes: np.ndarray, names: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """:func:`_sorted_codes` of ``names[codes]`` (``names`` may repeat or be unused)."""
    used = np.bincount(codes, minlength=len(names)) > 0
    values = pa.array(names, type=pa.large_string())
    distinct = pc.unique(values.filter(pa.array(used)))
    distinct = distinct.take(pc.array_sort_indices(distinct))
    rank = pc.fill_null(pc.index_in(values, value_set=distinct), -1).to_numpy()
    return rank[codes].astype(np.int64), distinct.to_pylist()


def _isin(values: pd.Series, wanted: Sequence[str]) -> np.ndarray:
    """``values.isin(wanted)`` as a numpy mask; by the known codes when there are some."""
    known = known_codes(values)
    if known is None:
        return values.isin(list(wanted)).to_numpy(dtype=bool)
    codes, names = known
    return pd.Series(names, dtype=object).isin(list(wanted)).to_numpy(dtype=bool)[codes]


def _is_text(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype)


def _indicators(codes: np.ndarray, n_levels: int) -> list[tuple[int, np.ndarray]]:
    """``(level, 0/1 column)`` for every level present in ``codes`` but the commonest.

    The commonest level is the reference (its effect is in the intercept); ties go to
    the lowest code.
    """
    counts = np.bincount(codes, minlength=n_levels)
    common = int(np.argmax(counts)) if len(codes) else 0
    return [
        (int(level), (codes == level).astype(np.float64))
        for level in np.flatnonzero(counts)
        if level != common
    ]


def _exposure_days(
    journeys: pd.DataFrame,
    conversion_ts: str,
    t_ns: np.ndarray | None,
    starts: np.ndarray,
    observation_end: str,
) -> np.ndarray | None:
    """Per path: days from its first touch (``t_ns`` in path order) to the observation end."""
    if t_ns is None or len(starts) == 0:
        return None
    if observation_end:
        end = float(
            _utc_ns(pd.to_datetime(pd.Series([observation_end]), errors="coerce", utc=True))[0]
        )
        if np.isnan(end):
            raise ValidationError([f"observation_end = {observation_end!r}; expected a timestamp"])
    else:
        conv = _utc_ns(journeys[conversion_ts]) if conversion_ts in journeys.columns else t_ns
        end = float(np.nanmax(np.concatenate([t_ns, conv, [-np.inf]])))
    first = np.fmin.reduceat(t_ns, starts)
    return np.maximum((end - first) / _NS_PER_DAY, 0.0)


def _strata(journeys: pd.DataFrame, strata: str, has: np.ndarray) -> dict[str, Any]:
    """``strata`` / ``strata_names`` of :class:`Paths` from the ``strata`` column (sorted codes)."""
    if not strata:
        return {}
    values = journeys[strata].astype("string").fillna("(missing)").to_numpy(dtype=object)
    names, codes = np.unique(values[has].astype(str), return_inverse=True)
    return {"strata": codes.astype(np.int64), "strata_names": tuple(str(n) for n in names)}


def _covariates(journeys: pd.DataFrame, columns: Sequence[str], has: np.ndarray) -> dict[str, Any]:
    """``covariates`` / ``covariate_names`` of :class:`Paths`: indicators but the commonest value."""
    cols: list[np.ndarray] = []
    names: list[str] = []
    for column in dict.fromkeys(columns):
        values = journeys[column].astype("string").fillna("(missing)").to_numpy(dtype=object)
        levels, codes = np.unique(values[has].astype(str), return_inverse=True)
        for code, indicator in _indicators(codes, len(levels)):
            cols.append(indicator)
            names.append(f"{column}={levels[code]}")
    if not columns:
        return {}
    matrix = np.column_stack(cols) if cols else np.zeros((int(has.sum()), 0))
    return {"covariates": matrix, "covariate_names": tuple(names)}


def _marker_index(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    marker_ts: str,
    ts: str,
    touch_type: str,
    marker_types: Sequence[str],
    t_j: np.ndarray,
    take,
    t_ns: np.ndarray | None,
    starts: np.ndarray,
    index_in_path: np.ndarray,
) -> np.ndarray | None:
    """Per journey: index in the path of the marker touch, -1 when not found.

    ``marker_ts`` (journeys) gives the last touch at or before it; journeys without it use
    the first touch whose type is one of ``marker_types``. ``t_ns``: touch times in path
    order (``None`` without a ``ts`` column).
    """
    n_j = len(journeys)
    out = np.full(n_j, -1, dtype=np.int64)
    if len(starts) == 0:
        return out
    have_ts = marker_ts in journeys.columns and t_ns is not None
    have_types = touch_type in touches.columns and len(marker_types) > 0
    if not have_ts and not have_types:
        return out
    journey_of_path = t_j[starts]
    use_ts = np.zeros(n_j, dtype=bool)
    if have_ts:
        m_ns = _utc_ns(journeys[marker_ts])
        use_ts = ~np.isnan(m_ns)
    if have_ts and use_ts.any():  # (per-touch work only when some journey has the time)
        flag = t_ns <= m_ns[t_j]
        last = np.maximum.reduceat(np.where(flag, index_in_path, -1), starts)
        out[journey_of_path] = np.where(use_ts[journey_of_path], last, -1)
    if have_types and not use_ts[journey_of_path].all():
        is_marker = take(_isin(touches[touch_type], marker_types))
        if not is_marker.any():  # no marker touch: every such journey keeps -1
            return out
        big = np.iinfo(np.int64).max
        first = np.minimum.reduceat(np.where(is_marker, index_in_path, big), starts)
        first = np.where(first == big, -1, first)
        sel = ~use_ts[journey_of_path]
        out[journey_of_path[sel]] = first[sel]
    return out


def _path_order(
    touches: pd.DataFrame,
    t_j: np.ndarray,
    pos: np.ndarray,
    journey_id: str,
    position: str,
    channel: str,
) -> np.ndarray | None:
    """Touch rows in (journey, position) order; ``None`` when in that order already.

    Raises ``ValidationError`` when a (journey, position) pair repeats.
    """
    pos_rel = pos - (pos.min() if len(pos) else 0)
    key = t_j * (int(pos_rel.max(initial=0)) + 1) + pos_rel
    if np.all(key[1:] > key[:-1]):
        return None
    order = np.argsort(key, kind="stable")
    skey = key[order]
    same = np.flatnonzero(skey[1:] == skey[:-1])
    if len(same):
        mask = np.zeros(len(key), dtype=bool)
        mask[order[same]] = True
        mask[order[same + 1]] = True
        raise ValidationError(
            [
                f"journey_touches: ({journey_id!r}, {position!r}) must be unique; "
                f"duplicates: {_examples(touches, mask, [journey_id, position, channel])}"
            ]
        )
    return order


def _days_before(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    t_j: np.ndarray,
    t_ns: np.ndarray | None,
    conv: np.ndarray,
    take: Callable[[np.ndarray], np.ndarray],
    order: np.ndarray | None,
    cols: tuple[str, str, str, str, str],
) -> np.ndarray | None:
    """Per touch in path order: days to its journey's conversion (see the module docstring).

    ``cols``: the journey id, position, ts, days-to-conversion and conversion-ts column
    names. Raises ``ValidationError`` for a touch after its converted journey's conversion.
    """
    journey_id, position, ts, days_to_conversion, conversion_ts = cols
    days = None
    if t_ns is not None and conversion_ts in journeys.columns:
        days = (_utc_ns(journeys[conversion_ts])[t_j] - t_ns) / _NS_PER_DAY
    if days_to_conversion in touches.columns:
        fallback = take(
            pd.to_numeric(touches[days_to_conversion], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
        )
        days = fallback if days is None else np.where(np.isnan(days), fallback, days)
    if days is not None:
        after = (days < -1e-9) & (conv[t_j] > 0)
        if after.any():
            rows = np.zeros(len(touches), dtype=bool)
            rows[np.flatnonzero(after) if order is None else order[after]] = True
            raise ValidationError(
                [
                    "journey_touches: touches after their journey's conversion "
                    f"({conversion_ts!r} before {ts!r}); expected every touch at or before "
                    f"the conversion: {_examples(touches, rows, [journey_id, position, ts])}"
                ]
            )
    return days
