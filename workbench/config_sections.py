"""Typed sections of ``workbench.toml`` that later stages apply.

``[attribution]``, ``[reports]``, ``[engine]``, ``[journeys.merge]`` / ``[journeys.exclude]`` and
``[conversions.NAME]``: parsed here, in the foundation, so :mod:`workbench.config` reads
every section without importing a stage; the stages that apply them
(:mod:`workbench.attribution.settings`, :mod:`workbench.journeys.rules`,
:mod:`workbench.ingest.conversions`) import the types from here. Every problem is added to
the config's problem list, unknown keys with a did-you-mean hint.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from workbench.schema import CONVERSION_TYPES, VALUE

__all__ = [
    "ENGINES",
    "THEMES",
    "AttributionConfig",
    "ConversionDefinition",
    "EngineConfig",
    "JourneyRules",
    "Problems",
    "ReportsConfig",
    "parse_attribution",
    "parse_definitions",
    "parse_engine",
    "parse_journey_rules",
    "parse_reports",
    "unknown_key_messages",
]

#: The engines ``workbench prepare`` can run on (``[engine] kind`` / ``--engine``).
ENGINES: tuple[str, ...] = ("local", "spark")

#: The colour themes of the HTML reports; ``auto`` follows the reader's system setting.
THEMES: tuple[str, ...] = ("light", "dark", "auto")


class Problems(Protocol):
    """The config's problem collector (:class:`workbench.config_sources.ConfigProblems`)."""

    def add(self, message: str) -> None:
        """Record one problem."""

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        """Record each key of ``table`` not in ``allowed``."""

    def choice(self, value: Any, allowed: tuple[str, ...], key: str) -> None:
        """Record ``value`` unless it is one of ``allowed``."""

    def typed(self, value: Any, kind: type | tuple[type, ...], key: str, expected: str) -> bool:
        """Record ``value`` unless it has type ``kind``; whether it has."""


@dataclass(frozen=True)
class AttributionConfig:
    """``[attribution]``: which models run and with which options.

    Consumed through :mod:`workbench.attribution.settings` by ``workbench attribute``,
    the attribution report and the executive summary alike.

    Attributes
    ----------
    models
        Model names; ``None`` means :data:`workbench.attribution.DEFAULT_MODELS`.
    min_conversions
        Credit below this many conversions is flagged as thin (when no bootstrap
        interval was measured).
    options
        Keyword options of the models and of the path builder (``half_life_days``,
        ``position_weights`` ...), by name.
    """

    models: tuple[str, ...] | None = None
    min_conversions: float = 30.0
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportsConfig:
    """``[reports]``: the scheduled report runs of ``workbench report``.

    Attributes
    ----------
    notebooks_dir
        Folder of the notebooks (as written; resolved against the config file by
        :func:`workbench.report.schedule.expand_schedule`), ``None`` for the default.
    shared
        Parameters given to every scheduled notebook that declares them.
    runs
        Notebook name -> its parameter grids (one table per grid).
    theme
        Colour theme of the HTML reports: one of :data:`THEMES` (``auto`` follows the
        reader's ``prefers-color-scheme``).
    """

    notebooks_dir: str | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    theme: str = "light"

    def schedule(self) -> dict[str, Any]:
        """The section as a schedule mapping (the format of ``reports.toml``)."""
        out: dict[str, Any] = {}
        if self.notebooks_dir is not None:
            out["notebooks_dir"] = self.notebooks_dir
        if self.shared:
            out["shared"] = dict(self.shared)
        for name, grids in self.runs.items():
            out[name] = dict(grids[0]) if len(grids) == 1 else [dict(g) for g in grids]
        return out


def parse_attribution(p: Problems, raw: Any) -> AttributionConfig:
    """Parse ``[attribution]``.

    ``models``, ``min_conversions`` and the keyword options of the models and of
    the path builder (``half_life_days`` ...).
    """
    from workbench.attribution.settings import accepted_options, known_models

    if not isinstance(raw, dict):
        p.add(f"attribution = {raw!r}; expected a table [attribution]")
        return AttributionConfig()
    p.unknown_keys(raw, {"models", "min_conversions", *accepted_options()}, "[attribution]")
    models = raw.get("models")
    if models is not None:
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            p.add(f"attribution.models = {models!r}; expected a list of model names")
            models = None
        else:
            for m in models:
                p.choice(m, known_models(), "attribution.models[]")
            if not models:
                p.add("attribution.models = []; name at least one model")
    floor = raw.get("min_conversions", 30)
    if p.typed(floor, (int, float), "attribution.min_conversions", "a number >= 0") and floor < 0:
        p.add(f"attribution.min_conversions = {floor}; expected a number >= 0")
    options = {k: v for k, v in raw.items() if k not in ("models", "min_conversions")}
    return AttributionConfig(
        models=tuple(models) if models else None,
        min_conversions=float(floor) if isinstance(floor, int | float) else 30.0,
        options=options,
    )


