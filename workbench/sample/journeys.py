"""Journey schedules: when each person is touched, through which channel, and how.

One row per model touch (``touches`` frame). Self-serve SMB people get 2-5
touches over hours to 14 days; enterprise contacts 7-20 touches spread over
their account's 35-115 day window; internal staff a few logged-in visits.
Channel choice depends on the touch's position (first / middle / last) and the
segment (:data:`workbench.sample.model.CHANNEL_TABLES`); only webinar-goers
(some contacts of some enterprise accounts) draw webinar touches. Webinar and
trade-show touches are moved to the nearest real webinar / show date inside the
journey.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sample._text import frame, random_tokens, uuid_like
from workbench.sample.model import (
    CHANNEL_TABLES,
    COMPARE_PROB,
    EMAIL_CLICK_PROB,
    LANDING_WEIGHTS,
    MOBILE_AFFINITY,
    PRICING_PROB,
    SALES_SHARE,
    WEBINAR_ACCOUNT_SHARE,
    WEBINAR_ATTENDANCE,
    WEBINAR_CONTACT_SHARE,
)
from workbench.sample.population import Population
from workbench.sample.vocab import (
    CAMPAIGNS,
    CHANNELS,
    EMAIL_CAMPAIGNS,
    PAGES,
    PERIOD_END,
    PERIOD_START,
    PORTAL_TZ,
    REGIONS,
    TRADE_SHOWS,
    channel_code,
)

__all__ = [
    "DAY",
    "HOUR",
    "MATCH_TYPES",
    "MIN",
    "PAGE",
    "PAID_CHANNELS",
    "ROLE",
    "SEC",
    "build_journeys",
    "choose_rows",
    "show_starts",
    "webinar_slots",
]

SEC = 1_000_000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR
SPAN = PERIOD_END - PERIOD_START

#: Session roles: what else happens in a GA4 session besides page views.
ROLE = {
    "none": 0,
    "lead_ebook": 1,
    "lead_demo": 2,
    "trial": 3,
    "purchase": 4,
    "login": 5,
    "test_purchase": 6,
}
#: Page index by path.
PAGE = {path: i for i, (path, _title) in enumerate(PAGES)}
MATCH_TYPES: tuple[str, ...] = ("Exact match", "Phrase match", "Broad match")
PAID_CHANNELS: tuple[int, ...] = tuple(
    channel_code(c)
    for c in (
        "Paid Search - Brand",
        "Paid Search - Generic",
        "Paid Social - Meta",
        "Paid Social - LinkedIn",
        "Display - Retargeting",
    )
)
_CH = {name: i for i, name in enumerate(CHANNELS)}


def webinar_slots() -> np.ndarray:
    """Start times (UTC microseconds) of the weekly webinars, Thursdays 11:00 New York."""
    local = pd.date_range("2026-01-08 11:00", "2026-06-25 11:00", freq="7D", tz=PORTAL_TZ)
    return local.tz_convert("UTC").as_unit("us").asi8


def show_starts() -> np.ndarray:
    """Doors-open times (UTC microseconds, 09:00 New York) of the trade shows."""
    days = pd.DatetimeIndex([f"{day} 09:00" for _name, day, _prefix in TRADE_SHOWS])
    return days.tz_localize(PORTAL_TZ).tz_convert("UTC").as_unit("us").asi8


def choose_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x categories) weight matrix."""
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    u = rng.random(len(weights))
    return np.minimum((u[:, None] >= cdf).sum(axis=1), weights.shape[1] - 1)


