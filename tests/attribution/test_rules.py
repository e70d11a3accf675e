"""Rule-based attribution, every rule checked against credits worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.attribution import attribute, paths_from_aggregated, paths_from_journeys
from workbench.attribution.rules import rule_shares
from workbench.errors import ValidationError

CONV = pd.Timestamp("2026-03-15", tz="UTC")


def _journeys(paths: dict[str, list[str]], days: dict[str, list[float]] | None = None, **extra):
    """Journey tables: one converted journey per key, value 100, touches ``days`` before."""
    rows = []
    for jid, channels in paths.items():
        d = (days or {}).get(jid, [float(len(channels) - 1 - i) for i in range(len(channels))])
        for pos, (ch, back) in enumerate(zip(channels, d, strict=True)):
            rows.append((jid, pos, CONV - pd.Timedelta(days=back), ch, "session"))
    touches = pd.DataFrame(rows, columns=["journey_id", "position", "ts", "channel", "touch_type"])
    journeys = pd.DataFrame(
        {
            "journey_id": list(paths),
            "converted": True,
            "value": 100.0,
            "conversion_ts": CONV,
            **extra,
        }
    )
    return touches, journeys


def _shares(paths, rule, **opts):
    return rule_shares(paths, rule, **opts).round(10).tolist()


def _credit(paths, model, **opts):
    c = attribute(paths, model, **opts).credits.set_index("channel")
    return c["conversions"].round(10).to_dict(), c["value"].round(8).to_dict()


def test_first_last_linear_by_hand():
    # Journey A > B > C > B (one conversion worth 100).
    p = paths_from_journeys(*_journeys({"j": ["A", "B", "C", "B"]}))
    assert _shares(p, "first") == [1, 0, 0, 0]
    assert _shares(p, "last") == [0, 0, 0, 1]
    assert _shares(p, "linear") == [0.25] * 4
    # Linear: B appears twice -> 0.5 conversions and 50 value.
    conv, value = _credit(p, "linear")
    assert conv == {"A": 0.25, "B": 0.5, "C": 0.25}
    assert value == {"A": 25.0, "B": 50.0, "C": 25.0}


def test_last_non_direct_skips_direct_unless_only_direct():
    p = paths_from_journeys(
        *_journeys({"j1": ["A", "Direct", "Direct"], "j2": ["Direct", "Direct"]})
    )
    assert _shares(p, "last_non_direct") == [1, 0, 0, 0, 1]
    conv, _ = _credit(p, "last_non_direct")
    assert conv == {"A": 1.0, "Direct": 1.0}
    # Other direct channel names are an option.
    assert _shares(p, "last_non_direct", direct_channels=("A",)) == [0, 0, 1, 0, 1]


def test_time_decay_with_known_timestamps():
    # Touches 14, 7 and 0 days before the conversion, half-life 7 days:
    # weights 2^-2, 2^-1, 2^0 = 1/4, 1/2, 1 -> shares 1/7, 2/7, 4/7.
    p = paths_from_journeys(*_journeys({"j": ["A", "B", "C"]}, days={"j": [14.0, 7.0, 0.0]}))
    assert _shares(p, "time_decay") == pytest.approx([1 / 7, 2 / 7, 4 / 7])
    # Half-life 14 days: weights 1/2, 2^-0.5, 1.
    w = np.array([0.5, 2**-0.5, 1.0])
    assert _shares(p, "time_decay", half_life_days=14) == pytest.approx((w / w.sum()).tolist())


def test_time_decay_survives_very_old_touches():
    # 3 000 days at a 7-day half-life underflows 2^-x; shares still sum to 1.
    p = paths_from_journeys(*_journeys({"j": ["A", "B"]}, days={"j": [3000.0, 2999.0]}))
    s = rule_shares(p, "time_decay")
    assert s.sum() == pytest.approx(1.0)
    assert s[1] / s[0] == pytest.approx(2 ** (1 / 7))


def test_position_u_shape_and_short_paths():
    p = paths_from_journeys(
        *_journeys({"j1": ["A"], "j2": ["A", "B"], "j3": ["A", "B", "C"], "j4": list("ABCDE")})
    )
    assert _shares(p, "position") == pytest.approx([
        1.0,  # one touch: 100%
        0.5, 0.5,  # two touches: 40 + 20/2 each
        0.4, 0.2, 0.4,  # three: 40 / 20 / 40
        0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4,  # five: the 20% is spread over the middle
    ])  # fmt: skip
    # Configurable: 30/40/30 -> two touches get 30 + 20 = 50 each, middle of 3 gets 40.
    assert _shares(p, "position", position_weights=(0.3, 0.4, 0.3))[1:6] == [
        0.5,
        0.5,
        0.3,
        0.4,
        0.3,
    ]
    with pytest.raises(ValueError, match="summing to 1"):
        rule_shares(p, "position", position_weights=(0.5, 0.5, 0.5))


def test_w_shaped_from_lead_and_opportunity_timestamps():
    # j1: five touches on days 10, 8, 6, 4, 2 before the conversion; the lead was created
    # 7 days before (last touch at or before it: index 1) and the opportunity 3 days before
    # (index 3): 30 first / 30 lead / 30 opportunity, 10 split over indices 2 and 4.
    # j2: three touches (days 2, 1, 0); lead at the first touch, opportunity at the last:
    # first gets 30 + 30, the last 30, the middle the 10.
    # j3: two touches, lead and opportunity both on the second, no other touch: the 10 is
    # split over the two distinct key touches: 30 + 5 and 30 + 30 + 5.
    paths = {"j1": list("ABCDE"), "j2": list("ABC"), "j3": list("AB")}
    days = {"j1": [10, 8, 6, 4, 2], "j2": [2, 1, 0], "j3": [1, 0]}
    t, j = _journeys(
        paths,
        days=days,
        lead_ts=[CONV - pd.Timedelta(days=7), CONV - pd.Timedelta(days=2), CONV],
        opportunity_ts=[CONV - pd.Timedelta(days=3), CONV, CONV],
    )
    p = paths_from_journeys(t, j)
    assert _shares(p, "w_shaped") == pytest.approx(
        [0.3, 0.3, 0.05, 0.3, 0.05, 0.6, 0.1, 0.3, 0.35, 0.65]
    )
    custom = _shares(p, "w_shaped", w_shaped_weights=(0.4, 0.2, 0.2, 0.2))
    assert custom[:5] == pytest.approx([0.4, 0.2, 0.1, 0.2, 0.1])


def test_w_shaped_marker_touch_types_and_position_fallback():
    t, j = _journeys({"j1": list("ABCD"), "j2": list("ABC")})
    # j1: form_submit on C (lead), demo on D (opportunity). j2: no markers -> U-shaped.
    t.loc[2, "touch_type"] = "form_submit"
    t.loc[3, "touch_type"] = "demo"
    p = paths_from_journeys(t, j)
    assert _shares(p, "w_shaped") == pytest.approx([0.3, 0.1, 0.3, 0.3, 0.4, 0.2, 0.4])


def test_timestamp_models_refuse_aggregated_paths():
    agg = paths_from_aggregated(
        pd.DataFrame(
            {
                "path": ["A > B"],
                "total_conversions": [1],
                "total_conversion_value": [1.0],
                "total_null": [0],
            }
        )
    )
    for model in ("time_decay", "w_shaped"):
        with pytest.raises(ValidationError, match="aggregated path tables carry no timestamps"):
            attribute(agg, model)
    # Rules without timestamps work on aggregated paths and use the path counts.
    conv, value = _credit(agg, "linear")
    assert conv == {"A": 0.5, "B": 0.5} and value == {"A": 0.5, "B": 0.5}


def test_only_converting_paths_are_credited_and_per_touch_credits_add_up():
    t, j = _journeys({"j1": ["A", "B"], "j2": ["C"], "j3": ["B", "A", "B"]})
    j.loc[1, ["converted", "value"]] = [False, 0.0]
    j["value"] = [10.0, 0.0, 30.0]
    res = attribute(paths_from_journeys(t, j), "position")
    tc = res.touch_credits
    assert set(tc["journey_id"]) == {"j1", "j3"}
    sums = tc.groupby("journey_id")[["credit", "value_credit"]].sum()
    assert sums.loc["j1"].tolist() == pytest.approx([1.0, 10.0])
    assert sums.loc["j3"].tolist() == pytest.approx([1.0, 30.0])
    credits = res.credits.set_index("channel")
    assert credits.loc["C", "conversions"] == 0.0  # only on a non-converting journey
    assert list(tc.columns) == [
        "journey_id",
        "position",
        "channel",
        "model",
        "credit",
        "value_credit",
    ]
