"""The project configuration file (``workbench.toml``): parse and validate it.

Every problem in the file is collected and reported together in one
:class:`~workbench.errors.ConfigError`, each naming the key, the value and the
allowed values. The sections are documented in the README and in the bundled
``workbench.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench.config_sections import (
    AttributionConfig,
    EngineConfig,
    JourneyRules,
    ReportsConfig,
    parse_attribution,
    parse_definitions,
    parse_engine,
    parse_journey_rules,
    parse_reports,
    unknown_key_messages,
)
from workbench.config_sources import (
    DECIMAL_SEPARATORS,
    DEFAULT_MAX_FUTURE_DAYS,
    DEFAULT_MIN_DATE,
    FORMATS,
    GENERIC_TABLES,
    ConfigProblems,
    SourceConfig,
    check_tz,
    list_of_tables,
    parse_rates,
    parse_source,
    parse_window,
    resolve_path,
)
from workbench.errors import ConfigError, ValidationError
from workbench.paths import find_config
from workbench.schema import CONVERSION_TYPES, ID_TYPES, TOUCH_TYPES

__all__ = [
    "DECIMAL_SEPARATORS",
    "DEFAULT_MAX_FUTURE_DAYS",
    "DEFAULT_MIN_DATE",
    "FORMATS",
    "GENERIC_TABLES",
    "AttributionConfig",
    "ChannelRule",
    "Config",
    "EngineConfig",
    "IdentityConfig",
    "JourneyConfig",
    "ReportsConfig",
    "SegmentConfig",
    "SourceConfig",
    "load_config",
    "parse_config",
    "unknown_key_messages",
]

PATH_LEVELS = ("channel", "platform", "campaign", "touch_type")
#: Earliest plausible timestamp (``[project] min_date``): older rows are quarantined.
JOURNEY_UNITS = ("person", "account")
STAGES = ("awareness", "consideration", "decision", "conversion", "retention")

_ROOT_KEYS = {
    "project",
    "attributes",
    "identity",
    "sources",
    "journeys",
    "channel_rules",
    "stages",
    "segments",
    "attribution",
    "reports",
    "engine",
    "conversions",
    "experiments",
}
_PROJECT_KEYS = {
    "name",
    "currency",
    "timezone",
    "data_dir",
    "processed_dir",
    "reports_dir",
    "truth_dir",
    "default_phone_region",
    "min_date",
    "max_future_days",
    "exchange_rates",
}
_IDENTITY_KEYS = {
    "blocked_values",
    "test_ids",
    "internal_email_domains",
    "limits",
    "priority",
    "max_component_size",
}
_JOURNEY_KEYS = {
    "lookback_days",
    "touch_types",
    "collapse_repeats",
    "path_level",
    "conversion_types",
    "unit",
    "merge",
    "exclude",
}
_RULE_KEYS = {"channel", "source", "medium", "campaign", "touch_type", "click_id", "platform"}
_STAGE_KEYS = {"touch_types", "pages", "conversion_types", "events"}
_SEGMENT_KEYS = {"label", "filter", "description"}


@dataclass(frozen=True)
class ChannelRule:
    """A user channel rule: case-insensitive regexes that must all match (full match)."""

    channel: str
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    touch_type: str | None = None
    click_id: str | None = None
    platform: str | None = None


@dataclass(frozen=True)
class IdentityConfig:
    """Identity stitching settings (merge protection)."""

    blocked_values: tuple[str, ...] = ()
    test_ids: tuple[str, ...] = ()
    internal_email_domains: tuple[str, ...] = ()
    limits: dict[str, dict[str, int]] = field(default_factory=dict)
    priority: tuple[str, ...] = ID_TYPES
    max_component_size: int = 50
    phone_region: str = "US"


@dataclass(frozen=True)
class JourneyConfig:
    """How journeys are cut from touchpoints."""

    lookback_days: int = 90
    touch_types: tuple[str, ...] | None = None
    collapse_repeats: bool = False
    path_level: str = "channel"
    conversion_types: tuple[str, ...] | None = None
    unit: str = "person"


@dataclass(frozen=True)
class SegmentConfig:
    """A named segment: a pandas ``query`` over journey attributes."""

    name: str
    filter: str
    label: str = ""
    description: str = ""


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    path: Path | None
    name: str = "Journey Workbench project"
    currency: str = "USD"
    timezone: str = "UTC"
    data_dir: Path = Path("data/raw")
    processed_dir: Path = Path("data/processed")
    reports_dir: Path = Path("reports")
    truth_dir: Path | None = None
    default_phone_region: str = "US"
    min_date: str = DEFAULT_MIN_DATE
    max_future_days: float = DEFAULT_MAX_FUTURE_DAYS
    exchange_rates: dict[str, float] = field(default_factory=dict)
    sources: tuple[SourceConfig, ...] = ()
    identity: IdentityConfig = IdentityConfig()
    journeys: JourneyConfig = JourneyConfig()
    journey_rules: JourneyRules = JourneyRules()
    channel_rules: tuple[ChannelRule, ...] = ()
    stages: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    segments: dict[str, SegmentConfig] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    attribution: AttributionConfig = AttributionConfig()
    reports: ReportsConfig = ReportsConfig()
    engine: EngineConfig = EngineConfig()
    conversions: dict[str, Any] = field(default_factory=dict)
    experiments: tuple[dict[str, Any], ...] = ()
    experiments_path: Path | None = None

    def source(self, name: str) -> SourceConfig:
        """Return the source called ``name``."""
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(
            f"no source named {name!r}; configured sources: "
            + ", ".join(s.name for s in self.sources)
        )


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a ``workbench.toml``.

    Parameters
    ----------
    path
        The config file; default: ``$WORKBENCH_CONFIG``, else the ``workbench.toml``
        in the current folder or the nearest folder above it
        (:func:`workbench.paths.find_config`).

    Raises
    ------
    ConfigError
        When the file is missing (or none is found), is not valid TOML, or has bad
        keys/values.
    """
    file = Path(path) if path is not None else find_config()
    if not file.is_file():
        raise ConfigError(f"config file {str(file)!r} does not exist")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(data, base_dir=file.resolve().parent, path=file)


