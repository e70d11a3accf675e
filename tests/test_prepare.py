"""prepare hands ``person_id`` on as integer codes and writes it as plain strings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.config import load_config
from workbench.prepare import load_prepared, prepare, write_prepared

WEB = """\
order_id,email,ts,value
W1,ann@shop.test,2026-03-01 10:00:00,120.00
W2,bob@shop.test,2026-03-02 11:00:00,80.00
W3,cat@shop.test,2026-03-03 12:00:00,55.00
W4,ann@shop.test,2026-03-04 12:00:00,10.00
"""
MAIL = """\
Email,Campaign,Action,Timestamp
ann@shop.test,Spring,open,2026-02-01 10:00
cat@shop.test,Spring,open,2026-02-01 10:00
bob@shop.test,Spring,click,2026-02-02 10:00
"""


def _config(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "web.csv").write_text(WEB)
    (raw / "mail.csv").write_text(MAIL)
    config = tmp_path / "workbench.toml"
    config.write_text(
        textwrap.dedent(
            """
            [project]
            data_dir = "raw"
            processed_dir = "out"
            [[sources]]
            name = "mail"
            format = "email_activity"
            path = "mail.csv"
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
            [conversions.purchase]
            sources = ["web"]
            """
        )
    )
    return config


def test_person_ids_are_coded_in_memory_and_strings_on_disk(tmp_path):
    cfg = load_config(_config(tmp_path))
    prepared = prepare(cfg)
    people = prepared.people["person_id"].tolist()
    for name in ("touchpoints", "conversions"):
        person = getattr(prepared, name)["person_id"]
        assert isinstance(person.dtype, pd.CategoricalDtype)
        assert list(person.cat.categories) == people  # codes are rows of ``people``
    # the people's conversion recount (after the definitions) reads the coded column
    conversions = prepared.people.set_index("person_id")["conversions"]
    conv = prepared.conversions.set_index("conversion_id")["person_id"]
    assert conv["W1"] == conv["W4"] != conv["W2"]
    assert conversions.to_dict() == {conv["W1"]: 2, conv["W2"]: 1, conv["W3"]: 1}
    assert prepared.summary().set_index("metric")["value"]["people"] == 3

    out = tmp_path / "out"
    write_prepared(prepared, out)
    for name in ("touchpoints", "conversions"):
        stored = pq.read_table(out / f"{name}.parquet")
        kind = stored.schema.field("person_id").type
        assert pa.types.is_large_string(kind) or pa.types.is_string(kind)
        loaded = getattr(load_prepared(out), name)["person_id"]
        assert loaded.dtype == "string"
        expected = getattr(prepared, name)["person_id"].astype("string")
        assert loaded.tolist() == expected.tolist()


def test_rows_per_person_counts_codes_or_strings_alike():
    from workbench.prepare import _rows_per_person

    ids = pd.Series(pd.array(["p_b", "p_a", "p_c"], dtype="string"), index=[7, 8, 9])
    dtype = pd.CategoricalDtype(pd.Index(ids.array))
    coded = pd.Series(pd.Categorical.from_codes([1, 1, -1, 0, 1], dtype=dtype))
    got = _rows_per_person(coded, ids)
    assert got.tolist() == [1, 3, 0] and got.index.tolist() == [7, 8, 9]
    assert _rows_per_person(coded.astype("string"), ids).tolist() == [1, 3, 0]
    other = pd.CategoricalDtype(pd.Index(pd.array(["p_a", "p_b", "p_c"], dtype="string")))
    reordered = pd.Series(pd.Categorical.from_codes([0, 0, -1, 1, 0], dtype=other))
    assert _rows_per_person(reordered, ids).tolist() == [1, 3, 0]