def _windows(rng: np.random.Generator, pop: Population) -> tuple[np.ndarray, ...]:
    """Per person: number of touches, first and last touch time (UTC microseconds)."""
    people = pop.people
    seg = people["seg"].to_numpy()
    n = len(people)
    k = np.zeros(n, dtype=np.int64)
    start = np.zeros(n, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)

    smb = np.flatnonzero(seg == 0)
    k[smb] = rng.choice([2, 3, 4, 5], size=len(smb), p=[0.3, 0.3, 0.22, 0.18])
    dur = np.clip(np.exp(rng.normal(np.log(2.5), 0.9, len(smb))), 0.04, 14.0) * DAY
    start[smb] = PERIOD_START + (rng.random(len(smb)) * (SPAN - dur - 3 * DAY)).astype(np.int64)
    end[smb] = start[smb] + dur.astype(np.int64)

    ent = np.flatnonzero(seg == 1)
    acc, inv = np.unique(people["aidx"].to_numpy()[ent], return_inverse=True)
    d_acc = rng.uniform(35.0, 115.0, len(acc)) * DAY
    t0_acc = PERIOD_START + (rng.random(len(acc)) * (SPAN - d_acc - 4 * DAY)).astype(np.int64)
    offset = rng.random(len(ent)) * np.minimum(12 * DAY, d_acc[inv] - 31 * DAY)
    k[ent] = rng.integers(7, 21, len(ent))
    start[ent] = t0_acc[inv] + offset.astype(np.int64)
    end[ent] = t0_acc[inv] + (d_acc[inv] - rng.random(len(ent)) * DAY).astype(np.int64)

    internal = np.flatnonzero(seg == 2)
    k[internal] = rng.integers(4, 11, len(internal))
    start[internal] = PERIOD_START + 2 * DAY
    end[internal] = PERIOD_END - 2 * DAY
    return k, start, end


def _webinar_goers(rng: np.random.Generator, people: pd.DataFrame) -> np.ndarray:
    """Per person: whether they follow the webinar programme (only they register).

    A share :data:`WEBINAR_ACCOUNT_SHARE` of the accounts has webinar-goers, and in those
    a share :data:`WEBINAR_CONTACT_SHARE` of the contacts is one; SMB people and the
    other contacts never register (their journeys use the other channels instead).
    """
    _, acc = np.unique(people["aidx"].to_numpy(), return_inverse=True)
    account = rng.random(int(acc.max()) + 1 if len(acc) else 0) < WEBINAR_ACCOUNT_SHARE
    contact = rng.random(len(people)) < WEBINAR_CONTACT_SHARE
    return account[acc] & contact & (people["seg"].to_numpy() == 1)