def parse_config(
    data: dict[str, Any], *, base_dir: Path | str = ".", path: Path | None = None
) -> Config:
    """Validate a parsed config mapping (as from ``tomllib``) and build a :class:`Config`.

    Relative paths are resolved against ``base_dir`` (the config file's folder).
    """
    base = Path(base_dir)
    p = ConfigProblems(str(path) if path else "config")
    p.unknown_keys(data, _ROOT_KEYS, "the top level")

    project = data.get("project", {})
    p.unknown_keys(project, _PROJECT_KEYS, "[project]")
    tz = project.get("timezone", "UTC")
    check_tz(p, tz, "project.timezone")
    dirs: dict[str, Any] = {
        k: resolve_path(base, project.get(k, default))
        for k, default in (
            ("data_dir", "data/raw"),
            ("processed_dir", "data/processed"),
            ("reports_dir", "reports"),
        )
    }
    truth = project.get("truth_dir")
    window = parse_window(p, project, "project", (DEFAULT_MIN_DATE, DEFAULT_MAX_FUTURE_DAYS))

    region = str(project.get("default_phone_region", "US"))
    sources = tuple(
        replace(parse_source(p, s, i, dirs["data_dir"], tz, window), default_phone_region=region)
        for i, s in enumerate(list_of_tables(p, data.get("sources", []), "sources"))
    )
    names = [s.name for s in sources]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        p.add(f"sources: the name {dup!r} is used more than once; names must be unique")

    config = Config(
        path=path,
        name=str(project.get("name", "Journey Workbench project")),
        currency=str(project.get("currency", "USD")),
        timezone=tz,
        truth_dir=resolve_path(base, truth) if truth else None,
        default_phone_region=region,
        min_date=window[0],
        max_future_days=window[1],
        exchange_rates=parse_rates(p, project.get("exchange_rates", {})),
        sources=sources,
        identity=replace(_parse_identity(p, data.get("identity", {})), phone_region=region),
        journeys=_parse_journeys(p, data.get("journeys", {})),
        journey_rules=_parse_journey_rules(p, data.get("journeys", {})),
        channel_rules=tuple(
            _parse_rule(p, r, i)
            for i, r in enumerate(list_of_tables(p, data.get("channel_rules", []), "channel_rules"))
        ),
        stages=_parse_stages(p, data.get("stages", {})),
        segments=_parse_segments(p, data.get("segments", {})),
        attributes=_parse_attributes(p, data.get("attributes", {})),
        attribution=parse_attribution(p, data.get("attribution", {})),
        reports=parse_reports(p, data.get("reports", {})),
        engine=parse_engine(p, data.get("engine", {})),
        conversions=parse_definitions(p, data.get("conversions", {}), names),
        **_parse_experiments(p, data.get("experiments", []), base),
        **dirs,
    )
    p.raise_if_any()
    return config


