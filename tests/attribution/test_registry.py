"""Invariants every model must satisfy, and the registry / run_models entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.attribution import (
    CREDIT_COLUMNS,
    DEFAULT_MODELS,
    MODELS,
    TOUCH_CREDIT_COLUMNS,
    aggregate_paths,
    paths_from_aggregated,
    paths_from_journeys,
    run_models,
    run_models_detailed,
    touch_credits,
)

# The "empty" journey converts without touches (warned about, tested in the inputs tests).
pytestmark = pytest.mark.filterwarnings("ignore:.*have no touches:UserWarning")

CHANNELS = ["Direct", "Email", "Organic Search", "Paid Search", "Paid Social"]


def journey_tables(n: int = 250, seed: int = 0):
    """Random journeys: timestamps, marker touch types, a channel ('Ghost') seen only on
    non-converting journeys and one converted journey without touches."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2026-06-01", tz="UTC")
    lengths = rng.integers(1, 7, size=n)
    jid = np.repeat([f"j{i:04d}" for i in range(n)], lengths)
    position = np.concatenate([np.arange(k) for k in lengths])
    channel = rng.choice(CHANNELS, size=lengths.sum())
    back = np.concatenate([np.sort(rng.uniform(0, 40, k))[::-1] for k in lengths])
    touch_type = rng.choice(["session", "form_submit", "demo", "ad_click"], size=lengths.sum())
    converted = rng.random(n) < 0.45
    ghost = np.isin(jid, np.array([f"j{i:04d}" for i in np.flatnonzero(~converted)[:5]]))
    channel = np.where(ghost & (position == 0), "Ghost", channel)
    touches = pd.DataFrame(
        {
            "journey_id": jid,
            "position": position,
            "ts": end - pd.to_timedelta(back, unit="D"),
            "channel": channel,
            "touch_type": touch_type,
        }
    )
    journeys = pd.DataFrame(
        {
            "journey_id": [f"j{i:04d}" for i in range(n)] + ["empty"],
            "converted": np.append(converted, True),
            "value": np.append(np.where(converted, rng.integers(10, 500, n), 0), 99).astype(float),
            "conversion_ts": end,
        }
    )
    return touches, journeys


ALL = sorted(MODELS)


@pytest.fixture(scope="module")
def tables():
    return journey_tables()


@pytest.fixture(scope="module")
def results(tables):
    return run_models_detailed(*tables, models=ALL)


def test_credits_sum_to_conversions_and_value_for_every_model(tables, results):
    touches, journeys = tables
    # conversions without any touch are credited to "(no known touch)": nothing is lost
    touchless = ~journeys["journey_id"].isin(touches["journey_id"]) & journeys["converted"]
    total_conv = journeys["converted"].sum()
    total_value = journeys.loc[journeys["converted"], "value"].sum()
    extra = ["(no known touch)"] if touchless.any() else []
    for name, res in results.items():
        c = res.credits
        assert list(c.columns) == list(CREDIT_COLUMNS), name
        # the incrementality model also credits the conversions it expects without marketing
        own = ["(baseline)"] if name == "incrementality" else []
        assert sorted(c["channel"]) == sorted([*CHANNELS, "Ghost", *extra, *own]), name
        assert (c["model"] == name).all()
        assert c["conversions"].sum() == pytest.approx(total_conv), name
        assert c["value"].sum() == pytest.approx(total_value), name
        assert (c["conversions"] >= -1e-12).all(), name


def test_per_touch_credits_sum_to_one_and_the_value_per_conversion(tables, results):
    touches, journeys = tables
    value = journeys.set_index("journey_id")["value"]
    for name, res in results.items():
        tc = res.touch_credits
        if tc is None:
            assert name.startswith(("markov", "shapley", "incrementality"))
            assert name != "shapley_ordered"
            continue
        assert list(tc.columns) == list(TOUCH_CREDIT_COLUMNS)
        sums = tc.groupby("journey_id")[["credit", "value_credit"]].sum()
        assert sums["credit"].to_numpy() == pytest.approx(1.0), name
        assert sums["value_credit"].to_numpy() == pytest.approx(value[sums.index].to_numpy()), name


def test_channel_on_no_converting_path_gets_zero_credit(results):
    for name, res in results.items():
        ghost = res.credits.set_index("channel").loc["Ghost"]
        if name.startswith("markov"):
            continue  # documented: the memoryless chain can credit it (see markov tests)
        assert ghost["conversions"] == 0 and ghost["value"] == 0, name


def test_renaming_channels_and_shuffling_rows_change_nothing(tables, results):
    touches, journeys = tables
    # Reversed-order names change every channel code and the sort order.
    rename = {c: f"{chr(ord('z') - i)}-{c}" for i, c in enumerate([*CHANNELS, "Ghost"])}
    t2 = touches.assign(channel=touches["channel"].map(rename)).sample(frac=1, random_state=1)
    j2 = journeys.sample(frac=1, random_state=2)
    again = run_models(t2, j2, models=ALL, direct_channels=(rename["Direct"],))
    again["channel"] = again["channel"].replace({v: k for k, v in rename.items()})
    base = pd.concat([r.credits for r in results.values()], ignore_index=True)
    merged = base.merge(again, on=["model", "channel"], suffixes=("", "_2"))
    assert len(merged) == len(base)
    assert merged["conversions"].to_numpy() == pytest.approx(merged["conversions_2"], abs=1e-9)
    assert merged["value"].to_numpy() == pytest.approx(merged["value_2"], abs=1e-7)


def test_registry_names():
    expected = {
        "first",
        "last",
        "last_non_direct",
        "linear",
        "time_decay",
        "position",
        "w_shaped",
        "markov:1",
        "markov:2",
        "markov:3",
        "markov:4",
        "shapley",
        "shapley_ordered",
        "fractribution",
        "incrementality",
    }
    assert expected <= set(MODELS)
    assert set(DEFAULT_MODELS) <= set(MODELS)


def test_run_models_defaults_and_option_routing(tables):
    touches, journeys = tables
    out = run_models(touches, journeys)
    assert list(dict.fromkeys(out["model"])) == list(DEFAULT_MODELS)
    slow = run_models(touches, journeys, models=["time_decay", "linear"], half_life_days=1000)
    fast = run_models(touches, journeys, models=["time_decay", "linear"], half_life_days=0.5)
    lin = slow["model"] == "linear"
    assert slow.loc[lin, "conversions"].tolist() == fast.loc[lin, "conversions"].tolist()
    assert slow.loc[~lin, "conversions"].tolist() != pytest.approx(fast.loc[~lin, "conversions"])
    with pytest.raises(ValueError, match="unknown option"):
        run_models(touches, journeys, models=["linear"], halflife=3)
    with pytest.raises(ValueError, match="unknown model"):
        run_models(touches, journeys, models=["markov:9"])


def test_aggregated_input_runs_every_model_without_timestamps(tables):
    paths = paths_from_aggregated(aggregate_paths(paths_from_journeys(*tables)))
    out = run_models(paths)
    assert "time_decay" not in set(out["model"]) and "w_shaped" not in set(out["model"])
    assert out.groupby("model")["conversions"].sum().to_numpy() == pytest.approx(
        paths.conversions.sum()
    )
    tc = touch_credits(paths, models=["linear"])
    assert tc.groupby("journey_id")["credit"].sum().sum() == pytest.approx(paths.conversions.sum())
