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


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole test run (skips without pyspark or Java)."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("the Spark tests need Java (17)")
    from workbench.spark.session import spark_session

    session = spark_session(
        "local[2]",
        {
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.sql.adaptive.enabled": "false",
        },
    )
    yield session
    session.stop()
