"""Longest reports first, by the times in the last runs' manifests."""

from __future__ import annotations

import json
import os
from pathlib import Path

from workbench.report.history import last_seconds, longest_first
from workbench.report.schedule import ReportJob


def _run(root: Path, run_id: str, reports: list[dict], mtime: int) -> Path:
    folder = root / run_id
    folder.mkdir(parents=True)
    path = folder / "run.json"
    path.write_text(json.dumps({"run_id": run_id, "reports": reports}), encoding="utf-8")
    os.utime(path, ns=(mtime, mtime))
    return folder


def _job(name: str) -> ReportJob:
    return ReportJob(Path(f"{name.split('__')[0]}.ipynb"), {}, name=name)


def test_newest_successful_time_of_each_report_is_read(tmp_path):
    ok = "ok"
    _run(tmp_path, "old", [{"name": "a", "status": ok, "seconds": 9.0}], mtime=1_000)
    _run(
        tmp_path,
        "new",
        [
            {"name": "a", "status": ok, "seconds": 2.5},
            {"name": "b", "status": "failed", "seconds": 0.4},
            {"name": "c", "status": ok, "seconds": "slow"},
        ],
        mtime=2_000,
    )
    now = _run(tmp_path, "now", [{"name": "b", "status": ok, "seconds": 1.0}], mtime=3_000)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{not json", encoding="utf-8")
    assert last_seconds(tmp_path, skip=now) == {"a": 2.5}
    assert last_seconds(tmp_path / "missing") == {}


def test_only_the_newest_runs_are_read(tmp_path):
    for i in range(4):
        _run(tmp_path, f"r{i}", [{"name": f"n{i}", "status": "ok", "seconds": 1.0}], mtime=i + 1)
    assert set(last_seconds(tmp_path, runs=2)) == {"n3", "n2"}


def test_longest_first_and_unknown_reports_before_them_in_given_order():
    jobs = [_job(n) for n in ("short", "new1", "long", "mid", "new2")]
    seconds = {"short": 1.0, "long": 9.0, "mid": 4.0}
    assert [j.name for j in longest_first(jobs, seconds)] == [
        "new1",
        "new2",
        "long",
        "mid",
        "short",
    ]
    assert longest_first(jobs, {}) == jobs


def _notebook(path: Path, code_cells: int) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# t"}]
    cells += [
        {"cell_type": "code", "metadata": {}, "source": "1", "outputs": [], "execution_count": None}
    ] * code_cells
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}), encoding="utf-8")
    return path


def test_without_times_notebooks_with_more_code_cells_start_first(tmp_path):
    small, big = _notebook(tmp_path / "small.ipynb", 2), _notebook(tmp_path / "big.ipynb", 5)
    jobs = [
        ReportJob(small, {}, name="small"),
        ReportJob(big, {"segment": "a"}, name="big__a"),
        ReportJob(tmp_path / "missing.ipynb", {}, name="missing"),
        ReportJob(big, {"segment": "b"}, name="big__b"),
    ]
    assert [j.name for j in longest_first(jobs, {})] == ["big__a", "big__b", "small", "missing"]
    assert [j.name for j in longest_first(jobs, {"big__a": 3.0})] == [
        "big__b",
        "small",
        "missing",
        "big__a",
    ]
