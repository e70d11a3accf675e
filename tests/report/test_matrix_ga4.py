"""Robustness matrix, GA4 shapes: every report renders cleanly on real GA4 slices
(web and app, no conversions) and on a GA4 export with purchases only.

See ``tests/report_matrix.py``; the sample shapes are in ``tests/report/test_matrix_sample.py``
(a separate file so the two halves run on different workers).
"""

from __future__ import annotations

import pytest
from report_matrix import build_projects, render_problems

pytestmark = pytest.mark.slow

SHAPES = ["ga4_web", "ga4_app", "ga4_purchases"]


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    return build_projects(tmp_path_factory.mktemp("matrix_ga4"), SHAPES)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_report_renders_cleanly(projects, shape, capsys):
    code, problems = render_problems(*projects[shape])
    assert code == 0, capsys.readouterr()
    assert problems == []
