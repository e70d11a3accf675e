"""Where a project's config is found, and the folders of a source checkout.

No I/O happens at import time. :func:`find_config` looks for ``workbench.toml``
the way git, ``pyproject.toml`` or ``dbt_project.yml`` are found: in the current
folder, then in each folder above it; ``$WORKBENCH_CONFIG`` (and ``--config`` on
the command line) override the search. A project's other folders come from its
config (relative paths resolve against the config file's folder).

``PROJECT_ROOT`` and the folders under it are the source checkout's (the folder
holding the package): tests, benchmarks and ``workbench demo`` in a clone use
them; nothing a project needs is looked up there.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from workbench.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "CONFIG_NAME",
    "DATA_DIR",
    "NOTEBOOKS_DIR",
    "PROCESSED_DIR",
    "PROJECT_ROOT",
    "RAW_DIR",
    "REPORTS_DIR",
    "SAMPLE_DIR",
    "default_config_path",
    "find_config",
    "notebooks_dir",
    "packaged_notebooks",
    "project_dir",
]

#: The config file name searched for in the current folder and its parents.
CONFIG_NAME = "workbench.toml"
#: Environment variable naming the config file (overrides the search).
CONFIG_ENV = "WORKBENCH_CONFIG"

#: The source checkout's root (the folder holding the package and ``pyproject.toml``).
PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
DATA_DIR: Path = PROJECT_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
PROCESSED_DIR: Path = DATA_DIR / "processed"
SAMPLE_DIR: Path = DATA_DIR / "sample"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"


def default_config_path() -> Path:
    """The source checkout's bundled sample config (``workbench.toml`` at its root)."""
    return PROJECT_ROOT / CONFIG_NAME


def find_config(start: str | Path | None = None) -> Path:
    """The config used when none is given.

    ``$WORKBENCH_CONFIG`` when set; otherwise the first ``workbench.toml`` in
    ``start`` (default: the current folder) or a folder above it.

    Raises
    ------
    ConfigError
        When no folder holds one; the message names where it looked.
    """
    env = os.environ.get(CONFIG_ENV, "")
    if env:
        return Path(env)
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    raise ConfigError(
        f"no {CONFIG_NAME} in {here} or any folder above it; run `workbench init` to start "
        f"a project here, or name a config with --config FILE or ${CONFIG_ENV}"
    )


def project_dir(start: str | Path | None = None) -> Path:
    """The folder of the config :func:`find_config` finds, else ``start`` (the current folder)."""
    try:
        return find_config(start).resolve().parent
    except ConfigError:
        return Path(start if start is not None else Path.cwd()).resolve()


def packaged_notebooks() -> Path:
    """The report notebooks shipped inside the package (``workbench.notebooks``).

    The wheel carries the repository's ``notebooks/`` as package data (see
    ``setup.py``); a source checkout that was never installed falls back to its
    ``notebooks/`` folder.
    """
    try:
        spec = importlib.util.find_spec("workbench.notebooks")
    except ModuleNotFoundError:
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return NOTEBOOKS_DIR


def notebooks_dir(project: str | Path | None = None) -> Path:
    """The report notebooks of a project: its ``notebooks/`` folder, else the packaged ones.

    ``project`` is the project folder (the config's); default: :func:`project_dir`.
    """
    folder = Path(project) if project is not None else project_dir()
    own = folder / "notebooks"
    return own if any(own.glob("*.ipynb")) else packaged_notebooks()
