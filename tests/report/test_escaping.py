"""Fast checks of the escaping paths a report's text takes (the full run is in
``test_report_injection.py``): the page title, the run header, the index and the helpers."""

from __future__ import annotations

import nbformat
import pandas as pd
from injection import PAYLOADS, executable_payloads, script_texts

from workbench.report.display import metric_table, say, table
from workbench.report.html import notebook_to_html
from workbench.report.index import write_index, write_manifest


def _clean_scripts(tmp_path) -> set[str]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Clean")]
    return set(script_texts(notebook_to_html(nb, tmp_path / "clean.html").read_text()))


def test_page_title_is_escaped(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Report")]
    hostile = "</title>" + "".join(PAYLOADS)
    page = notebook_to_html(nb, tmp_path / "r.html", title=hostile).read_text()
    assert not executable_payloads(page, _clean_scripts(tmp_path))
    assert "&lt;/title&gt;&lt;script&gt;" in page


def test_index_escapes_titles_parameters_errors_and_metadata(tmp_path):
    run = tmp_path / "reports" / "r1"
    write_manifest(
        run,
        {
            "started": "2026-01-01T00:00:00+00:00",
            "finished": "2026-01-01T00:01:00+00:00",
            "reports": [
                {
                    "name": "journey_map",
                    "notebook": "journey_map",
                    "title": "Journey map: " + PAYLOADS[0],
                    "parameters": {"segment": PAYLOADS[2], "path_level": "campaign"},
                    "status": "failed",
                    "error": PAYLOADS[1],
                    "html": "journey_map.html",
                    "ipynb": PAYLOADS[3],
                    "meta": {"data_range": [PAYLOADS[0], "2026-02-01"], "note": PAYLOADS[2]},
                }
            ],
        },
    )
    page = write_index(tmp_path / "reports", title="Reports " + PAYLOADS[1]).read_text()
    assert not executable_payloads(page, set())
    for payload in PAYLOADS[:3]:
        assert payload not in page  # only ever in its escaped form


def test_helpers_render_hostile_values_as_text():
    hostile = pd.DataFrame(
        {PAYLOADS[0]: [PAYLOADS[1], PAYLOADS[2]], "journeys": [3, 4], "name": PAYLOADS[2:4]}
    )
    shown = [
        table(hostile, show=False).to_html(),
        say("{a} and {b}", a=PAYLOADS[0], b=PAYLOADS[2], show=False).data,
        metric_table(
            pd.DataFrame({"metric": ["journeys"], "segment": [PAYLOADS[1]], "value": [2]}),
            show=False,
        ).to_html(),
    ]
    for html in shown:
        assert not executable_payloads(html, set()), html
