"""The command line: help, version, and one-line errors for user mistakes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workbench import __version__
from workbench.cli.main import build_parser, main
from workbench.paths import PROJECT_ROOT


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"workbench {__version__}"


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for cmd in ("sample", "prepare", "attribute", "report", "demo", "export-conversions"):
        assert cmd in out


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: workbench" in capsys.readouterr().out


def test_user_mistake_is_one_line_error_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[project]\ntimezon = 'UTC'\n")
    assert main(["prepare", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "unknown key 'timezon'" in err
    assert "Traceback" not in err


def test_console_script_runs_as_a_module():
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli.main", "--version"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    assert __version__ in out.stdout


def test_parser_keeps_documented_options():
    parser = build_parser()
    args = parser.parse_args(["sample", "--out", "x", "--people", "10", "--seed", "3"])
    assert (str(args.out), args.people, args.seed) == ("x", 10, 3)
    args = parser.parse_args(
        ["export-conversions", "--platform", "meta", "--model", "markov:1", "--since", "2026-01-01"]
    )
    assert (args.platform, args.model, args.since) == ("meta", "markov:1", "2026-01-01")
