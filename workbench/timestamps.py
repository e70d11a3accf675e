"""Parse timestamps from exports into tz-aware UTC, vectorized."""

from __future__ import annotations

import warnings
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from workbench.errors import ConfigError

__all__ = ["check_timezone", "parse_timestamps", "parse_unix"]


def check_timezone(tz: str, *, key: str = "timezone") -> str:
    """Return ``tz`` if it names an IANA timezone, else raise :class:`ConfigError`."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(
            f"{key} = {tz!r} is not a known IANA timezone (expected e.g. 'UTC', "
            "'America/New_York', 'Europe/Berlin')"
        ) from None
    return tz


#: A value ending like a UTC offset (``Z``, ``+02:00``, ``-0500``) ...
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
#: ... that is only a date: ``31-01-2026`` ends in ``-2026`` but has no time, so no offset.
_DATE_ONLY = r"[\d/.\-]+"


def parse_timestamps(
    values: pd.Series, *, timezone: str = "UTC", fmt: str | None = None
) -> pd.Series:
    """Parse text timestamps to tz-aware UTC.

    Naive values are taken to be local time in ``timezone`` (an ambiguous time in the
    daylight-saving fall-back hour is read as its first occurrence); values that carry
    an offset (``+02:00``, ``Z``) keep it, so mixed offsets all end up in UTC.
    Unparseable values become ``NaT`` (the caller quarantines them).

    Parameters
    ----------
    values
        Text (or already datetime) values.
    timezone
        IANA timezone of naive values.
    fmt
        Optional ``strptime`` format; when omitted, ISO 8601 variants are
        tried, then a per-value parser.

    Returns
    -------
    pandas.Series
        ``datetime64[..., UTC]`` with the same index.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _localize(values, timezone)
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    has_offset = text.str.contains(_OFFSET, regex=True, na=False)
    if has_offset.any():
        has_offset &= ~text.str.fullmatch(_DATE_ONLY).fillna(False)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if has_offset.any():
        out[has_offset] = _to_datetime(text[has_offset], fmt, utc=True)
    naive = ~has_offset & text.notna()
    if naive.any():
        out[naive] = _localize(_to_datetime(text[naive], fmt, utc=False), timezone)
    return out


def _to_datetime(text: pd.Series, fmt: str | None, *, utc: bool) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if fmt is not None:
            return pd.to_datetime(text, format=fmt, errors="coerce", utc=utc)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
        left = parsed.isna() & text.notna()
        if left.any():
            parsed[left] = pd.to_datetime(text[left], format="mixed", errors="coerce", utc=utc)
        return parsed


def _localize(values: pd.Series, timezone: str) -> pd.Series:
    values = pd.to_datetime(values, errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    # A wall time in the fall-back hour happens twice: read it as the first (daylight-saving)
    # occurrence. A wall time skipped in spring is moved forward to the next valid time.
    first = np.ones(len(values), dtype=bool)
    localized = values.dt.tz_localize(timezone, ambiguous=first, nonexistent="shift_forward")
    return localized.dt.tz_convert("UTC")


def parse_unix(values: pd.Series, *, unit: str = "us") -> pd.Series:
    """Convert integer epoch values (``unit``: s, ms, us) to tz-aware UTC; bad values -> NaT."""
    numbers = pd.to_numeric(values, errors="coerce")
    return pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")