def _parse_identity(p: ConfigProblems, raw: dict[str, Any]) -> IdentityConfig:
    p.unknown_keys(raw, _IDENTITY_KEYS, "[identity]")
    limits: dict[str, dict[str, int]] = {}
    for id_type, inner in dict(raw.get("limits", {})).items():
        p.choice(id_type, ID_TYPES, f"identity.limits.{id_type}")
        if not isinstance(inner, dict):
            p.add(f"identity.limits.{id_type} = {inner!r}; expected a table like {{ user_id = 1 }}")
            continue
        for other, n in inner.items():
            p.choice(other, ID_TYPES, f"identity.limits.{id_type}.{other}")
            if p.typed(n, int, f"identity.limits.{id_type}.{other}", "a whole number >= 1"):
                if n < 1:
                    p.add(f"identity.limits.{id_type}.{other} = {n}; expected a whole number >= 1")
        limits[id_type] = {str(k): int(v) for k, v in inner.items() if isinstance(v, int)}
    priority = tuple(raw.get("priority", ID_TYPES))
    for t in priority:
        p.choice(t, ID_TYPES, "identity.priority[]")
    size = raw.get("max_component_size", 50)
    if p.typed(size, int, "identity.max_component_size", "a whole number >= 2") and size < 2:
        p.add(f"identity.max_component_size = {size}; expected a whole number >= 2")
    return IdentityConfig(
        blocked_values=tuple(str(v) for v in raw.get("blocked_values", [])),
        test_ids=tuple(str(v) for v in raw.get("test_ids", [])),
        internal_email_domains=tuple(str(v).lower() for v in raw.get("internal_email_domains", [])),
        limits=limits,
        priority=priority,
        max_component_size=int(size) if isinstance(size, int) else 50,
    )


def _parse_journeys(p: ConfigProblems, raw: dict[str, Any]) -> JourneyConfig:
    p.unknown_keys(raw, _JOURNEY_KEYS, "[journeys]")
    lookback = raw.get("lookback_days", 90)
    if p.typed(lookback, int, "journeys.lookback_days", "a whole number of days >= 1"):
        if lookback < 1:
            p.add(f"journeys.lookback_days = {lookback}; expected a whole number of days >= 1")
    level = raw.get("path_level", "channel")
    p.choice(level, PATH_LEVELS, "journeys.path_level")
    unit = raw.get("unit", "person")
    p.choice(unit, JOURNEY_UNITS, "journeys.unit")
    touch_types = raw.get("touch_types")
    for t in touch_types or []:
        p.choice(t, TOUCH_TYPES, "journeys.touch_types[]")
    conv = raw.get("conversion_types")
    for t in conv or []:
        p.choice(t, CONVERSION_TYPES, "journeys.conversion_types[]")
    collapse = raw.get("collapse_repeats", False)
    p.typed(collapse, bool, "journeys.collapse_repeats", "true or false")
    return JourneyConfig(
        lookback_days=int(lookback) if isinstance(lookback, int) else 90,
        touch_types=tuple(touch_types) if touch_types else None,
        collapse_repeats=bool(collapse),
        path_level=str(level),
        conversion_types=tuple(conv) if conv else None,
        unit=str(unit),
    )


