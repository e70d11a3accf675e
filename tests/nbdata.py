"""A small prepared project for notebook and end-to-end tests.

``build_small_project(folder)`` writes the synthetic sample (few people, fixed
seed), a config pointing at it and the prepared tables. Run this module to
refresh the expected outputs of the notebook cells marked ``# NBVAL_CHECK_OUTPUT``
after a deliberate change; they are stored in ``tests/notebook_outputs/`` (see
``tests/nbval_outputs.py``) and every output is stripped from the notebooks::

    python tests/nbdata.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

PEOPLE = 1000
SEED = 11


def build_small_project(
    folder: Path, *, people: int = PEOPLE, seed: int = SEED
) -> tuple[Path, Path]:
    """Write sample, config and prepared tables under ``folder``; return (config, processed)."""
    from workbench.cli.demo import with_project_paths
    from workbench.config import load_config
    from workbench.paths import default_config_path
    from workbench.prepare import prepare, write_prepared
    from workbench.sample import generate_sample

    folder = Path(folder)
    sample = folder / "sample"
    processed = folder / "processed"
    generate_sample(sample, people=people, seed=seed)
    text = with_project_paths(
        default_config_path().read_text(encoding="utf-8"),
        data_dir=sample,
        processed_dir=processed,
        truth_dir=sample / "_truth",
        reports_dir=folder / "reports",
    )
    config = folder / "workbench.toml"
    config.write_text(text, encoding="utf-8")
    write_prepared(prepare(load_config(config)), processed, config_path=config)
    return config, processed


def refresh_notebook_outputs() -> None:  # pragma: no cover - maintenance tool
    """Execute every notebook on the small project; store the checked cells' outputs in
    ``tests/notebook_outputs/`` and strip every output from the notebooks themselves."""
    import nbformat
    from nbclient import NotebookClient
    from nbval_outputs import save_checked_outputs

    from workbench.paths import NOTEBOOKS_DIR

    with tempfile.TemporaryDirectory() as tmp:
        config, processed = build_small_project(Path(tmp))
        os.environ["WORKBENCH_CONFIG"] = str(config)
        os.environ["WORKBENCH_PROCESSED_DIR"] = str(processed)
        for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            NotebookClient(
                nb, kernel_name="python3", resources={"metadata": {"path": tmp}}
            ).execute()
            stored = save_checked_outputs(nb, path)
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                cell.outputs = []
                cell.execution_count = None
                cell.metadata.pop("execution", None)
            nb.metadata.pop("widgets", None)  # widget state of the interactive cell
            nbformat.write(nb, path)
            print(f"refreshed {path.name} (checked outputs in {stored})")


if __name__ == "__main__":  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    refresh_notebook_outputs()
