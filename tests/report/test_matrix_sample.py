"""Robustness matrix, sample shapes: every report renders cleanly on subsets of the synthetic
sample: no spend, no segments, a segment matching nobody, the enterprise segment alone.

See ``tests/report_matrix.py``; the GA4 shapes are in ``tests/report/test_matrix_ga4.py``
(a separate file so the two halves run on different workers).
"""

from __future__ import annotations

import pytest
from report_matrix import build_projects, render_problems

pytestmark = pytest.mark.slow

SHAPES = ["no_spend", "no_segments", "empty_segment", "enterprise_only"]


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    return build_projects(tmp_path_factory.mktemp("matrix_sample"), SHAPES)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_report_renders_cleanly(projects, shape, capsys):
    code, problems = render_problems(*projects[shape])
    assert code == 0, capsys.readouterr()
    assert problems == []
