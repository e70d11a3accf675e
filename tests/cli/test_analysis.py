"""``workbench attribute`` and ``workbench export-conversions`` (workbench.cli.analysis)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import workbench.cli.commands
from workbench.attribution import spread_channel_credits
from workbench.cli.analysis import run_attribute, run_export
from workbench.cli.main import build_parser, main
from workbench.config import load_config
from workbench.errors import ValidationError, WorkbenchError
from workbench.notebook.workspace import Workspace
from workbench.paths import default_config_path
from workbench.prepare import prepare, write_prepared
from workbench.sample import generate_sample

# Hand-computable paths: first A=2+1, B=1; last B=4; linear A=2/2+1/3, B=2/2+1+1/3, C=1/3.
AGG = """path,total_conversions,total_conversion_value,total_null
A > B,2,100,1
B,1,30,0
A > C > B,1,60,2
"""


def run(argv: list[str]) -> int:
    """Parse ``argv`` with the real parser and call the command function directly."""
    args = build_parser().parse_args(argv)
    return {"attribute": run_attribute, "export-conversions": run_export}[args.command](args)


@pytest.fixture
def agg_csv(tmp_path: Path) -> Path:
    path = tmp_path / "paths.csv"
    path.write_text(AGG)
    return path


def _credits(path: Path) -> dict[tuple[str, str], tuple[float, float]]:
    frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    assert list(frame.columns) == ["model", "channel", "conversions", "value"]
    return {(r.model, r.channel): (r.conversions, r.value) for r in frame.itertuples()}


# --- (a) aggregated paths, hand-computed -----------------------------------------------
def test_aggregated_paths_first_last_linear_credits(agg_csv, tmp_path, capsys):
    out = tmp_path / "out" / "credits.csv"
    argv = ["attribute", "--paths", str(agg_csv), "--models", "first,last,linear"]
    assert run([*argv, "--out", str(out)]) == 0
    got = _credits(out)
    expected = {
        ("first", "A"): (3.0, 160.0),
        ("first", "B"): (1.0, 30.0),
        ("first", "C"): (0.0, 0.0),
        ("last", "A"): (0.0, 0.0),
        ("last", "B"): (4.0, 190.0),
        ("last", "C"): (0.0, 0.0),
        ("linear", "A"): (1 + 1 / 3, 50 + 20),
        ("linear", "B"): (1 + 1 + 1 / 3, 50 + 30 + 20),
        ("linear", "C"): (1 / 3, 20.0),
    }
    assert got.keys() == expected.keys()
    for key, (conv, value) in expected.items():
        assert got[key] == pytest.approx((conv, value)), key
    captured = capsys.readouterr()
    assert "Credited by every model: 4.0 conversions, 190.00" in captured.out
    table = captured.out.split("Credited conversions (channel x model):")[1]
    assert re.search(r"^B\s+1\.0\s+4\.0\s+2\.3\s*$", table, re.M)
    assert re.search(r"^\(total\)\s+4\.0\s+4\.0\s+4\.0\s*$", table, re.M)
    # every (model, channel) below min_conversions (30 in workbench.toml): one line each
    warnings = [ln for ln in captured.err.splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 9
    assert "warning: linear: channel 'C' is credited 0.3 conversions (< 30)" in captured.err


def test_aggregated_paths_custom_columns_and_separator(tmp_path, capsys):
    src = tmp_path / "paths.parquet"
    pd.DataFrame({"route": ["A|B", "B"], "conv": [2, 1], "revenue": [10.0, 5.0]}).to_parquet(src)
    out = tmp_path / "credits.parquet"
    argv = ["attribute", "--paths", str(src), "--sep", "|", "--path-col", "route"]
    argv += ["--conversions-col", "conv", "--value-col", "revenue", "--models", "last"]
    assert run([*argv, "--out", str(out)]) == 0
    assert _credits(out) == {("last", "A"): (0.0, 0.0), ("last", "B"): (3.0, 15.0)}
    assert "no 'total_null' column; nulls taken as 0" in capsys.readouterr().err


def test_no_out_writes_nothing(agg_csv, tmp_path, capsys):
    assert run(["attribute", "--paths", str(agg_csv), "--models", "first"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paths.csv"]
    assert "wrote" not in capsys.readouterr().out


def test_default_models_skip_timestamp_models_on_paths(agg_csv, tmp_path, capsys):
    out = tmp_path / "credits.csv"
    assert run(["attribute", "--paths", str(agg_csv), "--out", str(out)]) == 0
    models = set(pd.read_csv(out)["model"])
    assert "markov:2" in models and "shapley" in models
    assert not models & {"time_decay", "w_shaped"}
    assert "skipping time_decay, w_shaped" in capsys.readouterr().err


# --- (b) user mistakes ---------------------------------------------------------------
def test_missing_columns_name_file_column_and_option(agg_csv):
    argv = ["attribute", "--paths", str(agg_csv), "--path-col", "route", "--value-col", "rev"]
    with pytest.raises(ValidationError) as err:
        run(argv)
    text = str(err.value)
    assert str(agg_csv) in text
    assert "column 'route' not found (set --path-col)" in text
    assert "column 'rev' not found (set --value-col)" in text
    assert "columns: path, total_conversions" in text


def test_missing_paths_file(tmp_path):
    with pytest.raises(WorkbenchError, match=r"--paths .*nope\.csv: no such file"):
        run(["attribute", "--paths", str(tmp_path / "nope.csv")])


def test_unknown_models_are_one_error_listing_allowed(agg_csv):
    with pytest.raises(WorkbenchError) as err:
        run(["attribute", "--paths", str(agg_csv), "--models", "linear,foo,markov:9"])
    text = str(err.value)
    assert "unknown model(s) foo, markov:9" in text
    assert "allowed: first, last, last_non_direct, linear, time_decay" in text
    assert "fractribution" in text


def test_time_decay_with_paths_explains_why(agg_csv):
    with pytest.raises(WorkbenchError) as err:
        run(["attribute", "--paths", str(agg_csv), "--models", "linear,time_decay"])
    text = str(err.value)
    assert "time_decay" in text and "no timestamps" in text and "--paths" in text


def test_bad_out_extension_fails_before_work(agg_csv, tmp_path):
    out = tmp_path / "credits.xlsx"
    with pytest.raises(WorkbenchError, match=r"unsupported extension '\.xlsx'.*\.csv or \.parquet"):
        run(["attribute", "--paths", str(agg_csv), "--out", str(out)])
    assert not out.exists()


def test_conversion_types_do_not_apply_to_paths(agg_csv):
    with pytest.raises(WorkbenchError, match="--conversion-types"):
        run(["attribute", "--paths", str(agg_csv), "--conversion-types", "purchase"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "yesterdayish"], "--since 'yesterdayish' is not a date"),
        (["--model", "bogus"], "--model 'bogus' is not a value model; allowed: full, first"),
    ],
)
def test_export_argument_mistakes(argv, message):
    with pytest.raises(WorkbenchError, match=re.escape(message)):
        run(["export-conversions", "--platform", "meta", *argv])


def test_cli_main_prints_one_line_error(agg_csv, capsys):
    if not hasattr(workbench.cli.commands, "run_attribute"):
        pytest.skip("workbench.cli.commands does not import run_attribute yet")
    assert main(["attribute", "--paths", str(agg_csv), "--models", "first"]) == 0
    capsys.readouterr()
    assert main(["attribute", "--paths", str(agg_csv), "--models", "nope"]) == 2
    assert capsys.readouterr().err.startswith("error: --models: unknown model(s) nope")


# --- spreading channel-level credit over touches -----------------------------------------
def test_spread_channel_credits_by_hand():
    skeleton = pd.DataFrame(
        {
            "journey_id": ["j1", "j1", "j1", "j2"],
            "position": [0, 1, 2, 0],
            "channel": ["A", "B", "A", "B"],
            "model": "linear",
            "credit": [1 / 3, 1 / 3, 1 / 3, 1.0],
            "value_credit": [30.0, 30.0, 30.0, 50.0],
        }
    )
    # channel totals A=1, B=1 conversions and A=40, B=100 value; journeys j1=1/90, j2=1/50.
    # j2 has only B, so B gives j2 1 and 50, and j1's B touch the rest (0 and 50).
    credits = pd.DataFrame(
        {"model": "m", "channel": ["A", "B"], "conversions": [1.0, 1.0], "value": [40.0, 100.0]}
    )
    out = spread_channel_credits(credits, skeleton, "m")
    assert list(out.columns) == ["journey_id", "position", "channel", "model", "credit"] + [
        "value_credit"
    ]
    # a zero cell on the boundary: fitting approaches it slowly (about 1/iterations)
    assert out["credit"].tolist() == pytest.approx([0.5, 0.0, 0.5, 1.0], abs=2e-3)
    assert out.groupby("journey_id")["credit"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert out["value_credit"].tolist() == pytest.approx([20.0, 50.0, 20.0, 50.0])
    assert set(out["model"]) == {"m"}


# --- (c) a small prepared project ------------------------------------------------------
@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    generate_sample(root / "sample", people=300, seed=3)
    text = default_config_path().read_text(encoding="utf-8")
    values = {
        "data_dir": root / "sample",
        "processed_dir": root / "processed",
        "truth_dir": root / "sample" / "_truth",
    }
    for key, value in values.items():
        text, n = re.subn(
            rf'^{key}\s*=\s*"[^"]*"', f'{key} = "{value.as_posix()}"', text, flags=re.M
        )
        assert n == 1, key
    config = root / "workbench.toml"
    config.write_text(text, encoding="utf-8")
    write_prepared(prepare(load_config(config)), root / "processed")
    return config


def test_attribute_on_prepared_journeys(project, tmp_path, capsys):
    out = tmp_path / "credits.parquet"
    assert run(["attribute", "--config", str(project), "--out", str(out)]) == 0
    credits = pd.read_parquet(out)
    journeys = Workspace.load(project).journeys().journeys
    converted = int(journeys["converted"].sum())
    assert converted > 0
    printed = capsys.readouterr().out
    assert f"{len(journeys):,} journeys, {converted:,} converted" in printed
    config_models = list(load_config(project).attribution.models)
    per_model = credits.groupby("model", sort=False)["conversions"].sum()
    assert list(per_model.index) == config_models
    assert per_model.to_numpy() == pytest.approx([converted] * len(config_models))
    assert f"Credited by every model: {converted:.1f} conversions" in printed


def test_attribute_conversion_types_option(project, capsys):
    argv = ["attribute", "--config", str(project), "--models", "last"]
    assert run([*argv, "--conversion-types", "purchase"]) == 0
    assert "(conversion types: purchase)" in capsys.readouterr().out
    with pytest.raises(WorkbenchError, match="--conversion-types purchse: not in the prepared"):
        run([*argv, "--conversion-types", "purchse"])


def test_attribute_segment_option_uses_the_notebooks_segment_filter(project, tmp_path, capsys):
    out = tmp_path / "credits.csv"
    argv = ["attribute", "--config", str(project), "--models", "last", "--out", str(out)]
    assert run([*argv, "--segment", "enterprise"]) == 0
    journeys = Workspace.load(project).journeys(segment="enterprise").journeys
    converted = int(journeys["converted"].sum())
    everyone = int(Workspace.load(project).journeys().journeys["converted"].sum())
    assert 0 < converted < everyone
    printed = capsys.readouterr().out
    assert f"{len(journeys):,} journeys, {converted:,} converted" in printed
    assert "in segment 'Enterprise'" in printed
    assert pd.read_csv(out)["conversions"].sum() == pytest.approx(converted)
    with pytest.raises(WorkbenchError, match="segment = 'enterprize' is not defined"):
        run([*argv, "--segment", "enterprize"])


def test_segment_does_not_apply_to_paths(agg_csv):
    with pytest.raises(WorkbenchError, match="--segment"):
        run(["attribute", "--paths", str(agg_csv), "--segment", "smb"])


@pytest.mark.parametrize("model", ["full", "markov:1"])
def test_export_google_ads(project, tmp_path, capsys, model):
    out = tmp_path / f"google_{model.replace(':', '_')}.csv"
    argv = ["export-conversions", "--platform", "google_ads", "--model", model]
    assert run([*argv, "--config", str(project), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("Parameters:TimeZone=")
    printed = capsys.readouterr().out
    assert f"google_ads (model {model}):" in printed
    assert f"wrote {out}" in printed


def test_export_default_out_in_processed_exports(project, capsys):
    argv = ["export-conversions", "--platform", "meta", "--model", "markov:1"]
    assert run([*argv, "--config", str(project), "--since", "2020-01-01"]) == 0
    written = project.parent / "processed" / "exports" / "meta_conversions_markov_1.json"
    assert written.is_file()
    assert f"wrote {written}" in capsys.readouterr().out


def test_missing_prepared_folder_says_run_prepare(project, tmp_path):
    config = tmp_path / "empty.toml"
    text = project.read_text(encoding="utf-8")
    text = re.sub(
        r'^processed_dir\s*=\s*"[^"]*"',
        f'processed_dir = "{tmp_path.as_posix()}"',
        text,
        flags=re.M,
    )
    config.write_text(text, encoding="utf-8")
    with pytest.raises(WorkbenchError, match="run `workbench prepare` first"):
        run(["attribute", "--config", str(config), "--models", "first"])
