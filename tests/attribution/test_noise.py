"""The attribution caution follows the measured uncertainty (bootstrap intervals)."""

from __future__ import annotations

import pandas as pd

from workbench.attribution import noisy_channels

CREDITS = pd.DataFrame(
    {
        "model": ["markov:1"] * 3 + ["last"] * 3,
        "channel": ["Email", "Search", "Events"] * 2,
        "conversions": [20.0, 40.0, 0.0, 25.0, 35.0, 0.0],
        "value": 0.0,
    }
)


def test_interval_rule_flags_wide_intervals_not_small_counts():
    ci = pd.DataFrame(
        {
            "model": ["markov:1"] * 3,
            "channel": ["Email", "Search", "Events"],
            # Email: 20 credited, interval 16..24 (width 8 < 20): precise although < 30
            # Search: 40 credited, interval 10..70 (width 60 > 40): too noisy although >= 30
            # Events: nothing credited: nothing to act on
            "conversions_low": [16.0, 10.0, 0.0],
            "conversions_high": [24.0, 70.0, 0.0],
        }
    )
    out = noisy_channels(CREDITS, ci, model="markov:1", min_conversions=30).set_index("channel")
    assert out["noisy"].to_dict() == {"Email": False, "Search": True, "Events": True}
    assert set(out["rule"]) == {"interval"}
    assert out.loc["Email", "relative_width"] == 8 / 20
    assert out.loc["Search", "relative_width"] == 60 / 40


def test_count_rule_only_without_a_measured_interval():
    out = noisy_channels(CREDITS, None, model="markov:1", min_conversions=30).set_index("channel")
    assert out["noisy"].to_dict() == {"Email": True, "Search": False, "Events": True}
    assert set(out["rule"]) == {"count"}
    partial = pd.DataFrame(
        {"model": ["markov:1"], "channel": ["Email"], "conversions_low": [16.0],
         "conversions_high": [24.0]}
    )  # fmt: skip
    mixed = noisy_channels(CREDITS, partial, model="markov:1").set_index("channel")
    assert mixed["rule"].to_dict() == {"Email": "interval", "Search": "count", "Events": "count"}
    assert mixed["noisy"].to_dict() == {"Email": False, "Search": False, "Events": True}


def test_no_credit_at_all_gives_an_empty_table():
    out = noisy_channels(CREDITS.iloc[:0], None, model="markov:1")
    assert out.empty and list(out.columns)[:2] == ["channel", "conversions"]


def test_spread_and_interval_charts_say_why_a_channel_is_greyed():
    from workbench.attribution import compare_models
    from workbench.plots.attribution import plot_bootstrap_intervals, plot_credit_spread

    comparison = compare_models(CREDITS).assign(few_conversions=[True, False, False])
    note = "Grey italic channels: credit too uncertain to act on (wide bootstrap interval)"
    ax = plot_credit_spread(comparison, flag_note=note)
    assert note in ax.get_xlabel() and "too few conversions" not in ax.get_xlabel()
    ci = pd.DataFrame(
        {"model": "markov:1", "channel": ["Email", "Search"], "conversions": [20.0, 40.0],
         "conversions_low": [16.0, 10.0], "conversions_high": [24.0, 70.0],
         "few_conversions": [False, True]}
    )  # fmt: skip
    ax = plot_bootstrap_intervals(ci, model="markov:1", flag_note=note)
    assert note in ax.get_xlabel()
    grey = [t.get_text() for t in ax.get_yticklabels() if t.get_fontstyle() == "italic"]
    assert grey == ["Search"]
