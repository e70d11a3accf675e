"""Cut customer journeys from stitched touchpoints and conversions.

A **converting journey** belongs to one conversion: the unit's (person's or
account's) touches with ``conversion_ts - lookback <= ts <= conversion_ts`` that
come strictly after the unit's previous conversion *of the same type*. Touches
can therefore belong to a ``lead`` journey and to a later ``deal_won`` journey
of the same person. A conversion without any touch in its window is kept as a
zero-touch journey with path ``"(no touch)"``.

A **non-converting journey** exists for every unit that has touches in the
period but no selected conversion in it: one journey per unit, made of its
touches in the period that fall within ``lookback_days`` before its *last*
touch in the period. The same lookback thus caps both kinds of journey, so
path lengths, durations and conversion rates compare like with like.

The period is half-open, ``[start, end)``: conversions with ``ts`` in it become
journeys; the touches of a converting journey may start up to ``lookback_days``
before ``start``. Everything not used is counted in :attr:`JourneySet.excluded`
with a reason; nothing is dropped silently.

Ordering and ids: touches are ordered by time; touches of one unit with the
same timestamp keep their input order. Journeys are ordered by unit id, then
end time. ``journey_id`` is ``"j"`` + 16 hex digits of a fixed-key 64-bit hash
of (unit kind, unit id, conversion type, conversion time, conversion id,
duplicate number) -- or (unit kind, unit id, ``"(none)"``) for a non-converting
journey -- so it is the same in every run on the same data.

The hot path is vectorized: integer unit codes (a pandas ``Categorical`` unit
column, as stitching hands ``person_id`` over, is used through its codes with no
per-row string work; other columns are dictionary-encoded once in Arrow, see
:mod:`workbench.journeys.codes`), one sort of the touches by (unit, time), one
binary search per journey bound over the sorted keys, and Arrow kernels for the
string columns and the path labels. Both kinds of unit column give the same
journeys and ids. There is no Python loop per unit or journey.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.config import JOURNEY_UNITS, PATH_LEVELS, JourneyConfig
from workbench.errors import ValidationError
from workbench.intcodes import fixed_width_strings
from workbench.journeys.codes import (
    RowSelection,
    few_distinct,
    take_coded,
    take_text,
    text_codes,
    unit_codes,
    utc_us,
)
from workbench.journeys.handover import vouch
from workbench.journeys.index import KEY_BITS as _KEY_BITS  # read per call: tests coarsen it
from workbench.journeys.index import (
    UnitTimeIndex,
    conversion_windows,
    hex_id_bytes,
    journey_ids,
    open_windows,
    period_us,
    ts_from_us,
    unit_time_order,
)
from workbench.journeys.stages import add_stage_times_coded
from workbench.journeys.unit_attributes import attach_attributes, unit_table
from workbench.schema import (
    ACCOUNT_ID,
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

__all__ = [
    "LEVEL_COLUMNS",
    "NOT_SET",
    "NO_TOUCH",
    "PATH_SEP",
    "UNASSIGNED",
    "JourneySet",
    "build_journeys",
    "journeys_from_config",
    "paths_from_touches",
    "touch_journey_index",
]

#: Separator between touch labels in ``path``.
PATH_SEP = " > "
#: Path of a conversion without any touch in its window.
NO_TOUCH = "(no touch)"
#: Label of a touch whose path-level value (campaign, platform ...) is missing.
NOT_SET = "(not set)"
#: Channel of a touch without channel (GA4's name for the same thing).
UNASSIGNED = "Unassigned"
#: Touch column behind each ``path_level``.
LEVEL_COLUMNS: dict[str, str] = {
    "channel": CHANNEL,
    "platform": PLATFORM,
    "campaign": CAMPAIGN,
    "touch_type": TOUCH_TYPE,
}

_US_PER_DAY = 86_400 * 1_000_000
_TOUCH_TEXT = (CHANNEL, TOUCH_TYPE, CAMPAIGN, PLATFORM, "page", "event_name")
_NOT_SETTINGS = ("touchpoints", "conversions", "attributes")


@dataclass
class JourneySet:
    """Output of :func:`build_journeys`.

    Attributes
    ----------
    journeys
        One row per journey (:data:`workbench.schema.JOURNEYS` columns, then
        attribute columns carried from the conversions/``attributes``).
    touches
        One row per touch of a journey (:data:`workbench.schema.JOURNEY_TOUCHES`).
    excluded
        Rows not used, counted by reason: columns ``table``, ``reason``, ``rows``.
    settings
        The arguments the journeys were built with.
    """

    journeys: pd.DataFrame
    touches: pd.DataFrame
    excluded: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Headline counts as a long frame with columns ``metric``, ``value``."""
        j, ex = self.journeys, self.excluded.groupby("table")["rows"].sum()
        rows = {
            "journeys": len(j),
            "converted_journeys": int(j["converted"].sum()),
            "zero_touch_journeys": int((j["n_touches"] == 0).sum()),
            "journey_touches": len(self.touches),
            "excluded_touchpoints": int(ex.get("touchpoints", 0)),
            "excluded_conversions": int(ex.get("conversions", 0)),
        }
        return pd.DataFrame({"metric": list(rows), "value": list(rows.values())})


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


