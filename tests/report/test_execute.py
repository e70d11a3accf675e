"""End to end: tiny notebooks run through Papermill into HTML reports and the index.

One module-scoped fixture runs every kernel once (about 1-2 s per notebook);
the tests then inspect the files it produced.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

import workbench
from workbench.errors import ValidationError
from workbench.report import (
    ReportJob,
    expand_schedule,
    external_resources,
    notebook_to_html,
    read_runs,
    run_reports,
)

pytestmark = pytest.mark.slow

RUN_ID = "20261128T134501Z"
QUIET_RUN_ID = "20261128T140000Z"


def make_notebook(path: Path, params: str, cells: list[tuple[str, str]]) -> Path:
    """cells: (kind, source) pairs after a leading parameters cell; kind is 'md' or 'code'."""
    nb = nbformat.v4.new_notebook()
    first, *rest = cells
    nb.cells = [nbformat.v4.new_markdown_cell(first[1])]
    nb.cells.append(nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}))
    for kind, source in rest:
        new = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        nb.cells.append(new(source))
    nbformat.write(nb, path)
    return path


def build_notebooks(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    make_notebook(
        folder / "journey_map.ipynb",
        'segment: str = "all"  # segment\nwindow_days: int = 90  # look-back days\n',
        [
            ("md", "# Journey map"),
            ("code", "import sys\nprint('kernel python:', sys.executable)"),
            ("md", "## Conversions by channel"),
            (
                "code",
                "import matplotlib.pyplot as plt\n"
                "fig, ax = plt.subplots(figsize=(4, 3))\n"
                "ax.bar(['email', 'search'], [3, window_days])\n"
                "ax.set_title(f'{segment}: last {window_days} days');",
            ),
            (
                "code",
                "from workbench.report import publish\n"
                "publish(title=f'Journey map - {segment}', data_range=('2026-01-01', "
                "'2026-03-31'), rows=12)",
            ),
        ],
    )
    make_notebook(
        folder / "broken.ipynb",
        "divisor: int = 0  # what to divide by\n",
        [
            ("md", "# Broken report"),
            ("code", "ratio = 1 / divisor  # fails here"),
            ("code", "print('never printed')"),
        ],
    )
    make_notebook(
        folder / "summary.ipynb",
        "as_of: str | None = None  # report date\n",
        [("md", "# Summary"), ("md", "## Totals"), ("code", "print('as of', as_of)")],
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports_e2e")
    build_notebooks(root / "notebooks")
    spec = {
        "journey_map": {"segment": ["smb", "enterprise"], "window_days": 30},
        "broken": {},
        "summary": {"as_of": "2026-03-31"},
    }
    jobs = expand_schedule(spec, notebooks_dir=root / "notebooks")
    progress: list = []
    out_dir, log = root / "reports", root / "cron.log"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        summary = run_reports(
            jobs, out_dir=out_dir, run_id=RUN_ID, cwd=root, log_file=log, progress=progress.append
        )
    quiet_out, quiet_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(quiet_out), contextlib.redirect_stderr(quiet_err):
        quiet = run_reports(
            jobs[-1:], out_dir=out_dir, run_id=QUIET_RUN_ID, cwd=root, quiet=True, log_file=log
        )
    return {
        "root": root,
        "out_dir": out_dir,
        "summary": summary,
        "progress": progress,
        "stderr": stderr.getvalue(),
        "log": log,
        "quiet": quiet,
        "quiet_out": quiet_out.getvalue(),
        "quiet_err": quiet_err.getvalue(),
    }


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def result_named(summary, name):
    return next(r for r in summary.results if r.job.name == name)


def test_failure_is_reported_and_the_others_complete(reports):
    summary = reports["summary"]
    assert summary.exit_code == 1
    assert [(r.job.name, r.status) for r in summary.results] == [
        ("journey_map__segment-smb", "ok"),
        ("journey_map__segment-enterprise", "ok"),
        ("broken", "failed"),
        ("summary", "ok"),
    ]
    broken = result_named(summary, "broken")
    assert broken.failed_cell.number == 3 and broken.failed_cell.index == 2
    assert broken.failed_cell.source == "ratio = 1 / divisor  # fails here"
    assert broken.error == "ZeroDivisionError: division by zero"
    assert (
        "FAILED broken at cell 3 (In [2]): ZeroDivisionError: division by zero"
        in (reports["stderr"])
    )
    # the partial notebook and its HTML exist; the cell after the failure never ran
    executed = nbformat.read(broken.ipynb_path, as_version=4)
    assert "never printed" not in json.dumps([c.get("outputs", []) for c in executed.cells])
    page = soup_of(broken.html_path)
    banner = page.select_one(".wb-failed")
    assert "FAILED" in banner.text and "cell 3" in banner.text
    assert "ZeroDivisionError: division by zero" in banner.text
    assert "ratio = 1 / divisor" in banner.select_one("pre").text
    assert (
        "ZeroDivisionError"
        in page.select_one('[data-mime-type="application/vnd.jupyter.stderr"]').text
    )


def test_good_report_has_headings_embedded_plot_and_no_code_or_errors(reports):
    result = result_named(reports["summary"], "journey_map__segment-smb")
    page = soup_of(result.html_path)
    assert [h.text.strip("¶ ") for h in page.select("h1, h2")] == [
        "Journey map",
        "Conversions by channel",
    ]
    images = page.select("img")
    assert len(images) == 1 and images[0]["src"].startswith("data:image/png;base64,")
    assert len(images[0]["src"]) > 2000
    assert not page.select('[data-mime-type="application/vnd.jupyter.stderr"]')
    assert "Traceback" not in page.text and "Error" not in page.text
    assert not page.select(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt")
    assert "plt.subplots" not in page.text and "import sys" not in page.text
    assert "workbench report metadata" not in page.text  # publish() output is not shown
    assert page.title.text == "Journey map - smb"
    header = page.select_one(".wb-header").text
    assert "segment=smb" in header and "window_days=30" in header
    assert workbench.__version__ in header
    assert page.select_one('.wb-header a[href="../index.html"]')


def test_reports_and_index_need_no_network(reports):
    pages = sorted(reports["out_dir"].rglob("*.html"))
    assert len(pages) == 6  # 4 + 1 reports and the index
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert external_resources(text) == [], path.name
        assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", text, re.I), path.name
        assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", text, re.I), path.name
        page = BeautifulSoup(text, "html.parser")
        assert all(not s.get("src") for s in page.select("script")), path.name
        assert all(i["src"].startswith("data:") for i in page.select("img[src]")), path.name


def test_executed_notebooks_are_kept_with_injected_parameters_and_venv_kernel(reports):
    result = result_named(reports["summary"], "journey_map__segment-enterprise")
    assert result.ipynb_path == result.html_path.with_suffix(".ipynb")
    nb = nbformat.read(result.ipynb_path, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert (
        'segment = "enterprise"' in injected[0].source and "window_days = 30" in injected[0].source
    )
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert f"kernel python: {sys.executable}\n" in printed
    assert result.meta == {
        "title": "Journey map - enterprise",
        "data_range": ["2026-01-01", "2026-03-31"],
        "rows": 12,
    }


def test_index_links_every_report_of_every_run_newest_first(reports):
    out_dir = reports["out_dir"]
    page = soup_of(out_dir / "index.html")
    runs = [s["id"] for s in page.select("section")]
    assert runs == [f"run-{QUIET_RUN_ID}", f"run-{RUN_ID}"]
    links = {a["href"] for a in page.select("a[href$='.html']")}
    expected = {f"{RUN_ID}/{r.job.name}.html" for r in reports["summary"].results} | {
        f"{QUIET_RUN_ID}/summary.html"
    }
    assert links == expected
    assert all((out_dir / href).is_file() for href in links)  # relative links resolve
    rows = {
        tr.select_one("a").text: tr for tr in page.select(f"#run-{RUN_ID} tr") if tr.select("a")
    }
    smb = rows["Journey map - smb"]
    assert [c.text for c in smb.select("code")] == ["segment=smb", "window_days=30"]
    assert "2026-01-01 \u2013 2026-03-31" in smb.text and "rows: 12" in smb.text
    assert "ok" in smb.text
    broken = rows["Broken report"]
    assert "FAILED" in broken.text and "at cell 3 (In [2])" in broken.text
    assert "ZeroDivisionError: division by zero" in broken.text
    assert broken.select_one("a[href$='.ipynb']")["href"] == f"{RUN_ID}/broken.ipynb"
    run_text = page.select_one(f"#run-{RUN_ID}").text
    assert "3 ok" in run_text and "1 failed" in run_text
    assert f"workbench {workbench.__version__}" in run_text and "took" in run_text
    assert [r["run_id"] for r in read_runs(out_dir)] == [QUIET_RUN_ID, RUN_ID]


def test_progress_quiet_mode_and_log_file(reports):
    assert [r.job.name for r in reports["progress"]] == [
        r.job.name for r in reports["summary"].results
    ]
    line = reports["progress"][0].line("[1/4]")
    assert re.fullmatch(r"\[1/4\] journey_map  segment=smb window_days=30  ok  \d+\.\d s", line)
    assert reports["quiet"].exit_code == 0
    assert reports["quiet_out"] == "" and reports["quiet_err"] == ""
    log = reports["log"].read_text(encoding="utf-8").splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", entry) for entry in log)
    text = "\n".join(log)
    assert f"run {RUN_ID} started: 4 report(s)" in text
    assert re.search(r"\[3/4\] broken  FAILED  \d+\.\d s", text)
    assert "FAILED broken at cell 3 (In [2]): ZeroDivisionError" in text
    assert f"run {QUIET_RUN_ID} finished" in text


def test_show_code_option_reveals_inputs(reports, tmp_path):
    result = result_named(reports["summary"], "journey_map__segment-smb")
    shown = soup_of(notebook_to_html(result.ipynb_path, tmp_path / "code.html", show_code=True))
    assert "plt.subplots" in shown.text
    assert shown.select(".jp-CodeCell .jp-InputArea")
    assert not shown.select(".jp-InputPrompt")


def test_bad_parameters_fail_before_anything_runs(tmp_path):
    build_notebooks(tmp_path / "notebooks")
    notebook = tmp_path / "notebooks" / "journey_map.ipynb"
    jobs = [
        ReportJob(tmp_path / "notebooks" / "summary.ipynb", {"as_of": "2026-03-31"}),
        ReportJob(notebook, {"segmnt": "smb"}, name="a"),
        ReportJob(notebook, {"window_days": "thirty"}, name="b"),
    ]
    out_dir = tmp_path / "reports"
    with pytest.raises(ValidationError) as info:
        run_reports(jobs, out_dir=out_dir, run_id="r1", cwd=tmp_path, log_file=tmp_path / "x.log")
    text = str(info.value)
    assert text.startswith("reports not run: 2 problems found")
    assert "unknown parameter 'segmnt' (did you mean 'segment'?); allowed parameters: " in text
    assert "segment, window_days" in text
    assert "window_days = 'thirty' is not a whole number, e.g. 30 (declared type int)" in text
    assert not out_dir.exists() and not (tmp_path / "x.log").exists()
