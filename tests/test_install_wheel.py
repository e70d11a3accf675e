"""The issue-14 promise: a non-editable install works outside the repository.

Builds the wheel the way ``pip install .`` does (from a copy of the sources), installs it (``--no-deps``) into a
fresh venv whose dependencies come from this environment (a ``.pth`` file naming
this environment's site-packages, so nothing is downloaded and this environment's
editable ``workbench`` is not visible), then runs, in a new folder outside the
checkout::

    workbench init DIR && cd DIR && workbench sample && workbench prepare && workbench report

Takes a few minutes (the wheel build reuses pip's cache); marked slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from workbench.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _source_copy(target: Path) -> Path:
    """What the wheel is built from, copied so the build leaves nothing in the checkout."""
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for folder in ("workbench", "notebooks"):
        shutil.copytree(PROJECT_ROOT / folder, target / folder, ignore=skip)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(PROJECT_ROOT / name, target / name)
    return target


def test_wheel_install_runs_init_sample_prepare_report(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, dict(os.environ)).strip())  # fmt: skip
    (site / "_workbench_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    # the dependencies' data files (nbconvert's HTML templates) are this environment's
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    source = _source_copy(tmp_path / "src")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(source)], tmp_path, env)

    where = _run([str(python), "-c", "import workbench; print(workbench.__file__)"], tmp_path, env)
    assert Path(where.strip()).is_relative_to(site), "the wheel's workbench must be the one used"

    project = tmp_path / "x"
    workbench = str(bin_dir / "workbench")
    _run([workbench, "init", str(project)], tmp_path, env)
    assert sorted(p.name for p in (project / "notebooks").glob("*.ipynb"))
    for command in (["sample"], ["prepare"], ["report"]):
        out = _run([workbench, *command], project, env)
    assert "5 of 5 reports rendered" in out
    assert (project / "reports" / "index.html").is_file()
    assert list((project / "reports").glob("*/attribution.html"))
