"""Shared reader helpers: numbers that are no numbers are said, not silently missing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.readers._common import number_column


def _source(decimal: str = ".") -> SourceConfig:
    return SourceConfig(name="s", format="csv", path="x.csv", base_dir=Path("."), decimal=decimal)


def _frame(values: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Amount": pd.array(values, dtype="string"),
            "source_file": "x.csv",
            "source_row": range(2, 2 + len(values)),
        }
    )


def test_placeholders_are_missing_without_a_warning() -> None:
    notes: list[str] = []
    frame = _frame(["1,234.50", "-", "n/a", "NaN", "null", "#N/A", "", None, "$12"])
    numbers = number_column(frame, "Amount", _source(), notes)
    assert numbers.tolist()[0] == 1234.5 and numbers.tolist()[-1] == 12.0
    assert numbers.iloc[1:8].isna().all()
    assert notes == []


def test_decimal_comma_values_are_named_with_the_setting_to_fix_them() -> None:
    notes: list[str] = []
    numbers = number_column(_frame(["10", "1.234,50", "0,75"]), "Amount", _source(), notes)
    assert numbers.tolist()[0] == 10.0 and numbers.iloc[1:].isna().all()
    assert notes == [
        "source 's': column 'Amount': 2 value(s) are not numbers with decimal '.' "
        "(x.csv:3 '1.234,50', x.csv:4 '0,75'), read as missing; they read as numbers "
        'with decimal = ",": set it on the source'
    ]
    assert number_column(_frame(["1.234,50"]), "Amount", _source(","), []).tolist() == [1234.5]


def test_text_that_is_no_number_in_any_notation_gets_no_decimal_hint() -> None:
    notes: list[str] = []
    number_column(_frame(["12 pcs"]), "Amount", _source(), notes, outcome="rows quarantined")
    assert notes == [
        "source 's': column 'Amount': 1 value(s) are not numbers with decimal '.' "
        "(x.csv:2 '12 pcs'), rows quarantined"
    ]
