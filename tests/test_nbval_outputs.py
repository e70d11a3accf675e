"""Outputs autosaved into the tracked notebooks cannot break the notebook tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbval_outputs import CHECK_MARK, cell_key, fresh_copy, outputs_file

from workbench.paths import NOTEBOOKS_DIR

HERE = Path(__file__).resolve().parent


def _autosaved(tmp_path: Path, name: str = "data_health") -> Path:
    """A copy of a notebook as JupyterLab would save it after a run on other data."""
    nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.execution_count = i + 1
            cell.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text=f"autosaved junk {i}\n")
            ]
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_every_notebook_has_stored_expectations_for_its_checked_cells():
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        nb = fresh_copy(path)  # raises when a checked cell has no expectation
        checked = [c for c in nb.cells if c.cell_type == "code" and CHECK_MARK in c.source]
        assert checked, path.name
        assert all(c.outputs for c in checked), path.name


def test_the_test_copy_ignores_whatever_the_notebook_holds(tmp_path):
    path = _autosaved(tmp_path)
    nb = fresh_copy(path)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "autosaved junk" not in text
        if CHECK_MARK in cell.source:
            stored = outputs_file(path).read_text("utf-8")
            assert cell_key(cell.source) in stored and cell.outputs
        else:
            assert cell.outputs == []


def test_a_checked_cell_without_expectation_is_a_clear_error(tmp_path):
    nb = nbformat.read(NOTEBOOKS_DIR / "data_health.ipynb", as_version=4)
    cell = next(c for c in nb.cells if CHECK_MARK in c.source)
    cell.source += "\nprint('changed')"
    path = tmp_path / "data_health.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(pytest.UsageError, match="run `python tests/nbdata.py`"):
        fresh_copy(path)


def _nbval(path: Path, small_project, *plugin: str) -> subprocess.CompletedProcess:
    config, processed = small_project
    (path.parent / "pytest.ini").write_text("[pytest]\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(HERE),
        "WORKBENCH_CONFIG": str(config),
        "WORKBENCH_PROCESSED_DIR": str(processed),
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "-p", "no:cacheprovider"]
        + list(plugin)
        + ["-c", str(path.parent / "pytest.ini"), "--rootdir", str(path.parent), str(path)],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_the_notebook_test_passes_on_an_autosaved_notebook(small_project, tmp_path):
    path = _autosaved(tmp_path)
    plain = _nbval(path, small_project)  # nbval alone compares with the autosaved junk
    assert plain.returncode != 0 and "autosaved junk" in plain.stdout
    ours = _nbval(path, small_project, "-p", "nbval_outputs")
    assert ours.returncode == 0, ours.stdout[-3000:]
    assert " passed" in ours.stdout
