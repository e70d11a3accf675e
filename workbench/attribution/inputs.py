"""Attribution inputs: journey tables (or aggregated paths) -> compact integer-coded paths.

Every model in :mod:`workbench.attribution` works on one structure, :class:`Paths`: the
touches of all paths as one integer array of channel codes in CSR layout (``codes`` plus
``offsets``), with per-path weights ``conversions`` / ``nulls`` (non-converting count) /
``value``. Two readers build it:

:func:`paths_from_journeys`
    From the ``journeys`` and ``journey_touches`` tables (:mod:`workbench.schema`). One
    path per journey; ``conversions`` is 1 for a converted journey and 0 otherwise,
    ``nulls`` the complement. Journeys without any touch cannot be credited to a channel;
    they are kept out of the paths, listed in :attr:`Paths.dropped` with a reason (hand
    it to the quarantine) and announced by a ``UserWarning`` when they converted; every
    model credits their conversions to ``"(no known touch)"`` (:data:`NO_KNOWN_TOUCH`).
    For the tables :func:`~workbench.journeys.build.build_journeys` returned, the facts
    it knows about their strings (distinct journey ids, each touch's journey, the codes
    of channel and touch type; :mod:`workbench.journeys.handover`) are taken instead of
    hashing the strings again; an edited, filtered or reloaded table is validated fully.
:func:`~workbench.attribution.aggregated.paths_from_aggregated`
    From the path-aggregated interchange table of ChannelAttribution and fractribution:
    one row per path string (channels joined by ``sep``, default ``" > "``) with total
    conversions, total conversion value and total nulls. Column names are options
    (defaults ``path``, ``total_conversions``, ``total_conversion_value``, ``total_null``).
    Aggregated paths carry no timestamps, so ``time_decay`` and ``w_shaped`` refuse them.

Days before conversion (time decay)
    ``(conversion_ts - ts)`` in days, from the touch ``ts`` and the journey
    ``conversion_ts``; where either is missing the ``days_to_conversion`` column of the
    touches is used if present. A touch after its journey's conversion is an error.

Lead / opportunity touches (W-shaped)
    For each journey, the *lead-creation touch* is the last touch at or before the
    journey's ``lead_ts`` (optional journeys column) and the *opportunity-creation touch*
    the last touch at or before ``opportunity_ts``. Journeys without those timestamps use
    marker touch types instead: the first touch whose ``touch_type`` is in
    ``lead_touch_types`` (default ``form_submit``) / ``opportunity_touch_types`` (default
    ``demo``). Journeys where either marker cannot be found get ``-1`` and the W-shaped
    model falls back to position-based weights for them.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from functools import cached_property

import numpy as np
import pandas as pd

from workbench.attribution._helpers import (
    _NS_PER_DAY,
    _covariates,
    _days_before,
    _duplicated,
    _examples,
    _exposure_days,
    _marker_index,
    _missing_columns,
    _numeric,
    _path_order,
    _row_of,
    _sorted_codes,
    _strata,
    _utc_ns,
)
from workbench.errors import ValidationError
from workbench.schema import (
    CHANNEL,
    JOURNEY_ID,
    JOURNEY_TOUCHES,
    JOURNEYS,
    TOUCH_TYPE,
    TS,
    VALUE,
)

__all__ = [
    "CONVERSION_TS",
    "CONVERTED",
    "DAYS_TO_CONVERSION",
    "DEFAULT_SEP",
    "NO_KNOWN_TOUCH",
    "POSITION",
    "TOUCHLESS_WARNING",
    "Paths",
    "paths_from_journeys",
    "touch_days_before",
]

#: Channel credited with the conversions of journeys without any known touch.
NO_KNOWN_TOUCH = "(no known touch)"

#: Start of the warning for converted journeys without touches (a ``warnings`` filter regex).
TOUCHLESS_WARNING = r"\d+ converted journey\(s\) have no touches"

#: Column names of the journey tables, taken from the schema (never re-spelled).
POSITION = JOURNEY_TOUCHES["position"].name
DAYS_TO_CONVERSION = JOURNEY_TOUCHES["days_to_conversion"].name
CONVERTED = JOURNEYS["converted"].name
CONVERSION_TS = JOURNEYS["conversion_ts"].name
#: Default separator of path strings (ChannelAttribution and fractribution use it).
DEFAULT_SEP = " > "


@dataclasses.dataclass(frozen=True, eq=False)
class Paths:
    """Integer-coded paths in CSR layout, the common input of every model.

    Attributes
    ----------
    channels
        Channel names, sorted; ``codes`` index into it.
    codes
        Channel code of every touch, paths concatenated (int32).
    offsets
        Path ``i`` is ``codes[offsets[i]:offsets[i + 1]]`` (int64, length ``n_paths + 1``).
        Every path has at least one touch.
    conversions, nulls, value
        Per path: conversions, non-converting count and conversion value (float64).
    ids
        Per path: the journey id, or the path string for aggregated input.
    positions
        Per touch: the ``position`` of the touch in its journey (index in the path for
        aggregated input).
    days_before
        Per touch: days from the touch to the conversion (NaN where unknown), or ``None``
        when the input has no timestamps.
    lead_index, opportunity_index
        Per path: 0-based index in the path of the lead- / opportunity-creation touch,
        ``-1`` when unknown; ``None`` for aggregated input.
    source
        ``"journeys"`` or ``"aggregated"``.
    dropped
        Journeys that could not become paths: columns ``journey_id, reason``.
    touchless_conversions, touchless_value
        Conversions (and their value) of the dropped converted journeys: every model
        credits them to :data:`NO_KNOWN_TOUCH`, so credits sum to the conversions counted.
    strata, strata_names
        Per path: the code of its journey's stratum (``strata`` option of
        :func:`paths_from_journeys`) into ``strata_names``; ``None`` / ``()`` without one.
    exposure_days
        Per path: days from its first touch to the end of the observation (see
        :func:`paths_from_journeys`), how long the journey could convert, fixed when it
        starts; ``None`` without timestamps.
    covariates, covariate_names
        Per path: indicator columns of its journey's ``covariates`` (option of
        :func:`paths_from_journeys`), one per value but the most common of each column,
        named ``"COLUMN=VALUE"``; ``None`` / ``()`` without any.
    """

    channels: tuple[str, ...]
    codes: np.ndarray
    offsets: np.ndarray
    conversions: np.ndarray
    nulls: np.ndarray
    value: np.ndarray
    ids: np.ndarray
    positions: np.ndarray
    days_before: np.ndarray | None = None
    lead_index: np.ndarray | None = None
    opportunity_index: np.ndarray | None = None
    source: str = "journeys"
    dropped: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame({JOURNEY_ID: [], "reason": []}, dtype=object)
    )
    touchless_conversions: float = 0.0
    touchless_value: float = 0.0
    strata: np.ndarray | None = None
    strata_names: tuple[str, ...] = ()
    exposure_days: np.ndarray | None = None
    covariates: np.ndarray | None = None
    covariate_names: tuple[str, ...] = ()

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return len(self.offsets) - 1

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return len(self.channels)

    @cached_property
    def lengths(self) -> np.ndarray:
        """Touches per path."""
        return np.diff(self.offsets)

    @cached_property
    def path_of_touch(self) -> np.ndarray:
        """Path index of every touch."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths)

    @cached_property
    def index_in_path(self) -> np.ndarray:
        """0-based index of every touch within its path."""
        return np.arange(len(self.codes), dtype=np.int64) - self.offsets[self.path_of_touch]

    @cached_property
    def converting(self) -> tuple[Paths, np.ndarray]:
        """The paths with conversions (``self`` when all convert) and their indices."""
        mask = self.conversions > 0
        if mask.all():
            return self, np.arange(self.n_paths)
        return self.subset(mask), np.flatnonzero(mask)

    @property
    def starts(self) -> np.ndarray:
        """Index of the first touch of every path."""
        return self.offsets[:-1]

    def with_weights(self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray) -> Paths:
        """The same paths with other per-path weights (used by the bootstrap)."""
        return dataclasses.replace(
            self,
            conversions=np.asarray(conversions, dtype=np.float64),
            nulls=np.asarray(nulls, dtype=np.float64),
            value=np.asarray(value, dtype=np.float64),
        )

    def subset(self, path_mask: np.ndarray) -> Paths:
        """Only the paths where ``path_mask`` is true (channel list unchanged)."""
        keep = np.asarray(path_mask, dtype=bool)
        return self.take(np.flatnonzero(keep), np.repeat(keep, self.lengths))

    def take(self, rows: np.ndarray, touch_keep: np.ndarray) -> Paths:
        """The paths ``rows`` (ascending indices) with only their touches where ``touch_keep``.

        ``touch_keep`` is a mask over every touch; touches of paths not in ``rows``
        must be false. Per-path arrays are taken at ``rows``, per-touch arrays at
        ``touch_keep`` (channel list unchanged).
        """
        rows = np.asarray(rows, dtype=np.int64)
        touch_keep = np.asarray(touch_keep, dtype=bool)
        lengths = np.bincount(self.path_of_touch[touch_keep], minlength=self.n_paths)[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])

        def per_path(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[rows]

        def per_touch(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[touch_keep]

        return dataclasses.replace(
            self,
            codes=self.codes[touch_keep],
            offsets=offsets,
            conversions=self.conversions[rows],
            nulls=self.nulls[rows],
            value=self.value[rows],
            ids=self.ids[rows],
            positions=self.positions[touch_keep],
            days_before=per_touch(self.days_before),
            lead_index=per_path(self.lead_index),
            opportunity_index=per_path(self.opportunity_index),
            strata=per_path(self.strata),
            exposure_days=per_path(self.exposure_days),
            covariates=per_path(self.covariates),
        )

    def channel_names(self, codes: np.ndarray) -> np.ndarray:
        """Channel names for an array of codes."""
        return np.asarray(self.channels, dtype=object)[codes]


# --- helpers -------------------------------------------------------------------


def touch_days_before(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    *,
    journey_id: str = JOURNEY_ID,
    ts: str = TS,
    conversion_ts: str = CONVERSION_TS,
    days_to_conversion: str = DAYS_TO_CONVERSION,
) -> np.ndarray:
    """Days from each touch (row of ``touches``) to its journey's conversion.

    From ``ts`` and the journey's ``conversion_ts``; where either is missing, from the
    ``days_to_conversion`` column when present; NaN otherwise (e.g. unknown journey).
    """
    days = np.full(len(touches), np.nan)
    if ts in touches.columns and conversion_ts in journeys.columns:
        conv = pd.Series(_utc_ns(journeys[conversion_ts]), index=journeys[journey_id].to_numpy())
        conv = conv[~conv.index.duplicated()]
        at = conv.reindex(touches[journey_id].to_numpy()).to_numpy(dtype=np.float64)
        days = (at - _utc_ns(touches[ts])) / _NS_PER_DAY
    if days_to_conversion in touches.columns:
        fallback = pd.to_numeric(touches[days_to_conversion], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        days = np.where(np.isnan(days), fallback, days)
    return days


# --- journeys ------------------------------------------------------------------


def paths_from_journeys(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    *,
    journey_id: str = JOURNEY_ID,
    position: str = POSITION,
    channel: str = CHANNEL,
    ts: str = TS,
    touch_type: str = TOUCH_TYPE,
    days_to_conversion: str = DAYS_TO_CONVERSION,
    converted: str = CONVERTED,
    value: str = VALUE,
    conversion_ts: str = CONVERSION_TS,
    lead_ts: str = "lead_ts",
    opportunity_ts: str = "opportunity_ts",
    lead_touch_types: Sequence[str] = ("form_submit",),
    opportunity_touch_types: Sequence[str] = ("demo",),
    strata: str = "",
    covariates: Sequence[str] = (),
    observation_end: str = "",
) -> Paths:
    """Build :class:`Paths` from the journey tables.

    Parameters
    ----------
    touches
        ``journey_touches``: one row per touch (``journey_id``, ``position``, ``channel``;
        ``ts``, ``touch_type``, ``days_to_conversion`` optional).
    journeys
        ``journeys``: one row per journey (``journey_id``, ``converted``, ``value``;
        ``conversion_ts``, ``lead_ts``, ``opportunity_ts`` optional).
    journey_id, position, channel, ts, touch_type, days_to_conversion, converted, value, \
conversion_ts, lead_ts, opportunity_ts
        Column names.
    lead_touch_types, opportunity_touch_types
        Marker touch types for W-shaped when the journey has no ``lead_ts`` /
        ``opportunity_ts`` (see the module docstring).
    strata
        Optional ``journeys`` column whose values split the journeys into strata for
        the models that fit one effect per stratum (``incrementality``); a missing
        value is its own stratum, ``"(missing)"``. "" for none.
    covariates
        ``journeys`` columns known when the journey starts (country or device of the
        first session, first landing page, company size), each a category, for the
        models that control for them (``incrementality``): :attr:`Paths.covariates`.
        A missing value is its own category, ``"(missing)"``.
    observation_end
        End of the observation (an ISO timestamp, naive = UTC) for
        :attr:`Paths.exposure_days`; "" (default): the latest touch or conversion in the
        tables.

    Raises
    ------
    ValidationError
        Listing every problem: missing columns, duplicate journeys or positions, touches
        of unknown journeys, missing channels, non-boolean ``converted``, missing or
        negative values, touches after the conversion.
    """
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    problems = _missing_columns(touches, "journey_touches", [journey_id, position, channel])
    problems += _missing_columns(
        journeys,
        "journeys",
        [journey_id, converted, value, *([strata] if strata else []), *covariates],
    )
    if problems:
        raise ValidationError(problems)
    conv, val, t_j, codes_all, uniques, pos = _validated(
        touches, journeys, (journey_id, position, channel, converted, value)
    )
    order = _path_order(touches, t_j, pos, journey_id, position, channel)

    def take(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    codes, t_j, pos = take(codes_all.astype(np.int32)), take(t_j), take(pos)
    counts = np.bincount(t_j, minlength=len(journeys))
    has = counts > 0
    offsets = np.zeros(int(has.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[has], out=offsets[1:])
    ids_all = journeys[journey_id].to_numpy(dtype=object)
    dropped = _dropped(ids_all, conv, val, ~has)
    t_ns = take(_utc_ns(touches[ts])) if ts in touches.columns else None  # parsed once
    day_cols = (journey_id, position, ts, days_to_conversion, conversion_ts)
    days = _days_before(touches, journeys, t_j, t_ns, conv, take, order, day_cols)
    starts = offsets[:-1]
    index_in_path = np.arange(len(codes), dtype=np.int64) - np.repeat(starts, counts[has])
    path_of = (t_j, take, t_ns, starts, index_in_path)  # where each touch sits in its path
    lead_idx = _marker_index(touches, journeys, lead_ts, ts, touch_type, lead_touch_types, *path_of)
    opp_idx = _marker_index(
        touches, journeys, opportunity_ts, ts, touch_type, opportunity_touch_types, *path_of
    )
    empty = ~has
    return Paths(
        channels=tuple(str(c) for c in uniques),
        codes=codes,
        offsets=offsets,
        conversions=conv[has],
        nulls=1.0 - conv[has],
        value=val[has],
        ids=ids_all[has],
        positions=pos,
        days_before=days,
        lead_index=None if lead_idx is None else lead_idx[has],
        opportunity_index=None if opp_idx is None else opp_idx[has],
        source="journeys",
        dropped=dropped,
        touchless_conversions=float(conv[empty].sum()),
        touchless_value=float(val[empty][conv[empty] > 0].sum()),
        **_strata(journeys, strata, has),
        **_covariates(journeys, covariates, has),
        exposure_days=_exposure_days(journeys, conversion_ts, t_ns, starts, observation_end),
    )


def _validated(
    touches: pd.DataFrame, journeys: pd.DataFrame, cols: tuple[str, str, str, str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Check the tables; every problem found is raised at once as a ``ValidationError``.

    ``cols``: the journey id, position, channel, converted and value column names.
    Returns, per journey, converted (0/1) and value; per touch (row order), its
    journey's row, channel code into the sorted channel names, the names, and position.
    """
    journey_id, position, channel, converted, value = cols
    problems: list[str] = []
    dup = _duplicated(journeys[journey_id])
    if dup.any():
        problems.append(
            f"journeys: {journey_id!r} must be unique; duplicates: "
            f"{_examples(journeys, dup, [journey_id])}"
        )
    conv, val = _journey_weights(journeys, journey_id, converted, value, problems)
    t_j = None if dup.any() else _touch_journeys(touches, journeys, journey_id, position, problems)
    codes, uniques = _channel_codes(touches, journey_id, position, channel, problems)
    pos = _positions(touches, journey_id, position, problems)
    if problems or t_j is None:  # (no t_j: duplicate journey ids, a problem)
        raise ValidationError(problems)
    return conv, val, t_j, codes, uniques, pos


def _journey_weights(
    journeys: pd.DataFrame, journey_id: str, converted: str, value: str, problems: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per journey: converted as 0/1 and value (float64); problems appended to ``problems``."""
    conv_col = journeys[converted]
    if pd.api.types.is_bool_dtype(conv_col) and not conv_col.isna().any():
        conv_num = conv_col.astype(np.float64)
    else:
        conv_num = pd.to_numeric(conv_col.astype("object"), errors="coerce")
    bad_conv = ~conv_num.isin([0, 1]).to_numpy()
    if bad_conv.any():
        problems.append(
            f"journeys: column {converted!r} must be true/false; got "
            f"{_examples(journeys, bad_conv, [journey_id, converted])}"
        )
    conv = np.where(bad_conv, 0.0, conv_num.fillna(0).to_numpy(dtype=np.float64))
    val = _numeric(journeys, value, "journeys", problems)
    nonzero_null = (conv == 0) & (val != 0)
    if nonzero_null.any():
        problems.append(
            f"journeys: column {value!r} must be 0 for journeys that did not convert; got "
            f"{_examples(journeys, nonzero_null, [journey_id, converted, value])}"
        )
    return conv, val


def _touch_journeys(
    touches: pd.DataFrame,
    journeys: pd.DataFrame,
    journey_id: str,
    position: str,
    problems: list[str],
) -> np.ndarray:
    """Row in ``journeys`` of every touch's journey (-1: unknown, a problem)."""
    counts = journeys["n_touches"] if "n_touches" in journeys.columns else None
    t_j = _row_of(journeys[journey_id], touches[journey_id], counts)
    unknown = t_j < 0
    if unknown.any():
        problems.append(
            f"journey_touches: {journey_id!r} not found in journeys: "
            f"{_examples(touches, unknown, [journey_id, position])}"
        )
    return t_j


def _channel_codes(
    touches: pd.DataFrame, journey_id: str, position: str, channel: str, problems: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Codes of the touches' channels into the sorted channel names; blank/missing: a problem."""
    codes, uniques = _sorted_codes(touches[channel])
    blank = pd.Series(uniques).str.strip().str.len().to_numpy() == 0  # checked once per name
    bad_chan = (codes < 0) | np.append(blank, False)[codes]
    if bad_chan.any():
        problems.append(
            f"journey_touches: column {channel!r} must be a non-empty channel name; got "
            f"{_examples(touches, bad_chan, [journey_id, position, channel])}"
        )
    return codes, uniques


def _positions(
    touches: pd.DataFrame, journey_id: str, position: str, problems: list[str]
) -> np.ndarray:
    """The touches' positions as int64; a missing or fractional one: a problem."""
    pos_col = touches[position]
    if pos_col.dtype.kind == "i" and isinstance(pos_col.dtype, np.dtype):  # whole, none missing
        return pos_col.to_numpy().astype(np.int64)
    pos_arr = pd.to_numeric(pos_col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.nan_to_num(pos_arr)
    bad_pos = ~np.isfinite(pos_arr) | (finite != np.round(finite))
    if bad_pos.any():
        problems.append(
            f"journey_touches: column {position!r} must be an integer; got "
            f"{_examples(touches, bad_pos, [journey_id, position])}"
        )
        return pos_arr  # (not used: the problems are raised)
    return pos_arr.astype(np.int64)


def _dropped(ids: np.ndarray, conv: np.ndarray, val: np.ndarray, empty: np.ndarray) -> pd.DataFrame:
    """:attr:`Paths.dropped` of the journeys without touches; warns when some converted."""
    dropped = pd.DataFrame(
        {
            JOURNEY_ID: ids[empty],
            "reason": np.where(
                conv[empty] > 0,
                "converted journey without touches: no channel to credit",
                "journey without touches",
            ),
        }
    )
    lost = conv[empty] > 0
    if lost.any():  # message matched by TOUCHLESS_WARNING
        warnings.warn(
            f"{int(lost.sum())} converted journey(s) have no touches: credited to "
            f"{NO_KNOWN_TOUCH!r} (value {val[empty][lost].sum():g}); listed in Paths.dropped",
            UserWarning,
            stacklevel=3,  # the caller of paths_from_journeys
        )
    return dropped