_REPORT_KEYS = {"notebooks_dir", "shared", "theme"}


def _parse_theme(p: Problems, value: Any) -> str:
    """``[reports] theme``: one of :data:`THEMES`, with a did-you-mean hint otherwise."""
    if value is None:
        return "light"
    if value in THEMES:
        return str(value)
    hint = difflib.get_close_matches(str(value), THEMES, n=1)
    did = f" (did you mean {hint[0]!r}?)" if hint else ""
    p.add(f"reports.theme = {value!r} is not allowed{did}; allowed values: {', '.join(THEMES)}")
    return "light"


def parse_reports(p: Problems, raw: Any) -> ReportsConfig:
    """Parse ``[reports]``.

    ``notebooks_dir``, ``theme``, ``[reports.shared]`` and one table (or array of
    tables) per notebook; any other plain key is an unknown key.
    """
    if not isinstance(raw, dict):
        p.add(f"reports = {raw!r}; expected a table [reports]")
        return ReportsConfig()
    folder = raw.get("notebooks_dir")
    if folder is not None:
        p.typed(folder, str, "reports.notebooks_dir", "a folder path")
    shared = raw.get("shared", {})
    if not isinstance(shared, dict):
        p.add(f"reports.shared = {shared!r}; expected a table [reports.shared] of parameters")
        shared = {}
    runs: dict[str, tuple[dict[str, Any], ...]] = {}
    plain: dict[str, Any] = {}
    for name, spec in raw.items():
        if name in _REPORT_KEYS:
            continue
        if isinstance(spec, dict):
            runs[name] = (spec,)
        elif isinstance(spec, list) and spec and all(isinstance(g, dict) for g in spec):
            runs[name] = tuple(spec)
        else:
            plain[name] = spec
    p.unknown_keys(plain, _REPORT_KEYS, "[reports] (a notebook is a table [reports.NAME])")
    return ReportsConfig(
        notebooks_dir=folder if isinstance(folder, str) else None,
        shared=shared,
        runs=runs,
        theme=_parse_theme(p, raw.get("theme")),
    )


# --- shared -------------------------------------------------------------------------
def unknown_key_messages(table: Any, allowed: Any, where: str) -> list[str]:
    """One message per key of ``table`` not in ``allowed``, with a did-you-mean hint."""
    known = sorted(allowed)
    out = []
    for key in table:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), known, n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            out.append(f"unknown key {key!r} in {where}{did}; allowed keys: " + ", ".join(known))
    return out


# --- [journeys.merge] and [journeys.exclude] (applied by workbench.journeys.rules) ------
@dataclass(frozen=True)
class JourneyRules:
    """The merge and exclusion rules (see the module docstring)."""

    merge_ad_clicks: bool = True
    merge_email_clicks: bool = True
    email_click_window_minutes: float = 30.0
    hosts: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    touch_types: tuple[str, ...] = ()
    product_pages: tuple[str, ...] = (
        r"/app(/.*)?",
        r"/login(/.*)?",
        r"/account(/.*)?",
        r"/dashboard(/.*)?",
        r"/settings(/.*)?",
    )
    registered_after: tuple[str, ...] = ("signup",)
    direct_channels: tuple[str, ...] = ("Direct",)
    email_opens: bool = True
    after_conversion: bool = True


_MERGE_KEYS = {"ad_clicks", "email_clicks", "email_click_window_minutes"}
_EXCLUDE_KEYS = {
    "hosts",
    "pages",
    "touch_types",
    "product_pages",
    "registered_after",
    "direct_channels",
    "email_opens",
    "after_conversion",
}


