"""Exported CSV reading (read_export): cells and rows of spaces are empty."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.readers import read_source


def test_cells_and_rows_of_spaces_are_empty(tmp_path: Path) -> None:
    body = (
        "email_address,campaign_name,action,timestamp,url\n"
        "a@b.com,Welcome,Clicked,2026-01-05 07:35:14,   \n"
        "a@b.com,  ,Opened,2026-01-05 07:30:26,\n"
        "  ,  ,  ,  ,  \n"
    )
    (tmp_path / "mail.csv").write_text(body, encoding="utf-8")
    source = SourceConfig(
        name="mail", format="email_activity", path="mail.csv", base_dir=tmp_path, channel="Email"
    )
    result = read_source(source)
    tp = result.touchpoints.sort_values("source_row")
    assert tp["source_row"].tolist() == [2, 3]
    assert tp["attr_url"].isna().all()  # "   " is no URL
    assert pd.isna(tp["campaign"].iloc[1]) and tp["campaign"].iloc[0] == "Welcome"
    assert result.files[0]["blank_rows"] == 1
    assert result.quarantine.empty
