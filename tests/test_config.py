"""Config file errors: each names the key, the value and the allowed values."""

from __future__ import annotations

import pytest

from workbench.config import load_config, parse_config
from workbench.errors import ConfigError
from workbench.paths import default_config_path


def _errors(data):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    return err.value.problems


def test_bundled_config_is_valid():
    cfg = load_config(default_config_path())
    assert cfg.sources, "the bundled config names the sample's sources"
    assert {s.format for s in cfg.sources} >= {"ga4", "hubspot_contacts", "linkedin_spend"}


def test_unknown_key_suggests_the_right_one():
    (msg,) = _errors({"project": {"timezon": "UTC"}})
    assert "unknown key 'timezon' in [project] (did you mean 'timezone'?)" in msg
    assert "allowed keys:" in msg


def test_unknown_top_level_section():
    (msg,) = _errors({"sorces": []})
    assert "unknown key 'sorces' in the top level (did you mean 'sources'?)" in msg


def test_bad_format_lists_allowed_values():
    (msg,) = _errors({"sources": [{"name": "x", "format": "ga5", "path": "a/*.json"}]})
    assert "sources[0] (x).format = 'ga5' is not allowed; allowed values: csv," in msg
    assert "ga4" in msg


def test_every_problem_is_reported_at_once():
    problems = _errors(
        {
            "project": {"timezone": "Nowhere/City"},
            "sources": [{"format": "csv", "path": "x.csv"}],
            "journeys": {"lookback_days": 0, "path_level": "keyword", "unit": "team"},
            "identity": {"limits": {"anonymous_id": {"user_id": 0}}},
        }
    )
    text = "\n".join(problems)
    assert "project.timezone = 'Nowhere/City' is not a known IANA timezone" in text
    assert "sources[0]: missing required key 'name'" in text
    assert (
        "format 'csv' needs table = one of touchpoints, conversions, spend, identity_links" in text
    )
    assert "format 'csv' needs a [sources.columns] mapping" in text
    assert "journeys.lookback_days = 0; expected a whole number of days >= 1" in text
    assert (
        "journeys.path_level = 'keyword' is not allowed; allowed values: channel, platform" in text
    )
    assert "journeys.unit = 'team' is not allowed; allowed values: person, account" in text
    assert "identity.limits.anonymous_id.user_id = 0; expected a whole number >= 1" in text


def test_generic_csv_mapping_checks_canonical_names():
    (msg,) = _errors(
        {
            "sources": [
                {
                    "name": "crm",
                    "format": "csv",
                    "path": "x.csv",
                    "table": "touchpoints",
                    "columns": {"timestamp": "Time"},
                }
            ]
        }
    )
    assert "'timestamp' is not a column of the touchpoints table" in msg


def test_wrong_type_is_named():
    (msg,) = _errors({"journeys": {"collapse_repeats": "yes"}})
    assert "journeys.collapse_repeats = 'yes' has the wrong type; expected true or false" == msg


def test_bad_regex_in_channel_rule():
    (msg,) = _errors({"channel_rules": [{"channel": "X", "source": "("}]})
    assert "channel_rules[0].source = '(' is not a valid regular expression" in msg


def test_segment_without_filter():
    (msg,) = _errors({"segments": {"smb": {"label": "SMB"}}})
    assert "segments.smb: missing required key 'filter'" in msg


def test_duplicate_source_names():
    problems = _errors(
        {
            "sources": [
                {"name": "a", "format": "ga4", "path": "x"},
                {"name": "a", "format": "ga4", "path": "y"},
            ]
        }
    )
    assert problems == ["sources: the name 'a' is used more than once; names must be unique"]


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[project\nname = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    f = tmp_path / "workbench.toml"
    f.write_text(
        '[project]\ndata_dir = "exports"\n[[sources]]\nname = "g"\nformat = "ga4"\n'
        'path = "ga4/*.ndjson"\n'
    )
    (tmp_path / "exports" / "ga4").mkdir(parents=True)
    (tmp_path / "exports" / "ga4" / "events_20260101.ndjson").write_text("{}\n")
    cfg = load_config(f)
    assert cfg.data_dir == tmp_path / "exports"
    assert [p.name for p in cfg.source("g").files()] == ["events_20260101.ndjson"]
    with pytest.raises(ConfigError, match="no source named 'x'; configured sources: g"):
        cfg.source("x")
