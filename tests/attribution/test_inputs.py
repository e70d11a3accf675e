"""Attribution inputs: journey tables and aggregated path tables -> integer-coded paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.attribution.aggregated import aggregate_paths, paths_from_aggregated
from workbench.attribution.inputs import paths_from_journeys, touch_days_before
from workbench.attribution.sequences import group_sequences
from workbench.errors import ValidationError

# j4 converts without touches: asserted once below, silenced elsewhere.
pytestmark = pytest.mark.filterwarnings("ignore:.*have no touches:UserWarning")


def _utc(*values):
    return pd.to_datetime(list(values), utc=True)


@pytest.fixture
def tables():
    touches = pd.DataFrame(
        {
            # deliberately out of order: the reader sorts by (journey, position)
            "journey_id": ["j2", "j1", "j1", "j2", "j1", "j3"],
            "position": [1, 2, 0, 0, 1, 0],
            "ts": _utc(
                "2026-01-03",
                "2026-01-10",
                "2026-01-01",
                "2026-01-02",
                "2026-01-05",
                "2026-01-04",
            ),
            "channel": ["Email", "Direct", "Paid Search", "Email", "Email", "Display"],
            "touch_type": [
                "email_click",
                "form_submit",
                "ad_click",
                "email_open",
                "demo",
                "ad_impression",
            ],
        }
    )
    journeys = pd.DataFrame(
        {
            "journey_id": ["j1", "j2", "j3", "j4"],
            "converted": [True, False, True, True],
            "value": [120.0, 0.0, 30.0, 9.0],
            "conversion_ts": _utc("2026-01-10", None, "2026-01-06", "2026-01-07"),
        }
    )
    return touches, journeys


def test_journeys_become_sorted_integer_paths(tables):
    touches, journeys = tables
    p = paths_from_journeys(touches, journeys)
    assert p.channels == ("Direct", "Display", "Email", "Paid Search")
    # j1: Paid Search > Email > Direct ; j2: Email > Email ; j3: Display
    assert p.codes.tolist() == [3, 2, 0, 2, 2, 1]
    assert p.offsets.tolist() == [0, 3, 5, 6]
    assert p.ids.tolist() == ["j1", "j2", "j3"]
    assert p.conversions.tolist() == [1.0, 0.0, 1.0]
    assert p.nulls.tolist() == [0.0, 1.0, 0.0]
    assert p.value.tolist() == [120.0, 0.0, 30.0]
    assert p.positions.tolist() == [0, 1, 2, 0, 1, 0]
    assert p.index_in_path.tolist() == [0, 1, 2, 0, 1, 0]
    assert p.path_of_touch.tolist() == [0, 0, 0, 1, 1, 2]


def test_journey_without_touches_is_reported_not_silently_dropped(tables):
    touches, journeys = tables
    with pytest.warns(
        UserWarning,
        match=r"1 converted journey\(s\) have no touches: credited to '\(no known touch\)' "
        r"\(value 9\)",
    ):
        p = paths_from_journeys(touches, journeys)
    assert p.dropped["journey_id"].tolist() == ["j4"]
    assert (p.touchless_conversions, p.touchless_value) == (1.0, 9.0)
    assert "without touches" in p.dropped["reason"].iloc[0]


def test_days_before_conversion_from_timestamps(tables):
    touches, journeys = tables
    p = paths_from_journeys(touches, journeys)
    # j1 converts on Jan 10: touches on Jan 1, 5, 10; j2 never converts; j3: Jan 4 -> 6
    assert p.days_before[:3].tolist() == [9.0, 5.0, 0.0]
    assert np.isnan(p.days_before[3:5]).all()
    assert p.days_before[5] == 2.0


def test_days_before_falls_back_to_days_to_conversion(tables):
    touches, journeys = tables
    touches = touches.drop(columns="ts").assign(days_to_conversion=[1.0, 0.0, 4.0, 2.0, 3.0, 8.0])
    p = paths_from_journeys(touches, journeys)
    assert p.days_before.tolist() == [4.0, 3.0, 0.0, 2.0, 1.0, 8.0]
    days = touch_days_before(touches, journeys)
    assert days.tolist() == [1.0, 0.0, 4.0, 2.0, 3.0, 8.0]


def test_marker_touch_types_locate_lead_and_opportunity(tables):
    touches, journeys = tables
    p = paths_from_journeys(touches, journeys)
    # j1: form_submit at index 2 (lead), demo at index 1 (opportunity); others: none
    assert p.lead_index.tolist() == [2, -1, -1]
    assert p.opportunity_index.tolist() == [1, -1, -1]


def test_marker_timestamps_take_the_last_touch_at_or_before(tables):
    touches, journeys = tables
    journeys = journeys.assign(
        lead_ts=_utc("2026-01-04", None, "2026-01-05", None),
        opportunity_ts=_utc("2026-01-05", None, "2026-01-01", None),
    )
    p = paths_from_journeys(touches, journeys)
    # j1 touches Jan 1, 5, 10: lead (Jan 4) -> index 0, opportunity (Jan 5) -> index 1.
    # j2 has no timestamps -> marker types (none). j3: touch on Jan 4 <= Jan 5 -> 0;
    # opportunity Jan 1 is before its only touch -> -1.
    assert p.lead_index.tolist() == [0, -1, 0]
    assert p.opportunity_index.tolist() == [1, -1, -1]


def test_journey_validation_collects_every_problem(tables):
    touches, journeys = tables
    bad_j = pd.concat([journeys, journeys.iloc[[0]]], ignore_index=True)
    bad_j.loc[1, "value"] = -5.0
    with pytest.raises(ValidationError) as err:
        paths_from_journeys(touches, bad_j)
    text = str(err.value)
    assert "must be unique" in text and "'j1'" in text
    assert "must be >= 0" in text and "-5.0" in text


def test_touch_problems_name_column_and_rows(tables):
    touches, journeys = tables
    t = touches.copy()
    t.loc[0, "journey_id"] = "nope"
    t.loc[2, "channel"] = "  "
    with pytest.raises(ValidationError) as err:
        paths_from_journeys(t, journeys)
    problems = err.value.problems
    assert any("not found in journeys" in p and "'nope'" in p for p in problems)
    assert any("'channel'" in p and "row 2" in p for p in problems)


def test_missing_columns_and_duplicate_positions(tables):
    touches, journeys = tables
    with pytest.raises(ValidationError, match=r"missing column\(s\) \['channel'\]"):
        paths_from_journeys(touches.drop(columns="channel"), journeys)
    dup = touches.copy()
    dup.loc[1, "position"] = 0
    with pytest.raises(ValidationError, match="must be unique"):
        paths_from_journeys(dup, journeys)


def test_touch_after_conversion_is_an_error(tables):
    touches, journeys = tables
    late = touches.copy()
    late.loc[1, "ts"] = pd.Timestamp("2026-01-11", tz="UTC")
    with pytest.raises(ValidationError, match="after their journey's conversion"):
        paths_from_journeys(late, journeys)


def test_non_boolean_converted_and_value_without_conversion(tables):
    touches, journeys = tables
    j = journeys.astype({"converted": object})
    j.loc[0, "converted"] = "maybe"
    j.loc[1, "value"] = 3.0
    with pytest.raises(ValidationError) as err:
        paths_from_journeys(touches, j)
    assert any("true/false" in p and "'maybe'" in p for p in err.value.problems)
    assert any("must be 0 for journeys that did not convert" in p for p in err.value.problems)


AGG = pd.DataFrame(
    {
        "path": ["A > B", "B", " C >A>B ", "A > B"],
        "total_conversions": [3, 0, 2, 1],
        "total_conversion_value": [30.0, 0.0, 12.5, 4.0],
        "total_null": [2, 5, 0, 1],
    }
)


def test_aggregated_paths_parse_with_separator_and_strip():
    p = paths_from_aggregated(AGG, sep=">")
    assert p.channels == ("A", "B", "C")
    assert p.codes.tolist() == [0, 1, 1, 2, 0, 1, 0, 1]
    assert p.offsets.tolist() == [0, 2, 3, 6, 8]
    assert p.conversions.tolist() == [3, 0, 2, 1]
    assert p.nulls.tolist() == [2, 5, 0, 1]
    assert p.days_before is None and p.lead_index is None
    assert p.source == "aggregated"


def test_aggregated_column_names_are_options():
    renamed = AGG.rename(
        columns={"path": "p", "total_conversions": "c", "total_conversion_value": "v"}
    ).drop(columns="total_null")
    p = paths_from_aggregated(renamed, path="p", conversions="c", value="v", nulls=None, sep=">")
    assert p.nulls.tolist() == [0, 0, 0, 0]
    assert p.value.tolist() == [30.0, 0.0, 12.5, 4.0]


def test_aggregate_paths_round_trip_sums_duplicates():
    p = paths_from_aggregated(AGG, sep=">")
    table = aggregate_paths(p)
    assert table["path"].tolist() == ["A > B", "B", "C > A > B"]
    assert table["total_conversions"].tolist() == [4.0, 0.0, 2.0]
    assert table["total_conversion_value"].tolist() == [34.0, 0.0, 12.5]
    assert table["total_null"].tolist() == [3.0, 5.0, 0.0]
    again = aggregate_paths(paths_from_aggregated(table))
    pd.testing.assert_frame_equal(table, again)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"total_conversions": [3, -1, 2, 1]}, "must be >= 0"),
        ({"total_null": [2, 5, None, 1]}, "missing values"),
        ({"path": ["A > B", "", "C", "A"]}, "empty paths"),
        ({"path": ["A >  > B", "B", "C", "A"]}, "empty channel names"),
        ({"total_conversions": [0, 0, 2, 1]}, "value only with conversions"),
        ({"total_conversions": ["x", 0, 2, 1]}, "must be numeric"),
    ],
)
def test_aggregated_validation_messages(change, message):
    bad = AGG.assign(**change)
    with pytest.raises(ValidationError, match=message) as err:
        paths_from_aggregated(bad)
    assert "row " in str(err.value)


def test_aggregated_missing_column_lists_expected():
    with pytest.raises(ValidationError, match=r"missing column\(s\) \['total_null'\]"):
        paths_from_aggregated(AGG.drop(columns="total_null"))


def test_group_sequences_matches_python_tuples():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 30, size=400)  # long rows use the byte-key path
    codes = rng.integers(0, 3, size=lengths.sum()).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    inverse, rep = group_sequences(codes, offsets, 3)
    rows = [tuple(codes[offsets[i] : offsets[i + 1]]) for i in range(len(lengths))]
    for i, row in enumerate(rows):
        assert rows[rep[inverse[i]]] == row
    assert len(rep) == len(set(rows))
