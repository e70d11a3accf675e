"""The ``[attribution]`` settings, resolved in one place.

``workbench attribute``, the attribution report and the executive summary all ask
this module which models to run (:func:`resolve_models`) and with which options
(:func:`model_options`), so one ``workbench.toml`` gives the same credits everywhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from workbench.attribution.inputs import paths_from_journeys
from workbench.attribution.registry import DEFAULT_MODELS, MODELS, ModelSpec

if TYPE_CHECKING:
    from workbench.config import AttributionConfig

__all__ = ["accepted_options", "known_models", "model_options", "resolve_models"]


def known_models() -> tuple[str, ...]:
    """Every registered model name, in registry order."""
    return tuple(MODELS)


def _keyword_options(func: Any, fixed: Iterable[str] = ()) -> set[str]:
    skip = set(fixed)
    return {
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in skip
    }


def _spec_options(spec: ModelSpec) -> set[str]:
    return _keyword_options(spec.prepare, spec.fixed)


def accepted_options(models: Iterable[str] | None = None) -> set[str]:
    """Option names the path builder or at least one of ``models`` (default: all) takes."""
    names = MODELS if models is None else list(models)
    out = _keyword_options(paths_from_journeys)
    for name in names:
        out |= _spec_options(MODELS[name])
    return out


def resolve_models(
    requested: str | Iterable[str] | None, config: AttributionConfig | None = None
) -> list[str]:
    """The models to run, from the request, the config or the default.

    ``requested`` when it names any, else the config's ``[attribution] models``,
    else :data:`~workbench.attribution.registry.DEFAULT_MODELS`.

    ``requested`` may be a comma-separated text (the CLI's ``--models``) or a list
    (a notebook parameter). Duplicates are dropped, order kept.

    Raises
    ------
    ValueError
        When a name is not a registered model.
    """
    if isinstance(requested, str):
        requested = requested.split(",")
    names = [str(n).strip() for n in (requested or ()) if str(n).strip()]
    if not names:
        configured = config.models if config is not None else None
        names = list(configured or DEFAULT_MODELS)
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; allowed: {', '.join(MODELS)}")
    return names


def model_options(config: AttributionConfig | None, models: Iterable[str]) -> dict[str, Any]:
    """The ``[attribution]`` options that the path builder or one of ``models`` accepts.

    Pass the result to :func:`~workbench.attribution.registry.run_models` (or
    ``run_models_detailed``) with the same ``models``.
    """
    if config is None:
        return {}
    accepted = accepted_options(models)
    return {k: v for k, v in config.options.items() if k in accepted}
