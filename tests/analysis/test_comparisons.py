"""Deltas against a comparison period (workbench.analysis.comparisons, findings.change_sentence)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.comparisons import compare_credits, compare_funnels, compare_metrics
from workbench.notebook.findings import change_sentence


def journeys(converted: list[bool], values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"converted": converted, "value": values})


NOW = journeys([True, True, True, False], [100.0, 200.0, 300.0, 0.0])  # 3 of 4, 600
BEFORE = journeys([True, True, False, False, False], [100.0, 300.0, 0, 0, 0])  # 2 of 5, 400


def test_metrics_change_relatively_and_rates_in_points() -> None:
    m = compare_metrics(NOW, BEFORE).set_index("metric")
    assert m.loc["journeys", ["current", "previous"]].tolist() == [4, 5]
    assert m.loc["journeys", "change"] == pytest.approx(-0.2)
    assert m.loc["conversions", "change"] == pytest.approx(0.5)
    assert m.loc["conversion_rate", "change"] == pytest.approx(0.75 - 0.4)
    assert m.loc["conversion_rate", "kind"] == "points"
    assert m.loc["value", "change"] == pytest.approx(0.5)


def test_change_against_nothing_is_missing_not_infinite() -> None:
    m = compare_metrics(NOW, journeys([], [])).set_index("metric")
    assert np.isnan(m.loc["conversions", "change"]) and np.isnan(m.loc["conversion_rate", "change"])


def test_change_sentence() -> None:
    text = change_sentence(compare_metrics(NOW, BEFORE), compare_label="the previous period")
    assert text == (
        "Against the previous period: 3 conversions vs 2 (+50%), conversion rate 75% vs 40% "
        "(+35.0 pp), value 600 vs 400 (+50%)."
    )
    empty = change_sentence(compare_metrics(NOW, journeys([], [])), compare_label="the year before")
    assert empty == "The year before holds no journey, so no change can be stated."


def test_funnel_deltas_match_on_segment_and_stage() -> None:
    now = pd.DataFrame(
        {
            "segment": ["All", "All"],
            "stage": ["awareness", "decision"],
            "entrants": [10, 4],
            "completion_rate": [0.4, np.nan],
        }
    )
    before = now.assign(entrants=[8, 0], completion_rate=[0.5, np.nan])
    out = compare_funnels(now, before)
    assert out["entrants_compare"].tolist() == [8, 0]
    assert out["entrants_change"].iloc[0] == pytest.approx(0.25) and np.isnan(
        out["entrants_change"].iloc[1]
    )
    assert out["completion_rate_change"].iloc[0] == pytest.approx(-0.1)


def test_credit_deltas_per_model_and_channel() -> None:
    now = pd.DataFrame(
        {
            "model": ["last", "last"],
            "channel": ["Email", "Paid"],
            "conversions": [3.0, 1.0],
            "value": [30.0, 10.0],
        }
    )
    before = pd.DataFrame(
        {
            "model": ["last", "last"],
            "channel": ["Email", "Organic"],
            "conversions": [2.0, 2.0],
            "value": [20.0, 20.0],
        }
    )
    out = compare_credits(now, before).set_index("channel")
    assert out.loc["Email", "conversions_change"] == pytest.approx(0.5)
    assert out.loc["Email", "share_change"] == pytest.approx(0.75 - 0.5)
    assert out.loc["Paid", "conversions_compare"] == 0 and np.isnan(
        out.loc["Paid", "conversions_change"]
    )
    assert out.loc["Organic", "conversions"] == 0 and out.loc[
        "Organic", "share_change"
    ] == pytest.approx(-0.5)
    assert out["share"].sum() == pytest.approx(1) and out["share_compare"].sum() == pytest.approx(1)
