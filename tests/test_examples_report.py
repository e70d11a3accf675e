"""The examples/ configs render every report (a file of its own: xdist runs it beside the rest)."""

from __future__ import annotations

import json

import pytest
from test_examples import CASES, _prepare, prepared, sample  # noqa: F401 - fixtures

from workbench.cli.main import main

pytestmark = pytest.mark.slow


#: the real GA4 slice renders like the sample's GA4 (same example); the robustness
#: matrix covers it, so it is not rendered here twice
RENDERED = sorted(shape for shape in CASES if shape != "ga4_only_real")


@pytest.mark.parametrize("shape", RENDERED)
def test_example_renders_every_report(shape, sample, prepared, tmp_path_factory, capsys):  # noqa: F811
    config, code, captured = _prepare(shape, sample, prepared, tmp_path_factory, capsys)
    assert code == 0, captured.err
    out = config.parent / "reports"
    code = main(
        ["report", "--config", str(config), "--out", str(out), "--run-id", "r", "--quiet"]
        + ["-p", "n_boot=0", "-p", "segment=all"]  # one run per notebook, no bootstrap
    )
    run = json.loads((out / "r" / "run.json").read_text(encoding="utf-8"))
    failed = [f"{r['name']}: {r['error']}" for r in run["reports"] if r["status"] != "ok"]
    assert not failed, "; ".join(failed)
    assert code == 0
    assert {r["notebook"] for r in run["reports"]} == {
        "executive_summary",
        "data_health",
        "journey_map",
        "dropoffs",
        "attribution",
    }
