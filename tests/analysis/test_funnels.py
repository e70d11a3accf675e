"""Tests of workbench.analysis.funnels, and the reconciliation of journeys, funnel and flow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from journey_fixtures import STAGES, tables

from workbench.analysis.funnels import FUNNEL_COLUMNS, friction_points, stage_funnel
from workbench.analysis.paths import flow, flow_nodes, top_paths
from workbench.analysis.segments import ALL_JOURNEYS, compare_segments
from workbench.errors import ValidationError
from workbench.journeys.build import build_journeys
from workbench.plots.paths import plot_flow

J, T = tables()


def test_closed_funnel_hand_computed() -> None:
    f = stage_funnel(J, T, STAGES)
    assert tuple(f.columns) == FUNNEL_COLUMNS
    assert f["stage"].tolist() == ["awareness", "consideration", "decision", "conversion"]
    assert f["journeys"].unique().tolist() == [6]
    assert f["entrants"].tolist() == [5, 3, 1, 1]
    assert f["completed"].tolist()[:3] == [3, 1, 1] and pd.isna(f["completed"].iloc[3])
    assert f["dropped"].tolist()[:3] == [2, 2, 0]
    assert f["completion_rate"].tolist()[:3] == pytest.approx([0.6, 1 / 3, 1.0])
    assert f["share_of_first_step"].tolist() == pytest.approx([1, 0.6, 0.2, 0.2])
    assert f["share_of_journeys"].tolist() == pytest.approx([5 / 6, 0.5, 1 / 6, 1 / 6])
    # j1 5 days, j2 20 days, j6 1 day from awareness to consideration
    assert f["median_days_from_previous"].tolist()[1:] == [5.0, 17.0, 3.0]
    assert np.isnan(f["median_days_from_previous"].iloc[0])
    assert f["conversions"].tolist() == [2, 2, 1, 1]  # j1, j2 convert
    assert f["new_entrants"].tolist() == [5, 0, 0, 0]


def test_open_funnel_lets_journeys_enter_at_any_step() -> None:
    f = stage_funnel(J, T, STAGES, mode="open")
    assert f["entrants"].tolist() == [5, 3, 2, 3]  # j3 enters at decision; j1, j5 at conversion
    assert f["new_entrants"].tolist() == [5, 0, 1, 2]
    assert f["completed"].tolist()[:3] == [3, 1, 1]
    assert f.loc[2, "dropped"] == 1


def test_time_limits_and_default_steps() -> None:
    f = stage_funnel(J, T, STAGES, time_limits={"consideration": 4})
    assert f["entrants"].tolist() == [5, 1, 0, 0]  # only j6 (1 day) is fast enough
    only = stage_funnel(J, T, {"awareness": STAGES["awareness"]})
    assert only["stage"].tolist() == ["awareness", "conversion"]
    # an undefined conversion stage is reached by every conversion (after awareness)
    assert only["entrants"].tolist() == [5, 2]


def test_exclusion_steps() -> None:
    spec = [
        ("x1", True, 1.0, "smb", "US", [
            ("Direct", "session", 10, "/"),
            ("Email", "email_click", 8, "/"),
            ("Webinar", "webinar_attendance", 5, "/webinar/1"),
        ]),
        ("x2", False, 0.0, "smb", "US", [
            ("Direct", "session", 10, "/"),
            ("Webinar", "webinar_attendance", 5, "/webinar/1"),
            ("Email", "email_click", 2, "/"),
        ]),
    ]  # fmt: skip
    j, t = tables(spec)
    f = stage_funnel(j, t, STAGES, steps=["awareness", "consideration"],
                     exclude={"consideration": {"channels": ["Email"]}})  # fmt: skip
    # x1 opened an email between its session and its webinar: removed at consideration
    assert f["entrants"].tolist() == [2, 1]
    assert f["excluded"].iloc[0] == 1 and f["dropped"].iloc[0] == 1


def test_breakdown_by_segment_and_friction() -> None:
    f = stage_funnel(J, T, STAGES, segments={"SMB": "customer_type == 'smb'"})
    smb = f.loc[f["segment"] == "SMB"]
    assert smb["journeys"].iloc[0] == 4
    assert smb["entrants"].tolist() == [3, 2, 0, 0]
    fr = friction_points(f)
    every = fr.loc[fr["segment"] == ALL_JOURNEYS]
    assert every["from_stage"].tolist() == ["awareness", "consideration", "decision"]
    assert every["lost_journeys"].tolist() == [2, 2, 0]
    assert every["rank"].tolist() == [1, 2, 3]
    assert every["share_of_lost"].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert every["median_days_to_next"].tolist() == [5.0, 17.0, 3.0]
    top = friction_points(f, n=1)
    assert top.groupby("segment").size().max() == 1


def test_validation() -> None:
    with pytest.raises(ValidationError) as err:
        stage_funnel(J, T, {"awareness": {"pagez": ["/"]}}, steps=["awareness", "decision"],
                     mode="sideways", time_limits={"awareness": 3})  # fmt: skip
    text = str(err.value)
    for part in ("mode = 'sideways'", "'decision' has no stage", "unknown keys", "time_limits"):
        assert part in text


def test_numbers_reconcile_across_views() -> None:
    """Journey table = funnel journeys = every flow column = segment and path totals."""
    rng = np.random.default_rng(11)
    n, people = 600, 80
    start = pd.Timestamp("2026-01-01", tz="UTC")
    channels = np.array(["Paid Search", "Email", "Webinar", "Direct", "Sales"])
    types = np.array(["ad_click", "email_click", "webinar_attendance", "session", "demo"])
    k = rng.integers(0, 5, n)
    tp = pd.DataFrame(
        {
            "person_id": pd.array([f"p{i}" for i in rng.integers(0, people, n)], dtype="string"),
            "ts": start + pd.to_timedelta(rng.integers(0, 90 * 86_400, n), "s"),
            "channel": pd.array(channels[k], dtype="string"),
            "touch_type": types[k],
            "page": np.where(k == 3, "/compare/a", "/"),
        }
    )
    cv = pd.DataFrame(
        {
            "person_id": pd.array([f"p{i}" for i in range(0, people + 10, 4)], dtype="string"),
            "ts": start + pd.to_timedelta(rng.integers(30 * 86_400, 90 * 86_400, 23), "s"),
            "conversion_type": "deal_won",
            "value": 100.0,
            "customer_type": np.where(np.arange(23) % 2, "smb", "enterprise"),
        }
    )
    js = build_journeys(tp, cv, lookback_days=30)
    j, t = js.journeys, js.touches
    total = len(j)
    assert total == js.summary().set_index("metric").loc["journeys", "value"]
    funnel = stage_funnel(j, t, STAGES)
    assert funnel["journeys"].unique().tolist() == [total]
    links = flow(j, t, steps=4)
    nodes = flow_nodes(links)
    assert nodes.groupby("step")["journeys"].sum().unique().tolist() == [total]
    # ... and so does every column of node bars in the flow figure
    ax = plot_flow(links)
    heights: dict[str, float] = {}
    for p in ax.patches:
        if (p.get_gid() or "").startswith("node:"):
            step = p.get_gid().split(":")[1]
            heights[step] = heights.get(step, 0) + p.get_height()
    assert set(heights.values()) == {total} and len(heights) == 5
    outcome = nodes.loc[nodes["step"] == nodes["step"].max()].set_index("node")["journeys"]
    assert outcome["Converted"] == int(j["converted"].sum()) == 23
    cmp = compare_segments(j, t).set_index("metric")["value"]
    assert cmp["journeys"] == total and cmp["touches"] == len(t)
    assert top_paths(j, n=5)["journeys"].sum() == total
    # closed funnel: step-1 entrants plus journeys without an awareness touch = all
    no_aware = (~j["journey_id"].isin(t.loc[t["touch_type"].isin(
        STAGES["awareness"]["touch_types"]), "journey_id"])).sum()  # fmt: skip
    assert funnel["entrants"].iloc[0] + no_aware == total
    # conversion-stage entrants never exceed the conversions in the table
    assert funnel["entrants"].iloc[-1] <= j["converted"].sum()
