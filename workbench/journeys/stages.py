"""Stage times of journeys: when the unit became a lead and an opportunity.

:func:`~workbench.journeys.build.build_journeys` adds them to every journey, so the
W-shaped model finds the lead-creation and opportunity-creation touches the same
way for journeys built by a notebook, by ``workbench attribute`` or directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.schema import ACCOUNT_ID, CONVERSION_TYPE, PERSON_ID, TS

__all__ = ["STAGE_COLUMNS", "add_stage_times", "add_stage_times_coded"]

#: Journey columns holding when the unit became a lead / an opportunity (for W-shaped).
STAGE_COLUMNS: dict[str, str] = {"lead": "lead_ts", "opportunity": "opportunity_ts"}


def add_stage_times(
    journeys: pd.DataFrame, conversions: pd.DataFrame, *, unit: str = "person"
) -> pd.DataFrame:
    """Add ``lead_ts`` and ``opportunity_ts`` to ``journeys``.

    Each is the unit's first ``lead`` / ``opportunity`` conversion at or before the
    journey's conversion, missing otherwise (also for non-converting journeys).

    Parameters
    ----------
    journeys
        Journeys with ``person_id`` (the unit's id) and ``conversion_ts``.
    conversions
        Canonical conversions with ``conversion_type``, ``ts`` and the unit column.
    unit
        ``"person"`` or ``"account"``: which conversion column holds the unit id.

    Returns
    -------
    DataFrame
        ``journeys`` with the two UTC timestamp columns added.
    """
    unit_col = ACCOUNT_ID if unit == "account" else PERSON_ID
    out = journeys
    for conversion_type, column in STAGE_COLUMNS.items():
        rows = conversions[conversions[CONVERSION_TYPE] == conversion_type]
        first = rows.groupby(unit_col, observed=True)[TS].min().dropna()
        if first.empty:  # no lead/opportunity at all (GA4-only, web-only projects)
            out = out.assign(**{column: _missing_times(out.index)})
            continue
        first.index = first.index.astype("string")
        stamp = pd.to_datetime(out[PERSON_ID].astype("string").map(first), utc=True)
        late = stamp > out["conversion_ts"]
        out = out.assign(**{column: stamp.mask(late.fillna(True))})
    return out


def add_stage_times_coded(
    journeys: pd.DataFrame,
    conversions: pd.DataFrame,
    conversion_units: np.ndarray,
    journey_units: np.ndarray,
    n_units: int,
) -> pd.DataFrame:
    """:func:`add_stage_times` with the units given as integer codes.

    The same columns and values, without grouping or mapping unit-id strings:
    :func:`~workbench.journeys.build.build_journeys` has the codes at hand.

    Parameters
    ----------
    journeys
        Journeys with ``conversion_ts``.
    conversions
        Canonical conversions with ``conversion_type`` and ``ts``.
    conversion_units, journey_units
        Unit code of every conversion row (``-1`` when missing) and of every journey.
    n_units
        Number of unit codes.
    """
    unit = conversions[TS].dtype.unit
    raw = conversions[TS].to_numpy(dtype=f"datetime64[{unit}]")  # UTC, no copy
    us = raw.view(np.int64)
    known = (conversion_units >= 0) & ~np.isnat(raw)
    types = conversions[CONVERSION_TYPE]
    none = np.iinfo(np.int64).max
    out = journeys
    for conversion_type, column in STAGE_COLUMNS.items():
        rows = known & (types == conversion_type).to_numpy(dtype=bool, na_value=False)
        if not rows.any():  # no lead/opportunity at all (GA4-only, web-only projects)
            out = out.assign(**{column: _missing_times(out.index)})
            continue
        first = np.full(n_units, none, dtype=np.int64)
        np.minimum.at(first, conversion_units[rows], us[rows])
        at = first[journey_units]
        at = np.where(at == none, np.iinfo(np.int64).min, at)  # the int64 value of NaT
        stamp = pd.Series(at.view(f"datetime64[{unit}]"), index=out.index).dt.tz_localize("UTC")
        out = out.assign(**{column: stamp.mask(stamp > out["conversion_ts"])})
    return out


def _missing_times(index: pd.Index) -> pd.Series:
    """An all-missing UTC timestamp column."""
    return pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
