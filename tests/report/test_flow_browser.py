"""The paths report's interactive flow, in the HTML and in a real browser (issue 17).

The journey map (the paths report) is rendered on the small sample; its flow chart must
carry exactly the numbers of :func:`workbench.analysis.paths.flow`, load nothing from the
network, and stay under 5 MB. Then Playwright drives the *system* Chromium (never a
downloaded one; skipped without one) offline: it hovers a flow link and reads the
tooltip, switches the anchor to "Back from the conversion", and hovers a link of labels
that carry script payloads, which must be shown as text and never run. Screenshots go to
``$WORKBENCH_SCREENSHOT_DIR`` (default: the test's temporary folder); they are not
committed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from injection import find_chromium
from journey_fixtures import tables

from workbench.analysis.flow import anchored_flow, flow_views
from workbench.analysis.paths import flow
from workbench.cli import main
from workbench.notebook.workspace import Workspace
from workbench.plots.interactive import DATA_CLASS, add_chart_runtime, interactive_flow
from workbench.report.html import external_resources

pytestmark = pytest.mark.slow

MAX_BYTES = 5 * 1024 * 1024
FIRST_VIEW = "From the first touch|4"
BACKWARD = "Back from the conversion|4"


@pytest.fixture(scope="module")
def paths_report(small_project, tmp_path_factory) -> Path:
    config, _ = small_project
    out = tmp_path_factory.mktemp("flow-reports")
    args = ["report", "--config", str(config), "--out", str(out), "--run-id", "flow"]
    args += ["--quiet", "--notebook", "journey_map", "-p", "segment=all"]
    assert main(args) == 0
    (page,) = sorted((out / "flow").glob("journey_map*.html"))
    return page


def _models(node, found):
    """Every serialized Bokeh model (``{"type": "object", ...}``) inside ``node``."""
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            _models(value, found)
    elif isinstance(node, list):
        for value in node:
            _models(value, found)
    return found


def _sources(page: Path) -> dict[str, dict[str, list]]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    blocks = soup.find_all("script", class_=DATA_CLASS)
    found: dict[str, dict[str, list]] = {}
    for block in blocks:
        for model in _models(json.loads(block.get_text()), []):
            attrs = model.get("attributes", {})
            if model.get("name") == "ColumnDataSource" and attrs.get("name"):
                found[attrs["name"]] = dict(attrs["data"]["entries"])
    return found


def _rows(data: dict[str, list]) -> set[tuple]:
    cols = ("step", "source", "target", "journeys", "conversions", "value")
    return {
        (int(s), str(a), str(b), int(j), int(c), round(float(v), 2))
        for s, a, b, j, c, v in zip(*(data[c] for c in cols), strict=True)
    }


def test_the_flow_in_the_html_is_the_flow_table(paths_report, small_project):
    config, processed = small_project
    ws = Workspace.load(config, processed)
    js = ws.journeys(lookback_days=ws.config.journeys.lookback_days)
    sources = _sources(paths_report)
    expected = flow(js.journeys, js.touches, steps=4)
    assert _rows(sources[f"flow-links:{FIRST_VIEW}"]) == _rows(
        expected.assign(value=expected["value"].round(2))
    )
    views = flow_views(js.journeys, js.touches, steps=(4, 3, 5))
    back = views[("Back from the conversion", 4)]
    assert _rows(sources[f"flow-links:{BACKWARD}"]) == _rows(
        back.assign(value=back["value"].round(2))
    )
    # every precomputed view is in the page, one per (anchor, steps)
    assert {k for k in sources if k.startswith("flow-links:")} == {
        f"flow-links:{a}|{s}" for a, s in views
    }


def test_the_report_is_offline_and_under_five_megabytes(paths_report):
    html = paths_report.read_text(encoding="utf-8")
    assert paths_report.stat().st_size < MAX_BYTES, paths_report.stat().st_size
    assert external_resources(html) == []
    soup = BeautifulSoup(html, "html.parser")
    runtime = [
        s for s in soup.find_all("script") if "Bokeh" in s.get_text()[:5000] and not s.get("type")
    ]
    assert len(soup.find_all("script", class_=DATA_CLASS)) == 1
    assert 1 <= len(runtime) <= 3, "BokehJS is inlined once"
    assert soup.find("img", class_="wb-ichart-static"), "the static flow stays for print and e-mail"


# --- in the browser -------------------------------------------------------------------------

_POINT = """([name, want]) => {
  const doc = Bokeh.documents[0];
  const plot = doc.get_model_by_name('flow-plot');
  const view = Bokeh.index.find_one(plot);
  const d = doc.get_model_by_name(name).data_source.data;
  let i = -1;
  for (let k = 0; k < d.journeys.length; k++) {
    if (want ? d.target[k] !== want : d.source[k].startsWith('(')) continue;  // a touch link
    if (i < 0 || d.journeys[k] > d.journeys[i]) i = k;
  }
  const xs = d.xs[i], ys = d.ys[i], n = xs.length / 2, k = Math.floor(n / 2);
  const x = xs[k], y = (ys[k] + ys[xs.length - 1 - k]) / 2;
  const box = view.canvas_view.el.getBoundingClientRect();
  return {x: box.left + view.frame.x_scale.compute(x), y: box.top + view.frame.y_scale.compute(y),
          source: d.source[i], target: d.target[i], journeys: d.journeys[i]};
}"""
_TIP = """els => els.map(e => {
  const box = (e.shadowRoot || e).querySelector('.bk-tooltip-content');
  return box ? box.textContent : '';
})"""


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no system Chromium installed (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("WORKBENCH_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser, page_path: Path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    fetched, dialogs, errors = [], [], []

    def offline(route):
        fetched.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", offline)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_path.resolve().as_uri())
    page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0")
    page.wait_for_timeout(300)
    return page, fetched, dialogs, errors


def _hover(page, want: str | None = None) -> tuple[dict, str]:
    point = page.evaluate(_POINT, ["flow-links", want])
    page.mouse.move(point["x"], point["y"])
    page.wait_for_timeout(400)
    tips = page.locator(".bk-Tooltip").evaluate_all(_TIP)
    return point, re.sub(r"(From|To|Journeys|Conversions|Value[^:]*):\s*", r"\1:", " ".join(tips))


@pytest.mark.browser
def test_hovering_a_flow_link_shows_its_journeys(browser, paths_report, shots):
    page, fetched, dialogs, errors = _open(browser, paths_report)
    page.locator(".wb-ichart").first.scroll_into_view_if_needed()
    point, tip = _hover(page)
    page.screenshot(path=str(shots / "flow_hover_link.png"))
    assert f"From:{point['source']}" in tip and f"To:{point['target']}" in tip, tip
    assert f"Journeys:{point['journeys']:,}" in tip, tip
    assert "Conversions:" in tip and "Value" in tip
    # anchor at the conversion and read backward: the chart switches without a kernel
    # the flow's own Anchor dropdown (the page's tables have "rows per page" selects too)
    anchor = page.locator(".wb-ichart select").filter(
        has=page.locator("option", has_text="Back from the conversion")
    )
    anchor.first.select_option("Back from the conversion")
    page.wait_for_timeout(400)
    point, tip = _hover(page, "Converted")
    page.screenshot(path=str(shots / "flow_backward_from_conversion.png"))
    assert point["target"] == "Converted" and "To:Converted" in tip, tip
    assert not [u for u in fetched if not u.startswith("file:")], "the report fetched the network"
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


@pytest.mark.browser
def test_hostile_labels_are_shown_in_the_tooltip_not_run(browser, tmp_path, shots):
    bad = "Paid<img src=x onerror=alert(1)>"
    journeys, touches = tables()
    touches = touches.assign(label=touches["label"].replace({"Paid Search": bad}))
    chart = interactive_flow(
        {("From the first touch", 2): anchored_flow(journeys, touches, steps=2)}
    )
    page_path = tmp_path / "hostile.html"
    page_path.write_text(
        add_chart_runtime(f"<html><body>{chart.to_html()}</body></html>"), encoding="utf-8"
    )
    page, _, dialogs, errors = _open(browser, page_path)
    point, tip = _hover(page)
    page.screenshot(path=str(shots / "flow_hostile_label.png"))
    assert point["source"] == bad and f"From:{bad}" in tip, tip
    assert not dialogs and not errors, (dialogs, errors)
    page.close()
