"""Tests of workbench.plots.funnels through their artists (not pixels)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from journey_fixtures import STAGES, tables
from matplotlib.colors import to_hex

from workbench.analysis.funnels import friction_points, stage_funnel
from workbench.analysis.lift import touchpoint_lift
from workbench.plots.colors import channel_color
from workbench.plots.funnels import plot_friction, plot_funnel, plot_lift

matplotlib.use("Agg")
J, T = tables()


def test_funnel_bars_and_labels() -> None:
    funnel = stage_funnel(J, T, STAGES, segments={"SMB": "customer_type == 'smb'"})
    ax = plot_funnel(funnel)
    assert [b.get_height() for b in ax.patches] == [5, 3, 1, 1]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Awareness",
        "Consideration",
        "Decision",
        "Conversion",
    ]
    texts = [t.get_text() for t in ax.texts]
    assert "3\n(60% of step 1)" in texts
    assert "-40%\n(2 lost)" in texts
    assert ax.get_title() == "Stage funnel: All journeys (6 journeys)"
    smb = plot_funnel(funnel, segment="SMB")
    assert [b.get_height() for b in smb.patches] == [3, 2, 0, 0]


def test_friction_bars() -> None:
    fr = friction_points(stage_funnel(J, T, STAGES))
    ax = plot_friction(fr)
    ticks = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    top = max(ticks, key=ticks.get)
    assert top == "awareness \u2192 consideration"
    assert sorted(b.get_width() for b in ax.patches) == [0, 2, 2]
    assert "Where journeys are lost" in ax.get_title()


def test_lift_forest_plot() -> None:
    lift = touchpoint_lift(J, T)
    ax = plot_lift(lift, n=5)
    drawn = lift.loc[np.isfinite(lift["lift"]) & (lift["lift"] > 0)].head(5)  # inf not drawn
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == drawn["touchpoint"].tolist()
    points = ax.collections[-1]
    assert points.get_offsets()[:, 0].tolist() == pytest.approx(drawn["lift"].tolist())
    email = labels.index("channel: Email")
    assert to_hex(points.get_facecolors()[email]) == channel_color("Email")
    assert ax.get_xscale() == "log"
    assert "association" in ax.get_title()
    assert any(t.get_text().startswith("4.0x") for t in ax.texts)
