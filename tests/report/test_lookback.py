"""Reports count touches over the config's ``[journeys] lookback_days`` unless a run sets one."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from workbench.cli.main import main

pytestmark = pytest.mark.slow


def _counting_line(config: Path, out: Path, *extra: str) -> str:
    code = main(
        ["report", "--config", str(config), "--notebook", "dropoffs", "--out", str(out)]
        + ["--run-id", "r", "--quiet", "--allow-other-config", "-p", "segment=all", *extra]
    )
    assert code == 0
    (page,) = (out / "r").glob("dropoffs__*.html")
    html = page.read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").get_text(" ")


def test_reports_use_the_config_lookback_unless_a_run_sets_one(small_project, tmp_path):
    config, _ = small_project
    text = Path(config).read_text(encoding="utf-8")
    assert "[journeys]\nlookback_days = 90\n" in text
    edited = tmp_path / "workbench.toml"
    edited.write_text(
        text.replace("[journeys]\nlookback_days = 90\n", "[journeys]\nlookback_days = 45\n")
    )
    assert "at most 45 days before the conversion" in _counting_line(edited, tmp_path / "a")
    overridden = _counting_line(edited, tmp_path / "b", "-p", "lookback_days=20")
    assert "at most 20 days before the conversion" in overridden
