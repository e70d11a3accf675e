"""``workbench init``: write a new project folder.

A project is a folder holding ``workbench.toml`` (a commented starter config
shipped in the package, reading a GA4 export from ``data/raw/``), ``data/raw/``
for the exports, ``reports/`` and ``notebooks/`` (a copy of the packaged report
notebooks, for JupyterLab; ``workbench report`` prefers a project's own
``notebooks/`` and falls back to the packaged ones when the folder is removed).
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.paths import CONFIG_NAME, packaged_notebooks

__all__ = ["config_template", "init_project"]


def config_template() -> str:
    """The text of the starter ``workbench.toml`` shipped in the package."""
    return resources.files("workbench").joinpath("templates", CONFIG_NAME).read_text("utf-8")


def init_project(folder: str | Path, *, notebooks: bool = True) -> list[Path]:
    """Write a new project into ``folder`` (created if missing) and return what was written.

    Raises
    ------
    WorkbenchError
        When ``folder`` already holds a ``workbench.toml`` (it is never overwritten).
    """
    root = Path(folder).resolve()
    config = root / CONFIG_NAME
    if config.exists():
        raise WorkbenchError(f"{config} already exists; workbench init never overwrites a config")
    written = []
    for sub in ("data/raw", "reports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        written.append(root / sub)
    if notebooks:
        written += _copy_notebooks(root / "notebooks")
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(config_template(), encoding="utf-8")
    tmp.replace(config)
    return [config, *written]


def _copy_notebooks(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted(packaged_notebooks().glob("*.ipynb")):
        dest = target / source.name
        if not dest.exists():  # never replace a notebook someone edited
            shutil.copyfile(source, dest)
            copied.append(dest)
    return copied
