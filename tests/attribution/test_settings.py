"""One ``[attribution]`` section, one set of credits: the CLI and the report agree."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from workbench.attribution import DEFAULT_MODELS, MODELS
from workbench.attribution.settings import accepted_options, model_options, resolve_models
from workbench.cli.main import main
from workbench.config import AttributionConfig, parse_config
from workbench.errors import ConfigError
from workbench.report import read_published


def test_resolve_models_prefers_the_request_then_the_config_then_the_default():
    config = AttributionConfig(models=("last", "linear"))
    assert resolve_models("first, last,first", config) == ["first", "last"]
    assert resolve_models(["markov:1"], config) == ["markov:1"]
    assert resolve_models(None, config) == ["last", "linear"]
    assert resolve_models([], AttributionConfig()) == list(DEFAULT_MODELS)
    assert resolve_models("", None) == list(DEFAULT_MODELS)
    with pytest.raises(ValueError, match="unknown model"):
        resolve_models("lats", config)


def test_model_options_keep_what_the_chosen_models_accept():
    config = AttributionConfig(options={"half_life_days": 3, "order": 2, "n_permutations": 10})
    # half_life_days belongs to the rules, n_permutations to shapley_ordered
    assert model_options(config, ["time_decay"]) == {"half_life_days": 3}
    assert model_options(config, ["markov:1"]) == {}
    assert model_options(None, ["time_decay"]) == {}
    assert "half_life_days" in accepted_options() and "lead_ts" in accepted_options()


def test_every_default_model_is_registered():
    assert set(DEFAULT_MODELS) <= set(MODELS)


def test_attribution_section_is_typed_and_checked():
    cfg = parse_config(
        {"attribution": {"models": ["last"], "min_conversions": 5, "half_life_days": 3}}
    )
    assert cfg.attribution == AttributionConfig(("last",), 5.0, {"half_life_days": 3})
    with pytest.raises(ConfigError) as err:
        parse_config(
            {
                "attribution": {
                    "half_life_dayz": 3,
                    "models": ["lats"],
                    "min_conversions": "many",
                    "platform_windows": {"meta": 7},
                }
            }
        )
    text = str(err.value)
    assert "did you mean 'half_life_days'" in text
    assert "'lats' is not allowed" in text
    assert "attribution.min_conversions = 'many' has the wrong type" in text
    assert "unknown key 'platform_windows'" in text


@pytest.mark.slow
def test_cli_and_attribution_report_give_identical_credits(small_project, tmp_path):
    """Same workbench.toml -> same credits in `workbench attribute --out` and the report."""
    config, _ = small_project
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[attribution\]\n.*?(?=^\[reports|\Z)", "", text)
    text = re.sub(r"(?ms)^\[reports[^\n]*\n.*?(?=^\[(?!reports)|\Z)", "", text)
    text += (
        "\n[attribution]\nhalf_life_days = 3\nposition_weights = [0.3, 0.3, 0.4]\n"
        "w_shaped_weights = [0.25, 0.25, 0.25, 0.25]\nmin_conversions = 5\n"
    )
    mine = tmp_path / "workbench.toml"
    mine.write_text(text, encoding="utf-8")
    out = tmp_path / "credits.parquet"
    assert main(["attribute", "--config", str(mine), "--out", str(out)]) == 0
    cli = pd.read_parquet(out)
    assert list(dict.fromkeys(cli["model"])) == list(DEFAULT_MODELS)

    reports = tmp_path / "reports"
    argv = ["report", "--config", str(mine), "--out", str(reports), "--run-id", "eq"]
    argv += ["--notebook", "attribution", "--allow-other-config", "--quiet"]
    assert main(argv) == 0
    executed = sorted((reports / "eq").glob("attribution*.ipynb"))
    assert len(executed) == 1
    report = pd.DataFrame(read_published(executed[0])["credits"])
    assert list(dict.fromkeys(report["model"])) == list(DEFAULT_MODELS)

    key = ["model", "channel"]
    left = cli.sort_values(key).reset_index(drop=True)
    right = report.sort_values(key).reset_index(drop=True)[list(cli.columns)]
    pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-12)
    # the options reached the models: time decay with a 3-day half-life differs from linear
    per = left.pivot(index="channel", columns="model", values="conversions")
    assert not per["time_decay"].equals(per["linear"])


def test_reports_section_is_typed_and_checked():
    cfg = parse_config(
        {
            "reports": {
                "notebooks_dir": "notebooks",
                "shared": {"period_days": 30},
                "journey_map": {"segment": ["all", "smb"]},
                "attribution": [{"segment": "all"}, {"segment": "smb", "n_boot": 0}],
            }
        }
    )
    assert cfg.reports.notebooks_dir == "notebooks"
    assert set(cfg.reports.runs) == {"journey_map", "attribution"}
    assert cfg.reports.schedule()["attribution"][1] == {"segment": "smb", "n_boot": 0}
    with pytest.raises(ConfigError) as err:
        parse_config({"reports": {"notebook_dir": "nb", "shared": 3}})
    text = str(err.value)
    assert "unknown key 'notebook_dir'" in text and "did you mean 'notebooks_dir'" in text
    assert "reports.shared = 3" in text
