"""A report run's BI tables reconcile with its reports (issue 17, point 4), and its pages stay
self-contained and small.

One run of the journey map, drop-offs, attribution and data-health reports on the small
sample project; each report's tables (docs/outputs.md) are read back and compared with the
numbers the HTML pages show and the notebook published.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from workbench.cli import main
from workbench.report.html import external_resources
from workbench.report.outputs import SCHEMAS

pytestmark = pytest.mark.slow

MAX_BYTES = 5_000_000


@pytest.fixture(scope="module")
def run(small_project, tmp_path_factory):
    config, _ = small_project
    out = tmp_path_factory.mktemp("bi") / "reports"
    args = ["report", "--config", str(config), "--out", str(out), "--run-id", "bi", "--quiet"]
    for name in ("journey_map", "dropoffs", "attribution", "data_health"):
        args += ["--notebook", name]
    assert main([*args, "-p", "segment=all"]) == 0
    return out


def _manifest(run):
    return json.loads((run / "bi" / "run.json").read_text(encoding="utf-8"))


def _report(run, notebook):
    (entry,) = [r for r in _manifest(run)["reports"] if r["notebook"] == notebook]
    return entry


def _tables(run, notebook):
    entry = _report(run, notebook)
    folder = run / "bi" / "tables" / entry["name"]
    out = {}
    for t in entry["tables"]:
        parquet = pd.read_parquet(run / "bi" / t["parquet"])
        csv = pd.read_csv(run / "bi" / t["csv"])
        assert list(parquet.columns) == list(SCHEMAS[t["name"]][1]), t["name"]
        assert list(csv.columns) == list(parquet.columns)
        assert len(csv) == len(parquet), t["name"]
        out[t["name"]] = parquet
    assert (folder / "README.md").is_file()
    return out


def _text(run, notebook):
    page = run / "bi" / _report(run, notebook)["html"]
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text(" ")


def _count(text):
    return int(text.replace(",", ""))


def test_journey_map_tables_reconcile_with_the_report(run):
    tables = _tables(run, "journey_map")
    assert set(tables) == {"journeys", "top_paths", "flow_links"}
    line = re.search(
        r"([\d,]+) journeys? \| in the flow ([\d,]+) \| in top paths ([\d,]+) \| "
        r"converted ([\d,]+)",
        _text(run, "journey_map"),
    )
    journeys, in_flow, in_paths, converted = (_count(g) for g in line.groups())
    j, paths, links = tables["journeys"], tables["top_paths"], tables["flow_links"]
    assert len(j) == journeys and int(j["converted"].sum()) == converted
    assert int(paths["journeys"].sum()) == in_paths == journeys
    assert int(paths["conversions"].sum()) == converted
    first = links[links["step"] == links["step"].min()]
    assert int(first["journeys"].sum()) == in_flow
    assert j["journey_id"].is_unique


def test_top_paths_table_of_the_page_is_the_head_of_the_written_one(run):
    page = run / "bi" / _report(run, "journey_map")["html"]
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    heads = None
    for t in soup.find_all("table"):
        heads = [th.get_text() for th in t.find_all("th")]
        if heads[:2] == ["rank", "path"]:
            shown = t
            break
    rows = [
        [td.get_text() for td in tr.find_all("td")] for tr in shown.find("tbody").find_all("tr")
    ]
    rows = [r for r in rows if r[1] != "(other paths)"]  # the rest, summed in one line
    assert len(rows) == 10
    written = _tables(run, "journey_map")["top_paths"].head(len(rows))
    assert [r[1] for r in rows] == written["path"].tolist()
    col = heads.index("journeys")
    assert [_count(r[col]) for r in rows] == written["journeys"].tolist()


def test_funnel_and_lift_tables_reconcile(run):
    tables = _tables(run, "dropoffs")
    funnel = tables["funnel_steps"]
    line = re.search(r"in the funnel ([\d,]+)", _text(run, "dropoffs"))
    everyone = funnel[funnel["segment"] == "All journeys"]
    assert int(everyone.loc[everyone["step"] == everyone["step"].min(), "journeys"].iloc[0]) == (
        _count(line.group(1))
    )
    assert "touchpoint_lift" in tables


def test_per_touch_credits_sum_to_each_models_channel_credits(run):
    tables = _tables(run, "attribution")
    credits, touches = tables["credits_by_channel"], tables["touch_credits"]
    published = pd.DataFrame(_report(run, "attribution")["meta"]["credits"])
    pd.testing.assert_frame_equal(
        credits.sort_values(["model", "channel"]).reset_index(drop=True),
        published.sort_values(["model", "channel"]).reset_index(drop=True)[credits.columns],
        check_dtype=False,
    )
    converted = _count(re.search(r"([\d,]+) converted journeys?;", _text(run, "attribution"))[1])
    per_model = credits.groupby("model")["conversions"].sum()
    assert (per_model - converted).abs().max() < 1e-6
    want = credits.groupby(["model", "channel"])[["conversions", "value"]].sum()
    have = touches.groupby(["model", "channel"])[["credit", "value_credit"]].sum()
    both = want.join(have, how="outer").fillna(0.0)
    assert (both["conversions"] - both["credit"]).abs().max() < 1e-6
    assert (both["value"] - both["value_credit"]).abs().max() < 1e-6 * both["value"].sum()
    # every model credits real touches: residual rows are the exception, not the rule
    real = touches[touches["journey_id"].notna()]
    assert set(real["model"]) == set(credits["model"])
    assert (real["position"] >= 0).all()
    assert "value_sent_back" in tables


def test_data_health_tables(run):
    tables = _tables(run, "data_health")
    rows = _count(re.search(r"([\d,]+) rows? set aside", _text(run, "data_health"))[1])
    assert int(tables["quarantine_reasons"]["rows"].sum()) == rows
    assert len(tables["sources"]) > 0


def test_index_links_every_table(run):
    index = (run / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(index, "html.parser")
    hrefs = {a["href"] for a in soup.find_all("a")}
    for entry in _manifest(run)["reports"]:
        for t in entry["tables"]:
            assert f"bi/{t['csv']}" in hrefs and f"bi/{t['parquet']}" in hrefs
            assert (run / "bi" / t["csv"]).is_file()
        assert f"bi/tables/{entry['name']}/README.md" in hrefs


def test_pages_load_nothing_from_the_network_and_stay_small(run):
    pages = [run / "index.html", *sorted((run / "bi").glob("*.html"))]
    assert len(pages) == 5
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert external_resources(html) == [], page.name
        assert page.stat().st_size < MAX_BYTES, (page.name, page.stat().st_size)
        soup = BeautifulSoup(html, "html.parser")
        for tag in soup.find_all(["script", "link", "img"]):
            for attr in ("src", "href"):
                assert not str(tag.get(attr, "")).startswith(("http:", "https:", "//"))
