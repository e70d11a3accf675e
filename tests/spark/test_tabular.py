"""CSV and the other tabular exports read by Spark (workbench/spark/tabular.py): the local tables."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import SourceConfig, load_config
from workbench.errors import ValidationError
from workbench.ingest.readers import read_source

pytestmark = pytest.mark.spark

_TABLES = ("touchpoints", "conversions", "identity_links", "spend", "quarantine")


def _assert_same(local, native) -> None:
    """Every table equal in order (incl. quarantine and the CRM attributes), files, warnings."""
    for name in (*_TABLES, "accounts", "contacts"):
        a, b = getattr(local, name), getattr(native, name)
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    assert local.files == native.files
    assert local.warnings == native.warnings


def test_every_tabular_source_of_the_sample_read_by_spark_alike(spark, small_project):
    from workbench.spark.readers import SPARK_READERS
    from workbench.spark.tabular import read_tabular_spark

    config, _ = small_project
    sources = [s for s in load_config(config).sources if s.format not in ("ga4", "segment")]
    assert len(sources) >= 10
    quarantined = 0
    for source in sources:
        assert SPARK_READERS[source.format] is read_tabular_spark, source.format
        local, native = read_source(source), read_tabular_spark(spark, source)
        assert sum(len(getattr(local, t)) for t in _TABLES[:-1]) + len(local.accounts) > 0
        quarantined += len(local.quarantine)
        _assert_same(local, native)
    assert quarantined > 0  # the sample's bad rows are among them


_COLUMNS = {
    "ts": ["when"],
    "anonymous_id": ["id"],
    "touch_type": ["kind"],
    "campaign": ["campaign"],
}
_HEADER = "when,id,kind,campaign"


def _rows(n: int) -> list[str]:
    return [f"2026-11-{1 + i % 28:02d} 10:00,c{i},visit,Campaign {i}" for i in range(n)]


def _generic(base: Path, path: str) -> SourceConfig:
    return SourceConfig(
        name="g",
        format="csv",
        path=path,
        base_dir=base,
        table="touchpoints",
        columns=_COLUMNS,  # type: ignore[arg-type]
    )


def test_damaged_csv_files_give_the_same_quarantine(spark, tmp_path):
    """A quote storm, a row with extra fields, blank lines, an unterminated quote, a BOM and
    a gzip file: the same rows, row numbers and reasons as locally."""
    from workbench.spark.tabular import read_tabular_spark

    storm = _rows(300)
    storm[9] = storm[9].replace("Campaign 9", '"Campaign 9')  # file line 11
    storm[109] = storm[109].replace("Campaign 109", 'Campaign" 109')  # file line 111
    storm[200] += ",extra,fields"  # file line 202
    storm[260:260] = ["", ",,,"]  # blank rows
    (tmp_path / "a_storm.csv").write_text(
        "\ufeff" + _HEADER + "\n" + "\n".join(storm) + "\n", encoding="utf-8"
    )
    cut = _rows(10)
    cut[6] = '2026-11-07 10:00,c6,visit,"never closed'
    (tmp_path / "b_cut.csv").write_text(_HEADER + "\n" + "\n".join(cut) + "\n")
    zipped = gzip.compress((_HEADER + "\n" + "\n".join(_rows(20)) + "\n").encode())
    (tmp_path / "c_zipped.csv.gz").write_bytes(zipped)
    source = _generic(tmp_path, "*.csv*")
    local, native = read_source(source), read_tabular_spark(spark, source)
    q = local.quarantine
    reasons = set(q["reason"])
    assert {
        "unbalanced quote swallowed lines into one field",
        "wrong number of fields",
        "unterminated quote",
    } <= reasons
    assert set(q["source_file"]) >= {"a_storm.csv", "b_cut.csv"}
    assert len(local.touchpoints) > 200
    _assert_same(local, native)


def test_missing_column_in_one_file_is_the_same_error(spark, tmp_path):
    from workbench.spark.tabular import read_tabular_spark

    (tmp_path / "a.csv").write_text(_HEADER + "\n" + "\n".join(_rows(5)) + "\n")
    (tmp_path / "b.csv").write_text("when,id,campaign\n2026-11-01 10:00,c1,x\n")
    source = _generic(tmp_path, "*.csv")
    with pytest.raises(ValidationError) as local:
        read_source(source)
    with pytest.raises(ValidationError) as remote:
        read_tabular_spark(spark, source)
    assert "b.csv" in str(local.value)
    assert str(remote.value) == str(local.value)
