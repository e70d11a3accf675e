"""Reports are readable at 390 px: viewport, tables scroll in their own box, figures scale."""

from __future__ import annotations

import base64
import re

import nbformat
import pandas as pd
from bs4 import BeautifulSoup

from workbench.report.html import notebook_to_html
from workbench.report.index import write_index

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """(selectors, declarations) of every rule, media queries flattened."""
    out = []
    for selectors, body in _RULE.findall(css):
        decls = {}
        for decl in body.split(";"):
            if ":" in decl:
                key, value = decl.split(":", 1)
                decls[key.strip()] = value.replace("!important", "").strip()
        sels = [s.strip() for s in re.sub(r"/\*.*?\*/", "", selectors, flags=re.S).split(",")]
        out.append((sels, decls))
    return out


def _applies(rules, element, **wanted: str) -> bool:
    """Whether a rule whose selector matches ``element`` sets every declaration in ``wanted``."""
    for selectors, decls in rules:
        for sel in selectors:
            try:
                matched = element in element.find_parent("html").select(sel)
            except Exception:  # noqa: BLE001 - selectors soupsieve does not know
                continue
            if matched and all(decls.get(k.replace("_", "-")) == v for k, v in wanted.items()):
                return True
    return False


def _wide_report(tmp_path):
    frame = pd.DataFrame({f"column_{i}": [f"value {i} " * 4] * 3 for i in range(14)})
    cell = nbformat.v4.new_code_cell("show()", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": frame.to_html()}),
        nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(PNG).decode(), "text/plain": "f"}
        ),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Wide report\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
        cell,
    ]
    path = notebook_to_html(nb, tmp_path / "wide.html")
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_report_has_a_device_width_viewport(tmp_path):
    soup = _wide_report(tmp_path)
    meta = soup.find("meta", attrs={"name": "viewport"})
    assert meta is not None and "width=device-width" in meta["content"]


def test_tables_scroll_inside_their_own_box_and_images_scale(tmp_path):
    soup = _wide_report(tmp_path)
    styles = soup.find_all("style")
    rules = _rules("\n".join(s.get_text() for s in styles))
    tables = soup.find_all("table")
    assert len(tables) == 2, "the data frame and the markdown table"
    for table in tables:
        assert _applies(rules, table, display="block", max_width="100%", overflow_x="auto")
    (img,) = [i for i in soup.find_all("img") if i.get("src", "").startswith("data:image/png")]
    assert _applies(rules, img, max_width="100%", height="auto")
    # our rules come after JupyterLab's stylesheet, so they win ties
    texts = [s.get_text() for s in styles]
    ours = max(i for i, t in enumerate(texts) if "overflow-x: auto" in t and "table" in t)
    lab = max(i for i, t in enumerate(texts) if ".jp-OutputArea-output" in t and i != ours)
    assert ours > lab


def test_the_index_page_is_readable_on_a_phone(tmp_path):
    soup = BeautifulSoup(write_index(tmp_path).read_text(encoding="utf-8"), "html.parser")
    meta = soup.find("meta", attrs={"name": "viewport"})
    assert meta is not None and "width=device-width" in meta["content"]
    css = soup.find("style").get_text()
    phone = css[css.index("@media (max-width: 600px)") :]
    assert "overflow-x: auto" in phone