def parse_journey_rules(merge: Any, exclude: Any) -> tuple[JourneyRules, list[str]]:
    """Rules from the ``[journeys.merge]`` and ``[journeys.exclude]`` tables.

    Returns the rules and the list of problems (unknown keys with did-you-mean,
    wrong types, bad regexes); the caller raises them with the rest of the config.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, raw, keys in (("merge", merge, _MERGE_KEYS), ("exclude", exclude, _EXCLUDE_KEYS)):
        if not isinstance(raw, dict):
            problems.append(f"journeys.{name} = {raw!r}; expected a table")
            continue
        problems += unknown_key_messages(raw, keys, f"[journeys.{name}]")
        for key in keys & set(raw):
            field_name = {"ad_clicks": "merge_ad_clicks", "email_clicks": "merge_email_clicks"}
            values[field_name.get(key, key)] = raw[key]
    defaults = JourneyRules()
    out: dict[str, Any] = {}
    for f in fields(JourneyRules):
        if f.name not in values:
            continue
        value, default = values[f.name], getattr(defaults, f.name)
        key = f"journeys.*.{f.name}"
        if isinstance(default, bool):
            if not isinstance(value, bool):
                problems.append(f"{key} = {value!r} has the wrong type; expected true or false")
                continue
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"{key} = {value!r}; expected a number of minutes >= 0")
                continue
            value = float(value)
        else:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{key} = {value!r}; expected a list of strings")
                continue
            value = tuple(value)
            if f.name in ("pages", "product_pages"):
                for pattern in value:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        problems.append(f"{key}: {pattern!r} is not a valid regex ({exc})")
        out[f.name] = value
    return JourneyRules(**out), problems


# --- [conversions.NAME] (applied by workbench.ingest.conversions) ---------------------
_CONVERSION_KEYS = {"type", "sources", "types", "filter", "value", "dedup_window_hours", "value_tolerance",
         "prefer"}  # fmt: skip


@dataclass(frozen=True)
class ConversionDefinition:
    """One ``[conversions.NAME]`` section (see the module docs)."""

    name: str
    type: str
    sources: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    filter: str = ""
    value: str = VALUE
    dedup_window_hours: float = 0.0
    value_tolerance: float = 0.01
    prefer: tuple[str, ...] = ()


def _texts(p: Any, spec: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = spec.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        p.add(f"{where}.{key} = {value!r}; expected a list of names")
        return ()
    return tuple(value)


def _number(p: Any, spec: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        p.add(f"{where}.{key} = {value!r}; expected a number >= 0")
        return default
    return float(value)


def parse_definitions(p: Any, raw: Any, source_names: list[str]) -> dict[str, ConversionDefinition]:
    """Validate the ``[conversions]`` tables; problems go to the config's collector ``p``."""
    if not isinstance(raw, dict):
        p.add(f"conversions = {raw!r}; expected tables [conversions.NAME]")
        return {}
    out: dict[str, ConversionDefinition] = {}
    for name, spec in raw.items():
        where = f"conversions.{name}"
        if not isinstance(spec, dict):
            p.add(f"{where} = {spec!r}; expected a table with type, sources, filter, ...")
            continue
        p.unknown_keys(spec, _CONVERSION_KEYS, f"[{where}]")
        ctype = spec.get("type", name)
        p.choice(ctype, CONVERSION_TYPES, f"{where}.type")
        types = _texts(p, spec, "types", where) or (str(ctype),)
        for t in types:
            p.choice(t, CONVERSION_TYPES, f"{where}.types[]")
        sources = _texts(p, spec, "sources", where)
        prefer = _texts(p, spec, "prefer", where)
        for key, names in (("sources", sources), ("prefer", prefer)):
            for s in names:
                if s not in source_names:
                    p.choice(s, tuple(source_names), f"{where}.{key}[]")
        for key in ("filter", "value"):
            if key in spec and not isinstance(spec[key], str):
                p.add(f"{where}.{key} = {spec[key]!r}; expected a text")
        out[name] = ConversionDefinition(
            name=name,
            type=str(ctype),
            sources=sources,
            types=types,
            filter=str(spec.get("filter", "")),
            value=str(spec.get("value", VALUE)),
            dedup_window_hours=_number(p, spec, "dedup_window_hours", 0.0, where),
            value_tolerance=_number(p, spec, "value_tolerance", 0.01, where),
            prefer=prefer or sources,
        )
    return out


@dataclass(frozen=True)
class EngineConfig:
    """``[engine]``: where ``workbench prepare`` runs (see ``docs/scale-out.md``).

    Attributes
    ----------
    kind
        ``"local"`` (one Python process, the default) or ``"spark"``.
    master
        The Spark master URL (``local[4]``, ``spark://host:7077``, ``yarn`` ...);
        ``None`` takes the one ``spark-submit`` or the cluster gives, else ``local[*]``.
    conf
        Extra Spark settings passed through unchanged (``"spark.executor.memory" = "8g"``).
    """

    kind: str = "local"
    master: str | None = None
    conf: dict[str, str] = field(default_factory=dict)


def parse_engine(p: Problems, raw: Any) -> EngineConfig:
    """Parse ``[engine]``: ``kind``, ``master`` and the ``[engine.conf]`` table."""
    if not isinstance(raw, dict):
        p.add(f"engine = {raw!r}; expected a table [engine]")
        return EngineConfig()
    p.unknown_keys(raw, {"kind", "master", "conf"}, "[engine]")
    kind = raw.get("kind", "local")
    if p.typed(kind, str, "engine.kind", "a string"):
        p.choice(kind, ENGINES, "engine.kind")
    master = raw.get("master")
    if master is not None and not p.typed(master, str, "engine.master", "a Spark master URL"):
        master = None
    conf = raw.get("conf", {})
    if not isinstance(conf, dict):
        p.add(f"engine.conf = {conf!r}; expected a table [engine.conf] of Spark settings")
        conf = {}
    return EngineConfig(
        kind=kind if kind in ENGINES else "local",
        master=master,
        conf={str(k): _conf_text(v) for k, v in conf.items()},
    )


def _conf_text(value: Any) -> str:
    """A Spark setting as Spark spells it (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
