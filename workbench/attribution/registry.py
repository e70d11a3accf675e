"""Model registry and the ``run_models`` entry point.

Model names: ``first``, ``last``, ``last_non_direct``, ``linear``, ``time_decay``,
``position``, ``w_shaped``, ``markov:1`` ... ``markov:4``, ``shapley``,
``shapley_ordered``, ``fractribution`` (exposure transform),
``fractribution:unique|exposure|first|frequency`` and ``incrementality``.

Options passed to :func:`run_models` are routed by name: column names go to
:func:`~workbench.attribution.inputs.paths_from_journeys`, model options
(``half_life_days``, ``position_weights``, ``w_shaped_weights``, ``direct_channels``,
``value_method``, ``characteristic``, ``max_exact_channels``, ``n_permutations``,
``seed``, ``solver``, ``lookback_steps``, and the incrementality model's ``features``,
``credit``, ``folds``, ``penalty``, ``nonnegative``, ``controls``) to every model that
takes them. An unknown
option is an error.
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.attribution.base import (
    CREDIT_COLUMNS,
    TOUCH_CREDIT_COLUMNS,
    AttributionResult,
    Prepared,
    credits_frame,
    model_channels,
)
from workbench.attribution.fractribution import TRANSFORMS, prepare_fractribution
from workbench.attribution.incrementality import prepare_incrementality
from workbench.attribution.inputs import (
    NO_KNOWN_TOUCH,
    TOUCHLESS_WARNING,
    Paths,
    paths_from_journeys,
)
from workbench.attribution.markov import ORDERS, prepare_markov
from workbench.attribution.rules import RULES, prepare_rule
from workbench.attribution.shapley import prepare_shapley, prepare_shapley_ordered

__all__ = [
    "DEFAULT_MODELS",
    "MODELS",
    "ModelSpec",
    "attribute",
    "model_label",
    "prepare_model",
    "run_models",
    "run_models_detailed",
    "secondary_paths",
    "split_options",
    "to_paths",
    "touch_credits",
]


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A registered model.

    Attributes
    ----------
    name
        Registry name.
    prepare
        ``prepare(paths, **options) -> Prepared``.
    fixed
        Options implied by the name (``{"order": 2}`` for ``markov:2``).
    needs_timestamps
        Whether the model needs journey tables (unavailable from aggregated paths).
    fits_all_journeys
        Whether the model is fitted on every journey, converting or not, and credits
        each converting journey from that fit (``details()["journey_credits"]``): a
        period's credit is then read from the fit on all journeys, never from a fit on
        the period's converting journeys alone (:mod:`~workbench.attribution.calibration`).
    """

    name: str
    prepare: Callable[..., Prepared]
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    needs_timestamps: bool = False
    fits_all_journeys: bool = False


def _build_registry() -> dict[str, ModelSpec]:
    models = {
        rule: ModelSpec(
            rule, prepare_rule, {"rule": rule}, needs_timestamps=rule in ("time_decay", "w_shaped")
        )
        for rule in RULES
    }
    for order in ORDERS:
        models[f"markov:{order}"] = ModelSpec(f"markov:{order}", prepare_markov, {"order": order})
    models["shapley"] = ModelSpec("shapley", prepare_shapley)
    models["shapley_ordered"] = ModelSpec("shapley_ordered", prepare_shapley_ordered)
    models["fractribution"] = ModelSpec("fractribution", prepare_fractribution)
    for t in TRANSFORMS:
        name = f"fractribution:{t}"
        models[name] = ModelSpec(name, prepare_fractribution, {"transform": t})
    models["incrementality"] = ModelSpec(
        "incrementality", prepare_incrementality, needs_timestamps=True, fits_all_journeys=True
    )
    return models


#: Every model by name.
MODELS: dict[str, ModelSpec] = _build_registry()

#: Models run when ``models`` is not given (minus those needing timestamps on
#: aggregated input): the one default list of ``workbench attribute``, the
#: ``[attribution] models`` key, the attribution report and the executive summary.
DEFAULT_MODELS: tuple[str, ...] = (
    *RULES,
    "markov:1",
    "markov:2",
    "shapley",
    "fractribution",
)

_INPUT_OPTIONS = frozenset(
    p.name
    for p in inspect.signature(paths_from_journeys).parameters.values()
    if p.kind is inspect.Parameter.KEYWORD_ONLY
)


def _model_options(spec: ModelSpec) -> set[str]:
    return {
        p.name
        for p in inspect.signature(spec.prepare).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in spec.fixed
    }


def _spec(model: str) -> ModelSpec:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {sorted(MODELS)}")
    return MODELS[model]


