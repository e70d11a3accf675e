"""Where ``workbench demo`` writes, so it never touches a user's project.

The demo generates the sample into ``data/demo/sample/``, writes its own config
``data/demo/workbench.toml`` (the bundled ``workbench.toml`` with the project
folders pointed into ``data/demo/``), prepares into ``data/demo/processed/`` and
renders into ``reports/demo/``. The bundled config's own folders
(``data/sample``, ``data/processed``, ``reports/``) are left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.paths import DATA_DIR, REPORTS_DIR, default_config_path

__all__ = ["DEMO_DIR", "DEMO_REPORTS_DIR", "with_project_paths", "write_demo_config"]

#: The demo's data folder: sample exports, config and prepared tables.
DEMO_DIR: Path = DATA_DIR / "demo"
#: The demo's reports folder (its ``index.html`` is the demo's last printed line).
DEMO_REPORTS_DIR: Path = REPORTS_DIR / "demo"


def with_project_paths(text: str, **paths: Path) -> str:
    """Config text with ``[project]`` keys (``data_dir = "..."``, ...) set to ``paths``.

    Comments and everything else are kept. Each key must occur exactly once as
    ``key = "..."`` at the start of a line.

    Raises
    ------
    WorkbenchError
        When a key does not occur exactly once.
    """
    for key, value in paths.items():
        text, n = re.subn(
            rf'(?m)^{re.escape(key)} = "[^"]*"',
            lambda _m, k=key, v=value: f'{k} = "{Path(v).as_posix()}"',  # type: ignore[misc]
            text,
        )
        if n != 1:
            raise WorkbenchError(f'the config text has {n} lines `{key} = "..."`; expected 1')
    return text


def write_demo_config(folder: Path = DEMO_DIR, reports_dir: Path = DEMO_REPORTS_DIR) -> Path:
    """Write ``<folder>/workbench.toml``: the bundled config pointed into ``folder``."""
    bundled = default_config_path()
    if not bundled.is_file():
        raise WorkbenchError(
            f"workbench demo runs in a clone of the repository (it needs {bundled}); in an "
            "installed workbench run `workbench init DIR`, then in DIR `workbench sample && "
            "workbench prepare && workbench report`"
        )
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    text = with_project_paths(
        bundled.read_text(encoding="utf-8"),
        data_dir=folder / "sample",
        processed_dir=folder / "processed",
        truth_dir=folder / "sample" / "_truth",
        reports_dir=Path(reports_dir).resolve(),
    )
    path = folder / "workbench.toml"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
