"""``[[sources]]`` entries of ``workbench.toml``, and the problem collector every section uses.

Split from :mod:`workbench.config` (which re-exports :class:`SourceConfig` and the
constants): a source names an export, its format, where its files are and how to read
them; every problem is collected and raised together by :mod:`workbench.config`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.config_sections import unknown_key_messages
from workbench.errors import ConfigError
from workbench.schema import TABLES

__all__ = [
    "DECIMAL_SEPARATORS",
    "DEFAULT_MAX_FUTURE_DAYS",
    "DEFAULT_MIN_DATE",
    "FORMATS",
    "GENERIC_TABLES",
    "ConfigProblems",
    "SourceConfig",
    "check_tz",
    "list_of_tables",
    "parse_rates",
    "parse_source",
    "parse_window",
    "resolve_path",
]

#: Source formats a reader exists for (``format = ...`` in ``[[sources]]``).
FORMATS: tuple[str, ...] = (
    "csv",
    "email_activity",
    "ga4",
    "google_ads_clicks",
    "google_ads_spend",
    "hubspot_companies",
    "hubspot_contacts",
    "hubspot_deals",
    "hubspot_engagements",
    "linkedin_spend",
    "meta_spend",
    "offline_events",
    "segment",
    "spend",
    "webinar_attendees",
    "webinar_registrants",
)
DEFAULT_MIN_DATE = "2005-01-01"
#: How far ahead of now a timestamp may lie (``[project] max_future_days``).
DEFAULT_MAX_FUTURE_DAYS = 1.0
DECIMAL_SEPARATORS = (".", ",")
GENERIC_TABLES = ("touchpoints", "conversions", "spend", "identity_links")

_SOURCE_KEYS = {
    "name",
    "format",
    "path",
    "timezone",
    "table",
    "columns",
    "constants",
    "options",
    "channel",
    "platform",
    "encoding",
    "ts_format",
    "enabled",
    "decimal",
    "allow_outside_data_dir",
    "min_date",
    "max_future_days",
}


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[sources]]`` entry: where an export lives and how to read it."""

    name: str
    format: str
    path: str
    base_dir: Path
    timezone: str = "UTC"
    table: str | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None
    platform: str | None = None
    encoding: str | None = None
    ts_format: str | None = None
    enabled: bool = True
    decimal: str = "."
    allow_outside_data_dir: bool = False
    min_date: str = DEFAULT_MIN_DATE
    max_future_days: float = DEFAULT_MAX_FUTURE_DAYS
    default_phone_region: str = "US"

    def files(self) -> list[Path]:
        """Files matching ``path`` (a glob relative to the data dir), sorted."""
        pattern = Path(self.path)
        if pattern.is_absolute():
            return sorted(Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor))))
        return sorted(self.base_dir.glob(self.path))


