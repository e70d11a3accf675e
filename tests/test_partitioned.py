"""Large prepared tables as folders of Parquet part files: same frames, same readers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import workbench.partitioned as partitioned
from workbench.cli import main
from workbench.notebook.workspace import Workspace
from workbench.partitioned import part_files, read_table, table_exists, write_table
from workbench.prepare import TABLE_FILES, load_prepared, write_prepared
from workbench.store import check_prepared, read_previous_identities, verify_manifest


def _mixed(n: int) -> pd.DataFrame:
    """Every dtype a prepared table has, with a column missing only in the first rows."""
    half = n // 2
    return pd.DataFrame(
        {
            "row": np.arange(n),
            "text": pd.array([None] * (half + 7) + ["x"] * (n - half - 7), dtype="string"),
            "ts": pd.date_range("2026-01-01", periods=n, freq="min", tz="UTC"),
            "kind": pd.Categorical(["p", "q", "r"] * (n // 3) + ["p"] * (n % 3)),
            "flag": pd.array([True, None] * (n // 2) + [False] * (n % 2), dtype="boolean"),
            "count": pd.array([1, None] * (n // 2) + [3] * (n % 2), dtype="Int64"),
            "value": np.linspace(0.0, 1.0, n),
        }
    )


def test_small_table_is_one_file(tmp_path):
    frame = _mixed(30)
    assert write_table(frame, tmp_path / "t.parquet", part_rows=30) == [tmp_path / "t.parquet"]
    assert (tmp_path / "t.parquet").is_file() and table_exists(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.parquet"), frame)


def test_parts_read_back_equal_the_single_file(tmp_path):
    frame = _mixed(1205)
    write_table(frame, tmp_path / "one.parquet", part_rows=10_000)
    written = write_table(frame, tmp_path / "many.parquet", part_rows=100)
    assert written == part_files(tmp_path / "many.parquet")
    assert [p.name for p in written][:2] == ["part-00000.parquet", "part-00001.parquet"]
    assert len(written) == 13  # 12 full parts and 5 rows: order past part 9 matters
    assert [pq.read_metadata(p).num_rows for p in written] == [100] * 12 + [5]
    # one schema in every part, though the first parts hold no text at all
    assert {pq.read_schema(p).field("text").type for p in written} == {
        pq.read_schema(tmp_path / "one.parquet").field("text").type
    }
    single = read_table(tmp_path / "one.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "many.parquet"), single)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "many.parquet"), single)
    assert table_exists(tmp_path / "many.parquet") and not table_exists(tmp_path / "none.parquet")


@pytest.fixture(scope="module")
def partitioned_set(small_project, tmp_path_factory):
    """The sample's prepared set written again with parts of 500 rows (and the original)."""
    config, processed = small_project
    out = tmp_path_factory.mktemp("parts") / "processed"
    prepared = load_prepared(processed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(partitioned, "PART_ROWS", 500)
        write_prepared(prepared, out, config_path=config)
    return config, processed, out


def test_prepared_set_round_trip_with_parts(partitioned_set):
    config, processed, out = partitioned_set
    folders = [n for n in TABLE_FILES if (out / f"{n}.parquet").is_dir()]
    assert "touchpoints" in folders and "conversions" in folders
    assert len(part_files(out / "touchpoints.parquet")) >= 3
    assert verify_manifest(out) == []
    assert check_prepared(out, config, table_files=TABLE_FILES) == []
    a, b = load_prepared(processed), load_prepared(out)
    for name in TABLE_FILES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    assert a.diagnostics.keys() == b.diagnostics.keys()
    previous, note = read_previous_identities(out)
    assert note is None
    pd.testing.assert_frame_equal(previous, a.identities)


def test_workspace_and_attribute_read_the_parts(partitioned_set, tmp_path):
    config, processed, out = partitioned_set
    one, many = Workspace.load(config, processed).journeys(), Workspace.load(config, out).journeys()
    pd.testing.assert_frame_equal(one.journeys, many.journeys)
    pd.testing.assert_frame_equal(one.touches, many.touches)
    paths = pd.DataFrame(
        {
            "path": ["Email > Paid Search", "Paid Search"],
            "total_conversions": [3.0, 1.0],
            "total_conversion_value": [300.0, 50.0],
            "total_null": [10.0, 20.0],
        }
    )
    credits = {}
    for name, parts in (("file", 100), ("folder", 1)):
        write_table(paths, tmp_path / f"{name}.parquet", part_rows=parts)
        dest = tmp_path / f"{name}.csv"
        args = ["attribute", "--config", str(config), "--paths", str(tmp_path / f"{name}.parquet")]
        assert main([*args, "--out", str(dest)]) == 0
        credits[name] = pd.read_csv(dest)
    assert (tmp_path / "folder.parquet").is_dir()
    pd.testing.assert_frame_equal(credits["file"], credits["folder"])
