"""Schedules: expanding parameter grids into report jobs (no kernel)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from workbench.config import parse_config
from workbench.errors import ValidationError
from workbench.report.schedule import ReportJob, expand_schedule, job_slug, load_schedule


def write_notebook(path: Path, params_source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params_source, metadata={"tags": ["parameters"]})
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), cell]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def nb_dir(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(
        folder / "journey_map.ipynb",
        'segment: str = "all"  # segment\nwindow_days: int = 90  # days\n'
        "end_date: str | None = None  # last day\n",
    )
    write_notebook(
        folder / "attribution.ipynb",
        'model: str = "shapley"\nchannels: list[str] = []\nend_date: str | None = None\n',
    )
    return folder


def test_grid_is_the_cross_product_with_readable_names(nb_dir):
    spec = {
        "shared": {"end_date": "2026-03-31"},
        "journey_map": {"segment": ["all", "smb", "enterprise"], "window_days": [30, 90]},
    }
    jobs = expand_schedule(spec, notebooks_dir=nb_dir)
    assert [j.name for j in jobs] == [
        "journey_map__segment-all__window_days-30",
        "journey_map__segment-all__window_days-90",
        "journey_map__segment-smb__window_days-30",
        "journey_map__segment-smb__window_days-90",
        "journey_map__segment-enterprise__window_days-30",
        "journey_map__segment-enterprise__window_days-90",
    ]
    assert jobs[2].parameters == {"segment": "smb", "window_days": 30, "end_date": "2026-03-31"}
    assert all(j.notebook == nb_dir / "journey_map.ipynb" for j in jobs)


def test_list_typed_parameters_take_a_list_of_lists_as_grid(nb_dir):
    spec = {
        "attribution": [
            {"channels": ["email", "paid_search"]},  # one run with this list value
            {"model": ["last_touch", "markov"], "channels": [["email"], []]},  # 2 x 2 runs
        ]
    }
    jobs = expand_schedule(spec, notebooks_dir=nb_dir)
    assert [j.parameters for j in jobs] == [
        {"channels": ["email", "paid_search"]},
        {"model": "last_touch", "channels": ["email"]},
        {"model": "last_touch", "channels": []},
        {"model": "markov", "channels": ["email"]},
        {"model": "markov", "channels": []},
    ]
    assert jobs[0].name == "attribution__channels-email+paid_search"
    assert jobs[2].name == "attribution__model-last_touch__channels-empty"


def test_shared_values_go_only_to_notebooks_declaring_them_and_strings_are_converted(nb_dir):
    write_notebook(nb_dir / "plain.ipynb", "top_n: int = 5\n")
    spec = {
        "shared": {"end_date": "2026-03-31"},
        "plain": {"top_n": "7"},
        "journey_map": {},
    }
    jobs = expand_schedule(spec, notebooks_dir=nb_dir)
    assert [(j.name, j.parameters) for j in jobs] == [
        ("plain", {"top_n": 7}),
        ("journey_map", {"end_date": "2026-03-31"}),
    ]


def test_every_schedule_problem_is_reported_at_once(nb_dir):
    spec = {
        "shared": {"end_dat": "2026-03-31"},
        "segment": ["smb"],
        "jorney_map": {"segment": "smb"},
        "journey_map": {"segmnt": "smb", "window_days": ["thirty", 30], "end_date": []},
    }
    with pytest.raises(ValidationError) as info:
        expand_schedule(spec, notebooks_dir=nb_dir, where="reports.toml")
    text = str(info.value)
    assert len(info.value.problems) == 6
    assert "top-level key 'segment' = ['smb'] is not a notebook table" in text
    assert "[jorney_map] names no notebook" in text
    assert "(did you mean 'journey_map'?)" in text
    assert "notebooks in " in text and "attribution, journey_map" in text
    assert "unknown parameter 'segmnt' (did you mean 'segment'?)" in text
    assert "window_days = 'thirty' is not a whole number" in text
    assert "end_date = [] gives no runs" in text
    assert "shared parameter 'end_dat' is declared by no scheduled notebook" in text


def test_duplicate_runs_are_refused(nb_dir):
    spec = {"journey_map": [{"segment": "smb"}, {"segment": ["smb"]}]}
    with pytest.raises(ValidationError, match="segment=smb is listed more than once"):
        expand_schedule(spec, notebooks_dir=nb_dir)


def test_load_schedule_from_reports_toml_and_workbench_toml(tmp_path, nb_dir):
    (tmp_path / "reports.toml").write_text(
        'notebooks_dir = "notebooks"\n\n[journey_map]\nsegment = ["smb", "enterprise"]\n'
        "window_days = 30\nend_date = 2026-03-31\n",
        encoding="utf-8",
    )
    jobs = load_schedule(tmp_path / "reports.toml")
    assert [j.name for j in jobs] == ["journey_map__segment-smb", "journey_map__segment-enterprise"]
    assert jobs[0].parameters == {"segment": "smb", "window_days": 30, "end_date": "2026-03-31"}

    (tmp_path / "workbench.toml").write_text(
        '[reports]\nnotebooks_dir = "notebooks"\n[reports.attribution]\nmodel = ["a", "b"]\n',
        encoding="utf-8",
    )
    assert [j.name for j in load_schedule(tmp_path / "workbench.toml")] == [
        "attribution__model-a",
        "attribution__model-b",
    ]
    config = parse_config(
        {"reports": {"attribution": {"model": "markov"}}}, base_dir=tmp_path, path=None
    )
    (job,) = expand_schedule(config, notebooks_dir=nb_dir)
    assert job.parameters == {"model": "markov"}


def test_job_names_are_safe_file_names():
    assert job_slug("journey_map", {"segment": "Mid Market/EU", "flag": True, "x": None}) == (
        "journey_map__segment-Mid-Market-EU__flag-true__x-none"
    )
    long = job_slug("nb", {"q": "a" * 100})
    assert len(long) < 60 and long != job_slug("nb", {"q": "a" * 99})
    assert ReportJob(Path("n/journey_map.ipynb"), {"window_days": 30}).name == (
        "journey_map__window_days-30"
    )
    with pytest.raises(ValidationError, match="report name"):
        ReportJob(Path("n/x.ipynb"), {}, name="../escape")
