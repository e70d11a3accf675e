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
from workbench.journeys._phases import (
    _TOUCH_TEXT,
    _US_PER_DAY,
    NO_TOUCH,
    NOT_SET,
    PATH_SEP,
    UNASSIGNED,
    _Excluded,
    _join_paths,
    _series,
    _text,
    column_taker,
    expand,
    first_of_runs,
    journey_columns,
    journey_order,
    journey_windows,
    key_columns,
    level_labels,
    select_rows,
    tables,
    touch_columns,
)
from workbench.journeys.codes import RowSelection, unit_codes
from workbench.journeys.handover import vouch
from workbench.journeys.index import KEY_BITS as _KEY_BITS  # read per call: tests coarsen it
from workbench.journeys.index import journey_ids, period_us
from workbench.journeys.stages import add_stage_times_coded
from workbench.journeys.unit_attributes import attach_attributes, unit_table
from workbench.schema import (
    ACCOUNT_ID,
    CAMPAIGN,
    CHANNEL,
    CONVERSION_TYPE,
    JOURNEY_ID,
    PERSON_ID,
    PLATFORM,
    TOUCH_TYPE,
    TS,
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

#: Touch column behind each ``path_level``.
LEVEL_COLUMNS: dict[str, str] = {
    "channel": CHANNEL,
    "platform": PLATFORM,
    "campaign": CAMPAIGN,
    "touch_type": TOUCH_TYPE,
}

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
    # integer unit codes (a categorical unit column is used as it is), rows by position
    units = unit_codes(touchpoints[unit_col], conversions[unit_col])
    keep, t_all, ckeep, c_all, c_known = select_rows(
        touchpoints, conversions, unit_col, units, touch_types, conversion_types, start, end,
        look, excl,
    )  # fmt: skip
    orig, c_rows, type_names, cid_txt, converting, open_ = journey_windows(
        conversions, units, keep, t_all, ckeep, c_all, start, end, look, _KEY_BITS
    )
    code, conv, end_ts, typ, occ, lo, hi, crow = journey_order(
        units, len(type_names), c_rows, converting, open_
    )
    n_j = len(code)
    lengths, offsets, jid, src, selection = expand(orig, lo, hi, len(touchpoints), excl)
    del orig
    level_txt, lab, lab_names = level_labels(touchpoints[level_col], level_col, src, selection)
    if collapse_repeats and len(lab):
        k = first_of_runs(lab, jid)
        src, lab, jid = src[k], lab[k], jid[k]
        level_txt = level_txt.filter(pa.array(k))
        lengths = np.bincount(jid, minlength=n_j)
        np.cumsum(lengths, out=offsets[1:])
        selection = RowSelection(src, len(touchpoints))
    t_touch = t_all[src]

    # journey ids: hash of the natural key (computed while the touch columns are taken)
    unit_txt, type_txt, cid_j = key_columns(units, code, type_names, cid_txt, crow, conv)
    id_args = (unit, unit_txt, type_txt.take(typ), end_ts, cid_j, occ, conv)
    take, coded = column_taker(touchpoints, level_col, level_txt, src, selection)
    pool = ThreadPoolExecutor(max_workers=2)  # the ids are waited for once both tables are cut
    try:
        hashed = pool.submit(journey_ids, *id_args)
        text = dict(zip(_TOUCH_TEXT, pool.map(take, _TOUCH_TEXT), strict=True))
    finally:
        pool.shutdown(wait=False)
    touch_cols, ch, ch_names, label = touch_columns(
        text, level_col, level_txt, lab, lab_names, offsets, jid, end_ts, t_touch
    )
    journey_cols = journey_columns(
        conversions, unit_txt, type_txt, cid_j, conv, typ, end_ts, crow, lengths, offsets, jid,
        t_touch, ch, ch_names, label,
    )  # fmt: skip
    known = unit_table(
        conversions, attributes, touchpoints, keep, t_all, unit, units, c_known, c_all
    )
    touches, journeys = tables(touch_cols, journey_cols, hashed.result(), lengths)
    journeys = attach_attributes(journeys, known, conversions, attributes, code, crow, unit)
    journeys = add_stage_times_coded(journeys, conversions, units.conversions, code, len(units))
    labels: list[tuple[pd.Series, np.ndarray, list[str | None]]] = [
        (touches[CHANNEL], ch, list(ch_names))
    ]
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
