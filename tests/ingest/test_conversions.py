"""Conversion definitions and cross-source de-duplication, applied once in prepare."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import load_config
from workbench.errors import ConfigError
from workbench.ingest.conversions import ConversionDefinition, apply_definitions
from workbench.ingest.quarantine import Quarantine
from workbench.prepare import prepare

# Three shoppers buy on the web; the CRM mirrors two of those purchases as deals in an
# "Ecommerce Pipeline" (a few hours later, same amount). One B2B deal is in the Sales
# Pipeline. Real conversions: 3 purchases + 1 sales deal = 4.
WEB = """\
order_id,email,ts,value
W1,ann@shop.test,2026-03-01 10:00:00,120.00
W2,bob@shop.test,2026-03-02 11:00:00,80.00
W3,cat@shop.test,2026-03-03 12:00:00,55.00
"""
CONTACTS = """\
Record ID,Email,Create Date
101,ann@shop.test,2026-01-01 09:00
102,bob@shop.test,2026-01-01 09:00
103,cat@shop.test,2026-01-01 09:00
104,dan@corp.test,2026-01-01 09:00
"""
DEALS = """\
Record ID,Deal Name,Pipeline,Deal Stage,Amount,Create Date,Close Date,Associated Contact IDs
D1,Order W1,Ecommerce Pipeline,Closed Won,120,2026-03-01 10:30,2026-03-01 13:00,101
D2,Order W2,Ecommerce Pipeline,Closed Won,80.4,2026-03-02 11:30,2026-03-02 15:00,102
D3,Big deal,Sales Pipeline,Closed Won,9000,2026-02-01 09:00,2026-03-04 09:00,104
D4,Lost deal,Sales Pipeline,Closed Lost,5000,2026-02-01 09:00,,103
"""


def _project(tmp_path: Path, conversions: str, deals: str = DEALS) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "web.csv").write_text(WEB)
    (raw / "contacts.csv").write_text(CONTACTS)
    (raw / "deals.csv").write_text(deals)
    config = tmp_path / "workbench.toml"
    config.write_text(
        textwrap.dedent(
            """
            [project]
            data_dir = "raw"
            processed_dir = "out"

            [[sources]]
            name = "web"
            format = "csv"
            table = "conversions"
            path = "web.csv"
            constants = { conversion_type = "purchase" }
            [sources.columns]
            conversion_id = "order_id"
            email = "email"
            ts = "ts"
            value = "value"

            [[sources]]
            name = "contacts"
            format = "hubspot_contacts"
            path = "contacts.csv"
            options = { conversion_dates = {} }

            [[sources]]
            name = "deals"
            format = "hubspot_deals"
            path = "deals.csv"
            """
        )
        + textwrap.dedent(conversions)
    )
    return config


DEFINITIONS = """
[conversions.purchase]
sources = ["web", "deals"]
types = ["purchase", "deal_won"]
filter = "pipeline != 'Sales Pipeline'"
dedup_window_hours = 24
value_tolerance = 0.01
prefer = ["web", "deals"]

