"""Notebook parameters: parsing the ``parameters`` cell and validating values (no kernel)."""

from __future__ import annotations

import datetime as dt

import nbformat
import pytest

from workbench.errors import ValidationError
from workbench.report.params import (
    Param,
    coerce_value,
    parse_parameters_source,
    read_parameters,
    validate_parameters,
)

PARAMS_CELL = """\
segment: str = "all"  # segment name from [segments]
window_days: int = 90  # look-back window in days
min_share: float = 0.05  # hide channels below this share
include_direct: bool = True  # count direct visits
channels: list[str] = []  # channels to keep; empty keeps all
top_n: list[int] = [5, 10]
end_date: str | None = None  # last day, YYYY-MM-DD
"""


def write_notebook(path, params_source, *, tag=True, extra_params_cell=False):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params_source)
    if tag:
        cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell, nbformat.v4.new_code_cell("1")]
    if extra_params_cell:
        nb.cells.append(nbformat.v4.new_code_cell("x: int = 1", metadata={"tags": ["parameters"]}))
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebook(tmp_path):
    return write_notebook(tmp_path / "journey_map.ipynb", PARAMS_CELL)


def test_read_parameters_returns_names_types_defaults_and_help(notebook):
    params = read_parameters(notebook)
    assert params == [
        Param("segment", "str", "all", "segment name from [segments]"),
        Param("window_days", "int", 90, "look-back window in days"),
        Param("min_share", "float", 0.05, "hide channels below this share"),
        Param("include_direct", "bool", True, "count direct visits"),
        Param("channels", "list[str]", [], "channels to keep; empty keeps all"),
        Param("top_n", "list[int]", [5, 10], ""),
        Param("end_date", "str | None", None, "last day, YYYY-MM-DD"),
    ]


def test_optional_spellings_are_normalized():
    params = parse_parameters_source("a: Optional[int] = None\nb: None | float = 1.5\n")
    assert [(p.name, p.type) for p in params] == [("a", "int | None"), ("b", "float | None")]


def test_missing_or_duplicated_parameters_cell_is_an_error(tmp_path):
    untagged = write_notebook(tmp_path / "a.ipynb", "x: int = 1", tag=False)
    with pytest.raises(ValidationError, match="no code cell is tagged 'parameters'"):
        read_parameters(untagged)
    twice = write_notebook(tmp_path / "b.ipynb", "x: int = 1", extra_params_cell=True)
    with pytest.raises(ValidationError, match="2 cells are tagged 'parameters'"):
        read_parameters(twice)
    with pytest.raises(ValidationError, match="does not exist"):
        read_parameters(tmp_path / "missing.ipynb")


def test_every_malformed_declaration_is_reported_together():
    source = (
        "plain = 3\n"
        "when: datetime = None\n"
        "n: int = 2 * 3\n"
        "ratio: int = 'high'\n"
        "ok: str = 'fine'  # fine\n"
        "ok: str = 'again'\n"
    )
    with pytest.raises(ValidationError) as info:
        parse_parameters_source(source, where="nb.ipynb")
    problems = info.value.problems
    assert len(problems) == 5
    assert "line 1" in problems[0] and "not a parameter declaration" in problems[0]
    assert "unsupported type 'datetime'" in problems[1]
    assert "must be a literal" in problems[2] and "2 * 3" in problems[2]
    assert "default 'high' of 'ratio' is not a whole number" in problems[3]
    assert "'ok' is declared twice" in problems[4]


def test_validate_converts_command_line_strings(notebook):
    given = {
        "end_date": "2026-03-31",
        "window_days": "30",
        "include_direct": "false",
        "channels": "paid_search, email,",
        "top_n": "3,7",
        "min_share": "0.5",
    }
    out = validate_parameters(notebook, given)
    assert out == {
        "window_days": 30,
        "min_share": 0.5,
        "include_direct": False,
        "channels": ["paid_search", "email"],
        "top_n": [3, 7],
        "end_date": "2026-03-31",
    }
    assert list(out) == [
        "window_days",
        "min_share",
        "include_direct",
        "channels",
        "top_n",
        "end_date",
    ]


def test_validate_accepts_typed_values_from_toml(notebook):
    out = validate_parameters(
        notebook,
        {"window_days": 30, "min_share": 1, "channels": ["a"], "end_date": dt.date(2026, 3, 31)},
    )
    assert out == {"window_days": 30, "min_share": 1.0, "channels": ["a"], "end_date": "2026-03-31"}
    assert isinstance(out["min_share"], float)
    assert validate_parameters(notebook, {"end_date": "None"}) == {"end_date": None}


def test_validate_lists_every_unknown_name_and_bad_value(notebook):
    given = {"segmnt": "smb", "window_days": "thirty", "include_direct": "maybe", "colour": "red"}
    with pytest.raises(ValidationError) as info:
        validate_parameters(notebook, given)
    problems = info.value.problems
    assert len(problems) == 4
    unknown = [p for p in problems if "unknown parameter" in p]
    assert "unknown parameter 'segmnt' (did you mean 'segment'?)" in unknown[0]
    assert "allowed parameters: segment, window_days, min_share" in unknown[0]
    assert "unknown parameter 'colour'" in unknown[1] and "did you mean" not in unknown[1]
    assert any(
        "window_days = 'thirty' is not a whole number, e.g. 30 (declared type int)" in p
        for p in problems
    )
    assert any("include_direct = 'maybe' is not true or false" in p for p in problems)


@pytest.mark.parametrize(
    ("value", "type_name", "expected"),
    [
        ("YES", "bool", True),
        ("0", "bool", False),
        (" 42 ", "int", 42),
        ("", "list[str]", []),
        ("", "int | None", None),
        ("7", "int | None", 7),
    ],
)
def test_coerce_value(value, type_name, expected):
    assert coerce_value(value, type_name) == expected


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(True, "int"), ("1.5", "int"), (3, "str"), ("inf", "float"), (["x"], "list[int]")],
)
def test_coerce_value_rejects(value, type_name):
    with pytest.raises(ValueError, match="is not"):
        coerce_value(value, type_name)


def test_read_parameters_reads_a_notebook_once_and_sees_edits(notebook, monkeypatch):
    from workbench.report import params as params_module

    first = read_parameters(notebook)
    calls = []
    monkeypatch.setattr(
        params_module.nbformat, "read", lambda *a, **k: calls.append(a) or None
    )  # would fail if called: the second read comes from the cache
    again = read_parameters(notebook)
    assert again == first and calls == []
    again[5].default.append(99)  # a caller changing a list default changes only its copy
    assert read_parameters(notebook)[5].default == [5, 10]
    monkeypatch.undo()
    write_notebook(notebook, 'segment: str = "smb"  # edited')
    assert [(p.name, p.default) for p in read_parameters(notebook)] == [("segment", "smb")]
