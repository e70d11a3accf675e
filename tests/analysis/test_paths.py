"""Tests of workbench.analysis.paths on the hand-built journeys of journey_fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from journey_fixtures import tables

from workbench.analysis.paths import (
    END_CONVERTED,
    END_NOT_CONVERTED,
    OTHER,
    OTHER_PATHS,
    flow,
    flow_nodes,
    next_touches,
    path_length_distribution,
    previous_touches,
    time_to_convert_distribution,
    top_paths,
    transform_paths,
    transform_touches,
    transition_matrix,
    transition_matrix_wide,
)

J, T = tables()


def test_top_paths_counts_rates_and_other_row() -> None:
    top = top_paths(J, n=2)
    assert top["path"].tolist() == ["(no touch)", "Organic Search", OTHER_PATHS]
    assert top["journeys"].tolist() == [1, 1, 4]
    assert top["conversions"].tolist() == [1, 0, 2]
    assert top["value"].tolist() == [500.0, 0.0, 4000.0]
    assert top["path_length"].tolist()[:2] == [0, 1] and pd.isna(top["path_length"].iloc[2])
    assert top["share_of_journeys"].sum() == pytest.approx(1.0)
    assert top["share_of_conversions"].tolist() == pytest.approx([1 / 3, 0, 2 / 3])
    assert top["conversion_rate"].tolist() == pytest.approx([1.0, 0.0, 0.5])
    by_value = top_paths(J, n=1, sort_by="value", other=False)
    assert by_value["path"].tolist() == ["Organic Search > Webinar > Sales"]


def test_top_paths_groups_repeated_paths() -> None:
    j = pd.DataFrame(
        {"path": ["A > B", "A > B", "B"], "converted": [True, False, True], "value": [5.0, 0, 1]}
    )
    top = top_paths(j)
    assert top["path"].tolist() == ["A > B", "B"]
    assert top["journeys"].tolist() == [2, 1]
    assert top["conversion_rate"].tolist() == [0.5, 1.0]
    assert top["path_length"].tolist() == [2, 1]


def test_path_length_distribution() -> None:
    d = path_length_distribution(J, max_length=2)
    assert d["bin"].tolist() == ["0", "1", "2+"]
    assert d["journeys"].tolist() == [1, 1, 4]
    assert d["conversions"].tolist() == [1, 0, 2]
    assert d["conversion_rate"].tolist() == [1.0, 0.0, 0.5]
    assert d["cumulative_share_of_conversions"].tolist() == pytest.approx([1 / 3, 1 / 3, 1])


def test_time_to_convert_distribution() -> None:
    d = time_to_convert_distribution(J).set_index("bin")
    assert d.loc["7-14 days", "conversions"] == 1
    assert d.loc["30-60 days", "conversions"] == 1
    assert d.loc["(no touch)", "conversions"] == 1
    assert d.loc["30-60 days", "value"] == 3000.0
    assert d["conversions"].sum() == 3
    assert d["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_transition_matrix_long_and_wide() -> None:
    tm = transition_matrix(T, J).set_index(["from_label", "to_label"])
    assert tm["transitions"].sum() == 18
    assert tm.loc[("(start)", "Paid Search"), "transitions"] == 3
    assert tm.loc[("(start)", "Converted"), "transitions"] == 1  # the zero-touch journey
    assert tm.loc[("Paid Search", "Webinar"), "share_of_from"] == 0.5
    assert tm.loc[("Paid Search", "Paid Search"), "share_of_from"] == 0.25
    assert tm.loc[("Webinar", "Not converted"), "share_of_from"] == pytest.approx(1 / 3)
    assert tm.loc[("Direct", "Not converted"), "transitions"] == 1
    wide = transition_matrix_wide(transition_matrix(T, J))
    assert wide.sum(axis=1).to_numpy() == pytest.approx(np.ones(len(wide)))
    assert wide.loc["Paid Search", "Email"] == 0
    plain = transition_matrix(T, J, start_end=False)
    assert plain["transitions"].sum() == 7


def test_next_and_previous_touches() -> None:
    nxt = next_touches(T, J, touch_type="webinar_attendance", steps=2)
    s1 = nxt.loc[nxt["step"] == 1].set_index("label")
    assert s1["journeys"].to_dict() == {"Email": 1, "Sales": 1, END_NOT_CONVERTED: 1}
    assert s1["share"].sum() == pytest.approx(1.0)
    s2 = nxt.loc[nxt["step"] == 2].set_index("label")
    assert s2.loc[END_CONVERTED, "journeys"] == 2
    assert s2.loc[END_CONVERTED, "conversion_rate"] == 1.0
    prev = previous_touches(T, J, channel="Webinar").set_index("label")
    assert prev["journeys"].to_dict() == {"Paid Search": 2, "Organic Search": 1}
    assert prev.loc["Paid Search", "conversion_rate"] == 0.5
    assert prev["direction"].unique().tolist() == ["previous"]
    page = next_touches(T, J, page="^/compare/")
    assert page["label"].tolist() == [END_NOT_CONVERTED]
    start = previous_touches(T, J, channel="Organic Search")
    assert start["label"].tolist() == ["(start)"] and start["journeys"].tolist() == [2]
    with pytest.raises(ValueError):
        next_touches(T, J)


def test_transforms() -> None:
    collapsed = transform_paths(J, T, how="collapse").set_index("journey_id")["path"]
    assert collapsed["j3"] == "Paid Search > Direct"
    assert collapsed["j5"] == "(no touch)"
    first = transform_paths(J, T, how="first", n=2).set_index("journey_id")["path"]
    assert first["j1"] == "Paid Search > Webinar" and first["j4"] == "Organic Search"
    last = transform_touches(T, how="last", n=1)
    assert last["label"].tolist() == ["Email", "Sales", "Direct", "Organic Search", "Webinar"]
    assert last["position"].tolist() == [0] * 5
    uniq = transform_touches(T, how="unique")
    assert (uniq["journey_id"] == "j3").sum() == 2
    with pytest.raises(ValueError):
        transform_touches(T, how="first")


def test_flow_counts_every_journey_at_every_step() -> None:
    links = flow(J, T, steps=2, top_n=1)
    nodes = flow_nodes(links)
    assert nodes.groupby("step")["journeys"].sum().tolist() == [6, 6, 6]
    n = nodes.set_index(["step", "node"])["journeys"]
    assert n[(1, "Paid Search")] == 3 and n[(1, OTHER)] == 2 and n[(1, END_CONVERTED)] == 1
    assert n[(2, "Webinar")] == 3 and n[(2, OTHER)] == 1
    assert n[(2, END_NOT_CONVERTED)] == 1 and n[(2, END_CONVERTED)] == 1
    assert n[(3, "Converted")] == 3 and n[(3, "Not converted")] == 3
    lk = links.set_index(["step", "source", "target"])
    assert lk.loc[(1, "Paid Search", "Webinar"), "journeys"] == 2
    assert lk.loc[(1, "Paid Search", "Webinar"), "value"] == 1000.0
    assert lk.loc[(1, OTHER, "Webinar"), "conversions"] == 1
    assert lk.loc[(2, "Webinar", "Not converted"), "journeys"] == 1
    no_outcome = flow(J, T, steps=2, top_n=5, outcome=False)
    assert no_outcome["step"].max() == 1
    assert flow_nodes(no_outcome).groupby("step")["journeys"].sum().tolist() == [6, 6]
