"""The ``[attribution]`` and ``[reports]`` sections of ``workbench.toml``.

Typed like the other sections (:mod:`workbench.config`, which re-exports these
classes and calls the parsers); every problem is added to the config's problem
list, unknown keys with a did-you-mean hint.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "THEMES",
    "AttributionConfig",
    "Problems",
    "ReportsConfig",
    "parse_attribution",
    "parse_reports",
]

#: The colour themes of the HTML reports; ``auto`` follows the reader's system setting.
THEMES: tuple[str, ...] = ("light", "dark", "auto")


class Problems(Protocol):
    """The config's problem collector (``workbench.config._Problems``)."""

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
