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


@pytest.fixture
def native_calls(monkeypatch):
    """The sources the Spark-native GA4 reader read (it must not decline them)."""
    from workbench.spark import readers

    calls = []

    def spy(spark, source):
        result = readers.read_ga4_spark(spark, source)
        calls.append((source.name, result is not None))
        return result

    monkeypatch.setitem(readers.SPARK_READERS, "ga4", spy)
    return calls


def test_malformed_json_lines_are_quarantined_alike(spark, tiny, native_calls):
    from workbench.spark.engine import spark_steps

    cfg = _only(tiny, "ga4")
    first = sorted((cfg.data_dir / "ga4").glob("*.ndjson"))[0]
    with first.open("a", encoding="utf-8") as f:
        f.write('{"event_name": "page_view", "event_timestamp": \n')  # cut off
        f.write("not json at all\n")
        f.write('{"event_name": "session_start"}}\n')
    local = prepare(cfg)
    remote = prepare(cfg, steps=spark_steps(spark)[0])
    assert native_calls == [("ga4", True)]
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


def _bad_lines_project(tiny: Path, folder: Path) -> tuple[Path, int]:
    """A copy of the tiny project whose GA4 export is one file with bad, blank, repeated lines.

    Returns the config and the line number before the first inserted line.
    """
    import shutil

    text = tiny.read_text(encoding="utf-8")
    sample = tiny.parent / "sample"
    data = folder / "sample"
    shutil.copytree(sample, data)
    config = folder / "workbench.toml"
    config.write_text(text.replace(str(sample), str(data)), encoding="utf-8")
    files = sorted((data / "ga4").glob("*.ndjson"))
    lines = [line for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    for f in files:
        f.unlink()
    bad = ['{"event_name": "purchase", "event_timestamp": ', "not json", "", "  ", "[1, 2]"]
    at = len(lines) // 2
    lines = lines[:at] + bad + [lines[3], bad[1]] + lines[at:]
    (data / "ga4" / "events_all.ndjson").write_text("\ufeff" + "\n".join(lines) + "\n")
    return config, at


def _assert_same_read(local, remote) -> None:
    """The quarantine and the read tables are equal, in order."""
    for name in ("quarantine", "touchpoints", "conversions", "identity_links"):
        pd.testing.assert_frame_equal(
            getattr(local, name).reset_index(drop=True),
            getattr(remote, name).reset_index(drop=True),
        )


def _spark_prepare(spark, cfg, split_bytes: int, kind: str, files: Path):
    """(partitions Spark cuts ``files`` into, the Spark prepare) with files split at ``split_bytes``."""
    from workbench.spark.engine import spark_steps

    key = "spark.sql.files.maxPartitionBytes"
    before = spark.conf.get(key)
    spark.conf.set(key, str(split_bytes))
    try:
        n_parts = getattr(spark.read, kind)(str(files)).rdd.getNumPartitions()
        return n_parts, prepare(cfg, steps=spark_steps(spark)[0])
    finally:
        spark.conf.set(key, before)


def test_one_file_split_over_tasks_keeps_exact_line_numbers(spark, tiny, tmp_path, native_calls):
    """A file cut into many Spark partitions: the same quarantine rows and tables as locally."""

    config, at = _bad_lines_project(tiny, tmp_path)
    cfg = _only(config, "ga4")
    size = (cfg.data_dir / "ga4" / "events_all.ndjson").stat().st_size
    n_parts, remote = _spark_prepare(spark, cfg, max(4096, size // 7), "text", cfg.data_dir / "ga4")
    local = prepare(cfg)
    assert n_parts >= 5
    assert native_calls == [("ga4", True)]
    q = local.quarantine
    rows = lambda reason: set(q.loc[q["reason"] == reason, "source_row"])  # noqa: E731
    # the cut line, "not json" and "[1, 2]"; blank lines are no rows
    assert {at + 1, at + 2, at + 5} <= rows("unparseable JSON")
    assert {at + 3, at + 4}.isdisjoint(set(q["source_row"]))
    # the repeated event and the repeated bad line
    assert {at + 6, at + 7} <= rows("duplicate event")
    _assert_same_read(local, remote)


def _objects(data: bytes) -> list[bytes]:
    """The lines of ``data`` that are JSON objects (valid UTF-8)."""
    import json

    out = []
    for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        try:
            if isinstance(json.loads(line.decode("utf-8")), dict):
                out.append(line)
        except ValueError:
            continue
    return out


def test_parquet_export_read_by_spark_alike(spark, tiny, tmp_path, native_calls):
    """GA4 Parquet files (one with repeated rows, split over partitions): the local tables."""
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    from workbench.ingest.readers._ga4_events import modes

    config, _ = _bad_lines_project(tiny, tmp_path)
    cfg = _only(config, "ga4")
    folder = cfg.data_dir / "ga4"
    options = pj.ParseOptions(explicit_schema=modes()[0].schema, unexpected_field_behavior="ignore")
    good = folder / "good.ndjson"
    good.write_bytes(b"\n".join(_objects((folder / "events_all.ndjson").read_bytes())) + b"\n")
    table = pj.read_json(good, parse_options=options)
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), folder / "a.parquet", row_group_size=50)
    repeated = pa.concat_tables([table.slice(half), table.slice(half, 3)])
    pq.write_table(repeated, folder / "b.parquet", row_group_size=50)
    cfg = replace(cfg, sources=(replace(cfg.sources[0], path="ga4/*.parquet"),))
    n_parts, remote = _spark_prepare(spark, cfg, 16384, "parquet", folder / "*.parquet")
    local = prepare(cfg)
    assert n_parts >= 2
    assert native_calls == [("ga4", True)]
    q = local.quarantine
    repeats = q[q["reason"] == "duplicate event"]
    assert set(repeats.loc[repeats["source_file"] == "ga4/b.parquet", "source_row"]) >= {
        table.num_rows - half + 1,
        table.num_rows - half + 3,
    }
    assert len(local.touchpoints) > 100
    _assert_same_read(local, remote)


REAL_GA4 = Path(__file__).parents[1] / "data" / "ga4_real"


def test_parquet_from_another_converter_is_read_by_the_local_reader(spark, tmp_path):
    """Null-typed and timestamp columns (not the export's types): declined, read locally alike.

    The real web slice converted row by row: ``user_id``, ``ecommerce`` and the
    always-empty ``user_properties`` (``list<null>``) are null-typed, and
    ``event_timestamp`` is a Parquet timestamp. Spark's explicit-schema read
    rejects those files; the source is declined and read by the local reader in
    a task, which gives the local tables.
    """
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from workbench.config import SourceConfig
    from workbench.ingest.readers import read_source
    from workbench.spark.ga4 import _misfits, read_ga4_spark
    from workbench.spark.readers import read_sources

    lines = (REAL_GA4 / "web_events.ndjson").read_text().splitlines()
    rows = [{k: None if v == "null" else v for k, v in json.loads(x).items()} for x in lines]
    table = pa.Table.from_pylist(rows)
    i = table.column_names.index("event_timestamp")
    stamps = pc.cast(table["event_timestamp"], pa.timestamp("us"))
    pq.write_table(table.set_column(i, "event_timestamp", stamps), tmp_path / "e.parquet")
    ids = {"ga_session_id": "crm_contact_id"}
    source = SourceConfig(
        name="ga4", format="ga4", path="e.parquet", base_dir=tmp_path, options={"identifiers": ids}
    )
    misfits = _misfits(spark, [str(tmp_path / "e.parquet")], ("ga_session_id",))
    assert {"event_timestamp", "user_id", "ecommerce", "user_properties"} <= set(misfits)
    assert read_ga4_spark(spark, source) is None
    (remote,) = read_sources(spark, [source])
    local = read_source(source)
    assert len(local.touchpoints) > 100 and len(local.identity_links) > 0
    pd.testing.assert_frame_equal(remote.touchpoints, local.touchpoints)
    pd.testing.assert_frame_equal(remote.identity_links, local.identity_links)
    # files whose types conflict cannot even be merged: declined as well
    one = pa.table({"event_timestamp": pa.array([1], pa.int64()), "user_id": pa.array(["a"])})
    two = pa.table({"event_timestamp": pa.array([1], pa.int64()), "user_id": pa.array([5])})
    pq.write_table(one, tmp_path / "one.parquet")
    pq.write_table(two, tmp_path / "two.parquet")
    conflict = _misfits(spark, [str(tmp_path / "one.parquet"), str(tmp_path / "two.parquet")], ())
    assert len(conflict) == 1 and conflict[0].startswith("(schemas do not merge")
