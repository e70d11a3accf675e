"""Shared fixtures for the test suite."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def small_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(config, processed_dir) of a small prepared sample project."""
    from nbdata import build_small_project

    return build_small_project(tmp_path_factory.mktemp("project"))
