"""Strict config: no setting a reader would ignore passes silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import SourceConfig, parse_config
from workbench.errors import ConfigError
from workbench.identifiers import sha256_hex
from workbench.ingest.readers import read_source
from workbench.ingest.readers.base import READER_OPTIONS
from workbench.ingest.readers.options import check_options

META = (
    "Reporting starts,Reporting ends,Campaign name,Amount spent (USD),Link clicks\n"
    "2026-03-01,2026-03-01,Brand,10.5,7\n"
)


def _src(tmp_path: Path, fmt: str, body: str = META, **kw: object) -> SourceConfig:
    (tmp_path / "f.csv").write_text(body, encoding="utf-8")
    return SourceConfig(name="s", format=fmt, path="f.csv", base_dir=tmp_path, **kw)  # type: ignore[arg-type]


def test_unknown_source_options_are_errors_with_did_you_mean(tmp_path: Path) -> None:
    src = _src(tmp_path, "hubspot_deals", options={"won_stage": ["closedwon"]})
    with pytest.raises(ConfigError) as err:
        read_source(src)
    assert "unknown key 'won_stage' in [sources.options] of source 's'" in str(err.value)
    assert "did you mean 'won_stages'?" in str(err.value)


def test_every_source_is_checked_at_once() -> None:
    sources = [
        SourceConfig(name="a", format="ga4", path="x", base_dir=Path("."), options={"pagevews": 1}),
        SourceConfig(name="b", format="email_activity", path="x", base_dir=Path("."),
                     options={"action": {}}),
    ]  # fmt: skip
    with pytest.raises(ConfigError) as err:
        check_options(sources)
    assert len(err.value.problems) == 2
    assert "'pageviews'" in str(err.value) and "'actions'" in str(err.value)


def test_each_reader_declares_the_common_options() -> None:
    for fmt, allowed in READER_OPTIONS.items():
        assert {"phone_region", "max_quarantine_share"} <= allowed, fmt
    assert "keep_duplicate_rows" in READER_OPTIONS["meta_spend"]
    assert "keep_duplicate_rows" not in READER_OPTIONS["ga4"]


def test_constants_table_and_columns_where_the_reader_ignores_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="constants are only used by format 'csv'"):
        read_source(_src(tmp_path, "meta_spend", constants={"platform": "x"}))
    with pytest.raises(ConfigError, match="no header to map"):
        read_source(_src(tmp_path, "ga4", columns={"ts": ["when"]}))


def test_a_misspelled_optional_column_mapping_is_an_error(tmp_path: Path) -> None:
    src = _src(tmp_path, "meta_spend", columns={"Link clicks": ["Link clickz"]})
    with pytest.raises(ConfigError) as err:
        read_source(src)
    text = str(err.value)
    assert "Link clicks = ['Link clickz'] names no column of the files" in text
    assert "did you mean 'Link clicks'?" in text
    ok = read_source(_src(tmp_path, "meta_spend", columns={"Link clicks": ["Link clicks"]}))
    assert ok.spend["clicks"].tolist() == [7.0]


def test_a_mapping_key_that_is_not_a_column_of_the_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'Link clicks'"):
        read_source(_src(tmp_path, "meta_spend", columns={"Link click": ["Link clicks"]}))


def test_missing_optional_columns_are_one_line(tmp_path: Path) -> None:
    result = read_source(_src(tmp_path, "meta_spend"))
    lines = [w for w in result.warnings if "optional column" in w]
    assert len(lines) == 1
    assert lines[0].startswith("source 's': 8 optional column(s) not in the files, left empty:")
    assert "'Campaign ID'" in lines[0] and "'Reach'" in lines[0]


def test_attribution_keys_are_checked() -> None:
    with pytest.raises(ConfigError, match="did you mean 'half_life_days'"):
        parse_config({"attribution": {"half_life_day": 7}})
    cfg = parse_config({"attribution": {"half_life_days": 7, "min_conversions": 10}})
    assert cfg.attribution.options["half_life_days"] == 7


def test_default_phone_region_is_used_by_the_readers(tmp_path: Path) -> None:
    body = "Record ID,Email,Phone Number,Create Date\n1,a@b.com,020 7946 0018,2026-01-01\n"
    cfg = parse_config(
        {
            "project": {"default_phone_region": "GB", "data_dir": str(tmp_path)},
            "sources": [
                {
                    "name": "c",
                    "format": "hubspot_contacts",
                    "path": "c.csv",
                    "options": {"conversion_dates": {}},
                }
            ],
        }
    )
    (tmp_path / "c.csv").write_text(body)
    links = read_source(cfg.sources[0]).identity_links
    phone = links.loc[links["id_type_b"] == "phone", "id_value_b"].item()
    assert phone == sha256_hex("+442079460018")


def test_generic_constants_must_be_columns_of_the_table() -> None:
    source = {
        "name": "g",
        "format": "csv",
        "path": "x.csv",
        "table": "touchpoints",
        "columns": {"ts": "when"},
        "constants": {"touch_typ": "ad_click"},
    }
    with pytest.raises(ConfigError, match="did you mean 'touch_type'"):
        parse_config({"sources": [source]})
