"""Segment sessions: page/track calls sessionized per anonymousId into ``session`` touches."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from workbench.config import SourceConfig
from workbench.identity.stitch import stitch
from workbench.ingest.channels import assign_channels
from workbench.ingest.readers import read_source
from workbench.journeys.build import build_journeys

SITE = "https://ex.com"


def _page(anon: str, hhmm: str, url: str, referrer: str | None = None, **extra: object) -> dict:
    page: dict[str, object] = {"url": url}
    if referrer:
        page["referrer"] = referrer
    return {
        "type": "page",
        "anonymousId": anon,
        "timestamp": f"2026-11-02T{hhmm}:00Z",
        "context": {"page": page, **extra},
    }


CALLS = [
    # a1 -- session 1: arrives from a newsletter (UTM tags)
    _page("a1", "10:00", f"{SITE}/?utm_source=newsletter&utm_medium=email&utm_campaign=nov"),
    _page("a1", "10:10", f"{SITE}/pricing", referrer=f"{SITE}/"),  # internal referrer
    # session 2: 40 minutes of inactivity
    _page("a1", "10:50", f"{SITE}/blog"),
    # session 3: a new campaign 5 minutes later; the reload with the same tags stays in it
    _page("a1", "10:55", f"{SITE}/?utm_source=linkedin&utm_medium=paid_social&utm_campaign=abm"),
    _page("a1", "10:56", f"{SITE}/?utm_source=linkedin&utm_medium=paid_social&utm_campaign=abm"),
    # session 4: back from a search engine (external referrer), then a purchase
    _page("a1", "11:00", f"{SITE}/compare", referrer="https://www.google.com/search?q=x"),
    {
        "type": "track",
        "event": "Order Completed",
        "anonymousId": "a1",
        "timestamp": "2026-11-02T11:02:00Z",
        "properties": {"revenue": 100, "order_id": "o1"},
    },
    # a2 -- a Google Ads click (gclid, no UTM): paid, even with google.com as referrer
    _page("a2", "12:00", "https://www.ex.com/?gclid=G9", referrer="https://www.google.com/"),
    # a social referrer starts a new session; www.ex.com and ex.com are the same site
    _page("a2", "12:01", f"{SITE}/x", referrer="https://l.facebook.com/"),
    _page("a2", "12:02", "https://www.ex.com/y", referrer=f"{SITE}/x"),
    # a3 -- context.campaign wins over the URL's tags; an fbclid alone is paid social
    _page(
        "a3",
        "09:00",
        f"{SITE}/?utm_source=other",
        campaign={"source": "partner", "medium": "affiliate", "name": "p1"},
    ),
    _page("a3", "13:00", f"{SITE}/?fbclid=FB1"),
]


def _read(tmp_path: Path, calls: list[dict] = CALLS, **options: object):
    (tmp_path / "seg.jsonl").write_text(
        "".join(json.dumps(c) + "\n" for c in calls), encoding="utf-8"
    )
    source = SourceConfig(
        name="seg", format="segment", path="seg.jsonl", base_dir=tmp_path, options=options
    )
    return read_source(source)


def _sessions(tmp_path: Path) -> pd.DataFrame:
    tp = assign_channels(_read(tmp_path).touchpoints)
    return tp[tp["touch_type"] == "session"].sort_values(["anonymous_id", "ts"])


def test_sessions_split_on_inactivity_campaign_and_referrer(tmp_path: Path) -> None:
    s = _sessions(tmp_path)
    got = list(
        zip(
            s["anonymous_id"],
            s["ts"].dt.strftime("%H:%M"),
            s["page"],
            s["traffic_source"].fillna("-"),
            s["traffic_medium"].fillna("-"),
            s["campaign"].fillna("-"),
            s["channel"],
            strict=True,
        )
    )
    assert got == [
        ("a1", "10:00", "/", "newsletter", "email", "nov", "Email"),
        ("a1", "10:50", "/blog", "-", "-", "-", "Direct"),
        ("a1", "10:55", "/", "linkedin", "paid_social", "abm", "Paid Social"),
        ("a1", "11:00", "/compare", "google.com", "organic", "-", "Organic Search"),
        ("a2", "12:00", "/", "-", "-", "-", "Paid Search"),
        ("a2", "12:01", "/x", "l.facebook.com", "referral", "-", "Organic Social"),
        ("a3", "09:00", "/", "partner", "affiliate", "p1", "Affiliates"),
        ("a3", "13:00", "/", "-", "-", "-", "Paid Social"),
    ]
    assert s.loc[s["anonymous_id"] == "a2", "gclid"].fillna("").tolist() == ["G9", ""]
    start = int(pd.Timestamp("2026-11-02 10:00", tz="UTC").timestamp())
    assert s["session_id"].iloc[0] == f"a1:~{start}"


def test_calls_carry_their_session_id(tmp_path: Path) -> None:
    result = _read(tmp_path)
    tp = result.touchpoints
    views = tp[(tp["touch_type"] == "pageview") & (tp["anonymous_id"] == "a1")]
    # 7 calls of a1 in 4 sessions: 2 + 1 + 2 + (1 page + the purchase)
    assert views.groupby("session_id").size().tolist() == [2, 1, 2, 1]
    purchase = result.conversions.iloc[0]
    last = tp[(tp["touch_type"] == "session") & (tp["anonymous_id"] == "a1")]["session_id"]
    assert purchase["session_id"] == last.iloc[-1]


def test_timeout_and_sessions_options(tmp_path: Path) -> None:
    longer = _read(tmp_path, session_timeout_minutes=60).touchpoints
    a1 = longer[(longer["touch_type"] == "session") & (longer["anonymous_id"] == "a1")]
    assert len(a1) == 3  # the 40-minute gap no longer splits
    off = _read(tmp_path, sessions=False).touchpoints
    assert not (off["touch_type"] == "session").any()


def test_segment_purchase_journey_has_its_session(tmp_path: Path) -> None:
    result = _read(tmp_path)
    tp = assign_channels(result.touchpoints)
    stitched = stitch(tp, result.conversions, result.identity_links)
    js = build_journeys(
        stitched.touchpoints,
        stitched.conversions,
        touch_types=["session"],
        conversion_types=["purchase"],
    )
    converted = js.journeys[js.journeys["converted"]]
    assert len(converted) == 1
    assert converted["n_touches"].tolist() == [4]
    assert converted["path"].tolist() == [
        " > ".join(["Email", "Direct", "Paid Social", "Organic Search"])
    ]


def test_a_file_without_page_or_track_calls_has_no_sessions(tmp_path: Path) -> None:
    identify = {
        "type": "identify",
        "anonymousId": "a",
        "userId": "u",
        "timestamp": "2026-11-02T10:00:00Z",
    }
    result = _read(tmp_path, [identify])
    assert result.touchpoints.empty
    assert result.identity_links["link_type"].tolist() == ["identify"]


def test_a_track_call_on_the_landing_page_keeps_its_session(tmp_path: Path) -> None:
    """analytics.js repeats the landing page's external referrer on later calls of that page."""
    url = f"{SITE}/?utm_source=google&utm_medium=cpc&utm_campaign=x"
    google = "https://www.google.com/"
    track = {
        "type": "track",
        "event": "Report Exported",
        "anonymousId": "b1",
        "timestamp": "2026-11-02T10:01:00Z",
        "context": {"page": {"url": url, "referrer": google}},
    }
    calls = [
        _page("b1", "10:00", url, referrer=google),
        track,
        _page("b1", "10:02", f"{SITE}/roi", referrer=url),
        # back from Google on the same URL: the previous call was another page, a new visit
        _page("b1", "10:05", url, referrer=google),
    ]
    tp = _read(tmp_path, calls).touchpoints
    sessions = tp[tp["touch_type"] == "session"]
    assert len(sessions) == 2
    assert sorted(sessions["ts"].dt.strftime("%H:%M")) == ["10:00", "10:05"]
