"""`prepare` checks the whole config against the data it read (workbench.report.preflight)."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest

from workbench.cli.demo import with_project_paths
from workbench.cli.main import main
from workbench.config import load_config
from workbench.errors import ConfigError
from workbench.paths import default_config_path
from workbench.prepare import load_prepared, prepare
from workbench.report.preflight import check_config, raise_for_errors, summary_lines

GA4_REAL = Path(__file__).parents[1] / "data" / "ga4_real"


def _sections(findings, level):
    return {f.section for f in findings if f.level == level}


def _edit(config: Path, folder: Path, name: str, edit) -> Path:
    path = folder / name
    path.write_text(edit(config.read_text(encoding="utf-8")), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample_tables(small_project):
    return load_prepared(small_project[1])


def test_the_sample_config_fits_the_sample(small_project, sample_tables):
    findings = check_config(load_config(small_project[0]), sample_tables)
    assert not [f for f in findings if f.level == "error"]
    assert "conversions" not in _sections(findings, "empty")
    assert "spend" not in _sections(findings, "empty")
    assert "[segments]" not in _sections(findings, "empty")
    assert "[project] truth_dir" not in _sections(findings, "empty")


def test_a_broken_segment_filter_is_an_error_naming_key_and_columns(
    small_project, sample_tables, tmp_path
):
    config = _edit(
        small_project[0],
        tmp_path,
        "bad.toml",
        lambda t: t.replace("filter = \"region == 'NA'\"", 'filter = "employes > 5"'),
    )
    findings = check_config(load_config(config), sample_tables)
    errors = [f for f in findings if f.level == "error"]
    assert [f.section for f in errors] == ["[segments.north_america] filter"]
    assert "'employes > 5' cannot be evaluated" in errors[0].message
    assert "available columns:" in errors[0].message and "customer_type" in errors[0].message
    with pytest.raises(ConfigError, match="every report would fail"):
        raise_for_errors(findings, config_path=config)


def test_segments_stages_and_types_that_match_nothing_are_listed(
    small_project, sample_tables, tmp_path
):
    def edit(text):
        text = text.replace("filter = \"customer_type == 'smb'\"", "filter = \"region == 'MARS'\"")
        text = text.replace(
            'conversion_types = ["purchase", "deal_won"]', 'conversion_types = ["deal_won"]'
        )
        text = text.replace('touch_types = ["demo", "sales_call", "meeting"]', "touch_types = []")
        text = text.replace(
            'pages = ["^/pricing.*", "^/demo-request.*", "^/signup.*"]', 'pages = ["^/nowhere$"]'
        )
        return text.replace('truth_dir = "', 'truth_dir = "/nonexistent')

    tables = copy.copy(sample_tables)
    conv = sample_tables.conversions
    tables.conversions = conv[conv["conversion_type"] != "deal_won"]
    findings = check_config(load_config(_edit(small_project[0], tmp_path, "e.toml", edit)), tables)
    empty = {f.section: f.message for f in findings if f.level == "empty"}
    assert "matches none of the" in empty["[segments.smb]"]
    assert "match none of the conversions" in empty["[journeys] conversion_types"]
    assert "drop-off funnel's decision step will be empty" in empty["[stages.decision]"]
    assert "does not exist" in empty["[project] truth_dir"]
    assert not [f for f in findings if f.level == "error"]


def _ga4_only_project(folder: Path, *, keep_attributes: bool, truth: Path | None = None) -> Path:
    """The README route: a copy of workbench.toml, data_dir set, only the GA4 source."""
    raw = folder / "raw" / "ga4"
    raw.mkdir(parents=True)
    shutil.copy(GA4_REAL / "web_events.ndjson", raw / "events_web.ndjson")
    text = default_config_path().read_text(encoding="utf-8")
    text = with_project_paths(
        text, data_dir=folder / "raw", processed_dir=folder / "processed", reports_dir=folder / "r"
    )
    if truth is not None:
        text = with_project_paths(text, truth_dir=truth)
    start, end = text.index("# --- sources"), text.index("# --- channel rules")
    source = '[[sources]]\nname = "ga4"\nformat = "ga4"\npath = "ga4/*.ndjson"\n\n'
    text = text[:start] + source + text[end:]
    if not keep_attributes:
        start, end = text.index("# --- derived person"), text.index("# --- attribution")
        text = text[:start] + text[end:]
    config = folder / "workbench.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_copied_sample_config_on_ga4_only_data_fails_at_prepare_naming_the_query(tmp_path, capsys):
    config = _ga4_only_project(tmp_path, keep_attributes=True)
    assert main(["prepare", "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "every report would fail" in err
    assert "attributes.customer_type.enterprise = 'employees > 200' cannot be evaluated" in err
    assert "available columns: person_id" in err
    assert not (tmp_path / "processed").exists(), "nothing is written"


def test_ga4_only_without_conversions_prints_what_will_be_empty(small_project, tmp_path, capsys):
    sample_truth = small_project[0].parent / "sample" / "_truth"  # the copied config's truth_dir
    config = _ga4_only_project(tmp_path, keep_attributes=False, truth=sample_truth)
    assert main(["prepare", "--config", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    summary = out[out.index("what will be empty in the reports, and why:") :]
    assert "conversions: no conversions were found" in summary
    assert "[sources.options] conversion_events of 'ga4'" in summary
    assert re.search(r"event names in the data: .*page_view", summary)
    assert "spend: no ad spend was read" in summary
    assert "[segments]: no segments are defined" in summary
    assert "[project] truth_dir" in summary and "belongs to other data" in summary
    assert "[stages.decision]" in summary


def test_summary_lines_are_the_empty_findings(small_project, sample_tables):
    cfg = load_config(small_project[0])
    findings = check_config(cfg, sample_tables)
    assert summary_lines(findings) == [f.text() for f in findings if f.level == "empty"]


def test_no_conversions_hint_for_a_config_without_event_sources(tmp_path):
    config = _ga4_only_project(tmp_path, keep_attributes=False)
    cfg = load_config(config)
    prepared = prepare(cfg)
    (truth,) = [f for f in check_config(cfg, prepared) if f.section == "[project] truth_dir"]
    assert "does not exist" in truth.message
    prepared.conversions = prepared.conversions.iloc[0:0]
    cfg = type(cfg)(**{**cfg.__dict__, "sources": ()})
    (finding,) = [f for f in check_config(cfg, prepared) if f.section == "conversions"]
    assert "add a source with conversions" in finding.message


def test_scheduled_segments_missing_from_segments_are_listed(
    small_project, sample_tables, tmp_path
):
    config = _edit(
        small_project[0],
        tmp_path,
        "s.toml",
        lambda t: t.replace("[segments.smb]", "[segments.small]"),
    )
    findings = check_config(load_config(config), sample_tables)
    reports = [f.message for f in findings if f.section == "[reports]"]
    assert reports and all("`workbench report` will refuse" in m for m in reports)
    assert any("journey_map: segment = 'smb'" in m for m in reports)


def test_a_project_without_any_dated_row_is_one_error(sample_tables):
    """All exports empty (or every row quarantined): no report could run, prepare says so once."""
    from dataclasses import replace

    empty = replace(
        sample_tables,
        touchpoints=sample_tables.touchpoints.iloc[0:0],
        conversions=sample_tables.conversions.iloc[0:0],
        spend=sample_tables.spend.iloc[0:0],
    )
    cfg = load_config(default_config_path())
    findings = check_config(cfg, empty)
    assert [(f.level, f.section) for f in findings] == [("error", "[[sources]]")]
    assert "nothing to report on" in findings[0].message
    with pytest.raises(ConfigError, match=r"no source gave a dated row.*\(\d[\d,]* rows\)"):
        raise_for_errors(findings)
    spend_only = replace(empty, spend=sample_tables.spend)
    assert all(f.section != "[[sources]]" for f in check_config(cfg, spend_only))
