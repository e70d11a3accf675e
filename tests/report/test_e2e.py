"""End to end: `workbench report` renders every notebook on a small prepared project."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from workbench.cli.commands import REPORT_ORDER, report_jobs
from workbench.cli.main import main
from workbench.config import load_config

pytestmark = pytest.mark.slow

EXPECTED_SECTIONS = {
    "executive_summary": ["Executive summary", "The detailed reports"],
    "data_health": [
        "Data health",
        "Sources read",
        "Rows set aside",
        "Identity stitching",
        "Coverage",
    ],
    "journey_map": [
        "Customer journey map",
        "Segments side by side",
        "How journeys flow",
        "Top converting paths",
    ],
    "dropoffs": ["Where journeys drop off", "Stage funnel", "Friction points", "Touchpoint lift"],
    "attribution": [
        "Attribution: every model side by side",
        "Credit by model",
        "Channel roles",
        "What the platforms claim",
        "Truthfulness",
    ],
}


@pytest.fixture(scope="module")
def rendered(small_project, tmp_path_factory):
    config, _ = small_project
    out = tmp_path_factory.mktemp("reports")
    code = main(
        ["report", "--config", str(config), "--out", str(out), "--run-id", "e2e", "--quiet"]
    )
    return code, out


def _report(out, name):
    """The first rendered report of notebook ``name`` (schedules add parameter suffixes)."""
    found = sorted((out / "e2e").glob(f"{name}*.html"))
    assert found, f"no report of {name}"
    return found[0]


def test_every_scheduled_report_renders(rendered, small_project):
    code, out = rendered
    assert code == 0
    jobs = report_jobs(load_config(small_project[0]))
    assert {j.notebook.stem for j in jobs} == set(REPORT_ORDER)
    for job in jobs:
        assert (out / "e2e" / f"{job.name}.html").is_file(), job.name
        assert (out / "e2e" / f"{job.name}.ipynb").is_file(), job.name


@pytest.mark.parametrize("name", sorted(EXPECTED_SECTIONS))
def test_report_has_sections_figures_and_no_errors(rendered, name):
    _, out = rendered
    soup = BeautifulSoup(_report(out, name).read_text(encoding="utf-8"), "html.parser")
    headings = [
        h.get_text(" ", strip=True).rstrip("¶").strip() for h in soup.find_all(["h1", "h2"])
    ]
    for section in EXPECTED_SECTIONS[name]:
        assert any(h.startswith(section) for h in headings), (section, headings)
    text = soup.get_text(" ")
    assert "Traceback" not in text
    assert not soup.select(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert "<Figure size" not in text, "a figure was printed instead of drawn"
    if name != "executive_summary":
        images = [
            i for i in soup.find_all("img") if i.get("src", "").startswith("data:image/png;base64,")
        ]
        assert images, "figures are embedded"
    assert not soup.find_all("script", src=True), "no external scripts"


def test_index_links_every_report(rendered):
    _, out = rendered
    soup = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    hrefs = {a["href"] for a in soup.find_all("a", href=True)}
    for page in (out / "e2e").glob("*.html"):
        assert f"e2e/{page.name}" in hrefs


def _report_cli(config, out, *extra):
    return main(["report", "--config", str(config), "--out", str(out), *extra])


def test_bad_parameter_fails_before_anything_runs(small_project, tmp_path, capsys):
    config, _ = small_project
    out = tmp_path / "reports"
    code = _report_cli(config, out, "-p", "segmnt=smb", "--notebook", "journey_map")
    assert code == 2
    err = capsys.readouterr().err
    assert "segmnt" in err and "segment" in err
    assert not out.exists()


def test_ill_typed_parameter_fails_clearly(small_project, tmp_path, capsys):
    config, _ = small_project
    code = _report_cli(
        config, tmp_path / "r", "-p", "period_days=soon", "--notebook", "journey_map"
    )
    assert code == 2
    assert "period_days" in capsys.readouterr().err


def test_unknown_segment_fails_before_any_notebook_runs(small_project, tmp_path, capsys):
    config, _ = small_project
    out = tmp_path / "reports"
    code = _report_cli(
        config,
        out,
        "--run-id",
        "bad",
        "-p",
        "segment=martians",
        "--notebook",
        "journey_map",
        "--quiet",
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "martians" in err and "known segments" in err
    assert not out.exists()


@pytest.mark.browser
def test_real_browser_draws_the_index_and_a_report(rendered, tmp_path):
    from report.test_browser import dark_share, find_chromium, pixels, screenshot

    browser = find_chromium()
    if browser is None:
        pytest.skip("no headless Chromium installed (apt-get install chromium)")
    _, out = rendered
    for page in (out / "index.html", _report(out, "journey_map")):
        png = screenshot(
            browser, page, tmp_path / f"{page.stem}.png", tmp_path / f"profile-{page.stem}"
        )
        rgb = pixels(png)
        assert dark_share(rgb[:300]) > 0.01, f"{page.name}: no text drawn at the top"
        colourful = (rgb.max(axis=2) - rgb.min(axis=2)) > 60
        if page.name != "index.html":
            assert colourful.mean() > 0.02, "the embedded figures were drawn in colour"
