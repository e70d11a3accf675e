"""Stage times of journeys: when the unit became a lead and an opportunity.

:func:`~workbench.journeys.build.build_journeys` adds them to every journey, so the
W-shaped model finds the lead-creation and opportunity-creation touches the same
way for journeys built by a notebook, by ``workbench attribute`` or directly.
"""

from __future__ import annotations

import pandas as pd

from workbench.schema import ACCOUNT_ID, CONVERSION_TYPE, PERSON_ID, TS

__all__ = ["STAGE_COLUMNS", "add_stage_times"]

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


def _missing_times(index: pd.Index) -> pd.Series:
    """An all-missing UTC timestamp column."""
    return pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
