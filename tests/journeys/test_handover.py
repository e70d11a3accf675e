"""Tests of workbench.journeys.handover: what build_journeys vouches for, and when it stops.

``paths_from_journeys`` skips hashing the ids and channels of the tables
``build_journeys`` made; these tests check that the result is the one of the
validating route (the same tables with freshly made string columns) and that an
edited column is validated again.
"""

from __future__ import annotations

import dataclasses
import gc

import numpy as np
import pandas as pd
import pytest

from workbench.attribution.inputs import paths_from_journeys
from workbench.errors import ValidationError
from workbench.journeys import handover
from workbench.journeys.build import build_journeys

pytestmark = pytest.mark.filterwarnings("ignore:.*have no touches:UserWarning")


def _tables(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n, people = 300, 40
    channels = np.array(["Email", "Direct", "Unassigned", "Paid Search", "Zeta", "Äther"])
    channel = pd.array(channels[rng.integers(0, len(channels), n)], dtype="string")
    channel[rng.random(n) < 0.1] = pd.NA  # missing -> "Unassigned", next to the literal one
    touch_type = rng.choice(np.array(["session", "form_submit", "demo", None]), n)
    start = pd.Timestamp("2026-01-01", tz="UTC")
    tp = pd.DataFrame(
        {
            "person_id": pd.array([f"p{i}" for i in rng.integers(0, people, n)], dtype="string"),
            "ts": start + pd.to_timedelta(rng.integers(0, 120 * 24, n), unit="h"),
            "channel": channel,
            "touch_type": touch_type,  # markers of the W-shaped touches; some missing
            "campaign": pd.array(rng.choice(["a", "b", "c"], n), dtype="string"),
        }
    )
    m = 25
    cv = pd.DataFrame(
        {
            "person_id": pd.array([f"p{i}" for i in rng.integers(0, people + 5, m)], "string"),
            "ts": start + pd.to_timedelta(rng.integers(0, 120 * 24, m), unit="h"),
            "conversion_type": rng.choice(["lead", "deal_won"], m),
            "value": rng.gamma(2.0, 100.0, m),
        }
    )
    return tp, cv


def _fresh(df: pd.DataFrame) -> pd.DataFrame:
    """The same table with every string column made anew (nothing known about it)."""
    out = df.copy()
    for col in df.columns:
        if isinstance(df[col].dtype, pd.StringDtype):
            out[col] = pd.array(df[col].astype(object).tolist(), dtype=df[col].dtype)
    return out


def _same(a, b) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        elif isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        else:
            assert x == y, f.name


@pytest.mark.parametrize(
    "options",
    [{}, {"collapse_repeats": True}, {"path_level": "campaign"}, {"lookback_days": 10}],
)
def test_vouched_tables_give_the_paths_of_the_validating_route(options):
    js = build_journeys(*_tables(), **options)
    assert handover.known_distinct(js.journeys["journey_id"])
    assert handover.known_codes(js.touches["channel"]) is not None
    fast = paths_from_journeys(js.touches, js.journeys)
    assert (fast.lead_index >= 0).any() and (fast.opportunity_index >= 0).any()
    touches, journeys = _fresh(js.touches), _fresh(js.journeys)
    assert handover.known_codes(touches["channel"]) is None
    _same(fast, paths_from_journeys(touches, journeys))
    assert "Unassigned" in fast.channels and len(set(fast.channels)) == len(fast.channels)


def test_a_copy_keeps_what_is_known_and_an_edit_loses_it():
    js = build_journeys(*_tables())
    touches, journeys = js.touches.copy(), js.journeys.copy()  # the same Arrow arrays
    assert handover.known_rows(touches["journey_id"], journeys["journey_id"]) is not None
    touches.loc[0, "channel"] = "  "
    assert handover.known_codes(touches["channel"]) is None
    with pytest.raises(ValidationError, match="non-empty channel name"):
        paths_from_journeys(touches, journeys)


def test_other_journeys_are_not_taken_for_the_vouched_ones():
    js = build_journeys(*_tables())
    shown = js.journeys.iloc[::-1].reset_index(drop=True)  # new id array: rows by hashing
    assert handover.known_rows(js.touches["journey_id"], shown["journey_id"]) is None
    _same(
        paths_from_journeys(js.touches, shown),
        paths_from_journeys(_fresh(js.touches), _fresh(shown)),
    )


def test_facts_go_with_the_arrays():
    before = len(handover._FACTS)
    js = build_journeys(*_tables())
    assert len(handover._FACTS) == before + 4  # journey ids, touch ids, channels, touch types
    del js
    gc.collect()
    assert len(handover._FACTS) == before
