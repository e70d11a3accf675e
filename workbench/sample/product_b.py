"""Product B: a second product tracked with Segment (``segment/product_b_YYYY-MM.jsonl``).

Northwind's free benchmarking tool lives on its own host (:data:`PB_SITE`) and is
tracked with Segment's analytics.js, not GA4. Some people with a known e-mail use
it: a share of their marketing web sessions (not e-mail clicks, not the sessions
that submit a form, sign up or buy) lands on product B instead of the main site.
Those touches keep their channel and their causal effect; only their tracking
differs, so a journey misses them unless the Segment source is read, sessionized
and stitched to the person:

* every call carries the device's own ``anonymousId`` (a different cookie domain
  from GA4's ``user_pseudo_id``: the same laptop has two ids);
* a session is one landing ``page`` call plus 0-3 further pages (20 s - 3 min
  apart). The landing call has the channel's tagged URL (``utm_*`` and the click
  id, as on the main site) and ``context.page.referrer`` (Google, the referring
  site, ``t.co`` ...); analytics.js fills ``context.campaign`` from the URL's
  tags, except on a share of calls relayed server side (:data:`NO_CONTEXT_SHARE`)
  where only the URL carries them. Later pages refer to the previous page;
* the tool asks for a work e-mail: an ``identify`` call with ``traits.email`` (as
  typed, some in title case) comes with the first session of each device, so
  cross-device and cross-product stitching both rest on the e-mail;
* some sessions export a report (``track`` "Report Exported", not a touch).

Nothing here is random with the chunk's main stream: a separate stream
(``[seed, chunk, 5]``) keeps the rest of the sample apart from product B's draws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.sample._text import frame, scramble, uuid_like
from workbench.sample.causal import Outcomes
from workbench.sample.journeys import ROLE, SEC
from workbench.sample.population import KIOSK_SLOT, Population
from workbench.sample.sessions import session_traffic
from workbench.sample.vocab import channel_code

__all__ = [
    "NO_CONTEXT_SHARE",
    "PB_PAGES",
    "PB_SITE",
    "PB_USER_SHARE",
    "ProductBWriter",
    "assign_product_b",
    "segment_anonymous_ids",
]

#: Product B's host (tracked by Segment, not GA4).
PB_SITE = "https://benchmarks.northwind-insights.com"
#: Product B's pages: (path, title).
PB_PAGES: tuple[tuple[str, str], ...] = (
    ("/", "Northwind Insights | Free marketing benchmarks"),
    ("/benchmarks/saas", "SaaS funnel benchmarks | Northwind Insights"),
    ("/benchmarks/ecommerce", "E-commerce funnel benchmarks | Northwind Insights"),
    ("/roi-calculator", "Attribution ROI calculator | Northwind Insights"),
    ("/reports/new", "New benchmark report | Northwind Insights"),
    ("/templates/attribution-plan", "Attribution plan template | Northwind Insights"),
)
#: Share of people with a known e-mail who use product B.
PB_USER_SHARE = 0.35
#: Share of a product-B user's eligible sessions that land on product B.
PB_SESSION_SHARE = 0.5
#: Share of page calls relayed server side without ``context.campaign``.
NO_CONTEXT_SHARE = 0.3
_EMAIL = channel_code("Email")


def assign_product_b(rng: np.random.Generator, pop: Population, out: Outcomes) -> np.ndarray:
    """Which touches happen on product B (sets ``out.touches["product_b"]``; returns the mask).

    Eligible: journey web sessions without a role (no form, sign-up, purchase,
    login) that are not e-mail clicks, of people whose e-mail the company knows.
    """
    t, st = out.touches, out.state
    known = (st["known"] & st["email_known"]).to_numpy(bool)
    user = known & (rng.random(len(known)) < PB_USER_SHARE)
    p = t["p"].to_numpy()
    eligible = (
        t["web"].to_numpy(bool)
        & (t["phase"].to_numpy() == 0)
        & (t["seg"].to_numpy() < 2)
        & (t["role"].to_numpy() == ROLE["none"])
        & (t["ch"].to_numpy() != _EMAIL)
        & (t["slot"].to_numpy() < KIOSK_SLOT)
        & user[p]
    )
    pb = eligible & (rng.random(len(t)) < PB_SESSION_SHARE)
    t["product_b"] = pb
    return pb


def segment_anonymous_ids(didx: np.ndarray) -> np.ndarray:
    """Segment ``anonymousId`` per device (UUID-shaped, stable for a device index)."""
    hexes = [
        pd.Series(np.char.zfill(np.char.mod("%x", scramble(didx, 48, salt=salt)), 12))
        for salt in (0x5E6, 0xB0B, 0xC0FFEE)
    ]
    a, b, c = (h.str for h in hexes)
    uuid = a[:8] + "-" + a[8:12] + "-4" + b[:3] + "-" + b[3:7] + "-" + c[:12]
    return uuid.to_numpy(dtype=object)


def _q(values: np.ndarray | pd.Series) -> pd.Series:
    """JSON string literals (values hold no quote, backslash or control character)."""
    return '"' + pd.Series(np.asarray(values, dtype=object), dtype=object).astype(str) + '"'


def _page_calls(
    rng: np.random.Generator, t: pd.DataFrame, tr: dict[str, np.ndarray], anon: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Page calls of product B's sessions: the calls, their session row, landing mask."""
    pages = np.array([p for p, _ in PB_PAGES], dtype=object)
    titles = np.array([x for _, x in PB_PAGES], dtype=object)
    n_pages = 1 + rng.choice(4, size=len(t), p=[0.4, 0.3, 0.2, 0.1])
    s = np.repeat(np.arange(len(t)), n_pages)
    first = np.r_[0, np.cumsum(n_pages)[:-1]]
    pos = np.arange(len(s)) - first[s]
    page = rng.integers(0, len(PB_PAGES), len(s))
    gap = (rng.uniform(20, 180, len(s)) * SEC).astype(np.int64)
    gap[first] = 0
    ts = t["session_ts"].to_numpy()[s] + (
        np.cumsum(gap) - np.repeat(np.cumsum(gap)[first], n_pages)
    )
    url = PB_SITE + pages[page]
    land = pos == 0
    url = np.where(land, url + tr["query"].astype(str)[s], url).astype(object)
    prev = np.r_[np.array([""], dtype=object), url[:-1]]
    ref = np.where(land, tr["referrer"][s], prev).astype(object)
    ctx = land & tr["manual"][s] & (rng.random(len(s)) >= NO_CONTEXT_SHARE)
    calls = frame(
        {
            "ts": ts,
            "kind": np.zeros(len(s), dtype=np.int8),
            "anon": anon[s],
            "path": pages[page],
            "title": titles[page],
            "url": url,
            "referrer": ref,
            "ctx": ctx,
            "source": tr["source"][s],
            "medium": tr["medium"][s],
            "campaign": tr["campaign"][s],
        }
    )

    return calls, s, land


