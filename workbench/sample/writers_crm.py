"""HubSpot exports: contacts, companies, deals and per-object activity files.

Dates are naive local times of the portal (``America/New_York``), formatted
``YYYY-MM-DD HH:MM`` as the HubSpot UI exports them. A person is a contact
from the moment the company learns who they are (first form, webinar
registration, badge scan or sales touch; or imported before 2026).

As in many real portals, a shop integration mirrors every web order into an
``Ecommerce Pipeline`` deal (closed won, same amount, a little later than the
purchase): the same purchase then exists twice, once in GA4 and once in the CRM
(the config's ``[conversions]`` definitions merge them). Sales activities are
exported per object, as HubSpot exports them: ``activities/calls.csv``,
``activities/meetings.csv``, ``activities/emails.csv`` (no ``Activity Type``
column; the file says what it holds; associations as names with e-mails and
as ids).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.sample._text import append_csv, frame, local_us, money_text, ts_text
from workbench.sample.causal import KNOWN_HOW, Outcomes
from workbench.sample.journeys import DAY, ROLE
from workbench.sample.model import SALES_KINDS
from workbench.sample.population import Population
from workbench.sample.sessions import EVENT_NAMES, Ga4Data
from workbench.sample.vocab import (
    CHANNELS,
    GEO_PROFILES,
    PERIOD_END,
    PERIOD_START,
    PORTAL_TZ,
    PRODUCT_LINES,
    SALES_REPS,
    channel_code,
)

__all__ = ["CrmWriter", "company_ids", "contact_ids"]

_CONTACTS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Create Date",
    "Lifecycle Stage",
    "Associated Company ID",
    "Original Source",
    "GA Client ID",
    "User ID",
    "Became a Lead Date",
    "Became a Marketing Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
]
_COMPANIES = [
    "Record ID",
    "Company name",
    "Company Domain Name",
    "Industry",
    "Number of Employees",
    "Employee band",
    "Country/Region",
    "Create Date",
]
_DEALS = [
    "Record ID",
    "Deal Name",
    "Pipeline",
    "Deal Stage",
    "Amount",
    "Currency",
    "Create Date",
    "Close Date",
    "Associated Contact IDs",
    "Associated Company ID",
    "Product Line",
    "Deal Type",
]
#: Per-object activity exports: file -> (title column, outcome column or None).
ACTIVITY_FILES: dict[str, tuple[str, str | None]] = {
    "calls": ("Call Title", "Call outcome"),
    "meetings": ("Meeting name", "Meeting outcome"),
    "emails": ("Email subject", None),
}
#: Mirrored web orders: hours between the purchase and the deal's close date.
MIRROR_DELAY_HOURS = (1, 2, 3, 5)


def _activity_columns(name: str) -> list[str]:
    title, outcome = ACTIVITY_FILES[name]
    return [
        "Record ID",
        "Activity date",
        title,
        *([outcome] if outcome else []),
        "Activity assigned to",
        "Associated Contact",
        "Associated Contact IDs",
        "Associated Company",
        "Associated Company IDs",
    ]


#: HubSpot "Original Source" label per channel of the visitor's first session.
_SOURCE_LABEL = np.array(
    [
        "Paid Search",
        "Paid Search",
        "Paid Social",
        "Paid Social",
        "Other Campaigns",
        "Organic Search",
        "Direct Traffic",
        "Referrals",
        "Organic Social",
        "Email Marketing",
        "Offline Sources",
        "Offline Sources",
        "Offline Sources",
    ],
    dtype=object,
)
assert len(_SOURCE_LABEL) == len(CHANNELS)
_SALES = channel_code("Sales")


def contact_ids(pidx: np.ndarray) -> np.ndarray:
    """HubSpot contact Record IDs (11 digits) from person indices."""
    return (40_000_000_000 + np.asarray(pidx, dtype=np.int64)).astype(str)


def company_ids(aidx: np.ndarray) -> np.ndarray:
    """HubSpot company Record IDs (11 digits) from account indices."""
    return (18_000_000_000 + np.asarray(aidx, dtype=np.int64)).astype(str)


def _local(us: np.ndarray) -> np.ndarray:
    """UTC microseconds -> portal-local ``YYYY-MM-DD HH:MM`` (empty for -1)."""
    us = np.asarray(us, dtype=np.int64)
    ok = us >= 0
    out = np.full(len(us), "", dtype=object)
    if ok.any():
        out[ok] = ts_text(local_us(us[ok], PORTAL_TZ), unit="m")
    return out


class CrmWriter:
    """Append HubSpot rows chunk by chunk."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "hubspot"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "activities").mkdir(exist_ok=True)
        self.rows = {"contacts": 0, "companies": 0, "deals": 0}
        self.rows.update({f"activities/{k}": 0 for k in ACTIVITY_FILES})
        self.mirrored_orders = 0
        self.missing_email = 0
        self.bad_dates = 0
        self.ebook_without_client_id = 0
        self.internal_contacts = 0
        self.chunk_companies = np.zeros(0, dtype=np.int64)
        for name, cols in (
            ("contacts", _CONTACTS),
            ("companies", _COMPANIES),
            ("deals", _DEALS),
            *((f"activities/{k}", _activity_columns(k)) for k in ACTIVITY_FILES),
        ):
            append_csv(self.folder / f"{name}.csv", pd.DataFrame(columns=cols), header=True)

    def _append(self, name: str, frame: pd.DataFrame) -> None:
        self.rows[name] += append_csv(self.folder / f"{name}.csv", frame, header=False)

    def add_chunk(
        self, rng: np.random.Generator, pop: Population, out: Outcomes, ga4: Ga4Data, *, mess: bool
    ) -> pd.DataFrame:
        """Write one chunk's HubSpot rows; returns the identifiers written."""
        people, st = pop.people, out.state
        known = st["known"].to_numpy()
        p = people[known]
        s = st[known]
        pidx = p["pidx"].to_numpy()
        seg = p["seg"].to_numpy()
        email_ok = s["email_known"].to_numpy()
        email = np.where(email_ok, p["email"].to_numpy(), "")
        phone = np.where(p["has_phone"].to_numpy() | ~email_ok, p["phone"].to_numpy(), "")
        known_ts = s["known_ts"].to_numpy()
        conv = s["converted"].to_numpy() & (s["conv_ts"].to_numpy() >= 0)
        customer_ts = np.where(conv, np.maximum(s["conv_ts"].to_numpy(), known_ts), -1)
        stage = np.select(
            [seg == 2, conv, s["opp_ts"].to_numpy() >= 0, s["mql_ts"].to_numpy() >= 0],
            ["other", "customer", "opportunity", "marketingqualifiedlead"],
            "lead",
        )
        has_company = (seg == 1) | ((seg == 0) & p["work_email"].to_numpy())
        company = np.where(has_company, company_ids(p["aidx"].to_numpy()), "")
        how = np.array(KNOWN_HOW)[s["known_how"].to_numpy()]
        first_ch = s["first_ch"].to_numpy()
        origin = np.where(how == "form", _SOURCE_LABEL[np.maximum(first_ch, 0)], "Offline Sources")
        dev = ga4.devices.set_index("didx")["pseudo_id"]
        form_didx = s["form_didx"].to_numpy()
        # the e-book form is a third-party landing page: it captures no GA Client ID (the
        # site's generate_lead event sends the hashed e-mail instead, see writers_ga4)
        has_dev = np.isin(form_didx, dev.index.to_numpy())
        ebook = s["form_role"].to_numpy() == ROLE["lead_ebook"]
        self.ebook_without_client_id += int((has_dev & ebook).sum())
        has_dev &= ~ebook
        ga_client = np.full(len(p), "", dtype=object)
        ga_client[has_dev] = dev.loc[form_didx[has_dev]].to_numpy()
        user = np.where(s["has_user"].to_numpy(), p["user_id"].to_numpy(), "")
        contacts = frame(
            {
                "Record ID": contact_ids(pidx),
                "First Name": p["first"].to_numpy(),
                "Last Name": p["last"].to_numpy(),
                "Email": email,
                "Phone Number": phone,
                "Create Date": _local(known_ts),
                "Lifecycle Stage": stage,
                "Associated Company ID": company,
                "Original Source": origin,
                "GA Client ID": ga_client,
                "User ID": user,
                "Became a Lead Date": _local(np.where(seg == 2, -1, known_ts)),
                "Became a Marketing Qualified Lead Date": _local(s["mql_ts"].to_numpy()),
                "Became an Opportunity Date": _local(s["opp_ts"].to_numpy()),
                "Became a Customer Date": _local(customer_ts),
            }
        )
        if mess and len(contacts):
            row = len(contacts) // 2
            contacts.iloc[row, 5] = "2026-02-30 09:15"
            contacts.iloc[row, 11] = "2026-02-30 09:15"
            self.bad_dates += 1
        self.missing_email += int((email == "").sum())
        self.internal_contacts += int((seg == 2).sum())
        self._append("contacts", contacts)

        self._companies(rng, pop, out, p, known_ts, has_company)
        self._deals(rng, pop, out, p, known_ts, mess=mess)
        self._mirrored_orders(p, company, ga4)
        self._engagements(out, pop, email)

        ids = [
            ("crm_contact_id", contact_ids(pidx), pidx),
            ("email", email, pidx),
            ("phone", phone, pidx),
            ("anonymous_id", ga_client, pidx),
            ("user_id", user, pidx),
        ]
        frames = [
            frame({"id_type": t, "id_value": v[v != ""], "pidx": w[v != ""]})
            for t, v, w in ((t, np.asarray(v, dtype=object), w) for t, v, w in ids)
        ]
        return pd.concat(frames, ignore_index=True)

    def _companies(self, rng, pop, out, p, known_ts, has_company) -> None:
        acc = pop.accounts
        a_known = np.zeros(len(acc), dtype=bool)
        first_known = np.full(len(acc), np.iinfo(np.int64).max)
        pos = np.searchsorted(acc["aidx"].to_numpy(), p["aidx"].to_numpy()[has_company])
        a_known[pos] = True
        np.minimum.at(first_known, pos, known_ts[has_company])
        in_crm = (acc["seg"].to_numpy() == 1) | a_known
        abm = (acc["seg"].to_numpy() == 1) & (rng.random(len(acc)) < 0.7)
        imported = PERIOD_START - (rng.uniform(30.0, 300.0, len(acc)) * DAY).astype(np.int64)
        j = out.touches
        first_touch = np.full(len(acc), np.iinfo(np.int64).max)
        tpos = np.searchsorted(
            acc["aidx"].to_numpy(), pop.people["aidx"].to_numpy()[j["p"].to_numpy()]
        )
        np.minimum.at(first_touch, tpos, j["ts"].to_numpy())
        created = np.where(abm, imported, np.minimum(first_known, first_touch))
        c = acc[in_crm]
        countries = np.array([g[3] for g in GEO_PROFILES], dtype=object)
        table = frame(
            {
                "Record ID": company_ids(c["aidx"].to_numpy()),
                "Company name": c["company"].to_numpy(),
                "Company Domain Name": c["domain"].to_numpy(),
                "Industry": c["industry"].to_numpy(),
                "Number of Employees": c["employees"].to_numpy(),
                "Employee band": c["employee_band"].to_numpy(),
                "Country/Region": countries[c["geo"].to_numpy()],
                "Create Date": _local(created[in_crm]),
            }
        )
        self._append("companies", table)
        self.chunk_companies = c["aidx"].to_numpy()

    def _deals(self, rng, pop, out, p, known_ts, *, mess: bool) -> None:
        deals = out.deals
        if len(deals) == 0:
            return
        acc = pop.accounts.set_index("aidx").loc[deals["aidx"].to_numpy()]
        close = deals["close_ts"].to_numpy()
        # contacts on the deal: the account's contacts known before it closed, the champion
        # first: usually the contact whose journey added most to the account's score (drawn
        # with odds exp(their logit increments), so a webinar attendee often but not always)
        ent = p[(p["seg"] == 1).to_numpy()]
        ent_known = known_ts[(p["seg"] == 1).to_numpy()]
        deal_pos = np.searchsorted(deals["aidx"].to_numpy(), ent["aidx"].to_numpy())
        deal_pos = np.minimum(deal_pos, len(deals) - 1)
        on_deal = deals["aidx"].to_numpy()[deal_pos] == ent["aidx"].to_numpy()
        limit = np.where(close >= 0, close, PERIOD_END)[deal_pos]
        on_deal &= ent_known <= limit
        t = out.touches
        journey = (t["phase"] == 0).to_numpy()
        weight = np.bincount(
            t["p"].to_numpy()[journey], t["delta"].to_numpy()[journey], len(pop.people)
        )
        ent_pos = np.searchsorted(pop.people["pidx"].to_numpy(), ent["pidx"].to_numpy())
        order = np.flatnonzero(on_deal)
        key = weight[ent_pos[order]] + rng.gumbel(0.0, 1.0, len(order))
        order = order[np.lexsort((-key, deal_pos[order]))]
        d_pos, cid = deal_pos[order], contact_ids(ent["pidx"].to_numpy()[order])
        rank = np.arange(len(d_pos)) - np.searchsorted(d_pos, d_pos)
        width = int(rank.max()) + 1 if len(rank) else 1
        cols = []
        for k in range(width):
            col = np.full(len(deals), None, dtype=object)
            col[d_pos[rank == k]] = cid[rank == k]
            cols.append(pa.array(col, type=pa.string()))
        joined = pc.binary_join_element_wise(*cols, ";", null_handling="skip")
        joined = pc.fill_null(joined, "").to_numpy(zero_copy_only=False)
        products = np.array(PRODUCT_LINES, dtype=object)[deals["product"].to_numpy()]
        table = frame(
            {
                "Record ID": (21_000_000_000 + deals["aidx"].to_numpy()).astype(str),
                "Deal Name": acc["company"].to_numpy() + " - " + products + " - New business",
                "Pipeline": "Sales Pipeline",
                "Deal Stage": deals["stage"].to_numpy(),
                "Amount": deals["amount"].to_numpy().astype(np.int64),
                "Currency": "USD",
                "Create Date": _local(deals["create_ts"].to_numpy()),
                "Close Date": _local(close),
                "Associated Contact IDs": joined,
                "Associated Company ID": company_ids(deals["aidx"].to_numpy()),
                "Product Line": products,
                "Deal Type": "newbusiness",
            }
        )
        if mess:
            won = np.flatnonzero(deals["stage"].to_numpy() == "closedwon")
            row = int(won[len(won) // 2]) if len(won) else len(table) // 2
            table.iloc[row, 7] = "TBD - end of quarter"
            self.bad_dates += 1
        self._append("deals", table)

    def _mirrored_orders(self, p: pd.DataFrame, company: np.ndarray, ga4: Ga4Data) -> None:
        """``Ecommerce Pipeline`` deals mirroring the web orders of CRM contacts (no rng)."""
        ev = ga4.events
        txn = ev["transaction_id"].to_numpy().astype(str)
        sel = (ev["name"].to_numpy() == EVENT_NAMES.index("purchase")) & np.char.startswith(
            txn, "ORD"
        )
        orders = ev.loc[sel]
        pidx = p["pidx"].to_numpy()
        pos = np.searchsorted(pidx, orders["pidx"].to_numpy())
        pos = np.minimum(pos, max(len(pidx) - 1, 0))
        known = (pidx[pos] == orders["pidx"].to_numpy()) if len(pidx) else pos < 0
        orders, pos, order_id = orders[known], pos[known], txn[sel][known]
        if not len(orders):
            return
        ts = orders["ts"].to_numpy()
        delay = np.array(MIRROR_DELAY_HOURS, dtype=np.int64)[(ts // 1_000_000) % 4] * 3_600_000_000
        table = frame(
            {
                "Record ID": (
                    22_000_000_000 + np.arange(len(orders)) + self.mirrored_orders
                ).astype(str),
                "Deal Name": "Web order " + order_id.astype(object),
                "Pipeline": "Ecommerce Pipeline",
                "Deal Stage": "closedwon",
                "Amount": money_text(orders["value"].to_numpy()),
                "Currency": "USD",
                "Create Date": _local(ts + delay // 2),
                "Close Date": _local(ts + delay),
                "Associated Contact IDs": contact_ids(pidx[pos]),
                "Associated Company ID": company[pos],
                "Product Line": "",
                "Deal Type": "newbusiness",
            }
        )
        self.mirrored_orders += len(table)
        self._append("deals", table)

    def _engagements(self, out: Outcomes, pop: Population, email: np.ndarray) -> None:
        t = out.touches
        sel = ((t["ch"] == _SALES) & (t["phase"] == 0)).to_numpy()
        e = t[sel]
        kind = np.array(SALES_KINDS)[e["sub"].to_numpy()]
        tidx = e["tidx"].to_numpy()
        people = pop.people
        ppos = e["p"].to_numpy()
        aidx = people["aidx"].to_numpy()[ppos]
        call_subjects = np.array(["Discovery call", "Follow-up call", "Check-in call"])
        meeting_subjects = np.array(["Pricing and rollout review", "Security and data review"])
        subject = np.select(
            [kind == "call", kind == "email", kind == "meeting"],
            [
                call_subjects[tidx % 3],
                "Re: Northwind Analytics evaluation next steps",
                meeting_subjects[tidx % 2],
            ],
            "Demo: Northwind Analytics platform walkthrough",
        )
        call_outcomes = np.array(["Connected", "Connected", "Left voicemail", "No answer"])
        outcome = np.select(
            [kind == "call", kind == "email"], [call_outcomes[tidx % 4], ""], "Completed"
        )
        first = people["first"].to_numpy().astype(object)[ppos]
        name = first + " " + people["last"].to_numpy().astype(object)[ppos]
        address = people["email"].to_numpy().astype(object)[ppos]
        known_email = np.isin(address, email[email != ""])
        contact = np.where(known_email, name + " (" + address + ")", name)
        accounts = pop.accounts.set_index("aidx")["company"]
        file_of = np.select([kind == "call", kind == "email"], ["calls", "emails"], "meetings")
        for key, (title, outcome_col) in ACTIVITY_FILES.items():
            mine = file_of == key
            table = frame(
                {
                    "Record ID": (60_000_000_000 + tidx[mine]).astype(str),
                    "Activity date": _local(e["ts"].to_numpy()[mine]),
                    title: subject[mine],
                    **({outcome_col: outcome[mine]} if outcome_col else {}),
                    "Activity assigned to": np.array(SALES_REPS)[aidx[mine] % len(SALES_REPS)],
                    "Associated Contact": contact[mine],
                    "Associated Contact IDs": contact_ids(e["pidx"].to_numpy()[mine]),
                    "Associated Company": accounts.reindex(aidx[mine]).fillna("").to_numpy(),
                    "Associated Company IDs": company_ids(aidx[mine]),
                }
            )
            self._append(f"activities/{key}", table.sort_values("Record ID", kind="stable"))
