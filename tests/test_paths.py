"""Installs anywhere (issue 14.4): config discovery, `workbench init`, packaged notebooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli import commands
from workbench.cli.main import build_parser, main
from workbench.config import load_config
from workbench.errors import ConfigError, WorkbenchError
from workbench.paths import CONFIG_ENV, find_config, notebooks_dir, packaged_notebooks
from workbench.scaffold import config_template, init_project


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def test_config_is_found_in_the_current_folder_or_above(tmp_path, monkeypatch, no_env):
    (tmp_path / "workbench.toml").write_text('[project]\nname = "p"\n')
    deep = tmp_path / "notebooks" / "sub"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_config() == tmp_path / "workbench.toml"
    cfg = load_config()
    assert cfg.path.resolve() == (tmp_path / "workbench.toml").resolve()
    # relative paths resolve against the config file, not the current folder
    assert cfg.processed_dir == (tmp_path / "data" / "processed").resolve()
    assert cfg.data_dir == (tmp_path / "data" / "raw").resolve()


def test_nearest_config_wins_and_env_overrides(tmp_path, monkeypatch, no_env):
    (tmp_path / "workbench.toml").write_text("")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "workbench.toml").write_text("")
    assert find_config(inner) == inner / "workbench.toml"
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "other.toml"))
    assert find_config(inner) == tmp_path / "other.toml"


def test_no_config_is_an_error_naming_where_it_looked(tmp_path, monkeypatch, no_env, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="no workbench.toml in .* or any folder above it"):
        find_config()
    assert main(["prepare"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path.resolve()) in err and "workbench init" in err and "--config" in err


def test_init_writes_a_project_that_loads(tmp_path, monkeypatch, no_env, capsys):
    project = tmp_path / "x"
    assert main(["init", str(project)]) == 0
    assert (project / "data" / "raw").is_dir() and (project / "reports").is_dir()
    copied = sorted(p.name for p in (project / "notebooks").glob("*.ipynb"))
    assert copied == sorted(p.name for p in packaged_notebooks().glob("*.ipynb"))
    assert "attribution.ipynb" in copied
    text = (project / "workbench.toml").read_text()
    assert text == config_template() and text.startswith("#")
    monkeypatch.chdir(project / "notebooks")  # JupyterLab's kernel runs in notebooks/
    cfg = load_config()
    assert cfg.data_dir == (project / "data" / "raw").resolve()
    assert [s.format for s in cfg.sources] == ["ga4"]
    assert "workbench sample" in capsys.readouterr().out


def test_init_never_overwrites_a_config(tmp_path, capsys):
    (tmp_path / "workbench.toml").write_text("# mine\n")
    assert main(["init", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "workbench.toml").read_text() == "# mine\n"
    with pytest.raises(WorkbenchError, match="never overwrites"):
        init_project(tmp_path)


def test_report_notebooks_are_the_projects_else_the_packaged(tmp_path):
    assert notebooks_dir(tmp_path) == packaged_notebooks()
    assert (packaged_notebooks() / "attribution.ipynb").is_file()
    init_project(tmp_path)
    assert notebooks_dir(tmp_path) == tmp_path / "notebooks"


def test_sample_writes_into_the_configs_data_dir_but_not_over_exports(
    tmp_path, monkeypatch, no_env
):
    init_project(tmp_path, notebooks=False)
    monkeypatch.chdir(tmp_path)
    assert commands._sample_dir() == (tmp_path / "data" / "raw").resolve()
    (tmp_path / "data" / "raw" / "events.ndjson").write_text("{}\n")
    with pytest.raises(WorkbenchError, match=r"already holds files .*events\.ndjson.*--out"):
        commands._sample_dir()
    (tmp_path / "data" / "raw" / "_truth").mkdir()  # a folder the sample wrote
    assert commands._sample_dir() == (tmp_path / "data" / "raw").resolve()
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    (tmp_path / "workbench.toml").unlink()
    monkeypatch.chdir(empty)
    assert commands._sample_dir() == empty.resolve() / "data" / "sample"


def test_kernel_option_reaches_the_runner(tmp_path, monkeypatch, small_project):
    config, _ = small_project
    args = build_parser().parse_args(
        ["report", "--config", str(config), "--kernel", "other-env", "--notebook", "data_health"]
    )
    assert args.kernel == "other-env"
    assert build_parser().parse_args(["demo", "--kernel", "k"]).kernel == "k"
    seen: dict[str, object] = {}

    def fake_run(jobs, **kwargs):
        seen.update(kwargs)
        raise WorkbenchError("stop")

    import workbench.report

    monkeypatch.setattr(workbench.report, "run_reports", fake_run)
    with pytest.raises(WorkbenchError, match="stop"):
        commands.run_report(
            config=args.config, notebooks=args.notebook, out=tmp_path, kernel=args.kernel
        )
    assert seen["kernel_name"] == "other-env"
    assert Path(seen["cwd"]) == Path(config).resolve().parent


def test_demo_outside_a_clone_says_what_to_do_instead(tmp_path, monkeypatch):
    import workbench.cli.demo as demo

    monkeypatch.setattr(demo, "default_config_path", lambda: tmp_path / "workbench.toml")
    with pytest.raises(WorkbenchError, match="runs in a clone .*workbench init DIR"):
        demo.write_demo_config(tmp_path / "demo", tmp_path / "reports")
    assert not (tmp_path / "demo").exists()
