"""Comparison tools and bootstrap intervals, on hand-made credits and journeys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.attribution import (
    bootstrap_credits,
    channel_roles,
    compare_models,
    cost_metrics,
    low_conversion_warnings,
    paths_from_journeys,
    truthfulness,
    undercredited_by_last_click,
)
from workbench.attribution.bootstrap import poisson_weights
from workbench.attribution.registry import prepare_model
from workbench.errors import ValidationError

CREDITS = pd.DataFrame(
    {
        "model": ["last"] * 3 + ["linear"] * 3,
        "channel": ["A", "B", "C"] * 2,
        "conversions": [60.0, 40.0, 0.0, 40.0, 40.0, 20.0],
        "value": [600.0, 300.0, 100.0, 500.0, 300.0, 200.0],
    }
)


def test_compare_models_wide_table_and_spread():
    wide = compare_models(CREDITS, min_conversions=30).set_index("channel")
    assert wide.loc["A", "share:last"] == pytest.approx(0.6)
    assert wide.loc["A", "share:linear"] == pytest.approx(0.4)
    assert wide.loc["C", "conversions:linear"] == 20.0
    assert wide.loc["A", "value:last"] == 600.0
    assert wide.loc["A", "share_min"] == pytest.approx(0.4)
    assert wide.loc["A", "share_max"] == pytest.approx(0.6)
    assert wide.loc["A", "share_range"] == pytest.approx(0.2)
    assert wide.loc["A", "share_std"] == pytest.approx(0.1)  # population std of 0.6, 0.4
    assert wide.loc["B", "share_std"] == pytest.approx(0.0)
    assert wide.loc["C", "value_share_max"] == pytest.approx(0.2)
    assert wide["few_conversions"].to_dict() == {"A": False, "B": False, "C": True}


def test_low_conversion_warnings_name_model_and_channel():
    msgs = low_conversion_warnings(CREDITS, min_conversions=30)
    assert len(msgs) == 2
    assert msgs[0].startswith("last: channel 'C' is credited 0.0 conversions (< 30)")
    assert "linear: channel 'C'" in msgs[1]


@pytest.fixture
def tables():
    touches = pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j1", "j2", "j3", "j3", "j4"],
            "position": [0, 1, 2, 0, 0, 1, 0],
            "channel": ["A", "B", "C", "A", "B", "A", "C"],
        }
    )
    journeys = pd.DataFrame(
        {
            "journey_id": ["j1", "j2", "j3", "j4"],
            "converted": [True, True, True, False],
            "value": [10.0, 20.0, 30.0, 0.0],
        }
    )
    return touches, journeys


def test_channel_roles_by_hand(tables):
    # Converting: A > B > C, A, B > A. Starts: A 2, B 1. Closes: C 1, A 2. Assists: B 1.
    roles = channel_roles(*tables).set_index("channel")
    assert roles["starts"].to_dict() == {"A": 2.0, "B": 1.0, "C": 0.0}
    assert roles["closes"].to_dict() == {"A": 2.0, "B": 0.0, "C": 1.0}
    assert roles["assists"].to_dict() == {"A": 0.0, "B": 1.0, "C": 0.0}
    assert roles["converting_journeys"].to_dict() == {"A": 3.0, "B": 2.0, "C": 1.0}
    assert roles.loc["A", "start_share"] == pytest.approx(2 / 3)
    assert roles["role"].to_dict() == {"A": "opener", "B": "opener", "C": "closer"}


def test_cost_metrics_cpa_and_roas():
    spend = pd.DataFrame(
        {
            "date": ["2026-01-01", "2026-01-02", "2026-01-01"],
            "channel": ["A", "A", "B"],
            "spend": [100.0, 200.0, 80.0],
            "currency": ["EUR", "EUR", "EUR"],
        }
    )
    out = cost_metrics(CREDITS, spend).set_index(["model", "channel"])
    assert out.loc[("last", "A"), "spend"] == 300.0
    assert out.loc[("last", "A"), "cpa"] == pytest.approx(5.0)
    assert out.loc[("linear", "B"), "roas"] == pytest.approx(300 / 80)
    assert np.isnan(out.loc[("last", "C"), "cpa"]) and np.isnan(out.loc[("last", "C"), "roas"])
    mixed = spend.assign(currency=["EUR", "USD", "EUR"])
    with pytest.raises(ValidationError, match="mixes currencies"):
        cost_metrics(CREDITS, mixed)
    with pytest.raises(ValidationError, match="cannot be attributed"):
        cost_metrics(CREDITS, spend.assign(channel=["A", None, "B"]))


def test_undercredited_by_last_click():
    out = undercredited_by_last_click(CREDITS)
    assert out["model"].unique().tolist() == ["linear"]
    row = out.set_index("channel")
    assert row.loc["C", "difference"] == 20.0 and bool(row.loc["C", "undercredited"])
    assert row.loc["A", "difference"] == -20.0 and not row.loc["A", "undercredited"]
    assert row.loc["A", "ratio"] == pytest.approx(40 / 60)
    assert np.isnan(row.loc["C", "ratio"])
    assert out["channel"].tolist()[0] == "C"  # largest gap first


def test_truthfulness_total_variation_distance():
    # Truth shares: A 0.5, B 0.25, C 0.25 (conversions); revenue: A 0.2, B 0.3, C 0.5.
    truth = pd.DataFrame(
        {"channel": ["A", "B", "C"], "conversions_lost": [10, 5, 5], "revenue_lost": [2, 3, 5]}
    )
    out = truthfulness(CREDITS, truth).set_index("model")
    # last: shares 0.6, 0.4, 0 -> TV = (0.1 + 0.15 + 0.25) / 2 = 0.25
    # linear: 0.4, 0.4, 0.2 -> TV = (0.1 + 0.15 + 0.05) / 2 = 0.15
    assert out.loc["last", "tv_conversions"] == pytest.approx(0.25)
    assert out.loc["linear", "tv_conversions"] == pytest.approx(0.15)
    assert out.loc["linear", "truthfulness_conversions"] == pytest.approx(0.85)
    # linear value shares 0.5, 0.3, 0.2 vs 0.2, 0.3, 0.5 -> TV 0.3
    assert out.loc["linear", "tv_value"] == pytest.approx(0.3)
    assert out.index.tolist() == ["linear", "last"]  # best first


def _random_tables(n=300, seed=4):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 5, size=n)
    touches = pd.DataFrame(
        {
            "journey_id": np.repeat([f"j{i}" for i in range(n)], lengths),
            "position": np.concatenate([np.arange(k) for k in lengths]),
            "channel": rng.choice(list("ABCD"), size=lengths.sum(), p=[0.4, 0.3, 0.2, 0.1]),
        }
    )
    conv = rng.random(n) < 0.5
    journeys = pd.DataFrame(
        {
            "journey_id": [f"j{i}" for i in range(n)],
            "converted": conv,
            "value": np.where(conv, rng.integers(1, 100, n), 0).astype(float),
        }
    )
    return touches, journeys


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    t, j = _random_tables()
    out = bootstrap_credits(t, j, models=["linear", "markov:1"], n_boot=40, seed=3)
    again = bootstrap_credits(t, j, models=["linear", "markov:1"], n_boot=40, seed=3)
    pd.testing.assert_frame_equal(out, again)
    other = bootstrap_credits(t, j, models=["linear"], n_boot=40, seed=4)
    assert not np.allclose(other["conversions_low"], out["conversions_low"][:4])
    assert (out["conversions_low"] <= out["conversions"]).all()
    assert (out["conversions"] <= out["conversions_high"]).all()
    assert (out["value_low"] < out["value_high"]).all()
    assert out.loc[out.channel == "D", "few_conversions"].all()  # D is rare


def test_vectorized_rule_bootstrap_equals_a_loop_over_replicates():
    t, j = _random_tables()
    out = bootstrap_credits(t, j, models=["position"], n_boot=30, seed=9, level=0.8)
    paths = paths_from_journeys(t, j)
    model = prepare_model(paths, "position")
    conv, nulls, value = poisson_weights(paths, np.random.default_rng(9), 30)
    reps = np.array([model.channel_credits(conv[b], nulls[b], value[b])[0] for b in range(30)])
    assert out["conversions_low"].to_numpy() == pytest.approx(np.quantile(reps, 0.1, axis=0))
    assert out["conversions_high"].to_numpy() == pytest.approx(np.quantile(reps, 0.9, axis=0))


def test_bootstrap_rejects_bad_arguments():
    t, j = _random_tables(20)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_credits(t, j, models=["linear"], n_boot=1)
    with pytest.raises(ValueError, match="level"):
        bootstrap_credits(t, j, models=["linear"], level=1.5)


def test_spread_channel_credits_keeps_journey_and_channel_totals():
    import pandas as pd

    from workbench.attribution import spread_channel_credits

    # Two converting journeys: j1 = A > B (value 10), j2 = B (value 30); linear skeleton.
    skeleton = pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j2"],
            "position": [0, 1, 0],
            "channel": ["A", "B", "B"],
            "model": "linear",
            "credit": [0.5, 0.5, 1.0],
            "value_credit": [5.0, 5.0, 30.0],
        }
    )
    # The channel model gives A 0.8 conversions and B 1.2: only j1 can carry A's credit.
    credits = pd.DataFrame(
        {
            "model": ["markov:1", "markov:1"],
            "channel": ["A", "B"],
            "conversions": [0.8, 1.2],
            "value": [8.0, 32.0],
        }
    )
    out = spread_channel_credits(credits, skeleton, "markov:1")
    by_journey = out.groupby("journey_id")[["credit", "value_credit"]].sum()
    assert by_journey.loc["j1"].tolist() == pytest.approx([1.0, 10.0])
    assert by_journey.loc["j2"].tolist() == pytest.approx([1.0, 30.0])
    by_channel = out.groupby("channel")[["credit", "value_credit"]].sum()
    assert by_channel.loc["A"].tolist() == pytest.approx([0.8, 8.0])
    assert by_channel.loc["B"].tolist() == pytest.approx([1.2, 32.0])
    assert set(out["model"]) == {"markov:1"}
