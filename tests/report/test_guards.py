"""`workbench report` checks before anything runs; `-p` overrides; the demo's own folders."""

from __future__ import annotations

import shutil

import pytest

from workbench.cli.commands import report_jobs
from workbench.cli.demo import DEMO_DIR, DEMO_REPORTS_DIR, with_project_paths
from workbench.cli.main import build_parser, main
from workbench.config import load_config
from workbench.errors import ValidationError, WorkbenchError
from workbench.paths import PROJECT_ROOT
from workbench.prepare import TABLE_FILES
from workbench.store import MANIFEST_FILE, check_prepared


def _copy_config(config, folder, name="other.toml", **paths):
    text = config.read_text(encoding="utf-8")
    if paths:
        text = with_project_paths(text, **paths)
    other = folder / name
    other.write_text(text + "\n# a different project\n", encoding="utf-8")
    return other


def test_report_before_prepare_fails_up_front_naming_the_command(small_project, tmp_path, capsys):
    config, _ = small_project
    other = _copy_config(config, tmp_path, processed_dir=tmp_path / "never_prepared")
    out = tmp_path / "reports"
    assert main(["report", "--config", str(other), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"no prepared tables in {tmp_path / 'never_prepared'}" in err
    assert f"run `workbench prepare --config {other.resolve()}` first" in err
    assert not out.exists(), "no notebook ran"


def test_report_refuses_tables_prepared_from_another_config(small_project, tmp_path, capsys):
    config, processed = small_project
    other = _copy_config(config, tmp_path)  # same processed_dir, other file and content
    out = tmp_path / "reports"
    assert main(["report", "--config", str(other), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(config.resolve()) in err and str(other.resolve()) in err
    assert "--allow-other-config" in err
    assert not out.exists()
    # told otherwise, the tables are used with a warning
    notes = check_prepared(
        processed, other.resolve(), table_files=TABLE_FILES, allow_other_config=True
    )
    assert notes and str(config.resolve()) in notes[0]
    assert build_parser().parse_args(["report", "--allow-other-config"]).allow_other_config


def test_an_identical_copy_of_the_config_and_an_edited_config_are_accepted(small_project, tmp_path):
    config, processed = small_project
    copy = tmp_path / "copy.toml"
    shutil.copy(config, copy)  # same content, other path: the same config
    assert check_prepared(processed, copy.resolve(), table_files=TABLE_FILES) == []
    # the same file edited after prepare: a warning, not a refusal
    edited = tmp_path / "edited"
    shutil.copytree(processed, edited)
    cfg = tmp_path / "workbench.toml"
    shutil.copy(config, cfg)
    import json

    manifest = json.loads((edited / MANIFEST_FILE).read_text())
    manifest["config"]["path"] = str(cfg.resolve())
    (edited / MANIFEST_FILE).write_text(json.dumps(manifest))
    cfg.write_text(cfg.read_text() + "\n# edited\n")
    notes = check_prepared(edited, cfg.resolve(), table_files=TABLE_FILES)
    assert len(notes) == 1 and "changed since `workbench prepare` ran" in notes[0]


def test_incomplete_tables_are_refused_before_running(small_project, tmp_path, capsys):
    config, processed = small_project
    broken = tmp_path / "broken"
    shutil.copytree(processed, broken)
    (broken / "spend.parquet").unlink()
    with pytest.raises(WorkbenchError, match="incomplete.*spend.parquet is missing"):
        check_prepared(broken, config.resolve(), table_files=TABLE_FILES)


# --- -p NAME=VALUE -------------------------------------------------------------------------


def test_p_replaces_the_scheduled_values_of_one_notebook(small_project):
    cfg = load_config(small_project[0])
    jobs = report_jobs(cfg, notebooks=["journey_map"], params={"segment": "smb"})
    assert len(jobs) == 1, "scheduled all/smb/enterprise are replaced, not crossed"
    assert jobs[0].name == "journey_map__segment-smb"
    assert jobs[0].parameters["segment"] == "smb"


def test_p_applies_only_where_the_parameter_is_declared(small_project):
    cfg = load_config(small_project[0])
    jobs = report_jobs(cfg, params={"segment": "enterprise"})
    by_stem = {}
    for job in jobs:
        by_stem.setdefault(job.notebook.stem, []).append(job)
    # data_health and executive_summary declare no `segment`: unchanged, not rejected
    assert [j.name for j in by_stem["data_health"]] == ["data_health"]
    assert "segment" not in by_stem["executive_summary"][0].parameters
    for stem in ("journey_map", "dropoffs", "attribution"):
        assert [j.name for j in by_stem[stem]] == [f"{stem}__segment-enterprise"]


def test_p_replaces_one_axis_and_keeps_the_others(small_project):
    cfg = load_config(small_project[0])
    jobs = report_jobs(
        cfg,
        schedule=PROJECT_ROOT / "reports.toml",
        notebooks=["journey_map"],
        params={"segment": "smb"},
    )
    assert [j.name for j in jobs] == [
        "journey_map__segment-smb__period_days-30",
        "journey_map__segment-smb__period_days-90",
    ]
    assert [j.parameters["period_days"] for j in jobs] == [30, 90]
    assert {j.parameters["segment"] for j in jobs} == {"smb"}


def test_p_typed_values_and_unknown_names(small_project):
    cfg = load_config(small_project[0])
    jobs = report_jobs(cfg, notebooks=["journey_map"], params={"period_days": "30"})
    assert {j.parameters["period_days"] for j in jobs} == {30}
    with pytest.raises(ValidationError, match="no selected notebook declares 'segmnt'.*'segment'"):
        report_jobs(cfg, params={"segmnt": "smb"})
    with pytest.raises(ValidationError, match="n_boot"):
        report_jobs(cfg, notebooks=["data_health"], params={"n_boot": "5"})


def test_an_unknown_segment_is_caught_before_anything_runs(small_project, tmp_path, capsys):
    config, _ = small_project
    out = tmp_path / "reports"
    code = main(["report", "--config", str(config), "--out", str(out), "-p", "segment=martians"])
    assert code == 2
    err = capsys.readouterr().err
    assert "segment = 'martians' is not a segment of the config" in err
    assert "known segments: all, smb, enterprise, north_america" in err
    assert not out.exists()


def test_a_scheduled_segment_missing_from_segments_is_caught(small_project, tmp_path):
    config, _ = small_project
    text = config.read_text(encoding="utf-8").replace("[segments.smb]", "[segments.small]")
    other = tmp_path / "renamed.toml"
    other.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match="journey_map: segment = 'smb'"):
        report_jobs(load_config(other))


# --- the demo -------------------------------------------------------------------------------


def test_demo_folders_are_not_the_projects_folders():
    cfg = load_config()
    for path in (cfg.data_dir, cfg.processed_dir, cfg.reports_dir):
        assert path.resolve() != DEMO_DIR.resolve()
        assert DEMO_DIR.resolve() not in path.resolve().parents
    assert DEMO_REPORTS_DIR.resolve() != cfg.reports_dir.resolve()


@pytest.mark.slow
def test_demo_writes_only_its_own_folders_and_ends_with_the_index_path(tmp_path, capsys):
    from workbench.cli.commands import run_demo

    user = tmp_path / "user_processed"
    user.mkdir()
    (user / "marker").write_text("the user's tables")
    folder, reports = tmp_path / "demo", tmp_path / "reports" / "demo"
    code = run_demo(
        people=80, seed=3, quiet=True, folder=folder, reports_dir=reports, notebooks=["data_health"]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == str(reports.resolve() / "index.html")
    assert (reports / "index.html").is_file()
    assert (folder / "processed" / MANIFEST_FILE).is_file()
    assert (folder / "sample" / "ga4").is_dir()
    assert (user / "marker").read_text() == "the user's tables"
