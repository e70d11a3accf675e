"""The causal conversion model and everything that follows from its outcomes.

Given the journeys (:mod:`workbench.sample.journeys`), this module

1. scores every unit (SMB person / enterprise account) with the additive logit
   of :mod:`workbench.sample.model` and draws one uniform per unit;
2. evaluates the same units with each channel's touches removed, with the same
   uniforms (common random numbers): the conversions and revenue lost;
3. turns outcomes into events: the purchase / trial session, lead forms, demo
   requests, HubSpot deals, post-conversion logins (on every browser a user
   used), the shared kiosk device, and which browsers the journeys of people
   who never log in use;
4. derives each person's CRM state (when the company learns who they are).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.sample._text import frame
from workbench.sample.journeys import DAY, HOUR, MIN, PAGE, ROLE
from workbench.sample.model import (
    BASE_LOGIT,
    BROWSER_SWITCH_PROB,
    COMPARE_LIFT,
    DECAY,
    DELTA,
    LOGIN_EVERYWHERE_DAYS,
    PRODUCT_EFFECT,
    REGION_EFFECT,
    SALES_DELTA,
    WEBINAR_DELTA,
)
from workbench.sample.population import DEVICE_SLOTS, KIOSK_SLOT, Population
from workbench.sample.shapley import shapley_values
from workbench.sample.vocab import CHANNELS, PERIOD_END, PERIOD_START, TEST_USER_IDS, channel_code

__all__ = ["KNOWN_HOW", "OPEN_STAGES", "Outcomes", "decide", "sigmoid"]

C = len(CHANNELS)
_WEBINAR, _SALES, _EVENTS = channel_code("Webinar"), channel_code("Sales"), channel_code("Events")
_EMAIL, _DIRECT = channel_code("Email"), channel_code("Direct")
#: How a person became known to the company (a HubSpot contact).
KNOWN_HOW: tuple[str, ...] = ("unknown", "form", "webinar", "badge_scan", "sales", "import")
OPEN_STAGES: tuple[str, ...] = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
)
_FORM_ROLES = [ROLE["lead_ebook"], ROLE["lead_demo"], ROLE["trial"], ROLE["purchase"]]
_LOGIN_ROLES = [ROLE["trial"], ROLE["purchase"], ROLE["login"], ROLE["test_purchase"]]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Outcomes:
    """Everything the causal model decided for one chunk.

    Attributes
    ----------
    touches
        All touches (journey, post-conversion, internal) sorted by person and
        time, with ``delta`` (logit increment), ``role``, ``didx`` and ``tidx``.
    units
        One row per causal unit with its score, uniform draw and outcome.
    lost, exp_lost, touched
        ``(units x channels)``: converted but not without the channel (CRN),
        expected loss ``sigmoid(s) - sigmoid(s - channel part)``, and whether the
        unit had a journey touch of the channel.
    deals
        HubSpot deals of enterprise accounts.
    state
        One row per person: conversion, user id, CRM dates.
    kiosk_didx
        Device index of the shared kiosk (-1 when none in this chunk).
    shapley
        ``(units x channels)`` Shapley value of each converted unit's conversion
        (:mod:`workbench.sample.shapley`): each row sums to 1 when marketing caused
        the conversion, 0 when it would have happened anyway.
    """

    touches: pd.DataFrame
    units: pd.DataFrame
    lost: np.ndarray
    exp_lost: np.ndarray
    touched: np.ndarray
    deals: pd.DataFrame
    state: pd.DataFrame
    kiosk_didx: int
    shapley: np.ndarray | None = None


def _rank_within(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """0-based rank of each row within groups of equal ``keys[1:]``, ordered by ``keys[0]``."""
    order = np.lexsort(keys)
    group = np.stack([k[order] for k in keys[1:]])
    new = np.r_[True, (group[:, 1:] != group[:, :-1]).any(axis=0)] if len(order) else np.ones(0)
    starts = np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - starts
    return rank


def _pick_one(rng: np.random.Generator, owner: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Index of one random eligible row per owner (owners without one are skipped)."""
    idx = np.flatnonzero(eligible)
    key = rng.random(len(idx))
    order = np.lexsort((key, owner[idx]))
    _, first = np.unique(owner[idx][order], return_index=True)
    return idx[order][first]


