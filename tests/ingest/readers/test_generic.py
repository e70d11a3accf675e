"""Generic CSV/Parquet reader, read_source dispatch, and the shared CSV machinery."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.config import FORMATS, SourceConfig
from workbench.errors import ConfigError, ValidationError
from workbench.identifiers import sha256_hex
from workbench.ingest.readers import READERS, ReadResult, read_source

COLUMNS = {
    "ts": ["when", "event_time"],
    "anonymous_id": ["client_id", "clientId"],
    "touch_type": ["kind"],
    "campaign": ["utm_campaign"],
    "email": ["email"],
}
NO_EMAIL = {k: v for k, v in COLUMNS.items() if k != "email"}


def generic(tmp_path: Path, path: str, **kw: object) -> SourceConfig:
    settings: dict[str, object] = {"table": "touchpoints", "columns": COLUMNS}
    settings.update(kw)
    return SourceConfig(name="g", format="csv", path=path, base_dir=tmp_path, **settings)  # type: ignore[arg-type]


def test_every_configured_format_has_a_reader() -> None:
    assert sorted(READERS) == sorted(FORMATS)


def test_aliases_absorb_schema_drift_with_warnings(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        "when,client_id,kind,utm_campaign,email\n"
        "2026-11-01 10:00,c1,ad_click,brand, A@B.com\n"
        "bad,c2,ad_click,brand,\n"
    )
    (tmp_path / "b.csv").write_text("event_time,clientId,kind\n2026-11-02T10:00:00+01:00,c3,\n")
    result = read_source(generic(tmp_path, "*.csv", constants={"touch_type": "visit"}))
    tp = result.touchpoints
    assert tp["anonymous_id"].tolist() == ["c1", "c3"]
    assert tp["touch_type"].tolist() == ["ad_click", "visit"]  # constant fills the gap
    assert tp["email"].iloc[0] == sha256_hex("a@b.com") and pd.isna(tp["email"].iloc[1])
    assert tp["ts"].tolist() == [
        pd.Timestamp("2026-11-01 10:00", tz="UTC"),
        pd.Timestamp("2026-11-02 09:00", tz="UTC"),
    ]
    assert result.quarantine[["source_file", "source_row", "reason", "value"]].values.tolist() == [
        ["a.csv", 3, "unparseable or missing timestamp", "bad"]
    ]
    text = " | ".join(result.warnings)
    assert (
        "'anonymous_id' has different names across files: 'client_id' in a.csv; 'clientId' in b.csv"
        in text
    )
    assert "'campaign' (sources.columns.campaign) was not found in b.csv" in text


def test_missing_required_column_names_file_column_and_key(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("when,client_id,kind\n2026-11-01,c1,x\n")
    (tmp_path / "c.csv").write_text("clientId,kind\nc4,x\n")
    with pytest.raises(ValidationError) as err:
        read_source(generic(tmp_path, "*.csv"))
    text = str(err.value)
    assert "c.csv" in text and "required column 'ts' not found" in text
    assert 'set sources.columns.ts = ["<name in your file>"]' in text
    assert "a.csv" not in text


def test_parquet_spend_with_source_platform(tmp_path: Path) -> None:
    table = pa.table(
        {
            "Day": ["2026-11-01", "2026-11-02", "2026-11-03"],
            "Spent": [10.0, None, 3.5],
            "Campaign": ["A", "A", "B"],
        }
    )
    pq.write_table(table, tmp_path / "spend.parquet")
    source = SourceConfig(
        name="tiktok",
        format="csv",
        path="spend.parquet",
        base_dir=tmp_path,
        table="spend",
        columns={"date": ["Day"], "spend": ["Spent"], "campaign": ["Campaign"]},
        platform="tiktok",
    )
    result = read_source(source)
    assert result.spend[["date", "platform", "spend"]].values.tolist() == [
        [pd.Timestamp("2026-11-01"), "tiktok", 10.0],
        [pd.Timestamp("2026-11-03"), "tiktok", 3.5],
    ]
    assert result.spend["source_row"].tolist() == [1, 3]
    assert result.quarantine[["source_row", "reason"]].values.tolist() == [
        [2, "missing or non-numeric spend"]
    ]


def test_identity_links_hash_emails_by_type(tmp_path: Path) -> None:
    (tmp_path / "links.csv").write_text(
        "type_a,value_a,type_b,value_b\n"
        "user_id,U1,email,Ann@Example.com\n"
        "user_id,U2,phone,(415) 555-0123\n"
        "user_id,U3,email,\n"
    )
    source = SourceConfig(
        name="links",
        format="csv",
        path="links.csv",
        base_dir=tmp_path,
        table="identity_links",
        columns={
            "id_type_a": ["type_a"],
            "id_value_a": ["value_a"],
            "id_type_b": ["type_b"],
            "id_value_b": ["value_b"],
        },
        constants={"link_type": "crm_record"},
    )
    result = read_source(source)
    assert result.identity_links["id_value_b"].tolist() == [
        sha256_hex("ann@example.com"),
        sha256_hex("+14155550123"),
    ]
    assert result.quarantine["reason"].tolist() == ["identity link with a missing identifier"]


def test_read_source_errors_name_source_glob_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"source 'g' .*path 'nothing\*.csv' matches no file in"):
        read_source(generic(tmp_path, "nothing*.csv"))
    bogus = SourceConfig(name="x", format="nope", path="*.csv", base_dir=tmp_path)
    with pytest.raises(ConfigError, match="no reader for format 'nope'; available: csv, "):
        read_source(bogus)


def test_csv_row_numbers_count_title_blank_and_multiline_rows(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        "Export of touches\n"
        "\n"
        "when,client_id,kind,utm_campaign\n"
        '2026-11-01,c1,x,"two\nlines"\n'
        "\n"
        "2026-11-02,c2,x,plain,too,many\n"
        "2026-11-03,c3,x,plain\n",
        encoding="cp1252",
    )
    result = read_source(generic(tmp_path, "a.csv", columns=NO_EMAIL))
    assert result.touchpoints["source_row"].tolist() == [4, 8]
    assert result.quarantine[["source_row", "reason"]].values.tolist() == [
        [7, "wrong number of fields"]
    ]
    assert result.files[0]["blank_rows"] == 1


def test_non_utf8_text_falls_back_to_cp1252_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(
        "when,client_id,kind,utm_campaign\n2026-11-01,c1,x,Café\n".encode("cp1252")
    )
    result = read_source(generic(tmp_path, "a.csv", columns=NO_EMAIL))
    assert result.touchpoints["campaign"].item() == "Café"
    assert any("cp1252" in w for w in result.warnings)


def test_read_result_defaults_are_empty_canonical_tables() -> None:
    result = ReadResult()
    assert result.touchpoints.empty and result.accounts.empty and result.contacts.empty
    assert "crm_account_id" in result.accounts.columns
    assert "crm_contact_id" in result.contacts.columns


def test_a_mapping_that_matches_no_file_is_an_error_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("when,client_id,kind,utm_campaign,e-mail\n2026-11-01,c1,x,b,\n")
    with pytest.raises(ConfigError) as err:
        read_source(generic(tmp_path, "a.csv"))
    text = str(err.value)
    assert "email = ['email'] names no column of the files (did you mean 'e-mail'?)" in text


def test_parquet_integer_ids_with_gaps_read_as_the_csv_spells_them(tmp_path: Path) -> None:
    """pandas turns an int64 column with nulls into float64: 40000000001 must not become '...1.0'."""
    table = pa.table(
        {
            "when": ["2026-11-01 10:00", "2026-11-02 10:00", "2026-11-03 10:00"],
            "kind": ["purchase"] * 3,
            "contact": pa.array([40000000001, None, 40000000003], pa.int64()),
            "order": pa.array([7.0, None, 9.0]),  # written by pandas from ints with a gap
            "amount": [10.5, 20.0, 30.0],
        }
    )
    pq.write_table(table, tmp_path / "orders.parquet")
    columns = {
        "ts": ["when"],
        "conversion_type": ["kind"],
        "crm_contact_id": ["contact"],
        "conversion_id": ["order"],
        "value": ["amount"],
    }
    conv = read_source(
        generic(tmp_path, "orders.parquet", table="conversions", columns=columns)
    ).conversions.sort_values("ts")
    assert conv["crm_contact_id"].tolist() == ["40000000001", "40000000003"]
    assert conv["conversion_id"].tolist() == ["7", "9"]
    assert conv["value"].tolist() == [10.5, 30.0]