def _validate(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    unit: str,
    path_level: str,
    lookback_days: float,
    period: Any,
    attributes: pd.DataFrame | None,
) -> None:
    unit_col = ACCOUNT_ID if unit == "account" else PERSON_ID
    level_col = LEVEL_COLUMNS.get(path_level, CHANNEL)
    checks = [
        (unit in JOURNEY_UNITS, f"unit = {unit!r}; allowed: {', '.join(JOURNEY_UNITS)}"),
        (
            path_level in PATH_LEVELS,
            f"path_level = {path_level!r}; allowed: {', '.join(PATH_LEVELS)}",
        ),
        (lookback_days > 0, f"lookback_days = {lookback_days!r}; expected a number of days > 0"),
        (
            period is None or (isinstance(period, tuple | list) and len(period) == 2),
            f"period = {period!r}; expected (start, end) with None for an open end",
        ),
    ]
    needs = {
        "touchpoints": (touchpoints, (unit_col, TS, TOUCH_TYPE, CHANNEL, level_col)),
        "conversions": (conversions, (unit_col, TS, CONVERSION_TYPE)),
    }
    for name, (df, cols) in needs.items():
        checks += [
            (
                col in df.columns,
                f"{name} table: column {col!r} is missing (needed for unit={unit!r}, path_level="
                f"{path_level!r}); present: {', '.join(map(str, df.columns))}",
            )
            for col in dict.fromkeys(cols)
        ]
        checks.append(
            (
                TS not in df.columns or isinstance(df[TS].dtype, pd.DatetimeTZDtype),
                f"{name} table: column {TS!r} has dtype {df[TS].dtype if TS in df else None}; "
                "expected tz-aware UTC datetimes (use workbench.timestamps.parse_timestamps)",
            )
        )
    if attributes is not None:
        ok = unit_col in attributes.columns
        checks.append((ok, f"attributes table: column {unit_col!r} is missing"))
        dup = attributes[unit_col][attributes[unit_col].duplicated()] if ok else []
        checks.append(
            (not len(dup), f"attributes table: {unit_col!r} repeats, e.g. {list(dup)[:3]}")
        )
    if problems := [msg for ok, msg in checks if not ok]:
        raise ValidationError(problems, context="build_journeys")


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
        keep &= ~no_type
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


