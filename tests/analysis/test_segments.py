"""Tests of workbench.analysis.segments on the hand-built journeys of journey_fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from journey_fixtures import tables

from workbench.analysis.segments import (
    ALL_JOURNEYS,
    SEGMENT_METRICS,
    compare_segments,
    deal_size_band,
    filter_journeys,
    segment_channel_mix,
    segment_masks,
    segment_top_paths,
)
from workbench.config import SegmentConfig
from workbench.errors import ValidationError

J, T = tables()
SEGMENTS = {
    "smb": SegmentConfig("smb", "customer_type == 'smb'", label="SMB"),
    "EMEA": "region == 'EMEA'",
}


def test_compare_segments_hand_computed() -> None:
    c = compare_segments(J, T, SEGMENTS)
    assert list(c.columns) == ["segment", "metric", "value"]
    assert c["metric"].unique().tolist() == list(SEGMENT_METRICS)
    w = c.pivot(index="metric", columns="segment", values="value")
    smb, emea, every = w["SMB"], w["EMEA"], w[ALL_JOURNEYS]
    assert smb["journeys"] == 4 and smb["conversions"] == 2 and smb["conversion_rate"] == 0.5
    assert smb["value"] == 1500 and smb["value_per_journey"] == 375
    assert smb["value_per_conversion"] == 750
    assert smb["median_path_length"] == 2.5 and smb["mean_path_length"] == 2.0
    assert smb["median_path_length_converted"] == 1.5
    assert smb["median_duration_days"] == 10 and smb["zero_touch_conversions"] == 1
    assert smb["touches"] == 8 and smb["mean_channels"] == 1.75
    assert emea["journeys"] == 3 and emea["conversion_rate"] == pytest.approx(2 / 3)
    assert emea["median_path_length"] == 1 and emea["mean_path_length"] == pytest.approx(4 / 3)
    assert every["journeys"] == 6 and every["median_duration_days"] == 25
    assert every["median_path_length_converted"] == 3
    assert every["mean_channels"] == pytest.approx(11 / 6)
    without_touches = compare_segments(J, None, SEGMENTS, include_all=False)
    assert ALL_JOURNEYS not in set(without_touches["segment"])
    assert without_touches.set_index(["segment", "metric"]).loc[("SMB", "touches"), "value"] == 8


def test_empty_segment_gives_missing_rates() -> None:
    c = compare_segments(J, T, {"none": "region == 'APAC'"}, include_all=False)
    v = c.set_index("metric")["value"]
    assert v["journeys"] == 0 and np.isnan(v["conversion_rate"])


def test_segment_masks_inputs_and_errors() -> None:
    masks = segment_masks(
        J,
        {
            "query": "first_channel == 'Paid Search'",
            "mask": J["converted"],
            "callable": lambda j: j["n_touches"] >= 3,
        },
        include_all=False,
    )
    assert masks["query"].tolist() == [True, False, True, False, False, True]
    assert masks["mask"].tolist() == J["converted"].tolist()
    assert masks["callable"].sum() == 3
    listed = segment_masks(J, [SegmentConfig("x", "n_touches == 0")], include_all=False)
    assert list(listed) == ["x"] and listed["x"].sum() == 1
    with pytest.raises(ValidationError) as err:
        segment_masks(J, {"bad": "nope == 1", "worse": "x ==="})
    assert "segment 'bad'" in str(err.value) and "segment 'worse'" in str(err.value)
    assert "customer_type" in str(err.value)
    assert filter_journeys(J, "value > 600")["journey_id"].tolist() == ["j1", "j2"]


def test_segment_channel_mix() -> None:
    mix = segment_channel_mix(J, T, SEGMENTS)
    smb = mix.loc[mix["segment"] == "SMB"].set_index("channel")
    assert smb["touches"].to_dict() == {"Paid Search": 4, "Webinar": 2, "Direct": 1, "Email": 1}
    assert smb["touch_share"].sum() == pytest.approx(1.0)
    assert smb.loc["Paid Search", "journeys"] == 3
    assert smb.loc["Paid Search", "journey_share"] == 0.75
    assert smb.loc["Paid Search", "conversion_rate"] == pytest.approx(1 / 3)
    assert smb.loc["Webinar", "conversion_rate"] == 0.5
    every = mix.loc[mix["segment"] == ALL_JOURNEYS]
    assert every["touches"].sum() == len(T)


def test_segment_top_paths() -> None:
    top = segment_top_paths(J, SEGMENTS, n=1, include_all=False)
    assert top.columns[0] == "segment"
    smb = top.loc[top["segment"] == "SMB"]
    assert smb["journeys"].sum() == 4  # top path + "(other paths)" reconcile
    assert smb["path"].iloc[0] == "(no touch)"


def test_deal_size_band() -> None:
    values = pd.Series([0, 4999.99, 5000, 25_000, 100_000, np.nan, -1])
    band = deal_size_band(values)
    expected = ["$0-$5k", "$0-$5k", "$5k-$25k", "$25k-$100k", "$100k+", None, None]
    assert [None if pd.isna(b) else b for b in band] == expected
    assert band.cat.ordered and list(band.cat.categories) == expected[:1] + expected[2:5]
    custom = deal_size_band(pd.Series([10.0, 2000.0]), bands=(0, 1000), labels=["small", "big"])
    assert custom.tolist() == ["small", "big"]
    with pytest.raises(ValidationError):
        deal_size_band(values, bands=(10, 5))
    with pytest.raises(ValidationError):
        deal_size_band(values, bands=(0, 5), labels=["one"])
    j = J.assign(deal_size=deal_size_band(J["value"]))
    assert segment_masks(j, {"big": "deal_size == '$100k+'"})["big"].sum() == 0
