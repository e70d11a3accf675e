"""On the sample, every real conversion is counted exactly once, in prepare and in attribute.

The sample mirrors each web order of a CRM contact as an ``Ecommerce Pipeline`` deal
(as a shop-to-CRM sync does); the bundled config's ``[conversions]`` definitions merge
them with the GA4 purchases. The truth (``_truth/conversions.csv``, ``counted``) lists the
real conversions.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace

import pandas as pd
import pytest

from workbench.cli.analysis import run_attribute
from workbench.cli.main import build_parser
from workbench.config import load_config
from workbench.notebook.workspace import Workspace
from workbench.paths import default_config_path
from workbench.prepare import prepare, write_prepared
from workbench.sample import generate_sample


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample_conversions")
    summary = generate_sample(root / "sample", people=400, seed=5)
    text = default_config_path().read_text(encoding="utf-8")
    for key, value in (
        ("data_dir", root / "sample"),
        ("processed_dir", root / "processed"),
        ("truth_dir", root / "sample" / "_truth"),
    ):
        text, n = re.subn(
            rf'^{key}\s*=\s*"[^"]*"', f'{key} = "{value.as_posix()}"', text, flags=re.M
        )
        assert n == 1
    config = root / "workbench.toml"
    config.write_text(text, encoding="utf-8")
    cfg = load_config(config)
    prepared = prepare(cfg)
    write_prepared(prepared, root / "processed")
    truth = pd.read_csv(root / "sample" / "_truth" / "conversions.csv")
    return cfg, prepared, truth[truth["counted"]], summary


def _external(conversions: pd.DataFrame, kind: str) -> pd.DataFrame:
    keep = ~conversions["is_internal"].astype(bool) & (conversions["conversion_type"] == kind)
    return conversions[keep]


def test_every_real_purchase_is_counted_once(project):
    _, prepared, truth, summary = project
    purchases = _external(prepared.conversions, "purchase")
    assert len(purchases) == int((truth["conversion_type"] == "purchase").sum())
    # the mirrors were merged, not added: each web order appears once
    order = purchases["conversion_id"].where(
        purchases["source"] == "ga4", purchases["attr_deal_name"].str.removeprefix("Web order ")
    )
    assert order.is_unique
    dedup = prepared.diagnostics["conversion_dedup"]
    mirrors = summary.mess["hubspot_mirrored_web_orders"]
    kept_from_crm = int((purchases["source"] == "hubspot_deals").sum())
    assert len(dedup) + kept_from_crm == mirrors
    assert (dedup["dropped_source"] == "hubspot_deals").all()
    assert (dedup["kept_source"] == "ga4").all()


def test_every_real_deal_is_counted_once(project):
    _, prepared, truth, _ = project
    won = _external(prepared.conversions, "deal_won")
    assert (won["attr_pipeline"] == "Sales Pipeline").all()
    # one won deal has the deliberately unparseable close date "TBD - end of quarter"
    q = prepared.quarantine
    lost = q[(q["source"] == "hubspot_deals") & (q["value"] == "TBD - end of quarter")]
    assert len(lost) == 1
    assert len(won) == int((truth["conversion_type"] == "deal_won").sum()) - 1


def test_without_definitions_the_mirrors_double_count(project):
    cfg, prepared, _, summary = project
    raw = prepare(replace(cfg, conversions={})).conversions
    won = _external(raw, "deal_won")
    assert (
        len(won)
        == len(_external(prepared.conversions, "deal_won"))
        + summary.mess["hubspot_mirrored_web_orders"]
    )


def test_journeys_and_attribute_use_the_same_conversions(project, tmp_path, capsys):
    cfg, prepared, _, _ = project
    js = Workspace.load(cfg.path, "").journeys()
    real = prepared.conversions[~prepared.conversions["is_internal"].astype(bool)]
    real = real[real["conversion_type"].isin(cfg.journeys.conversion_types)]
    ends = js.journeys[js.journeys["converted"].astype(bool)]
    assert len(ends) == len(real)
    assert ends["conversion_id"].is_unique
    out = tmp_path / "credits.csv"
    argv = ["attribute", "--config", str(cfg.path), "--models", "last", "--out", str(out)]
    touchless = int((ends["n_touches"] == 0).sum())  # credited to "(no known touch)", said so
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert run_attribute(build_parser().parse_args(argv)) == 0
    said = [w for w in caught if "have no touches" in str(w.message)]
    assert len(said) == (1 if touchless else 0)
    assert f"{len(js.journeys):,} journeys, {len(real):,} converted" in capsys.readouterr().out
    credits = pd.read_csv(out)
    assert credits["conversions"].sum() == pytest.approx(len(real))
    unknown = credits.loc[credits["channel"] == "(no known touch)", "conversions"].sum()
    assert unknown == pytest.approx(touchless)
