"""Tests of workbench.plots.journeys through their artists (not pixels)."""

from __future__ import annotations

import matplotlib
import pytest
from journey_fixtures import tables
from matplotlib.colors import to_hex

from workbench.analysis.segments import compare_segments, segment_channel_mix
from workbench.plots.colors import channel_color
from workbench.plots.journeys import (
    plot_channel_mix,
    plot_journey_timelines,
    plot_segment_comparison,
)

matplotlib.use("Agg")
J, T = tables()
SEGMENTS = {"SMB": "customer_type == 'smb'", "EMEA": "region == 'EMEA'"}


def test_journey_timelines() -> None:
    ax = plot_journey_timelines(J, T, journey_ids=["j1", "j5"])
    dots = ax.collections[0]
    assert sorted(dots.get_offsets()[:, 0].tolist()) == [-10, -5, -2]
    colours = [to_hex(c) for c in dots.get_facecolors()]
    assert colours == [channel_color(c) for c in ("Paid Search", "Webinar", "Email")]
    stars = ax.collections[1].get_offsets()
    assert stars.tolist() == [[0, 0], [0, 1]]  # both journeys converted
    assert [t.get_text() for t in ax.get_yticklabels()] == ["p1", "p5"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Email", "Paid Search", "Webinar", "Conversion"]


def test_segment_comparison_bars_and_reference() -> None:
    cmp = compare_segments(J, T, SEGMENTS)
    ax = plot_segment_comparison(cmp)
    assert [b.get_width() for b in ax.patches] == pytest.approx([0.5, 2 / 3])
    assert ax.lines[0].get_xdata()[0] == 0.5  # "All journeys" reference line
    assert " 66.7%" in [t.get_text() for t in ax.texts]
    assert ax.get_title() == "Conversion rate by segment"
    value = plot_segment_comparison(cmp, metric="median_duration_days")
    assert "Median days" in value.get_xlabel()


def test_channel_mix_stacks_to_one_with_channel_colours() -> None:
    mix = segment_channel_mix(J, T, SEGMENTS)
    ax = plot_channel_mix(mix)
    segments = list(dict.fromkeys(mix["segment"]))
    widths = {}
    for bar in ax.patches:
        y = round(bar.get_y() + bar.get_height() / 2)
        widths[y] = widths.get(y, 0) + bar.get_width()
    assert sorted(widths.values()) == pytest.approx([1.0] * len(segments))
    handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    assert to_hex(handles["Webinar"].patches[0].get_facecolor()) == channel_color("Webinar")
    assert "Channel mix" in ax.get_title()
