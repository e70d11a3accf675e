"""Checks against silent corruption shared by the readers: times, epoch units, date orders.

* :func:`plausible_rows` quarantines rows dated before the source's
  ``min_date`` (default ``[project] min_date`` = 2005-01-01) or more than
  ``max_future_days`` (default 1) after now, each with its own reason;
  :func:`workbench.ingest.readers._common.finish` runs it on every table of every
  reader, so no reader can let a 1970 or 2100 date through.
* :func:`epoch_unit_problems` finds epoch numbers in the wrong unit (GA4's
  ``event_timestamp`` is microseconds; seconds or milliseconds would be
  dated 1970) and placeholders (0, -1).
* :func:`check_day_month_order` raises when a date column without
  ``ts_format`` holds values that only parse under different day/month
  orders (``05/01/2026`` and ``13/01/2026``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.config import SourceConfig
from workbench.errors import ValidationError
from workbench.ingest.quarantine import Quarantine
from workbench.schema import SOURCE_FILE, SOURCE_ROW

__all__ = [
    "REASON_BEFORE_MIN_DATE",
    "REASON_EPOCH_PLACEHOLDER",
    "REASON_EPOCH_UNIT",
    "REASON_FUTURE",
    "check_day_month_order",
    "epoch_unit_problems",
    "plausible_mask",
    "plausible_rows",
    "time_window",
]

#: Quarantine reason of a timestamp before the plausible floor.
REASON_BEFORE_MIN_DATE = "timestamp before min_date"
#: Quarantine reason of a timestamp too far in the future.
REASON_FUTURE = "timestamp in the future (beyond max_future_days)"
#: Quarantine reason of an epoch number in seconds or milliseconds where microseconds are due.
REASON_EPOCH_UNIT = "event_timestamp not in microseconds"
#: Quarantine reason of an epoch number of 0 or below (a placeholder).
REASON_EPOCH_PLACEHOLDER = "event_timestamp 0 or negative"

# microsecond epochs of plausible times are ~1e15; seconds ~1e9, milliseconds ~1e12, ns ~1e18
_UNIT_BOUNDS = ((1e8, 1e11, "seconds"), (1e11, 1e14, "milliseconds"), (1e17, 1e20, "nanoseconds"))
_SLASH_DATE = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:\D.*)?"


def time_window(
    source: SourceConfig, now: pd.Timestamp | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(floor, ceiling)`` in UTC: the source's ``min_date`` and now + ``max_future_days``."""
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if now.tzinfo is None:
        now = now.tz_localize("UTC")
    floor = pd.Timestamp(source.min_date, tz="UTC")
    return floor, now + pd.Timedelta(days=source.max_future_days)


def plausible_rows(
    frame: pd.DataFrame,
    column: str,
    source: SourceConfig,
    quarantine: Quarantine,
    *,
    now: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """``frame`` without rows whose ``column`` lies outside the plausible window.

    Rows before ``min_date`` and rows after now + ``max_future_days`` are
    quarantined, each with its own reason and the offending time as value.
    Missing times are left to the caller's rules.
    """
    ok = plausible_mask(frame, column, source, quarantine, now=now)
    return frame if ok.all() else frame.loc[ok]


def plausible_mask(
    frame: pd.DataFrame,
    column: str,
    source: SourceConfig,
    quarantine: Quarantine,
    *,
    now: pd.Timestamp | None = None,
    keep: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`plausible_rows` without the filtering: the mask of the rows kept.

    Only the rows selected by ``keep`` (all when ``None``) are judged, so rows an
    earlier rule already quarantined are not quarantined twice; the result is
    ``keep`` without the implausible rows.
    """
    ok = np.ones(len(frame), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    if column not in frame.columns or not len(frame):
        return ok
    floor, ceiling = time_window(source, now)
    times = pd.to_datetime(frame[column], errors="coerce")
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("UTC")
    else:  # a date column (spend): naive days
        floor, ceiling = floor.tz_localize(None), ceiling.tz_localize(None)
    early = (times < floor).fillna(False).to_numpy(dtype=bool) & ok
    late = (times > ceiling).fillna(False).to_numpy(dtype=bool) & ok
    if not (early.any() or late.any()):
        return ok
    shown = times.astype("string")
    for mask, reason, setting in (
        (early, REASON_BEFORE_MIN_DATE, f"min_date {source.min_date}"),
        (late, REASON_FUTURE, f"max_future_days {source.max_future_days:g}"),
    ):
        quarantine.add(
            frame,
            mask,
            reason=reason,
            source=source.name,
            column=column,
            values=shown + f" ({setting})",
        )
    return ok & ~(early | late)


def epoch_unit_problems(numbers: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Classify microsecond epoch numbers: ``(wrong_unit, placeholder, description)``.

    ``wrong_unit`` marks values of the size of seconds (1e8..1e11),
    milliseconds (1e11..1e14) or nanoseconds (1e17..1e20) since 1970; ``placeholder`` marks 0 and
    negative values. ``description`` (the quarantine value) names the unit a
    value looks like; it is filled for the marked rows only (missing elsewhere:
    formatting every number as text cost more than the rest of the check).
    """
    values = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype="float64")
    placeholder = values <= 0
    wrong = np.zeros(len(values), dtype=bool)
    units = np.full(len(values), -1)
    for k, (low, high, _) in enumerate(_UNIT_BOUNDS):
        hit = (values >= low) & (values < high)
        wrong |= hit
        units[hit] = k
    described = pd.Series(pd.NA, index=numbers.index, dtype="string")
    at = np.flatnonzero(wrong | placeholder)
    if len(at):
        text = numbers.iloc[at].astype("string")
        for k, (_, _, unit) in enumerate(_UNIT_BOUNDS):
            hit = units[at] == k
            text[hit] = text[hit] + f" (looks like {unit} since 1970)"
        described.iloc[at] = text.to_numpy()
    return wrong, placeholder, described


def check_day_month_order(
    raw: pd.Series, frame: pd.DataFrame, column: str, source: SourceConfig
) -> None:
    """Raise when ``raw`` dates (no ``ts_format``) only parse under mixed day/month orders.

    Slash/dot/dash dates ``A/B/YYYY`` read month-first unless ``A > 12``: a
    column holding both a value with ``A > 12`` (day-first) and one that is
    ambiguous or month-first would be read with two different orders.

    Raises
    ------
    ValidationError
        Naming the file, column, example rows and values, and the ``ts_format`` to set.
    """
    if source.ts_format:
        return
    parts = raw.astype("string").str.extract(_SLASH_DATE)
    if parts.empty:
        return
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    day_first = (first > 12).fillna(False)
    not_day_first = (first <= 12).fillna(False) & second.notna()
    if not (day_first.any() and not_day_first.any()):
        return

    def example(mask: pd.Series) -> str:
        i = mask[mask].index[0]
        where = ""
        if SOURCE_FILE in frame.columns and SOURCE_ROW in frame.columns:
            where = f"{frame.at[i, SOURCE_FILE]} line {frame.at[i, SOURCE_ROW]}: "
        return f"{where}{raw.at[i]!r}"

    raise ValidationError(
        f"column {column!r}: dates like {example(day_first)} are day-first but "
        f"{example(not_day_first)} would be read month-first; the column mixes day/month "
        'orders. Set ts_format on the source (e.g. ts_format = "%d/%m/%Y" or "%m/%d/%Y")',
        context=f"source {source.name!r} (format {source.format!r})",
    )
