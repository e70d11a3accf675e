"""Tests of workbench.plots.windows through their artists (not pixels)."""

from __future__ import annotations

import matplotlib
import pytest
from journey_fixtures import tables

from workbench.analysis.windows import lag_distribution, recommend_window, window_cutoffs
from workbench.plots.windows import (
    plot_lag_distribution,
    plot_recommended_windows,
    plot_window_cutoffs,
)

matplotlib.use("Agg")
J, T = tables()


def test_lag_distribution_bars_and_cumulative_line() -> None:
    d = lag_distribution(J, day_bins=(0, 7, 14, 30, 60))
    ax = plot_lag_distribution(d)
    days = d.loc[d["measure"] == "days"]
    assert [b.get_height() for b in ax.patches] == pytest.approx(days["share"].tolist())
    assert ax.lines[0].get_ydata().tolist() == pytest.approx(days["cumulative_share"].tolist())
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "(no touch)"
    assert ax.yaxis.get_major_formatter()(0.25, 0) == "25%"
    touches = plot_lag_distribution(d, measure="touches")
    assert "touches" in touches.get_xlabel().lower()


def test_window_cutoff_lines() -> None:
    c = window_cutoffs(J, T, windows=(1, 7, 14))
    ax = plot_window_cutoffs(c)
    assert [line.get_label() for line in ax.lines] == [
        "Conversions missing some touches",
        "Conversions missing every touch",
        "Touches left out",
    ]
    assert ax.lines[0].get_ydata().tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1 day", "7 days", "14 days"]


def test_recommended_windows_bars() -> None:
    r = recommend_window(
        J, candidates=(7, 14, 30), coverage=0.9, segments={"SMB": "customer_type == 'smb'"}
    )
    ax = plot_recommended_windows(r)
    assert [b.get_width() for b in ax.patches] == [0, 14]  # All journeys: none reaches 90%
    texts = [t.get_text() for t in ax.texts]
    assert " no candidate window reaches the target" in texts
    assert " 14 days (covers 100%)" in texts
