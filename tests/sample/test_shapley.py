"""Shapley truth of the sample on hand-computed units (workbench.sample.shapley)."""

from __future__ import annotations

import numpy as np

from workbench.sample.shapley import shapley_values


def test_two_channels_needed_together_share_the_conversion():
    # base -1, A and B add 0.6 each: sigmoid(0.2)=0.55, sigmoid(-0.4)=0.40, sigmoid(-1)=0.27
    base, contrib = np.array([-1.0]), np.array([[0.6, 0.6, 0.0]])
    v = shapley_values(base, contrib, np.array([0.45]), np.array([True]))
    # converts only with both (removal: each loses it, 2 losses for 1 conversion)
    np.testing.assert_allclose(v, [[0.5, 0.5, 0.0]])


def test_either_channel_suffices_yet_each_gets_half():
    base, contrib = np.array([-1.0]), np.array([[0.6, 0.6, 0.0]])
    v = shapley_values(base, contrib, np.array([0.35]), np.array([True]))
    # 0.27 < u=0.35 < 0.40: either channel converts it; removal loses it to neither
    np.testing.assert_allclose(v, [[0.5, 0.5, 0.0]])


def test_unequal_channels_baseline_and_non_converters():
    base = np.array([-1.0, 0.0, -1.0])
    contrib = np.array([[1.0, 0.2, 0.0], [0.5, 0.5, 0.0], [1.0, 1.0, 0.0]])
    u = np.array([0.45, 0.3, 0.9])
    v = shapley_values(base, contrib, u, np.array([True, True, False]))
    # unit 0: sigmoid(-1)=0.27, with A sigmoid(0)=0.50, with B sigmoid(-0.8)=0.31, with both
    # sigmoid(0.2)=0.55; u=0.45 converts with A alone: A is pivotal in both orders, B never
    np.testing.assert_allclose(v[0], [1.0, 0.0, 0.0])
    # unit 1 converts without marketing (u=0.3 < sigmoid(0)=0.5): the baseline, no credit
    np.testing.assert_allclose(v[1], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(v[2], [0.0, 0.0, 0.0])  # did not convert
