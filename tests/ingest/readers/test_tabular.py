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


def test_an_empty_file_is_a_file_without_rows_not_an_error(tmp_path: Path) -> None:
    """A day without clicks exported as a 0-byte file (or a UTF-16 BOM alone)."""
    (tmp_path / "ads").mkdir()
    (tmp_path / "ads" / "a.csv").write_text(
        "Google click ID,Click date,Campaign\nG1,2026-03-01,Brand\n", encoding="utf-8"
    )
    (tmp_path / "ads" / "b.csv").write_bytes(b"")
    (tmp_path / "ads" / "c.csv").write_bytes(b"\xff\xfe")
    source = SourceConfig(
        name="clicks", format="google_ads_clicks", path="ads/*.csv", base_dir=tmp_path
    )
    result = read_source(source)
    assert result.touchpoints["gclid"].tolist() == ["G1"]
    assert [f["rows"] for f in result.files] == [1, 0, 0]
    assert "ads/b.csv: the export has no data rows (0 rows read: empty or header only)" in (
        result.warnings
    )
    optional = [w for w in result.warnings if "optional column" in w]
    assert all("b.csv" not in w and "c.csv" not in w for w in optional)
    hubspot = tmp_path / "hubspot.csv"
    hubspot.write_bytes(b"")
    contacts = SourceConfig(
        name="c", format="hubspot_contacts", path="hubspot.csv", base_dir=tmp_path
    )
    assert read_source(contacts).conversions.empty
