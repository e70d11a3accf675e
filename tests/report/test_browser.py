"""A real browser opens the index and a report offline and draws something.

Needs a headless Chromium (``apt-get install chromium``); skipped without one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest
from injection import find_chromium
from PIL import Image

from workbench.report import ReportJob, run_reports

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def screenshot(browser: str, page: Path, png: Path, profile: Path) -> Path:
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        "--window-size=1280,2000",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert png.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    return png


def pixels(png: Path) -> np.ndarray:
    return np.asarray(Image.open(png).convert("RGB"), dtype=int)


def dark_share(rgb: np.ndarray) -> float:
    """Share of pixels darker than light grey (text, lines, bars)."""
    return float((rgb.mean(axis=2) < 160).mean())


@pytest.fixture(scope="module")
def browser():
    found = find_chromium()
    if found is None:
        pytest.skip("no headless Chromium installed (apt-get install chromium)")
    return found


def test_index_and_report_render_in_a_browser(browser, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Channel mix\n\nTouchpoints per channel."),
        nbformat.v4.new_code_cell(
            'segment: str = "all"  # segment', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots(figsize=(6, 4))\n"
            "ax.bar(['email', 'paid search', 'organic'], [5, 9, 3], color='tab:blue')\n"
            "ax.set_title(f'Touchpoints: {segment}');"
        ),
        nbformat.v4.new_code_cell(
            "from workbench.report import publish\n"
            "publish(title=f'Channel mix ({segment})', data_range=('2026-01-01', '2026-03-31'))"
        ),
    ]
    source = tmp_path / "channel_mix.ipynb"
    nbformat.write(nb, source)
    summary = run_reports(
        [ReportJob(source, {"segment": "smb"})],
        out_dir=tmp_path / "reports",
        run_id="browser",
        cwd=tmp_path,
        quiet=True,
    )
    assert summary.exit_code == 0
    report = summary.results[0].html_path

    shots = {}
    for label, page in (("index", summary.index_path), ("report", report)):
        png = screenshot(browser, page, tmp_path / f"{label}.png", tmp_path / f"profile-{label}")
        assert png.stat().st_size > 10_000, f"{label}: suspiciously small screenshot"
        shots[label] = pixels(png)
    index, page = shots["index"], shots["report"]
    # a blank or unstyled-error page is (nearly) one colour: the top must carry text
    assert dark_share(index[:300]) > 0.01 and index[:300].std() > 10
    assert dark_share(page[:300]) > 0.005
    # the embedded PNG was decoded and drawn: many pixels of matplotlib's bar blue (#1f77b4)
    bar_blue = (np.abs(page - np.array([31, 119, 180])).max(axis=2) < 12).sum()
    assert bar_blue > 5_000, bar_blue
