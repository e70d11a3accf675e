"""Ground truth of the sample: ``_truth/`` (never read by ``prepare``).

Files (see docs/formats.md): ``people.csv``, ``identifiers.csv``,
``accounts.csv``, ``channel_contribution.csv`` and ``README.md``; plus
``channel_contribution_expected.csv`` (model expectation instead of the
realized common-random-numbers count), ``conversions.csv`` (every real
conversion and secondary outcome) and, unless disabled, ``touches.csv`` (every
model touch with its logit increment).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.sample._text import append_csv, frame, money_text, ts_text
from workbench.sample.causal import Outcomes
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
    SALES_KINDS,
    WEBINAR_ACCOUNT_SHARE,
    WEBINAR_ATTENDANCE,
    WEBINAR_CONTACT_SHARE,
    WEBINAR_DELTA,
)
from workbench.sample.population import CONSENT_REFUSAL, Population
from workbench.sample.product_b import segment_anonymous_ids
from workbench.sample.sessions import EVENT_NAMES, Ga4Data
from workbench.sample.vocab import (
    CAMPAIGNS,
    CHANNELS,
    EMAIL_CAMPAIGNS,
    PRODUCT_LINES,
    REGIONS,
    TRADE_SHOWS,
    WEBINAR_TOPICS,
    channel_code,
)

__all__ = ["TruthWriter"]

_ID_ORDER = {
    t: i
    for i, t in enumerate(
        (
            "crm_contact_id",
            "user_id",
            "email",
            "phone",
            "anonymous_id",
            "gclid",
            "fbclid",
            "li_fat_id",
        )
    )
}
_EV = {name: i for i, name in enumerate(EVENT_NAMES)}
_CONTRIB = [
    "channel",
    "conversions",
    "conversions_lost",
    "revenue_lost",
    "share_conversions",
    "share_revenue",
    "conversions_shapley",
    "share_shapley",
]


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _shares(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else np.zeros_like(values)


class TruthWriter:
    """Append truth rows per chunk and write the channel contributions at the end."""

    def __init__(self, root: Path, *, touches: bool = True) -> None:
        self.folder = root / "_truth"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.write_touches = touches
        self.rows: dict[str, int] = {}
        c = len(CHANNELS)
        self.touched = np.zeros(c)
        self.lost = np.zeros(c)
        self.revenue_lost = np.zeros(c)
        self.exp_lost = np.zeros(c)
        self.exp_revenue = np.zeros(c)
        self.shapley = np.zeros(c)
        self.baseline = 0
        self.conversions = 0
        self.revenue = 0.0
        self.units = 0
        self.touch_count = 0
        self.journey_touches = 0
        #: enterprise accounts [without, with] a webinar attendee: count and deals won
        self.webinar_accounts = np.zeros(2, dtype=np.int64)
        self.webinar_won = np.zeros(2, dtype=np.int64)
        self.first = True

    def _append(self, name: str, frame: pd.DataFrame) -> None:
        path = self.folder / name
        self.rows[name] = self.rows.get(name, 0) + append_csv(path, frame, header=self.first)

    def add_chunk(
        self,
        pop: Population,
        out: Outcomes,
        ga4: Ga4Data,
        identifiers: pd.DataFrame,
        crm_companies: np.ndarray,
    ) -> None:
        """Append one chunk's people, accounts, identifiers, touches and conversions."""
        people, t, units = pop.people, out.touches, out.units
        pid = people.set_index("pidx")["person_id"]
        web = t[t["web"].to_numpy()]
        n_dev = web.groupby("p")["didx"].nunique()
        devices = np.zeros(len(people), dtype=np.int64)
        devices[n_dev.index.to_numpy()] = n_dev.to_numpy()
        self._append(
            "people.csv",
            frame(
                {
                    "person_id": people["person_id"].to_numpy(),
                    "account_id": people["account_id"].to_numpy(),
                    "segment": people["segment"].to_numpy(),
                    "region": np.array(REGIONS)[people["region"].to_numpy()],
                    "product_line": np.array(PRODUCT_LINES)[people["product"].to_numpy()],
                    "is_internal": people["is_internal"].to_numpy(),
                    "converted": out.state["converted"].to_numpy(),
                    "n_devices": devices,
                }
            ),
        )
        acc = pop.accounts
        in_crm = np.isin(acc["aidx"].to_numpy(), crm_companies)
        crm = np.where(in_crm, (18_000_000_000 + acc["aidx"].to_numpy()).astype(str), "")
        self._append(
            "accounts.csv",
            frame(
                {
                    "account_id": acc["account_id"].to_numpy(),
                    "crm_company_id": crm,
                    "industry": acc["industry"].to_numpy(),
                    "employee_band": acc["employee_band"].to_numpy(),
                }
            ),
        )
        ids = identifiers[identifiers["id_value"].astype(str) != ""].drop_duplicates()
        ids = ids.assign(
            person_id=pid.loc[ids["pidx"].to_numpy()].to_numpy(),
            _o=ids["id_type"].map(_ID_ORDER).to_numpy(),
        )
        ids = ids.sort_values(["person_id", "_o", "id_value"], kind="stable")
        self._append("identifiers.csv", ids[["id_type", "id_value", "person_id"]])
        self._touches(pop, out, ga4)
        self._conversions(pop, out, ga4)

        converted = units["converted"].to_numpy()
        value = units["value"].to_numpy()
        self.units += len(units)
        self.conversions += int(converted.sum())
        self.revenue += float(value[converted].sum())
        self.touched += out.touched.sum(axis=0)
        self.lost += out.lost.sum(axis=0)
        self.revenue_lost += (out.lost * value[:, None]).sum(axis=0)
        self.exp_lost += out.exp_lost.sum(axis=0)
        self.exp_revenue += (out.exp_lost * value[:, None]).sum(axis=0)
        if out.shapley is not None:
            self.shapley += out.shapley.sum(axis=0)
            self.baseline += int(converted.sum() - round(out.shapley.sum()))
        self._webinar_accounts(out)
        self.first = False

    def _webinar_accounts(self, out: Outcomes) -> None:
        """Count enterprise accounts with / without a webinar attendee, and their wins."""
        t, units = out.touches, out.units
        attended = (
            (t["phase"] == 0).to_numpy()
            & (t["ch"] == channel_code("Webinar")).to_numpy()
            & (t["sub"] == 0).to_numpy()
        )
        ent = (units["seg"] == 1).to_numpy()
        has = np.isin(units["unit"].to_numpy(), t["unit"].to_numpy()[attended])[ent]
        won = units["converted"].to_numpy()[ent]
        self.webinar_accounts += np.bincount(has.astype(np.int64), minlength=2)
        self.webinar_won += np.bincount(has.astype(np.int64), weights=won, minlength=2).astype(
            np.int64
        )

    def _touches(self, pop: Population, out: Outcomes, ga4: Ga4Data) -> None:
        t = out.touches
        journey = (t["phase"] == 0).to_numpy() & (t["seg"] < 2).to_numpy()
        self.touch_count += len(t)
        self.journey_touches += int(journey.sum())
        if not self.write_touches:
            return
        people = pop.people
        ch = t["ch"].to_numpy()
        sub = t["sub"].to_numpy()
        kind = np.full(len(t), "session", dtype=object)
        kind[ch == channel_code("Email")] = "email_open"
        wb = ch == channel_code("Webinar")
        kind[wb] = np.where(sub[wb] == 0, "webinar_attendance", "webinar_registration")
        sales = ch == channel_code("Sales")
        sales_types = np.array(["sales_call", "sales_email", "meeting", "demo"], dtype=object)
        kind[sales] = sales_types[np.minimum(sub[sales], 3)]
        kind[ch == channel_code("Events")] = "offline_event"
        detail = np.full(len(t), "", dtype=object)
        camp = t["campaign"].to_numpy()
        detail[camp >= 0] = np.array([c.name for c in CAMPAIGNS], dtype=object)[camp[camp >= 0]]
        ec = t["email_campaign"].to_numpy()
        detail[ec >= 0] = np.array([e.slug for e in EMAIL_CAMPAIGNS], dtype=object)[ec[ec >= 0]]
        w = t["webinar"].to_numpy()
        detail[w >= 0] = np.array(WEBINAR_TOPICS, dtype=object)[w[w >= 0] % len(WEBINAR_TOPICS)]
        sh = t["show"].to_numpy()
        detail[sh >= 0] = np.array([s for s, _, _ in TRADE_SHOWS], dtype=object)[sh[sh >= 0]]
        detail[sales] = np.array(SALES_KINDS, dtype=object)[np.minimum(sub[sales], 3)]
        dev = ga4.devices.set_index("didx")["pseudo_id"]
        didx = t["didx"].to_numpy()
        web = t["web"].to_numpy() & np.isin(didx, dev.index.to_numpy())
        device = np.full(len(t), "", dtype=object)
        device[web] = dev.loc[didx[web]].to_numpy()
        device[web & (device == "")] = "(cookieless)"
        pb = t["product_b"].to_numpy(bool) if "product_b" in t else np.zeros(len(t), dtype=bool)
        device[pb] = segment_anonymous_ids(didx[pb])
        phase = np.where(
            t["seg"].to_numpy() == 2,
            "internal",
            np.where(t["phase"].to_numpy() == 0, "journey", "post_conversion"),
        )
        p = t["p"].to_numpy()
        table = frame(
            {
                "person_id": people["person_id"].to_numpy()[p],
                "account_id": people["account_id"].to_numpy()[p],
                "ts": ts_text(t["ts"].to_numpy(), unit="s"),
                "channel": np.array(CHANNELS, dtype=object)[ch],
                "touch_type": kind,
                "detail": detail,
                "phase": phase,
                "ga4_session": t["web"].to_numpy() & ~pb,
                "product_b_session": pb,
                "device_id": device,
                "logit_increment": np.round(t["delta"].to_numpy(), 4),
            }
        )
        self._append("touches.csv", table)

    def _conversions(self, pop: Population, out: Outcomes, ga4: Ga4Data) -> None:
        people = pop.people
        ev = ga4.events
        parts = []
        names = ev["name"].to_numpy()
        txn = ev["transaction_id"].to_numpy().astype(str)
        for name, ctype in (("generate_lead", "lead"), ("sign_up", "signup"), ("purchase", "")):
            sel = names == _EV[name]
            pidx = ev["pidx"].to_numpy()[sel]
            pos = np.searchsorted(people["pidx"].to_numpy(), pidx)
            internal = people["is_internal"].to_numpy()[pos]
            is_real = (name == "purchase") & ~np.char.startswith(txn[sel], "TEST")
            parts.append(
                frame(
                    {
                        "conversion_type": ctype or "purchase",
                        "person_id": people["person_id"].to_numpy()[pos],
                        "account_id": people["account_id"].to_numpy()[pos],
                        "ts_us": ev["ts"].to_numpy()[sel],
                        "value": ev["value"].to_numpy()[sel],
                        "counted": is_real & ~internal,
                    }
                )
            )
        deals = out.deals
        acc_id = pop.accounts.set_index("aidx")["account_id"]
        for ctype, when, sel in (
            ("opportunity", deals["create_ts"].to_numpy(), np.ones(len(deals), dtype=bool)),
            ("deal_won", deals["close_ts"].to_numpy(), (deals["stage"] == "closedwon").to_numpy()),
        ):
            parts.append(
                frame(
                    {
                        "conversion_type": ctype,
                        "person_id": "",
                        "account_id": acc_id.loc[deals["aidx"].to_numpy()[sel]].to_numpy(),
                        "ts_us": when[sel],
                        "value": np.where(
                            ctype == "deal_won", deals["amount"].to_numpy()[sel], 0.0
                        ),
                        "counted": ctype == "deal_won",
                    }
                )
            )
        df = pd.concat(parts, ignore_index=True)
        df = df.sort_values(["ts_us", "conversion_type", "person_id"], kind="stable")
        df["ts"] = ts_text(df["ts_us"].to_numpy(), unit="s")
        df["value"] = money_text(df["value"].to_numpy())
        cols = ["conversion_type", "person_id", "account_id", "ts", "value", "counted"]
        self._append("conversions.csv", df[cols])

    def finish(self, summary_lines: list[str]) -> None:
        """Write ``channel_contribution*.csv`` and ``README.md``."""
        for name, lost, revenue, decimals in (
            ("channel_contribution.csv", self.lost, self.revenue_lost, 0),
            ("channel_contribution_expected.csv", self.exp_lost, self.exp_revenue, 3),
        ):
            table = frame(
                {
                    "channel": CHANNELS,
                    "conversions": self.touched.astype(np.int64),
                    "conversions_lost": np.round(lost, decimals) if decimals else lost.astype(int),
                    "revenue_lost": money_text(revenue),
                    "share_conversions": np.round(_shares(lost), 6),
                    "share_revenue": np.round(_shares(revenue), 6),
                    "conversions_shapley": np.round(self.shapley, 3),
                    "share_shapley": np.round(_shares(self.shapley), 6),
                }
            )
            cols = _CONTRIB if decimals == 0 else _CONTRIB[:-2]  # Shapley: realized outcomes
            self.rows[name] = append_csv(self.folder / name, table[cols], header=True)
        (self.folder / "README.md").write_text(self._readme(summary_lines), encoding="utf-8")

    def _readme(self, summary_lines: list[str]) -> str:
        deltas = "\n".join(
            f"| {c} | see below | see below |"
            if c in ("Webinar", "Sales")
            else f"| {c} | {DELTA[0, i]:.2f} | {DELTA[1, i]:.2f} |"
            for i, c in enumerate(CHANNELS)
        )
        return README.format(
            units=self.units,
            conversions=self.conversions,
            baseline=self.baseline,
            revenue=self.revenue,
            base_smb=BASE_LOGIT[0],
            base_ent=BASE_LOGIT[1],
            regions=", ".join(f"{r} {v:+.2f}" for r, v in zip(REGIONS, REGION_EFFECT, strict=True)),
            products=", ".join(
                f"{p} {v:+.2f}" for p, v in zip(PRODUCT_LINES, PRODUCT_EFFECT, strict=True)
            ),
            deltas=deltas,
            webinar=WEBINAR_DELTA.tolist(),
            web_accounts=WEBINAR_ACCOUNT_SHARE,
            web_contacts=WEBINAR_CONTACT_SHARE,
            web_attend=WEBINAR_ATTENDANCE,
            web_with=self.webinar_accounts[1],
            web_all=self.webinar_accounts.sum(),
            web_rate=_rate(self.webinar_won[1], self.webinar_accounts[1]),
            web_other=_rate(self.webinar_won[0], self.webinar_accounts[0]),
            sales=", ".join(f"{k} {v:.2f}" for k, v in zip(SALES_KINDS, SALES_DELTA, strict=True)),
            decay=DECAY,
            compare=COMPARE_LIFT.tolist(),
            switch=BROWSER_SWITCH_PROB,
            login_days=LOGIN_EVERYWHERE_DAYS,
            consent=CONSENT_REFUSAL,
            summary="\n".join(f"- {line}" for line in summary_lines),
        )


