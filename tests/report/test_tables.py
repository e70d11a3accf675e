"""Interactive report tables, the theme option, the table of contents and the BI tables' helpers."""

from __future__ import annotations

import base64
import copy
import io

import nbformat
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from workbench.attribution import reconcile_touch_credits
from workbench.config import parse_config
from workbench.errors import ConfigError
from workbench.report.display import STATIC_ROWS, metric_table, table
from workbench.report.html import external_resources, notebook_to_html
from workbench.report.outputs import (
    SCHEMAS,
    TABLE_MIME,
    read_tables,
    strip_tables,
    write_tables,
)
from workbench.report.tables import INTERACTIVE_CLASS, datatables_assets

HOSTILE = "brand<script>alert(1)</script>"


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "campaign": [HOSTILE if i == 0 else f"campaign {i}" for i in range(n)],
            "journeys": [1000 * (i % 3) + i for i in range(n)],
            "conversion_rate": [i / 100 for i in range(n)],
        }
    )


def test_long_tables_are_interactive_and_short_ones_static():
    long = table(_frame(STATIC_ROWS + 1), show=False)
    short = table(_frame(STATIC_ROWS), show=False)
    assert f'class="{INTERACTIVE_CLASS}' in long.to_html()
    assert INTERACTIVE_CLASS not in short.to_html()
    assert INTERACTIVE_CLASS in table(_frame(2), interactive=True, show=False).to_html()
    assert INTERACTIVE_CLASS not in table(_frame(30), interactive=False, show=False).to_html()
    metric = pd.DataFrame(
        {"metric": ["journeys"] * 12, "segment": list("abcdefghijkl"), "value": 1}
    )
    assert INTERACTIVE_CLASS not in metric_table(metric, show=False).to_html(), "key figures"


def test_interactive_cells_are_escaped_formatted_and_sort_by_their_raw_value():
    html = table(_frame(12), show=False).to_html()
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("script")
    cells = soup.find("tbody").find_all("tr")[0].find_all("td")
    assert cells[0].get_text() == HOSTILE, "shown as text"
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert [c.get("data-order") for c in cells] == [None, "0.0", "0.0"]
    row = soup.find("tbody").find_all("tr")[5].find_all("td")
    assert row[1].get_text() == "2,005" and row[1]["data-order"] == "2005.0"
    assert row[2].get_text() == "5.0%" and row[2]["data-order"] == "0.05"
    heads = [th.get_text() for th in soup.find_all("th")]
    assert heads == ["campaign", "journeys", "conversion rate"]
    assert soup.find("table")["data-name"] == "table"
    with pytest.raises(ValueError, match="lacks the column"):
        table(_frame(12), name="top_paths", show=False)  # a named table has the fixed columns
    with pytest.raises(ValueError, match="not documented"):
        table(_frame(12), name="campaigns", show=False)


def test_gradient_shades_cells_without_data_in_styles():
    frame = pd.DataFrame({"channel": list("abcdefghij"), "first": np.linspace(0, 1, 10)})
    soup = BeautifulSoup(table(frame, gradient=["first"], show=False).to_html(), "html.parser")
    styles = [td.get("style", "") for td in soup.select("tbody td:nth-child(2)")]
    assert all(s.startswith("background-color: #") for s in styles)
    assert len(set(styles)) > 5


def _page(tmp_path, frame, theme="light", sections=3):
    cell = nbformat.v4.new_code_cell("x", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": table(frame, show=False).to_html()}
        ),
    ]
    heads = "\n\n".join(f"## Part {i} <&>\n\ntext" for i in range(sections))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Report\n\n{heads}"), cell, copy.deepcopy(cell)]
    nb.cells[2].id = "second"
    out = notebook_to_html(nb, tmp_path / f"page-{theme}.html", theme=theme)
    return out.read_text(encoding="utf-8")


def test_the_table_library_is_inline_once_and_only_when_needed(tmp_path):
    page = _page(tmp_path, _frame(20))
    assert page.count(datatables_assets()) == 1, "one copy for two tables"
    assert external_resources(page) == []
    soup = BeautifulSoup(page, "html.parser")
    assert not [s for s in soup.find_all("script") if s.get("src")]
    static = _page(tmp_path, _frame(3))
    assert "__wbDataTables" not in static


def test_table_of_contents_links_every_section(tmp_path):
    soup = BeautifulSoup(_page(tmp_path, _frame(3)), "html.parser")
    nav = soup.find("nav", class_="wb-toc")
    links = [(a["href"], a.get_text()) for a in nav.find_all("a")]
    assert [t for _, t in links] == ["Part 0 <&>", "Part 1 <&>", "Part 2 <&>"]
    for href, _ in links:
        assert soup.find(id=href[1:]).name == "h2"
    assert nav.find_previous("h1").get_text().startswith("Report")
    short = BeautifulSoup(_page(tmp_path, _frame(3), sections=2), "html.parser")
    assert short.find("nav", class_="wb-toc") is None


def test_themes(tmp_path):
    light, dark, auto = (_page(tmp_path, _frame(3), theme=t) for t in ("light", "dark", "auto"))
    assert 'data-wb-theme="light"' in light and "prefers-color-scheme: dark" not in light
    assert 'data-jp-theme-light="false"' in dark and 'data-wb-theme="dark"' in dark
    assert 'data-jp-theme-light="true"' in auto
    assert "@media (prefers-color-scheme: dark)" in auto
    with pytest.raises(ValueError, match="theme 'blue'"):
        notebook_to_html(nbformat.v4.new_notebook(), tmp_path / "x.html", theme="blue")


