"""People, accounts, devices and their identifiers for one chunk of the sample.

Identifiers are derived from global indices (person index ``pidx``, account index
``aidx`` = ``pidx`` of the account's first contact, device index
``didx = 4 * pidx + slot``), so they are stable and never collide across chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.sample._text import frame, scramble, zpad
from workbench.sample.vocab import (
    BROWSER_PROFILES,
    COMPANY_NOUNS,
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    CONSUMER_DOMAINS,
    FIRST_NAMES,
    GEO_PROFILES,
    INDUSTRIES,
    INTERNAL_ACCOUNT_ID,
    INTERNAL_COMPANY,
    INTERNAL_DOMAIN,
    JOB_TITLES,
    LAST_NAMES,
    REGIONS,
    SEGMENTS,
    TEST_USER_IDS,
)

__all__ = [
    "CONSENT_REFUSAL",
    "DEVICE_SLOTS",
    "KIOSK_SLOT",
    "SMB_PRICES",
    "Population",
    "make_population",
    "person_ids",
    "pseudo_id_prefix",
    "user_ids",
]

#: Device slots per person: 0 = primary, 1 = phone, 2 = tablet; slot 3 is the shared kiosk.
DEVICE_SLOTS = 4
KIOSK_SLOT = 3
#: Share of browsers that refuse analytics consent (GA4 sends cookieless events from them).
CONSENT_REFUSAL = 0.04
#: Annual self-serve plan prices [product line, tier].
SMB_PRICES = np.array([[588.0, 1188.0, 2988.0], [1188.0, 2388.0, 4788.0], [2388.0, 4788.0, 9588.0]])
_ENT_PRODUCT_MULT = np.array([1.0, 1.3, 1.8])
_N_COMBOS = len(COMPANY_PREFIXES) * len(COMPANY_NOUNS) * len(COMPANY_SUFFIXES)


@dataclass
class Population:
    """One chunk of people with their accounts and devices.

    ``people``: one row per person (``pidx`` ascending). ``accounts``: one row per
    account touched by the chunk. ``devices``: one row per (person, slot).
    """

    people: pd.DataFrame
    accounts: pd.DataFrame
    devices: pd.DataFrame


def person_ids(pidx: np.ndarray) -> np.ndarray:
    """``P0000001``-style person ids."""
    return np.char.add("P", zpad(np.asarray(pidx) + 1, 7))


def account_ids(aidx: np.ndarray) -> np.ndarray:
    """``A0000001``-style account ids (internal people get ``A0000000``)."""
    aidx = np.asarray(aidx)
    return np.where(aidx < 0, INTERNAL_ACCOUNT_ID, np.char.add("A", zpad(aidx + 1, 7)))


def user_ids(pidx: np.ndarray) -> np.ndarray:
    """Product user ids (the GA4 ``user_id``): ``usr_`` + 8 hex digits."""
    hexed = np.char.mod("%08x", scramble(pidx, 32, salt=11))
    return np.char.add("usr_", hexed)


def pseudo_id_prefix(didx: np.ndarray) -> np.ndarray:
    """Random-looking first half of a GA4 ``user_pseudo_id`` (``<int>.<first visit s>``)."""
    return (scramble(didx, 31, salt=5) + 100_000_000).astype(str)


def _company(aidx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Company name, domain and industry index per account index."""
    combo = (aidx * 2029) % _N_COMBOS
    repeat = aidx // _N_COMBOS
    n_pre, n_noun = len(COMPANY_PREFIXES), len(COMPANY_NOUNS)
    pre = np.array(COMPANY_PREFIXES)[combo % n_pre]
    noun = np.array(COMPANY_NOUNS)[(combo // n_pre) % n_noun]
    suffix_i = combo // (n_pre * n_noun)
    suffix = np.array(COMPANY_SUFFIXES)[suffix_i]
    stem = np.char.add(pre, noun)
    name = np.char.add(np.char.add(np.char.capitalize(stem), " "), suffix)
    tail = np.where(repeat > 0, repeat.astype(str), "")
    domain = np.char.add(np.char.add(np.char.add(stem, "-"), np.char.lower(suffix)), tail)
    domain = np.char.add(domain, ".example")
    return name, domain, suffix_i


def _bands(employees: np.ndarray) -> np.ndarray:
    edges = np.array([11, 51, 201, 1001, 5001])
    labels = np.array(["1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"])
    return labels[np.searchsorted(edges, employees, side="right")]


def _phones(pidx: np.ndarray, region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unique raw phone numbers, written the way people type them in each region."""
    n7 = (np.asarray(pidx, dtype=np.int64) * 3_141_593 + 2_718_281) % 10_000_000
    head, tail = n7 // 10_000, n7 % 10_000
    areas = np.array(["212", "617", "512", "415", "312", "646"])[rng.integers(0, 6, len(pidx))]
    h3, h4, t4 = zpad(head, 3), zpad(head, 4), zpad(tail, 4)

    def join(*parts: object) -> np.ndarray:
        out = np.asarray(parts[0])
        for part in parts[1:]:
            out = np.char.add(out, part)
        return out

    na = join("+1 ", areas, "-", h3, "-", t4)
    uk = join("+44 20 ", h4, " ", t4)
    au = join("+61 2 ", h4, " ", t4)
    br = join("+55 11 9", h4, "-", t4)
    return np.select([region == 0, region == 1, region == 2], [na, uk, au], br)


def make_population(
    rng: np.random.Generator, start: int, n: int, *, n_internal: int = 0
) -> Population:
    """Draw ``n`` people with global indices ``start .. start + n - 1``.

    Parameters
    ----------
    rng
        The chunk's random generator.
    start
        Global index of the chunk's first person.
    n
        People in the chunk.
    n_internal
        How many of them are internal staff / QA testers (the first two internal
        people use the test user ids :data:`TEST_USER_IDS`).
    """
    pidx = np.arange(start, start + n, dtype=np.int64)
    seg = np.where(rng.random(n) < 0.22, 1, 0).astype(np.int8)
    internal_pos = np.sort(rng.choice(n, size=min(n_internal, n), replace=False))
    seg[internal_pos] = 2

    # enterprise people form accounts of 2-6 consecutive contacts
    aidx = pidx.copy()
    ent = np.flatnonzero(seg == 1)
    if len(ent):
        sizes = rng.integers(2, 7, size=len(ent))
        bounds = np.cumsum(sizes)
        acc_no = np.searchsorted(bounds, np.arange(len(ent)), side="right")
        first_member = np.r_[0, bounds][acc_no]
        aidx[ent] = pidx[ent[first_member]]
    aidx[seg == 2] = -1
    acc_u, acc_inv = np.unique(aidx, return_inverse=True)

    # account attributes (drawn per account, broadcast to its contacts)
    n_acc = len(acc_u)
    acc_seg = np.zeros(n_acc, dtype=np.int8)
    np.maximum.at(acc_seg, acc_inv, seg)
    acc_region = rng.choice(4, size=n_acc, p=[0.5, 0.3, 0.15, 0.05])
    geo_by_region = [np.flatnonzero([g[0] == r for g in GEO_PROFILES]) for r in REGIONS]
    acc_geo = np.zeros(n_acc, dtype=np.int64)
    geo_draw = rng.random(n_acc)
    for r, choices in enumerate(geo_by_region):
        sel = acc_region == r
        acc_geo[sel] = choices[(geo_draw[sel] * len(choices)).astype(int)]
    acc_product = rng.choice(3, size=n_acc, p=[0.5, 0.3, 0.2])
    employees = np.where(
        acc_seg == 1,
        np.clip(np.exp(rng.normal(np.log(1500), 1.0, n_acc)), 250, 60_000),
        rng.integers(2, 51, n_acc),
    ).astype(np.int64)
    name, domain, industry_i = _company(np.maximum(acc_u, 0))
    is_internal_acc = acc_u < 0
    name = np.where(is_internal_acc, INTERNAL_COMPANY, name)
    domain = np.where(is_internal_acc, INTERNAL_DOMAIN, domain)
    employees = np.where(is_internal_acc, 140, employees)
    industry = np.where(is_internal_acc, "Software", np.array(INDUSTRIES)[industry_i])
    amount = np.exp(rng.normal(np.log(60_000), 0.55, n_acc)) * _ENT_PRODUCT_MULT[acc_product]
    amount *= (employees / 1500.0) ** 0.2
    amount = np.clip(np.round(amount / 500.0) * 500.0, 15_000, 600_000)
    accounts = frame(
        {
            "aidx": acc_u,
            "account_id": account_ids(acc_u),
            "seg": acc_seg,
            "region": acc_region.astype(np.int8),
            "geo": acc_geo,
            "product": acc_product.astype(np.int8),
            "company": name,
            "domain": domain,
            "industry": industry,
            "employees": employees,
            "employee_band": _bands(employees),
            "deal_amount": amount,
        }
    )

    # people
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    work_email = (seg != 0) | (rng.random(n) < 0.45)
    consumer = np.array(CONSUMER_DOMAINS)[rng.choice(4, size=n, p=[0.6, 0.2, 0.1, 0.1])]
    email_domain = np.where(work_email, domain[acc_inv], consumer)
    local = np.char.add(np.char.add(np.char.add(first, "."), last), (pidx + 1).astype(str))
    email = np.char.add(np.char.add(local, "@"), email_domain)
    region = acc_region[acc_inv]
    tier = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    product = acc_product[acc_inv]
    value = np.where(seg == 1, amount[acc_inv], SMB_PRICES[product, tier])
    value = np.where(seg == 2, 0.0, value)
    seg_names = np.array(SEGMENTS)[seg]
    titles = np.empty(n, dtype=object)
    for s, s_name in enumerate(SEGMENTS):
        sel = seg == s
        opts = np.array(JOB_TITLES[s_name])
        titles[sel] = opts[rng.integers(0, len(opts), sel.sum())]
    n_devices = rng.choice([1, 2, 3], size=n, p=[0.62, 0.32, 0.06]).astype(np.int8)
    uid = user_ids(pidx).astype(object)
    for i, test_id in zip(internal_pos[:2], TEST_USER_IDS, strict=False):
        uid[i] = test_id
    people = frame(
        {
            "pidx": pidx,
            "person_id": person_ids(pidx),
            "seg": seg,
            "segment": seg_names,
            "aidx": aidx,
            "account_id": account_ids(aidx),
            "unit": np.where(seg == 1, aidx, pidx),
            "region": region.astype(np.int8),
            "geo": acc_geo[acc_inv],
            "product": product.astype(np.int8),
            "first": np.char.capitalize(first),
            "last": np.char.capitalize(last),
            "email": email,
            "phone": _phones(pidx, region, rng),
            "has_phone": rng.random(n) < 0.45,
            "company": name[acc_inv],
            "work_email": work_email,
            "job_title": titles.astype(str),
            "value": value,
            "n_devices": n_devices,
            "user_id": uid,
            "is_internal": seg == 2,
        }
    )

    # devices owned: slot 0 primary (desktop mostly), slot 1 phone, slot 2 tablet (which of them
    # a person browses on is decided with the outcome, see workbench.sample.causal)
    dev_p = np.repeat(np.arange(n), n_devices)
    slot = np.arange(len(dev_p)) - np.repeat(np.cumsum(n_devices) - n_devices, n_devices)
    desktop_first = rng.random(len(dev_p)) < np.where(seg[dev_p] == 1, 0.9, 0.65)
    single = n_devices[dev_p] == 1
    category = np.where(slot == 2, 2, np.where(slot == 1, 1, 0))
    category = np.where(single & ~desktop_first, 1, category)
    prof_draw = rng.random(len(dev_p))
    profile = np.select(
        [category == 0, category == 1],
        [(prof_draw * 4).astype(int), 4 + (prof_draw * 3).astype(int)],
        7,
    )
    didx = pidx[dev_p] * DEVICE_SLOTS + slot
    devices = frame(
        {
            "didx": didx,
            "pidx": pidx[dev_p],
            "slot": slot.astype(np.int8),
            "profile": profile.astype(np.int8),
            "category": np.array([p[0] for p in BROWSER_PROFILES])[profile],
            "consent": rng.random(len(dev_p)) >= CONSENT_REFUSAL,
        }
    )
    return Population(people=people, accounts=accounts, devices=devices)