README = """# Ground truth of the synthetic sample

Written by `workbench sample` (`workbench.sample.generate_sample`). Nothing in
this folder is read by `workbench prepare`; it exists to score identity
stitching and attribution against what really happened.

## Files

- `people.csv`: one row per person. `segment` is `smb` (self-serve), `enterprise`
  or `internal` (staff / QA testers); `converted` is true when the person's unit
  converted (SMB: purchased; enterprise: their account's deal was won);
  `n_devices` counts the GA4 devices (browsers) the person used, including the
  shared kiosk and cookieless browsers.
- `accounts.csv`: one row per account (SMB people have a one-person account);
  `crm_company_id` is the HubSpot company Record ID when the company is in HubSpot.
- `identifiers.csv`: every identifier value as it appears in the raw files
  (`id_type` as in `workbench.schema.ID_TYPES`; GA4 `user_pseudo_id` and HubSpot
  `GA Client ID` are `anonymous_id`), with the person behind it. E-mails are raw
  (some are typed with capitals in Zoom / badge scans: each spelling is listed).
  The shared kiosk's `user_pseudo_id` is listed once per person who used it.
- `touches.csv`: every model touch (`phase` journey / post_conversion / internal)
  with its channel, device (GA4 `user_pseudo_id`, or product B's Segment
  `anonymousId` when `product_b_session`) and `logit_increment` (its term in the
  score below).
- `conversions.csv`: purchases (SMB, GA4), deals won (enterprise, HubSpot), and the
  secondary outcomes lead, signup and opportunity; `counted` marks the real
  conversions used for the channel contributions (not QA test purchases).
- `channel_contribution.csv`: per channel, `conversions` = real conversions whose
  journey touched the channel; `conversions_lost` / `revenue_lost` = conversions
  and revenue that would not have happened without the channel (see below);
  shares are of the column totals (interactions make the lost counts overlap, so
  they do not add up to the total conversions). `conversions_shapley` /
  `share_shapley` are the second truth definition: each converted unit's outcome
  split among its channels by the Shapley value (same uniforms); a unit's values
  sum to 1 when marketing caused the conversion and to 0 when it would have
  happened anyway, so the column sums to the incremental conversions
  ({baseline} of the {conversions} conversions would have happened without any
  marketing touch).
- `channel_contribution_expected.csv`: the removal columns as model expectations
  `sum sigmoid(s) - sigmoid(s without channel)` instead of realized counts.

## What links a person's identifiers in the exports

Stitching can only join what some export row or link joins; `identifiers.csv`
lists every identifier of a person, linkable or not.

- A browser (GA4 `user_pseudo_id`) is linked to its person by a login (the GA4
  `user_id` on its events from the sign-up / login on) or by the HubSpot `GA
  Client ID`, which the contact's first form captures on the browser it was
  submitted from (one browser per contact). The e-book download form is a
  third-party landing page that captures no GA Client ID: contacts whose first
  form was the e-book are linked to that browser only through the SHA-256 e-mail
  the site's `generate_lead` events send as the `email_sha256` event parameter
  (read with `[sources.options] identifiers = {{ email_sha256 = "email" }}`).
- Cross-device: people own 1-3 devices. Product users (buyers, trial users,
  contacts of customer accounts, staff) browse on any of them and log in on each
  browser they used within {login_days} days of signing up / buying; a browser
  whose login would fall after the period end stays unlinked. People who never
  log in keep to the browser of their first session, except {switch:.0%} of them
  who switch devices: those browsers are never all linked (see the count below).
- Ad click ids (`gclid`, `fbclid`, `li_fat_id`) are linked to the browser of the
  GA4 session they landed in (every ad click lands in a GA4 session). About
  {consent:.0%} of browsers refuse analytics consent and send cookieless events
  (no `user_pseudo_id` or `user_id`): their click ids are linked to nobody, and
  their gclids are otherwise only in the Google Ads click view.
- Contacts who never submitted a form on the site (known from a webinar, a badge
  scan, a sales activity or a list import) have no GA Client ID: their browsing
  stays anonymous unless they log in.
- The HubSpot contact row links its Record ID, e-mail, phone, GA Client ID and
  User ID; Mailchimp, Zoom and badge-scan rows carry only the e-mail.
- The shared kiosk: a few customers logged in on one device; its
  `user_pseudo_id` belongs to each of them and must merge none of them.

## The causal model

A *unit* is an SMB person or an enterprise account (all its contacts together).
Its conversion score is a logit:

    s = base[segment] + region + product_line + N(0, 0.5)
        + sum over the unit's journey touches of
          delta[segment, channel] * {decay} ** (earlier touches of the same channel by the unit)
          + compare_lift[segment] * (the touch's session viewed a /compare/ page)

and the unit converts iff `u < sigmoid(s)`, with one uniform draw `u` per unit.
Base logits: smb {base_smb}, enterprise {base_ent}; region: {regions};
product line: {products}.

| channel | delta smb | delta enterprise |
| --- | --- | --- |
{deltas}

Webinar touches use [[attended smb, no-show smb], [attended enterprise, no-show
enterprise]] = {webinar} instead; sales touches use {sales}. The compare-page
lift is {compare} (smb, enterprise). The pricing page has no effect: it is the
friction point that most visitors see without converting.

Webinars are a minority habit: in {web_accounts:.0%} of the enterprise accounts the buying
committee follows the webinar programme, and there {web_contacts:.0%} of the contacts
register ({web_attend:.0%} of registrations are attended); nobody else registers. So the
large attendance increment shows in the data: in this sample {web_with:,} of {web_all:,}
enterprise accounts had an attendee and {web_rate:.0%} of them won a deal, against
{web_other:.0%} of the others.

**Lost without a channel**: the same units are re-evaluated with that channel's
touches (and the compare-page views made in its sessions) removed from `s`, with
the same `u` (common random numbers). A converted unit that no longer satisfies
`u < sigmoid(s - channel part)` is lost; its value (SMB plan price or deal amount)
is revenue lost. Removing a channel never changes the other touches: journeys
are exogenous schedules, so a channel's effect is its increment, not the visits
that follow it. Channels that mostly close journeys (Paid Search - Brand,
Display - Retargeting, Direct) have small increments: last-click attribution
over-credits them. Starters (Paid Social - Meta / LinkedIn, generic search,
organic, referral) and the Webinar have large ones.

Conversion timing: an SMB unit converts in its last journey session (sign-up and
purchase events); an enterprise deal closes 0.5-2 days after the account's last
journey touch. Journeys are schedules drawn before the outcome: SMB 2-5 touches
within 14 days, enterprise contacts 7-20 touches over 30-120 days. A HubSpot deal
lists the account's contacts known before it closed, its champion first: the
contact whose journey touches added most to the account's score, drawn with odds
`exp(sum of their increments)` (readers that credit a deal to its first contact
put the deal on the champion's journey, often a webinar attendee's).

## This sample

Units: {units}; real conversions: {conversions}; revenue: {revenue:,.2f}.
{summary}
"""
