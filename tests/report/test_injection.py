"""No shared report runs anything that came from the data or the config (issue 13, point 1).

A small sample gets script payloads in every text field that reaches a report (GA4
cookies and user ids, one of them a shared device; campaign names in GA4, Google Ads and
Mailchimp; page titles and paths; webinar topics; trade-show names; segment labels;
channel-rule, source and project names). Every notebook is rendered with
``workbench report`` (the journey map at ``path_level=campaign``), then each page and the
index are checked twice: by parsing the HTML (no script the template does not ship, no
``on*`` attribute, no ``javascript:`` URL) and, where Chromium is installed, in a headless
browser (no dialog opens, no handler in the live DOM). The payloads must also be *shown*
(as text), so the test fails if a value silently stopped reaching the reports.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from injection import (
    PAYLOADS,
    SHARED_DEVICE_ID,
    BrowserProbe,
    executable_payloads,
    find_chromium,
    plant_payloads,
    script_texts,
)

from workbench.cli import main
from workbench.report.display import table
from workbench.report.html import notebook_to_html
from workbench.report.tables import INTERACTIVE_CLASS

pytestmark = pytest.mark.slow

PEOPLE = 120


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory):
    """A prepared sample project whose exports and config carry payloads."""
    from workbench.cli.demo import with_project_paths
    from workbench.config import load_config
    from workbench.paths import default_config_path
    from workbench.prepare import prepare, write_prepared
    from workbench.sample import generate_sample

    folder = tmp_path_factory.mktemp("hostile")
    sample, processed = folder / "sample", folder / "processed"
    generate_sample(sample, people=PEOPLE, seed=11)
    config = folder / "workbench.toml"
    config.write_text(
        with_project_paths(
            default_config_path().read_text(encoding="utf-8"),
            data_dir=sample,
            processed_dir=processed,
            truth_dir=sample / "_truth",
            reports_dir=folder / "reports",
        ),
        encoding="utf-8",
    )
    counts = plant_payloads(sample, config)
    assert counts["shared_events"] > 0 and counts["hostile_user_events"] > 0
    assert counts["csv_cells"] > 100, counts
    write_prepared(prepare(load_config(config)), processed, config_path=config)
    return config, processed


@pytest.fixture(scope="module")
def template_scripts(tmp_path_factory):
    """The scripts a clean report ships (the template's own, the tables' and the charts').

    The clean page holds one interactive table and one interactive chart, so the table
    library with its init script, BokehJS and the chart loader that
    :func:`workbench.plots.interactive.add_chart_runtime` adds count as the template's.
    """
    from workbench.plots.interactive import InteractiveChart

    nb = nbformat.v4.new_notebook()
    clean = table(pd.DataFrame({"n": range(20)}), interactive=True, show=False).to_html()
    cell = nbformat.v4.new_code_cell("1", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": clean})]
    chart = nbformat.v4.new_code_cell("chart")
    chart.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": InteractiveChart({"doc": {}}).to_html()}
        )
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Clean"), cell, chart]
    page = notebook_to_html(nb, tmp_path_factory.mktemp("clean") / "clean.html")
    scripts = set(script_texts(page.read_text(encoding="utf-8")))
    assert len(scripts) >= 2, "the table library's loader and its one init script"
    return scripts


@pytest.fixture(scope="module")
def pages(hostile_project):
    config, _ = hostile_project
    out = config.parent / "reports"
    code = main(
        [
            "report",
            "--config",
            str(config),
            "--out",
            str(out),
            "--run-id",
            "hostile",
            "--quiet",
            "-p",
            "path_level=campaign",
        ]
    )
    assert code == 0, "every report renders on hostile values"
    found = sorted((out / "hostile").glob("*.html"))
    assert {p.stem.split("__")[0] for p in found} >= {
        "executive_summary",
        "data_health",
        "journey_map",
        "dropoffs",
        "attribution",
    }, found
    return [out / "index.html", *found]


def test_no_page_holds_an_executable_payload(pages, template_scripts):
    leaks = {
        p.name: found
        for p in pages
        if (found := executable_payloads(p.read_text(encoding="utf-8"), template_scripts))
    }
    assert not leaks, leaks


def _text(page: Path) -> str:
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text(" ")


def test_payloads_are_shown_as_text(pages):
    """The values reach the reports, as the text they were (escaped, not dropped)."""
    texts = {p.stem: _text(p) for p in pages}
    every = " ".join(texts.values())
    for payload in PAYLOADS:
        assert payload in every, payload
    journey_map = next(t for name, t in texts.items() if name.startswith("journey_map"))
    # path_level=campaign: campaign names from GA4 UTMs are in the journey map
    assert "brand_search_na<script>alert(1)</script>" in journey_map
    assert "Self-serve SMB<img src=x onerror=alert(1)>" in every  # a segment label
    assert "Paid Search - Brand<script>alert(1)</script>" in every  # a channel-rule name
    assert "badge_scans<script>alert(1)</script>" in every  # a source name


def test_interactive_tables_show_payloads_as_text(pages):
    """Campaign payloads reach the interactive (sortable, searchable) tables, escaped."""
    shown = []
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for t in soup.find_all("table", class_=INTERACTIVE_CLASS):
            assert not t.find_all(["script", "img", "svg"]), page.name
            shown += [td.get_text() for td in t.find_all("td")]
    assert any("<script>alert(1)</script>" in cell for cell in shown)
    assert any("<img src=x onerror=alert(1)>" in cell for cell in shown)


def test_shared_device_cookie_is_shown_not_run(pages):
    """Issue 13's finding: a GA4 cookie ``<svg onload=...>`` on a shared device."""
    health = next(p for p in pages if p.stem.startswith("data_health"))
    soup = BeautifulSoup(health.read_text(encoding="utf-8"), "html.parser")
    assert not soup.find_all("svg", onload=True)
    cells = [td.get_text() for td in soup.find_all("td")]
    assert SHARED_DEVICE_ID in cells, "the shared device is listed in the stitching tables"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    found = find_chromium()
    if found is None:
        pytest.skip("no headless Chromium installed (apt-get install chromium)")
    probe = BrowserProbe(found, tmp_path_factory.mktemp("chromium-profile"))
    yield probe
    probe.close()


@pytest.mark.browser
def test_the_browser_sees_a_dialog_when_one_fires(browser, tmp_path):
    """The probe itself works: an unescaped payload is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        f"<!DOCTYPE html><html><body><p>x</p>{PAYLOADS[0]}{PAYLOADS[1]}</body></html>",
        encoding="utf-8",
    )
    dialogs, dom = browser.open(page)
    assert len(dialogs) == 2, dialogs
    assert dom == ["IMG onerror"], dom


@pytest.mark.browser
def test_no_dialog_fires_in_a_browser(browser, pages):
    fired = {}
    for page in pages:
        dialogs, dom = browser.open(page)
        if dialogs or dom:
            fired[page.name] = (dialogs, dom)
    assert not fired, fired