def _parse_experiments(p: ConfigProblems, raw: Any, base: Path) -> dict[str, Any]:
    """``experiments = "file.csv"`` or ``[[experiments]]`` tables (checked here)."""
    from workbench.attribution.calibration import experiments_frame  # heavy import

    if isinstance(raw, str):
        return {"experiments_path": resolve_path(base, raw)}
    rows = list_of_tables(p, raw, "experiments")
    try:
        experiments_frame(rows, where="[[experiments]]")
    except ValidationError as exc:
        for message in exc.problems:
            p.add(message)
    return {"experiments": tuple(dict(r) for r in rows)}


def _parse_journey_rules(p: ConfigProblems, raw: dict[str, Any]) -> JourneyRules:
    raw = raw if isinstance(raw, dict) else {}
    rules, problems = parse_journey_rules(raw.get("merge", {}), raw.get("exclude", {}))
    for message in problems:
        p.add(message)
    return rules


def _parse_rule(p: ConfigProblems, raw: dict[str, Any], i: int) -> ChannelRule:
    import re

    where = f"channel_rules[{i}]"
    p.unknown_keys(raw, _RULE_KEYS, where)
    if "channel" not in raw:
        p.add(f"{where}: missing required key 'channel'")
    if len(set(raw) - {"channel"}) == 0:
        p.add(
            f"{where}: a rule needs at least one of source, medium, campaign, touch_type, "
            "click_id, platform"
        )
    for key in _RULE_KEYS - {"channel"}:
        if key in raw:
            try:
                re.compile(str(raw[key]))
            except re.error as exc:
                p.add(f"{where}.{key} = {raw[key]!r} is not a valid regular expression ({exc})")
    fields: dict[str, Any] = {
        k: (str(v) if v is not None else None) for k, v in raw.items() if k in _RULE_KEYS
    }
    return ChannelRule(**fields)


def _parse_stages(p: ConfigProblems, raw: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for stage, spec in raw.items():
        p.choice(stage, STAGES, f"stages.{stage}")
        if not isinstance(spec, dict):
            p.add(f"stages.{stage} = {spec!r}; expected a table with touch_types/pages/events")
            continue
        p.unknown_keys(spec, _STAGE_KEYS, f"[stages.{stage}]")
        for t in spec.get("touch_types", []):
            p.choice(t, TOUCH_TYPES, f"stages.{stage}.touch_types[]")
        for t in spec.get("conversion_types", []):
            p.choice(t, CONVERSION_TYPES, f"stages.{stage}.conversion_types[]")
        out[stage] = {k: list(v) for k, v in spec.items()}
    return out


def _parse_segments(p: ConfigProblems, raw: dict[str, Any]) -> dict[str, SegmentConfig]:
    out: dict[str, SegmentConfig] = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            p.add(f'segments.{name} = {spec!r}; expected a table with filter = "..."')
            continue
        p.unknown_keys(spec, _SEGMENT_KEYS, f"[segments.{name}]")
        if "filter" not in spec:
            p.add(
                f"segments.{name}: missing required key 'filter' (a pandas query, "
                "e.g. \"customer_type == 'smb'\")"
            )
            continue
        out[name] = SegmentConfig(
            name=name,
            filter=str(spec["filter"]),
            label=str(spec.get("label", name)),
            description=str(spec.get("description", "")),
        )
    return out


def _parse_attributes(p: ConfigProblems, raw: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``[attributes.NAME]``: value = "pandas query", checked in order; ``default`` last."""
    out: dict[str, dict[str, str]] = {}
    for name, cases in raw.items():
        if not isinstance(cases, dict) or not cases:
            p.add(
                f'attributes.{name} = {cases!r}; expected a table of value = "pandas query" '
                '(and optionally default = "value")'
            )
            continue
        bad = [k for k, v in cases.items() if not isinstance(v, str)]
        for key in bad:
            p.add(f"attributes.{name}.{key} = {cases[key]!r}; expected a text (a pandas query)")
        out[name] = {str(k): str(v) for k, v in cases.items() if isinstance(v, str)}
    return out
