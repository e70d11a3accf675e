"""The phases of :func:`workbench.journeys.build.build_journeys`, in the order it runs them.

Private to :mod:`workbench.journeys.build` (which re-exports the public constants): each
helper is one step of the function's outline, moved here as it was. Touch-long arrays a
phase no longer needs are its locals, so they are freed when it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.intcodes import fixed_width_strings
from workbench.journeys.codes import (
    RowSelection,
    UnitCodes,
    few_distinct,
    take_coded,
    take_text,
    text_codes,
    utc_us,
)
from workbench.journeys.index import (
    UnitTimeIndex,
    conversion_windows,
    hex_id_bytes,
    open_windows,
    ts_from_us,
    unit_time_order,
)
from workbench.schema import (
    CAMPAIGN,
    CHANNEL,
    CONVERSION_ID,
    CONVERSION_TYPE,
    JOURNEY_ID,
    JOURNEY_TOUCHES,
    PERSON_ID,
    PLATFORM,
    TOUCH_TYPE,
    TS,
    VALUE,
)

#: Separator between touch labels in ``path``.
PATH_SEP = " > "
#: Path of a conversion without any touch in its window.
NO_TOUCH = "(no touch)"
#: Label of a touch whose path-level value (campaign, platform ...) is missing.
NOT_SET = "(not set)"
#: Channel of a touch without channel (GA4's name for the same thing).
UNASSIGNED = "Unassigned"

_US_PER_DAY = 86_400 * 1_000_000
_TOUCH_TEXT = (CHANNEL, TOUCH_TYPE, CAMPAIGN, PLATFORM, "page", "event_name")


class _Excluded(list):
    def add(self, table: str, reason: str, mask: np.ndarray) -> None:
        self.add_count(table, reason, int(np.count_nonzero(mask)))

    def add_count(self, table: str, reason: str, n: int) -> None:
        if n:
            self.append((table, reason, int(n)))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self, columns=["table", "reason", "rows"])
        return df.astype({"table": "string", "reason": "string", "rows": "int64"})


def _chunked(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    """``arr`` as a large_string chunked array (no copy when it already is one)."""
    arr = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    return arr.cast(pa.large_string())


def _text(values: pd.Series) -> pa.ChunkedArray:
    """A column as an Arrow large_string chunked array (zero-copy for Arrow strings).

    Goes through the array's ``__arrow_array__``: ``pa.chunked_array(series)``
    only works where the Series exports ``__arrow_c_stream__`` (pandas >= 3).
    """
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("string")
    return _chunked(pa.array(values.array, type=pa.large_string(), from_pandas=True))


def _series(arr: pa.ChunkedArray | pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(_chunked(arr)))


def _select(
    df: pd.DataFrame,
    unit_col: str,
    has_unit: np.ndarray,
    type_col: str,
    types: Any,
    lo: int | None,
    hi: int | None,
    table: str,
    excl: _Excluded,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Usable-row mask, all timestamps (us) and the 'has unit, before hi' mask.

    ``has_unit`` (a temporary of the caller) becomes the usable-row mask. Row-long
    masks are built only for the filters in use (10M rows: each one 10 MB).
    """
    ts, no_ts = utc_us(df[TS])
    keep = has_unit
    if no_ts.any():
        keep &= ~no_ts
    n_keep = int(np.count_nonzero(keep))
    excl.add_count(table, f"no {unit_col} or no timestamp", len(keep) - n_keep)
    ts = ts if n_keep == len(keep) else np.where(keep, ts, 0)
    # a conversion's type is part of its journey's key: a conversion without one is left out
    no_type = df[type_col].isna().to_numpy() if table == "conversions" else None
    untyped = no_type is not None and bool(no_type.any())
    if hi is not None:
        known = keep & (ts < hi)
    else:  # a copy only when ``keep`` is narrowed below
        known = keep.copy() if types is not None or lo is not None or untyped else keep
    what = "touch" if table == "touchpoints" else "conversion"
    if untyped:
        keep &= ~no_type  # type: ignore[operator]  # not None when ``untyped``
        n_typed = int(np.count_nonzero(keep))
        excl.add_count(table, f"no {type_col}", n_keep - n_typed)
        n_keep = n_typed
    if types is not None:
        keep &= df[type_col].isin(list(types)).to_numpy()
        n_sel = int(np.count_nonzero(keep))
        excl.add_count(table, f"{what} type not selected", n_keep - n_sel)
        n_keep = n_sel
    if lo is not None or hi is not None:
        if lo is not None:
            keep &= ts >= lo
        if hi is not None:
            keep &= ts < hi
        where = "the period and its lookback" if table == "touchpoints" else "the period"
        excl.add_count(table, f"{what} outside {where}", n_keep - int(np.count_nonzero(keep)))
    return keep, ts, known


