"""HTML export, published metadata and the index, on hand-made notebooks (no kernel)."""

from __future__ import annotations

import base64
import json

import nbformat
from bs4 import BeautifulSoup

from workbench.report.html import external_resources, notebook_to_html
from workbench.report.index import read_runs, write_index
from workbench.report.publish import META_MIME, notebook_title, publish, read_published

# a 1x1 red PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def executed_notebook(tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG)
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    code = nbformat.v4.new_code_cell("secret_code = 1", execution_count=1)
    code.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(PNG).decode(), "text/plain": "x"}
        ),
        nbformat.v4.new_output(
            "display_data", data={META_MIME: {"title": "Funnel", "data_range": ["a", "b"]}}
        ),
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Funnel report\n\nMath $e^{i\\pi}$ ![logo](logo.png)"),
        nbformat.v4.new_markdown_cell("```mermaid\ngraph TD; A-->B\n```"),
        code,
    ]
    path = tmp_path / "funnel.ipynb"
    nbformat.write(nb, path)
    return path


def test_html_is_offline_with_embedded_images_and_hidden_code(tmp_path):
    html_path = notebook_to_html(
        executed_notebook(tmp_path), tmp_path / "out" / "funnel.html", header_html="<p>HDR</p>"
    )
    text = html_path.read_text(encoding="utf-8")
    assert external_resources(text) == []
    page = BeautifulSoup(text, "html.parser")
    assert not [s for s in page.select("script") if s.get("src")]
    sources = [img["src"] for img in page.select("img")]
    assert len(sources) == 2 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "secret_code" not in text
    assert page.select_one("h1").text.strip("¶") == "Funnel report"
    assert page.select_one("main > p").text == "HDR"
    assert META_MIME not in text and "Funnel" == page.title.text  # title from the metadata


def test_external_resources_finds_network_fetches_but_not_plain_links():
    html = (
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
        "href=//cdn.example/y.css><img src='http://e.x/i.png'><a href='https://ok.example'>a</a>"
        "<style>@import url('https://fonts.example/f.css');</style>"
    )
    assert external_resources(html) == [
        "https://cdn.example/x.js",
        "//cdn.example/y.css",
        "http://e.x/i.png",
        "https://fonts.example/f.css",
    ]


def test_publish_outside_a_kernel_is_silent_and_metadata_reads_back(tmp_path, capsys):
    assert publish(title="x", data_range=("2026-01-01", "2026-02-01")) is None
    assert capsys.readouterr() == ("", "")
    path = executed_notebook(tmp_path)
    assert read_published(path) == {"title": "Funnel", "data_range": ["a", "b"]}
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].outputs = []
    assert notebook_title(nb) == "Funnel report"  # falls back to the first heading


def test_index_reads_runs_without_manifest_from_papermill_metadata(tmp_path):
    run = tmp_path / "reports" / "20260101T000000Z"
    run.mkdir(parents=True)
    nb = nbformat.read(executed_notebook(tmp_path), as_version=4)
    nb.metadata["papermill"] = {
        "parameters": {"segment": "smb"},
        "start_time": "2026-01-01T00:00:01+00:00",
        "end_time": "2026-01-01T00:00:04+00:00",
        "duration": 3.0,
        "exception": None,
    }
    nbformat.write(nb, run / "funnel__segment-smb.ipynb")
    (run / "funnel__segment-smb.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "reports" / "empty").mkdir()
    (runs,) = read_runs(tmp_path / "reports")
    assert runs["reports"][0]["parameters"] == {"segment": "smb"}
    assert runs["reports"][0]["status"] == "ok"
    page = BeautifulSoup(write_index(tmp_path / "reports").read_text("utf-8"), "html.parser")
    link = page.select_one("a[href$='.html']")
    assert link["href"] == "20260101T000000Z/funnel__segment-smb.html"
    assert link.text == "Funnel"
    assert "a \u2013 b" in page.text and "segment=smb" in page.text
    assert json.loads(json.dumps(runs))  # manifests stay JSON
