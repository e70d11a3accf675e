"""The reporting window: how ``start``, ``end``, ``period_days``, ``compare`` and the lookback combine.

One place decides it, for every notebook, the widgets and the report headers:

* ``start`` / ``end`` are ISO dates (``"2026-01-31"``), ``""`` when not set; both are
  *inclusive* days in UTC, so the window is the half-open ``[start 00:00, end + 1 day)``.
* ``period_days`` counts days back from ``end`` (or forward from ``start``); with
  neither date set it is the last ``period_days`` before the end of the data (the
  existing meaning), and ``0`` means all data. Giving all three is an error.
* The window selects *conversions* (and, for journeys without one, their last touch);
  touches count from ``lookback_days`` before a conversion, so the earliest touch read
  is ``start - lookback_days`` (:attr:`DateWindow.touch_start`).
* ``compare`` adds a comparison window of the same length: ``"previous_period"``
  (immediately before) or ``"previous_year"`` (the same dates one year earlier);
  ``"none"`` adds none. A comparison needs a window with a start.

Bad values (an unparseable date, ``start`` after ``end``, an unknown ``compare``) are
collected and raised as one :class:`~workbench.errors.ValidationError` naming each
parameter, its value and what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from workbench.errors import ValidationError

__all__ = ["COMPARE_CHOICES", "DateWindow", "parse_day", "resolve_window", "window_problems"]

#: Allowed values of ``compare``.
COMPARE_CHOICES: tuple[str, ...] = ("none", "previous_period", "previous_year")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ONE_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class DateWindow:
    """A resolved reporting window (half-open ``[start, stop)``, UTC) and its comparison."""

    start: pd.Timestamp | None
    stop: pd.Timestamp
    compare: str = "none"
    compare_start: pd.Timestamp | None = None
    compare_stop: pd.Timestamp | None = None
    lookback_days: int = 0

    @property
    def period(self) -> tuple[pd.Timestamp | None, pd.Timestamp]:
        """``(start, stop)`` as :func:`workbench.journeys.build.build_journeys` takes it."""
        return self.start, self.stop

    @property
    def compare_period(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The comparison window, or None when ``compare`` is ``"none"``."""
        if self.compare_start is None or self.compare_stop is None:
            return None
        return self.compare_start, self.compare_stop

    @property
    def touch_start(self) -> pd.Timestamp | None:
        """The earliest touch that can count: ``start`` minus the lookback."""
        return None if self.start is None else self.start - pd.Timedelta(days=self.lookback_days)

    def compare_label(self) -> str:
        """``2025-12-01 to 2025-12-31`` for the comparison window ("" without one)."""
        if self.compare_period is None:
            return ""
        return day_range_text(*self.compare_period)


def day_range_text(start: pd.Timestamp, stop: pd.Timestamp) -> str:
    """``2026-01-01 to 2026-01-31`` for the half-open ``[start, stop)``; one date for one day."""
    last = stop - pd.Timedelta("1us")
    a, b = f"{start:%Y-%m-%d}", f"{last:%Y-%m-%d}"
    return a if a == b else f"{a} to {b}"


def parse_day(value: str, name: str, problems: list[str] | None = None) -> pd.Timestamp | None:
    """``"2026-01-31"`` as midnight UTC; ``""`` as None.

    A bad value raises (or, with ``problems``, is appended to it) a message naming
    the parameter, the value and the expected form.
    """
    text = str(value or "").strip()
    if not text:
        return None
    problem = None
    if not _DAY.fullmatch(text):
        problem = f'{name} = {value!r}: expected an ISO date YYYY-MM-DD (or "" for not set)'
    else:
        try:
            return pd.Timestamp(text, tz="UTC")
        except ValueError:
            problem = f"{name} = {value!r} is not a calendar date (expected YYYY-MM-DD)"
    if problems is None:
        raise ValidationError(problem, context="reporting window")
    problems.append(problem)
    return None


def window_problems(
    *, start: str = "", end: str = "", period_days: int = 0, compare: str = "none"
) -> list[str]:
    """Every problem of a window's parameters, as sentences (empty when they are fine).

    Needs no data, so ``workbench report`` checks every scheduled job with it before
    anything runs; :func:`resolve_window` raises these same problems.
    """
    problems: list[str] = []
    first = parse_day(start, "start", problems)
    last = parse_day(end, "end", problems)
    if period_days < 0:
        problems.append(f"period_days = {period_days}: expected 0 (all data) or more days")
    if compare not in COMPARE_CHOICES:
        problems.append(f"compare = {compare!r}: expected one of {', '.join(COMPARE_CHOICES)}")
    elif compare != "none" and first is None and period_days <= 0 and not problems:
        problems.append(
            f"compare = {compare!r} needs a window with a start: set start or period_days"
        )
    if first is not None and last is not None and first > last:
        problems.append(f"start = {start!r} is after end = {end!r}")
    if first is not None and last is not None and period_days > 0:
        problems.append(
            f"start = {start!r}, end = {end!r} and period_days = {period_days} all set: "
            "give start and end, or one of them with period_days"
        )
    return problems


def resolve_window(
    *,
    data_end: pd.Timestamp,
    start: str = "",
    end: str = "",
    period_days: int = 0,
    compare: str = "none",
    lookback_days: int = 0,
) -> DateWindow:
    """The reporting window for notebook parameters (see the module docstring).

    Parameters
    ----------
    data_end
        The last timestamp of the data (the window ends just after it when ``end``
        is not set).
    start, end
        Inclusive ISO days, ``""`` when not set.
    period_days
        Days back from ``end`` (forward from ``start`` when only it is set); 0: no limit.
    compare
        One of :data:`COMPARE_CHOICES`.
    lookback_days
        Kept on the window for :attr:`DateWindow.touch_start`.

    Returns
    -------
    DateWindow
    """
    problems = window_problems(start=start, end=end, period_days=period_days, compare=compare)
    if problems:
        raise ValidationError(problems, context="reporting window")
    first, last = parse_day(start, "start"), parse_day(end, "end")
    days = pd.Timedelta(days=period_days) if period_days > 0 else None
    if last is not None:
        stop = last + _ONE_DAY
    elif first is not None and days is not None:
        stop = first + days
    else:
        stop = data_end + pd.Timedelta("1us")
    lo = first if first is not None else (stop - days if days is not None else None)
    c_start = c_stop = None
    if compare != "none" and lo is not None:
        if compare == "previous_period":
            c_start, c_stop = lo - (stop - lo), lo
        else:
            year = pd.DateOffset(years=1)
            c_start, c_stop = lo - year, stop - year
    return DateWindow(lo, stop, compare, c_start, c_stop, int(lookback_days))