def _filled(arr: pa.ChunkedArray, value: str) -> pa.ChunkedArray:
    """``pc.fill_null(arr, value)``; the same array when nothing is missing (no copy)."""
    return pc.fill_null(arr, value) if arr.null_count else arr


def _join_paths(offsets: np.ndarray, labels: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Labels joined by ``PATH_SEP`` per [offsets[i], offsets[i+1]); empty -> NO_TOUCH."""
    large = pa.large_string()
    if isinstance(labels, pa.ChunkedArray):
        labels = labels.chunk(0) if labels.num_chunks == 1 else labels.combine_chunks()
    empty = pa.array(np.diff(offsets) == 0)
    if labels.null_count:  # a missing label makes its path missing: kept so
        lists = pa.LargeListArray.from_arrays(pa.array(offsets), labels.cast(large))
        joined = pc.binary_join(lists, pa.scalar(PATH_SEP, large))
        return pc.if_else(empty, pa.scalar(NO_TOUCH, large), joined)
    # empty lists made missing, then filled: 2x cheaper than ``if_else`` on the strings
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), labels.cast(large), mask=empty)
    return pc.fill_null(pc.binary_join(lists, pa.scalar(PATH_SEP, large)), NO_TOUCH)


def _pick(names: list[str], codes: np.ndarray, at: np.ndarray, empty: np.ndarray) -> pd.Series:
    if not len(codes):
        return _series(pa.nulls(len(empty), pa.large_string()))
    arr = pa.array(names, type=pa.large_string()).take(pa.array(codes[at], mask=empty))
    return _series(arr)


def select_rows(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    unit_col: str,
    units: UnitCodes,
    touch_types: Any,
    conversion_types: Any,
    start: int | None,
    end: int | None,
    look: int,
    excl: _Excluded,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows of both tables in use, and all their timestamps (us).

    Returns
    -------
    keep, t_all, ckeep, c_all, c_known
        Usable-touch mask, touch times, usable-conversion mask, conversion times,
        and the conversions with a unit before the period end (see :func:`_select`).
    """
    t_lo = None if start is None else start - look
    keep, t_all, _ = _select(
        touchpoints, unit_col, units.touches >= 0, TOUCH_TYPE, touch_types, t_lo, end,
        "touchpoints", excl,
    )  # fmt: skip
    ckeep, c_all, c_known = _select(
        conversions, unit_col, units.conversions >= 0, CONVERSION_TYPE, conversion_types, start,
        end, "conversions", excl,
    )  # fmt: skip
    return keep, t_all, ckeep, c_all, c_known


def journey_windows(
    conversions: pd.DataFrame,
    units: UnitCodes,
    keep: np.ndarray,
    t_all: np.ndarray,
    ckeep: np.ndarray,
    c_all: np.ndarray,
    start: int | None,
    end: int | None,
    look: int,
    key_bits: int,
) -> tuple[np.ndarray, np.ndarray, Any, Any, tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Index the touches by (unit, time) and cut the converting and open journey windows.

    The index and its touch-long inputs are locals: freed on return, before the
    tables are cut.

    Returns
    -------
    orig : np.ndarray
        Input row of each usable touch, in (unit, time) order.
    c_rows, type_names, cid_txt
        Conversion rows sorted by (unit, type, ts, conversion id, row); the sorted
        conversion types; the ``conversion_id`` column as Arrow text (None when absent).
    converting : tuple
        ``(cc, ct, typ, occ, lo_c, hi_c)``: unit code, time, type code, duplicate
        number and touch range [lo, hi) of each sorted conversion.
    open_ : tuple
        ``(nc, lo_n, hi_n, last_n)`` of :func:`~workbench.journeys.index.open_windows`.
    """
    rows = None if keep.all() else np.flatnonzero(keep)
    t_ts = t_all if rows is None else t_all[rows]
    t_codes = units.touches if rows is None else units.touches[rows]
    c_codes = units.conversions
    idx = UnitTimeIndex(t_codes, t_ts, len(units), key_bits)
    orig = idx.order if rows is None else rows[idx.order]  # input row of each sorted touch
    del rows

    # converting journeys, sorted by (unit, type, ts, conversion id, row)
    c_rows = np.flatnonzero(ckeep)
    types = conversions[CONVERSION_TYPE].astype("string").iloc[c_rows]
    typ, type_names = pd.factorize(types.to_numpy(dtype=object), sort=True)
    has_cid = CONVERSION_ID in conversions.columns
    cid_txt = _text(conversions[CONVERSION_ID]) if has_cid else None
    cid = (
        pd.factorize(cid_txt.take(c_rows).to_numpy(), sort=True)[0]
        if cid_txt is not None
        else typ * 0
    )
    o = np.lexsort((c_rows, cid, c_all[c_rows], typ, c_codes[c_rows]))
    c_rows, typ, cid = c_rows[o], typ[o], cid[o]
    cc, ct = c_codes[c_rows], c_all[c_rows]
    lo_c, hi_c, occ = conversion_windows(idx, cc, ct, typ, cid, look)
    nc, lo_n, hi_n, last_n = open_windows(idx, len(units), cc, start, end, look)
    return (
        orig,
        c_rows,
        type_names,
        cid_txt,
        (cc, ct, typ, occ, lo_c, hi_c),
        (nc, lo_n, hi_n, last_n),
    )


def journey_order(
    units: UnitCodes,
    n_types: int,
    c_rows: np.ndarray,
    converting: tuple[np.ndarray, ...],
    open_: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, ...]:
    """All journeys, converting then open, ordered by unit then end time.

    Returns
    -------
    code, conv, end_ts, typ, occ, lo, hi, crow
        Per journey: unit code, converted flag, end time, type code (``n_types`` for
        an open journey), duplicate number, sorted-touch range [lo, hi) and
        conversion row (-1 for an open journey).
    """
    cc, ct, typ, occ, lo_c, hi_c = converting
    nc, lo_n, hi_n, last_n = open_
    n_c = len(cc)
    code = np.concatenate([cc, nc])
    conv = np.arange(len(code)) < n_c
    end_ts = np.concatenate([ct, last_n])
    typ = np.concatenate([typ, np.full(len(nc), n_types)])
    occ = np.concatenate([occ, np.zeros(len(nc), dtype=np.int64)])
    jo = unit_time_order(units.sort_key(code), len(units), end_ts, typ, occ)
    code, conv, end_ts, typ, occ = code[jo], conv[jo], end_ts[jo], typ[jo], occ[jo]
    lo = np.concatenate([lo_c, lo_n])[jo]
    hi = np.concatenate([hi_c, hi_n])[jo]
    crow = np.concatenate([c_rows, np.full(len(nc), -1)])[jo]
    return code, conv, end_ts, typ, occ, lo, hi, crow


def expand(
    orig: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_rows: int, excl: _Excluded
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, RowSelection]:
    """Expand the journeys to their touches; count the touches outside every window.

    Returns
    -------
    lengths, offsets, jid, src, selection
        Touches per journey and their offsets; journey number and input row of each
        touch; the rows taken (:class:`~workbench.journeys.codes.RowSelection`).
    """
    n_j = len(lo)
    lengths = hi - lo
    offsets = np.zeros(n_j + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    jid = np.repeat(np.arange(n_j), lengths)
    at = np.repeat(lo - offsets[:-1], lengths)  # sorted position - output position
    at += np.arange(offsets[-1])
    src = orig[at]  # input rows of the touches
    selection = RowSelection(src, n_rows)  # the rows taken, for take_coded
    excl.add_count("touchpoints", "outside every journey window", len(orig) - selection.distinct())
    return lengths, offsets, jid, src, selection


def level_labels(
    values: pd.Series, level_col: str, src: np.ndarray, selection: RowSelection
) -> tuple[pa.ChunkedArray, np.ndarray, list[str]]:
    """The path-level column at the touches: text, label codes and their names."""
    if level_col == CHANNEL:  # few distinct values: coded once, strings from the codes
        level_txt, lab, lab_names = take_coded(values, src, UNASSIGNED, selection)
    elif few_distinct(values, src):  # codes only compared (collapse_repeats)
        level_txt, lab, lab_names = take_coded(values, src, NOT_SET, selection)
    else:
        level_txt = take_text(values, src)
        lab, lab_names = text_codes(level_txt, NOT_SET)
    return level_txt, lab, lab_names


def first_of_runs(lab: np.ndarray, jid: np.ndarray) -> np.ndarray:
    """Mask of the touches whose label differs from the previous touch's in the journey."""
    k = np.ones(len(lab), dtype=bool)
    k[1:] = (lab[1:] != lab[:-1]) | (jid[1:] != jid[:-1])
    return k


def key_columns(
    units: UnitCodes,
    code: np.ndarray,
    type_names: Any,
    cid_txt: pa.ChunkedArray | None,
    crow: np.ndarray,
    conv: np.ndarray,
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Unit ids, type names (``"(none)"`` last) and conversion ids of the journeys."""
    n_j = len(code)
    unit_txt = units.ids.take(pa.array(code))
    type_txt = pa.array([*map(str, type_names), "(none)"], type=pa.large_string())
    cid_j = (
        cid_txt.take(pa.array(crow, mask=~conv))
        if cid_txt is not None
        else pa.nulls(n_j, pa.string())
    )
    return unit_txt, type_txt, cid_j


def column_taker(
    touchpoints: pd.DataFrame,
    level_col: str,
    level_txt: pa.ChunkedArray,
    src: np.ndarray,
    selection: RowSelection,
) -> tuple[Callable[[str], pa.ChunkedArray], list[tuple[str, np.ndarray, list[str | None]]]]:
    """A function that takes one touch column at the touches (run in a thread pool).

    Returns
    -------
    take, coded
        The function, and the list it fills with ``(column, codes, names)`` of the
        columns taken as codes (for the attribution input).
    """
    n_t = len(src)
    coded: list[tuple[str, np.ndarray, list[str | None]]] = []  # (column, codes, names)

    absent = pa.nulls(n_t, pa.large_string())  # one all-missing array for absent columns

    def _take(col: str) -> pa.ChunkedArray:
        if col == level_col:
            return level_txt
        if col not in touchpoints.columns:
            return pa.chunked_array([absent])
        if col == TOUCH_TYPE:  # few distinct values; the codes go to the attribution input
            taken, codes, names = take_coded(touchpoints[col], src, NOT_SET, selection)
            coded.append((col, codes, [*names[:-1], None]))  # missing stays missing
            return taken
        if few_distinct(touchpoints[col], src):  # the same strings, from a small dictionary
            return take_coded(touchpoints[col], src, NOT_SET, selection)[0]
        return take_text(touchpoints[col], src)

    return _take, coded


def touch_columns(
    text: dict[str, pa.ChunkedArray],
    level_col: str,
    level_txt: pa.ChunkedArray,
    lab: np.ndarray,
    lab_names: list[str],
    offsets: np.ndarray,
    jid: np.ndarray,
    end_ts: np.ndarray,
    t_touch: np.ndarray,
) -> tuple[dict[str, Any], np.ndarray, list[str], pa.ChunkedArray]:
    """The touches table's columns (journey ids still to come).

    Returns
    -------
    touch_cols, ch, ch_names, label
        The columns; channel codes and names of the touches; their path labels.
    """
    n_t = len(t_touch)
    if level_col == CHANNEL:
        ch, ch_names = lab, lab_names
    else:
        ch, ch_names = text_codes(text[CHANNEL], UNASSIGNED)
    text[CHANNEL] = _filled(text[CHANNEL], UNASSIGNED)
    label = text[CHANNEL] if level_col == CHANNEL else _filled(level_txt, NOT_SET)
    position = np.arange(n_t, dtype=np.int64)
    position -= offsets[jid]  # in place: one touch-long temporary less (so below)
    until_end = end_ts[jid]
    until_end -= t_touch
    touch_cols = {
        JOURNEY_ID: None,  # the ids, below
        "position": position,
        TS: ts_from_us(t_touch),
        "days_to_conversion": until_end / _US_PER_DAY,
        "label": _series(label),
        **{col: _series(arr) for col, arr in text.items()},
    }
    return touch_cols, ch, ch_names, label


def journey_columns(
    conversions: pd.DataFrame,
    unit_txt: pa.Array,
    type_txt: pa.Array,
    cid_j: pa.Array,
    conv: np.ndarray,
    typ: np.ndarray,
    end_ts: np.ndarray,
    crow: np.ndarray,
    lengths: np.ndarray,
    offsets: np.ndarray,
    jid: np.ndarray,
    t_touch: np.ndarray,
    ch: np.ndarray,
    ch_names: list[str],
    label: pa.ChunkedArray,
) -> dict[str, Any]:
    """The journeys table's columns (journey ids still to come)."""
    n_t, n_j = len(t_touch), len(lengths)
    empty = lengths == 0
    starts = offsets[:-1]
    first_i = np.minimum(starts, max(n_t - 1, 0))
    last_i = np.maximum(offsets[1:] - 1, 0)
    first_ts = np.where(empty, 0, t_touch[first_i] if n_t else 0)
    n_channels = np.zeros(n_j, dtype=np.int64)
    if n_t and len(ch_names) <= 62:
        bits = np.bitwise_or.reduceat(
            np.left_shift(1, ch.astype(np.int64, copy=False)), starts[~empty]
        )
        n_channels[~empty] = np.bitwise_count(bits.astype(np.uint64))
    elif n_t:
        pair = np.unique(jid.astype(np.int64) * len(ch_names) + ch)
        n_channels = np.bincount(pair // len(ch_names), minlength=n_j)
    value = np.zeros(len(conversions) + 1)
    if VALUE in conversions.columns:
        value[:-1] = pd.to_numeric(conversions[VALUE], errors="coerce").fillna(0).to_numpy(float)
    return {
        JOURNEY_ID: None,  # the ids, below
        PERSON_ID: _series(unit_txt),
        "converted": conv,
        CONVERSION_TYPE: _series(type_txt.take(pa.array(typ, mask=~conv))),
        "conversion_ts": ts_from_us(end_ts, ~conv),
        VALUE: value[crow],
        "n_touches": lengths.astype(np.int64, copy=False),
        "first_channel": _pick(ch_names, ch, first_i, empty),
        "last_channel": _pick(ch_names, ch, last_i, empty),
        "duration_days": np.where(empty, np.nan, (end_ts - first_ts) / _US_PER_DAY),
        "path": _series(_join_paths(offsets, label)),
        CONVERSION_ID: _series(pc.cast(cid_j, pa.large_string())),
        "first_ts": ts_from_us(first_ts, empty),
        "n_channels": n_channels.astype(np.int64, copy=False),
    }


def tables(
    touch_cols: dict[str, Any], journey_cols: dict[str, Any], ids: pa.Array, lengths: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The touches and journeys tables, with the journey ids."""
    touch_cols[JOURNEY_ID] = _series(fixed_width_strings(np.repeat(hex_id_bytes(ids), lengths)))
    # ``copy=False``: the fresh columns are used as they are, not stacked into 2-D blocks
    touches = pd.DataFrame({c: touch_cols[c] for c in JOURNEY_TOUCHES.names}, copy=False)
    journey_cols[JOURNEY_ID] = _series(ids)
    journeys = pd.DataFrame(journey_cols, copy=False)
    return touches, journeys
