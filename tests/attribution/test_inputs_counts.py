"""paths_from_journeys: the rows of touches follow from ``n_touches`` only when they match.

``build_journeys`` writes touches in journey order and each journey's ``n_touches``;
``paths_from_journeys`` then takes each touch's journey from the counts instead of
hashing the ids, after checking every touch's id against its journey's. These tests
compare with the hashing route (same tables without ``n_touches``) and check that
a wrong count, a foreign id or a shuffled order still give the same answer or error.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from workbench.attribution.inputs import paths_from_journeys
from workbench.errors import ValidationError

pytestmark = pytest.mark.filterwarnings("ignore:.*have no touches:UserWarning")


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    ts = pd.to_datetime(
        ["2026-01-01", "2026-01-05", "2026-01-10", "2026-01-02", "2026-01-03", "2026-01-04"],
        utc=True,
    )
    touches = pd.DataFrame(
        {
            "journey_id": pd.array(["j1", "j1", "j1", "j2", "j2", "j3"], dtype="string"),
            "position": [0, 1, 2, 0, 1, 0],
            "ts": ts,
            "channel": pd.array(["Paid", "Email", "Direct", "Email", "Email", "  "], "string"),
            "touch_type": ["ad_click", "demo", "form_submit", "email_open", "email_click", "x"],
        }
    )
    journeys = pd.DataFrame(
        {
            "journey_id": pd.array(["j1", "j2", "j3", "j4"], dtype="string"),
            "converted": [True, False, True, True],
            "value": [120.0, 0.0, 30.0, 9.0],
            "conversion_ts": pd.to_datetime(
                ["2026-01-10", None, "2026-01-06", "2026-01-07"], utc=True
            ),
            "n_touches": [3, 2, 1, 0],
        }
    )
    touches.loc[5, "channel"] = "Display"
    return touches, journeys


def _same(a, b) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        elif isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        else:
            assert x == y, f.name


def test_counts_give_the_same_paths_as_hashing_the_ids():
    touches, journeys = _tables()
    with_counts = paths_from_journeys(touches, journeys)
    hashed = paths_from_journeys(touches, journeys.drop(columns="n_touches"))
    _same(with_counts, hashed)
    assert with_counts.channels == ("Direct", "Display", "Email", "Paid")
    np.testing.assert_array_equal(with_counts.offsets, [0, 3, 5, 6])


@pytest.mark.parametrize("counts", [[2, 3, 1, 0], [3, 2, 0, 1], [3, 2, 1, 5], [3, 2, 1, None]])
def test_wrong_counts_fall_back_to_the_ids(counts):
    touches, journeys = _tables()
    expected = paths_from_journeys(touches, journeys.drop(columns="n_touches"))
    _same(paths_from_journeys(touches, journeys.assign(n_touches=counts)), expected)


def test_shuffled_touches_fall_back_to_the_ids():
    touches, journeys = _tables()
    expected = paths_from_journeys(touches, journeys)
    shuffled = touches.iloc[[4, 0, 5, 2, 3, 1]].reset_index(drop=True)
    _same(paths_from_journeys(shuffled, journeys), expected)


def test_unknown_journey_is_still_an_error():
    touches, journeys = _tables()
    touches.loc[5, "journey_id"] = "j9"  # counts still add up: only the ids tell
    with pytest.raises(ValidationError, match="not found in journeys"):
        paths_from_journeys(touches, journeys)


def test_blank_and_missing_channels_are_still_errors():
    touches, journeys = _tables()
    touches.loc[1, "channel"] = "   "
    touches.loc[3, "channel"] = pd.NA
    with pytest.raises(ValidationError, match="non-empty channel name") as err:
        paths_from_journeys(touches, journeys)
    assert "row 1" in str(err.value) and "row 3" in str(err.value)


def test_counts_are_used_only_when_every_id_matches():
    from workbench.attribution._helpers import _rows_from_counts

    touches, journeys = _tables()
    keys, lookup = journeys["journey_id"], touches["journey_id"]
    rows = _rows_from_counts(keys, lookup, journeys["n_touches"])
    np.testing.assert_array_equal(rows, [0, 0, 0, 1, 1, 2])
    assert _rows_from_counts(keys, lookup, pd.Series([2, 3, 1, 0])) is None
    assert _rows_from_counts(keys, lookup.astype(object), journeys["n_touches"]) is None