def split_options(
    options: Mapping[str, Any], models: Iterable[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Route options to the input reader and to each model; unknown names are an error."""
    models = list(models)
    per_model = {m: _model_options(_spec(m)) for m in models}
    known = set(_INPUT_OPTIONS).union(*per_model.values()) if per_model else set(_INPUT_OPTIONS)
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown option(s) {unknown}; accepted here: {sorted(known)}")
    inputs = {k: v for k, v in options.items() if k in _INPUT_OPTIONS}
    return inputs, {m: {k: v for k, v in options.items() if k in per_model[m]} for m in models}


def to_paths(touches: pd.DataFrame | Paths, journeys: pd.DataFrame | None, **options) -> Paths:
    """``touches`` itself when it is :class:`Paths`, else paths from the journey tables."""
    if isinstance(touches, Paths):
        if journeys is not None:
            raise ValueError("pass either Paths or (touches, journeys), not both")
        return touches
    if journeys is None:
        raise ValueError("journeys is required with a touches frame")
    return paths_from_journeys(touches, journeys, **options)


def secondary_paths(
    touches: pd.DataFrame | Paths, journeys: pd.DataFrame | None, **options
) -> Paths:
    """:func:`to_paths` for analyses that follow a credit run on the same journeys.

    For channel roles and bootstrap: converted journeys without touches are listed in
    ``Paths.dropped`` without repeating the credit run's warning about them.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=TOUCHLESS_WARNING, category=UserWarning)
        return to_paths(touches, journeys, **options)


def _resolve_models(models: Iterable[str] | None, paths: Paths) -> list[str]:
    if models is None:
        return [
            m
            for m in DEFAULT_MODELS
            if paths.source == "journeys" or not MODELS[m].needs_timestamps
        ]
    if isinstance(models, str):
        models = [models]
    return [_spec(m).name for m in models]


def prepare_model(paths: Paths, model: str, **options) -> Prepared:
    """Prepare one registered model on ``paths``."""
    spec = _spec(model)
    return spec.prepare(paths, **{**options, **spec.fixed})


def attribute(
    paths: Paths,
    model: str,
    *,
    with_touches: bool = True,
    with_details: bool = True,
    **options,
) -> AttributionResult:
    """Run one model on ``paths``.

    Parameters
    ----------
    paths
        Input paths.
    model
        Registry name.
    with_touches, with_details
        Whether to compute per-touch credits and detail frames (skipped work otherwise).
    **options
        Model options.

    Returns
    -------
    AttributionResult
        Credits (:data:`~workbench.attribution.base.CREDIT_COLUMNS`), per-touch credits
        where the model has them, and model-specific details.
    """
    prepared = prepare_model(paths, model, **options)
    conv, value = prepared.channel_credits(paths.conversions, paths.nulls, paths.value)
    channels = model_channels(prepared, paths)
    if paths.touchless_conversions > 0:
        channels = (*channels, NO_KNOWN_TOUCH)
        conv = np.append(conv, paths.touchless_conversions)
        value = np.append(value, paths.touchless_value)
    return AttributionResult(
        model=model,
        credits=credits_frame(model, channels, conv, value),
        touch_credits=prepared.touch_credits(model) if with_touches else None,
        details=prepared.details() if with_details else {},
    )


def run_models_detailed(
    touches: pd.DataFrame | Paths,
    journeys: pd.DataFrame | None = None,
    models: Iterable[str] | None = None,
    *,
    with_touches: bool = True,
    with_details: bool = True,
    **options,
) -> dict[str, AttributionResult]:
    """Like :func:`run_models`, returning every model's :class:`AttributionResult`."""
    names = None if models is None else ([models] if isinstance(models, str) else list(models))
    check = names if names is not None else DEFAULT_MODELS
    input_opts, model_opts = split_options(options, check)
    paths = to_paths(touches, journeys, **input_opts)
    return {
        m: attribute(
            paths, m, with_touches=with_touches, with_details=with_details, **model_opts[m]
        )
        for m in _resolve_models(names, paths)
    }


def run_models(
    touches: pd.DataFrame | Paths,
    journeys: pd.DataFrame | None = None,
    models: Iterable[str] | None = None,
    **options,
) -> pd.DataFrame:
    """Run several models and stack their credits.

    Parameters
    ----------
    touches
        ``journey_touches`` frame, or :class:`Paths` (e.g. from
        :func:`~workbench.attribution.inputs.paths_from_aggregated`; then ``journeys`` is
        ``None``).
    journeys
        ``journeys`` frame.
    models
        Registry names; default :data:`DEFAULT_MODELS` (without ``time_decay`` and
        ``w_shaped`` for aggregated paths).
    **options
        Column names for the reader and model options (see the module docstring).

    Returns
    -------
    DataFrame
        ``model, channel, conversions, value``: one row per (model, channel).
    """
    results = run_models_detailed(
        touches, journeys, models, with_touches=False, with_details=False, **options
    )
    frames = [r.credits for r in results.values()]
    if not frames:
        return pd.DataFrame({c: [] for c in CREDIT_COLUMNS})
    return pd.concat(frames, ignore_index=True)


def touch_credits(
    touches: pd.DataFrame | Paths,
    journeys: pd.DataFrame | None = None,
    models: Iterable[str] | None = None,
    **options,
) -> pd.DataFrame:
    """Per-touch credits of the models that credit touches, stacked.

    Returns
    -------
    DataFrame
        ``journey_id, position, channel, model, credit, value_credit``.
    """
    results = run_models_detailed(
        touches, journeys, models, with_touches=True, with_details=False, **options
    )
    frames = [r.touch_credits for r in results.values() if r.touch_credits is not None]
    if not frames:
        return pd.DataFrame({c: [] for c in TOUCH_CREDIT_COLUMNS})
    return pd.concat(frames, ignore_index=True)


_MODEL_LABELS = {
    "first": "First touch",
    "last": "Last touch",
    "last_non_direct": "Last non-direct touch",
    "linear": "Linear (equal split)",
    "time_decay": "Time decay",
    "position": "Position-based (U-shaped)",
    "w_shaped": "W-shaped",
    "shapley": "Shapley",
    "shapley_ordered": "Ordered Shapley",
    "fractribution": "Fractribution",
    "incrementality": "Incrementality (conversion-probability model)",
}


def model_label(model: str) -> str:
    """A readable name for a registry model name ("markov:2" -> "Markov chain (order 2)")."""
    if model in _MODEL_LABELS:
        return _MODEL_LABELS[model]
    kind, _, arg = str(model).partition(":")
    if kind == "calibrated" and arg:
        return f"{model_label(arg)}, calibrated to lift tests"
    if kind == "markov" and arg:
        return f"Markov chain (order {arg})"
    if kind == "fractribution" and arg:
        return f"Fractribution ({arg})"
    return str(model)
