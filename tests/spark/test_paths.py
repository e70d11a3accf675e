"""The path table Spark builds from stored tables: files or folders of parts, rows in order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.config import load_config
from workbench.partitioned import part_files, write_table
from workbench.prepare import load_prepared
from workbench.spark.paths import default_period_end, journey_path_table, spark_path_table

pytestmark = pytest.mark.spark


def _spark_table(spark, folder, cfg, tp, cv, part_rows):
    for name, frame in (("touchpoints", tp), ("conversions", cv)):
        write_table(frame, folder / f"{name}.parquet", part_rows=part_rows)
    return spark_path_table(
        spark,
        str(folder / "touchpoints.parquet"),
        str(folder / "conversions.parquet"),
        cfg,
        period_end=default_period_end(tp, cv),
        buckets=3,
    )


def test_parts_give_the_single_file_table_and_the_local_one(spark, small_project, tmp_path):
    """Every person's touches at one instant: only the stored row order decides the paths."""
    config, processed = small_project
    cfg = load_config(config)
    prepared = load_prepared(processed)
    tp, cv = prepared.touchpoints.copy(), prepared.conversions
    tp["ts"] = tp.groupby("person_id")["ts"].transform("min")
    local = journey_path_table(tp, cv, cfg)
    (tmp_path / "one").mkdir()
    (tmp_path / "parts").mkdir()
    single = _spark_table(spark, tmp_path / "one", cfg, tp, cv, len(tp))
    parts = _spark_table(spark, tmp_path / "parts", cfg, tp, cv, 97)
    assert len(part_files(tmp_path / "parts" / "touchpoints.parquet")) > 10
    assert len(local) > 20 and local["path"].str.contains(" > ").sum() > 5
    for spark_table in (single, parts):
        assert spark_table["path"].tolist() == local["path"].astype(str).tolist()
        for col in ("total_conversions", "total_conversion_value", "total_null"):
            np.testing.assert_allclose(spark_table[col], local[col], rtol=1e-9, atol=1e-9)


def test_no_rows_give_an_empty_table(spark, small_project, tmp_path):
    config, processed = small_project
    prepared = load_prepared(processed)
    tp, cv = prepared.touchpoints.iloc[:0], prepared.conversions.iloc[:0]
    table = _spark_table(spark, tmp_path, load_config(config), tp, cv, 10)
    assert list(table.columns) == [
        "path",
        "total_conversions",
        "total_conversion_value",
        "total_null",
    ]
    assert len(table) == 0 and isinstance(table["path"].dtype, pd.StringDtype)
