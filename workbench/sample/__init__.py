"""Deterministic synthetic sample: what a B2B SaaS company would export, plus the truth.

:func:`generate_sample` writes the folder described in ``docs/formats.md``
(GA4 BigQuery NDJSON, Google Ads, Meta, LinkedIn, HubSpot, Mailchimp, Zoom,
badge scans, and product B's Segment calls: :mod:`~workbench.sample.product_b`) and ``_truth/`` (who is behind every identifier and each
channel's causal contribution). The same ``seed`` / ``people`` /
``chunk_people`` always give byte-identical files.

Pipeline per chunk of people (bounded memory): :mod:`~workbench.sample.population`
-> :mod:`~workbench.sample.journeys` -> :mod:`~workbench.sample.causal` ->
:mod:`~workbench.sample.sessions` -> writers (``writers_*``) and
:mod:`~workbench.sample.truth`. UTM values per channel are documented in
:mod:`workbench.sample.vocab`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.sample._text import frame
from workbench.sample.causal import decide
from workbench.sample.journeys import build_journeys
from workbench.sample.lift_tests import LiftTests
from workbench.sample.population import KIOSK_SLOT, make_population
from workbench.sample.product_b import ProductBWriter, assign_product_b
from workbench.sample.sessions import build_ga4, purchase_times
from workbench.sample.truth import TruthWriter
from workbench.sample.vocab import CHANNELS
from workbench.sample.writers_ads import AdsWriter
from workbench.sample.writers_crm import CrmWriter
from workbench.sample.writers_ga4 import Ga4Writer
from workbench.sample.writers_other import OtherWriter

__all__ = ["CHANNELS", "SampleSummary", "generate_sample"]

#: Files and folders the generator owns inside ``out_dir`` (removed before writing).
_OWNED_FILES = (
    "google_ads/click_view.csv",
    "google_ads/campaign_report.csv",
    "meta/ads_manager_export.csv",
    "linkedin/campaign_performance.csv",
    "hubspot/contacts.csv",
    "hubspot/companies.csv",
    "hubspot/deals.csv",
    "hubspot/engagements.csv",
    "hubspot/activities/calls.csv",
    "hubspot/activities/meetings.csv",
    "hubspot/activities/emails.csv",
    "email/mailchimp_activity.csv",
    "webinar/registrants.csv",
    "webinar/attendees.csv",
    "offline/badge_scans.csv",
)


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate_sample` wrote.

    Attributes
    ----------
    out_dir
        Folder written.
    files
        Data rows per file (path relative to ``out_dir``; GA4 lines per day file,
        CSV rows without header, title, preamble or total lines).
    people, accounts
        People (including internal staff) and accounts generated.
    touchpoints
        Model touches: journey touches, post-conversion visits and internal visits.
    journey_touches
        Touches of SMB / enterprise journeys (those the causal model scores).
    ga4_events
        GA4 events before duplication / truncation.
    conversions, revenue
        Real (deduplicated) conversions: SMB purchases and enterprise deals won.
    platform_conversions
        Conversions each ad platform claims in its own report.
    mess
        Deliberate data problems and how many of each were written.
    """

    out_dir: Path
    files: dict[str, int]
    people: int
    accounts: int
    touchpoints: int
    journey_touches: int
    ga4_events: int
    conversions: int
    revenue: float
    platform_conversions: dict[str, float] = field(default_factory=dict)
    mess: dict[str, int] = field(default_factory=dict)

    def to_text(self) -> str:
        """Human-readable summary (for the CLI)."""
        lines = [
            f"Sample written to {self.out_dir}",
            f"  people {self.people:,}, accounts {self.accounts:,}, "
            f"touchpoints {self.touchpoints:,} ({self.journey_touches:,} in journeys), "
            f"GA4 events {self.ga4_events:,}",
            f"  real conversions {self.conversions:,} (revenue {self.revenue:,.2f}); "
            "platforms claim "
            + ", ".join(f"{k} {v:,.0f}" for k, v in self.platform_conversions.items()),
            f"  files {len(self.files)} ({sum(self.files.values()):,} rows)",
            "  deliberate mess: " + ", ".join(f"{k} {v}" for k, v in self.mess.items()),
        ]
        return "\n".join(lines)


def _clean(out: Path) -> None:
    """Remove files a previous run wrote (only the generator's own files)."""
    for rel in _OWNED_FILES:
        (out / rel).unlink(missing_ok=True)
    for pattern in (
        "ga4/events_*.ndjson",
        "segment/product_b_*.jsonl",
        "_truth/*.csv",
        "_truth/README.md",
    ):
        for path in sorted(out.glob(pattern)):
            path.unlink()


