"""Tests of workbench.plots.attribution through their artists (not pixels).

Inputs come from the real attribution functions run on five hand-made journeys:

====  =========  =====  ==========================================
id    converted  value  touches
====  =========  =====  ==========================================
j1    yes        10     Paid Search > Webinar > Email
j2    yes        20     Paid Search
j3    yes        30     Webinar > Paid Search
j4    no         0      Email
j5    yes        40     Paid Social - LinkedIn > Email
====  =========  =====  ==========================================
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from workbench.attribution import (
    bootstrap_credits,
    channel_roles,
    click_window_claims,
    compare_models,
    cost_metrics,
    double_counting,
    markov_transition_matrix,
    paths_from_journeys,
    platform_reported,
    run_models,
    truthfulness,
)
from workbench.plots.attribution import (
    plot_bootstrap_intervals,
    plot_channel_roles,
    plot_cost_metrics,
    plot_credit_spread,
    plot_model_comparison,
    plot_platform_claims,
    plot_transition_matrix_markov,
    plot_truthfulness,
)
from workbench.plots.colors import channel_color

matplotlib.use("Agg")

LINKEDIN = "Paid Social - LinkedIn"
MODELS = ["first", "last", "linear", "markov:1"]
TOUCHES = pd.DataFrame(
    {
        "journey_id": ["j1", "j1", "j1", "j2", "j3", "j3", "j4", "j5", "j5"],
        "position": [0, 1, 2, 0, 0, 1, 0, 0, 1],
        "channel": [
            "Paid Search",
            "Webinar",
            "Email",
            "Paid Search",
            "Webinar",
            "Paid Search",
            "Email",
            LINKEDIN,
            "Email",
        ],
    }
)
JOURNEYS = pd.DataFrame(
    {
        "journey_id": ["j1", "j2", "j3", "j4", "j5"],
        "converted": [True, True, True, False, True],
        "value": [10.0, 20.0, 30.0, 0.0, 40.0],
    }
)
CREDITS = run_models(TOUCHES, JOURNEYS, models=MODELS)


def _ticks(ax) -> dict[str, float]:
    """Tick label text -> y position."""
    return {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}


def _by_gid(ax, prefix: str) -> dict:
    artists = [*ax.patches, *ax.collections, *ax.texts]
    return {a.get_gid(): a for a in artists if (a.get_gid() or "").startswith(prefix)}


def _row_of(ticks: dict[str, float], y: float) -> str:
    return min(ticks, key=lambda name: abs(ticks[name] - y))


def test_model_comparison_markers_are_shares_in_channel_colours() -> None:
    ax = plot_model_comparison(CREDITS)
    ticks = _ticks(ax)
    assert set(ticks) == {"Paid Search", "Webinar", "Email", LINKEDIN}
    expected = CREDITS.assign(
        share=CREDITS["conversions"] / CREDITS.groupby("model")["conversions"].transform("sum")
    ).set_index(["model", "channel"])["share"]
    markers = _by_gid(ax, "model:")
    assert set(markers) == {f"model:{m}" for m in MODELS}
    for model in MODELS:
        points = markers[f"model:{model}"]
        for (x, y), face in zip(points.get_offsets(), points.get_facecolors(), strict=True):
            channel = _row_of(ticks, y)
            assert abs(ticks[channel] - y) < 0.3
            assert x == pytest.approx(expected[(model, channel)])
            assert to_hex(face) == channel_color(channel)
    # Mean share over the four models decides the order: Paid Search first.
    mean = expected.groupby(level="channel").mean().sort_values(ascending=False)
    assert sorted(ticks, key=ticks.get, reverse=True)[0] == mean.index[0] == "Paid Search"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["First touch", "Last touch", "Linear (equal split)", "Markov chain (order 1)"]
    spread = _by_gid(ax, "spread")["spread"].get_segments()
    email = next(s for s in spread if abs(s[0][1] - ticks["Email"]) < 1e-9)
    assert sorted([email[0][0], email[1][0]]) == pytest.approx(
        [expected.xs("Email", level="channel").min(), expected.xs("Email", level="channel").max()]
    )
    assert ax.xaxis.get_major_formatter()(0.5, 0) == "50%"
    assert "Credit per channel" in ax.get_title()


def test_model_comparison_amounts_subset_and_bad_model() -> None:
    ax = plot_model_comparison(CREDITS, metric="value", models=["last"], share=False)
    points = _by_gid(ax, "model:")["model:last"]
    ticks = _ticks(ax)
    got = {_row_of(ticks, y): x for x, y in points.get_offsets()}
    last = CREDITS[CREDITS["model"] == "last"].set_index("channel")["value"]
    assert got == pytest.approx(last.to_dict())
    assert ax.get_xlabel().startswith("Credited conversion value")
    with pytest.raises(ValueError, match="not in the data"):
        plot_model_comparison(CREDITS, models=["shapley"])


def test_credit_spread_ranges_and_few_conversion_flags() -> None:
    comparison = compare_models(CREDITS, min_conversions=1)
    ax = plot_credit_spread(comparison)
    rows = comparison.set_index("channel")
    bars = _by_gid(ax, "spread:")
    assert len(bars) == 4
    for channel, row in rows.iterrows():
        bar = bars[f"spread:{channel}"]
        assert bar.get_x() == pytest.approx(row["share_min"])
        assert bar.get_width() == pytest.approx(row["share_range"])
        assert to_hex(bar.get_facecolor()) == channel_color(channel)
    # Email (0 under first), Webinar (0 under last) and LinkedIn have < 1 conversion somewhere.
    flagged = {t.get_text() for t in ax.get_yticklabels() if t.get_fontstyle() == "italic"}
    assert flagged == set(rows.index[rows["few_conversions"]]) == {"Email", "Webinar", LINKEDIN}
    assert "too few conversions" in ax.get_xlabel()
    assert "Paid Search" not in flagged
    texts = [t.get_text() for t in ax.texts]
    # Paid Search: 7/19 (Markov) to 1/2 (first, last): 13.2 points.
    assert "  37% to 50%  (13 pts apart)" in texts
    assert "disagree" in ax.get_title()


def test_platform_claims_bars_and_ratio() -> None:
    spend = pd.DataFrame(
        {
            "platform": ["google_ads", "meta", "linkedin", "google_ads"],
            "spend": [10.0, 20.0, 30.0, 5.0],
            "platform_conversions": [3.0, 3.0, 0.2, 1.0],
            "platform_conversion_value": [30.0, 20.0, 10.0, 0.0],
        }
    )
    claims = platform_reported(spend)  # google_ads 4, meta 3, linkedin 0.2: 7.2 claimed
    counting = double_counting(claims, JOURNEYS)  # 4 converted journeys: ratio 1.8
    ax = plot_platform_claims(claims, counting)
    bars = _by_gid(ax, "claim:")
    assert {g: b.get_width() for g, b in bars.items()} == {
        "claim:google_ads": 4.0,
        "claim:meta": 3.0,
        "claim:linkedin": 0.2,
    }
    assert to_hex(bars["claim:google_ads"].get_facecolor()) == channel_color("Paid Search")
    assert to_hex(bars["claim:linkedin"].get_facecolor()) == channel_color(LINKEDIN)
    stacked = sorted(_by_gid(ax, "total:").values(), key=lambda b: b.get_x())
    assert [b.get_x() for b in stacked] == [0.0, 4.0, 7.0]
    assert stacked[-1].get_x() + stacked[-1].get_width() == pytest.approx(7.2)
    assert _by_gid(ax, "deduplicated")["deduplicated"].get_width() == 4.0
    ratio = _by_gid(ax, "ratio")["ratio"].get_text()
    assert ratio == "  7.2: platforms claim 1.8\u00d7 the real conversions"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:3] == ["Google Ads", "Meta", "LinkedIn"]
    assert "All platforms added up" in labels
    assert "claim" in ax.get_title()


def test_platform_claims_from_click_windows_by_value() -> None:
    touches = TOUCHES.assign(
        touch_type="ad_click",
        platform=TOUCHES["channel"].map({"Paid Search": "google_ads", LINKEDIN: "linkedin"}),
        days_to_conversion=1.0,
    )
    claims = click_window_claims(touches, JOURNEYS)
    counting = double_counting(claims, JOURNEYS)
    ax = plot_platform_claims(claims, counting, metric="value")
    bars = _by_gid(ax, "claim:")
    assert bars["claim:google_ads"].get_width() == 60.0  # j1, j2, j3
    assert bars["claim:linkedin"].get_width() == 40.0  # j5
    assert bars["claim:meta"].get_width() == 0.0
    assert _by_gid(ax, "deduplicated")["deduplicated"].get_width() == 100.0
    assert "claim 1.0\u00d7 the real conversion value" in _by_gid(ax, "ratio")["ratio"].get_text()


SPEND = pd.DataFrame(
    {"channel": ["Paid Search", LINKEDIN, "Paid Search"], "spend": [30.0, 20.0, 10.0]}
)


def test_cost_metrics_cpa_only_channels_with_spend() -> None:
    cost = cost_metrics(CREDITS, SPEND)
    ax = plot_cost_metrics(cost)
    ticks = _ticks(ax)
    assert {t.split("\n")[0] for t in ticks} == {"Paid Search", LINKEDIN}
    assert "Paid Search\nspend 40" in ticks
    expected = cost.set_index(["model", "channel"])["cpa"]
    markers = _by_gid(ax, "model:")
    for model in MODELS:
        for (x, y), face in zip(
            markers[f"model:{model}"].get_offsets(),
            markers[f"model:{model}"].get_facecolors(),
            strict=True,
        ):
            channel = _row_of(ticks, y).split("\n")[0]
            assert x == pytest.approx(expected[(model, channel)])
            assert to_hex(face) == channel_color(channel)
    # last credits LinkedIn nothing: no CPA marker, and the label says why.
    assert len(markers["model:last"].get_offsets()) == 1
    assert "No marker" in ax.get_xlabel()
    assert "lower is better" in ax.get_xlabel()
    # Lowest mean CPA on top: Paid Search (40 / ~2) beats LinkedIn (20 / <1).
    assert max(ticks, key=ticks.get).startswith("Paid Search")


def test_cost_metrics_roas_break_even_line() -> None:
    cost = cost_metrics(CREDITS, SPEND)
    ax = plot_cost_metrics(cost, metric="roas", models=["linear"])
    points = _by_gid(ax, "model:")["model:linear"].get_offsets()
    expected = cost[cost["model"] == "linear"].set_index("channel")["roas"]
    assert sorted(points[:, 0]) == pytest.approx(sorted(expected[["Paid Search", LINKEDIN]]))
    assert ax.lines[0].get_xdata()[0] == 1.0
    assert ax.xaxis.get_major_formatter()(2, 0) == "2\u00d7"
    assert "higher is better" in ax.get_xlabel()


def test_channel_roles_stacked_segments() -> None:
    roles = channel_roles(TOUCHES, JOURNEYS)
    ax = plot_channel_roles(roles)
    segments = _by_gid(ax, "role:")
    assert len(segments) == 3 * len(roles)
    for row in roles.itertuples(index=False):
        start = segments[f"role:start:{row.channel}"]
        assist = segments[f"role:assist:{row.channel}"]
        close = segments[f"role:close:{row.channel}"]
        assert start.get_width() == pytest.approx(row.start_share)
        assert assist.get_x() == pytest.approx(row.start_share)
        assert assist.get_width() == pytest.approx(row.assist_share)
        assert close.get_x() == pytest.approx(row.start_share + row.assist_share)
        assert close.get_width() == pytest.approx(row.close_share)
        for seg in (start, assist, close):
            assert to_hex(seg.get_facecolor()) == channel_color(row.channel)
        assert close.get_facecolor()[3] == 1.0 > assist.get_facecolor()[3]
    # Paid Search opens 2 of 4 conversions (j1, j2) and is in 3 converting journeys: top row.
    ticks = _ticks(ax)
    assert max(ticks, key=ticks.get) == "Paid Search"
    assert segments["role:start:Paid Search"].get_width() == pytest.approx(0.5)
    texts = [t.get_text() for t in ax.texts]
    assert "50%" in texts and "  mainly closes" in texts
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Opens (first touch)", "Assists (a middle touch)", "Closes (last touch)"]
    assert ax.xaxis.get_major_formatter()(1.2, 0) == "120%"


def test_truthfulness_sorted_best_first_and_highlighted() -> None:
    truth = pd.DataFrame(
        {
            "channel": ["Paid Search", "Webinar", "Email", LINKEDIN],
            "conversions_lost": [2.0, 1.0, 1.0, 0.0],
            "revenue_lost": [1.0, 1.0, 1.0, 1.0],
        }
    )
    scores = truthfulness(CREDITS, truth)
    ax = plot_truthfulness(scores)
    widths = [b.get_width() for b in sorted(ax.patches, key=lambda b: -b.get_y())]
    assert widths == pytest.approx(sorted(scores["tv_conversions"]))
    best = scores.loc[scores["tv_conversions"].idxmin(), "model"]
    bar = _by_gid(ax, f"model:{best}")[f"model:{best}"]
    assert to_hex(bar.get_facecolor()) == "#1a9850"
    others = [b for b in ax.patches if b is not bar]
    assert all(to_hex(b.get_facecolor()) == "#9e9e9e" for b in others)
    top = max(ax.get_yticklabels(), key=lambda t: t.get_position()[1])
    assert top.get_fontweight() == "bold"
    assert "lower is closer to the truth" in ax.get_xlabel()
    assert any("closest to the truth" in t.get_text() for t in ax.texts)


def test_markov_matrix_reuses_the_path_heatmap() -> None:
    matrix = markov_transition_matrix(paths_from_journeys(TOUCHES, JOURNEYS))
    ax = plot_transition_matrix_markov(matrix)
    image = np.asarray(ax.images[0].get_array())
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows[0] == "(start)" and cols[-2:] == ["Converted", "Not converted"]
    prob = matrix.set_index(["from_state", "to_state"])["probability"]
    assert image[rows.index("(start)"), cols.index("Paid Search")] == pytest.approx(
        prob[("(start)", "Paid Search")]
    )
    assert image[rows.index("Email"), cols.index("Converted")] == pytest.approx(2 / 3)
    assert image.sum(axis=1) == pytest.approx(np.ones(len(rows)))
    assert "Markov" in ax.get_title()


def test_markov_matrix_top_states_merge_into_other() -> None:
    matrix = markov_transition_matrix(paths_from_journeys(TOUCHES, JOURNEYS))
    ax = plot_transition_matrix_markov(matrix, top=1)
    image = np.asarray(ax.images[0].get_array())
    rows = [t.get_text() for t in ax.get_yticklabels()]
    # Email is entered most (4 times); the rest is "(other)".
    assert rows == ["(start)", "(other)", "Email"]
    assert image.sum(axis=1) == pytest.approx(np.ones(3))
    # (other) = Paid Search, Webinar, LinkedIn: 6 moves out, 2 to conversion, 2 to Email.
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert image[rows.index("(other)"), cols.index("Converted")] == pytest.approx(2 / 6)
    assert image[rows.index("(other)"), cols.index("Email")] == pytest.approx(2 / 6)


def test_bootstrap_intervals_bars_and_error_lines() -> None:
    ci = bootstrap_credits(TOUCHES, JOURNEYS, models=["linear", "last"], n_boot=30, seed=1)
    ax = plot_bootstrap_intervals(ci, model="linear")
    linear = ci[ci["model"] == "linear"].sort_values("conversions", ascending=False)
    total = linear["conversions"].sum()
    bars = sorted(ax.patches, key=lambda b: -b.get_y())
    assert [b.get_width() for b in bars] == pytest.approx(linear["conversions"] / total)
    assert [to_hex(b.get_facecolor()) for b in bars] == [
        channel_color(c) for c in linear["channel"]
    ]
    container = next(c for c in ax.containers if isinstance(c, ErrorbarContainer))
    segments = container.lines[2][0].get_segments()
    ends = np.array([[s[0][0], s[1][0]] for s in segments])
    assert ends[:, 0] == pytest.approx(linear["conversions_low"] / total)
    assert ends[:, 1] == pytest.approx(linear["conversions_high"] / total)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == linear["channel"].tolist()
    assert all(t.get_fontstyle() == "italic" for t in ax.get_yticklabels())  # < 30 conv.
    assert "too few conversions" in ax.get_xlabel()
    assert "Linear (equal split)" in ax.get_title()
    with pytest.raises(ValueError, match="not in the data"):
        plot_bootstrap_intervals(ci, model="shapley")


def test_given_axes_are_used_and_no_pyplot_state() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    ax = Figure().add_subplot()
    assert plot_model_comparison(CREDITS, ax=ax) is ax
    plot_credit_spread(compare_models(CREDITS))
    plot_channel_roles(channel_roles(TOUCHES, JOURNEYS)).figure.canvas.draw()
    assert plt.get_fignums() == before