def _score(rng: np.random.Generator, pop: Population, t: pd.DataFrame):
    """Logit increments per touch, unit scores, outcomes and counterfactuals."""
    seg, ch, sub = t["seg"].to_numpy(), t["ch"].to_numpy().astype(np.int64), t["sub"].to_numpy()
    journey = seg < 2
    s2 = np.minimum(seg, 1)
    base = DELTA[s2, ch]
    base = np.where(ch == _WEBINAR, WEBINAR_DELTA[s2, np.minimum(sub, 1)], base)
    base = np.where(ch == _SALES, SALES_DELTA[np.minimum(sub, 3)], base)
    unit = t["unit"].to_numpy()
    rank = _rank_within((t["ts"].to_numpy(), ch, unit))
    delta = base * DECAY**rank + COMPARE_LIFT[s2] * t["has_compare"].to_numpy()
    delta = np.where(journey, delta, 0.0)

    people = pop.people
    ppl = people[people["seg"] < 2]
    units, first = np.unique(ppl["unit"].to_numpy(), return_index=True)
    u_seg = ppl["seg"].to_numpy()[first]
    b = BASE_LOGIT[u_seg] + REGION_EFFECT[ppl["region"].to_numpy()[first]]
    b = b + PRODUCT_EFFECT[ppl["product"].to_numpy()[first]] + rng.normal(0.0, 0.5, len(units))
    ui = np.searchsorted(units, unit[journey])
    flat = ui * C + ch[journey]
    contrib = np.bincount(flat, weights=delta[journey], minlength=len(units) * C)
    contrib = contrib.reshape(len(units), C)
    counts = np.bincount(flat, minlength=len(units) * C).reshape(len(units), C)
    score = b + contrib.sum(axis=1)
    u = rng.random(len(units))
    prob = sigmoid(score)
    converted = u < prob
    prob_without = sigmoid(score[:, None] - contrib)
    lost = converted[:, None] & ~(u[:, None] < prob_without)
    table = frame(
        {
            "unit": units,
            "seg": u_seg,
            "aidx": ppl["aidx"].to_numpy()[first],
            "value": ppl["value"].to_numpy()[first],
            "base": b,
            "score": score,
            "u": u,
            "prob": prob,
            "converted": converted,
            "trial": (~converted) & (u < sigmoid(score + 1.3)) & (u_seg == 0),
            "deal": converted | (u < sigmoid(score + 1.2)),
        }
    )
    touched = (counts > 0) & converted[:, None]
    shapley = shapley_values(b, contrib, u, converted)
    return delta, table, lost, prob[:, None] - prob_without, touched, shapley