def test_reports_theme_is_checked_with_a_hint():
    assert parse_config({"reports": {"theme": "dark"}}).reports.theme == "dark"
    assert parse_config({}).reports.theme == "light"
    with pytest.raises(ConfigError) as err:
        parse_config({"reports": {"theme": "drak"}})
    (msg,) = err.value.problems
    assert "reports.theme = 'drak'" in msg and "did you mean 'dark'?" in msg


def _emitted(name, frame):
    raw = io.BytesIO()
    frame.to_parquet(raw, index=False)
    data = {"name": name, "rows": len(frame), "parquet": base64.b64encode(raw.getvalue()).decode()}
    return nbformat.v4.new_output("display_data", data={TABLE_MIME: data, "text/plain": "t"})


def test_written_tables_are_parquet_and_formula_safe_csv(tmp_path):
    flows = pd.DataFrame(
        {
            "step": [1, 1],
            "source": ["=HYPERLINK(1)", HOSTILE],
            "target": ["b", "c"],
            "journeys": [3, -4],
            "conversions": [1, 0],
            "value": [10.0, 0.0],
        }
    )
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [_emitted("flow_links", flows.iloc[:1]), _emitted("flow_links", flows)]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    assert list(read_tables(nb)) == ["flow_links"], "a later emit replaces the earlier"
    files = write_tables(nb, tmp_path / "t")
    assert sorted(f.name for f in files) == ["README.md", "flow_links.csv", "flow_links.parquet"]
    back = pd.read_parquet(tmp_path / "t" / "flow_links.parquet")
    pd.testing.assert_frame_equal(back, flows, check_dtype=False)
    text = (tmp_path / "t" / "flow_links.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text and ",-4," in text
    assert "| `target` |" in (tmp_path / "t" / "README.md").read_text(encoding="utf-8")
    assert not strip_tables(nb).cells[0].outputs
    assert write_tables(nbformat.v4.new_notebook(), tmp_path / "none") == []
    assert not (tmp_path / "none").exists()


def test_docs_outputs_documents_every_table_and_column():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "outputs.md").read_text()
    for name, (_, columns) in SCHEMAS.items():
        assert f"## `{name}`" in doc, name
        for column in columns:
            assert f"| `{column}` |" in doc.split(f"## `{name}`")[1].split("\n## ")[0], (
                name,
                column,
            )


def test_touch_credits_reconcile_with_channel_credits_through_residual_rows():
    credits = pd.DataFrame(
        {
            "model": ["m", "m", "m"],
            "channel": ["a", "b", "(no known touch)"],
            "conversions": [1.5, 0.5, 1.0],
            "value": [150.0, 50.0, 30.0],
        }
    )
    touches = pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j2"],
            "position": [1, 2, 1],
            "channel": ["a", "b", "a"],
            "model": "m",
            "credit": [0.5, 0.5, 1.0],
            "value_credit": [40.0, 40.0, 100.0],
        }
    )
    out = reconcile_touch_credits(touches, credits)
    sums = out.groupby("channel")[["credit", "value_credit"]].sum()
    assert sums.loc["a"].tolist() == [1.5, 150.0]
    assert sums.loc["b"].tolist() == [0.5, 50.0]
    assert sums.loc["(no known touch)"].tolist() == [1.0, 30.0]
    residual = out[out["journey_id"].isna()]
    assert sorted(residual["channel"]) == ["(no known touch)", "a", "b"]
    assert (residual["position"] == -1).all()
    assert residual.set_index("channel").loc["a", "value_credit"] == 10.0
    assert (
        len(
            reconcile_touch_credits(
                touches, touches.rename(columns={"credit": "conversions", "value_credit": "value"})
            )
        )
        == 3
    ), "nothing to add when the touches carry every credit"


def test_report_command_takes_a_theme():
    from workbench.cli.main import build_parser

    args = build_parser().parse_args(["report", "--theme", "auto"])
    assert args.theme == "auto"
    assert build_parser().parse_args(["report"]).theme is None, "then [reports] theme"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "--theme", "blue"])


def test_run_reports_refuses_an_unknown_theme_before_running(tmp_path):
    from workbench.errors import ValidationError
    from workbench.report import ReportJob, run_reports

    source = tmp_path / "n.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    nbformat.write(nb, source)
    with pytest.raises(ValidationError, match="theme 'blue' is not allowed"):
        run_reports([ReportJob(source)], out_dir=tmp_path / "reports", theme="blue")
    assert not (tmp_path / "reports").exists()


def test_the_index_follows_the_theme(tmp_path):
    from workbench.report.index import write_index

    light = write_index(tmp_path, theme="light").read_text(encoding="utf-8")
    dark = write_index(tmp_path, theme="dark").read_text(encoding="utf-8")
    auto = write_index(tmp_path, theme="auto").read_text(encoding="utf-8")
    assert "background: #111" not in light
    assert "background: #111" in dark and "prefers-color-scheme" not in dark
    assert "@media (prefers-color-scheme: dark)" in auto and "background: #111" in auto