[conversions.deal_won]
sources = ["deals"]
filter = "pipeline in ['Sales Pipeline']"
"""


def test_mirrored_ecommerce_deals_are_counted_once(tmp_path):
    cfg = load_config(_project(tmp_path, DEFINITIONS))
    prepared = prepare(cfg)
    conv = prepared.conversions
    counts = conv["conversion_type"].value_counts().to_dict()
    # every real conversion exactly once: 3 web purchases, 1 sales-pipeline deal
    assert counts == {"purchase": 3, "deal_won": 1}
    assert sorted(conv.loc[conv["conversion_type"] == "purchase", "conversion_id"]) == [
        "W1",
        "W2",
        "W3",
    ]
    assert conv.loc[conv["conversion_type"] == "deal_won", "conversion_id"].tolist() == ["D3"]
    dedup = prepared.diagnostics["conversion_dedup"]
    assert sorted(
        zip(dedup["dropped_conversion_id"], dedup["kept_conversion_id"], strict=True)
    ) == [
        ("D1", "W1"),
        ("D2", "W2"),
    ]
    reasons = prepared.quarantine["reason"].value_counts()
    assert (
        reasons["duplicate conversion merged by conversions.purchase (kept preferred source)"] == 2
    )
    # the opportunities (type not defined) are quarantined, not silently dropped
    assert reasons["conversion type/source not in any [conversions] definition"] == 4
    # D3 is rejected by the purchase filter but kept as a deal_won: not quarantined
    assert not reasons.index.str.startswith("conversion rejected").any()
    assert len(prepared.quarantine) == 6
    people = prepared.people.set_index("person_id")["conversions"]
    assert int(people.sum()) == 4


def test_filter_uses_the_conversions_own_pipeline_not_person_attributes(tmp_path):
    # ann (101) also closes a later Sales Pipeline deal, so her latest pipeline is "Sales
    # Pipeline"; her web purchase must still be a purchase and D5 a deal_won: the filter
    # sees each conversion's own columns, never what the person inherits.
    deals = (
        DEALS + "D5,Upsell,Sales Pipeline,Closed Won,3000,2026-03-04 09:00,2026-03-05 09:00,101\n"
    )
    cfg = load_config(_project(tmp_path, DEFINITIONS, deals))
    conv = prepare(cfg).conversions
    by_type = conv.groupby("conversion_type")["conversion_id"].agg(sorted).to_dict()
    assert by_type == {"deal_won": ["D3", "D5"], "purchase": ["W1", "W2", "W3"]}
    ann = conv[conv["conversion_id"].isin(["W1", "D5"])]
    assert ann["person_id"].nunique() == 1


def test_values_too_far_apart_or_outside_the_window_are_kept():
    base = dict(source_file="f", conversion_type="purchase", currency="USD")
    rows = pd.DataFrame(
        [
            dict(
                base,
                source="web",
                conversion_id="W1",
                person_id="p1",
                value=100.0,
                ts="2026-01-01 10:00",
                source_row=1,
            ),
            dict(
                base,
                source="crm",
                conversion_id="C1",
                person_id="p1",
                value=150.0,
                ts="2026-01-01 11:00",
                source_row=1,
            ),  # value differs
            dict(
                base,
                source="web",
                conversion_id="W2",
                person_id="p2",
                value=50.0,
                ts="2026-01-01 10:00",
                source_row=2,
            ),
            dict(
                base,
                source="crm",
                conversion_id="C2",
                person_id="p2",
                value=50.0,
                ts="2026-01-05 10:00",
                source_row=2,
            ),  # 4 days later
            dict(
                base,
                source="web",
                conversion_id="W3",
                person_id="p3",
                value=10.0,
                ts="2026-01-01 10:00",
                source_row=3,
            ),
            dict(
                base,
                source="crm",
                conversion_id="C3",
                person_id="p3",
                value=10.0,
                ts="2026-01-01 12:00",
                source_row=3,
            ),  # the mirror
            dict(
                base,
                source="crm",
                conversion_id="C4",
                person_id="p3",
                value=10.0,
                ts="2026-01-01 13:00",
                source_row=4,
            ),  # a second real order: kept (1-to-1)
        ]
    ).assign(ts=lambda f: pd.to_datetime(f["ts"], utc=True))
    d = ConversionDefinition(
        name="purchase", type="purchase", types=("purchase",), dedup_window_hours=48,
        prefer=("web", "crm"),
    )  # fmt: skip
    q = Quarantine()
    kept, dedup = apply_definitions(rows, {"purchase": d}, q)
    assert sorted(kept["conversion_id"]) == ["C1", "C2", "C4", "W1", "W2", "W3"]
    assert dedup[["dropped_conversion_id", "kept_conversion_id"]].values.tolist() == [["C3", "W3"]]
    assert dedup["hours_apart"].tolist() == [2.0]
    assert len(q) == 1


def test_definition_config_errors_are_collected(tmp_path):
    bad = """
    [conversions.purchase]
    sources = ["webb"]
    type = "purchases"
    dedup_window = 3
    """
    with pytest.raises(ConfigError) as err:
        load_config(_project(tmp_path, bad))
    text = str(err.value)
    assert "conversions.purchase.sources[] = 'webb'" in text
    assert "conversions.purchase.type = 'purchases'" in text
    assert "did you mean 'dedup_window_hours'" in text


def test_a_filter_on_a_missing_column_is_a_config_error(tmp_path):
    cfg = load_config(
        _project(tmp_path, "[conversions.deal_won]\nfilter = \"pipline == 'Sales'\"\n")
    )
    with pytest.raises(ConfigError, match="conversions.deal_won.filter"):
        prepare(cfg)
