"""What a project's data lacks for a report, and how each report counts, as sentences.

A report on a GA4-only export has no conversions, no spend, no CRM stages and no
segments; instead of empty charts it says, once, what is missing and which config
line adds it. Each function returns one sentence (a trusted template for
:func:`workbench.report.display.say`, values passed separately so they are escaped)
or ``None`` when nothing is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.platforms import SPEND_FORMATS
from workbench.report.display import fmt_count, plural, say

if TYPE_CHECKING:
    from workbench.journeys.build import JourneySet
    from workbench.notebook.workspace import Workspace

__all__ = [
    "Gap",
    "counting_rules",
    "no_conversions",
    "no_segments",
    "no_spend",
    "no_stages",
    "period_bounds",
    "period_text",
    "show",
]

#: A sentence template and its values (escaped when rendered).
Gap = tuple[str, dict[str, Any]]


def no_conversions(ws: Workspace, js: JourneySet) -> Gap | None:
    """Why no journey converted: no conversions at all, or none of the counted types."""
    if bool(js.journeys["converted"].any()):
        return None
    conv = ws.prepared.conversions
    counted = ws.config.journeys.conversion_types
    if conv.empty:
        return (
            "No conversions were found in the data, so nothing converts or is credited; "
            "map your conversion events with `[sources.options] conversion_events` "
            '(for example `{{ purchase = "purchase" }}` on the GA4 source) '
            "or add a CRM export.",
            {},
        )
    types = sorted(conv["conversion_type"].dropna().astype(str).unique())
    if counted and not set(types) & set(counted):
        return (
            "The data holds {n} of type {found}, but `[journeys] conversion_types` "
            "counts only {counted}; add the types you want counted.",
            {
                "n": plural(len(conv), "conversion"),
                "found": ", ".join(types),
                "counted": ", ".join(counted),
            },
        )
    return (
        "No journey converted in this period and segment; widen `period_days` or "
        "choose another segment.",
        {},
    )


def no_spend(ws: Workspace) -> Gap | None:
    """No ad spend: platform claims, CPA and ROAS cannot be shown."""
    if not ws.prepared.spend.empty:
        return None
    return (
        "No ad spend was read, so platform claims, cost per acquisition and return on ad "
        "spend are not shown; add a spend export (`format = {formats}`) to `[[sources]]`.",
        {"formats": " | ".join(f'"{f}"' for f in SPEND_FORMATS)},
    )


def no_segments(ws: Workspace) -> Gap | None:
    """No segments in the config: nothing to set side by side."""
    if ws.segments():
        return None
    return (
        "No segments are defined, so every journey is shown together; add "
        "`[segments.NAME]` tables with a `filter` over journey attributes "
        "(for example `filter = \"customer_type == 'smb'\"`) to compare segments.",
        {},
    )


def no_stages(ws: Workspace) -> Gap | None:
    """No ``[stages.*]``: the funnel has only the conversion step."""
    if ws.config.stages:
        return None
    return (
        "No funnel stages are configured, so the funnel is only journeys and conversions; "
        "add `[stages.NAME]` tables with `touch_types`, `pages` or `conversion_types`.",
        {},
    )


def period_bounds(
    ws: Workspace, period_days: int = 0, *, start: str = "", end: str = ""
) -> tuple[str, str]:
    """First and last day of the data the report covers (``("2026-01-01", "2026-03-31")``).

    The window of :meth:`Workspace.window` clipped to the data's own range.
    """
    lo, hi = ws.period(period_days, end, start)
    first, last = ws.data_range()
    lo = max(lo, first) if lo is not None else first
    hi = min(hi - pd.Timedelta("1us"), last) if hi is not None else last
    return f"{lo:%Y-%m-%d}", f"{hi:%Y-%m-%d}"


def period_text(ws: Workspace, period_days: int = 0, *, start: str = "", end: str = "") -> str:
    """``2026-01-01 to 2026-03-31`` (one date for a single day)."""
    a, b = period_bounds(ws, period_days, start=start, end=end)
    return a if a == b else f"{a} to {b}"


def counting_rules(
    ws: Workspace, js: JourneySet, *, period_days: int = 0, start: str = "", end: str = ""
) -> Gap:
    """How this report counts: period, journeys, conversions and what was left out."""
    s = js.settings
    unit = "account" if s.get("unit") == "account" else "person"
    counted = s.get("conversion_types")
    conversions = (
        ", ".join(c.replace("_", " ") for c in counted) if counted else "every conversion type"
    )
    touches = (
        ", ".join(t.replace("_", " ") for t in s["touch_types"])
        if s.get("touch_types")
        else "every touch type"
    )
    excluded = js.excluded
    left = ""
    if excluded is not None and not excluded.empty and "rows" in excluded.columns:
        parts = excluded.groupby("reason", sort=False)["rows"].sum().loc[lambda r: r > 0]
        left = (
            "; left out: "
            + "; ".join(f"{fmt_count(n)} rows ({reason})" for reason, n in parts.items())
            if len(parts)
            else ""
        )
    j = js.journeys
    bare = int((j["converted"] & (j["n_touches"] == 0)).sum()) if "n_touches" in j else 0
    untouched = (
        f" {plural(bare, 'converted journey')} without a touch in the lookback "
        f"{'gets' if bare == 1 else 'get'} no attribution credit."
        if bare
        else ""
    )
    return (
        "**Period** {period}. **Counting:** one journey per {unit} and conversion "
        "({journeys}, {converted}); conversions counted: {conversions}; touches counted: "
        "{touches}, at most {lookback} before the conversion{left}.{untouched}",
        {
            "period": period_text(ws, period_days, start=start, end=end),
            "unit": unit,
            "journeys": plural(len(j), "journey"),
            "converted": f"{fmt_count(int(j['converted'].sum()))} converted",
            "conversions": conversions,
            "touches": touches,
            "lookback": plural(s.get("lookback_days", 0), "day"),
            "left": left,
            "untouched": untouched,
        },
    )


def show(*found: Gap | None) -> None:
    """Display each sentence that is not None (see :func:`workbench.report.display.say`)."""
    for gap in found:
        if gap is not None:
            say(gap[0], **gap[1])
