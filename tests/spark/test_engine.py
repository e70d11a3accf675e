"""`workbench prepare --engine spark` on the small sample gives the local engine's tables.

One Spark prepare (local[2], the session-wide ``spark`` fixture) through the CLI,
compared with the local engine's prepared tables of the same project.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.attribution.aggregated import aggregate_paths
from workbench.attribution.inputs import paths_from_journeys
from workbench.cli import main
from workbench.ingest.quarantine import quarantine_summary
from workbench.notebook.workspace import Workspace
from workbench.prepare import TABLE_FILES, load_prepared
from workbench.store import MANIFEST_FILE

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def engines(spark, small_project, tmp_path_factory):
    """(local Prepared, Spark Prepared, Spark processed dir, local Workspace)."""
    config, processed = small_project
    out = tmp_path_factory.mktemp("spark") / "processed"
    status = main(
        [
            "prepare",
            "--config",
            str(config),
            "--out",
            str(out),
            "--engine",
            "spark",
            "--master",
            "local[2]",
            "--quiet",
        ]
    )
    assert status == 0
    return load_prepared(processed), load_prepared(out), out, Workspace.load(config, processed)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by every column (as text), index reset: row order does not matter."""
    key = frame.astype("string").fillna("\x00")
    order = key.sort_values(list(key.columns), kind="stable").index
    return frame.loc[order].reset_index(drop=True)


@pytest.mark.parametrize("name", TABLE_FILES)
def test_tables_equal_row_for_row(engines, name):
    local, spark, _, _ = engines
    a, b = getattr(local, name), getattr(spark, name)
    assert len(a) == len(b)
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(_sorted(a), _sorted(b))


def test_touchpoints_and_conversions_are_not_trivial(engines):
    local, _, _, _ = engines
    assert len(local.touchpoints) > 1000 and len(local.conversions) > 50
    assert local.touchpoints["person_id"].notna().mean() > 0.5


def test_same_person_partition_and_ids(engines):
    local, spark, _, _ = engines
    key = ["id_type", "id_value"]
    a = local.identities.set_index(key)["person_id"].sort_index()
    b = spark.identities.set_index(key)["person_id"].sort_index()
    pd.testing.assert_series_equal(a, b)
    # the partition: the same groups of identifiers
    groups_a = sorted(map(tuple, local.identities.groupby("person_id")["id_value"].apply(sorted)))
    groups_b = sorted(map(tuple, spark.identities.groupby("person_id")["id_value"].apply(sorted)))
    assert groups_a == groups_b
    assert local.people["person_id"].nunique() > 100


def test_same_quarantine_counts_by_reason(engines):
    local, spark, _, _ = engines
    a, b = quarantine_summary(local.quarantine), quarantine_summary(spark.quarantine)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b)


def test_same_stitching_diagnostics(engines):
    local, spark, _, _ = engines
    assert sorted(local.diagnostics) == sorted(spark.diagnostics)
    for name, frame in local.diagnostics.items():
        pd.testing.assert_frame_equal(_sorted(frame), _sorted(spark.diagnostics[name]))


def _local_path_table(ws: Workspace) -> pd.DataFrame:
    """The path table of the journeys `workbench attribute` builds locally."""
    js = ws.journeys()
    return aggregate_paths(paths_from_journeys(js.touches, js.journeys))


def test_same_path_table(engines):
    _, _, out, ws = engines
    local = _local_path_table(ws)
    spark = pd.read_parquet(out / "paths.parquet")
    assert list(spark.columns) == [
        "path",
        "total_conversions",
        "total_conversion_value",
        "total_null",
    ]
    assert len(local) > 20 and local["total_conversions"].sum() > 10
    assert spark["path"].astype(str).tolist() == local["path"].astype(str).tolist()
    for col in spark.columns[1:]:
        np.testing.assert_allclose(spark[col], local[col], rtol=1e-9, atol=1e-9)


def test_attribution_on_both_path_tables_agrees(engines, tmp_path):
    _, _, out, ws = engines
    local_paths = tmp_path / "local_paths.parquet"
    _local_path_table(ws).to_parquet(local_paths, index=False)
    credits = {}
    for name, table in (("local", local_paths), ("spark", out / "paths.parquet")):
        dest = tmp_path / f"{name}.csv"
        assert (
            main(
                [
                    "attribute",
                    "--config",
                    str(ws.config.path),
                    "--paths",
                    str(table),
                    "--out",
                    str(dest),
                ]
            )
            == 0
        )
        credits[name] = pd.read_csv(dest).sort_values(["model", "channel"]).reset_index(drop=True)
    a, b = credits["local"], credits["spark"]
    assert a["model"].nunique() >= 3
    assert a[["model", "channel"]].equals(b[["model", "channel"]])
    for col in ("conversions", "value"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9, atol=1e-9)


def test_workspace_reads_the_spark_tables_unchanged(engines):
    _, _, out, ws = engines
    spark_ws = Workspace.load(ws.config.path, out)
    a, b = ws.journeys(), spark_ws.journeys()
    pd.testing.assert_frame_equal(a.journeys, b.journeys)
    pd.testing.assert_frame_equal(a.touches, b.touches)


def test_manifest_lists_every_file_and_the_engine(engines):
    _, _, out, _ = engines
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    text = json.dumps(manifest)
    for name in (*TABLE_FILES, "paths"):
        assert f"{name}.parquet" in text
    assert manifest["engine"] == "spark"
    assert manifest["stitch_rounds"] >= 1


def test_ga4_goes_through_the_spark_native_reader(spark, small_project):
    """The engine routes GA4 NDJSON to Spark's own reading, and it gives the local tables."""
    from workbench.config import load_config
    from workbench.ingest.readers import read_source
    from workbench.spark.ga4 import read_ga4_spark
    from workbench.spark.readers import SPARK_READERS

    config, _ = small_project
    source = next(s for s in load_config(config).sources if s.format == "ga4")
    assert SPARK_READERS["ga4"] is read_ga4_spark
    local, native = read_source(source), read_ga4_spark(spark, source)
    assert native is not None  # NDJSON: not declined to the local reader
    assert len(local.touchpoints) > 500 and len(local.quarantine) > 0
    for name in ("touchpoints", "conversions", "identity_links", "quarantine"):
        a, b = getattr(local, name), getattr(native, name)
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(_sorted(a), _sorted(b))
    assert local.files == native.files
    assert local.warnings == native.warnings
