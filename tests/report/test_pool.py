"""Warm kernel pool: reports reuse a kernel without leaking state, run in parallel.

The fixture runs four tiny notebooks three ways: one warm kernel (``workers=1``,
so they run back to back in the same kernel), two workers, and one fresh
kernel per notebook (a pool per job, the reference). Outputs must agree.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import nbformat
import pytest

from workbench.cli.main import build_parser
from workbench.report import ReportJob, run_reports
from workbench.report.index import MANIFEST_NAME
from workbench.report.pool import default_workers

pytestmark = pytest.mark.slow


def _notebook(path: Path, params: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}")]
    nb.cells.append(nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}))
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def _build(folder: Path) -> list[ReportJob]:
    folder.mkdir(parents=True, exist_ok=True)
    setter = _notebook(
        folder / "setter.ipynb",
        "value: int = 1  # a number",
        "LEAK = value * 10\nimport matplotlib as mpl, os\n"
        "mpl.rcParams['lines.linewidth'] = 9.0\nos.chdir('/')\nprint('set', LEAK)\n"
        "import warnings\nwarnings.filterwarnings('error', message='pool-test')",
        "import matplotlib.pyplot as plt\nfig = plt.figure()  # left open on purpose",
    )
    checker = _notebook(
        folder / "checker.ipynb",
        "value: int = 2  # a number",
        "print('LEAK' in globals(), 'value', value)",
        "import matplotlib as mpl, matplotlib.pyplot as plt, os\n"
        "print('linewidth', mpl.rcParams['lines.linewidth'])\n"
        "print('open figures', len(plt.get_fignums()))\n"
        "print('cwd is project', os.getcwd() == PROJECT)\n"
        "import warnings\n"
        "print('filter', any(getattr(f[1], 'pattern', '') == 'pool-test' for f in warnings.filters))\n"
        "import gc\n"
        "print('long-lived objects frozen', gc.get_freeze_count() > 1000)",
    )
    broken = _notebook(
        folder / "broken.ipynb",
        "divisor: int = 0  # what to divide by",
        "ratio = 1 / divisor  # fails here",
        "print('never printed')",
    )
    project = str(folder.parent.resolve())
    nb = nbformat.read(checker, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(f"PROJECT = {project!r}"))
    nbformat.write(nb, checker)
    return [
        ReportJob(setter, {"value": 4}, name="setter"),
        ReportJob(broken, {}, name="broken"),
        ReportJob(checker, {"value": 5}, name="checker"),
        ReportJob(setter, {"value": 6}, name="setter_again"),
    ]


def _printed(result) -> list[str]:
    nb = nbformat.read(result.ipynb_path, as_version=4)
    return [
        f"{o['output_type']}: {o.get('text', '')}" for c in nb.cells for o in c.get("outputs", [])
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pool")
    jobs = _build(root / "notebooks")
    out = {}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for label, workers in (("one", 1), ("two", 2)):
            out[label] = run_reports(
                jobs, out_dir=root / "reports", run_id=label, cwd=root, workers=workers
            )
        out["fresh"] = [
            run_reports(
                [job], out_dir=root / "reports", run_id=f"fresh{i}", cwd=root, workers=1
            ).results[0]
            for i, job in enumerate(jobs)
        ]
    return out


def test_no_state_leaks_between_notebooks_in_one_kernel(runs):
    checker = next(r for r in runs["one"].results if r.job.notebook.stem == "checker")
    assert checker.ok
    assert _printed(checker) == [
        "stream: False value 5\n",
        "stream: linewidth 1.5\nopen figures 0\ncwd is project True\nfilter False\n"
        "long-lived objects frozen True\n",
    ]


def test_pooled_outputs_equal_fresh_kernel_outputs(runs):
    fresh = [_printed(r) for r in runs["fresh"]]
    assert [_printed(r) for r in runs["one"].results] == fresh
    assert [_printed(r) for r in runs["two"].results] == fresh
    assert fresh[0] == ["stream: set 40\n", "display_data: "]  # the open figure is shown


def test_execution_counts_restart_for_each_notebook(runs):
    for result in runs["one"].results:
        nb = nbformat.read(result.ipynb_path, as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        ran = [n for n in counts if n is not None]
        assert ran == list(range(1, len(ran) + 1)), result.job.name


@pytest.mark.parametrize("label", ["one", "two"])
def test_failing_notebook_reports_cell_and_error_and_others_complete(runs, label):
    summary = runs[label]
    assert summary.exit_code == 1
    assert [(r.job.name, r.status) for r in summary.results] == [
        ("setter", "ok"),
        ("broken", "failed"),
        ("checker", "ok"),
        ("setter_again", "ok"),
    ]
    broken = summary.results[1]
    assert broken.error == "ZeroDivisionError: division by zero"
    assert broken.failed_cell.describe() == "cell 3 (In [2])"
    assert "ratio = 1 / divisor" in broken.failed_cell.source
    assert "FAILED" in broken.html_path.read_text(encoding="utf-8")
    manifest = json.loads((summary.run_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert [r["name"] for r in manifest["reports"]] == [r.job.name for r in summary.results]


def test_injected_parameters_are_kept_in_the_executed_notebook(runs):
    result = runs["two"].results[3]
    nb = nbformat.read(result.ipynb_path, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "value = 6" in injected[0].source
    assert _printed(result)[0] == "stream: set 60\n"


def test_jobs_option_parses_and_rejects_zero(capsys):
    parser = build_parser()
    assert parser.parse_args(["report", "--jobs", "1"]).jobs == 1
    assert parser.parse_args(["report"]).jobs is None
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--jobs", "0"])
    assert "expected at least 1" in capsys.readouterr().err


def test_default_workers_is_at_most_one_per_job():
    assert default_workers(1) == 1
    assert 1 <= default_workers(50) <= 50