class ConfigProblems:
    """Collects config problems; raises them together."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[str] = []

    def add(self, message: str) -> None:
        """Record one problem."""
        self.items.append(message)

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        """Record each key of ``table`` not in ``allowed``, with a did-you-mean hint."""
        self.items.extend(unknown_key_messages(table, allowed, where))

    def choice(self, value: Any, allowed: tuple[str, ...], key: str) -> None:
        """Record ``value`` unless it is one of ``allowed`` (listed in the message)."""
        if value not in allowed:
            self.add(f"{key} = {value!r} is not allowed; allowed values: " + ", ".join(allowed))

    def typed(self, value: Any, kind: type | tuple[type, ...], key: str, expected: str) -> bool:
        """Record ``value`` unless it has type ``kind`` (a bool is no number); whether it has."""
        if isinstance(value, bool) and kind is not bool and bool not in _as_tuple(kind):
            ok = False
        else:
            ok = isinstance(value, kind)
        if not ok:
            self.add(f"{key} = {value!r} has the wrong type; expected {expected}")
        return ok

    def raise_if_any(self) -> None:
        """Raise every recorded problem in one :class:`~workbench.errors.ConfigError`."""
        if self.items:
            raise ConfigError(self.items, context=self.file)


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def resolve_path(base: Path, value: str) -> Path:
    """``value`` as a path, relative ones against ``base`` (the config file's folder)."""
    path = Path(value)
    return path if path.is_absolute() else (base / path)


def check_tz(p: ConfigProblems, tz: Any, key: str) -> None:
    """Record ``tz`` unless it is an IANA time zone name."""
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(str(tz))
    except Exception:  # noqa: BLE001 - any failure means "not a timezone"
        p.add(f"{key} = {tz!r} is not a known IANA timezone (e.g. 'UTC', 'America/New_York')")


def list_of_tables(p: ConfigProblems, value: Any, key: str) -> list[dict[str, Any]]:
    """``value`` if it is an array of tables (``[[key]]``), else ``[]`` and a problem."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        p.add(f"{key} must be an array of tables ([[{key}]]), got {value!r}")
        return []
    return value


def parse_window(
    p: ConfigProblems, raw: dict[str, Any], where: str, default: tuple[str, float]
) -> tuple[str, float]:
    """``min_date`` (a date) and ``max_future_days`` (>= 0) of ``raw``, else ``default``."""
    import datetime as dt

    min_date, future = default
    value = raw.get("min_date", min_date)
    try:
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        dt.date.fromisoformat(text[:10])
        min_date = text[:10]
    except ValueError:
        p.add(f"{where}.min_date = {value!r}; expected a date like 2005-01-01")
    value = raw.get("max_future_days", future)
    if p.typed(value, (int, float), f"{where}.max_future_days", "a number of days >= 0"):
        if value < 0:
            p.add(f"{where}.max_future_days = {value}; expected a number of days >= 0")
        else:
            future = float(value)
    return min_date, future


def parse_rates(p: ConfigProblems, raw: Any) -> dict[str, float]:
    """``[project] exchange_rates``: ISO code -> units of the project currency per unit."""
    import math
    import re

    if not isinstance(raw, dict):
        p.add(f"project.exchange_rates = {raw!r}; expected a table like {{ EUR = 1.08 }}")
        return {}
    out: dict[str, float] = {}
    for code, rate in raw.items():
        key = f"project.exchange_rates.{code}"
        if not re.fullmatch(r"[A-Za-z]{3}", str(code)):
            p.add(f"{key}: {code!r} is not a 3-letter ISO 4217 currency code")
        elif p.typed(rate, (int, float), key, "a positive number (project currency per unit)"):
            if not (math.isfinite(rate) and rate > 0):
                p.add(f"{key} = {rate}; expected a positive number (project currency per unit)")
            else:
                out[str(code).upper()] = float(rate)
    return out


def parse_source(
    p: ConfigProblems,
    raw: dict[str, Any],
    i: int,
    data_dir: Path,
    default_tz: str,
    window: tuple[str, float] = (DEFAULT_MIN_DATE, DEFAULT_MAX_FUTURE_DAYS),
) -> SourceConfig:
    """One ``[[sources]]`` table (the ``i``-th) as a :class:`SourceConfig`; problems go to ``p``."""
    where = f"sources[{i}]" + (f" ({raw['name']})" if "name" in raw else "")
    p.unknown_keys(raw, _SOURCE_KEYS, where)
    for key in ("name", "format", "path"):
        if key not in raw:
            p.add(f"{where}: missing required key {key!r}")
    fmt = raw.get("format", "csv")
    p.choice(fmt, FORMATS, f"{where}.format")
    tz = raw.get("timezone", default_tz)
    check_tz(p, tz, f"{where}.timezone")
    table = raw.get("table")
    if fmt == "csv":
        if table is None:
            p.add(f"{where}: format 'csv' needs table = one of " + ", ".join(GENERIC_TABLES))
        else:
            p.choice(table, GENERIC_TABLES, f"{where}.table")
        if not raw.get("columns"):
            p.add(f"{where}: format 'csv' needs a [sources.columns] mapping")
    columns: dict[str, list[str]] = {}
    for canon, spec in dict(raw.get("columns", {})).items():
        if table in TABLES and canon not in TABLES[table] and not str(canon).startswith("attr_"):
            p.add(
                f"{where}.columns.{canon}: {canon!r} is not a column of the {table} table; "
                f"allowed: {', '.join(TABLES[table].names)} (or attr_<name> for attributes)"
            )
        if isinstance(spec, str):
            columns[canon] = [spec]
        elif isinstance(spec, list) and all(isinstance(s, str) for s in spec):
            columns[canon] = list(spec)
        else:
            p.add(
                f"{where}.columns.{canon} = {spec!r}; expected a column name or a list of aliases"
            )
    for canon in dict(raw.get("constants", {})):
        if table in TABLES and canon not in TABLES[table] and not str(canon).startswith("attr_"):
            hint = difflib.get_close_matches(str(canon), TABLES[table].names, n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            p.add(
                f"{where}.constants.{canon}: {canon!r} is not a column of the {table} table{did}; "
                f"allowed: {', '.join(TABLES[table].names)} (or attr_<name> for attributes)"
            )
    enabled = raw.get("enabled", True)
    p.typed(enabled, bool, f"{where}.enabled", "true or false")
    decimal = raw.get("decimal", ".")
    p.choice(decimal, DECIMAL_SEPARATORS, f"{where}.decimal")
    outside = raw.get("allow_outside_data_dir", False)
    p.typed(outside, bool, f"{where}.allow_outside_data_dir", "true or false")
    min_date, future = parse_window(p, raw, where, window)
    return SourceConfig(
        name=str(raw.get("name", f"source{i}")),
        format=str(fmt),
        path=str(raw.get("path", "")),
        base_dir=data_dir,
        timezone=str(tz),
        table=table,
        columns=columns,
        constants=dict(raw.get("constants", {})),
        options=dict(raw.get("options", {})),
        channel=raw.get("channel"),
        platform=raw.get("platform"),
        encoding=raw.get("encoding"),
        ts_format=raw.get("ts_format"),
        enabled=bool(enabled),
        decimal=str(decimal),
        allow_outside_data_dir=outside is True,
        min_date=min_date,
        max_future_days=future,
    )
