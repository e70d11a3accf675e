"""One quarantine reason taking a large share of a source is loud (and fatal with --strict)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.config import load_config
from workbench.errors import ConfigError, ValidationError
from workbench.prepare import prepare


def _project(tmp_path: Path, options: str = "") -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = ["Email,Campaign,Action,Timestamp"]
    lines += [f"p{i}@ex.com,Spring,sent,2026-03-01 10:00:{i:02d}" for i in range(18)]
    lines += ["p1@ex.com,Spring,forwarded,2026-03-01 11:00:00"] * 2  # 2 of 20 = 10%
    (raw / "email.csv").write_text("\n".join(lines) + "\n")
    config = tmp_path / "workbench.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [project]
            data_dir = "raw"
            processed_dir = "out"

            [[sources]]
            name = "mail"
            format = "email_activity"
            path = "email.csv"
            options = {{ keep_duplicate_rows = true {options} }}
            """
        )
    )
    return config


def test_a_large_share_of_one_reason_warns_and_names_the_option(tmp_path):
    prepared = prepare(load_config(_project(tmp_path)))
    alert = prepared.warnings[0]
    assert alert.startswith("!! source 'mail': 2 of 20 rows (10.0%) quarantined as")
    assert "set [sources.options] actions for source 'mail'" in alert
    assert "max_quarantine_share = 0.05" in alert


def test_strict_turns_the_warning_into_an_error(tmp_path, capsys):
    config = _project(tmp_path)
    with pytest.raises(ValidationError, match="2 of 20 rows"):
        prepare(load_config(config), strict=True)
    assert main(["prepare", "--config", str(config), "--strict", "--quiet"]) == 2
    assert "prepare --strict" in capsys.readouterr().err
    assert not (tmp_path / "out" / "touchpoints.parquet").exists()


def test_the_share_is_configurable(tmp_path):
    prepared = prepare(load_config(_project(tmp_path, ", max_quarantine_share = 0.2")), strict=True)
    assert not [w for w in prepared.warnings if w.startswith("!!")]


def test_a_bad_share_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="max_quarantine_share = 5"):
        prepare(load_config(_project(tmp_path, ", max_quarantine_share = 5")))
