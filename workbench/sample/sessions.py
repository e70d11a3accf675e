"""Expand web touches into GA4 sessions and events (before serialization).

Each web touch becomes one GA4 session: ``first_visit`` (first session of the
device), ``session_start``, a ``page_view`` per page (landing page, 0-3 further
pages, the compare and pricing pages when the touch viewed them, then the
role's pages), and ``generate_lead`` / ``sign_up`` / ``login`` / ``purchase``
on the page where they happen. Devices whose user refused analytics consent
send cookieless events: no ``user_pseudo_id``, ``user_id``, ``ga_session_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.sample._text import cond, frame, replace_text, zpad
from workbench.sample.journeys import PAGE, ROLE, SEC
from workbench.sample.population import DEVICE_SLOTS, Population, pseudo_id_prefix
from workbench.sample.vocab import (
    CAMPAIGNS,
    CHANNELS,
    EMAIL_CAMPAIGNS,
    PAGES,
    REFERRAL_SITES,
    SITE,
)

__all__ = ["EVENT_NAMES", "Ga4Data", "build_ga4", "purchase_times", "session_traffic"]

EVENT_NAMES: tuple[str, ...] = (
    "first_visit",
    "session_start",
    "page_view",
    "generate_lead",
    "sign_up",
    "login",
    "purchase",
)
_EV = {name: i for i, name in enumerate(EVENT_NAMES)}
_CH = {name: i for i, name in enumerate(CHANNELS)}
_CONTENT = [PAGE[p] for p in ("/", *(p for p, _ in PAGES if p.startswith(("/product/", "/blog/"))))]
_CONTENT = [i for i in _CONTENT if i != PAGE["/blog/b2b-attribution-playbook"]]
_COMPARE = [i for i, (p, _) in enumerate(PAGES) if p.startswith("/compare/")]
_APP = [PAGE["/app/dashboard"], PAGE["/app/journeys"]]
#: Pages (with the event fired there) appended to a session, per role.
_TAILS: dict[int, list[tuple[int, int]]] = {
    ROLE["lead_ebook"]: [(PAGE["/blog/b2b-attribution-playbook"], _EV["generate_lead"])],
    ROLE["lead_demo"]: [(PAGE["/demo-request"], _EV["generate_lead"])],
    ROLE["trial"]: [(PAGE["/signup"], _EV["sign_up"]), (PAGE["/app/onboarding"], -1)],
    ROLE["purchase"]: [
        (PAGE["/signup"], _EV["sign_up"]),
        (PAGE["/app/onboarding"], -1),
        (PAGE["/app/billing"], _EV["purchase"]),
    ],
    ROLE["login"]: [(PAGE["/app/dashboard"], -1)],
    ROLE["test_purchase"]: [(PAGE["/pricing"], -1), (PAGE["/app/billing"], _EV["purchase"])],
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _plus(text: str) -> str:
    return text.replace(" ", "+")


@dataclass
class Ga4Data:
    """GA4 sessions, events and devices of one chunk, ready to serialize."""

    sessions: pd.DataFrame
    events: pd.DataFrame
    devices: pd.DataFrame


def session_traffic(t: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per session: source, medium, campaign, term, content, ids, landing query, referrer."""
    n = len(t)
    ch = t["ch"].to_numpy()
    camp = t["campaign"].to_numpy()
    ag = t["adgroup"].to_numpy()
    kw = t["keyword"].to_numpy()
    src = np.full(n, "(direct)", dtype=object)
    med = np.full(n, "(none)", dtype=object)
    name = np.full(n, "(direct)", dtype=object)
    term = np.full(n, "", dtype=object)
    content = np.full(n, "", dtype=object)
    camp_id = np.full(n, "", dtype=object)
    ref = np.full(n, "", dtype=object)
    click_key = np.full(n, "", dtype=object)
    utm = np.zeros(n, dtype=bool)
    names = np.array([c.name for c in CAMPAIGNS] + [""], dtype=object)
    ids = np.array([c.campaign_id for c in CAMPAIGNS] + [""], dtype=object)
    width = max(len(c.ad_groups) for c in CAMPAIGNS)
    groups = np.array(
        [[_slug(g) for g in c.ad_groups] + [""] * (width - len(c.ad_groups)) for c in CAMPAIGNS]
        + [[""] * width],
        dtype=object,
    )
    kws = np.array(
        [[_plus(k) for k in c.keywords] + [""] * (3 - len(c.keywords)) for c in CAMPAIGNS]
        + [[""] * 3],
        dtype=object,
    )
    paid = camp >= 0
    src[paid] = np.array([c.platform for c in CAMPAIGNS], dtype=object)[camp[paid]]
    src[paid] = np.where(src[paid] == "google_ads", "google", src[paid])
    src[paid] = np.where(src[paid] == "meta", "facebook", src[paid])
    med[paid] = "paid_social"
    search = np.isin(ch, [_CH["Paid Search - Brand"], _CH["Paid Search - Generic"]])
    med[search] = "cpc"
    med[ch == _CH["Display - Retargeting"]] = "display"
    name[paid], camp_id[paid], utm[paid] = names[camp[paid]], ids[camp[paid]], True
    term[search] = kws[camp[search], np.maximum(kw[search], 0)]
    is_meta = ch == _CH["Paid Social - Meta"]
    content[is_meta] = groups[camp[is_meta], ag[is_meta]]
    google = search | (ch == _CH["Display - Retargeting"])
    click_key[google], click_key[is_meta] = "gclid", "fbclid"
    click_key[ch == _CH["Paid Social - LinkedIn"]] = "li_fat_id"
    ref[search] = "https://www.google.com/"
    ref[ch == _CH["Display - Retargeting"]] = "https://tpc.googlesyndication.com/"
    mobile = t["slot"].to_numpy() == 1
    ref[is_meta] = np.where(mobile[is_meta], "https://m.facebook.com/", "https://l.facebook.com/")
    ref[ch == _CH["Paid Social - LinkedIn"]] = "https://www.linkedin.com/"

    org = ch == _CH["Organic Search"]
    src[org], med[org], name[org], ref[org] = (
        "google",
        "organic",
        "(organic)",
        "https://www.google.com/",
    )
    rs = ch == _CH["Referral"]
    site = t["ref_site"].to_numpy()
    src[rs] = np.array([s for s, _ in REFERRAL_SITES], dtype=object)[site[rs]]
    ref[rs] = np.array([u for _, u in REFERRAL_SITES], dtype=object)[site[rs]]
    med[rs], name[rs] = "referral", "(referral)"
    soc = ch == _CH["Organic Social"]
    x = t["social_src"].to_numpy() == 1
    src[soc] = np.where(x[soc], "x.com", "linkedin.com")
    ref[soc] = np.where(x[soc], "https://t.co/", "https://www.linkedin.com/")
    med[soc], name[soc], utm[soc] = "social", "organic_social", True
    em = (ch == _CH["Email"]) & (t["phase"].to_numpy() == 0)
    slugs = np.array([e.slug for e in EMAIL_CAMPAIGNS], dtype=object)
    src[em], med[em], utm[em] = "mailchimp", "email", True
    name[em] = slugs[np.maximum(t["email_campaign"].to_numpy()[em], 0)]

    query = cond(utm, "?utm_source=") + cond(utm, src) + cond(utm, "&utm_medium=")
    query = query + cond(utm, med) + cond(utm, "&utm_campaign=") + cond(utm, name)
    query = query + cond(term != "", "&utm_term=") + term
    query = query + cond(content != "", "&utm_content=") + content
    has_click = click_key != ""
    query = query + cond(has_click, "&") + click_key + cond(has_click, "=")
    query = query + np.where(has_click, t["click_id"].to_numpy(), "").astype(object)
    return {
        "source": src,
        "medium": med,
        "campaign": name,
        "term": replace_text(term.astype(str), "+", " ").astype(object),
        "content": content,
        "campaign_id": camp_id,
        "referrer": ref,
        "query": query,
        "manual": utm,
        "gclid": np.where(google, t["click_id"].to_numpy(), "").astype(object),
        "click_key": click_key,
        "click_id": np.where(has_click, t["click_id"].to_numpy(), "").astype(object),
    }


