"""Mailchimp e-mail activity, Zoom webinar reports and trade-show badge scans.

- Mailchimp activity as a warehouse sync exports it (snake_case headers
  ``email_address,campaign_name,action,timestamp,url`` and past-tense actions,
  not the Mailchimp UI spellings the reader was built on): every nurture e-mail
  touch gives a ``Delivered`` row (up to 36 h before), an ``Opened`` row (the
  touch) and, when clicked, a ``Clicked`` row with the tagged URL; monthly
  newsletters add ``Delivered`` rows to every known contact (no causal effect).
  Apple Mail Privacy Protection: the mail app of a share :data:`APPLE_MAIL_SHARE`
  of recipients pre-loads every delivered message, so each of their deliveries
  also gets a machine ``Opened`` row 1-20 minutes later (no causal effect: it is
  not a model touch). Times are naive UTC.
- Zoom: a registrant row per webinar touch and an attendee-report row
  (``Attended`` Yes / No); times naive New York in Zoom's 12-hour format.
- Badge scans: one row per trade-show touch, naive New York time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.sample._text import append_csv, clock_12h, frame, local_us, scramble, ts_text, zpad
from workbench.sample.causal import Outcomes
from workbench.sample.journeys import MIN, SEC
from workbench.sample.population import Population
from workbench.sample.vocab import (
    EMAIL_CAMPAIGNS,
    NEWSLETTERS,
    PORTAL_TZ,
    SITE,
    TRADE_SHOWS,
    WEBINAR_TOPICS,
    channel_code,
)

__all__ = ["APPLE_MAIL_SHARE", "OtherWriter", "webinar_ids"]

#: Share of people whose mail app pre-loads messages (Apple Mail Privacy Protection).
APPLE_MAIL_SHARE = 0.45

_EMAIL, _WEBINAR, _EVENTS = channel_code("Email"), channel_code("Webinar"), channel_code("Events")
_MAILCHIMP = ["email_address", "campaign_name", "action", "timestamp", "url"]
#: Action spellings written (sent, open, click in the Mailchimp UI export).
_ACTIONS = {"sent": "Delivered", "open": "Opened", "click": "Clicked"}
_REGISTRANTS = [
    "Webinar ID",
    "Topic",
    "First Name",
    "Last Name",
    "Email",
    "Registration Time",
    "Approval Status",
]
_ATTENDEES = [
    "Webinar ID",
    "Topic",
    "User Name (Original Name)",
    "Email",
    "Join Time",
    "Leave Time",
    "Time in Session (minutes)",
    "Attended",
]
_BADGES = [
    "Event Name",
    "Scan Time",
    "Badge ID",
    "First Name",
    "Last Name",
    "Email",
    "Company",
    "Job Title",
]


def webinar_ids(slot: np.ndarray) -> np.ndarray:
    """11-digit Zoom webinar ids of the weekly webinar slots."""
    return np.char.add("8", zpad(scramble(slot, 33, salt=77) % 10_000_000_000, 10))


def _title_case(emails: np.ndarray) -> np.ndarray:
    """``Maria.Garcia12@Bluepeak-Logistics.Example``: how some people type their e-mail."""
    return np.char.title(np.asarray(emails, dtype=str))


class OtherWriter:
    """Append Mailchimp, Zoom and badge-scan rows chunk by chunk."""

    def __init__(self, root: Path) -> None:
        self.paths = {
            "mailchimp": root / "email" / "mailchimp_activity.csv",
            "registrants": root / "webinar" / "registrants.csv",
            "attendees": root / "webinar" / "attendees.csv",
            "badges": root / "offline" / "badge_scans.csv",
        }
        self.rows = dict.fromkeys(self.paths, 0)
        self.email_duplicates = 0
        self.guests_without_email = 0
        self.scans_without_email = 0
        self.email_case_variants = 0
        self.machine_opens = 0
        for key, cols in (
            ("mailchimp", _MAILCHIMP),
            ("registrants", _REGISTRANTS),
            ("attendees", _ATTENDEES),
            ("badges", _BADGES),
        ):
            self.paths[key].parent.mkdir(parents=True, exist_ok=True)
            append_csv(self.paths[key], pd.DataFrame(columns=cols), header=True)

    def _append(self, key: str, frame: pd.DataFrame) -> None:
        self.rows[key] += append_csv(self.paths[key], frame, header=False)

    def add_chunk(self, rng: np.random.Generator, pop: Population, out: Outcomes) -> pd.DataFrame:
        """Write one chunk's rows; returns the identifiers (raw e-mails) written."""
        ids = [
            self._mailchimp(rng, pop, out),
            self._zoom(rng, pop, out),
            self._badges(rng, pop, out),
        ]
        return pd.concat(ids, ignore_index=True)

    def _mailchimp(self, rng: np.random.Generator, pop: Population, out: Outcomes) -> pd.DataFrame:
        people, t = pop.people, out.touches
        e = t[((t["ch"] == _EMAIL) & (t["phase"] == 0)).to_numpy()]
        email = people["email"].to_numpy()[e["p"].to_numpy()]
        ec = e["email_campaign"].to_numpy()
        titles = np.array([c.title for c in EMAIL_CAMPAIGNS], dtype=object)[ec]
        urls = np.array(
            [
                f"{SITE}{c.path}?utm_source=mailchimp&utm_medium=email&utm_campaign={c.slug}"
                for c in EMAIL_CAMPAIGNS
            ],
            dtype=object,
        )[ec]
        clicked = e["web"].to_numpy()
        parts = [
            (email, titles, "sent", e["sent_ts"].to_numpy(), "", 0),
            (email, titles, "open", e["ts"].to_numpy(), "", 1),
            (email[clicked], titles[clicked], "click", e["session_ts"].to_numpy()[clicked],
             urls[clicked], 2),
        ]  # fmt: skip
        st = out.state
        reach = st["known"].to_numpy() & st["email_known"].to_numpy()
        for title, when in NEWSLETTERS:
            send = int(np.datetime64(when, "us").astype(np.int64))
            to = reach & (st["known_ts"].to_numpy() < send)
            parts.append(
                (people["email"].to_numpy()[to], title, "sent", np.full(to.sum(), send), "", 0)
            )
        frames = [
            frame(
                {"email": a, "title": b, "action": c, "ts": np.asarray(d, dtype=np.int64),
                 "url": u, "order": o}
            )
            for a, b, c, d, u, o in parts
        ]  # fmt: skip
        df = pd.concat(frames, ignore_index=True)
        df = pd.concat([df, self._machine_opens(rng, people, df)], ignore_index=True)
        df = df.sort_values(["ts", "email", "order"], kind="stable", ignore_index=True)
        dup = rng.random(len(df)) < 0.01
        df = df.iloc[np.repeat(np.arange(len(df)), 1 + dup)]
        self.email_duplicates += int(dup.sum())
        table = frame(
            {
                "email_address": df["email"].to_numpy(),
                "campaign_name": df["title"].to_numpy(),
                "action": df["action"].map(_ACTIONS).to_numpy(),
                "timestamp": ts_text(df["ts"].to_numpy(), unit="s"),
                "url": df["url"].to_numpy(),
            }
        )
        self._append("mailchimp", table)
        pidx = people.set_index("email")["pidx"]
        emails = np.unique(df["email"].to_numpy().astype(str))
        return frame({"id_type": "email", "id_value": emails, "pidx": pidx.loc[emails].to_numpy()})

    def _machine_opens(
        self, rng: np.random.Generator, people: pd.DataFrame, df: pd.DataFrame
    ) -> pd.DataFrame:
        """An ``open`` 1-20 minutes after each delivery to an Apple Mail user (MPP)."""
        apple = pd.Series(rng.random(len(people)) < APPLE_MAIL_SHARE, index=people["email"])
        sent = df[(df["action"] == "sent").to_numpy()]
        sent = sent[apple.reindex(sent["email"]).fillna(False).to_numpy(bool)]
        delay = (rng.uniform(1.0, 20.0, len(sent)) * MIN).astype(np.int64)
        self.machine_opens += len(sent)
        return sent.assign(action="open", ts=sent["ts"].to_numpy() + delay, url="", order=1)

    def _zoom(self, rng: np.random.Generator, pop: Population, out: Outcomes) -> pd.DataFrame:
        people, t = pop.people, out.touches
        w = t[((t["ch"] == _WEBINAR) & (t["phase"] == 0)).to_numpy()]
        p = w["p"].to_numpy()
        slot = w["webinar"].to_numpy().astype(np.int64)
        wid = webinar_ids(slot)
        topic = np.array(WEBINAR_TOPICS)[slot % len(WEBINAR_TOPICS)]
        email = people["email"].to_numpy()[p]
        variant = rng.random(len(w)) < 0.1
        typed = np.where(variant, _title_case(email), email)
        self.email_case_variants += int(variant.sum())
        first = people["first"].to_numpy()[p].astype(str)
        last = people["last"].to_numpy()[p].astype(str)
        reg = frame(
            {
                "Webinar ID": wid,
                "Topic": topic,
                "First Name": first,
                "Last Name": last,
                "Email": typed,
                "Registration Time": clock_12h(local_us(w["reg_ts"].to_numpy(), PORTAL_TZ)),
                "Approval Status": "approved",
            }
        )
        order = np.lexsort((w["reg_ts"].to_numpy(), slot))
        self._append("registrants", reg.iloc[order])

        attended = w["sub"].to_numpy() == 0
        join = w["ts"].to_numpy()
        minutes = rng.integers(12, 62, len(w))
        leave = join + minutes * MIN + rng.integers(0, 60, len(w)) * SEC
        guest = attended & (rng.random(len(w)) < 0.03)
        self.guests_without_email += int(guest.sum())
        local_join = clock_12h(local_us(join, PORTAL_TZ))
        local_leave = clock_12h(local_us(leave, PORTAL_TZ))
        att = frame(
            {
                "Webinar ID": wid,
                "Topic": topic,
                "User Name (Original Name)": np.char.add(np.char.add(first, " "), last),
                "Email": np.where(guest, "", typed),
                "Join Time": np.where(attended, local_join, ""),
                "Leave Time": np.where(attended, local_leave, ""),
                "Time in Session (minutes)": np.where(attended, minutes, 0),
                "Attended": np.where(attended, "Yes", "No"),
            }
        )
        order = np.lexsort((join, slot))
        self._append("attendees", att.iloc[order])
        return frame({"id_type": "email", "id_value": typed, "pidx": people["pidx"].to_numpy()[p]})

    def _badges(self, rng: np.random.Generator, pop: Population, out: Outcomes) -> pd.DataFrame:
        people, t = pop.people, out.touches
        b = t[((t["ch"] == _EVENTS) & (t["phase"] == 0)).to_numpy()]
        p = b["p"].to_numpy()
        show = b["show"].to_numpy().astype(np.int64)
        email = people["email"].to_numpy()[p]
        draw = rng.random(len(b))
        missing = draw < 0.12
        upper = (draw >= 0.12) & (draw < 0.2)
        typed = np.where(missing, "", np.where(upper, np.char.upper(email.astype(str)), email))
        self.scans_without_email += int(missing.sum())
        self.email_case_variants += int(upper.sum())
        prefix = np.array([x for _, _, x in TRADE_SHOWS])[show]
        table = frame(
            {
                "Event Name": np.array([x for x, _, _ in TRADE_SHOWS])[show],
                "Scan Time": ts_text(local_us(b["ts"].to_numpy(), PORTAL_TZ), unit="s"),
                "Badge ID": np.char.add(
                    np.char.add(prefix, "-"), zpad(people["pidx"].to_numpy()[p] + 1, 7)
                ),
                "First Name": people["first"].to_numpy()[p],
                "Last Name": people["last"].to_numpy()[p],
                "Email": typed,
                "Company": people["company"].to_numpy()[p],
                "Job Title": people["job_title"].to_numpy()[p],
            }
        )
        order = np.lexsort((b["ts"].to_numpy(), show))
        self._append("badges", table.iloc[order])
        keep = typed != ""
        return frame(
            {
                "id_type": "email",
                "id_value": typed[keep],
                "pidx": people["pidx"].to_numpy()[p][keep],
            }
        )
