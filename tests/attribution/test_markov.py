"""Markov attribution: exact removal effects against hand work and independent calculations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from workbench.attribution import attribute, markov_transition_matrix, paths_from_aggregated
from workbench.attribution.markov import MarkovModel


def _agg(rows):
    """Aggregated paths from (path, conversions, value, nulls) tuples."""
    return paths_from_aggregated(
        pd.DataFrame(
            rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"]
        )
    )


def _credits(paths, model, **opts):
    c = attribute(paths, model, **opts).credits.set_index("channel")
    return c["conversions"].to_dict(), c["value"].to_dict()


def test_small_chain_by_hand():
    # Journeys: A > B converts (value 10), A does not, B converts once (value 30) and
    # once not. Start: A 2, B 2 -> 1/2 each. A -> B 1/2, A -> null 1/2.
    # B -> conversion 2/3, B -> null 1/3.
    # P(conv) = 1/2 * 1/2 * 2/3 + 1/2 * 2/3 = 1/2 (= 2 conversions / 4 journeys).
    # Without A: only start -> B remains: 1/2 * 2/3 = 1/3 -> RE_A = 1 - (1/3)/(1/2) = 1/3.
    # Without B: nothing converts -> RE_B = 1.
    # Shares 1/3 : 1 = 1/4 : 3/4 of 2 conversions -> A 0.5, B 1.5.
    # Value chain: B pays 40/3 per exit; visits of B: 3/4 with A, 1/2 without -> REV_A = 1/3,
    # REV_B = 1 -> value A 10, B 30.
    p = _agg([("A > B", 1, 10.0, 0), ("A", 0, 0.0, 1), ("B", 1, 30.0, 1)])
    res = attribute(p, "markov:1")
    effects = res.details["removal_effects"].set_index("channel")
    assert effects["removal_effect"].tolist() == pytest.approx([1 / 3, 1.0])
    assert effects["removal_effect_value"].tolist() == pytest.approx([1 / 3, 1.0])
    credits = res.credits.set_index("channel")
    assert credits["conversions"].tolist() == pytest.approx([0.5, 1.5])
    assert credits["value"].tolist() == pytest.approx([10.0, 30.0])


def _enumerate(trans: dict, start: dict, removed: str | None) -> float:
    """Conversion probability by summing the probability of every path (acyclic chains)."""
    total = 0.0
    stack = [(s, p) for s, p in start.items()]
    while stack:
        state, prob = stack.pop()
        if state == "(conversion)":
            total += prob
            continue
        if state == "(null)" or state == removed:
            continue
        stack.extend((nxt, prob * q) for nxt, q in trans[state].items())
    return total


def test_removal_effects_match_path_enumeration():
    # Acyclic chain (A -> C -> B, A -> B, ...): every path from (start) can be listed.
    rows = [
        ("A > B", 3, 0, 2),
        ("A", 1, 0, 4),
        ("B", 2, 0, 2),
        ("A > C > B", 2, 0, 1),
        ("C", 0, 0, 3),
    ]
    p = _agg(rows)
    tm = markov_transition_matrix(p)
    trans: dict = {}
    for r in tm.itertuples():
        trans.setdefault(r.from_state, {})[r.to_state] = r.probability
    start = trans.pop("(start)")
    base = _enumerate(trans, start, None)
    assert base == pytest.approx(8 / 20)  # conversions / journeys
    effects = MarkovModel(p).removal_effects(p.conversions, p.nulls, p.value)[0]
    expected = [1 - _enumerate(trans, start, c) / base for c in p.channels]
    assert effects == pytest.approx(expected, abs=1e-12)


def _dense_reference(rows, order):
    """Independent dense calculation of ChannelAttribution-style removal effects."""
    chains = []
    for path, conv, value, null in rows:
        ch = [c.strip() for c in path.split(">")]
        states = (
            [tuple(ch)]
            if len(ch) < order
            else [tuple(ch[i : i + order]) for i in range(len(ch) - order + 1)]
        )
        chains.append((states, conv, value, null))
    names = sorted({s for states, *_ in chains for s in states})
    index = {s: i for i, s in enumerate(names)}
    n = len(names)
    counts, start = np.zeros((n, n)), np.zeros(n)
    end_c, end_n, end_v = np.zeros(n), np.zeros(n), np.zeros(n)
    for states, conv, value, null in chains:
        w = conv + null
        start[index[states[0]]] += w
        for a, b in itertools.pairwise(states):
            if a != b:
                counts[index[a], index[b]] += w
        end_c[index[states[-1]]] += conv
        end_n[index[states[-1]]] += null
        end_v[index[states[-1]]] += value
    out = counts.sum(1) + end_c + end_n
    seen = out > 0  # states only on paths with no journeys (0 conversions, 0 nulls)
    safe = np.where(seen, out, 1.0)
    q, rc, rv, pi = counts / safe[:, None], end_c / safe, end_v / safe, start / start.sum()

    def absorb(keep):
        k = np.flatnonzero(keep & seen)
        inv = np.linalg.inv(np.eye(len(k)) - q[np.ix_(k, k)])
        return pi[k] @ inv @ rc[k], pi[k] @ inv @ rv[k]

    channels = sorted({c for s in names for c in s})
    p0, v0 = absorb(np.ones(n, bool))
    re, rev = [], []
    for c in channels:
        pc_, vc_ = absorb(np.array([c not in s for s in names]))
        re.append(1 - pc_ / p0)
        rev.append(1 - vc_ / v0)
    return np.array(re), np.array(rev)


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("solver", ["direct", "series"])
def test_removal_effects_match_dense_inverse(order, solver):
    rng = np.random.default_rng(order)
    rows = []
    for _ in range(60):
        path = " > ".join(rng.choice(list("ABCD"), size=rng.integers(1, 6)))
        conv = int(rng.integers(0, 4))
        rows.append((path, conv, float(conv * rng.integers(5, 50)), int(rng.integers(0, 5))))
    p = _agg(rows)
    ours = MarkovModel(p, order, solver=solver).removal_effects(p.conversions, p.nulls, p.value)
    ref = _dense_reference(rows, order)
    assert ours[0] == pytest.approx(ref[0], abs=1e-10)
    assert ours[1] == pytest.approx(ref[1], abs=1e-10)


def test_credits_sum_to_totals_and_value_methods_differ():
    p = _agg([("A > B", 2, 100.0, 1), ("B", 1, 5.0, 3), ("A", 1, 50.0, 2), ("C > A", 1, 1.0, 1)])
    conv_t, val_t = _credits(p, "markov:2")
    conv_c, val_c = _credits(p, "markov:2", value_method="conversions")
    assert sum(conv_t.values()) == pytest.approx(5.0)
    assert sum(val_t.values()) == pytest.approx(156.0)
    assert sum(val_c.values()) == pytest.approx(156.0)
    assert conv_t == pytest.approx(conv_c)
    # "conversions": value split in the conversion shares; "transitions": by value chain.
    assert [val_c[k] / 156 for k in "ABC"] == pytest.approx([conv_c[k] / 5 for k in "ABC"])
    assert val_t["A"] != pytest.approx(val_c["A"])


def test_transition_matrix_frame():
    p = _agg([("A > B > A", 1, 0.0, 0), ("A > A", 0, 0.0, 2), ("B", 1, 0.0, 1)])
    tm = markov_transition_matrix(p, order=2)
    assert list(tm.columns) == ["from_state", "to_state", "probability", "count"]
    assert set(tm["from_state"]) == {"(start)", "A > B", "B > A", "A > A", "B"}
    # every state's outgoing probabilities sum to 1; the self loop A > A is dropped
    assert tm.groupby("from_state")["probability"].sum().to_numpy() == pytest.approx(1.0)
    row = tm[(tm.from_state == "(start)") & (tm.to_state == "A > A")]
    assert row["count"].item() == 2 and row["probability"].item() == pytest.approx(2 / 5)


def test_channel_on_non_converting_paths_only_still_gets_markov_credit():
    # Documented behaviour: C is on no converting path, but C -> B and B converts in the
    # memoryless chain, so removing C lowers the conversion probability.
    p = _agg([("C > B", 0, 0.0, 1), ("A > B", 1, 10.0, 0), ("B", 1, 10.0, 1)])
    conv, _ = _credits(p, "markov:1")
    assert conv["C"] > 0
    assert sum(conv.values()) == pytest.approx(2.0)


def test_invalid_options():
    p = _agg([("A", 1, 1.0, 0)])
    with pytest.raises(ValueError, match="order"):
        MarkovModel(p, order=5)
    with pytest.raises(ValueError, match="solver"):
        MarkovModel(p, solver="simulate")
    with pytest.raises(ValueError, match="value_method"):
        MarkovModel(p, value_method="mean")


def test_agrees_with_channelattribution_simulation():
    ca = pytest.importorskip("ChannelAttribution")
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(80):
        path = " > ".join(rng.choice(list("ABCD"), size=rng.integers(1, 5)))
        conv = int(rng.integers(0, 5))
        rows.append((path, conv, float(conv * 10), int(rng.integers(0, 6))))
    table = pd.DataFrame(
        rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"]
    )
    ours, _ = _credits(paths_from_aggregated(table), "markov:1")
    theirs = ca.markov_model(
        table,
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        var_null="total_null",
        sep=">",
        verbose=False,
        flg_pro=False,
    )
    theirs = theirs.set_index("channel_name")["total_conversions"]
    total = table["total_conversions"].sum()
    for ch, value in ours.items():
        assert value / total == pytest.approx(theirs[ch] / total, abs=0.02)  # simulation noise
