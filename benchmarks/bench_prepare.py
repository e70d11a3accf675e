"""Benchmark ``prepare`` stage by stage against a connected-components baseline.

Synthesizes canonical touchpoints, conversions and identity links in memory
(seeded ``numpy.random.default_rng``), per source as the readers return them
(``ReadResult.build`` conforms each table), with a realistic identifier
structure:

* about ``rows / 25`` people with 1-4 browsers each (GA4 ``anonymous_id``);
  40% log in (``user_id`` on a third of their GA4 rows), 35% have a hashed
  e-mail (e-mail, webinar and sales touches), 12% a CRM contact and account;
* GA4 sessions and page views (62% of rows) with click ids on the landing
  session (``gclid``, ``fbclid``, ``li_fat_id``, ``msclkid``) and 13
  source / medium / campaign mixes that the bundled ``workbench.toml``
  channel rules and GA4's default channel group turn into 14 channels
  (17 with the channels the e-mail, webinar, sales and event sources set);
  Google Ads clicks (unique ``gclid``), e-mail activity, webinar
  registrations, sales calls (``crm_contact_id``) and trade-show scans;
* conversions (GA4 leads, sign-ups and purchases; CRM deals with accounts),
  identity links (logins, session click ids, CRM contact records);
* noise: 0.2% of browsers are shared kiosks on which several users log in,
  0.3% of user ids are placeholders (``"null"``, ``"guest"``), 0.1% of rows
  have no timestamp and 0.05% no identifier (both quarantined).

Then it times each stage exactly as :func:`workbench.prepare.prepare` runs
it, with the bundled ``workbench.toml`` settings:

1. ``quarantine_mask`` of every table of every source (the rows to keep),
2. concat, the quarantined rows dropped once (column by column, releasing the
   input as it goes) and ``conform`` of the touchpoints, conversions and links,
3. ``assign_channels`` (user rules, then GA4's default channel group),
4. ``stitch`` (identity graph, people, identities, diagnostics),
5. ``build_journeys`` with the ``[journeys]`` settings (not part of
   ``prepare``; the next thing every analysis runs),

and, on the same concatenated rows, the **baseline**: the leanest known people
step, :func:`bench_stitching.lean_people` (the one ``bench_stitching`` and
``bench_e2e`` time: integer identifier codes -- 64-bit hashes of the Arrow strings
for millions of dense values, Arrow dictionary codes otherwise -- row and link
edges, ``scipy.sparse.csgraph.connected_components``; no cleaning, limits or
ids). Target (issue 16): ``stitch`` within 1.5x of the baseline. (Until
2026-12-03 this benchmark had its own, slower baseline that factorized each
column with pandas, and a 3x target.)

With ``--read``, ``workbench.sample.generate_sample`` writes a sample of
``--read-people`` people (50,000 give about 1M GA4 events) and the stages
start with ``read_source`` of every configured source (the GA4 reader timed
on its own), so the run covers reading + prepare end to end.

Peak memory of a stage is the peak resident size during the stage minus the
resident size when it started: before each stage freed memory is handed back
to the OS (``gc``, Arrow's pool ``release_unused``, glibc ``malloc_trim``) so
the start is the live data, and the kernel's high-water mark (``VmHWM``) is
reset by writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0; cheap,
unlike ``tracemalloc``, and it sees Arrow and numpy buffers). Where that is
not possible the column shows the growth of ``ru_maxrss``, which only counts
a stage that sets a new peak.

The memory target of issue 16 ("10M canonical touchpoints prepared with peak
memory <= 1.5x the Arrow size of the input") is the **whole** prepare, input
included: the headline ``peak_over_input`` is the largest resident size of any
of prepare's stages (quarantine, concat + filter + conform, channels, stitch; the
baseline and journeys are extra) minus the resident size of the interpreter
before the data was synthesized, over the input's Arrow size
(:func:`input_arrow_mb`). The largest growth of a single stage is printed too,
but it leaves out what the stage holds on entry.

Last measured (2026-12-03, main at cbee54f, ``--rows 10000000``, load average
2-4.5 from other jobs; memory does not depend on load): input 3,118 MB as Arrow,
peak resident memory of prepare 4,312 MB = **1.38x** the input's Arrow size (target
1.5, met); at ``--rows 1000000`` 504 MB = 1.62x of 311 MB (the fixed cost of the
libraries' pools weighs more on a small input; the target is set at 10M).
Stitching against the lean people step at 1M: 2.19x (load ~4).

Results go to ``benchmarks/results/bench_prepare.json`` (git-ignored). Usage::

    .venv/bin/python benchmarks/bench_prepare.py --rows 1000000 10000000
    .venv/bin/python benchmarks/bench_prepare.py --rows 0 --read
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from _common import (
    ROOT,
    machine_facts,
    measure_peak_rss,
    peak_rss_bytes,
    release_memory,
    results_path,
    rss_bytes,
    write_result,
)
from bench_stitching import lean_people

from workbench.config import Config, load_config
from workbench.identity.stitch import stitch
from workbench.ingest.channels import assign_channels
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers import read_source
from workbench.ingest.readers.base import ReadResult
from workbench.ingest.validation import quarantine_mask
from workbench.journeys.build import journeys_from_config
from workbench.prepare import _concat
from workbench.schema import (
    CHANNEL,
    CONVERSIONS,
    IDENTITY_LINKS,
    SPEND,
    TOUCHPOINTS,
)

T0 = pd.Timestamp("2026-01-01", tz="UTC").value // 1000  # microseconds
YEAR_US = 365 * 86_400 * 1_000_000

#: GA4 traffic (source, medium, campaign, share); missing campaign = None. With the
#: bundled rules these give Display - Retargeting, Paid Search - Brand / Generic,
#: Paid Social - Meta / LinkedIn and GA4's Organic Search, Direct, Referral,
#: Organic Social, Email, Paid Search, Display and Affiliates.
TRAFFIC: tuple[tuple[str, str, str | None, float], ...] = (
    ("google", "organic", None, 0.22),
    ("(direct)", "(none)", None, 0.18),
    ("google", "cpc", "brand_search_2026", 0.08),
    ("google", "cpc", "generic_crm_software", 0.10),
    ("google", "display", "retargeting_q2", 0.04),
    ("facebook", "paid_social", "spring_promo", 0.06),
    ("linkedin", "paid_social", "abm_enterprise", 0.05),
    ("bing", "cpc", "bing_generic", 0.03),
    ("partner-blog.com", "referral", None, 0.06),
    ("linkedin.com", "social", None, 0.05),
    ("newsletter", "email", "monthly_digest", 0.07),
    ("criteo", "display", "prospecting", 0.03),
    ("impact", "affiliate", "partner_program", 0.03),
)
PAGES = ("/", "/pricing", "/product", "/blog/attribution-101", "/compare/x-vs-y", "/demo-request")
CLICKS = (("gclid", "Cj0KCQ", 0.10), ("fbclid", "IwAR", 0.04), ("li_fat_id", "li", 0.02))
CLICKS += (("msclkid", "ms", 0.01),)


def _ids(prefix: str, numbers: np.ndarray, present: np.ndarray | None = None) -> pd.Series:
    """``prefix + number`` strings built in Arrow (missing where not ``present``)."""
    text = pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")
    if present is not None:
        text = pc.if_else(pa.array(present), text, pa.nulls(len(text), pa.string()))
    return pd.Series(pd.arrays.ArrowStringArray(text))


def _pick(values: tuple, codes: np.ndarray) -> pd.Series:
    """``values[codes]`` as a string Series (None -> missing), built in Arrow."""
    return pd.Series(
        pd.arrays.ArrowStringArray(pc.take(pa.array(list(values), pa.string()), codes))
    )


def _ts(us: np.ndarray) -> pd.Series:
    return pd.Series(us.astype("datetime64[us]")).dt.tz_localize("UTC")


def _touches(rng: np.random.Generator, kind: str, n: int, file: str, **cols: Any) -> pd.DataFrame:
    """A touchpoint frame of ``n`` rows over a year, with provenance columns."""
    return pd.DataFrame(
        {
            "ts": _ts(T0 + rng.integers(0, YEAR_US, n)),
            "touch_type": pd.Series(kind, index=range(n), dtype="string"),
            **cols,
            "source_file": pd.Series(file, index=range(n), dtype="string"),
            "source_row": np.arange(1, n + 1),
        }
    )


def synthesize(n_rows: int, seed: int = 7) -> dict[str, ReadResult]:
    """Canonical tables per source, as the readers would return them (see the module doc)."""
    rng = np.random.default_rng(seed)
    n_people = max(n_rows // 25, 10)
    devices_per = rng.geometric(0.6, n_people).clip(1, 4)
    first_device = np.concatenate([[0], np.cumsum(devices_per)[:-1]])
    n_devices = int(devices_per.sum())
    logged = rng.random(n_people) < 0.4
    has_email = rng.random(n_people) < 0.35
    has_crm = has_email & (rng.random(n_people) < 0.35)
    account = rng.integers(0, max(n_people // 20, 1), n_people)
    kiosks = rng.integers(0, n_devices, max(n_devices // 500, 1))
    shares = {"ga4": 0.62, "ads": 0.08, "email": 0.17, "webinar": 0.06, "sales": 0.04}
    counts = {k: int(n_rows * v) for k, v in shares.items()}
    counts["offline"] = n_rows - sum(counts.values())
    out: dict[str, dict[str, pd.DataFrame]] = {}

    # GA4: sessions (40%) and page views of browsers; click ids on landing sessions
    n = counts["ga4"]
    person = rng.integers(0, n_people, n)
    device = first_device[person] + rng.integers(0, 1 << 30, n) % devices_per[person]
    user_on = logged[person] & (rng.random(n) < 0.33)
    on_kiosk = user_on & (rng.random(n) < 0.01)
    device = np.where(on_kiosk, kiosks[rng.integers(0, len(kiosks), n)], device)
    session = rng.random(n) < 0.4
    shares_ = np.array([t[3] for t in TRAFFIC])
    traffic = rng.choice(len(TRAFFIC), n, p=shares_ / shares_.sum())
    user = _ids("u", person, user_on)
    placeholder = user_on & (rng.random(n) < 0.003)
    user = user.mask(pd.Series(placeholder & (rng.random(n) < 0.5)), "null")
    user = user.mask(pd.Series(placeholder), "guest")
    anon = _ids("GA1.1.", device * 7919 + 1_000_000_007)
    tp = _touches(
        rng,
        "session",
        n,
        "events.ndjson",
        traffic_source=_pick(tuple(t[0] for t in TRAFFIC), traffic),
        traffic_medium=_pick(tuple(t[1] for t in TRAFFIC), traffic),
        campaign=_pick(tuple(t[2] for t in TRAFFIC), traffic),
        session_id=_ids(f"s{seed}-", rng.integers(0, n // 3 + 1, n)),
        page=_pick(PAGES, rng.integers(0, len(PAGES), n)),
        event_name=_pick(("session_start", "page_view"), (~session).astype(np.int8)),
        device_category=_pick(("desktop", "mobile", "tablet"), device % 3),
        anonymous_id=anon,
        user_id=user,
    )
    tp["touch_type"] = _pick(("session", "pageview"), (~session).astype(np.int8)).astype("string")
    start = 0
    for click, prefix, share in CLICKS:
        has = session & (rng.random(n) < share)
        tp[click] = _ids(prefix, np.arange(start, start + n), has)
        start += n
    tp.loc[rng.random(n) < 0.001, "ts"] = pd.NaT  # unparseable timestamps
    tp.loc[rng.random(n) < 0.0005, ["anonymous_id", "user_id"]] = pd.NA  # no identifier
    n_conv = max(n // 60, 1)
    rows = rng.choice(n, n_conv, replace=False)
    cv = pd.DataFrame(
        {
            "ts": tp["ts"].iloc[rows].to_numpy(),
            "conversion_type": _pick(("lead", "signup", "purchase"), rng.integers(0, 3, n_conv)),
            "value": rng.gamma(2.0, 80.0, n_conv),
            "currency": "USD",
            "conversion_id": _ids("T-", np.arange(n_conv)),
            "anonymous_id": anon.iloc[rows].to_numpy(),
            "user_id": user.iloc[rows].to_numpy(),
            "source_file": "events.ndjson",
            "source_row": rows + 1,
        }
    )
    link_rows = np.flatnonzero(user_on & ~placeholder)
    _, first = np.unique(device[link_rows], return_index=True)
    link_rows = link_rows[first]  # one login link per browser (its first observation)
    parts = [
        pd.DataFrame(
            {
                "ts": tp["ts"].iloc[link_rows].to_numpy(),
                "id_type_a": "anonymous_id",
                "id_value_a": anon.iloc[link_rows].to_numpy(),
                "id_type_b": "user_id",
                "id_value_b": user.iloc[link_rows].to_numpy(),
                "link_type": "login",
            }
        )
    ]
    for click, _, _ in CLICKS:
        with_click = np.flatnonzero(tp[click].notna().to_numpy())
        parts.append(
            pd.DataFrame(
                {
                    "ts": tp["ts"].iloc[with_click].to_numpy(),
                    "id_type_a": "anonymous_id",
                    "id_value_a": anon.iloc[with_click].to_numpy(),
                    "id_type_b": click,
                    "id_value_b": tp[click].iloc[with_click].to_numpy(),
                    "link_type": "event",
                }
            )
        )
    out["ga4"] = {
        "touchpoints": tp.assign(source="ga4"),
        "conversions": cv.assign(source="ga4"),
        "identity_links": pd.concat(parts, ignore_index=True).assign(source="ga4"),
    }

    # Google Ads click log: the gclids of paid-search sessions, plus clicks without a visit
    gclids = tp["gclid"].dropna()
    n = counts["ads"]
    take = rng.choice(len(gclids), min(n, len(gclids)), replace=False)
    gclid = pd.concat(
        [gclids.iloc[take], _ids("Cj0KEA", np.arange(n - len(take)))], ignore_index=True
    )
    out["google_ads_clicks"] = {
        "touchpoints": _touches(
            rng,
            "ad_click",
            n,
            "click_view.csv",
            platform="google_ads",
            campaign=_pick(("brand_search_2026", "generic_crm_software"), rng.integers(0, 2, n)),
            traffic_source="google",
            traffic_medium="cpc",
            gclid=gclid,
        ).assign(source="google_ads_clicks")
    }

    # e-mail, webinar, sales and trade-show touches of people with an e-mail
    emailers = np.flatnonzero(has_email)
    for name, kinds, channel, plat in (
        ("email", ("email_open", "email_click"), "Email", "mailchimp"),
        ("webinar", ("webinar_registration", "webinar_attendance"), "Webinar", "zoom"),
        ("sales", ("sales_call", "meeting"), "Sales", "hubspot"),
        ("offline", ("offline_event",), "Events", "trade_show"),
    ):
        n = counts[name]
        person = emailers[rng.integers(0, len(emailers), n)]
        frame = _touches(
            rng,
            kinds[0],
            n,
            f"{name}.csv",
            channel=channel,
            platform=plat,
            campaign=_pick(("launch", "nurture", "webinar_q2", "summit"), person % 4),
            email=_ids("h", person),
        )
        frame["touch_type"] = _pick(kinds, rng.integers(0, len(kinds), n)).astype("string")
        if name == "sales":
            frame["crm_contact_id"] = _ids("c", person, has_crm[person])
        out[name] = {"touchpoints": frame.assign(source=name)}

    # CRM: deals and contact records
    crm = np.flatnonzero(has_crm)
    n_deals = max(len(crm) // 4, 1)
    won = crm[rng.integers(0, len(crm), n_deals)] if len(crm) else np.zeros(n_deals, np.int64)
    deals = pd.DataFrame(
        {
            "ts": _ts(T0 + rng.integers(0, YEAR_US, n_deals)),
            "conversion_type": _pick(("opportunity", "deal_won"), rng.integers(0, 2, n_deals)),
            "value": rng.gamma(2.0, 6000.0, n_deals),
            "currency": "USD",
            "conversion_id": _ids("D-", np.arange(n_deals)),
            "crm_contact_id": _ids("c", won),
            "crm_account_id": _ids("acc", account[won]),
            "source_file": "deals.csv",
            "source_row": np.arange(1, n_deals + 1),
        }
    )
    with_user = np.flatnonzero(has_email & logged)
    a_type = (
        ["email"] * len(emailers) + ["user_id"] * len(with_user) + ["crm_contact_id"] * len(crm)
    )
    b_type = ["crm_contact_id"] * len(emailers) + ["email"] * len(with_user)
    b_type += ["crm_account_id"] * len(crm)
    links = pd.DataFrame(
        {
            "ts": pd.NaT,
            "id_type_a": pd.array(a_type, dtype="string"),
            "id_value_a": pd.concat(
                [_ids("h", emailers), _ids("u", with_user), _ids("c", crm)], ignore_index=True
            ),
            "id_type_b": pd.array(b_type, dtype="string"),
            "id_value_b": pd.concat(
                [
                    _ids("c", emailers, has_crm[emailers]),
                    _ids("h", with_user),
                    _ids("acc", account[crm]),
                ],
                ignore_index=True,
            ),
            "link_type": "crm_record",
        }
    )
    out["hubspot"] = {
        "conversions": deals.assign(source="hubspot_deals"),
        "identity_links": links.assign(source="hubspot_contacts"),
    }
    return {name: ReadResult.build(**tables) for name, tables in out.items()}


def run_stages(
    results: dict[str, ReadResult], config: Config, stages: list[dict[str, Any]]
) -> dict[str, Any]:
    """Time prepare's stages on ``results`` (per source), appending to ``stages``."""

    def add(name: str, secs: float, mb: float, rows: int) -> None:
        stages.append({"stage": name, "seconds": round(secs, 3), "peak_extra_mb": round(mb, 1)})
        stages[-1]["rows"] = rows
        # the stage's peak resident size, everything held included (the high-water
        # mark was reset at the stage's start; MiB like the other peaks)
        stages[-1]["peak_rss_mb"] = round(peak_rss_bytes() / 2**20, 1)
        print(f"  {name:<28} {secs:8.2f} s  {mb:9.0f} MB  {rows:>12,} rows", flush=True)

    quarantine = Quarantine()
    parts: dict[str, list[tuple[pd.DataFrame, np.ndarray]]] = {
        k: [] for k in ("tp", "cv", "ln", "sp")
    }

    def validate() -> None:
        for name, result in results.items():
            for key, table in (
                ("tp", TOUCHPOINTS),
                ("cv", CONVERSIONS),
                ("ln", IDENTITY_LINKS),
                ("sp", SPEND),
            ):
                frame = getattr(result, table.name)
                if len(frame):  # as prepare: rows are dropped once, at the concatenation
                    keep = quarantine_mask(frame, table, quarantine, source=name)
                    parts[key].append((frame, keep))

    n_in = sum(
        len(r.touchpoints) + len(r.conversions) + len(r.identity_links) for r in results.values()
    )
    secs, mb, _ = measure_peak_rss(validate)
    add("quarantine_mask", secs, mb, n_in)
    results.clear()  # prepare holds a source's tables only until they are concatenated

    def concat() -> tuple[pd.DataFrame, ...]:
        return tuple(
            _concat(parts.pop(k), t)
            for k, t in (("tp", TOUCHPOINTS), ("cv", CONVERSIONS), ("ln", IDENTITY_LINKS))
        )

    secs, mb, (tp, cv, ln) = measure_peak_rss(concat)
    add("concat + filter + conform", secs, mb, len(tp) + len(cv) + len(ln))
    secs, mb, tp = measure_peak_rss(lambda: assign_channels(tp, config.channel_rules))
    add("assign_channels", secs, mb, len(tp))
    channels = int(tp[CHANNEL].nunique())
    data = {"touchpoints": tp, "conversions": cv, "links": ln}
    secs, mb, components = measure_peak_rss(lambda: lean_people(data)[2])
    add("baseline (lean people step)", secs, mb, len(tp) + len(cv) + len(ln))
    base_s = secs
    secs, mb, stitched = measure_peak_rss(lambda: stitch(tp, cv, ln, config.identity))
    add("stitch", secs, mb, len(tp) + len(cv) + len(ln))
    stitch_s = secs
    people = len(stitched.people)
    secs, mb, js = measure_peak_rss(
        lambda: journeys_from_config(stitched.touchpoints, stitched.conversions, config.journeys)
    )
    add("build_journeys (extra)", secs, mb, len(tp))
    return {
        "touchpoints": len(tp),
        "conversions": len(cv),
        "prepare_quarantined": len(quarantine),
        "channels": channels,
        "people": people,
        "baseline_components": components,
        "journeys": len(js.journeys),
        "stitch_over_baseline": round(stitch_s / base_s, 2),
    }


