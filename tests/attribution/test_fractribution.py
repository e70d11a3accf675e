"""Fractribution's path-level simplified Shapley: hand example and a plain-Python reference."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from workbench.attribution import attribute, paths_from_aggregated, paths_from_journeys
from workbench.attribution.fractribution import transform_paths


def _table(rows):
    return pd.DataFrame(
        rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"]
    )


def _credits(paths, model="fractribution", **opts):
    c = attribute(paths, model, **opts).credits.set_index("channel")
    return c["conversions"].to_dict(), c["value"].to_dict()


def test_hand_example():
    # P(conv | path): A 1/4, B 1/2, A > B 3/4, B > A 1.
    # A > B: removing A leaves B (1/2): 3/4 - 1/2 = 1/4; removing B leaves A: 3/4 - 1/4 = 1/2
    #        -> shares A 1/3, B 2/3 of 3 conversions: A 1, B 2.
    # B > A: removing B leaves A: 1 - 1/4 = 3/4; removing A leaves B: 1 - 1/2 = 1/2
    #        -> B 3/5, A 2/5 of 1 conversion.
    # A and B alone keep their own conversion. Totals: A 1 + 0.4 + 1 = 2.4, B 2 + 0.6 + 1 = 3.6.
    p = paths_from_aggregated(
        _table([("A", 1, 10.0, 3), ("B", 1, 10.0, 1), ("A > B", 3, 60.0, 1), ("B > A", 1, 50.0, 0)])
    )
    conv, value = _credits(p)
    assert conv == pytest.approx({"A": 2.4, "B": 3.6})
    assert value == pytest.approx({"A": 10 + 20 + 20, "B": 10 + 40 + 30})


def test_all_zero_contributions_fall_back_to_last_touch():
    # A > B converts as often as A and as B alone: both contributions are 0 -> last touch.
    p = paths_from_aggregated(_table([("A > B", 1, 0.0, 1), ("A", 1, 0.0, 1), ("B", 1, 0.0, 1)]))
    conv, _ = _credits(p)
    assert conv == pytest.approx({"A": 1.0, "B": 2.0})


def _labels(paths, transform):
    t = transform_paths(paths, transform)
    lab = t["token_label"][t["tokens"]]
    return [" > ".join(lab[t["offsets"][i] : t["offsets"][i + 1]]) for i in range(paths.n_paths)]


def test_transforms_follow_fractribution_definitions():
    p = paths_from_aggregated(_table([("D > A > B > B > C > D > C > C", 1, 0.0, 0)]))
    assert _labels(p, "unique") == ["D > A > B > B > C > D > C > C"]
    assert _labels(p, "exposure") == ["D > A > B > C > D > C"]
    assert _labels(p, "first") == ["D > A > B > C"]
    assert _labels(p, "frequency") == ["D(2) > A(1) > B(2) > C(3)"]


def _transform(path, name):
    if name == "unique":
        return tuple(path)
    if name == "exposure":
        return tuple(c for i, c in enumerate(path) if i == 0 or c != path[i - 1])
    first = tuple(dict.fromkeys(path))
    if name == "first":
        return first
    return tuple(f"{c}({path.count(c)})" for c in first)


def _reference(rows, transform, lookback=0):
    """Google fractribution's run_shapley_attribution, written out with dicts."""
    summary: dict = {}
    for path, conv, value, null in rows:
        channels = [c.strip() for c in path.split(">")]
        if lookback:
            channels = channels[-lookback:]
        key = _transform(channels, transform)
        s = summary.setdefault(key, [0.0, 0.0, 0.0])
        s[0] += conv
        s[1] += null
        s[2] += value

    def prob(key):
        if key not in summary or summary[key][0] + summary[key][1] == 0:
            return 0.0
        return summary[key][0] / (summary[key][0] + summary[key][1])

    conv_out, value_out = {}, {}
    for key, (conv, _, value) in summary.items():
        if not conv:
            continue
        p = prob(key)
        if len(key) == 1:
            mc = [p]
        else:
            mc = [max(p - prob(key[:i] + key[i + 1 :]), 0.0) for i in range(len(key))]
        total = sum(mc)
        mc = [m / total for m in mc] if total else [0.0] * (len(key) - 1) + [1.0]
        for label, share in zip(key, mc, strict=True):
            channel = re.sub(r"\(.*", "", label)
            conv_out[channel] = conv_out.get(channel, 0.0) + share * conv
            value_out[channel] = value_out.get(channel, 0.0) + share * value
    return conv_out, value_out


@pytest.mark.parametrize("transform", ["unique", "exposure", "first", "frequency"])
@pytest.mark.parametrize("lookback", [0, 3])
def test_matches_plain_python_reference(transform, lookback):
    rng = np.random.default_rng(len(transform) + lookback)
    rows = []
    for _ in range(300):
        path = " > ".join(rng.choice(list("ABCD"), size=rng.integers(1, 6), p=[0.4, 0.3, 0.2, 0.1]))
        conv = int(rng.integers(0, 3))
        rows.append((path, conv, float(conv * rng.integers(1, 100)), int(rng.integers(0, 8))))
    p = paths_from_aggregated(_table(rows))
    conv, value = _credits(p, f"fractribution:{transform}", lookback_steps=lookback)
    ref_conv, ref_value = _reference(rows, transform, lookback)
    assert {k: v for k, v in conv.items() if v} == pytest.approx(ref_conv, abs=1e-9)
    assert {k: v for k, v in value.items() if v} == pytest.approx(ref_value, abs=1e-7)
    assert sum(conv.values()) == pytest.approx(sum(r[1] for r in rows))


def test_per_touch_credits_split_elements_over_their_touches():
    touches = pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j1", "j2", "j3"],
            "position": [0, 1, 2, 0, 0],
            "channel": ["A", "A", "B", "A", "B"],
        }
    )
    journeys = pd.DataFrame(
        {
            "journey_id": ["j1", "j2", "j3"],
            "converted": [True, False, True],
            "value": [50.0, 0.0, 8.0],
        }
    )
    # exposure: j1 is A > B; removing A leaves B (prob 1), removing B leaves A (prob 0):
    # contributions 0 and 1 -> B gets everything; A's two touches share 0.
    res = attribute(paths_from_journeys(touches, journeys), "fractribution")
    tc = res.touch_credits
    assert tc["credit"].tolist() == pytest.approx([0.0, 0.0, 1.0, 1.0])
    res = attribute(paths_from_journeys(touches, journeys), "fractribution:unique")
    # unique: A > A > B; removing either A leaves A > B (unseen, 0), removing B leaves
    # A > A (unseen, 0): contributions 1, 1, 1 -> a third each.
    assert res.touch_credits["credit"].tolist()[:3] == pytest.approx([1 / 3] * 3)
    assert res.touch_credits.groupby("journey_id")["value_credit"].sum().to_dict() == pytest.approx(
        {"j1": 50.0, "j3": 8.0}
    )
