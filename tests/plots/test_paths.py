"""Tests of workbench.plots.paths through their artists (not pixels)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from journey_fixtures import tables
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from workbench.analysis.paths import (
    flow,
    flow_nodes,
    next_touches,
    path_length_distribution,
    time_to_convert_distribution,
    top_paths,
    transition_matrix,
)
from workbench.plots.colors import channel_color
from workbench.plots.paths import (
    plot_flow,
    plot_next_touches,
    plot_path_lengths,
    plot_time_to_convert,
    plot_top_paths,
    plot_transition_matrix,
)

matplotlib.use("Agg")
J, T = tables()


def _patches(ax, prefix: str) -> dict:
    return {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith(prefix)}


def test_flow_figure_counts_every_journey() -> None:
    links = flow(J, T, steps=2, top_n=1)
    ax = plot_flow(links)
    nodes = _patches(ax, "node:")
    expected = flow_nodes(links)
    assert len(nodes) == len(expected)
    for step, node, n in expected[["step", "node", "journeys"]].itertuples(index=False):
        rect = nodes[f"node:{step}:{node}"]
        assert rect.get_height() == n
        assert to_hex(rect.get_facecolor()) == channel_color(node)
    for step in (1, 2, 3):
        heights = [p.get_height() for g, p in nodes.items() if g.startswith(f"node:{step}:")]
        assert sum(heights) == len(J)
    ribbons = _patches(ax, "link:")
    assert len(ribbons) == len(links)
    assert "link:1:Paid Search->Webinar" in ribbons
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Touch 1", "Touch 2", "Outcome"]
    assert "6 journeys" in ax.get_title()
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "Paid Search\n3 (50%)" in labels


def test_flow_ribbon_widths_match_links() -> None:
    links = flow(J, T, steps=2, top_n=1)
    ax = plot_flow(links)
    ribbon = _patches(ax, "link:")["link:1:Paid Search->Webinar"]
    ys = ribbon.get_path().vertices[:, 1]
    # the band starts 2 journeys high at the source (first and last vertices span it)
    assert abs(ys[0] - ys[-2]) == pytest.approx(2)


def test_top_paths_and_lengths() -> None:
    top = top_paths(J, n=3)
    ax = plot_top_paths(top)
    assert [b.get_width() for b in ax.patches] == [1, 1, 1]
    ticks = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert sorted(ticks, key=ticks.get, reverse=True) == top["path"].tolist()[:3]  # top first
    assert any("100% convert" in t.get_text() for t in ax.texts)
    with_other = plot_top_paths(top, show_other=True)
    assert len(with_other.patches) == 4
    d = path_length_distribution(J, max_length=2)
    ax = plot_path_lengths(d)
    assert [b.get_height() for b in ax.patches] == pytest.approx([1 / 6, 1 / 6, 4 / 6])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2+"]
    assert ax.get_ylabel() == "Share of journeys"
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"


def _long_top() -> pd.DataFrame:
    """Top paths whose longest bar's end label ran past the canvas with the old fixed margin."""
    paths = [
        "Paid Social - Meta > Direct",
        "Paid Search - Generic > Direct",
        "Organic Search > Paid Search - Brand",
        "Paid Search - Generic > Display - Retargeting > Direct",
        "Paid Social - Meta > Display - Retargeting > Display - Retargeting",
    ]
    return pd.DataFrame(
        {
            "path": paths,
            "journeys": [23, 16, 11, 4, 5],
            "conversion_rate": [0.22, 0.125, 0.18, 0.5, 0.2],
        }
    )


def test_top_paths_end_labels_fit_on_one_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.plots.render as render

    top = _long_top()
    ax = plot_top_paths(top, title="Paths that convert most often: all journeys")
    fig = ax.figure
    assert tuple(fig.get_size_inches()) == pytest.approx((10, 0.45 * 5 + 1.5))
    assert [b.get_width() for b in ax.patches] == [23, 16, 11, 4, 5]
    assert [t.get_text() for t in ax.texts][:2] == [
        "  23 journeys, 22% convert",
        "  16 journeys, 12% convert",
    ]
    assert ax.get_xlim()[1] > 23 * 1.25  # the margin grew from the labels' widths
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()  # the layout, as the one draw of figure_png runs it
    right = ax.get_window_extent(renderer).x1
    for text in ax.texts:  # every end label inside the axes, so inside the canvas
        assert text.get_window_extent(renderer).x1 <= right
    monkeypatch.setattr(render, "_savefig", lambda *a, **k: pytest.fail("drawn a second time"))
    assert render.figure_png(ax).startswith(b"\x89PNG")


def test_top_paths_short_labels_keep_the_quarter_margin() -> None:
    top = pd.DataFrame({"path": ["A", "B"], "journeys": [8, 2], "conversion_rate": [0.5, 0.0]})
    assert plot_top_paths(top).get_xlim() == pytest.approx((0, 8 * 1.25))


def test_transition_matrix_heatmap() -> None:
    ax = plot_transition_matrix(transition_matrix(T, J))
    image = ax.images[0].get_array()
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows[0] == "(start)" and cols[-2:] == ["Converted", "Not converted"]
    assert image[rows.index("Paid Search"), cols.index("Webinar")] == 0.5
    assert np.asarray(image).sum(axis=1) == pytest.approx(np.ones(len(rows)))
    assert "50%" in [t.get_text() for t in ax.texts]


def test_next_touches_bars_use_channel_colours() -> None:
    nxt = next_touches(T, J, touch_type="webinar_attendance")
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_next_touches(nxt, ax=ax) is ax
    by_label = {t.get_text(): i for i, t in enumerate(ax.get_yticklabels())}
    bars = ax.patches
    assert bars[by_label["Email"]].get_width() == pytest.approx(1 / 3)
    assert to_hex(bars[by_label["Email"]].get_facecolor()) == channel_color("Email")
    assert "after" in ax.get_title()


def test_no_pyplot_state_is_used() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_flow(flow(J, T))
    plot_top_paths(top_paths(J))
    assert plt.get_fignums() == before


def test_time_to_convert_bars_and_line() -> None:
    d = time_to_convert_distribution(J, bins=(0, 7, 14, 30, 60))
    ax = plot_time_to_convert(d)
    assert [b.get_height() for b in ax.patches] == pytest.approx([0, 1 / 3, 0, 1 / 3, 0, 1 / 3])
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(1.0)
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "(no touch)"
