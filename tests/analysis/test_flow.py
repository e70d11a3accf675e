"""Anchored flows (forward from a touch, backward from a touch or the conversion).

Hand-computed on the six journeys of journey_fixtures (see its docstring).
"""

from __future__ import annotations

import pytest
from journey_fixtures import tables

from workbench.analysis.flow import FLOW_COLUMNS, START, anchored_flow
from workbench.analysis.paths import END_CONVERTED, END_NOT_CONVERTED, OTHER, flow, flow_nodes

J, T = tables()


def _links(frame):
    return {
        (int(r.step), r.source, r.target): (int(r.journeys), int(r.conversions), float(r.value))
        for r in frame.itertuples()
    }


def test_backward_from_the_conversion_reads_converted_journeys_back_from_their_end() -> None:
    # j1 PS > Webinar > Email (1000), j2 OS > Webinar > Sales (3000), j5 no touch (500)
    links = anchored_flow(J, T, anchor="conversion", direction="backward", steps=2)
    assert list(links.columns) == list(FLOW_COLUMNS)
    assert set(links["anchor"]) == {"conversion"} and set(links["direction"]) == {"backward"}
    assert _links(links) == {
        (1, "Webinar", "Email"): (1, 1, 1000.0),
        (1, "Webinar", "Sales"): (1, 1, 3000.0),
        (1, START, START): (1, 1, 500.0),
        (2, "Email", "Converted"): (1, 1, 1000.0),
        (2, "Sales", "Converted"): (1, 1, 3000.0),
        (2, START, "Converted"): (1, 1, 500.0),
    }
    nodes = flow_nodes(links)
    assert nodes.groupby("step")["journeys"].sum().tolist() == [3, 3, 3]


def test_forward_from_a_touch_starts_at_its_first_match_and_ends_in_the_outcome() -> None:
    # Webinar in j1 (then Email, converted), j2 (then Sales, converted), j6 (last touch)
    links = anchored_flow(J, T, anchor={"channel": "Webinar"}, steps=1)
    assert _links(links) == {
        (1, "Webinar", "Email"): (1, 1, 1000.0),
        (1, "Webinar", "Sales"): (1, 1, 3000.0),
        (1, "Webinar", END_NOT_CONVERTED): (1, 0, 0.0),
        (2, "Email", "Converted"): (1, 1, 1000.0),
        (2, "Sales", "Converted"): (1, 1, 3000.0),
        (2, END_NOT_CONVERTED, "Not converted"): (1, 0, 0.0),
    }
    assert links["anchor"].iloc[0] == "channel = Webinar"


def test_forward_anchor_takes_the_first_match_and_backward_the_last() -> None:
    # j3 is Paid Search, Paid Search, Direct: forward reads from its first Paid Search
    fwd = anchored_flow(J, T, anchor={"channel": "Paid Search"}, steps=1)
    f = _links(fwd)
    assert f[(1, "Paid Search", "Paid Search")] == (1, 0, 0.0)  # j3
    assert f[(1, "Paid Search", "Webinar")] == (2, 1, 1000.0)  # j1, j6
    # backward: j3's last Paid Search has one Paid Search before it, j1 and j6 start there
    back = anchored_flow(J, T, anchor={"channel": "Paid Search"}, direction="backward", steps=2)
    assert _links(back) == {
        (1, START, START): (2, 1, 1000.0),
        (1, START, "Paid Search"): (1, 0, 0.0),
        (2, START, "Paid Search"): (2, 1, 1000.0),
        (2, "Paid Search", "Paid Search"): (1, 0, 0.0),
    }


def test_rare_labels_are_grouped_and_every_column_holds_every_anchored_journey() -> None:
    links = anchored_flow(J, T, anchor="conversion", direction="backward", steps=3, top_n=1)
    nodes = flow_nodes(links).set_index(["step", "node"])["journeys"]
    # column 1 (third touch before the conversion): j1 Paid Search, j2 Organic Search
    assert nodes[(1, OTHER)] == 1 and nodes[(1, START)] == 1
    assert nodes.groupby(level="step").sum().tolist() == [3, 3, 3, 3]


def test_no_anchor_is_the_plain_flow() -> None:
    plain = anchored_flow(J, T, steps=2)
    base = flow(J, T, steps=2)
    assert plain[list(base.columns)].equals(base)
    assert set(plain["anchor"]) == {"journey start"}
    assert END_CONVERTED in set(plain["target"])


def test_no_matching_touch_gives_an_empty_frame_with_the_columns() -> None:
    none = anchored_flow(J, T, anchor={"touch_type": "trade_show"}, direction="backward")
    assert none.empty and list(none.columns) == list(FLOW_COLUMNS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": "sideways"}, "expected one of forward, backward"),
        ({"anchor": "conversion"}, "reads backward only"),
        ({"anchor": None, "direction": "backward"}, "needs an anchor"),
        ({"anchor": "webinar"}, "expected 'conversion'"),
        ({"anchor": {"chanel": "Email"}}, "allowed: channel, touch_type, page, label"),
        ({"steps": 0}, "steps = 0"),
    ],
)
def test_bad_arguments_are_named(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        anchored_flow(J, T, **kwargs)


def test_journeys_without_any_touch() -> None:
    bare = T.iloc[0:0]
    back = anchored_flow(J, bare, anchor="conversion", direction="backward", steps=1)
    assert _links(back) == {
        (1, START, "Converted"): (3, 3, 4500.0),  # j1, j2, j5
    }
    plain = anchored_flow(J, bare, steps=1)
    assert flow_nodes(plain).groupby("step")["journeys"].sum().tolist() == [6, 6]
    assert anchored_flow(J, bare, anchor={"channel": "Email"}).empty
