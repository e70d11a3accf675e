"""Tests of workbench.journeys.stages: lead and opportunity times of journeys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.journeys.build import build_journeys
from workbench.journeys.stages import STAGE_COLUMNS, add_stage_times, add_stage_times_coded


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    tp = pd.DataFrame(
        {
            "person_id": pd.array(["a", "a", "b", "c", "d"], dtype="string"),
            "ts": pd.to_datetime(
                ["2026-01-01", "2026-01-04", "2026-01-02", "2026-01-03", "2026-01-05"], utc=True
            ),
            "channel": ["Email", "Direct", "Webinar", "Email", "Direct"],
            "touch_type": [
                "email_click",
                "session",
                "webinar_attendance",
                "email_click",
                "session",
            ],
        }
    )
    cv = pd.DataFrame(
        {
            "person_id": pd.array(["a", "a", "a", "b", "b", None], dtype="string"),
            "ts": pd.to_datetime(
                [
                    "2026-01-02",
                    "2026-01-03",
                    "2026-01-06",
                    "2026-01-05",
                    "2026-01-03",
                    "2026-01-01",
                ],
                utc=True,
            ),
            "conversion_type": ["lead", "opportunity", "deal_won", "deal_won", "lead", "lead"],
            "value": [0.0, 0.0, 100.0, 50.0, 0.0, 0.0],
        }
    )
    return tp, cv


def test_stage_times_by_hand() -> None:
    tp, cv = _tables()
    j = build_journeys(tp, cv).journeys.set_index(["person_id", "conversion_type"])
    # a's lead (Jan 2) is at or before its opportunity and deal; b's lead (Jan 3) before its deal
    assert j.loc[("a", "deal_won"), "lead_ts"] == pd.Timestamp("2026-01-02", tz="UTC")
    assert j.loc[("a", "deal_won"), "opportunity_ts"] == pd.Timestamp("2026-01-03", tz="UTC")
    assert j.loc[("a", "lead"), "lead_ts"] == pd.Timestamp("2026-01-02", tz="UTC")
    assert pd.isna(j.loc[("a", "lead"), "opportunity_ts"])  # the opportunity came later
    assert j.loc[("b", "deal_won"), "lead_ts"] == pd.Timestamp("2026-01-03", tz="UTC")
    assert pd.isna(j.loc[("b", "deal_won"), "opportunity_ts"])


def test_coded_stage_times_equal_the_string_ones() -> None:
    tp, cv = _tables()
    js = build_journeys(tp, cv)
    plain = js.journeys.drop(columns=list(STAGE_COLUMNS.values()))
    expected = add_stage_times(plain, cv)
    pd.testing.assert_frame_equal(js.journeys, expected)
    # the codes of the units, in any numbering, give the same columns
    ids = ["d", "c", "b", "a"]
    code = {p: i for i, p in enumerate(ids)}
    c_units = np.array([code.get(p, -1) if isinstance(p, str) else -1 for p in cv["person_id"]])
    j_units = np.array([code[p] for p in plain["person_id"]])
    coded = add_stage_times_coded(plain, cv, c_units, j_units, len(ids))
    pd.testing.assert_frame_equal(coded, expected)
    assert str(coded["lead_ts"].dtype) == str(cv["ts"].dtype)