def _pages(rng: np.random.Generator, t: pd.DataFrame) -> pd.DataFrame:
    """One row per page view: session row, position, page index and fired event."""
    n = len(t)
    role = t["role"].to_numpy()
    app = np.isin(role, [ROLE["login"], ROLE["test_purchase"]])
    landing = t["landing"].to_numpy().astype(np.int64)
    n_extra = rng.choice(4, size=n, p=[0.35, 0.3, 0.2, 0.15])
    n_extra = np.where(app, rng.integers(0, 3, n), n_extra)
    has_compare = t["has_compare"].to_numpy() & ~np.isin(landing, _COMPARE)
    has_pricing = (t["has_pricing"].to_numpy() | (role == ROLE["purchase"])) & (
        landing != PAGE["/pricing"]
    )
    has_pricing &= ~app
    blocks = [
        (np.arange(n), np.zeros(n), landing, np.where(app, _EV["login"], -1)),
    ]
    s_extra = np.repeat(np.arange(n), n_extra)
    j = np.arange(len(s_extra)) - np.repeat(np.cumsum(n_extra) - n_extra, n_extra)
    pool = np.where(
        app[s_extra],
        np.array(_APP)[rng.integers(0, len(_APP), len(s_extra))],
        np.array(_CONTENT)[rng.integers(0, len(_CONTENT), len(s_extra))],
    )
    blocks.append((s_extra, 1 + j, pool, np.full(len(s_extra), -1)))
    s_cmp = np.flatnonzero(has_compare)
    cmp_page = np.array(_COMPARE)[rng.integers(0, len(_COMPARE), len(s_cmp))]
    blocks.append((s_cmp, np.full(len(s_cmp), 5), cmp_page, np.full(len(s_cmp), -1)))
    s_pr = np.flatnonzero(has_pricing)
    blocks.append(
        (s_pr, np.full(len(s_pr), 6), np.full(len(s_pr), PAGE["/pricing"]), -np.ones(len(s_pr)))
    )
    for r, tail in sorted(_TAILS.items()):
        s_r = np.flatnonzero(role == r)
        for i, (page, event) in enumerate(tail):
            blocks.append(
                (s_r, np.full(len(s_r), 7 + i), np.full(len(s_r), page), np.full(len(s_r), event))
            )
    sess = np.concatenate([b[0] for b in blocks]).astype(np.int64)
    seq = np.concatenate([b[1] for b in blocks]).astype(np.int64)
    page = np.concatenate([b[2] for b in blocks]).astype(np.int64)
    event = np.concatenate([b[3] for b in blocks]).astype(np.int64)
    order = np.lexsort((seq, sess))
    return frame({"s": sess[order], "page": page[order], "event": event[order]})