def input_arrow_mb(results: dict[str, ReadResult]) -> float:
    """Size of every canonical table of ``results`` as Arrow buffers (MiB, like the peaks)."""
    total = 0
    for result in results.values():
        for name in ("touchpoints", "conversions", "identity_links", "spend"):
            frame = getattr(result, name)
            if len(frame):
                total += pa.Table.from_pandas(frame, preserve_index=False).nbytes
    return total / 2**20


def run_read(config: Config, people: int, seed: int, stages: list[dict[str, Any]]) -> dict:
    """Generate the sample, time ``read_source`` of each source, then prepare's stages."""
    from workbench.sample import generate_sample

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        generate_sample(Path(tmp), people=people, seed=seed, truth_touches=False)
        print(f"  sample of {people:,} people written in {time.perf_counter() - t0:.1f} s")
        sources = [dataclasses.replace(s, base_dir=Path(tmp)) for s in config.sources if s.enabled]
        results: dict[str, ReadResult] = {}
        ga4 = [s for s in sources if s.format == "ga4"]
        others = [s for s in sources if s.format != "ga4"]
        for label, group in (("read_source ga4", ga4), ("read_source other sources", others)):
            secs, mb, out = measure_peak_rss(lambda g=group: {s.name: read_source(s) for s in g})
            results.update(out)
            rows = sum(int(f.get("rows", 0)) for r in out.values() for f in r.files)
            stages.append(
                {"stage": label, "seconds": round(secs, 3), "peak_extra_mb": round(mb, 1)}
            )
            stages[-1]["rows"] = rows
            print(f"  {label:<28} {secs:8.2f} s  {mb:9.0f} MB  {rows:>12,} rows", flush=True)
        return run_stages(results, config, stages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--read", action="store_true", help="also read a generated sample")
    parser.add_argument("--read-people", type=int, default=50_000)
    args = parser.parse_args(argv)
    config = load_config(ROOT / "workbench.toml")
    runs = []
    for n in [r for r in args.rows if r > 0]:
        print(f"{n:,} synthetic canonical touchpoints", flush=True)
        release_memory()
        empty_mb = rss_bytes() / 2**20  # the interpreter and its imports, before any data
        t0 = time.perf_counter()
        data = synthesize(n, args.seed)
        arrow_mb = input_arrow_mb(data)
        print(
            f"  synthesized in {time.perf_counter() - t0:.1f} s; input {arrow_mb:,.0f} MB as Arrow",
            flush=True,
        )
        stages: list[dict[str, Any]] = []
        summary = run_stages(data, config, stages)
        prep = [s for s in stages if s["stage"] in _PREPARE_STAGES]
        total = sum(s["seconds"] for s in prep)
        growth = max(s["peak_extra_mb"] for s in prep)
        whole = max(s["peak_rss_mb"] for s in prep) - empty_mb
        print(
            f"  prepare stages total {total:.2f} s; stitch = {summary['stitch_over_baseline']:.2f}"
            f" x baseline (target 1.5); peak resident memory of prepare, input included "
            f"(interpreter's {empty_mb:,.0f} MB before the data excluded): {whole:,.0f} MB = "
            f"{whole / arrow_mb:.2f} x the input's Arrow size (target 1.5); largest growth "
            f"of one stage {growth:,.0f} MB = {growth / arrow_mb:.2f} x; {summary}",
            flush=True,
        )
        runs.append(
            {"mode": "synthetic", "rows": n, "prepare_seconds": round(total, 2), **summary}
            | {"input_arrow_mb": round(arrow_mb, 1), "interpreter_mb": round(empty_mb, 1)}
            | {"prepare_peak_mb": round(whole, 1), "peak_over_input": round(whole / arrow_mb, 2)}
            | {"largest_stage_growth_over_input": round(growth / arrow_mb, 2)}
            | {"stages": stages}
        )
        del data
        gc.collect()
    if args.read:
        print(f"--read: sample of {args.read_people:,} people", flush=True)
        stages = []
        summary = run_read(config, args.read_people, args.seed, stages)
        total = sum(
            s["seconds"] for s in stages if s["stage"] in _PREPARE_STAGES or "read" in s["stage"]
        )
        print(f"  read + prepare total {total:.2f} s; {summary}", flush=True)
        runs.append({"mode": "read", "people": args.read_people, "prepare_seconds": total})
        runs[-1] |= summary | {"stages": stages}
    out = {
        "benchmark": "prepare",
        **machine_facts("pandas", "pyarrow"),
        "memory": (
            "peak_over_input: peak resident size during prepare's stages (input included, "
            "the interpreter before the data excluded) over the input's Arrow size; per stage "
            "peak_extra_mb: peak during the stage minus resident size at its start"
        ),
        "runs": runs,
    }
    path = write_result(out, results_path("bench_prepare.json"), default=str)
    print(f"wrote {path}")
    return 0


#: The stages that make up ``prepare`` (the baseline and journeys are extra).
_PREPARE_STAGES = ("quarantine_mask", "concat + filter + conform", "assign_channels", "stitch")

if __name__ == "__main__":
    raise SystemExit(main())
