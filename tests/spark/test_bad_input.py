"""Bad input under --engine spark: the same quarantine rows and the same errors as locally."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import load_config
from workbench.errors import ValidationError
from workbench.prepare import prepare

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A 40-person sample project; returns its config path."""
    from workbench.cli.demo import with_project_paths
    from workbench.paths import default_config_path
    from workbench.sample import generate_sample

    folder = tmp_path_factory.mktemp("bad")
    sample = folder / "sample"
    generate_sample(sample, people=40, seed=5)
    text = with_project_paths(
        default_config_path().read_text(encoding="utf-8"),
        data_dir=sample,
        processed_dir=folder / "processed",
        truth_dir=sample / "_truth",
        reports_dir=folder / "reports",
    )
    config = folder / "workbench.toml"
    config.write_text(text, encoding="utf-8")
    return config


def _only(config: Path, name: str):
    """The config with only source ``name`` (keeps the Spark runs short)."""
    cfg = load_config(config)
    return replace(cfg, sources=tuple(s for s in cfg.sources if s.name == name), conversions={})


def test_malformed_json_lines_are_quarantined_alike(spark, tiny):
    from workbench.spark.engine import spark_steps

    cfg = _only(tiny, "ga4")
    first = sorted((cfg.data_dir / "ga4").glob("*.ndjson"))[0]
    with first.open("a", encoding="utf-8") as f:
        f.write('{"event_name": "page_view", "event_timestamp": \n')  # cut off
        f.write("not json at all\n")
        f.write('{"event_name": "session_start"}}\n')
    local = prepare(cfg)
    remote = prepare(cfg, steps=spark_steps(spark)[0])
    q_local, q_spark = local.quarantine, remote.quarantine
    bad = q_local[q_local["source_file"].astype(str).str.endswith(first.name)]
    lines = sum(1 for _ in first.open(encoding="utf-8"))
    unparseable = bad[bad["reason"] == "unparseable JSON"]
    # the three lines, with their line numbers
    assert unparseable["source_row"].tolist() == [lines - 2, lines - 1, lines]
    pd.testing.assert_frame_equal(q_local.reset_index(drop=True), q_spark.reset_index(drop=True))
    pd.testing.assert_frame_equal(
        local.touchpoints.reset_index(drop=True), remote.touchpoints.reset_index(drop=True)
    )


def test_missing_required_column_is_the_same_error(spark, tiny):
    from workbench.spark.engine import prepare_spark

    cfg = _only(tiny, "meta_spend")
    report = cfg.data_dir / "meta" / "ads_manager_export.csv"
    frame = pd.read_csv(report)
    frame.drop(columns=[c for c in frame.columns if c.startswith("Amount spent")]).to_csv(
        report, index=False
    )
    with pytest.raises(ValidationError) as local:
        prepare(cfg)
    with pytest.raises(ValidationError) as remote:
        prepare_spark(cfg, spark=spark)
    assert "Amount spent" in str(local.value) or "spend" in str(local.value)
    assert type(remote.value) is type(local.value)
    assert str(remote.value) == str(local.value)
    assert remote.value.problems == local.value.problems
