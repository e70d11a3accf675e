"""The ``[engine]`` section, the ``--engine``/``--master`` flags and the clear errors.

None of these tests starts Spark.
"""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.config import load_config
from workbench.errors import ConfigError, WorkbenchError


def _config(tmp_path: Path, engine: str) -> Path:
    path = tmp_path / "workbench.toml"
    path.write_text(
        '[project]\nname = "t"\n\n[[sources]]\nname = "s"\nformat = "ga4"\n'
        'path = "ga4/*.ndjson"\n\n' + engine,
        encoding="utf-8",
    )
    return path


def test_default_engine_is_local(tmp_path):
    cfg = load_config(_config(tmp_path, ""))
    assert (cfg.engine.kind, cfg.engine.master, cfg.engine.conf) == ("local", None, {})


def test_engine_section_is_parsed(tmp_path):
    text = (
        '[engine]\nkind = "spark"\nmaster = "local[4]"\n'
        '[engine.conf]\n"spark.executor.memory" = "8g"\n"spark.sql.adaptive.enabled" = true\n'
        '"spark.sql.shuffle.partitions" = 64\n'
    )
    cfg = load_config(_config(tmp_path, text))
    assert cfg.engine.kind == "spark"
    assert cfg.engine.master == "local[4]"
    assert cfg.engine.conf == {
        "spark.executor.memory": "8g",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.shuffle.partitions": "64",
    }


def test_engine_problems_are_all_reported_with_did_you_mean(tmp_path):
    text = '[engine]\nkind = "dask"\nmastr = "local[2]"\nconf = "x"\n'
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, text))
    message = str(err.value)
    assert "engine.kind = 'dask' is not allowed; allowed values: local, spark" in message
    assert "unknown key 'mastr' in [engine]" in message
    assert "did you mean 'master'?" in message
    assert "engine.conf = 'x'" in message


def test_master_without_spark_is_refused(tmp_path, capsys):
    config = _config(tmp_path, "")
    assert main(["prepare", "--config", str(config), "--master", "local[2]"]) == 2
    assert "--master is a Spark setting; use it with --engine spark" in capsys.readouterr().err


def test_unknown_engine_flag_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["prepare", "--engine", "dask"])
    assert "invalid choice: 'dask'" in capsys.readouterr().err


def test_missing_pyspark_names_the_extra(monkeypatch):
    from workbench.spark.session import require_spark

    real_import = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "pyspark", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(WorkbenchError) as err:
        require_spark()
    message = str(err.value)
    assert "\n" not in message
    assert "pyspark" in message and 'pip install "journey-workbench[spark]"' in message


def test_missing_java_names_the_runtime(monkeypatch):
    pytest.importorskip("pyspark")
    from workbench.spark import session

    monkeypatch.setattr(session.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(WorkbenchError) as err:
        session.require_spark()
    message = str(err.value)
    assert "\n" not in message
    assert "Java (17)" in message and "openjdk-17" in message


def test_cli_reports_missing_pyspark_in_one_line(tmp_path, monkeypatch, capsys):
    from workbench.spark import session

    def missing() -> None:
        raise WorkbenchError("--engine spark needs pyspark, which is not installed")

    monkeypatch.setattr(session, "require_spark", missing)
    (tmp_path / "ga4").mkdir()
    config = _config(tmp_path, "")
    assert main(["prepare", "--config", str(config), "--engine", "spark"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --engine spark needs pyspark, which is not installed"]


def test_prepare_does_not_import_the_spark_engine():
    import ast

    import workbench.prepare

    tree = ast.parse(Path(workbench.prepare.__file__).read_text(encoding="utf-8"))
    names = [
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in (n.names if isinstance(n, ast.Import) else [n])
    ]
    assert not [n for n in names if n and n.startswith("workbench.spark")]


def _sentinel_engine(monkeypatch) -> list:
    """Replace the Spark engine by one that records its call and stops with a known error."""
    from workbench.spark import engine

    calls: list = []

    def fake(cfg, **kwargs):
        calls.append(kwargs.get("master"))
        raise WorkbenchError("spark engine reached")

    monkeypatch.setattr(engine, "prepare_spark", fake)
    return calls


def test_engine_kind_in_the_config_chooses_spark(tmp_path, monkeypatch, capsys):
    calls = _sentinel_engine(monkeypatch)
    config = _config(tmp_path, '[engine]\nkind = "spark"\nmaster = "local[3]"\n')
    assert main(["prepare", "--config", str(config)]) == 2
    assert "spark engine reached" in capsys.readouterr().err
    assert calls == [None]  # the config's master is applied inside the engine
    assert main(["prepare", "--config", str(config), "--master", "local[1]"]) == 2
    assert calls[-1] == "local[1]"


def test_engine_flag_overrides_the_config(tmp_path, monkeypatch, capsys):
    calls = _sentinel_engine(monkeypatch)
    config = _config(tmp_path, '[engine]\nkind = "spark"\n')
    main(["prepare", "--config", str(config), "--engine", "local"])
    assert calls == []
    assert "spark engine reached" not in capsys.readouterr().err
