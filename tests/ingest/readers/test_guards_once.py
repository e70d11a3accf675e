"""Row rules and the plausible-date window drop rows with one copy of the table.

``finish`` used to filter the table after the row rules and again after the date
window; it now combines both masks (``quarantine_mask``, ``plausible_mask``) and
filters once. The rows kept and the quarantine must be those of the two-step way.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._guards import plausible_mask, plausible_rows
from workbench.ingest.validation import conform, quarantine_mask, quarantine_rows
from workbench.schema import TOUCHPOINTS

NOW = pd.Timestamp("2026-06-01", tz="UTC")


def _frame() -> pd.DataFrame:
    ts = ["2026-01-02", "1999-01-01", None, "2031-01-01", "2026-02-03", "1998-05-05"]
    return conform(
        pd.DataFrame(
            {
                "ts": pd.to_datetime(ts, utc=True),
                "touch_type": ["session", "session", "session", "session", None, None],
                "anonymous_id": ["a", "b", "c", "d", "e", "f"],
                "source_row": [2, 3, 4, 5, 6, 7],
            }
        ),
        TOUCHPOINTS,
    )


def test_masks_keep_and_quarantine_what_the_two_filters_did():
    source = SourceConfig(
        name="web", format="generic", path="x.csv", base_dir=Path("."), min_date="2020-01-01"
    )
    frame = _frame()
    q_old, q_new = Quarantine(), Quarantine()
    old = plausible_rows(
        quarantine_rows(frame, TOUCHPOINTS, q_old, source="web"),
        "ts",
        source,
        q_old,
        now=NOW,
    )
    keep = quarantine_mask(frame, TOUCHPOINTS, q_new, source="web")
    keep = plausible_mask(frame, "ts", source, q_new, now=NOW, keep=keep)
    pd.testing.assert_frame_equal(frame.loc[keep], old)
    pd.testing.assert_frame_equal(q_new.to_frame(), q_old.to_frame())
    assert old["anonymous_id"].tolist() == ["a"]
    reasons = q_new.to_frame().set_index("source_row")["reason"].to_dict()
    assert reasons[7] == "missing touch type"  # broke a row rule first: quarantined once
    assert len(reasons) == 5
