"""Check the whole config against the data ``prepare`` just read, before any report runs.

:func:`check_config` returns :class:`Finding` objects of two kinds:

- ``error``: a query every report would fail on (an ``[attributes]`` case or a
  ``[segments]`` filter that cannot be evaluated on this data). ``workbench
  prepare`` stops with one error listing them, naming the section, key and the
  available columns.
- ``empty``: something that matches nothing, so a report section will be empty
  (no conversions, a stage or conversion type that never occurs, no spend, no
  segments, a segment no journey belongs to, a ``truth_dir`` that is missing or
  belongs to other data). ``prepare`` prints them as a short summary.

A project without a single dated row (every export empty, or every row
quarantined) is one ``error``: no report could run on it.

The checks only read; the command line prints (``workbench prepare``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from workbench.config import Config
from workbench.errors import ConfigError, WorkbenchError
from workbench.platforms import SPEND_FORMATS
from workbench.prepare import Prepared
from workbench.schema import CONVERSION_TYPE, TOUCH_TYPE, TS

__all__ = ["Finding", "check_config", "raise_for_errors", "summary_lines"]

_CONVERSION_EVENT_FORMATS = ("ga4", "segment")
_SHOWN = 8


@dataclass(frozen=True)
class Finding:
    """One result of the config check.

    Attributes
    ----------
    level
        ``"error"`` (every report would fail) or ``"empty"`` (a section will be empty).
    section
        Where in the config, e.g. ``[attributes.customer_type]`` or ``[stages.decision]``.
    message
        What is wrong, what it empties, and how to fix it.
    """

    level: Literal["error", "empty"]
    section: str
    message: str

    def text(self) -> str:
        """``[section] message``."""
        return f"{self.section}: {self.message}"


def check_config(config: Config, prepared: Prepared) -> list[Finding]:
    """Every error and empty-section finding of ``config`` on ``prepared`` (see module doc)."""
    nothing = _nothing_dated(prepared)
    if nothing:  # every other finding would only repeat it
        return nothing
    found: list[Finding] = []
    found += _conversions(config, prepared)
    found += _touch_types(config, prepared)
    found += _stages(config, prepared)
    found += _spend(config, prepared)
    people, problems = _attributes(config, prepared)
    found += problems
    found += _segments(config, prepared, people)
    found += _truth(config, prepared)
    found += _schedule(config)
    return found


def raise_for_errors(findings: Iterable[Finding], *, config_path: Path | None = None) -> None:
    """Raise one :class:`~workbench.errors.ConfigError` listing every ``error`` finding."""
    errors = [f.text() for f in findings if f.level == "error"]
    if errors:
        where = f"{config_path}" if config_path else "config"
        raise ConfigError(
            errors, context=f"{where} does not fit the data (every report would fail)"
        )


def summary_lines(findings: Iterable[Finding]) -> list[str]:
    """The ``empty`` findings as printable lines (empty list when there are none)."""
    return [f.text() for f in findings if f.level == "empty"]


def _listed(values: Iterable[object]) -> str:
    items = [str(v) for v in values]
    more = f", ... ({len(items) - _SHOWN} more)" if len(items) > _SHOWN else ""
    return (", ".join(items[:_SHOWN]) + more) if items else "(none)"


def _present(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns or not len(frame):
        return []
    return sorted(frame[column].dropna().astype(str).unique())


def _nothing_dated(prepared: Prepared) -> list[Finding]:
    """An error when no touchpoint, conversion or spend day has a date: no report can run.

    (Every report starts from the data's time range; a project whose exports are all
    empty, or whose every row was quarantined, would fail each one with the same error.)
    """
    dated = [
        prepared.touchpoints.get(TS),
        prepared.conversions.get(TS),
        prepared.spend.get("date"),
    ]
    if any(column is not None and column.notna().any() for column in dated):
        return []
    files = prepared.sources
    read = (
        _listed(f"{f} ({int(r):,} rows)" for f, r in zip(files["file"], files["rows"], strict=True))
        if {"file", "rows"} <= set(files.columns)
        else "(none)"
    )
    quarantined = len(prepared.quarantine)
    return [
        Finding(
            "error",
            "[[sources]]",
            "no source gave a dated row (touchpoint, conversion or spend day), so there is "
            f"nothing to report on; files read: {read}; {quarantined:,} row(s) quarantined. "
            "Check that the exports hold rows and each source's path, ts_format and timezone",
        )
    ]


def _conversions(config: Config, prepared: Prepared) -> list[Finding]:
    types = _present(prepared.conversions, CONVERSION_TYPE)
    if not types:
        sources = [s.name for s in config.sources if s.format in _CONVERSION_EVENT_FORMATS]
        events = (
            prepared.touchpoints["event_name"].dropna().astype(str).value_counts().index
            if "event_name" in prepared.touchpoints.columns
            else []
        )
        hint = (
            "list the events that are conversions in [sources.options] conversion_events of "
            + ", ".join(repr(s) for s in sources)
            + ' (e.g. conversion_events = { purchase = "purchase", generate_lead = "lead" }); '
            f"event names in the data: {_listed(events)}"
            if sources
            else "add a source with conversions (a CRM deals export, an orders CSV with "
            'format = "csv" and table = "conversions")'
        )
        return [
            Finding(
                "empty",
                "conversions",
                "no conversions were found: attribution, converting paths, time to convert "
                f"and conversion rates will be empty; {hint}",
            )
        ]
    wanted = config.journeys.conversion_types
    if not wanted:
        return []
    missing = [t for t in wanted if t not in types]
    if len(missing) == len(wanted):
        return [
            Finding(
                "empty",
                "[journeys] conversion_types",
                f"{_listed(wanted)} match none of the conversions (found: {_listed(types)}): "
                "no journey converts, so attribution and converting paths will be empty; "
                "set conversion_types to types that occur",
            )
        ]
    if missing:
        return [
            Finding(
                "empty",
                "[journeys] conversion_types",
                f"{_listed(missing)} never occur (found: {_listed(types)}); journeys end only "
                f"at {_listed(t for t in wanted if t in types)}",
            )
        ]
    return []


def _touch_types(config: Config, prepared: Prepared) -> list[Finding]:
    wanted = config.journeys.touch_types
    if not wanted:
        return []
    types = _present(prepared.touchpoints, TOUCH_TYPE)
    if not any(t in types for t in wanted):
        return [
            Finding(
                "empty",
                "[journeys] touch_types",
                f"{_listed(wanted)} match none of the touchpoints (found: {_listed(types)}): "
                "journeys have no touches, so paths, flows and attribution will be empty",
            )
        ]
    return []


def _stages(config: Config, prepared: Prepared) -> list[Finding]:
    from workbench.analysis.funnels import _touch_mask

    out = []
    conversion_types = set(_present(prepared.conversions, CONVERSION_TYPE))
    for stage, spec in config.stages.items():
        touches = int(_touch_mask(prepared.touchpoints, spec).sum()) if len(spec) else 0
        conversions = sum(t in conversion_types for t in spec.get("conversion_types", []))
        if touches == 0 and conversions == 0:
            criteria = "; ".join(f"{k} = {_listed(v)}" for k, v in spec.items())
            out.append(
                Finding(
                    "empty",
                    f"[stages.{stage}]",
                    f"matches no touchpoint or conversion ({criteria}): the drop-off "
                    f"funnel's {stage} step will be empty",
                )
            )
    return out


def _spend(config: Config, prepared: Prepared) -> list[Finding]:
    if len(prepared.spend):
        return []
    return [
        Finding(
            "empty",
            "spend",
            "no ad spend was read: cost per acquisition, ROAS and the platform claims in the "
            "attribution report will be empty; add a source with format = "
            + " / ".join(SPEND_FORMATS),
        )
    ]


def _attributes(config: Config, prepared: Prepared) -> tuple[pd.DataFrame | None, list[Finding]]:
    from workbench.identity.attributes import person_attributes

    try:
        people = person_attributes(
            prepared.people,
            accounts=prepared.accounts,
            conversions=prepared.conversions,
            derived=config.attributes,
        )
    except ConfigError as exc:
        return None, [Finding("error", "[attributes]", p) for p in exc.problems]
    out = []
    for name, cases in config.attributes.items():
        default = cases.get("default")
        if len(people) and name in people.columns and (people[name] == default).all():
            out.append(
                Finding(
                    "empty",
                    f"[attributes.{name}]",
                    f"no person matches any case, so everyone gets the default {default!r} "
                    "(the columns its queries use are empty in this data)",
                )
            )
    return people, out


def _segments(config: Config, prepared: Prepared, people: pd.DataFrame | None) -> list[Finding]:
    from workbench.analysis.segments import segment_mask
    from workbench.notebook.workspace import ALL, Workspace

    if not config.segments:
        return [
            Finding(
                "empty",
                "[segments]",
                "no segments are defined: reports show all journeys only (add "
                "[segments.NAME] with a filter over journey attributes to compare groups)",
            )
        ]
    if people is None:
        return []  # the [attributes] errors come first
    try:
        journeys = (
            Workspace(config=config, prepared=prepared, people=people)
            .journeys(segment=ALL)
            .journeys
        )
    except (WorkbenchError, ValueError, TypeError, KeyError) as exc:
        return [
            Finding(
                "empty",
                "[segments]",
                f"journeys could not be built to check the segments ({type(exc).__name__}: "
                f"{str(exc)[:200]})",
            )
        ]
    out = []
    for name, seg in config.segments.items():
        try:
            hits = int(segment_mask(journeys, seg).sum())
        except Exception as exc:  # noqa: BLE001 - any failure is a config problem
            out.append(
                Finding(
                    "error",
                    f"[segments.{name}] filter",
                    f"{seg.filter!r} cannot be evaluated on the journeys ({exc}); available "
                    f"columns: {', '.join(map(str, journeys.columns))}",
                )
            )
            continue
        if hits == 0:
            out.append(
                Finding(
                    "empty",
                    f"[segments.{name}]",
                    f"{seg.filter!r} matches none of the {len(journeys):,} journeys: its "
                    "reports will be empty",
                )
            )
    return out


def _truth(config: Config, prepared: Prepared) -> list[Finding]:
    truth = config.truth_dir
    if truth is None:
        return []
    where = "[project] truth_dir"
    if not Path(truth).is_dir():
        return [
            Finding(
                "empty",
                where,
                f"{truth} does not exist: the truthfulness section of the attribution report "
                "will be empty (truth_dir is for the synthetic sample; remove it otherwise)",
            )
        ]
    ids_file = Path(truth) / "identifiers.csv"
    if not ids_file.is_file() or not len(prepared.identities):
        return []
    truth_ids = pd.read_csv(ids_file, dtype=str, usecols=["id_value"])["id_value"]
    known = prepared.identities["id_value"].astype(str)
    share = float(truth_ids.isin(set(known)).mean()) if len(truth_ids) else 0.0
    if share < 0.5:
        return [
            Finding(
                "empty",
                where,
                f"{truth} belongs to other data (only {share:.0%} of its {len(truth_ids):,} "
                "identifiers occur in this data): its truthfulness scores would be wrong; "
                "remove truth_dir or point it at this sample's _truth folder",
            )
        ]
    return []


def _schedule(config: Config) -> list[Finding]:
    """Scheduled ``segment`` values that ``[segments]`` does not define, and bad periods."""
    from workbench.notebook.workspace import ALL
    from workbench.report.schedule import (
        check_segment_values,
        check_window_values,
        expand_schedule,
    )

    if not config.reports.runs:
        return []
    try:
        jobs = expand_schedule(config)
        check_segment_values(jobs, list(config.segments), all_name=ALL)
        check_window_values(jobs)
    except WorkbenchError as exc:
        problems = getattr(exc, "problems", [str(exc)])
        return [
            Finding("empty", "[reports]", f"{p}; `workbench report` will refuse to run")
            for p in problems
        ]
    return []
