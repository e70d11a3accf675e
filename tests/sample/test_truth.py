"""The sample's ground truth agrees with its raw exports and keeps its promises.

One small sample is generated per module; every check reads the written files
(raw exports and ``_truth/``) independently of the generator's internals.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from workbench.sample import CHANNELS, generate_sample

NY = "America/New_York"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample_truth")
    summary = generate_sample(out, people=900, seed=11)
    return out, summary


@pytest.fixture(scope="module")
def ga4(sample):
    """All parseable GA4 events, with the raw line count and the unparseable lines."""
    out, _ = sample
    rows, bad, lines = [], [], []
    for path in sorted((out / "ga4").glob("events_*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            lines.append(line)
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                bad.append(line)
    return rows, bad, lines


def _params(event: dict) -> dict:
    out = {}
    for p in event["event_params"]:
        v = p["value"]
        out[p["key"]] = next(
            (v[k] for k in ("string_value", "int_value", "double_value") if v[k] is not None), None
        )
    return out


def _truth(out, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "_truth" / name, dtype=str, keep_default_na=False)


def _raw_identifiers(out, events: list[dict]) -> set[tuple[str, str]]:
    ids: set[tuple[str, str]] = set()
    for e in events:
        if e["user_pseudo_id"]:
            ids.add(("anonymous_id", e["user_pseudo_id"]))
        if e["user_id"]:
            ids.add(("user_id", e["user_id"]))
        query = parse_qs(urlsplit(_params(e).get("page_location", "")).query)
        for key in ("gclid", "fbclid", "li_fat_id"):
            for value in query.get(key, []):
                ids.add((key, value))
    clicks = pd.read_csv(out / "google_ads/click_view.csv", skiprows=2, dtype=str)
    ids |= {("gclid", v) for v in clicks["Google click ID"]}
    contacts = pd.read_csv(out / "hubspot/contacts.csv", dtype=str, keep_default_na=False)
    for col, kind in (
        ("Record ID", "crm_contact_id"),
        ("Email", "email"),
        ("Phone Number", "phone"),
        ("GA Client ID", "anonymous_id"),
        ("User ID", "user_id"),
    ):
        ids |= {(kind, v) for v in contacts[col] if v}
    for rel, col in (
        ("email/mailchimp_activity.csv", "email_address"),
        ("webinar/registrants.csv", "Email"),
        ("webinar/attendees.csv", "Email"),
        ("offline/badge_scans.csv", "Email"),
    ):
        df = pd.read_csv(out / rel, dtype=str, keep_default_na=False)
        ids |= {("email", v) for v in df[col] if v}
    for path in sorted((out / "segment").glob("*.jsonl")):  # product B (Segment)
        for line in path.read_text(encoding="utf-8").splitlines():
            call = json.loads(line)
            ids.add(("anonymous_id", call["anonymousId"]))
            if call.get("traits", {}).get("email"):
                ids.add(("email", call["traits"]["email"]))
            url = call.get("context", {}).get("page", {}).get("url", "")
            for key, values in parse_qs(urlsplit(url).query).items():
                if key in ("gclid", "fbclid", "li_fat_id"):
                    ids |= {(key, v) for v in values}
    return ids


def test_every_raw_identifier_maps_to_a_truth_person_and_back(sample, ga4):
    out, _ = sample
    events, _, _ = ga4
    truth = _truth(out, "identifiers.csv")
    people = set(_truth(out, "people.csv")["person_id"])
    assert set(truth["person_id"]) <= people
    raw = _raw_identifiers(out, events)
    in_truth = set(zip(truth["id_type"], truth["id_value"], strict=True))
    assert raw - in_truth == set()
    assert in_truth - raw == set()
    # one person per identifier, except the one shared kiosk device
    owners = truth.groupby(["id_type", "id_value"])["person_id"].nunique()
    shared = owners[owners > 1]
    assert list(shared.index.get_level_values(0)) == ["anonymous_id"]
    assert shared.iloc[0] >= 2


def test_segments_have_promised_path_lengths_and_durations(sample, ga4):
    out, _ = sample
    events, _, _ = ga4
    touches = _truth(out, "touches.csv")
    people = _truth(out, "people.csv")
    journey = touches[touches["phase"] == "journey"].merge(people, on=["person_id", "account_id"])
    journey["ts"] = pd.to_datetime(journey["ts"])
    per = journey.groupby("person_id").agg(
        n=("ts", "size"), first=("ts", "min"), seg=("segment", "first")
    )
    assert per.loc[per["seg"] == "smb", "n"].between(2, 5).all()
    assert per.loc[per["seg"] == "enterprise", "n"].between(7, 20).all()

    # SMB: first touch -> purchase (raw GA4 purchase, person via the truth's user ids)
    ids = _truth(out, "identifiers.csv")
    user_person = dict(zip(ids["id_value"], ids["person_id"], strict=True))
    purchases = {
        user_person[e["user_id"]]: pd.Timestamp(e["event_timestamp"], unit="us")
        for e in events
        if e["event_name"] == "purchase" and e["user_id"] and e["user_id"] in user_person
    }
    smb = per[per["seg"] == "smb"].join(pd.Series(purchases, name="conv"), how="inner")
    assert len(smb) >= 20
    days = (smb["conv"] - smb["first"]).dt.total_seconds() / 86400
    assert (days > 0).all() and (days <= 14.1).all()

    # enterprise: each contact's first touch -> HubSpot close date of the won deal
    deals = pd.read_csv(out / "hubspot/deals.csv", dtype=str)
    won = deals[deals["Deal Stage"] == "closedwon"].copy()
    won["close"] = (
        pd.to_datetime(won["Close Date"], format="%Y-%m-%d %H:%M", errors="coerce")
        .dt.tz_localize(NY)
        .dt.tz_convert("UTC")
        .dt.tz_localize(None)
    )
    accounts = _truth(out, "accounts.csv")
    won = won.merge(accounts, left_on="Associated Company ID", right_on="crm_company_id")
    ent = (
        per[per["seg"] == "enterprise"]
        .join(people.set_index("person_id")["account_id"])
        .merge(won[["account_id", "close"]], on="account_id")
    )
    ent = ent.dropna(subset=["close"])
    assert len(ent) >= 10
    days = (ent["close"] - ent["first"]).dt.total_seconds() / 86400
    assert days.between(30, 121).all()


def test_cross_device_people_are_linked_by_login_or_form_or_not_at_all(sample, ga4):
    out, _ = sample
    events, _, _ = ga4
    ids = _truth(out, "identifiers.csv")
    ga4_browsers = {e["user_pseudo_id"] for e in events if e["user_pseudo_id"]}
    # GA4 browsers (product B's Segment anonymousIds are linked by its identify calls)
    anon = ids[(ids["id_type"] == "anonymous_id") & ids["id_value"].isin(ga4_browsers)]
    per_person = anon.groupby("person_id")["id_value"].nunique()
    # people who never log in mostly keep to one browser; product users use several
    share = (per_person >= 2).mean()
    assert 0.07 < share < 0.5
    # devices linked through a login: same user_id under two pseudo ids
    pseudo_by_user: dict[str, set] = {}
    for e in events:
        if e["user_id"] and e["user_pseudo_id"]:
            pseudo_by_user.setdefault(e["user_id"], set()).add(e["user_pseudo_id"])
    assert sum(len(v) >= 2 for v in pseudo_by_user.values()) >= 20
    # a few multi-device people are never (fully) linked: a browser of theirs never logged in
    # and is not the HubSpot GA Client ID; some have two such browsers (no evidence at all)
    logged_in = set().union(*pseudo_by_user.values())
    contacts = pd.read_csv(out / "hubspot/contacts.csv", dtype=str, keep_default_na=False)
    form = set(contacts["GA Client ID"]) - {""}
    multi = anon[anon["person_id"].isin(per_person[per_person >= 2].index)]
    linked = multi["id_value"].isin(logged_in) | multi["id_value"].isin(form)
    unlinked = (~linked).groupby(multi["person_id"]).sum()
    assert (unlinked >= 1).sum() >= 3
    assert (unlinked >= 2).sum() >= 1
    assert (unlinked >= 1).mean() < 0.15


def test_platforms_claim_more_conversions_than_happened(sample):
    out, summary = sample
    google = pd.read_csv(out / "google_ads/campaign_report.csv", skiprows=2, dtype=str)
    google = google[~google["Day"].str.startswith("Total")]
    meta = pd.read_csv(out / "meta/ads_manager_export.csv")
    linkedin = pd.read_csv(
        out / "linkedin/campaign_performance.csv", encoding="utf-16", sep="\t", skiprows=5
    )
    claimed = (
        pd.to_numeric(google["Conversions"].str.replace(",", "")).sum()
        + meta["Results"].sum()
        + linkedin["Conversions"].sum()
    )
    conversions = _truth(out, "conversions.csv")
    real = int((conversions["counted"] == "true").sum())
    assert real == summary.conversions
    assert claimed > real
    assert claimed == pytest.approx(sum(summary.platform_conversions.values()))


def test_channel_contribution_follows_the_causal_model(sample):
    out, summary = sample
    for name in ("channel_contribution.csv", "channel_contribution_expected.csv"):
        c = pd.read_csv(out / "_truth" / name)
        assert list(c["channel"]) == list(CHANNELS)
        assert (c["conversions_lost"] <= c["conversions"] + 1e-9).all()
        assert (c["conversions_lost"] >= 0).all()
        assert c["share_conversions"].sum() == pytest.approx(1.0, abs=1e-4)
        assert c["conversions"].max() <= summary.conversions
    exp = pd.read_csv(out / "_truth/channel_contribution_expected.csv").set_index("channel")
    rate = exp["conversions_lost"] / exp["conversions"]
    # closers ride along, starters and the webinar cause conversions
    for closer in ("Direct", "Paid Search - Brand", "Display - Retargeting"):
        assert rate[closer] < rate["Paid Social - Meta"]
        assert rate[closer] < rate["Webinar"]
    # last-touch share of the closers is higher than their causal share
    touches = _truth(out, "touches.csv")
    journey = touches[touches["phase"] == "journey"]
    conv = _truth(out, "conversions.csv")
    buyers = conv.loc[(conv["conversion_type"] == "purchase") & (conv["counted"] == "true")]
    last = journey[journey["person_id"].isin(buyers["person_id"])].groupby("person_id").tail(1)
    last_share = last["channel"].value_counts(normalize=True)
    assert last_share["Direct"] + last_share["Paid Search - Brand"] > (
        exp.loc[["Direct", "Paid Search - Brand"], "share_conversions"].sum()
    )


def test_deliberate_mess_is_present_and_counted(sample, ga4):
    out, summary = sample
    events, bad, lines = ga4
    mess = summary.mess
    assert len(bad) == mess["ga4_truncated_lines"] == 1
    assert len(lines) - len(set(lines)) == mess["ga4_duplicate_lines"] > 0
    assert sum(e["user_pseudo_id"] is None for e in events) >= mess["ga4_cookieless_events"] > 0
    mail = pd.read_csv(out / "email/mailchimp_activity.csv", dtype=str, keep_default_na=False)
    assert mail.duplicated().sum() == mess["mailchimp_duplicate_rows"] > 0
    contacts = pd.read_csv(out / "hubspot/contacts.csv", dtype=str, keep_default_na=False)
    deals = pd.read_csv(out / "hubspot/deals.csv", dtype=str, keep_default_na=False)
    unparseable = 0
    for df, col in ((contacts, "Create Date"), (deals, "Close Date")):
        text = df[col][df[col] != ""]
        unparseable += int(
            pd.to_datetime(text, format="%Y-%m-%d %H:%M", errors="coerce").isna().sum()
        )
    assert unparseable == mess["hubspot_unparseable_dates"] == 2
    assert (contacts["Email"] == "").sum() == mess["hubspot_contacts_without_email"]
    meta = pd.read_csv(out / "meta/ads_manager_export.csv")
    assert (meta["Amount spent (USD)"] < 0).sum() == mess["negative_spend_rows"] == 1
    assert contacts["Email"].str.endswith("@northwind-analytics.com").sum() >= 2
    assert mail["email_address"].str.endswith("@northwind-analytics.com").any()
    assert set(mail["action"]) == {"Delivered", "Opened", "Clicked"}
    mirrors = deals[deals["Pipeline"] == "Ecommerce Pipeline"]
    assert len(mirrors) == mess["hubspot_mirrored_web_orders"] > 0
    assert mirrors["Deal Name"].str.fullmatch(r"Web order ORD-\d{4}-\d+").all()
    users = {e["user_id"] for e in events if e["user_id"]}
    assert "test-user-001" in users
    # exactly one device on which several different people logged in
    by_device: dict[str, set] = {}
    for e in events:
        if e["user_id"] and e["user_pseudo_id"]:
            by_device.setdefault(e["user_pseudo_id"], set()).add(e["user_id"])
    shared = [d for d, u in by_device.items() if len(u) > 1]
    assert len(shared) == mess["shared_devices"] == 1
    assert len(by_device[shared[0]]) == mess["shared_device_people"]
    people = _truth(out, "people.csv")
    assert (people["is_internal"] == "true").sum() == mess["internal_people"] >= 2


def test_hubspot_times_are_naive_new_york_local(sample):
    out, _ = sample
    eng = pd.concat(
        [
            pd.read_csv(out / f"hubspot/activities/{name}.csv", dtype=str)
            for name in ("calls", "meetings", "emails")
        ],
        ignore_index=True,
    )
    ids = _truth(out, "identifiers.csv")
    contact_person = ids[ids["id_type"] == "crm_contact_id"].set_index("id_value")["person_id"]
    local = pd.to_datetime(eng["Activity date"], format="%Y-%m-%d %H:%M")
    utc = local.dt.tz_localize(NY).dt.tz_convert("UTC").dt.tz_localize(None)
    key_raw = set(
        zip(contact_person.loc[eng["Associated Contact IDs"]].to_numpy(), utc, strict=True)
    )
    touches = _truth(out, "touches.csv")
    sales = touches[touches["channel"] == "Sales"]
    truth_ts = pd.to_datetime(sales["ts"]).dt.floor("min")
    key_truth = set(zip(sales["person_id"], truth_ts, strict=True))
    assert len(eng) > 20
    assert key_raw == key_truth
    hours = (utc.to_numpy() - local.to_numpy()) / np.timedelta64(1, "h")
    assert set(np.unique(hours)) <= {4.0, 5.0}


def _greater(table: np.ndarray) -> float:
    """One-sided Fisher exact p-value that row 0 converts more often than row 1."""
    return float(fisher_exact(table, alternative="greater")[1])


def test_webinar_attendees_convert_far_more_often(sample):
    # raw Zoom attendees and HubSpot deals, people / accounts through the truth's identifiers
    out, _ = sample
    people, ids = _truth(out, "people.csv"), _truth(out, "identifiers.csv")
    accounts = _truth(out, "accounts.csv")
    email = ids[ids["id_type"] == "email"].set_index("id_value")["person_id"]
    contact = ids[ids["id_type"] == "crm_contact_id"].set_index("id_value")["person_id"]
    zoom = pd.read_csv(out / "webinar/attendees.csv", dtype=str, keep_default_na=False)
    attended = set(email.reindex(zoom.loc[zoom["Attended"] == "Yes", "Email"]).dropna())
    deals = pd.read_csv(out / "hubspot/deals.csv", dtype=str, keep_default_na=False)
    won = deals[deals["Deal Stage"] == "closedwon"]
    # a deal is credited to its first associated contact (the champion)
    credited = set(contact.reindex(won["Associated Contact IDs"].str.split(";").str[0]).dropna())
    won_accounts = accounts.loc[
        accounts["crm_company_id"].isin(won["Associated Company ID"]), "account_id"
    ]
    ent = people[people["segment"] == "enterprise"]
    went = ent["person_id"].isin(attended)
    person = pd.DataFrame(
        {"attended": went.to_numpy(), "converted": ent["person_id"].isin(credited).to_numpy()}
    )
    by_account = went.groupby(ent["account_id"]).any()
    account = pd.DataFrame(
        {"attended": by_account.to_numpy(), "converted": by_account.index.isin(won_accounts)}
    )
    # webinars are a minority habit, so there is a comparison group
    assert 0.1 < account["attended"].mean() < 0.7
    assert person["attended"].mean() < 0.35
    for level, df, min_lift, alpha in (
        ("person", person, 3.0, 0.01),
        ("account", account, 2.0, 0.05),
    ):
        table = pd.crosstab(df["attended"], df["converted"]).reindex(
            index=[True, False], columns=[True, False], fill_value=0
        )
        rate = table[True] / table.sum(axis=1)
        assert table.loc[True].sum() >= 10, (level, table)
        assert rate[True] >= min_lift * rate[False] > 0, (level, rate)
        assert _greater(table.to_numpy()) < alpha, (level, table)


def test_sample_writes_lift_tests_for_two_channels_as_experiments(sample):
    from workbench.attribution.calibration import EXPERIMENT_COLUMNS, read_experiments

    out = sample[0]
    path = out / "_truth" / "experiments.csv"
    assert list(pd.read_csv(path).columns) == list(EXPERIMENT_COLUMNS)
    exps = read_experiments(path)  # validates low <= incremental <= high, dates, names
    assert len(exps) == 2 and set(exps["channel"]) <= set(CHANNELS)
    assert (exps["high"] > exps["low"]).all()  # a real interval, from sampling noise
    truth = pd.read_csv(out / "_truth/channel_contribution.csv").set_index("channel")
    assert (exps["start"] < exps["end"]).all()
    # a holdout of the causal model estimates the truth's lost conversions: the estimate is
    # within 4 standard errors (the 95 % interval spans about 4 of them) of the truth
    for row in exps.itertuples():
        true = truth.loc[row.channel, "conversions_lost"]
        assert abs(row.incremental - true) <= (row.high - row.low), row.channel
