"""Key findings as plain sentences computed from the analyses (executive summary).

Each function takes the output frame of one analysis and returns one sentence,
or ``None`` when the data cannot support a statement (too few conversions, no
spend ...). Nothing here is hard-coded: every number comes from its input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.attribution import model_label

__all__ = [
    "MODEL_QUESTIONS",
    "change_sentence",
    "evidence_sentence",
    "friction_sentence",
    "lift_sentence",
    "overclaim_sentence",
    "segment_sentence",
    "starter_sentence",
    "truth_sentence",
    "window_sentence",
]


def _pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else f"{x:.1%}"


def _count(x: float, one: str, many: str) -> str:
    n = round(float(x)) if x == x else 0
    return f"{n:,} {one if n == 1 else many}"


def _days(x: float) -> str:
    return _count(x, "day", "days")


def starter_sentence(
    roles: pd.DataFrame, credits: pd.DataFrame, *, segment: str, baseline: str = "last"
) -> str | None:
    """The channel whose share of journey starts most exceeds its last-click credit.

    ``roles`` from :func:`workbench.attribution.channel_roles`, ``credits`` from
    :func:`workbench.attribution.run_models` (must include ``baseline``).
    """
    base = credits[credits["model"] == baseline]
    if roles.empty or base.empty or base["conversions"].sum() <= 0:
        return None
    share = base.set_index("channel")["conversions"] / base["conversions"].sum()
    starts = roles.set_index("channel")["start_share"]
    gap = (starts - share.reindex(starts.index).fillna(0)).sort_values(ascending=False)
    if gap.empty or gap.iloc[0] <= 0:
        return None
    channel = gap.index[0]
    return (
        f"{channel} starts {_pct(starts[channel])} of {segment} converting journeys "
        f"but gets {_pct(float(share.get(channel, 0.0)))} of last-click credit."
    )


def overclaim_sentence(counting: pd.DataFrame, claims: pd.DataFrame) -> str | None:
    """Platforms' summed claims against the deduplicated conversions.

    ``counting`` from :func:`workbench.attribution.double_counting`, ``claims``
    from :func:`workbench.attribution.platform_reported`.
    """
    row = counting[counting["metric"] == "conversions"]
    if row.empty or not row["deduplicated"].iloc[0] or not row["claimed"].iloc[0] > 0:
        return None
    r = row.iloc[0]
    top = claims.sort_values("conversions", ascending=False).iloc[0] if len(claims) else None
    most = f" ({top['platform']} alone claims {top['conversions']:,.0f})" if top is not None else ""
    return (
        f"The ad platforms together claim {r['claimed']:,.0f} conversions{most}; "
        f"{r['deduplicated']:,.0f} really happened, so they count {r['ratio']:.1f}x."
    )


def lift_sentence(lift: pd.DataFrame, *, min_journeys: int = 20) -> str | None:
    """The strongest statistically clear touchpoint lift.

    ``lift`` from :func:`workbench.analysis.lift.touchpoint_lift`.
    """
    ok = lift[
        lift["significant"].fillna(False).astype(bool)
        & (lift["journeys_with"] >= min_journeys)
        & (lift["lift"] > 1)
        & np.isfinite(lift["lift"].astype(float))
    ]
    if ok.empty:
        return None
    r = ok.sort_values("lift", ascending=False).iloc[0]
    return (
        f"Journeys with {r['touchpoint']} convert at {r['lift']:.1f}x the rate of those "
        f"without ({_pct(r['rate_with'])} vs {_pct(r['rate_without'])}, "
        f"{int(r['journeys_with']):,} journeys with it) - an association, not proof of cause."
    )


def friction_sentence(friction: pd.DataFrame, *, segment: str) -> str | None:
    """The funnel step that loses the most journeys.

    ``friction`` from :func:`workbench.analysis.funnels.friction_points`.
    """
    if friction.empty or not (friction["lost_journeys"] > 0).any():
        return None  # (no journey reaches the funnel, or none is lost: no drop-off to name)
    r = friction.sort_values("lost_journeys", ascending=False).iloc[0]
    return (
        f"The biggest drop-off in {segment} journeys is {r['from_stage']} -> {r['to_stage']}: "
        f"{_pct(r['drop_off_rate'])} of the {int(r['entrants']):,} journeys that reach "
        f"{r['from_stage']} go no further."
    )


def window_sentence(recommended: pd.DataFrame) -> str | None:
    """The recommended attribution window per segment.

    ``recommended`` from :func:`workbench.analysis.windows.recommend_window`.
    """
    rows = recommended.dropna(subset=["recommended_days"])
    if rows.empty:
        return None
    parts = [
        f"{r['segment']} {_days(r['recommended_days'])} (median journey {_days(r['median_days'])})"
        for r in rows.to_dict("records")
    ]
    return "Attribution window that covers 90% of conversions: " + "; ".join(parts) + "."


def segment_sentence(comparison: pd.DataFrame) -> str | None:
    """How journeys differ between segments (length, duration, conversion rate).

    ``comparison`` from :func:`workbench.analysis.segments.compare_segments`.
    """
    wide = comparison.pivot_table(index="segment", columns="metric", values="value", sort=False)
    need = {"median_path_length_converted", "median_duration_days", "conversion_rate"}
    if not need <= set(wide.columns) or len(wide) < 2:
        return None
    parts = [
        f"{seg}: {_count(row['median_path_length_converted'], 'touch', 'touches')} over "
        f"{_days(row['median_duration_days'])}, {_pct(row['conversion_rate'])} convert"
        for seg, row in wide.iterrows()
        if pd.notna(row["median_path_length_converted"])
    ]
    return "Typical converting journey - " + "; ".join(parts) + "." if parts else None


def truth_sentence(scores: pd.DataFrame) -> str | None:
    """Which model lands closest to the true incremental contribution.

    ``scores`` from :func:`workbench.attribution.truthfulness`.
    """
    if scores.empty:
        return None
    ranked = scores.sort_values("tv_conversions")
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    return (
        f"Against the known causal truth, {model_label(best['model'])} is closest (misallocates "
        f"{_pct(best['tv_conversions'])} of credit) and {model_label(worst['model'])} furthest "
        f"({_pct(worst['tv_conversions'])})."
    )


#: What each model family answers: said when no evidence can pick a model.
MODEL_QUESTIONS = (
    "rule-based models (first, last, linear, position, time decay, W-shaped) describe the "
    "path: who opened and who closed it; data-driven models (Markov removal effects, "
    "Shapley, fractribution) estimate from converting and non-converting paths how much "
    "each channel's presence goes with conversion; the incrementality model fits the chance "
    "of converting to every journey's channels and credits each channel with the "
    "conversions the fit expects lost without it, the rest to (baseline), assuming no "
    "confounding; only an experiment (a lift test or a holdout) measures what a channel "
    "causes"
)


def evidence_sentence(evidence: pd.DataFrame) -> str:
    """The model closest to the evidence with every model's distance, or why none is named.

    ``evidence`` from :func:`workbench.attribution.calibration.recommend_model`
    (``model, distance, evidence, recommended``); empty when there is neither a
    ground truth nor an experiment, and the sentence then says what each model family
    answers (:data:`MODEL_QUESTIONS`).
    """
    if evidence.empty:
        return (
            "No evidence picks a model (no ground truth and no lift test in [[experiments]]): "
            + MODEL_QUESTIONS
            + "."
        )
    ranked = evidence.sort_values("distance", kind="stable")
    best = ranked.iloc[0]
    if best["evidence"] == "truth":
        what, unit = "the known causal truth", "of credit misallocated"
    else:
        what, unit = "the lift tests", "mean relative error against the tests"
    values = [_pct(d) for d in ranked["distance"]]
    others = ", ".join(
        f"{model_label(m)} {v}" for m, v in zip(ranked["model"][1:], values[1:], strict=True)
    )
    return f"Closest to {what}: {model_label(best['model'])} ({values[0]} {unit})" + (
        f"; then {others}." if others else "."
    )


def _signed_pct(x: float) -> str:
    return "–" if x != x else f"{x:+.0%}"


def change_sentence(metrics: pd.DataFrame, *, compare_label: str) -> str | None:
    """Conversions, conversion rate and value against the comparison period.

    ``metrics`` from :func:`workbench.analysis.comparisons.compare_metrics`; ``compare_label``
    names the comparison window ("the previous period, 2026-01-01 to 2026-01-31").
    """
    if metrics.empty:
        return None
    m = metrics.set_index("metric")
    if not m.loc["journeys", "previous"] > 0:
        return f"{compare_label[:1].upper()}{compare_label[1:]} holds no journey, so no change can be stated."
    conv, rate, value = m.loc["conversions"], m.loc["conversion_rate"], m.loc["value"]
    pp = rate["change"] * 100
    rate_change = "–" if pp != pp else f"{pp:+.1f} pp"
    return (
        f"Against {compare_label}: {_count(conv['current'], 'conversion', 'conversions')} "
        f"vs {conv['previous']:,.0f} ({_signed_pct(conv['change'])}), conversion rate "
        f"{_pct(rate['current'])} vs {_pct(rate['previous'])} ({rate_change}), value "
        f"{value['current']:,.0f} vs {value['previous']:,.0f} ({_signed_pct(value['change'])})."
    )
