"""The sample's files follow docs/formats.md and are reproducible byte for byte."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from workbench.sample import generate_sample

GA4_KEYS = [
    "event_date",
    "event_timestamp",
    "event_name",
    "event_params",
    "event_previous_timestamp",
    "event_value_in_usd",
    "event_bundle_sequence_id",
    "event_server_timestamp_offset",
    "user_id",
    "user_pseudo_id",
    "privacy_info",
    "user_properties",
    "user_first_touch_timestamp",
    "user_ltv",
    "device",
    "geo",
    "app_info",
    "traffic_source",
    "stream_id",
    "platform",
    "event_dimensions",
    "ecommerce",
    "items",
    "collected_traffic_source",
    "is_active_user",
]
#: Headers exactly as docs/formats.md spells them: (file, lines before the header, header).
CSV_HEADERS = [
    (
        "google_ads/click_view.csv",
        2,
        "Google click ID,Click date,Campaign,Campaign ID,Ad group,Keyword,Match type,Device,"
        "Click type",
    ),
    (
        "google_ads/campaign_report.csv",
        2,
        "Day,Campaign,Campaign ID,Campaign type,Currency code,Cost,Impr.,Clicks,Conversions,"
        "Conv. value",
    ),
    (
        "meta/ads_manager_export.csv",
        0,
        "Reporting starts,Reporting ends,Campaign name,Campaign ID,Ad set name,Currency,"
        "Amount spent (USD),Impressions,Reach,Link clicks,Results,Result indicator,"
        "Purchases conversion value",
    ),
    (
        "hubspot/contacts.csv",
        0,
        "Record ID,First Name,Last Name,Email,Phone Number,Create Date,Lifecycle Stage,"
        "Associated Company ID,Original Source,GA Client ID,User ID,Became a Lead Date,"
        "Became a Marketing Qualified Lead Date,Became an Opportunity Date,"
        "Became a Customer Date",
    ),
    (
        "hubspot/companies.csv",
        0,
        "Record ID,Company name,Company Domain Name,Industry,Number of Employees,"
        "Employee band,Country/Region,Create Date",
    ),
    (
        "hubspot/deals.csv",
        0,
        "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Currency,Create Date,Close Date,"
        "Associated Contact IDs,Associated Company ID,Product Line,Deal Type",
    ),
    (
        "hubspot/activities/calls.csv",
        0,
        "Record ID,Activity date,Call Title,Call outcome,Activity assigned to,Associated Contact,"
        "Associated Contact IDs,Associated Company,Associated Company IDs",
    ),
    (
        "hubspot/activities/meetings.csv",
        0,
        "Record ID,Activity date,Meeting name,Meeting outcome,Activity assigned to,"
        "Associated Contact,Associated Contact IDs,Associated Company,Associated Company IDs",
    ),
    (
        "hubspot/activities/emails.csv",
        0,
        "Record ID,Activity date,Email subject,Activity assigned to,Associated Contact,"
        "Associated Contact IDs,Associated Company,Associated Company IDs",
    ),
    ("email/mailchimp_activity.csv", 0, "email_address,campaign_name,action,timestamp,url"),
    (
        "webinar/registrants.csv",
        0,
        "Webinar ID,Topic,First Name,Last Name,Email,Registration Time,Approval Status",
    ),
    (
        "webinar/attendees.csv",
        0,
        "Webinar ID,Topic,User Name (Original Name),Email,Join Time,Leave Time,"
        "Time in Session (minutes),Attended",
    ),
    (
        "offline/badge_scans.csv",
        0,
        "Event Name,Scan Time,Badge ID,First Name,Last Name,Email,Company,Job Title",
    ),
    (
        "_truth/people.csv",
        0,
        "person_id,account_id,segment,region,product_line,is_internal,converted,n_devices",
    ),
    ("_truth/identifiers.csv", 0, "id_type,id_value,person_id"),
    ("_truth/accounts.csv", 0, "account_id,crm_company_id,industry,employee_band"),
    (
        "_truth/channel_contribution.csv",
        0,
        "channel,conversions,conversions_lost,revenue_lost,share_conversions,share_revenue,"
        "conversions_shapley,share_shapley",
    ),
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample_formats")
    return out, generate_sample(out, people=400, seed=3)


def _hashes(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _events(out) -> list[dict]:
    events = []
    for path in sorted((out / "ga4").glob("events_*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events


def _params(event: dict) -> dict:
    return {
        p["key"]: next((v for v in p["value"].values() if v is not None), None)
        for p in event["event_params"]
    }


@pytest.mark.parametrize(("rel", "skip", "header"), CSV_HEADERS)
def test_csv_headers_are_the_documented_ones_and_parse(sample, rel, skip, header):
    out, summary = sample
    lines = (out / rel).read_text(encoding="utf-8").splitlines()
    assert lines[skip] == header
    df = pd.read_csv(out / rel, skiprows=skip, dtype=str, keep_default_na=False)
    assert list(df.columns) == header.split(",")
    rows = len(df) - (1 if rel.endswith("campaign_report.csv") else 0)
    assert rows == summary.files[rel]


def test_google_ads_report_has_title_lines_thousands_separators_and_total_row(sample):
    out, _ = sample
    lines = (out / "google_ads/campaign_report.csv").read_text().splitlines()
    assert lines[1] == '"January 1, 2026 - June 30, 2026"'
    assert lines[-1].startswith("Total: Account,")
    df = pd.read_csv(out / "google_ads/campaign_report.csv", skiprows=2, dtype=str)
    total = df.iloc[-1]
    body = df.iloc[:-1]
    cost = pd.to_numeric(body["Cost"].str.replace(",", ""))
    assert float(total["Cost"].replace(",", "")) == pytest.approx(cost.sum(), abs=0.05)
    assert "," in total["Impr."]
    assert set(body["Day"].str.len()) == {10}


def test_linkedin_export_is_utf16_tsv_after_five_preamble_lines(sample):
    out, summary = sample
    raw = (out / "linkedin/campaign_performance.csv").read_bytes()
    assert raw[:2] == b"\xff\xfe"
    text = raw.decode("utf-16")
    assert text.splitlines()[0] == "Campaign Performance Report (in UTC)"
    assert text.splitlines()[4] == ""
    df = pd.read_csv(
        out / "linkedin/campaign_performance.csv", encoding="utf-16", sep="\t", skiprows=5
    )
    assert list(df.columns)[:3] == ["Start Date (in UTC)", "Account Name", "Campaign Group Name"]
    assert len(df) == summary.files["linkedin/campaign_performance.csv"] == 181 * 3
    assert pd.to_datetime(df["Start Date (in UTC)"], format="%m/%d/%Y").min() == pd.Timestamp(
        "2026-01-01"
    )


def test_ga4_lines_have_the_bigquery_shape(sample):
    out, _ = sample
    names = sorted(p.name for p in (out / "ga4").glob("*.ndjson"))
    assert names[0] >= "events_20260101.ndjson" and names[-1] <= "events_20260630.ndjson"
    events = _events(out)
    assert {e["event_name"] for e in events} == {
        "first_visit",
        "session_start",
        "page_view",
        "generate_lead",
        "sign_up",
        "login",
        "purchase",
    }
    for e in events[:500]:
        assert list(e) == GA4_KEYS
        for p in e["event_params"]:
            assert list(p["value"]) == ["string_value", "int_value", "float_value", "double_value"]
    purchases = [e for e in events if e["event_name"] == "purchase"]
    assert all(e["ecommerce"]["purchase_revenue"] == _params(e)["value"] for e in purchases)
    paths = {urlsplit(_params(e)["page_location"]).path for e in events}
    assert {"/pricing", "/signup", "/demo-request"} <= paths
    assert any(p.startswith("/compare/") for p in paths)
    assert any(p.startswith("/blog/") for p in paths)
    assert all(e["platform"] == "WEB" for e in events)


def test_ga4_user_id_only_after_login_and_traffic_source_is_first_touch(sample):
    out, _ = sample
    by_device: dict[str, list[dict]] = {}
    for e in _events(out):
        if e["user_pseudo_id"]:
            by_device.setdefault(e["user_pseudo_id"], []).append(e)
    for events in by_device.values():
        events.sort(key=lambda e: (e["event_timestamp"], e["event_name"] != "session_start"))
        logged_in = False
        for e in events:
            logged_in |= e["event_name"] in ("sign_up", "login")
            assert e["user_id"] is None or logged_in
        first = next(e for e in events if e["event_name"] == "session_start")
        p = _params(first)
        assert {json.dumps(e["traffic_source"]) for e in events} == {
            json.dumps({"name": p["campaign"], "medium": p["medium"], "source": p["source"]})
        }


def test_landing_urls_carry_utm_and_click_ids_that_match_collected_source(sample):
    out, _ = sample
    starts = [e for e in _events(out) if e["event_name"] == "session_start"]
    seen = set()
    for e in starts:
        p = _params(e)
        query = parse_qs(urlsplit(p["page_location"]).query)
        cts = e["collected_traffic_source"]
        if "utm_source" in query:
            assert cts["manual_source"] == query["utm_source"][0] == p["source"]
            assert cts["manual_medium"] == query["utm_medium"][0] == p["medium"]
            assert cts["manual_campaign_name"] == query["utm_campaign"][0] == p["campaign"]
            seen.add((p["source"], p["medium"]))
        if "gclid" in query:
            assert cts["gclid"] == query["gclid"][0]
        for key in ("fbclid", "li_fat_id"):
            if key in query:
                seen.add(key)
    assert {
        ("google", "cpc"),
        ("google", "display"),
        ("facebook", "paid_social"),
        ("linkedin", "paid_social"),
        ("mailchimp", "email"),
        "fbclid",
        "li_fat_id",
    } <= seen


def test_ga4_sessions_use_the_documented_utm_vocabulary_per_channel(sample):
    """Each truth channel's GA4 sessions carry the source / medium / campaign of vocab.py."""
    out, _ = sample
    touches = pd.read_csv(out / "_truth/touches.csv", dtype=str, keep_default_na=False)
    web = touches[(touches["ga4_session"] == "true") & (touches["channel"] != "Email")]
    channel = dict(zip(zip(web["device_id"], web["ts"], strict=True), web["channel"], strict=True))

    def rule(source: str, medium: str, campaign: str) -> str:
        if source == "google" and medium == "cpc":
            return "Paid Search - Brand" if "brand" in campaign else "Paid Search - Generic"
        if medium == "display" and "retargeting" in campaign:
            return "Display - Retargeting"
        if medium == "paid_social":
            return {"facebook": "Paid Social - Meta", "linkedin": "Paid Social - LinkedIn"}[source]
        if (source, medium) == ("google", "organic"):
            return "Organic Search"
        if (source, medium) == ("(direct)", "(none)"):
            return "Direct"
        if medium == "referral":
            return "Referral"
        if medium == "social":
            return "Organic Social"
        return "?"

    checked = 0
    for e in _events(out):
        if e["event_name"] != "session_start" or not e["user_pseudo_id"]:
            continue
        ts = pd.Timestamp(e["event_timestamp"], unit="us").strftime("%Y-%m-%d %H:%M:%S")
        truth = channel.get((e["user_pseudo_id"], ts))
        if truth is None:
            continue
        p = _params(e)
        assert rule(p["source"], p["medium"], p["campaign"]) == truth
        checked += 1
    assert checked > 500


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    a = _hashes(generate_sample(tmp_path / "a", people=250, seed=5).out_dir)
    b = _hashes(generate_sample(tmp_path / "b", people=250, seed=5).out_dir)
    c = _hashes(generate_sample(tmp_path / "c", people=250, seed=6).out_dir)
    assert a == b
    assert len(a) > 150
    differing = [k for k in a if a[k] != c.get(k)]
    assert len(differing) > 0.9 * len(a)


def test_chunked_generation_keeps_identifiers_consistent(tmp_path):
    summary = generate_sample(tmp_path, people=500, seed=2, chunk_people=200)
    people = pd.read_csv(tmp_path / "_truth/people.csv", dtype=str)
    ids = pd.read_csv(tmp_path / "_truth/identifiers.csv", dtype=str)
    assert len(people) == 500 == people["person_id"].nunique()
    assert summary.mess["shared_devices"] == 1
    owners = ids.groupby(["id_type", "id_value"])["person_id"].nunique()
    assert (owners > 1).sum() == 1
    contacts = pd.read_csv(tmp_path / "hubspot/contacts.csv", dtype=str)
    assert contacts["Record ID"].is_unique