def _snap(
    ts: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    slots: np.ndarray,
    length: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest slot strictly inside ``(lo, hi - length)`` for each touch; -1 when none."""
    j = np.searchsorted(slots, ts)
    prev_j, next_j = np.clip(j - 1, 0, len(slots) - 1), np.clip(j, 0, len(slots) - 1)
    ok_prev = (j > 0) & (slots[prev_j] > lo) & (slots[prev_j] + length < hi)
    ok_next = (j < len(slots)) & (slots[next_j] > lo) & (slots[next_j] + length < hi)
    take_prev = ok_prev & (~ok_next | (ts - slots[prev_j] <= slots[next_j] - ts))
    chosen = np.where(take_prev, prev_j, np.where(ok_next, next_j, -1))
    return chosen, slots[np.maximum(chosen, 0)]


def build_journeys(rng: np.random.Generator, pop: Population) -> pd.DataFrame:
    """Draw every person's journey touches (before the causal model decides outcomes).

    Returns
    -------
    pandas.DataFrame
        One row per touch, sorted by person then time, with the channel, timing,
        device slot, landing page, campaign / click id and sub-type details.
    """
    people = pop.people
    k_n, start, end = _windows(rng, pop)
    total = int(k_n.sum())
    p = np.repeat(np.arange(len(people)), k_n)
    k = np.arange(total) - np.repeat(np.cumsum(k_n) - k_n, k_n)
    last = k == k_n[p] - 1
    r = rng.random(total)
    r[k == 0], r[last] = 0.0, 1.0
    r = r[np.lexsort((r, p))]
    ts = start[p] + (r * (end - start)[p]).astype(np.int64)
    seg = people["seg"].to_numpy()[p]
    pos = np.where(k == 0, 0, np.where(last, 2, 1))

    ch = np.full(total, _CH["Direct"], dtype=np.int64)
    journey = seg < 2
    weights = CHANNEL_TABLES[seg[journey], pos[journey]]
    weights[:, _CH["Webinar"]] *= _webinar_goers(rng, people)[p[journey]]
    ch[journey] = choose_rows(rng, weights)

    # webinar / show touches move to a real date inside the journey, else fall back
    webinar = np.full(total, -1)
    show = np.full(total, -1)
    for name, slots, length, fallback, target in (
        ("Webinar", webinar_slots(), HOUR, _CH["Email"], webinar),
        ("Events", show_starts(), 8 * HOUR, _CH["Sales"], show),
    ):
        sel = np.flatnonzero(ch == _CH[name])
        chosen, when = _snap(ts[sel], start[p[sel]], end[p[sel]], slots, length)
        # a second touch of the same person on the same date falls back too
        key = p[sel] * 1000 + chosen
        order = np.argsort(key, kind="stable")
        dup = np.zeros(len(sel), dtype=bool)
        dup[order[1:]] = key[order][1:] == key[order][:-1]
        bad = (chosen < 0) | dup
        ch[sel[bad]] = fallback
        target[sel[~bad]] = chosen[~bad]
        ts[sel[~bad]] = when[~bad]
    sub = np.zeros(total, dtype=np.int64)
    is_web_inar = webinar >= 0
    attended = rng.random(total) < WEBINAR_ATTENDANCE
    sub[is_web_inar] = np.where(attended[is_web_inar], 0, 1)
    jitter = (rng.uniform(-3, 10, total) * MIN).astype(np.int64)
    ts = np.where(is_web_inar & attended, ts + jitter, ts)
    ts = np.where(show >= 0, ts + (rng.random(total) * 8 * HOUR).astype(np.int64), ts)
    # sales reps work 09:00-17:00 New York (14:00-22:00 UTC)
    sales = ch == _CH["Sales"]
    office = (ts // DAY) * DAY + 14 * HOUR + (rng.random(total) * 8 * HOUR).astype(np.int64)
    ts = np.where(sales, office, ts)
    order = np.lexsort((ts, p))
    ts, ch, webinar, show, sub = ts[order], ch[order], webinar[order], show[order], sub[order]
    prev_ts = np.r_[ts[0] - DAY if total else 0, ts[:-1]]
    prev_ts = np.where(k == 0, ts - DAY, prev_ts)

    is_sales = ch == _CH["Sales"]
    sub[is_sales] = rng.choice(4, size=int(is_sales.sum()), p=SALES_SHARE)

    # e-mails: automation step, send time, optional click (-> GA4 session)
    is_email = ch == _CH["Email"]
    email_campaign = np.full(total, -1)
    seg_name = np.where(seg == 1, "enterprise", "smb")
    for s_name in ("smb", "enterprise"):
        sel = is_email & (seg_name == s_name)
        opts = np.array([i for i, e in enumerate(EMAIL_CAMPAIGNS) if e.segment == s_name])
        email_campaign[sel] = opts[rng.integers(0, len(opts), int(sel.sum()))]
    clicked = rng.random(total) < EMAIL_CLICK_PROB
    sent_ts = ts - (rng.uniform(0.5, 36.0, total) * HOUR).astype(np.int64)
    reg_ts = np.maximum(ts - (rng.uniform(1.0, 96.0, total) * HOUR).astype(np.int64), prev_ts + MIN)
    session_ts = np.where(is_email, ts + (rng.uniform(20, 300, total) * SEC).astype(np.int64), ts)

    web = (ch <= _CH["Organic Social"]) | (is_email & clicked)
    # device slot: phone for mobile-prone channels when the person has one (the causal step
    # later keeps people who never log in on one browser, see causal._browsers)
    n_dev = people["n_devices"].to_numpy()[p]
    slot = np.where((n_dev >= 2) & (rng.random(total) < MOBILE_AFFINITY[ch]), 1, 0)
    slot = np.where((n_dev == 3) & (rng.random(total) < 0.1), 2, slot)

    # landing page, compare / pricing views
    landing = choose_rows(rng, LANDING_WEIGHTS[np.minimum(ch, len(LANDING_WEIGHTS) - 1)])
    email_paths = np.array([PAGE[e.path] for e in EMAIL_CAMPAIGNS])
    landing = np.where(is_email, email_paths[np.maximum(email_campaign, 0)], landing)
    landing = np.where(seg == 2, PAGE["/app/login"], landing)
    compare_pages = np.array([PAGE[pth] for pth, _ in PAGES if pth.startswith("/compare/")])
    has_compare = np.isin(landing, compare_pages) | (rng.random(total) < COMPARE_PROB[ch])
    has_pricing = (landing == PAGE["/pricing"]) | (rng.random(total) < PRICING_PROB)
    has_compare &= seg < 2
    has_pricing &= seg < 2

    # paid clicks: campaign, ad group, keyword, click id
    campaign = np.full(total, -1)
    region = people["region"].to_numpy()[p]
    for c in PAID_CHANNELS:
        sel = np.flatnonzero(ch == c)
        camps = [i for i, cp in enumerate(CAMPAIGNS) if cp.channel == CHANNELS[c]]
        w = np.array([[CAMPAIGNS[i].weight_smb, CAMPAIGNS[i].weight_ent] for i in camps]).T
        rows = w[np.minimum(seg[sel], 1)]
        if CHANNELS[c] == "Paid Search - Brand":
            regions = np.array([REGIONS.index(CAMPAIGNS[i].region) for i in camps])
            rows = (regions[None, :] == region[sel][:, None]).astype(float)
        campaign[sel] = np.array(camps)[choose_rows(rng, rows)]
    n_groups = np.array([len(cp.ad_groups) for cp in CAMPAIGNS] + [1])
    n_kw = np.array([len(cp.keywords) for cp in CAMPAIGNS] + [0])
    adgroup = (rng.random(total) * n_groups[campaign]).astype(np.int64)
    keyword = np.where(n_kw[campaign] > 0, (rng.random(total) * n_kw[campaign]).astype(int), -1)
    match = rng.integers(0, len(MATCH_TYPES), total)
    click_id = np.full(total, "", dtype=object)
    google = np.flatnonzero(np.isin(ch, [_CH["Paid Search - Brand"], _CH["Paid Search - Generic"]]))
    google = np.union1d(google, np.flatnonzero(ch == _CH["Display - Retargeting"]))
    click_id[google] = np.char.add(
        np.char.add("Cj0KCQiA", random_tokens(rng, len(google), 60)), "_BwE"
    )
    meta = np.flatnonzero(ch == _CH["Paid Social - Meta"])
    click_id[meta] = np.char.add("IwAR", random_tokens(rng, len(meta), 58))
    linkedin = np.flatnonzero(ch == _CH["Paid Social - LinkedIn"])
    click_id[linkedin] = uuid_like(rng, len(linkedin))
    ref_site = rng.choice(3, size=total, p=[0.5, 0.3, 0.2])
    social_src = (rng.random(total) < 0.25).astype(np.int64)

    pidx = people["pidx"].to_numpy()
    return frame(
        {
            "p": p,
            "pidx": pidx[p],
            "seg": seg.astype(np.int8),
            "unit": people["unit"].to_numpy()[p],
            "k": k,
            "n_touches": k_n[p],
            "phase": np.zeros(total, dtype=np.int8),
            "ts": ts,
            "session_ts": session_ts,
            "ch": ch.astype(np.int8),
            "sub": sub.astype(np.int8),
            "web": web,
            "slot": slot.astype(np.int8),
            "landing": landing.astype(np.int16),
            "has_compare": has_compare,
            "has_pricing": has_pricing,
            "role": np.where(seg == 2, ROLE["login"], ROLE["none"]).astype(np.int8),
            "campaign": campaign.astype(np.int16),
            "adgroup": adgroup.astype(np.int16),
            "keyword": keyword.astype(np.int16),
            "match": match.astype(np.int8),
            "click_id": click_id,
            "email_campaign": email_campaign.astype(np.int16),
            "webinar": webinar.astype(np.int16),
            "show": show.astype(np.int16),
            "ref_site": ref_site.astype(np.int8),
            "social_src": social_src.astype(np.int8),
            "sent_ts": sent_ts,
            "reg_ts": reg_ts,
        }
    )
