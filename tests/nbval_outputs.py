"""The notebook tests never read outputs saved inside the tracked notebooks.

JupyterLab autosaves outputs into ``notebooks/*.ipynb``: the outputs of the
user's own data, in the very cells nbval compares (``# NBVAL_CHECK_OUTPUT``).
So the expected outputs of those cells live outside the notebooks, in
``tests/notebook_outputs/<notebook>.json`` (keyed by the cell's source), and
nbval runs a fresh copy of each notebook: every saved output stripped, the
checked cells given their expected outputs. Whatever a notebook holds on disk,
the test compares against the stored expectations.

``python tests/nbdata.py`` refreshes the stored outputs (and strips the
notebooks). This module is a pytest plugin (loaded by the root ``conftest.py``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from _pytest.compat import legacy_path
from nbval.plugin import IPyNbFile

OUTPUTS_DIR = Path(__file__).resolve().parent / "notebook_outputs"
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
_COPIES: list[Path] = []


def cell_key(source: str) -> str:
    """The key of a cell in the stored outputs: SHA-256 of its stripped source."""
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()


def outputs_file(notebook: Path) -> Path:
    """Where the expected outputs of ``notebook`` are stored."""
    return OUTPUTS_DIR / f"{Path(notebook).stem}.json"


def save_checked_outputs(nb: nbformat.NotebookNode, notebook: Path) -> Path:
    """Store the outputs of ``nb``'s checked cells as the expectations of ``notebook``."""
    cells = [
        {"key": cell_key(c.source), "source": c.source.splitlines()[:3], "outputs": c.outputs}
        for c in nb.cells
        if c.cell_type == "code" and CHECK_MARK in c.source
    ]
    path = outputs_file(notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells}, indent=1, sort_keys=True) + "\n", "utf-8")
    return path


def fresh_copy(notebook: Path) -> nbformat.NotebookNode:
    """``notebook`` with every saved output stripped and the checked cells' expected outputs.

    Raises
    ------
    pytest.UsageError
        When a checked cell has no stored expectation (run ``python tests/nbdata.py``).
    """
    nb = nbformat.read(notebook, as_version=4)
    store = outputs_file(notebook)
    stored = json.loads(store.read_text("utf-8"))["cells"] if store.is_file() else []
    expected = {c["key"]: c["outputs"] for c in stored}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if CHECK_MARK in cell.source:
            key = cell_key(cell.source)
            if key not in expected:
                raise pytest.UsageError(
                    f"{notebook} cell {index + 1} is marked {CHECK_MARK} but {store} has no "
                    "expected output for it: run `python tests/nbdata.py` to refresh"
                )
            cell.outputs = [nbformat.from_dict(o) for o in expected[key]]
            cell.execution_count = 1  # nbval ignores outputs of a cell never run
    return nb


class CheckedNotebook(IPyNbFile):
    """nbval's notebook collector, reading (and running) :func:`fresh_copy` of the notebook.

    The node keeps the notebook's own path (test ids, ``pytest notebooks/x.ipynb``);
    nbval reads the file at ``fspath``, which points at the fresh copy.
    """

    copy_path: Path

    @property
    def fspath(self):  # noqa: D401 - nbval reads the notebook from here
        return legacy_path(self.copy_path)


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    """Swap nbval's collector of a notebook for :class:`CheckedNotebook`."""
    result = yield
    if file_path.suffix != ".ipynb" or not outputs_file(file_path).is_file():
        return result
    out = []
    for item in result or []:
        if type(item) is IPyNbFile:
            if not _COPIES:
                _COPIES.append(Path(tempfile.mkdtemp(prefix="workbench-nbval-")))
            folder = _COPIES[0] / hashlib.sha1(str(file_path).encode()).hexdigest()[:8]
            folder.mkdir(exist_ok=True)
            copy = folder / file_path.name
            nbformat.write(fresh_copy(file_path), copy)
            item = CheckedNotebook.from_parent(parent, path=file_path)
            item.copy_path = copy
        out.append(item)
    return out


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _COPIES:
        shutil.rmtree(folder, ignore_errors=True)
    _COPIES.clear()
