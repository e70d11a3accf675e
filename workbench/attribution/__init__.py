"""Multi-touch attribution models on journeys.

Input: the journey tables (``journeys``, ``journey_touches``) or a path-aggregated table
in the ChannelAttribution / fractribution interchange format, both turned into compact
integer-coded :class:`Paths` (:mod:`~workbench.attribution.inputs`).

Models (registry :data:`MODELS`, run with :func:`run_models`):

- rule-based (:mod:`~workbench.attribution.rules`): ``first``, ``last``,
  ``last_non_direct``, ``linear``, ``time_decay``, ``position``, ``w_shaped``;
- Markov chains of order 1-4 with exact removal effects
  (:mod:`~workbench.attribution.markov`): ``markov:1`` ... ``markov:4``;
- Shapley values (:mod:`~workbench.attribution.shapley`): ``shapley`` (channel
  coalitions), ``shapley_ordered``;
- fractribution's path-level simplified Shapley
  (:mod:`~workbench.attribution.fractribution`): ``fractribution``,
  ``fractribution:unique|exposure|first|frequency``.

Every model returns the same long frame ``model, channel, conversions, value``. Around
them: platform claims and double counting (:mod:`~workbench.attribution.platform`),
comparison tables, channel roles, CPA/ROAS, last-click gaps and truthfulness
(:mod:`~workbench.attribution.compare`), bootstrap intervals
(:mod:`~workbench.attribution.bootstrap`).
"""

from workbench.attribution.aggregated import aggregate_paths, paths_from_aggregated
from workbench.attribution.base import (
    CREDIT_COLUMNS,
    TOUCH_CREDIT_COLUMNS,
    AttributionResult,
)
from workbench.attribution.bootstrap import BOOTSTRAP_COLUMNS, bootstrap_credits
from workbench.attribution.compare import (
    channel_roles,
    compare_models,
    cost_metrics,
    low_conversion_warnings,
    truthfulness,
    undercredited_by_last_click,
)
from workbench.attribution.inputs import Paths, paths_from_journeys
from workbench.attribution.markov import markov_transition_matrix
from workbench.attribution.noise import NOISE_COLUMNS, noisy_channels
from workbench.attribution.platform import (
    DEFAULT_CLICK_WINDOWS,
    click_window_claims,
    double_counting,
    platform_reported,
)
from workbench.attribution.registry import (
    DEFAULT_MODELS,
    MODELS,
    attribute,
    model_label,
    run_models,
    run_models_detailed,
    touch_credits,
)
from workbench.attribution.spread import reconcile_touch_credits, spread_channel_credits

__all__ = [
    "BOOTSTRAP_COLUMNS",
    "CREDIT_COLUMNS",
    "DEFAULT_CLICK_WINDOWS",
    "DEFAULT_MODELS",
    "MODELS",
    "NOISE_COLUMNS",
    "TOUCH_CREDIT_COLUMNS",
    "AttributionResult",
    "Paths",
    "aggregate_paths",
    "attribute",
    "bootstrap_credits",
    "channel_roles",
    "click_window_claims",
    "compare_models",
    "cost_metrics",
    "double_counting",
    "low_conversion_warnings",
    "markov_transition_matrix",
    "model_label",
    "noisy_channels",
    "paths_from_aggregated",
    "paths_from_journeys",
    "platform_reported",
    "reconcile_touch_credits",
    "run_models",
    "run_models_detailed",
    "spread_channel_credits",
    "touch_credits",
    "truthfulness",
    "undercredited_by_last_click",
]