def build_ga4(rng: np.random.Generator, pop: Population, touches: pd.DataFrame) -> Ga4Data:
    """Build the GA4 sessions, events and devices for the chunk's web touches.

    Returns
    -------
    Ga4Data
        ``sessions`` (one row per session), ``events`` (one row per event, sorted
        by time) and ``devices`` (one row per device that sent events).
    """
    web = touches["web"].to_numpy(bool)
    if "product_b" in touches:  # product B's sessions are tracked by Segment, not GA4
        web = web & ~touches["product_b"].to_numpy(bool)
    t = touches[web].reset_index(drop=True)
    people = pop.people
    ts0 = t["session_ts"].to_numpy()
    didx = t["didx"].to_numpy()
    traffic = session_traffic(t)

    # devices: first session, session numbers, first-touch traffic source
    order = np.lexsort((ts0, didx))
    dev_u, dev_first = np.unique(didx[order], return_index=True)
    sess_dev = np.searchsorted(dev_u, didx)
    number = np.empty(len(t), dtype=np.int64)
    number[order] = np.arange(len(t)) - np.repeat(dev_first, np.diff(np.r_[dev_first, len(t)]))
    number += 1
    first_sess = order[dev_first]
    owner = np.where(dev_u % DEVICE_SLOTS == 3, -1, dev_u // DEVICE_SLOTS)
    dev_table = pop.devices.set_index("didx")
    known_dev = np.isin(dev_u, dev_table.index.to_numpy())
    profile = np.zeros(len(dev_u), dtype=np.int64)
    consent = np.ones(len(dev_u), dtype=bool)
    profile[known_dev] = dev_table.loc[dev_u[known_dev], "profile"].to_numpy()
    consent[known_dev] = dev_table.loc[dev_u[known_dev], "consent"].to_numpy()
    first_ts = ts0[first_sess]
    pseudo = np.char.add(np.char.add(pseudo_id_prefix(dev_u), "."), (first_ts // SEC).astype(str))
    geo_p = people.set_index("pidx")["geo"]
    kiosk_owner = t["pidx"].to_numpy()[first_sess]
    devices = frame(
        {
            "didx": dev_u,
            "owner": np.where(owner < 0, -1, kiosk_owner),
            "profile": profile,
            "consent": consent,
            "geo": geo_p.loc[kiosk_owner].to_numpy(),
            "first_ts": first_ts,
            "pseudo_id": np.where(consent, pseudo, ""),
            "ts_source": traffic["source"][first_sess],
            "ts_medium": traffic["medium"][first_sess],
            "ts_name": traffic["campaign"][first_sess],
            "kiosk": dev_u % DEVICE_SLOTS == 3,
        }
    )
    base = SITE + np.array([p for p, _ in PAGES], dtype=object)
    sessions = frame(
        {
            "dev": sess_dev,
            "pidx": t["pidx"].to_numpy(),
            "ts": ts0,
            "number": number,
            "ga_session_id": ts0 // SEC,
            "role": t["role"].to_numpy(),
            "ch": t["ch"].to_numpy(),
            "landing_url": base[t["landing"].to_numpy()] + traffic.pop("query"),
            **traffic,
        }
    )

    pages = _pages(rng, t)
    s = pages["s"].to_numpy()
    dwell = ((5 + rng.exponential(35.0, len(s))) * SEC).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    excl = np.cumsum(dwell) - dwell
    offset = excl - np.repeat(excl[starts], np.diff(np.r_[starts, len(s)]))
    page_ts = ts0[s] + offset
    is_land = np.zeros(len(s), dtype=bool)
    is_land[starts] = True
    url = np.where(is_land, sessions["landing_url"].to_numpy()[s], base[pages["page"].to_numpy()])
    prev_url = np.r_[np.array([""], dtype=object), url[:-1]].astype(object)
    referrer = np.where(is_land, sessions["referrer"].to_numpy()[s], prev_url)

    # events: [first_visit], session_start on landing pages; page_view everywhere; specials
    first_visit = is_land & (number[s] == 1)
    parts = [
        (np.flatnonzero(first_visit), _EV["first_visit"], 0),
        (np.flatnonzero(is_land), _EV["session_start"], 0),
        (np.arange(len(s)), _EV["page_view"], 0),
    ]
    special = np.flatnonzero(pages["event"].to_numpy() >= 0)
    rows = np.concatenate([p[0] for p in parts] + [special])
    name = np.concatenate(
        [np.full(len(p[0]), p[1]) for p in parts] + [pages["event"].to_numpy()[special]]
    )
    ev_ts = page_ts[rows] + np.where(
        np.arange(len(rows)) >= len(rows) - len(special),
        (rng.uniform(2, 20, len(rows)) * SEC).astype(np.int64),
        0,
    )
    order = np.lexsort((name, ev_ts))
    rows, name, ev_ts = rows[order], name[order], ev_ts[order]
    es = s[rows]
    ev_dev = sess_dev[es]
    pidx = t["pidx"].to_numpy()[es]

    # user_id: personal devices keep it from the first sign-up / login on; the kiosk only
    # within the session that logged in
    logs_in = np.isin(name, [_EV["sign_up"], _EV["login"]])
    big = np.iinfo(np.int64).max
    login_dev = np.full(len(dev_u), big)
    np.minimum.at(login_dev, ev_dev[logs_in], ev_ts[logs_in])
    login_sess = np.full(len(t), big)
    np.minimum.at(login_sess, es[logs_in], ev_ts[logs_in])
    kiosk = devices["kiosk"].to_numpy()[ev_dev]
    signed = np.where(kiosk, ev_ts >= login_sess[es], ev_ts >= login_dev[ev_dev])
    signed &= devices["consent"].to_numpy()[ev_dev]
    uid = people.set_index("pidx")["user_id"]
    user_id = np.where(signed, uid.loc[pidx].to_numpy().astype(object), "")

    value = np.zeros(len(rows))
    purchase = name == _EV["purchase"]
    test = sessions["role"].to_numpy()[es] == ROLE["test_purchase"]
    person_value = people.set_index("pidx")["value"].loc[pidx].to_numpy()
    value[purchase] = np.where(test[purchase], 1.0, person_value[purchase])
    txn = np.full(len(rows), "", dtype=object)
    pid7 = zpad(pidx + 1, 7).astype(object)
    txn[purchase & ~test] = "ORD-2026-" + pid7[purchase & ~test]
    test_no = (ts0[es] // SEC).astype(str).astype(object)
    txn[purchase & test] = "TEST-" + pid7[purchase & test] + "-" + test_no[purchase & test]
    dorder = np.lexsort((ev_ts, ev_dev))
    cum = np.cumsum(value[dorder])
    dstart = np.flatnonzero(np.r_[True, ev_dev[dorder][1:] != ev_dev[dorder][:-1]])
    before = cum - value[dorder]
    ltv = np.empty(len(rows))
    ltv[dorder] = cum - np.repeat(before[dstart], np.diff(np.r_[dstart, len(rows)]))

    page = pages["page"].to_numpy()[rows]
    events = frame(
        {
            "ts": ev_ts,
            "name": name.astype(np.int8),
            "s": es,
            "dev": ev_dev,
            "pidx": pidx,
            "page": page,
            "landing": is_land[rows],
            "url": url[rows],
            "referrer": referrer[rows],
            "user_id": user_id,
            "value": value,
            "transaction_id": txn,
            "form_name": np.where(
                name == _EV["generate_lead"],
                np.where(page == PAGE["/demo-request"], "demo_request", "ebook_b2b_playbook"),
                "",
            ).astype(object),
            "engagement_ms": np.where(name == _EV["page_view"], dwell[rows] // 1000, -1),
            "ltv": ltv,
        }
    )
    return Ga4Data(sessions=sessions, events=events, devices=devices)


def purchase_times(ga4: Ga4Data) -> pd.Series:
    """Timestamp of each person's (non-test) purchase event, indexed by ``pidx``."""
    ev = ga4.events
    txn = ev["transaction_id"].to_numpy().astype(str)
    sel = (ev["name"] == _EV["purchase"]).to_numpy() & np.char.startswith(txn, "ORD")
    return ev.loc[sel].groupby("pidx")["ts"].min()
