"""Shapley attribution: hand-computed games, permutation brute force, Monte Carlo, ordered."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from workbench.attribution import attribute, paths_from_aggregated
from workbench.attribution.shapley import (
    ShapleyModel,
    mobius_transform,
    shapley_from_game,
    zeta_transform,
)


def _agg(rows):
    return paths_from_aggregated(
        pd.DataFrame(
            rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"]
        )
    )


def _credits(paths, model="shapley", **opts):
    c = attribute(paths, model, **opts).credits.set_index("channel")
    return c["conversions"].to_dict(), c["value"].to_dict()


ROWS = [
    ("A", 2, 20.0, 5),
    ("B > A", 2, 40.0, 1),  # channel set {A, B}
    ("A > B > A", 0, 0.0, 3),  # same set, no conversion
    ("C > B > A", 3, 90.0, 1),  # {A, B, C}
]


def test_three_channel_game_by_hand():
    # Conversions by channel set: {A}: 2, {A,B}: 2, {A,B,C}: 3.
    # v(S) adds the sets inside S: v(A)=2, v(AB)=4, v(ABC)=7, every other v(S)=0.
    # phi_A = (1/3)[v(A)] + (1/6)[v(AB)-v(B)] + (1/6)[v(AC)-v(C)] + (1/3)[v(ABC)-v(BC)]
    #       = 2/3 + 4/6 + 2/6 + 7/3 = 4
    # phi_B = (1/6)[v(AB)-v(A)] + (1/3)[v(ABC)-v(AC)] = 2/6 + (7-2)/3 = 2
    # phi_C = (1/3)[v(ABC)-v(AB)] = 1
    # (= the paper's simplified form: each set's conversions split over its channels.)
    conv, value = _credits(_agg(ROWS))
    assert conv == pytest.approx({"A": 4.0, "B": 2.0, "C": 1.0})
    # Value game the same way: {A}: 20, {A,B}: 40, {A,B,C}: 90 -> A 20+20+30, B 20+30, C 30
    assert value == pytest.approx({"A": 70.0, "B": 50.0, "C": 30.0})


def _brute_force(v: dict, players: list[str]) -> dict:
    """Average marginal contribution over all orderings."""
    phi = dict.fromkeys(players, 0.0)
    perms = list(itertools.permutations(players))
    for order in perms:
        seen: frozenset = frozenset()
        for p in order:
            phi[p] += v[seen | {p}] - v[seen]
            seen = seen | {p}
    return {p: x / len(perms) for p, x in phi.items()}


@pytest.mark.parametrize("characteristic", ["conversions", "conversion_rate"])
def test_exact_matches_permutation_brute_force(characteristic):
    rng = np.random.default_rng(3)
    rows = []
    for _ in range(40):
        path = " > ".join(rng.choice(list("ABCD"), size=rng.integers(1, 5)))
        conv = int(rng.integers(0, 4))
        rows.append((path, conv, float(conv * 7), int(rng.integers(1, 6))))
    p = _agg(rows)
    players = list(p.channels)
    sets = [frozenset(c.strip() for c in r[0].split(">")) for r in rows]
    v = {}
    for k in range(len(players) + 1):
        for s in itertools.combinations(players, k):
            inside = [i for i, t in enumerate(sets) if t <= set(s)]
            conv = sum(rows[i][1] for i in inside)
            journeys = sum(rows[i][1] + rows[i][3] for i in inside)
            if characteristic == "conversions":
                v[frozenset(s)] = conv
            else:
                v[frozenset(s)] = conv / journeys if journeys else 0.0
    phi = _brute_force(v, players)
    total = sum(r[1] for r in rows)
    if characteristic == "conversion_rate":  # rescaled to the conversions
        scale = total / sum(phi.values())
        phi = {k: x * scale for k, x in phi.items()}
    conv, _ = _credits(p, characteristic=characteristic)
    assert conv == pytest.approx(phi, abs=1e-9)
    assert sum(conv.values()) == pytest.approx(total)


def test_zeta_mobius_round_trip_and_game_identity():
    rng = np.random.default_rng(0)
    w = rng.random((2, 1 << 5))
    v = zeta_transform(w)
    assert mobius_transform(v) == pytest.approx(w)
    # v[S] = sum of w over subsets of S, checked for one S directly
    s = 0b10110
    assert v[0, s] == pytest.approx(sum(w[0, t] for t in range(32) if t & s == t))
    # Unanimity game u_T (v(S) = 1 iff T subset of S) splits 1 equally over T.
    u = np.zeros(1 << 4)
    u[0b1010] = 1
    assert shapley_from_game(zeta_transform(u)) == pytest.approx([0, 0.5, 0, 0.5])


def test_monte_carlo_for_many_channels_is_seeded_and_close_to_exact():
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(200):
        path = " > ".join(rng.choice(list("ABCDEFG"), size=rng.integers(1, 5)))
        conv = int(rng.integers(0, 5))
        rows.append((path, conv, float(conv * 3), int(rng.integers(0, 3))))
    p = _agg(rows)
    exact, _ = _credits(p)
    mc = ShapleyModel(p, max_exact_channels=3, n_permutations=400, seed=11)
    c1, _ = mc.channel_credits(p.conversions, p.nulls, p.value)
    se = mc.details()["std_error"]
    assert (se["method"] == "monte_carlo").all() and (se["conversions_se"] > 0).all()
    assert c1.sum() == pytest.approx(p.conversions.sum())  # each ordering is efficient
    assert (
        np.abs(c1 - np.array([exact[ch] for ch in p.channels])).max()
        < 5 * se["conversions_se"].max()
    )
    again = ShapleyModel(p, max_exact_channels=3, n_permutations=400, seed=11)
    assert again.channel_credits(p.conversions, p.nulls, p.value)[0] == pytest.approx(c1)


def test_ordered_shapley_credits_touch_positions():
    # B > A > B with 4 conversions: channels {A, B} get 2 each; B's 2 are split over its
    # two touches (positions 1 and 3), A's 2 sit at position 2.
    p = _agg([("B > A > B", 4, 40.0, 0), ("A", 1, 10.0, 0)])
    res = attribute(p, "shapley_ordered")
    tc = res.touch_credits
    assert tc["credit"].tolist() == pytest.approx([1.0, 2.0, 1.0, 1.0])
    pos = res.details["by_position"].set_index(["channel", "position"])["conversions"]
    assert pos.to_dict() == pytest.approx(
        {("A", 1): 1.0, ("A", 2): 2.0, ("B", 1): 1.0, ("B", 3): 1.0}
    )
    # Channel totals equal the unordered Shapley value (efficiency of the decomposition).
    ordered, unordered = _credits(p, "shapley_ordered"), _credits(p, "shapley")
    assert ordered[0] == pytest.approx(unordered[0]) == {"A": 3.0, "B": 2.0}
    assert ordered[1] == pytest.approx(unordered[1]) == {"A": 30.0, "B": 20.0}


def test_exact_limit_is_validated():
    p = _agg([("A", 1, 1.0, 0)])
    with pytest.raises(ValueError, match="max_exact_channels"):
        ShapleyModel(p, max_exact_channels=40)
    with pytest.raises(ValueError, match="characteristic"):
        ShapleyModel(p, characteristic="revenue")
    assert math.isclose(_credits(p)[0]["A"], 1.0)


def test_monte_carlo_beyond_bitmask_width():
    # 70 channels: sets are grouped as sequences, not bitmasks. Under "conversions" the
    # Shapley value is exactly each set's conversions split over its channels, so the
    # estimate can be checked against that closed form.
    rng = np.random.default_rng(2)
    names = [f"c{i:02d}" for i in range(70)]
    rows = []
    for _ in range(150):
        chans = rng.choice(names, size=rng.integers(1, 4))
        rows.append((" > ".join(chans), int(rng.integers(1, 4)), 0.0, 0))
    p = _agg(rows)
    closed = dict.fromkeys(p.channels, 0.0)
    for path, conv, _, _ in rows:
        distinct = set(path.split(" > "))
        for c in distinct:
            closed[c] += conv / len(distinct)
    model = ShapleyModel(p, n_permutations=300, seed=1)
    est, _ = model.channel_credits(p.conversions, p.nulls, p.value)
    se = model.details()["std_error"]["conversions_se"].to_numpy()
    assert not model.exact
    assert est.sum() == pytest.approx(sum(r[1] for r in rows))
    assert np.all(np.abs(est - np.array([closed[c] for c in p.channels])) <= 5 * se + 1e-9)
