"""Lift-test calibration and the '(no known touch)' credit, on tiny hand-built journeys."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.attribution import run_models
from workbench.attribution.calibration import (
    calibrate_credits,
    experiment_comparison,
    experiments_frame,
    read_experiments,
    recommend_model,
)
from workbench.config import parse_config
from workbench.errors import ConfigError, ValidationError


def _journeys() -> tuple[pd.DataFrame, pd.DataFrame]:
    """4 converted journeys (last touch: Paid Search 2, Email 1, Direct 1) and one without touches."""
    paths = [["Email", "Paid Search"], ["Paid Search"], ["Direct", "Email"], ["Direct"], []]
    conv_ts = pd.to_datetime(
        ["2024-01-05", "2024-01-06", "2024-02-05", "2024-02-06", "2024-01-07"], utc=True
    )
    journeys = pd.DataFrame(
        {
            "journey_id": [f"j{i}" for i in range(5)],
            "converted": True,
            "conversion_ts": conv_ts,
            "value": 10.0,
        }
    )
    rows = [
        {"journey_id": f"j{i}", "position": k, "channel": ch}
        for i, path in enumerate(paths)
        for k, ch in enumerate(path)
    ]
    return pd.DataFrame(rows), journeys


def test_conversions_without_touch_are_credited_to_no_known_touch_in_every_model():
    touches, journeys = _journeys()
    with pytest.warns(UserWarning, match="1 converted journey"):
        credits = run_models(touches, journeys, ["last", "linear", "markov:1"])
    for _model, frame in credits.groupby("model"):
        assert frame["conversions"].sum() == pytest.approx(5)
        row = frame[frame["channel"] == "(no known touch)"]
        assert row["conversions"].tolist() == [1.0] and row["value"].tolist() == [10.0]
    last = credits[credits["model"] == "last"].set_index("channel")["conversions"]
    assert last.to_dict() == {"Direct": 1, "Email": 1, "Paid Search": 2, "(no known touch)": 1}


def _experiment(**kw) -> pd.DataFrame:
    row = {"name": "search-lift", "channel": "Paid Search", "start": "2024-01-01",
           "end": "2024-02-01", "incremental": 1.0, "low": 0.5, "high": 2.0}  # fmt: skip
    return experiments_frame([{**row, **kw}])


def test_comparison_puts_each_models_period_credit_beside_the_experiment():
    touches, journeys = _journeys()
    with pytest.warns(UserWarning):
        cmp = experiment_comparison(touches, journeys, _experiment(high=1.5), ["last", "first"])
    got = cmp.set_index("model")
    # January journeys: Email > Paid Search, Paid Search (and one without touches)
    assert got.loc["last", "credited"] == 2 and got.loc["first", "credited"] == 1
    assert got.loc["last", "ratio"] == 2 and not got.loc["last", "within_interval"]
    assert got.loc["first", "within_interval"]


def test_calibration_scales_the_tested_channel_and_renormalizes_the_rest_keeping_totals():
    credits = pd.DataFrame(
        {
            "model": "last",
            "channel": ["Paid Search", "Email", "Direct"],
            "conversions": [4.0, 3.0, 1.0],
            "value": [40.0, 30.0, 10.0],
        }
    )
    comparison = pd.DataFrame(
        {"experiment": ["e"], "model": ["last"], "channel": ["Paid Search"], "credited": [2.0],
         "incremental": [1.0], "low": [0.5], "high": [3.0]}
    )  # fmt: skip
    out = calibrate_credits(credits, comparison).set_index("channel")
    assert set(out["model"]) == {"calibrated:last"}
    # Paid Search: 4 * 1/2 = 2; the other 6 conversions split 3:1 -> 4.5 and 1.5
    assert out["conversions"].to_dict() == pytest.approx(
        {"Paid Search": 2.0, "Email": 4.5, "Direct": 1.5}
    )
    assert out["conversions"].sum() == pytest.approx(8)
    # interval: tested 4*0.25=1 .. 4*1.5=6; the rest gets 8-6=2 .. 8-1=7 (split 3:1)
    assert out.loc["Paid Search", ["conversions_low", "conversions_high"]].tolist() == [1, 6]
    assert out.loc["Email", ["conversions_low", "conversions_high"]].tolist() == [1.5, 5.25]
    assert out.loc["Email", "value"] == pytest.approx(45.0)


def test_calibration_never_gives_tested_channels_more_than_the_total():
    credits = pd.DataFrame(
        {"model": "m", "channel": ["A", "B"], "conversions": [1.0, 1.0], "value": [0.0, 0.0]}
    )
    comparison = pd.DataFrame(
        {"experiment": ["e"], "model": ["m"], "channel": ["A"], "credited": [1.0],
         "incremental": [5.0], "low": [5.0], "high": [5.0]}
    )  # fmt: skip
    out = calibrate_credits(credits, comparison).set_index("channel")["conversions"]
    assert out.to_dict() == {"A": 2.0, "B": 0.0}


def test_experiments_are_validated_from_config_and_csv(tmp_path):
    with pytest.raises(ValidationError) as err:
        experiments_frame([{"name": "x", "channel": "A", "platform": "meta", "start": "2024-02-01",
                            "end": "2024-01-01", "incremental": 5, "low": 6, "high": 7, "lift": 1}])  # fmt: skip
    text = str(err.value)
    assert "unknown key(s) ['lift']" in text and "exactly one of" in text
    assert "low <= incremental" in text and "not after start" in text
    cfg = parse_config({"experiments": [{"name": "e", "platform": "meta", "start": "2024-01-01",
                                         "end": "2024-02-01", "incremental": 3, "low": 1, "high": 5}]})  # fmt: skip
    assert experiments_frame(list(cfg.experiments))["platform"].tolist() == ["meta"]
    with pytest.raises(ConfigError, match="missing"):
        parse_config({"experiments": [{"name": "e", "channel": "A"}]})
    csv = tmp_path / "experiments.csv"
    csv.write_text(
        "name,channel,platform,start,end,incremental,low,high\n"
        "e,Paid Search,,2024-01-01,2024-02-01,10,5,15\n"
    )
    assert read_experiments(csv)["incremental"].tolist() == [10.0]


def test_recommendation_names_the_model_closest_to_the_evidence():
    credits = pd.DataFrame(
        {
            "model": ["a", "a", "b", "b"],
            "channel": ["X", "Y", "X", "Y"],
            "conversions": [9.0, 1.0, 5.0, 5.0],
            "value": 0.0,
        }
    )
    truth = pd.DataFrame({"channel": ["X", "Y"], "conversions_lost": [6, 4],
                          "revenue_lost": [1, 1]})  # fmt: skip
    rec = recommend_model(credits, truth=truth)
    # TV: a = 0.5 * (0.3 + 0.3) = 0.3; b = 0.5 * (0.1 + 0.1) = 0.1
    assert rec["model"].tolist() == ["b", "a"]
    assert rec["distance"].tolist() == pytest.approx([0.1, 0.3])
    assert rec["recommended"].tolist() == [True, False] and set(rec["evidence"]) == {"truth"}
    cmp = pd.DataFrame({"model": ["a", "b"], "credited": [9.0, 5.0], "incremental": [8.0, 8.0]})
    by_exp = recommend_model(credits, comparison=cmp)
    assert by_exp["model"].tolist() == ["a", "b"]
    assert by_exp["distance"].tolist() == pytest.approx([1 / 8, 3 / 8])
    assert recommend_model(credits).empty


def test_calibrated_models_have_readable_labels():
    from workbench.attribution import model_label

    assert model_label("calibrated:markov:1") == "Markov chain (order 1), calibrated to lift tests"
