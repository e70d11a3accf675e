"""A real browser uses a report's interactive tables offline (issue 17, tables and tests).

Playwright drives the SYSTEM Chromium (``executable_path``; no browser is downloaded), in
a context with the network switched off, on pages opened from ``file://``: a journey-map
report of the small sample project (sort a table, type in its search box, download its
CSV and compare it with the rows shown) and a page whose table holds script payloads
(nothing runs, not while searching for them and not in the CSV). Screenshots (desktop,
390 px phone, dark theme) are saved in the test's tmp folder and, when
``WORKBENCH_SCREENSHOTS`` names a folder (e.g. ``reports/_screenshots``), there too.
Skipped where Chromium or the ``playwright`` package is missing.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from injection import PAYLOADS, find_chromium

from workbench.report.display import table
from workbench.report.html import notebook_to_html
from workbench.report.tables import INTERACTIVE_CLASS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium(journey_map):
    # the report run (asyncio) goes first: Playwright's sync API then holds its own loop
    found = find_chromium()
    if found is None:
        pytest.skip("no headless Chromium installed (apt-get install chromium)")
    sync = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=found, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    keep = os.environ.get("WORKBENCH_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy2(png, Path(keep) / png.name)


def _open(chromium, page_file: Path, *, width=1280, dark=False):
    """A page opened offline; every request that is not file:, data: or blob: is recorded."""
    context = chromium.new_context(
        offline=True,
        accept_downloads=True,
        viewport={"width": width, "height": 900},
        color_scheme="dark" if dark else "light",
    )
    page = context.new_page()
    page.wb_remote = []  # type: ignore[attr-defined]
    page.wb_dialogs = []  # type: ignore[attr-defined]
    page.wb_errors = []  # type: ignore[attr-defined]
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("file:", "data:", "blob:")) else page.wb_remote.append(r.url)
        ),
    )
    page.on("dialog", lambda d: (page.wb_dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.wb_errors.append(str(e)))
    page.goto(page_file.resolve().as_uri())
    page.wait_for_selector(f"table.{INTERACTIVE_CLASS}.dataTable", timeout=30_000)
    page.wait_for_function(
        f"document.querySelectorAll('table.{INTERACTIVE_CLASS}:not(.dataTable)').length === 0"
    )
    return context, page


def _sort(header, direction: str) -> None:
    """Click a column header; wait until DataTables marks it sorted ``asc`` or ``desc``."""
    from playwright.sync_api import expect

    header.click()
    expect(header).to_have_class(re.compile(rf"dt-ordering-{direction}"))


def _container(page, header: str):
    """The DataTables box of the table whose header has a column ``header``."""
    boxes = page.locator(".dt-container").filter(has=page.locator("th", has_text=header))
    return boxes.first


def _column(box, index: int) -> list[str]:
    return box.locator(f"tbody tr td:nth-child({index + 1})").all_inner_texts()


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").split()[0])


def _download_csv(page, box) -> list[list[str]]:
    with page.expect_download() as info:
        box.locator("button.buttons-csv").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text)) if row]


@pytest.fixture(scope="module")
def journey_map(small_project, tmp_path_factory):
    from workbench.cli import main

    config, _ = small_project
    out = tmp_path_factory.mktemp("browser-tables") / "reports"
    code = main(
        ["report", "--config", str(config), "--out", str(out), "--run-id", "tables", "--quiet"]
        + ["--notebook", "journey_map", "-p", "segment=all"]
    )
    assert code == 0
    (page,) = sorted((out / "tables").glob("journey_map*.html"))
    return page


def test_sort_search_and_download_a_report_table(chromium, journey_map, shots):
    context, page = _open(chromium, journey_map)
    box = _container(page, "duration (days)")  # journeys up close: every converted journey
    heads = box.locator("thead th").all_inner_texts()
    col = heads.index("touches")
    header = box.locator("thead th").nth(col)
    _sort(header, "asc")
    ascending = [_number(t) for t in _column(box, col)]
    assert ascending == sorted(ascending) and len(ascending) == 25, "one page of 25 rows"
    _sort(header, "desc")
    descending = [_number(t) for t in _column(box, col)]
    assert descending == sorted(descending, reverse=True)
    assert descending[0] >= ascending[-1]

    total = int(box.locator(".dt-info").inner_text().split(" of ")[1].split()[0].replace(",", ""))
    box.locator(".dt-search input").fill("Webinar")
    paths = _column(box, heads.index("path"))
    assert paths and all("webinar" in p.lower() for p in paths)
    info = box.locator(".dt-info").inner_text()
    assert f"filtered from {total:,} total" in info, info
    page.screenshot(path=str(shots / "journey_map_search.png"), full_page=False)

    rows = _download_csv(page, box)
    assert rows[0] == heads
    shown = int(info.split(" of ")[1].split()[0].replace(",", ""))
    assert len(rows) - 1 == shown, "the CSV holds every filtered row, not only this page"
    assert all("webinar" in r[heads.index("path")].lower() for r in rows[1:])
    assert [r[heads.index("path")] for r in rows[1 : 1 + len(paths)]] == paths
    assert not page.wb_remote, page.wb_remote
    assert not page.wb_errors, page.wb_errors
    page.locator(".wb-toc").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "journey_map_top.png"), full_page=False)
    context.close()


def test_report_at_390px_and_dark(chromium, journey_map, shots):
    context, page = _open(chromium, journey_map, width=390)
    widest = page.evaluate("document.documentElement.scrollWidth")
    assert widest <= 400, f"the page scrolls sideways at 390 px ({widest} px)"
    page.screenshot(path=str(shots / "journey_map_390px.png"), full_page=False)
    box = _container(page, "duration (days)")
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "journey_map_390px_table.png"), full_page=False)
    context.close()

    executed = journey_map.with_suffix(".ipynb")
    for theme, dark in (("dark", False), ("auto", True)):
        themed = notebook_to_html(executed, journey_map.with_name(f"{theme}.html"), theme=theme)
        context, page = _open(chromium, themed, dark=dark)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in background[background.index("(") + 1 : -1].split(",")[:3]]
        assert max(channels) < 80, (theme, background)
        assert page.evaluate("document.documentElement.classList.contains('dark')")
        page.screenshot(path=str(shots / f"journey_map_{theme}.png"), full_page=False)
        context.close()


def test_payloads_in_an_interactive_table_never_run(chromium, tmp_path, shots):
    names = [f"campaign {i}{PAYLOADS[i % len(PAYLOADS)]}" for i in range(24)]
    names[1] = '=HYPERLINK("http://example.invalid","x")'
    names[2] = "-2+3"
    frame = pd.DataFrame({"campaign": names, "journeys": range(24, 0, -1), "value": -5.0})
    cell = nbformat.v4.new_code_cell("x", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": table(frame, show=False).to_html()}
        )
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Hostile"), cell]
    page_file = notebook_to_html(nb, tmp_path / "hostile.html")
    context, page = _open(chromium, page_file)
    box = _container(page, "campaign")
    box.locator(".dt-search input").fill("<script")
    shown = _column(box, 0)
    assert shown and all("<script>alert(1)</script>" in s for s in shown)
    box.locator(".dt-search input").fill("onerror")
    assert all("onerror" in s for s in _column(box, 0))
    box.locator(".dt-search input").fill("")
    _sort(box.locator("thead th", has_text="journeys").first, "asc")
    rows = _download_csv(page, box)
    cells = {r[0] for r in rows[1:]}
    assert f"campaign 0{PAYLOADS[0]}" in cells, "the CSV holds the text as it was"
    assert "'" + names[1] in cells and "'-2+3" in cells, "formula-safe"
    assert {r[2] for r in rows[1:]} == {"-5"}, "negative numbers stay numbers"
    with page.expect_download() as info:
        box.locator("button.buttons-excel").click()
    assert info.value.suggested_filename == "table.xlsx"
    with zipfile.ZipFile(info.value.path()) as xlsx:
        sheet = xlsx.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "campaign 0&lt;script&gt;alert(1)&lt;/script&gt;" in sheet, "text, escaped as XML"
    page.screenshot(path=str(shots / "hostile_table.png"), full_page=False)
    found = page.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
    )
    assert not page.wb_dialogs and not found, (page.wb_dialogs, found)
    assert not page.wb_remote
    context.close()