def _post_sessions(
    rng: np.random.Generator, owners: np.ndarray, after: np.ndarray, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """``lo..hi`` logged-in visits per owner within 25 days after ``after``."""
    n = rng.integers(lo, hi + 1, len(owners))
    own = np.repeat(owners, n)
    ts = np.repeat(after, n) + (rng.random(len(own)) * 25 * DAY).astype(np.int64) + HOUR
    keep = ts < PERIOD_END - 10 * MIN
    return own[keep], ts[keep]


def decide(
    rng: np.random.Generator, pop: Population, journeys: pd.DataFrame, *, kiosk: bool
) -> Outcomes:
    """Run the causal model on the chunk's journeys and derive every outcome."""
    t = journeys.copy()
    t["has_compare"] &= t["web"]
    t["has_pricing"] &= t["web"]
    delta, units, lost, exp_lost, touched, shapley = _score(rng, pop, t)
    t["delta"] = delta
    people = pop.people
    p_unit = people["unit"].to_numpy()
    seg_p = people["seg"].to_numpy()
    p = t["p"].to_numpy()
    ui_p = np.searchsorted(units["unit"].to_numpy(), p_unit)
    ui_p = np.minimum(ui_p, max(len(units) - 1, 0))
    conv_p = np.where(seg_p < 2, units["converted"].to_numpy()[ui_p], False)
    trial_p = np.where(seg_p < 2, units["trial"].to_numpy()[ui_p], False)

    # SMB: purchase or trial sign-up in the last session (an e-mail is then clicked)
    role = t["role"].to_numpy().copy()
    web = t["web"].to_numpy().copy()
    last = (t["k"] == t["n_touches"] - 1).to_numpy() & (t["seg"] == 0).to_numpy()
    role[last & conv_p[p]] = ROLE["purchase"]
    role[last & trial_p[p]] = ROLE["trial"]
    web[last & (conv_p[p] | trial_p[p])] = True
    # a gated-content form in the first web session before the first e-mail
    ch = t["ch"].to_numpy()
    ts = t["ts"].to_numpy()
    big = np.iinfo(np.int64).max
    first_email = np.full(len(people), big)
    np.minimum.at(first_email, p[ch == _EMAIL], ts[ch == _EMAIL])
    before = web & (ch != _EMAIL) & (ts < first_email[p]) & (first_email[p] < big)
    lead = _pick_one(rng, p, before & (role == ROLE["none"]) & (t["seg"].to_numpy() < 2))
    role[lead] = ROLE["lead_ebook"]
    middle = (t["k"] > 0).to_numpy() & (t["k"] < t["n_touches"] - 1).to_numpy()
    ent_mid = middle & web & (t["seg"] == 1).to_numpy() & (role == ROLE["none"])
    wants_demo = rng.random(len(people)) < 0.45
    demo = _pick_one(rng, p, ent_mid & wants_demo[p])
    role[demo] = ROLE["lead_demo"]
    wants_trial = rng.random(len(people)) < 0.08
    ent_trial = _pick_one(rng, p, ent_mid & (role == ROLE["none"]) & wants_trial[p])
    role[ent_trial] = ROLE["trial"]
    t["role"], t["web"] = role, web

    deals = _deals(rng, pop, t, units)
    conv_ts_unit = np.full(len(units), -1, dtype=np.int64)
    smb_last = last & conv_p[p]
    conv_ts_unit[ui_p[p[smb_last]]] = t["session_ts"].to_numpy()[smb_last] + 10 * MIN
    won = deals[deals["stage"] == "closedwon"]
    conv_ts_unit[np.searchsorted(units["unit"].to_numpy(), won["aidx"].to_numpy())] = won[
        "close_ts"
    ].to_numpy()
    units["conv_ts"] = conv_ts_unit

    # post-conversion logins
    trial_ts = np.full(len(people), -1, dtype=np.int64)
    trial_rows = role == ROLE["trial"]
    trial_ts[p[trial_rows]] = t["session_ts"].to_numpy()[trial_rows]
    conv_ts_p = np.where(conv_p, conv_ts_unit[ui_p], -1)
    has_user = conv_p | trial_p | (trial_ts >= 0) | (seg_p == 2)
    t["slot"] = _browsers(rng, t, has_user)
    groups = [
        (np.flatnonzero(conv_p & (seg_p == 0)), conv_ts_p, 1, 4),
        (np.flatnonzero(trial_p & (seg_p == 0)), trial_ts, 0, 2),
        (np.flatnonzero(conv_p & (seg_p == 1)), conv_ts_p, 0, 3),
        (np.flatnonzero(~conv_p & (seg_p == 1) & (trial_ts >= 0)), trial_ts, 0, 2),
    ]
    post_p, post_ts, anchor = [], [], np.full(len(people), -1, dtype=np.int64)
    for owners, after, lo, hi in groups:
        own, when = _post_sessions(rng, owners, after[owners], lo, hi)
        post_p.append(own)
        post_ts.append(when)
        anchor[owners] = after[owners]
    post_p, post_ts = np.concatenate(post_p), np.concatenate(post_ts)
    n_dev = people["n_devices"].to_numpy()[post_p]
    post_slot = (rng.random(len(post_p)) * n_dev).astype(np.int64)
    # QA testers make test purchases; the kiosk is shared by a few customers
    kiosk_didx = -1
    if kiosk:
        post_slot, kiosk_didx = _kiosk(rng, pop, post_p, post_ts, post_slot)
    # users log in on every personal browser they used in their journey (when time is left)
    cover_p, cover_ts, cover_slot = _cover(rng, t, post_p, post_slot, anchor)
    post = _post_frame(
        pop,
        np.concatenate([post_p, cover_p]),
        np.concatenate([post_ts, cover_ts]),
        np.concatenate([post_slot, cover_slot]),
        t.columns,
    )
    t = pd.concat([t, post], ignore_index=True)
    t = t.sort_values(["p", "ts"], kind="stable", ignore_index=True)
    slot = t["slot"].to_numpy()
    t["didx"] = np.where(slot == KIOSK_SLOT, kiosk_didx, t["pidx"].to_numpy() * DEVICE_SLOTS + slot)
    t["tidx"] = t["pidx"].to_numpy() * 64 + _rank_within((t["ts"].to_numpy(), t["p"].to_numpy()))

    uid = people["user_id"].to_numpy()
    qa = np.isin(uid[t["p"].to_numpy()], TEST_USER_IDS) & (t["k"].to_numpy() < 2)
    t.loc[qa, "role"] = ROLE["test_purchase"]

    state = _state(rng, pop, t, units, deals, conv_p, conv_ts_p, trial_ts, has_user)
    return Outcomes(t, units, lost, exp_lost, touched, deals, state, kiosk_didx, shapley)


def _post_frame(
    pop: Population, p: np.ndarray, ts: np.ndarray, slot: np.ndarray, columns
) -> pd.DataFrame:
    people = pop.people
    n = len(p)
    table = frame(
        {
            "p": p,
            "pidx": people["pidx"].to_numpy()[p],
            "seg": people["seg"].to_numpy()[p],
            "unit": people["unit"].to_numpy()[p],
            "k": np.full(n, 40),
            "n_touches": np.zeros(n, dtype=np.int64),
            "phase": np.ones(n, dtype=np.int8),
            "ts": ts,
            "session_ts": ts,
            "ch": np.full(n, _DIRECT, dtype=np.int8),
            "sub": np.zeros(n, dtype=np.int8),
            "web": np.ones(n, dtype=bool),
            "slot": slot.astype(np.int8),
            "landing": np.full(n, PAGE["/app/login"], dtype=np.int16),
            "has_compare": np.zeros(n, dtype=bool),
            "has_pricing": np.zeros(n, dtype=bool),
            "role": np.full(n, ROLE["login"], dtype=np.int8),
            "campaign": np.full(n, -1, dtype=np.int16),
            "adgroup": np.zeros(n, dtype=np.int16),
            "keyword": np.full(n, -1, dtype=np.int16),
            "match": np.zeros(n, dtype=np.int8),
            "click_id": np.full(n, "", dtype=object),
            "email_campaign": np.full(n, -1, dtype=np.int16),
            "webinar": np.full(n, -1, dtype=np.int16),
            "show": np.full(n, -1, dtype=np.int16),
            "ref_site": np.zeros(n, dtype=np.int8),
            "social_src": np.zeros(n, dtype=np.int8),
            "sent_ts": ts,
            "reg_ts": ts,
            "delta": np.zeros(n),
        }
    )
    return table[list(columns)]


def _kiosk(
    rng: np.random.Generator,
    pop: Population,
    post_p: np.ndarray,
    post_ts: np.ndarray,
    post_slot: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Move the first post-conversion visit of up to 4 customers onto one shared device.

    Returns the visits' slots (:data:`KIOSK_SLOT` for the moved ones) and the kiosk's
    device index (-1 when fewer than two customers have a post-conversion visit).
    """
    order = np.lexsort((post_ts, post_p))
    _, first = np.unique(post_p[order], return_index=True)
    first_rows = order[first]
    if len(first_rows) < 2:
        return post_slot, -1
    chosen = np.sort(rng.choice(len(first_rows), size=min(4, len(first_rows)), replace=False))
    rows = first_rows[chosen]
    slot = post_slot.copy()
    slot[rows] = KIOSK_SLOT
    pidx = pop.people["pidx"].to_numpy()
    return slot, int(pidx[post_p[rows[0]]]) * DEVICE_SLOTS + KIOSK_SLOT


def _browsers(rng: np.random.Generator, t: pd.DataFrame, has_user: np.ndarray) -> np.ndarray:
    """Device slot of each journey touch: people who never log in keep to one browser.

    A person who will have a product login (buyer, trial user, customer contact,
    staff) browses on any of their devices (the slots drawn with the journey) and
    later logs in on each (:func:`_cover`). Anyone else stays on the browser of
    their first web session, except a share :data:`BROWSER_SWITCH_PROB` who use
    several devices and are never linked (beyond the one whose GA Client ID a
    form captured).
    """
    p = t["p"].to_numpy()
    slot = t["slot"].to_numpy().astype(np.int64)
    web = np.flatnonzero(t["web"].to_numpy())
    n = len(has_user)
    home = np.zeros(n, dtype=np.int64)
    pp, first = np.unique(p[web], return_index=True)  # rows are sorted by person, time
    home[pp] = slot[web[first]]
    switch = rng.random(n) < BROWSER_SWITCH_PROB
    keep = has_user | switch
    return np.where(keep[p], slot, home[p])


def _cover(
    rng: np.random.Generator,
    t: pd.DataFrame,
    post_p: np.ndarray,
    post_slot: np.ndarray,
    anchor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A logged-in visit on each journey browser of a user that no login reaches yet.

    ``anchor`` is each user's conversion / trial time (-1 for people without
    post-conversion visits). A browser is reached when a journey session on it
    signed up or logged in, or when a post-conversion visit used it. Each added
    visit falls within :data:`LOGIN_EVERYWHERE_DAYS` after the anchor; visits past
    the period end are dropped (those browsers stay unlinked).

    Returns
    -------
    tuple of numpy.ndarray
        Person row, timestamp and device slot of each added visit.
    """
    n = len(anchor)
    p = t["p"].to_numpy()
    slot = t["slot"].to_numpy().astype(np.int64)
    web = t["web"].to_numpy()
    used = np.zeros((n, KIOSK_SLOT), dtype=bool)
    used[p[web], slot[web]] = True
    logs_in = web & np.isin(t["role"].to_numpy(), _LOGIN_ROLES)
    used[p[logs_in], slot[logs_in]] = False
    personal = post_slot < KIOSK_SLOT
    used[post_p[personal], post_slot[personal]] = False
    used &= (anchor >= 0)[:, None]
    cover_p, cover_slot = np.nonzero(used)
    ts = (
        anchor[cover_p]
        + (rng.random(len(cover_p)) * LOGIN_EVERYWHERE_DAYS * DAY).astype(np.int64)
        + HOUR
    )
    keep = ts < PERIOD_END - 10 * MIN
    return cover_p[keep], ts[keep], cover_slot[keep]


def _deals(
    rng: np.random.Generator, pop: Population, t: pd.DataFrame, units: pd.DataFrame
) -> pd.DataFrame:
    """One HubSpot deal per enterprise account that reached an opportunity."""
    ent = units[(units["seg"] == 1) & units["deal"]]
    j = t[(t["seg"] == 1).to_numpy() & (t["phase"] == 0).to_numpy()]
    unit = j["unit"].to_numpy()
    ts = j["ts"].to_numpy()
    acc_u, inv = np.unique(unit, return_inverse=True)
    first_ts = np.full(len(acc_u), np.iinfo(np.int64).max)
    np.minimum.at(first_ts, inv, ts)
    end_ts = np.zeros(len(acc_u), dtype=np.int64)
    np.maximum.at(end_ts, inv, ts)
    demo_ts = np.full(len(acc_u), np.iinfo(np.int64).max)
    is_demo = ((j["ch"] == _SALES) & (j["sub"] == 3)).to_numpy() | (
        j["role"] == ROLE["lead_demo"]
    ).to_numpy()
    np.minimum.at(demo_ts, inv[is_demo], ts[is_demo])
    a = np.searchsorted(acc_u, ent["unit"].to_numpy())
    n = len(ent)
    won = ent["converted"].to_numpy()
    lost = ~won & (rng.random(n) < 0.6)
    default_create = first_ts[a] + ((end_ts[a] - first_ts[a]) * 0.6).astype(np.int64)
    create = np.where(demo_ts[a] < end_ts[a], demo_ts[a], default_create)
    close_won = end_ts[a] + (rng.uniform(0.5, 2.0, n) * DAY).astype(np.int64)
    close_lost = np.minimum(
        end_ts[a] + (rng.uniform(1.0, 10.0, n) * DAY).astype(np.int64), PERIOD_END - HOUR
    )
    close = np.where(won, close_won, np.where(lost, close_lost, -1))
    stage = np.where(
        won,
        "closedwon",
        np.where(lost, "closedlost", np.array(OPEN_STAGES)[rng.integers(0, 5, n)]),
    )
    acc = pop.accounts.set_index("aidx")
    aidx = ent["aidx"].to_numpy()
    return frame(
        {
            "aidx": aidx,
            "unit": ent["unit"].to_numpy(),
            "stage": stage,
            "amount": ent["value"].to_numpy(),
            "product": acc.loc[aidx, "product"].to_numpy(),
            "create_ts": create,
            "close_ts": close,
        }
    )


def _state(
    rng: np.random.Generator,
    pop: Population,
    t: pd.DataFrame,
    units: pd.DataFrame,
    deals: pd.DataFrame,
    conv_p: np.ndarray,
    conv_ts_p: np.ndarray,
    trial_ts: np.ndarray,
    has_user: np.ndarray,
) -> pd.DataFrame:
    """Per person: when and how the company learns who they are, and CRM milestones."""
    people = pop.people
    n = len(people)
    big = np.iinfo(np.int64).max
    p = t["p"].to_numpy()
    ch, role = t["ch"].to_numpy(), t["role"].to_numpy()
    journey = (t["phase"] == 0).to_numpy()
    when = np.where(ch == _WEBINAR, t["reg_ts"].to_numpy(), t["session_ts"].to_numpy())
    how = np.select(
        [np.isin(role, _FORM_ROLES), ch == _WEBINAR, ch == _EVENTS, ch == _SALES],
        [1, 2, 3, 4],
        0,
    )
    maker = journey & (how > 0)
    # earliest identifying touch per person (ties impossible: distinct timestamps)
    order = np.lexsort((when[maker], p[maker]))
    rows = np.flatnonzero(maker)[order]
    pp, first = np.unique(p[rows], return_index=True)
    known_ts = np.full(n, big)
    known_how = np.zeros(n, dtype=np.int64)
    known_ts[pp], known_how[pp] = when[rows[first]], how[rows[first]]
    first_sent = np.full(n, big)
    is_email = journey & (ch == _EMAIL)
    np.minimum.at(first_sent, p[is_email], t["sent_ts"].to_numpy()[is_email])
    imported = (first_sent < known_ts) | (people["seg"].to_numpy() == 2)
    import_ts = PERIOD_START - (rng.uniform(20.0, 400.0, n) * DAY).astype(np.int64)
    known_ts = np.where(imported, import_ts, known_ts)
    known_how = np.where(imported, 5, known_how)
    known = known_ts < big

    # GA client id: the device of the first form submitted on the site
    form = journey & np.isin(role, _FORM_ROLES)
    order = np.lexsort((t["session_ts"].to_numpy()[form], p[form]))
    rows = np.flatnonzero(form)[order]
    pp, first = np.unique(p[rows], return_index=True)
    form_didx = np.full(n, -1, dtype=np.int64)
    form_didx[pp] = t["didx"].to_numpy()[rows[first]]
    form_ch = np.full(n, -1, dtype=np.int64)
    form_ch[pp] = ch[rows[first]]
    form_role = np.full(n, -1, dtype=np.int64)
    form_role[pp] = role[rows[first]]

    mql = np.full(n, big)
    is_mql = journey & (
        ((ch == _WEBINAR) & (t["sub"] == 0).to_numpy())
        | np.isin(role, [ROLE["lead_demo"], ROLE["trial"]])
        | (ch == _EVENTS)
    )
    np.minimum.at(mql, p[is_mql], t["ts"].to_numpy()[is_mql])
    opp = np.full(n, big)
    aidx = people["aidx"].to_numpy()
    d = deals.set_index("aidx")
    has_deal = np.isin(aidx, deals["aidx"].to_numpy()) & (people["seg"].to_numpy() == 1)
    opp[has_deal] = np.maximum(d.loc[aidx[has_deal], "create_ts"].to_numpy(), known_ts[has_deal])
    has_email = np.zeros(n, dtype=bool)
    has_email[p[journey & np.isin(ch, [_EMAIL, _WEBINAR])]] = True
    has_email |= form_didx >= 0
    first_ch = np.full(n, -1, dtype=np.int64)
    jrows = np.flatnonzero(journey & (t["k"] == 0).to_numpy())
    first_ch[p[jrows]] = ch[jrows]
    return frame(
        {
            "pidx": people["pidx"].to_numpy(),
            "converted": conv_p,
            "conv_ts": conv_ts_p,
            "trial_ts": trial_ts,
            "has_user": has_user,
            "known": known,
            "known_ts": np.where(known, known_ts, -1),
            "known_how": known_how,
            "form_didx": form_didx,
            "form_ch": form_ch,
            "form_role": form_role,
            "first_ch": first_ch,
            "mql_ts": np.where(known & (mql < big), np.maximum(mql, known_ts), -1),
            "opp_ts": np.where(known & (opp < big), opp, -1),
            "email_known": has_email | (known_how == 3) | (known_how == 5),
        }
    )
