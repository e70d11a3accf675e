"""Interactive charts: their data, escaping, and the runtime added once (no browser here)."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from journey_fixtures import STAGES, tables

from workbench.analysis.flow import anchored_flow
from workbench.analysis.funnels import stage_funnel
from workbench.plots.interactive import (
    DATA_CLASS,
    add_chart_runtime,
    interactive_credit,
    interactive_flow,
    interactive_funnel,
)
from workbench.plots.paths import flow_geometry

J, T = tables()
BAD = '</script><script>alert(1)</script>&"'


def _block(html: str) -> dict:
    soup = BeautifulSoup(html, "html.parser")
    (block,) = soup.find_all("script", class_=DATA_CLASS)
    assert block.get("type") == "application/json"
    return json.loads(block.get_text())


def _sources(item: dict) -> dict[str, dict]:
    found = {}

    def walk(node):
        if isinstance(node, dict):
            attrs = node.get("attributes", {})
            if node.get("name") == "ColumnDataSource" and attrs.get("name"):
                found[attrs["name"]] = dict(attrs["data"]["entries"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(item)
    return found


def test_flow_chart_holds_every_view_with_the_links_of_anchored_flow() -> None:
    views = {
        ("From the first touch", 2): anchored_flow(J, T, steps=2),
        ("Back from the conversion", 2): anchored_flow(
            J, T, anchor="conversion", direction="backward", steps=2
        ),
        ("Before a demo", 2): anchored_flow(
            J, T, anchor={"touch_type": "trade_show"}, direction="backward"
        ),
    }
    sources = _sources(_block(interactive_flow(views).to_html()))
    assert "flow-links:Before a demo|2" not in sources  # an empty view is left out
    back = sources["flow-links:Back from the conversion|2"]
    assert list(zip(back["source"], back["target"], back["journeys"], strict=True)) == [
        (s, t, j)
        for s, t, j in zip(
            *flow_geometry(views[("Back from the conversion", 2)])[1][
                ["source", "target", "journeys"]
            ]
            .to_dict("list")
            .values(),
            strict=True,
        )
    ]
    assert sum(back["journeys"]) == 6  # 3 converted journeys x 2 link columns
    nodes = sources["flow-nodes:From the first touch|2"]
    first = [j for s, j in zip(nodes["step"], nodes["journeys"], strict=True) if s == 1]
    assert sum(first) == 6
    with pytest.raises(ValueError, match="every view is empty"):
        interactive_flow({("x", 1): views[("Before a demo", 2)]})


def test_labels_cannot_close_the_data_block() -> None:
    touches = T.assign(label=T["label"].replace({"Webinar": BAD}))
    html = interactive_flow(
        {("From the first touch", 2): anchored_flow(J, touches, steps=2)}
    ).to_html()
    raw = html.split(f'class="{DATA_CLASS}"', 1)[1]
    assert "<" not in raw.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert BAD in _sources(_block(html))["flow-links:From the first touch|2"]["target"]


def test_runtime_is_added_once_and_only_to_pages_with_charts() -> None:
    chart = interactive_flow({("From the first touch", 2): anchored_flow(J, T, steps=2)})
    page = f"<html><body>{chart.to_html()}{chart.to_html()}</body></html>"
    out = add_chart_runtime(page)
    assert out.count("Bokeh.embed.embed_item") == 1 and out.count("<script>") == 3
    assert out.index("Bokeh.embed.embed_item") < out.rindex("</body>")
    plain = "<html><body><p>no chart</p></body></html>"
    assert add_chart_runtime(plain) == plain


def test_funnel_and_credit_charts_carry_their_numbers() -> None:
    funnel = stage_funnel(J, T, STAGES)
    bars = _sources(_block(interactive_funnel(funnel, segment="All journeys").to_html()))[
        "funnel-bars"
    ]
    assert bars["entrants"] == [5, 3, 1, 1] and bars["stage"][0] == "Awareness"
    assert "change" not in bars
    from workbench.analysis.comparisons import compare_funnels

    half = funnel.assign(entrants=[10, 6, 2, 1])
    compared = compare_funnels(funnel, half)
    chart = interactive_funnel(compared, segment="All journeys")
    bars = _sources(_block(chart.to_html()))["funnel-bars"]
    assert bars["before"] == [10, 6, 2, 1] and bars["change"] == [-0.5, -0.5, -0.5, 0.0]
    import pandas as pd

    credits = pd.DataFrame(
        {
            "model": ["last", "last", "first", "first"],
            "channel": ["Email", "Paid", "Email", "Paid"],
            "conversions": [3.0, 1.0, 1.0, 3.0],
            "value": [30.0, 10.0, 10.0, 30.0],
        }
    )
    dots = _sources(_block(interactive_credit(credits, labels={"last": "Last touch"}).to_html()))
    assert dots["credit:last"]["share"] == [0.75, 0.25]
    assert dots["credit:last"]["model"] == ["Last touch", "Last touch"]
