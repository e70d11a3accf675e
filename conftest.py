"""Points the notebook tests (nbval) at a small prepared project.

The notebooks read ``$WORKBENCH_CONFIG`` / ``$WORKBENCH_PROCESSED_DIR`` when their
parameters are empty. When notebooks are among the collected paths, the main
pytest process builds the small project (``tests/nbdata.py``) once and sets both
variables before any kernel starts; xdist workers inherit the environment.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
_BUILT: list[Path] = []

# nbval compares checked cells with tests/notebook_outputs/, never with outputs saved in
# the tracked notebooks (JupyterLab autosave): see tests/nbval_outputs.py
sys.path.insert(0, str(_HERE / "tests"))
pytest_plugins = ("nbval_outputs",)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or os.environ.get("WORKBENCH_PROCESSED_DIR"):
        return
    args = [Path(str(a).split("::")[0]).resolve() for a in (config.args or ["."])]
    notebooks = _HERE / "notebooks"
    if not any(a == notebooks or notebooks in a.parents or a in notebooks.parents for a in args):
        return
    from nbdata import build_small_project

    folder = Path(tempfile.mkdtemp(prefix="workbench-nb-"))
    cfg, processed = build_small_project(folder)
    os.environ["WORKBENCH_CONFIG"] = str(cfg)
    os.environ["WORKBENCH_PROCESSED_DIR"] = str(processed)
    _BUILT.append(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _BUILT:
        shutil.rmtree(folder, ignore_errors=True)