def generate_sample(
    out_dir: str | Path | None = None,
    *,
    people: int = 3000,
    seed: int = 7,
    chunk_people: int = 50_000,
    truth_touches: bool = True,
) -> SampleSummary:
    """Generate the synthetic sample exports and their ground truth.

    Parameters
    ----------
    out_dir
        Output folder (default ``data/sample`` under the project root). Files the
        generator owns are replaced; nothing else in the folder is touched.
    people
        Number of people (about 20 GA4 events and 6 model touches each; ~50k people
        give ~1M GA4 events).
    seed
        Seed of ``numpy.random.default_rng``; chunk ``i`` uses ``[seed, i]``.
    chunk_people
        People generated and written at a time (bounds memory). Changing it
        changes the sample (each chunk has its own random stream).
    truth_touches
        Also write ``_truth/touches.csv`` (one row per model touch).

    Returns
    -------
    SampleSummary
        Files and rows written, sizes, and the deliberate mess counts.
    """
    if people < 1 or chunk_people < 1:
        raise ValueError("people and chunk_people must be positive")
    if out_dir is None:
        from workbench.paths import SAMPLE_DIR

        out_dir = SAMPLE_DIR
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    (out / "ga4").mkdir(exist_ok=True)

    ga4_writer = Ga4Writer(out / "ga4")
    ads = AdsWriter(out)
    crm = CrmWriter(out)
    other = OtherWriter(out)
    product_b = ProductBWriter(out)
    truth = TruthWriter(out, touches=truth_touches)
    lifts = LiftTests(seed)
    n_accounts = 0
    n_internal = 0
    test_purchases = 0
    kiosk_people = 0
    multi_device = 0
    never_linked = 0
    for chunk in range(math.ceil(people / chunk_people)):
        rng = np.random.default_rng([seed, chunk])
        start = chunk * chunk_people
        n = min(chunk_people, people - start)
        first = chunk == 0
        pop = make_population(rng, start, n, n_internal=min(6, n // 3) if first else 0)
        out_c = decide(rng, pop, build_journeys(rng, pop), kiosk=first)
        rng_b = np.random.default_rng([seed, chunk, 5])  # product B's own stream
        assign_product_b(rng_b, pop, out_c)
        ga4 = build_ga4(rng, pop, out_c.touches)
        _exact_purchase_times(out_c, ga4)

        units = out_c.units
        conv = units[units["converted"].to_numpy()]
        conversions = frame(
            {"unit": conv["unit"].to_numpy(), "ts": conv["conv_ts"].to_numpy(),
             "value": conv["value"].to_numpy()}
        )  # fmt: skip
        ids = [
            ga4_writer.write(rng, ga4, pop.people, truncate_one=first),
            ads.add_chunk(out_c.touches, pop.devices, conversions),
            crm.add_chunk(rng, pop, out_c, ga4, mess=first),
            other.add_chunk(rng, pop, out_c),
            product_b.add_chunk(rng_b, pop, out_c),
        ]
        truth.add_chunk(pop, out_c, ga4, pd.concat(ids, ignore_index=True), crm.chunk_companies)
        lifts.add_chunk(units["converted"].to_numpy(bool), out_c.lost, units["conv_ts"].to_numpy())

        t = out_c.touches
        n_accounts += len(pop.accounts)
        n_internal += int(pop.people["is_internal"].sum())
        txn = ga4.events["transaction_id"].to_numpy().astype(str)
        test_purchases += int(np.char.startswith(txn, "TEST").sum())
        kiosk_people += int(t.loc[(t["slot"] == KIOSK_SLOT).to_numpy(), "p"].nunique())
        web = t[t["web"].to_numpy()]
        multi_device += int((web.groupby("p")["didx"].nunique() >= 2).sum())
        never_linked += _never_linked(pop, out_c, ga4)

    ads.finish(np.random.default_rng([seed, 1_000_003]))
    claimed = ads.claimed()
    mess = {
        "ga4_duplicate_lines": ga4_writer.duplicates,
        "ga4_truncated_lines": ga4_writer.truncated,
        "ga4_zero_or_negative_timestamps": ga4_writer.bad_clock,
        "ga4_cookieless_events": ga4_writer.cookieless,
        "mailchimp_duplicate_rows": other.email_duplicates,
        "mailchimp_machine_opens": other.machine_opens,
        "hubspot_contacts_without_email": crm.missing_email,
        "hubspot_unparseable_dates": crm.bad_dates,
        "hubspot_ebook_contacts_without_ga_client_id": crm.ebook_without_client_id,
        "hubspot_mirrored_web_orders": crm.mirrored_orders,
        "negative_spend_rows": ads.negative_spend_rows,
        "internal_people": n_internal,
        "internal_hubspot_contacts": crm.internal_contacts,
        "qa_test_purchases": test_purchases,
        "shared_devices": 1 if kiosk_people else 0,
        "shared_device_people": kiosk_people,
        "webinar_attendees_without_email": other.guests_without_email,
        "badge_scans_without_email": other.scans_without_email,
        "emails_with_changed_case": other.email_case_variants,
        "product_b_segment_sessions": product_b.sessions,
    }
    summary_lines = [
        f"people {people:,} ({multi_device:,} used 2+ devices; {never_linked:,} have a browser "
        f"that neither a login nor a form links), accounts {n_accounts:,}",
        f"journey touches {truth.journey_touches:,}, GA4 events {ga4_writer.events:,}",
        "platform-claimed conversions: "
        + ", ".join(f"{k} {v:,.0f}" for k, v in claimed.items())
        + f" (sum {sum(claimed.values()):,.0f} vs {truth.conversions:,} real)",
        "deliberate mess: " + ", ".join(f"{k} {v}" for k, v in mess.items()),
    ]
    truth.finish(summary_lines)
    truth.rows["experiments.csv"] = lifts.write(truth.folder)

    files = {f"ga4/{name}": n for name, n in sorted(ga4_writer.rows.items())}
    files["google_ads/click_view.csv"] = ads.click_rows
    files.update(ads.files)
    files.update({f"hubspot/{k}.csv": v for k, v in crm.rows.items()})
    files.update(
        {str(p.relative_to(out).as_posix()): other.rows[k] for k, p in other.paths.items()}
    )
    files.update({f"segment/{k}": v for k, v in sorted(product_b.rows.items())})
    files.update({f"_truth/{k}": v for k, v in truth.rows.items()})
    return SampleSummary(
        out_dir=out,
        files=dict(sorted(files.items())),
        people=people,
        accounts=n_accounts,
        touchpoints=truth.touch_count,
        journey_touches=truth.journey_touches,
        ga4_events=ga4_writer.events,
        conversions=truth.conversions,
        revenue=truth.revenue,
        platform_conversions=claimed,
        mess=mess,
    )


def _never_linked(pop, out, ga4) -> int:
    """People with 2+ consenting personal browsers, one of which no login or form links.

    A browser is linked when one of its events carries the person's ``user_id``, or
    when it is the device whose GA Client ID the person's HubSpot contact holds.
    """
    ev, dev = ga4.events, ga4.devices
    logged = np.zeros(len(dev), dtype=bool)
    logged[ev["dev"].to_numpy()[ev["user_id"].to_numpy() != ""]] = True
    pairs = ev[["dev", "pidx"]].drop_duplicates()
    d = pairs["dev"].to_numpy()
    ok = (dev["pseudo_id"].to_numpy()[d] != "") & ~dev["kiosk"].to_numpy()[d]
    d, pidx = d[ok], pairs["pidx"].to_numpy()[ok]
    row = np.searchsorted(pop.people["pidx"].to_numpy(), pidx)
    form = out.state["form_didx"].to_numpy()[row] == dev["didx"].to_numpy()[d]
    unlinked = ~(logged[d] | form)
    per = pd.DataFrame({"pidx": pidx, "unlinked": unlinked}).groupby("pidx")["unlinked"]
    return int(((per.size() >= 2) & (per.sum() >= 1)).sum())


def _exact_purchase_times(out, ga4) -> None:
    """Replace the SMB conversion times by the purchase events' timestamps."""
    when = purchase_times(ga4)
    units, state = out.units, out.state
    smb = (units["seg"] == 0).to_numpy() & units["converted"].to_numpy()
    unit = units["unit"].to_numpy()[smb]
    ts = units["conv_ts"].to_numpy().copy()
    ts[smb] = when.reindex(unit).fillna(-1).to_numpy().astype(np.int64)
    units["conv_ts"] = ts
    pidx = state["pidx"].to_numpy()
    has = np.isin(pidx, when.index.to_numpy()) & state["converted"].to_numpy()
    conv = state["conv_ts"].to_numpy().copy()
    conv[has] = when.loc[pidx[has]].to_numpy()
    state["conv_ts"] = conv
