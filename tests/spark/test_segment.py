"""Segment JSON read by Spark itself (workbench/spark/segment.py): the local reader's tables."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import load_config
from workbench.ingest.readers import read_source
from workbench.prepare import prepare

pytestmark = pytest.mark.spark


@pytest.fixture
def native_calls(monkeypatch):
    """The sources the Spark-native Segment reader read."""
    from workbench.spark import readers
    from workbench.spark.segment import read_segment_spark

    calls = []

    def spy(spark, source):
        calls.append(source.name)
        return read_segment_spark(spark, source)

    monkeypatch.setitem(readers.SPARK_READERS, "segment", spy)
    return calls


def _segment_only(config: Path):
    cfg = load_config(config)
    sources = tuple(s for s in cfg.sources if s.format == "segment")
    return replace(cfg, sources=sources, conversions={})


def _assert_same(local, remote) -> None:
    """Every read table equal, in order, and the per-file counts and warnings."""
    for name in ("touchpoints", "conversions", "identity_links", "quarantine"):
        a, b = getattr(local, name), getattr(remote, name)
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_sample_segment_source_read_by_spark_alike(spark, small_project):
    """The sample's Segment source (product B): the local reader's tables, row for row."""
    from workbench.spark.readers import SPARK_READERS
    from workbench.spark.segment import read_segment_spark

    config, _ = small_project
    (source,) = _segment_only(config).sources
    assert SPARK_READERS["segment"] is read_segment_spark
    local, native = read_source(source), read_segment_spark(spark, source)
    sessions = local.touchpoints[local.touchpoints["touch_type"] == "session"]
    assert len(sessions) > 50 and len(local.identity_links) > 20
    _assert_same(local, native)
    assert local.files == native.files
    assert local.warnings == native.warnings


def _bad_segment_project(small_project, folder: Path) -> tuple[Path, int, list[str]]:
    """A copy of the small project whose Segment export is one file with bad lines.

    Returns the config, the line number before the first inserted line and the lines.
    """
    config, _ = small_project
    text = Path(config).read_text(encoding="utf-8")
    sample = Path(config).parent / "sample"
    data = folder / "sample"
    shutil.copytree(sample / "segment", data / "segment")
    new = folder / "workbench.toml"
    new.write_text(text.replace(str(sample), str(data)), encoding="utf-8")
    files = sorted((data / "segment").glob("*.jsonl"))
    lines = [line for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    for f in files:
        f.unlink()
    repeat_id = json.loads(lines[5])
    repeat_id["timestamp"] = "2026-01-03T00:00:00Z"  # another line, the same messageId
    unknown = {**json.loads(lines[6]), "type": "explode", "messageId": "m-unknown"}
    bad = [
        '{"type": "page", "anonymousId": "a-1", "timestamp": ',
        "not json",
        "",
        "   ",
        "[1, 2]",
        '{"type": "track"}{"type": "page"}',
    ]
    at = len(lines) // 2
    extra = [lines[3], bad[1], json.dumps(repeat_id), json.dumps(unknown)]
    lines = lines[:at] + bad + extra + lines[at:]
    (data / "segment" / "calls.jsonl").write_text("\ufeff" + "\n".join(lines) + "\n")
    return new, at, lines


def test_bad_lines_split_over_partitions_are_quarantined_alike(
    spark, small_project, tmp_path, native_calls
):
    """One Segment file cut into many Spark partitions: the same quarantine rows and tables."""
    from workbench.spark.engine import spark_steps

    config, at, _ = _bad_segment_project(small_project, tmp_path)
    cfg = _segment_only(config)
    path = cfg.data_dir / "segment" / "calls.jsonl"
    key = "spark.sql.files.maxPartitionBytes"
    before = spark.conf.get(key)
    spark.conf.set(key, str(max(4096, path.stat().st_size // 7)))
    try:
        n_parts = spark.read.text(str(path)).rdd.getNumPartitions()
        remote = prepare(cfg, steps=spark_steps(spark)[0])
    finally:
        spark.conf.set(key, before)
    local = prepare(cfg)
    assert n_parts >= 5
    assert native_calls == ["product_b"]
    q = local.quarantine
    rows = lambda reason: set(q.loc[q["reason"] == reason, "source_row"])  # noqa: E731
    # the cut line, "not json", "[1, 2]", two objects on a line; blank lines are no rows
    assert {at + 1, at + 2, at + 5, at + 6} <= rows("unparseable JSON")
    assert {at + 3, at + 4}.isdisjoint(set(q["source_row"]))
    # the repeated line, the repeated bad line and the repeated messageId
    assert {at + 7, at + 8, at + 9} <= rows("duplicate event")
    assert at + 10 in rows("unknown Segment call type")
    for name in ("quarantine", "touchpoints", "conversions", "identity_links"):
        pd.testing.assert_frame_equal(
            getattr(local, name).reset_index(drop=True),
            getattr(remote, name).reset_index(drop=True),
        )
