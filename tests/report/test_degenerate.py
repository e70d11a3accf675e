"""Every analysis and plot a report calls copes with degenerate journeys.

No conversions, one channel, a single day, all touches of one type, no touches,
no segments, no spend, no lead/opportunity stages: no exception, and every figure
either has data on each of its axes or is replaced by a sentence (``chart``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from journey_fixtures import SPEC, STAGES, tables
from matplotlib.figure import Figure

from workbench.analysis.funnels import friction_points, stage_funnel
from workbench.analysis.lift import touchpoint_lift
from workbench.analysis.paths import (
    flow,
    next_touches,
    path_length_distribution,
    previous_touches,
    time_to_convert_distribution,
    top_paths,
)
from workbench.analysis.segments import compare_segments, segment_channel_mix
from workbench.analysis.windows import recommend_window, window_cutoffs
from workbench.attribution import (
    bootstrap_credits,
    channel_roles,
    compare_models,
    cost_metrics,
    double_counting,
    noisy_channels,
    platform_reported,
    run_models_detailed,
    spread_channel_credits,
)
from workbench.journeys.stages import add_stage_times
from workbench.plots.attribution import plot_channel_roles, plot_model_comparison
from workbench.plots.funnels import plot_friction, plot_funnel, plot_lift
from workbench.plots.journeys import plot_channel_mix, plot_segment_comparison
from workbench.plots.paths import (
    plot_flow,
    plot_next_touches,
    plot_path_lengths,
    plot_time_to_convert,
    plot_top_paths,
)
from workbench.plots.windows import plot_recommended_windows, plot_window_cutoffs
from workbench.report.display import chart
from workbench.schema import SPEND

MODELS = ["first", "last", "linear", "w_shaped", "markov:1", "shapley", "fractribution"]
SEGMENTS = {"smb": "customer_type == 'smb'", "nobody": "customer_type == 'none'"}


def _no_conversions():
    return [(j, False, 0.0, t, r, touches) for j, _, _, t, r, touches in SPEC]


def _one_channel():
    return [
        (j, c, v, t, r, [("Direct", tt, d, p) for _, tt, d, p in touches])
        for j, c, v, t, r, touches in SPEC
    ]


def _one_day():
    return [
        (j, c, v, t, r, [(ch, tt, 0, p) for ch, tt, _, p in touches])
        for j, c, v, t, r, touches in SPEC
    ]


def _one_type():
    return [
        (j, c, v, t, r, [(ch, "session", d, p) for ch, _, d, p in touches])
        for j, c, v, t, r, touches in SPEC
    ]


def _no_touches():
    return None  # built in _tables: the fixture builder needs at least one touch


SHAPES = {
    "no_conversions": _no_conversions,
    "one_channel": _one_channel,
    "one_day": _one_day,
    "one_touch_type": _one_type,
    "no_touches": _no_touches,
    "one_journey": lambda: SPEC[:1],
}


def _tables(shape):
    if shape != "no_touches":
        return tables(SHAPES[shape]())
    journeys, touches = tables(_one_channel())
    journeys = journeys.assign(
        n_touches=0, n_channels=0, duration_days=np.nan, path="(no touch)", first_ts=pd.NaT
    )
    return journeys.assign(first_channel=pd.NA, last_channel=pd.NA), touches.iloc[:0]


def _with_stage_times(journeys):
    none = pd.Series(pd.NaT, index=journeys.index, dtype="datetime64[ns, UTC]")
    return journeys.assign(lead_ts=none, opportunity_ts=none)


def _check(figure_or_axes):
    """A figure shown by ``chart``: None (nothing to show) or data on every axes."""
    fig = chart(figure_or_axes, show=False)
    if fig is not None:
        assert fig.axes and all(ax.has_data() for ax in fig.axes)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_journey_analyses_and_their_figures(shape):
    journeys, touches = _tables(shape)
    for segments in (None, SEGMENTS):
        comparison = compare_segments(journeys, touches, segments)
        _check(plot_segment_comparison(comparison, metric="conversion_rate"))
        _check(plot_channel_mix(segment_channel_mix(journeys, touches, segments)))
        recommended = recommend_window(journeys, segments=segments, include_all=False)
        assert list(recommended.columns)[0] == "segment"
        _check(plot_recommended_windows(recommended))
    _check(plot_flow(flow(journeys, touches, steps=4)))
    paths = top_paths(journeys, n=10)
    _check(plot_top_paths(paths))
    _check(plot_path_lengths(path_length_distribution(journeys)))
    _check(plot_time_to_convert(time_to_convert_distribution(journeys)))
    _check(plot_next_touches(next_touches(touches, journeys, touch_type="webinar_attendance")))
    _check(plot_next_touches(previous_touches(touches, journeys, touch_type="demo")))
    _check(plot_window_cutoffs(window_cutoffs(journeys, touches)))
    funnel = stage_funnel(journeys, touches, STAGES)
    _check(plot_funnel(funnel))
    _check(plot_friction(friction_points(funnel)))
    lift = touchpoint_lift(journeys, touches, touchpoints={"Demo": {"touch_type": "demo"}})
    finite = lift[np.isfinite(lift["lift"].astype(float))]
    _check(plot_lift(finite))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_attribution_on_degenerate_journeys(shape):
    journeys, touches = _tables(shape)
    journeys = _with_stage_times(journeys)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        detailed = run_models_detailed(touches, journeys, models=MODELS)
    credits = pd.concat([r.credits for r in detailed.values()], ignore_index=True)
    converted = int(journeys["converted"].sum())
    # every conversion is credited: those without a touch to "(no known touch)"
    totals = credits.groupby("model")["conversions"].sum()
    assert np.allclose(totals.reindex(MODELS, fill_value=0.0), converted)
    compare_models(credits)
    roles = channel_roles(touches, journeys)
    if converted and len(touches):
        _check(plot_model_comparison(credits))
        _check(plot_channel_roles(roles))
    for model, result in detailed.items():
        if result.touch_credits is None:
            spread = spread_channel_credits(result.credits, detailed["linear"].touch_credits, model)
            assert len(spread) == len(detailed["linear"].touch_credits)
    ci = None
    if converted and len(touches):
        ci = bootstrap_credits(touches, journeys, models=["markov:1"], n_boot=5, seed=0)
    assert set(noisy_channels(credits, ci, model="markov:1")["noisy"]) <= {True, False}


def test_no_spend_means_no_claims_and_no_cost():
    journeys, _ = tables()
    spend = pd.DataFrame({c: pd.Series(dtype="object") for c in SPEND.names})
    claims = platform_reported(spend)
    assert claims.empty
    double_counting(claims, journeys)
    credits = pd.DataFrame(
        {"model": ["last"], "channel": ["Email"], "conversions": [1.0], "value": [5.0]}
    )
    cost_metrics(credits, spend)


def test_stage_times_without_any_lead_or_opportunity_are_missing_timestamps():
    journeys, _ = tables()
    conversions = pd.DataFrame(
        {"person_id": ["p1"], "conversion_type": ["purchase"],
         "ts": pd.to_datetime(["2026-02-01"], utc=True)}
    )  # fmt: skip
    out = add_stage_times(journeys, conversions, unit="person")
    assert out["lead_ts"].isna().all() and out["opportunity_ts"].isna().all()
    assert isinstance(out["lead_ts"].dtype, pd.DatetimeTZDtype)
    lead = conversions.assign(conversion_type="lead", person_id="p2")
    out = add_stage_times(journeys, lead, unit="person")
    assert out["lead_ts"].notna().sum() == 1  # p2's lead precedes j2's conversion
    assert out.loc[out["person_id"] == "p2", "lead_ts"].iloc[0] == lead["ts"].iloc[0]


def test_empty_figures_are_sentences():
    fig = Figure()
    fig.subplots().barh([], [])
    assert "nothing" in chart(fig, empty="nothing", show=False).data


def test_long_paths_are_shortened_for_bar_labels():
    from workbench.plots.paths import short_path

    long = " > ".join(["Direct"] * 20)
    assert short_path(long) == "Direct > Direct > … > Direct (20 touches)"
    assert short_path("Direct > Email") == "Direct > Email"
    ax = plot_top_paths(top_paths(tables(_one_channel())[0], n=3))
    assert all(len(t.get_text()) <= 60 for t in ax.get_yticklabels())


def test_path_lengths_without_conversions_carry_no_zero_percent_labels():
    journeys, _ = tables(_no_conversions())
    ax = plot_path_lengths(path_length_distribution(journeys))
    assert not [t for t in ax.texts if "conv." in t.get_text()]
    assert ax.get_title().endswith("(none converted)")
    journeys, _ = tables()
    ax = plot_path_lengths(path_length_distribution(journeys))
    assert any("conv." in t.get_text() for t in ax.texts)
