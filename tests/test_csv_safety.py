"""Formula-safe CSV (OWASP CSV injection): the shared writer, attribute --out, Google uploads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.cli.analysis import run_attribute
from workbench.cli.main import build_parser
from workbench.csv_safety import formula_safe, write_csv
from workbench.export import export_conversions

NOW = pd.Timestamp("2026-03-10 12:00:00", tz="UTC")
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_text_cells_starting_with_formula_characters_are_prefixed() -> None:
    frame = pd.DataFrame(
        {
            "name": pd.array([*HOSTILE, "plain", None], dtype="string"),
            "obj": [*HOSTILE, "a-b", 3],
            "value": [-1.5, 2.0, -3.0, 0.0, 1.0, 2.0, -7.0, 1.0],
        }
    )
    out = formula_safe(frame)
    assert out["name"].tolist()[:6] == ["'" + v for v in HOSTILE]
    assert out["name"].iloc[6] == "plain" and pd.isna(out["name"].iloc[7])
    assert out["obj"].tolist() == ["'" + v for v in HOSTILE] + ["a-b", 3]
    # numbers stored as numbers are not text cells: negative values stay numbers
    assert out["value"].tolist() == frame["value"].tolist()
    assert out["value"].dtype == "float64"


def test_write_csv_reads_back_neutralized_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = write_csv(pd.DataFrame({"c": ["=1+1", "ok"], "n": [-1, 2]}), tmp_path / "x.csv")
    text = path.read_text()
    assert "'=1+1" in text and ",-1" in text
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_mandated_column_with_formula_value_raises() -> None:
    with pytest.raises(ValueError, match="Google Click ID"):
        formula_safe(pd.DataFrame({"Google Click ID": ["=evil"]}), mandated=["Google Click ID"])


def test_attribute_out_csv_neutralizes_channel_names(tmp_path: Path) -> None:
    paths = tmp_path / "paths.csv"
    paths.write_text(
        'path,total_conversions,total_conversion_value,total_null\n"=HYPERLINK(""u"") > B",2,10,0\n'
    )
    out = tmp_path / "credits.csv"
    args = build_parser().parse_args(
        ["attribute", "--paths", str(paths), "--models", "first", "--out", str(out)]
    )
    assert run_attribute(args) == 0
    channels = pd.read_csv(out)["channel"].tolist()
    assert '\'=HYPERLINK("u")' in channels
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in channels)


def test_google_upload_rejects_formula_click_ids_instead_of_writing_them(tmp_path: Path) -> None:
    clicks = ["=HYPERLINK(1)", "+1", "-abc", "@x", "Cj0KCQiA-ok_1"]
    n = len(clicks)
    conversions = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2026-03-09T00:00:00Z"] * n, utc=True),
            "conversion_type": ["purchase"] * n,
            "value": [10.0] * n,
            "currency": ["USD"] * n,
            "conversion_id": [f"C-{i}" for i in range(n)],
            "gclid": clicks,
        }
    )
    out = tmp_path / "google.csv"
    result = export_conversions(conversions, platform="google_ads", now=NOW, out=out)
    rejected = result.rejected.groupby("row")["reason"].agg(list).to_dict()
    assert sorted(rejected) == [0, 1, 2, 3]
    assert all("click id is not valid" in r[0] for r in rejected.values())
    rows = out.read_text().splitlines()
    assert rows[2].startswith("Cj0KCQiA-ok_1,") and len(rows) == 3


def test_google_upload_rejects_formula_conversion_name(tmp_path: Path) -> None:
    conversions = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2026-03-09T00:00:00Z"], utc=True),
            "conversion_type": ["purchase"],
            "value": [10.0],
            "currency": ["USD"],
            "conversion_id": ["C-1"],
            "gclid": ["Cj0KCQiA"],
        }
    )
    result = export_conversions(
        conversions, platform="google_ads", now=NOW, write=False, conversion_name="=cmd"
    )
    assert result.rejected["reason"].str.contains("conversion name starts with").any()
    assert result.rows_written == 0
