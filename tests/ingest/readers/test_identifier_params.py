"""``options.identifiers``: identifiers in GA4 event parameters / user properties and Segment traits."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from workbench.config import SourceConfig
from workbench.errors import ConfigError
from workbench.identifiers import sha256_hex
from workbench.identity.stitch import stitch
from workbench.ingest.readers import read_source
from workbench.ingest.readers._identifier_params import normalize_identifier

US = 1_000_000
T0 = 1_793_000_000 * US  # 2026-10-26 (UTC), in microseconds
ANN = "ann@example.com"
ANN_HASH = sha256_hex(ANN)


def _param(key: str, value: object) -> dict[str, object]:
    slots = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    slots["int_value" if isinstance(value, int) else "string_value"] = value
    return {"key": key, "value": slots}


def _event(name: str, ts: int, user: str, params: dict[str, object], **extra: object) -> dict:
    row: dict[str, object] = {
        "event_timestamp": ts,
        "event_name": name,
        "event_params": [_param(k, v) for k, v in {"ga_session_id": 1, **params}.items()],
        "user_id": None,
        "user_pseudo_id": user,
    }
    row.update(extra)
    return row


def _events() -> list[dict]:
    return [
        # pre-hashed (upper-case hex) e-mail on a lead form
        _event("generate_lead", T0, "A", {"email_sha256": ANN_HASH.upper()}),
        # raw e-mail, hashed by the reader
        _event("generate_lead", T0 + US, "B", {"user_email": " Bob@Example.com "}),
        # placeholder and invalid values: quarantined, no link
        _event("generate_lead", T0 + 2 * US, "C", {"email_sha256": "(not set)"}),
        _event("generate_lead", T0 + 3 * US, "D", {"user_email": "not-an-email"}),
        # empty: no identifier, not quarantined
        _event("generate_lead", T0 + 4 * US, "E", {"user_email": ""}),
        # CRM id as an int user property, on an event with a user id
        _event(
            "page_view",
            T0 + 5 * US,
            "F",
            {},
            user_id="U7",
            user_properties=[_param("crm_id", 4711)],
        ),
    ]


def _ga4_source(base: Path, path: str = "events.ndjson", **options: object) -> SourceConfig:
    identifiers = {"email_sha256": "email", "user_email": "email", "crm_id": "crm_contact_id"}
    return SourceConfig(
        name="ga4",
        format="ga4",
        path=path,
        base_dir=base,
        options={"identifiers": identifiers, **options},
    )


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _pairs(links: pd.DataFrame) -> set[tuple[str, str, str, str, str]]:
    cols = ["id_type_a", "id_value_a", "id_type_b", "id_value_b", "link_type"]
    return set(links[cols].itertuples(index=False, name=None))


EXPECTED_GA4 = {
    ("anonymous_id", "A", "email", ANN_HASH, "event_param"),
    ("anonymous_id", "B", "email", sha256_hex("bob@example.com"), "event_param"),
    ("anonymous_id", "F", "crm_contact_id", "4711", "user_property"),
    ("user_id", "U7", "crm_contact_id", "4711", "user_property"),
}


def test_ga4_identifier_params_become_links(tmp_path: Path) -> None:
    _write(tmp_path / "events.ndjson", _events())
    result = read_source(_ga4_source(tmp_path))
    got = _pairs(result.identity_links.query("link_type != 'event' and link_type != 'login'"))
    assert got == EXPECTED_GA4
    q = result.quarantine
    bad = q[q["reason"].str.contains("identifier value")]
    assert sorted(zip(bad["reason"], bad["column"], bad["value"], strict=True)) == [
        ("invalid email identifier value", "event_params.user_email", "not-an-email"),
        ("placeholder identifier value", "event_params.email_sha256", "(not set)"),
    ]
    # the events themselves are kept: five lead conversions
    assert (result.conversions["conversion_type"] == "lead").sum() == 5


def test_ga4_parquet_reads_identifier_params_like_ndjson(tmp_path: Path) -> None:
    _write(tmp_path / "events.ndjson", _events())
    import pyarrow.json as pj

    from workbench.ingest.readers._ga4_events import modes

    table = pj.read_json(
        tmp_path / "events.ndjson",
        parse_options=pj.ParseOptions(
            explicit_schema=modes(True)[0].schema, unexpected_field_behavior="ignore"
        ),
    )
    pq.write_table(table, tmp_path / "events.parquet")
    result = read_source(_ga4_source(tmp_path, path="*.parquet"))
    got = _pairs(result.identity_links.query("link_type != 'event' and link_type != 'login'"))
    assert got == EXPECTED_GA4


def test_unknown_identifier_type_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    _write(tmp_path / "events.ndjson", _events())
    bad = SourceConfig(
        name="ga4",
        format="ga4",
        path="events.ndjson",
        base_dir=tmp_path,
        options={"identifiers": {"email_sha256": "emial", "x": "crm_id"}},
    )
    with pytest.raises(ConfigError) as err:
        read_source(bad)
    text = str(err.value)
    assert "options.identifiers.email_sha256 = 'emial'" in text
    assert "did you mean 'email'" in text
    assert "options.identifiers.x = 'crm_id'" in text


def test_normalize_identifier_recognises_hashes_and_phones() -> None:
    values = pd.Series([ANN_HASH.upper(), "+1 (415) 555-0123", "abc", None], dtype="string")
    phones = normalize_identifier(values, "phone")
    assert phones.iloc[0] == ANN_HASH  # pre-hashed: kept, lower-cased, not hashed again
    assert phones.iloc[1] == sha256_hex("+14155550123")
    assert phones.iloc[2:].isna().all()
    emails = normalize_identifier(pd.Series([" Ann@Example.COM "], dtype="string"), "email")
    assert emails.iloc[0] == ANN_HASH


CONTACTS = (
    "Record ID,First Name,Last Name,Email,Phone Number,Create Date,Lifecycle Stage,"
    "Associated Company ID,Original Source,GA Client ID,User ID,Became a Lead Date,"
    "Became a Marketing Qualified Lead Date,Became an Opportunity Date,Became a Customer Date\n"
    "101,Ann,Lee,Ann@Example.com,,2026-11-02 09:30,lead,,Paid Search,,,2026-11-02 09:30,,,\n"
)


def test_hashed_email_param_and_crm_contact_stitch_to_one_person(tmp_path: Path) -> None:
    _write(tmp_path / "events.ndjson", _events())
    (tmp_path / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    ga4 = read_source(_ga4_source(tmp_path))
    crm = read_source(
        SourceConfig(name="crm", format="hubspot_contacts", path="contacts.csv", base_dir=tmp_path)
    )
    result = stitch(
        pd.concat([ga4.touchpoints, crm.touchpoints], ignore_index=True),
        pd.concat([ga4.conversions, crm.conversions], ignore_index=True),
        pd.concat([ga4.identity_links, crm.identity_links], ignore_index=True),
    )
    ids = result.identities.set_index(["id_type", "id_value"])["person_id"]
    assert ids[("anonymous_id", "A")] == ids[("crm_contact_id", "101")]
    assert ids[("anonymous_id", "A")] != ids[("anonymous_id", "B")]
    lead = result.conversions.query("anonymous_id == 'A'")
    assert lead["person_id"].tolist() == [ids[("crm_contact_id", "101")]]
    by_type = result.diagnostics["links_by_id_type"].set_index(
        ["link_type", "id_type_a", "id_type_b"]
    )
    assert by_type.loc[("event_param", "anonymous_id", "email"), "links"] == 2
    assert by_type.loc[("event_param", "anonymous_id", "email"), "used"] == 2
    assert by_type.loc[("user_property", "crm_contact_id", "user_id"), "links"] == 1


def _segment(tmp_path: Path, rows: list[dict], **options: object) -> SourceConfig:
    (tmp_path / "seg.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    return SourceConfig(
        name="seg", format="segment", path="seg.jsonl", base_dir=tmp_path, options=options
    )


def test_segment_identifiers_in_traits_properties_and_context(tmp_path: Path) -> None:
    ts = "2026-11-02T10:00:00Z"
    rows = [
        {"type": "identify", "anonymousId": "a1", "userId": "u1", "timestamp": ts,
         "traits": {"crm_id": 55}, "messageId": "m1"},
        {"type": "track", "event": "Form Submitted", "anonymousId": "a2", "timestamp": ts,
         "properties": {"email_sha256": ANN_HASH}, "messageId": "m2"},
        {"type": "page", "anonymousId": "a3", "timestamp": ts, "messageId": "m3",
         "context": {"traits": {"work_email": "Cy@Example.com"}}},
        {"type": "page", "anonymousId": "a4", "timestamp": ts, "messageId": "m4",
         "context": {"traits": {"work_email": "undefined"}}},
    ]  # fmt: skip
    options = {"identifiers": {"crm_id": "crm_contact_id", "email_sha256": "email",
                               "work_email": "email"}}  # fmt: skip
    result = read_source(_segment(tmp_path, rows, **options))
    links = result.identity_links
    got = _pairs(links[links["link_type"].isin(["trait", "property"])])
    assert got == {
        ("anonymous_id", "a1", "crm_contact_id", "55", "trait"),
        ("user_id", "u1", "crm_contact_id", "55", "trait"),
        ("anonymous_id", "a2", "email", ANN_HASH, "property"),
        ("anonymous_id", "a3", "email", sha256_hex("cy@example.com"), "trait"),
    }
    q = result.quarantine
    bad = q[q["reason"] == "placeholder identifier value"]
    assert bad["column"].tolist() == ["context.traits.work_email"]


def test_segment_without_the_option_reads_as_before(tmp_path: Path) -> None:
    rows = [{"type": "page", "anonymousId": "a3", "timestamp": "2026-11-02T10:00:00Z",
             "context": {"traits": {"work_email": "cy@example.com"}}}]  # fmt: skip
    result = read_source(_segment(tmp_path, rows))
    assert not result.identity_links["link_type"].isin(["trait", "property"]).any()


def test_ga4_session_traffic_source_last_click_is_preferred(tmp_path: Path) -> None:
    from workbench.ingest.channels import assign_channels

    last_click = {
        "manual_campaign": {"source": "newsletter", "medium": "email", "campaign_name": "nov"},
        "google_ads_campaign": {"campaign_name": "Brand - US"},
        "cross_channel_campaign": {
            "source": "google",
            "medium": "cpc",
            "campaign_name": None,
            "default_channel_group": "Paid Search",
        },
    }
    old = {"manual_campaign": {"source": "newsletter", "medium": "email", "campaign_name": "x"}}
    rows = [
        # newer export: GA4's own session attribution and channel group
        _event("session_start", T0, "A", {"source": "bing", "medium": "cpc"},
               session_traffic_source_last_click=last_click),
        _event("page_view", T0 + US, "A", {}, session_traffic_source_last_click=last_click),
        # only manual_campaign: used ahead of the event parameters, channel recomputed
        _event("session_start", T0, "B", {"source": "bing", "medium": "cpc"},
               session_traffic_source_last_click=old),
        # older export without the record: event parameters as before
        _event("session_start", T0, "C", {"source": "bing", "medium": "cpc"}),
    ]  # fmt: skip
    _write(tmp_path / "events.ndjson", rows)
    result = read_source(_ga4_source(tmp_path))
    tp = assign_channels(result.touchpoints)
    sessions = tp[tp["touch_type"] == "session"].set_index("anonymous_id")
    assert sessions.loc["A", ["traffic_source", "traffic_medium", "campaign"]].tolist() == [
        "google",
        "cpc",
        "Brand - US",
    ]
    assert sessions["ga4_channel_group"].fillna("").tolist() == ["Paid Search", "", ""]
    assert sessions["channel"].tolist() == ["Paid Search", "Email", "Paid Search"]
    assert sessions.loc["B", "traffic_source"] == "newsletter"
    assert sessions.loc["C", "traffic_source"] == "bing"
    views = tp[tp["touch_type"] == "pageview"]
    assert views["ga4_channel_group"].tolist() == ["Paid Search"]