def build_journeys(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    *,
    lookback_days: float = 90,
    unit: str = "person",
    touch_types: tuple[str, ...] | list[str] | None = None,
    collapse_repeats: bool = False,
    path_level: str = "channel",
    conversion_types: tuple[str, ...] | list[str] | None = None,
    period: tuple[Any, Any] | None = None,
    attributes: pd.DataFrame | None = None,
) -> JourneySet:
    """Build converting and non-converting journeys (see the module docstring).

    Parameters
    ----------
    touchpoints, conversions
        Canonical tables after stitching (``person_id``/``account_id`` filled).
    lookback_days
        Window before each conversion (and before a non-converter's last touch).
    unit
        ``"person"`` or ``"account"``; the ``person_id`` column of the output
        holds the unit's id (the account id when ``unit="account"``).
    touch_types
        Keep only these touch types (all when None).
    collapse_repeats
        Drop a touch whose label equals the previous touch's label in the same
        journey (the first touch of each run is kept) -- in ``touches``,
        ``n_touches`` and ``path`` alike.
    path_level
        What a touch is called in ``path`` and ``label``: channel, platform,
        campaign or touch_type.
    conversion_types
        Conversions that end journeys (all when None).
    period
        ``(start, end)``, half-open, either may be None; naive values are UTC.
    attributes
        Optional per-unit attributes (one row per ``person_id``/``account_id``).
        Attribute columns are filled from, in order: the conversion row itself,
        this table, and the unit's latest non-missing value on any conversion
        before the period end.

    Returns
    -------
    JourneySet
        ``journeys`` (JOURNEYS columns, then attribute columns, then ``lead_ts`` and
        ``opportunity_ts`` from :func:`~workbench.journeys.stages.add_stage_times_coded`), ``touches``
        (JOURNEY_TOUCHES columns), ``excluded`` (table, reason, rows).
    """
    settings = {k: v for k, v in locals().items() if k not in _NOT_SETTINGS}
    _validate(touchpoints, conversions, unit, path_level, lookback_days, period, attributes)
    unit_col = ACCOUNT_ID if unit == "account" else PERSON_ID
    level_col = LEVEL_COLUMNS[path_level]
    start, end = period_us(period)
    look = int(round(lookback_days * _US_PER_DAY))
    excl = _Excluded()
    t_lo = None if start is None else start - look
    # integer unit codes (a categorical unit column is used as it is), rows by position
    units = unit_codes(touchpoints[unit_col], conversions[unit_col])
    keep, t_all, _ = _select(
        touchpoints, unit_col, units.touches >= 0, TOUCH_TYPE, touch_types, t_lo, end,
        "touchpoints", excl,
    )  # fmt: skip
    ckeep, c_all, c_known = _select(
        conversions, unit_col, units.conversions >= 0, CONVERSION_TYPE, conversion_types, start,
        end, "conversions", excl,
    )  # fmt: skip
    rows = None if keep.all() else np.flatnonzero(keep)
    t_ts = t_all if rows is None else t_all[rows]
    t_codes = units.touches if rows is None else units.touches[rows]
    c_codes = units.conversions
    idx = UnitTimeIndex(t_codes, t_ts, len(units), _KEY_BITS)
    orig = idx.order if rows is None else rows[idx.order]  # input row of each sorted touch
    del rows

    # converting journeys, sorted by (unit, type, ts, conversion id, row)
    c_rows = np.flatnonzero(ckeep)
    types = conversions[CONVERSION_TYPE].astype("string").iloc[c_rows]
    typ, type_names = pd.factorize(types.to_numpy(dtype=object), sort=True)
    has_cid = CONVERSION_ID in conversions.columns
    cid_txt = _text(conversions[CONVERSION_ID]) if has_cid else None
    cid = pd.factorize(cid_txt.take(c_rows).to_numpy(), sort=True)[0] if has_cid else typ * 0
    o = np.lexsort((c_rows, cid, c_all[c_rows], typ, c_codes[c_rows]))
    c_rows, typ, cid = c_rows[o], typ[o], cid[o]
    cc, ct = c_codes[c_rows], c_all[c_rows]
    lo_c, hi_c, occ = conversion_windows(idx, cc, ct, typ, cid, look)
    nc, lo_n, hi_n, last_n = open_windows(idx, len(units), cc, start, end, look)
    del idx, t_ts, t_codes  # touch-long arrays not used below: freed before the tables are cut

    # all journeys, ordered by unit then end time
    n_c = len(cc)
    code = np.concatenate([cc, nc])
    conv = np.arange(len(code)) < n_c
    end_ts = np.concatenate([ct, last_n])
    typ = np.concatenate([typ, np.full(len(nc), len(type_names))])
    occ = np.concatenate([occ, np.zeros(len(nc), dtype=np.int64)])
    jo = unit_time_order(units.sort_key(code), len(units), end_ts, typ, occ)
    code, conv, end_ts, typ, occ = code[jo], conv[jo], end_ts[jo], typ[jo], occ[jo]
    lo = np.concatenate([lo_c, lo_n])[jo]
    hi = np.concatenate([hi_c, hi_n])[jo]
    crow = np.concatenate([c_rows, np.full(len(nc), -1)])[jo]
    n_j = len(code)

    # expand journeys to their touches
    lengths = hi - lo
    offsets = np.zeros(n_j + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    jid = np.repeat(np.arange(n_j), lengths)
    at = np.repeat(lo - offsets[:-1], lengths)  # sorted position - output position
    at += np.arange(offsets[-1])
    src = orig[at]  # input rows of the touches
    selection = RowSelection(src, len(touchpoints))  # the rows taken, for take_coded
    excl.add_count("touchpoints", "outside every journey window", len(orig) - selection.distinct())
    del orig
    if level_col == CHANNEL:  # few distinct values: coded once, strings from the codes
        level_txt, lab, lab_names = take_coded(touchpoints[level_col], src, UNASSIGNED, selection)
    elif few_distinct(touchpoints[level_col], src):  # codes only compared (collapse_repeats)
        level_txt, lab, lab_names = take_coded(touchpoints[level_col], src, NOT_SET, selection)
    else:
        level_txt = take_text(touchpoints[level_col], src)
        lab, lab_names = text_codes(level_txt, NOT_SET)
    if collapse_repeats and len(lab):
        k = np.ones(len(lab), dtype=bool)
        k[1:] = (lab[1:] != lab[:-1]) | (jid[1:] != jid[:-1])
        src, lab, jid, at = src[k], lab[k], jid[k], at[k]
        level_txt = level_txt.filter(pa.array(k))
        lengths = np.bincount(jid, minlength=n_j)
        np.cumsum(lengths, out=offsets[1:])
        selection = RowSelection(src, len(touchpoints))
    n_t = len(src)
    t_touch = t_all[src]
    del at

    # journey ids: hash of the natural key (computed while the touch columns are taken)
    unit_txt = units.ids.take(pa.array(code))
    type_txt = pa.array([*map(str, type_names), "(none)"], type=pa.large_string())
    cid_j = cid_txt.take(pa.array(crow, mask=~conv)) if has_cid else pa.nulls(n_j, pa.string())
    id_args = (unit, unit_txt, type_txt.take(typ), end_ts, cid_j, occ, conv)

    # touches table
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

    pool = ThreadPoolExecutor(max_workers=2)  # the ids are waited for once both tables are cut
    try:
        hashed = pool.submit(journey_ids, *id_args)
        text = dict(zip(_TOUCH_TEXT, pool.map(_take, _TOUCH_TEXT), strict=True))
    finally:
        pool.shutdown(wait=False)
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

    # journeys table
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
    journey_cols = {
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
    known = unit_table(
        conversions, attributes, touchpoints, keep, t_all, unit, units, c_known, c_all
    )
    ids = hashed.result()
    touch_cols[JOURNEY_ID] = _series(fixed_width_strings(np.repeat(hex_id_bytes(ids), lengths)))
    # ``copy=False``: the fresh columns are used as they are, not stacked into 2-D blocks
    touches = pd.DataFrame({c: touch_cols[c] for c in JOURNEY_TOUCHES.names}, copy=False)
    journey_cols[JOURNEY_ID] = _series(ids)
    journeys = pd.DataFrame(journey_cols, copy=False)
    journeys = attach_attributes(journeys, known, conversions, attributes, code, crow, unit)
    journeys = add_stage_times_coded(journeys, conversions, units.conversions, code, len(units))
    labels = [(touches[CHANNEL], ch, list(ch_names))]
    vouch(
        journeys[JOURNEY_ID],
        touches[JOURNEY_ID],
        lengths,
        labels + [(touches[c], k, n) for c, k, n in coded],
    )
    return JourneySet(journeys, touches, excl.frame(), settings)


def journeys_from_config(
    touchpoints: pd.DataFrame, conversions: pd.DataFrame, config: JourneyConfig, **kwargs: Any
) -> JourneySet:
    """:func:`build_journeys` with the settings of a ``[journeys]`` config section.

    ``kwargs`` go to :func:`build_journeys` (``period``, ``attributes``).
    """
    return build_journeys(touchpoints, conversions, **dataclasses.asdict(config), **kwargs)


def touch_journey_index(touches: pd.DataFrame, journeys: pd.DataFrame) -> np.ndarray:
    """Row position in ``journeys`` of each touch's journey (-1 when not there)."""
    return pd.Index(journeys[JOURNEY_ID]).get_indexer(touches[JOURNEY_ID])


def paths_from_touches(
    touches: pd.DataFrame, journeys: pd.DataFrame, *, label_col: str = "label"
) -> pd.Series:
    """Join the touches' labels per journey into paths, aligned with ``journeys``.

    Touches are ordered by ``position`` within each journey; journeys without
    touches get ``"(no touch)"``; missing labels read ``"(not set)"``.
    """
    j = touch_journey_index(touches, journeys)
    valid = np.flatnonzero(j >= 0)
    order = valid[np.lexsort((touches["position"].to_numpy()[valid], j[valid]))]
    lengths = np.bincount(j[order], minlength=len(journeys))
    offsets = np.zeros(len(journeys) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    labels = pc.fill_null(_text(touches[label_col]).take(pa.array(order)), NOT_SET)
    path = _join_paths(offsets, labels.combine_chunks())
    return pd.Series(_series(path).to_numpy(), index=journeys.index, name="path", dtype="string")