class ProductBWriter:
    """Write product B's Segment calls month by month; return the identifiers written."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "segment"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, int] = {}
        self.calls = 0
        self.sessions = 0

    def add_chunk(self, rng: np.random.Generator, pop: Population, out: Outcomes) -> pd.DataFrame:
        """Append one chunk's calls; returns ``id_type, id_value, pidx`` of the identifiers."""
        t = out.touches
        t = t[t["product_b"].to_numpy(bool)].reset_index(drop=True)
        people = pop.people
        if len(t) == 0:
            return frame({"id_type": [], "id_value": [], "pidx": []})
        self.sessions += len(t)
        tr = session_traffic(t)
        didx = t["didx"].to_numpy()
        devices, dev_inv = np.unique(didx, return_inverse=True)
        anon = segment_anonymous_ids(devices)[dev_inv]
        calls, s, land = _page_calls(rng, t, tr, anon)
        ts = calls["ts"].to_numpy()
        # identify with the typed work e-mail on each device's first product-B session
        order = np.lexsort((ts[land], dev_inv[s][land]))
        land_rows = np.flatnonzero(land)[order]
        _, first_dev = np.unique(dev_inv[s][land_rows], return_index=True)
        idf = land_rows[first_dev]
        email = people["email"].to_numpy()[t["p"].to_numpy()[s[idf]]].astype(str)
        typed = np.where(rng.random(len(idf)) < 0.1, np.char.title(email), email)
        ident = calls.iloc[idf].assign(ts=ts[idf] + 15 * SEC, kind=1, email=typed)
        export = land & (rng.random(len(s)) < 0.15)
        track = calls.loc[export].assign(ts=ts[export] + 8 * SEC, kind=2)  # before the next page
        calls = pd.concat([calls, ident, track], ignore_index=True)
        calls["msg"] = uuid_like(rng, len(calls))
        calls = calls.sort_values(["ts", "kind", "anon"], kind="stable", ignore_index=True)
        self._write(calls)
        pidx = people["pidx"].to_numpy()[t["p"].to_numpy()]
        return pd.concat(
            [
                frame({"id_type": "anonymous_id", "id_value": anon, "pidx": pidx}),
                frame({"id_type": "email", "id_value": typed, "pidx": pidx[s[idf]]}),
                frame({"id_type": tr["click_key"], "id_value": tr["click_id"], "pidx": pidx}),
            ],
            ignore_index=True,
        ).drop_duplicates(ignore_index=True)  # empty click ids are dropped by the truth

    def _write(self, calls: pd.DataFrame) -> None:
        us = calls["ts"].to_numpy()
        when = pd.Series(
            np.datetime_as_string(us.astype("datetime64[us]").astype("datetime64[ms]"), unit="ms")
        )
        head = (
            '{"messageId":' + _q(calls["msg"]) + ',"anonymousId":' + _q(calls["anon"])
            + ',"timestamp":' + _q(when + "Z")
        )  # fmt: skip
        page_ctx = (
            '"page":{"path":' + _q(calls["path"]) + ',"url":' + _q(calls["url"])
            + ',"referrer":' + _q(calls["referrer"]) + ',"title":' + _q(calls["title"]) + "}"
        )  # fmt: skip
        campaign = (
            ',"campaign":{"source":' + _q(calls["source"]) + ',"medium":' + _q(calls["medium"])
            + ',"name":' + _q(calls["campaign"]) + "}"
        )  # fmt: skip
        ctx = np.where(calls["ctx"].to_numpy(bool), campaign, "")
        context = ',"context":{"library":{"name":"analytics.js"},' + page_ctx + ctx + "}"
        kind = calls["kind"].to_numpy()
        page = head + ',"type":"page","name":' + _q(calls["title"]) + context + "}"
        email = calls["email"] if "email" in calls else pd.Series("", index=calls.index)
        ident = head + ',"type":"identify","traits":{"email":' + _q(email.fillna("")) + "}}"
        track = (
            head + ',"type":"track","event":"Report Exported","properties":{"format":"pdf"}'
            + context + "}"
        )  # fmt: skip
        line = np.where(kind == 0, page, np.where(kind == 1, ident, track))
        month = np.datetime_as_string(us.astype("datetime64[us]").astype("datetime64[M]"))
        for m in np.unique(month):
            name = f"product_b_{m}.jsonl"
            text = "\n".join(line[month == m].tolist()) + "\n"
            with open(
                self.folder / name, "a" if name in self.rows else "w", encoding="utf-8"
            ) as fh:
                fh.write(text)
            self.rows[name] = self.rows.get(name, 0) + int((month == m).sum())
        self.calls += len(calls)
