"""Bootstrap confidence intervals of attribution credits.

Journeys are resampled with Poisson(1) weights (the Poisson bootstrap, seeded through
``np.random.default_rng(seed)``): a path with ``c`` conversions and ``n`` nulls gets
``Poisson(c)`` conversions and ``Poisson(n)`` nulls (for a journey, ``c`` or ``n`` is 1),
and its value is scaled by the conversion ratio. Every model sees the same draws, so
differences between models are comparable.

Rule-based and ordered-Shapley credits are fixed shares per path, so all replicates of
those models are one sparse matrix product; Markov, Shapley and fractribution are
prepared once (states, coalitions, counterfactual lookups) and re-evaluated per
replicate, which is fast but linear in ``n_boot`` (keep it small for ``markov:3/4``).
Intervals are percentile intervals at ``level``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from workbench.attribution.base import ShareModel, model_channels
from workbench.attribution.inputs import Paths
from workbench.attribution.registry import (
    DEFAULT_MODELS,
    MODELS,
    prepare_model,
    secondary_paths,
    split_options,
)
from workbench.schema import CHANNEL

__all__ = [
    "BOOTSTRAP_COLUMNS",
    "bootstrap_credits",
    "poisson_weights",
]

BOOTSTRAP_COLUMNS: tuple[str, ...] = (
    "model",
    CHANNEL,
    "conversions",
    "conversions_low",
    "conversions_high",
    "value",
    "value_low",
    "value_high",
    "few_conversions",
)
_CELLS = 4_000_000


def poisson_weights(
    paths: Paths, rng: np.random.Generator, n_boot: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_boot`` resampled (conversions, nulls, value) arrays, shape ``(n_boot, n_paths)``."""
    conv = rng.poisson(np.broadcast_to(paths.conversions, (n_boot, paths.n_paths))).astype(float)
    nulls = rng.poisson(np.broadcast_to(paths.nulls, (n_boot, paths.n_paths))).astype(float)
    per_conv = np.divide(
        paths.value, paths.conversions, out=np.zeros(paths.n_paths), where=paths.conversions > 0
    )
    return conv, nulls, conv * per_conv


def bootstrap_credits(
    touches: pd.DataFrame | Paths,
    journeys: pd.DataFrame | None = None,
    models: Iterable[str] | None = None,
    *,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
    min_conversions: float = 30,
    **options,
) -> pd.DataFrame:
    """Percentile bootstrap intervals of every model's credits.

    Parameters
    ----------
    touches, journeys
        Journey tables, or :class:`Paths` and ``None``.
    models
        Registry names (default: as :func:`~workbench.attribution.run_models`).
    n_boot
        Replicates.
    seed
        Seed of ``np.random.default_rng``.
    level
        Coverage of the intervals.
    min_conversions
        Threshold of the ``few_conversions`` flag (point estimate below it).
    **options
        Column names and model options, as for ``run_models``.

    Returns
    -------
    DataFrame
        :data:`BOOTSTRAP_COLUMNS`: point estimate and interval of conversions and value
        per (model, channel).
    """
    if n_boot < 2:
        raise ValueError(f"n_boot must be >= 2; got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    names = list(DEFAULT_MODELS) if models is None else list(models)
    input_opts, model_opts = split_options(options, names)
    paths = secondary_paths(touches, journeys, **input_opts)
    if models is None and paths.source == "aggregated":
        names = [m for m in names if not MODELS[m].needs_timestamps]
    prepared = {m: prepare_model(paths, m, **model_opts[m]) for m in names}
    matrices = {
        m: p.share_matrix().T.tocsr() for m, p in prepared.items() if isinstance(p, ShareModel)
    }
    channels = {m: model_channels(p, paths) for m, p in prepared.items()}
    reps = {m: np.zeros((2, n_boot, len(channels[m]))) for m in names}
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, _CELLS // max(paths.n_paths, 1)))
    for lo in range(0, n_boot, chunk):
        b = min(chunk, n_boot - lo)
        conv, nulls, value = poisson_weights(paths, rng, b)
        for m, model in prepared.items():
            if isinstance(model, ShareModel):  # fixed shares: all replicates in one product
                idx = model.path_index
                reps[m][0, lo : lo + b] = (matrices[m] @ conv[:, idx].T).T
                reps[m][1, lo : lo + b] = (matrices[m] @ value[:, idx].T).T
            else:
                for j in range(b):
                    c, v = model.channel_credits(conv[j], nulls[j], value[j])
                    reps[m][0, lo + j], reps[m][1, lo + j] = c, v
    alpha = (1 - level) / 2
    frames = []
    for m, model in prepared.items():
        c, v = model.channel_credits(paths.conversions, paths.nulls, paths.value)
        q = np.quantile(reps[m], [alpha, 1 - alpha], axis=1)
        frames.append(
            pd.DataFrame(
                {
                    "model": pd.Series([m] * len(channels[m]), dtype="str"),
                    CHANNEL: pd.Series(list(channels[m]), dtype="str"),
                    "conversions": c,
                    "conversions_low": q[0, 0],
                    "conversions_high": q[1, 0],
                    "value": v,
                    "value_low": q[0, 1],
                    "value_high": q[1, 1],
                    "few_conversions": c < min_conversions,
                }
            )
        )
    if not frames:
        return pd.DataFrame({col: [] for col in BOOTSTRAP_COLUMNS})
    return pd.concat(frames, ignore_index=True)
