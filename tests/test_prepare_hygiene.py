"""Hygiene settings (blocked values, test ids, internal domains) work on hashed data."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from workbench.config import IdentityConfig, load_config
from workbench.identifiers import sha256_hex
from workbench.identity.stitch import stitch
from workbench.prepare import prepare


def _rows(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows)).astype("string")
    frame.insert(0, "ts", pd.Timestamp("2026-01-01", tz="UTC"))
    return frame


def test_blocked_values_match_hashed_emails_and_phones():
    tp = _rows(
        {"anonymous_id": "a1", "email": sha256_hex("test@example.com")},
        {"anonymous_id": "a2", "email": sha256_hex("test@example.com")},
        {"anonymous_id": "a3", "phone": sha256_hex("+14155550100")},
        {"anonymous_id": "a4", "phone": sha256_hex("+14155550100")},
    )
    config = IdentityConfig(blocked_values=("Test@Example.com", "(415) 555-0100"))
    r = stitch(tp, tp.iloc[:0], None, config)
    assert r.touchpoints["person_id"].nunique() == 4  # nobody merged through them
    blocked = r.diagnostics["blocked"].set_index(["id_type", "reason"])
    assert blocked.loc[("email", "blocked_value"), "rows"] == 2
    assert blocked.loc[("phone", "blocked_value"), "rows"] == 2


def test_test_id_patterns_on_clear_ids_and_on_hashed_emails_by_domain():
    tp = _rows(
        {"anonymous_id": "a1", "user_id": "TEST-001"},
        {"anonymous_id": "a2", "user_id": "test-002"},
        {"anonymous_id": "a3", "user_id": "u3"},
        # hashed e-mail of a test domain: the reader kept the domain
        {
            "anonymous_id": "a4",
            "email": sha256_hex("qa1@example.com"),
            "email_domain": "example.com",
        },
        # the same hashed e-mail elsewhere, without a domain column value
        {"anonymous_id": "a5", "email": sha256_hex("qa1@example.com")},
        {"anonymous_id": "a6", "email": sha256_hex("ann@shop.test"), "email_domain": "shop.test"},
    )
    config = IdentityConfig(test_ids=("TEST-*", "*@example.com"))
    r = stitch(tp, tp.iloc[:0], None, config)
    assert r.touchpoints["is_internal"].tolist() == [True, True, False, True, True, False]
    p = r.touchpoints["person_id"].tolist()
    assert p[3] != p[4]  # the test e-mail merges nobody
    blocked = r.diagnostics["blocked"].set_index(["id_type", "reason"])
    assert blocked.loc[("user_id", "test_id"), "identifiers"] == 2
    assert blocked.loc[("email", "test_id"), "rows"] == 2


def test_internal_domains_reach_hashed_emails_seen_elsewhere():
    tp = _rows(
        {"anonymous_id": "a1", "email": sha256_hex("jo@corp.test"), "email_domain": "corp.test"},
        {"anonymous_id": "a2", "email": sha256_hex("jo@corp.test")},
    )
    r = stitch(tp, tp.iloc[:0], None, IdentityConfig(internal_email_domains=("corp.test",)))
    assert r.touchpoints["is_internal"].tolist() == [True, True]


def test_readers_keep_the_domain_so_prepare_applies_the_settings(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "mail.csv").write_text(
        "Email,Campaign,Action,Timestamp\n"
        "qa@example.com,Spring,open,2026-03-01 10:00\n"
        "ann@shop.test,Spring,open,2026-03-01 10:00\n"
        "jo@corp.test,Spring,open,2026-03-01 10:00\n"
    )
    (raw / "contacts.csv").write_text(
        "Record ID,Email,Create Date\n1,qa@example.com,2026-01-01\n2,jo@corp.test,2026-01-01\n"
    )
    config = tmp_path / "workbench.toml"
    config.write_text(
        textwrap.dedent(
            """
            [project]
            data_dir = "raw"
            [identity]
            test_ids = ["*@example.com"]
            internal_email_domains = ["corp.test"]
            [[sources]]
            name = "mail"
            format = "email_activity"
            path = "mail.csv"
            [[sources]]
            name = "crm"
            format = "hubspot_contacts"
            path = "contacts.csv"
            options = { conversion_dates = {} }
            """
        )
    )
    prepared = prepare(load_config(config))
    tp = prepared.touchpoints
    assert tp["email_domain"].tolist() == ["example.com", "shop.test", "corp.test"]
    assert tp["is_internal"].tolist() == [True, False, True]
    assert prepared.identity_links["email_domain"].dropna().tolist() == ["example.com", "corp.test"]
    people = prepared.people
    assert int(people["is_internal"].sum()) == 2
