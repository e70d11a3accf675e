"""Email activity, Zoom webinar reports and offline badge-scan readers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.config import SourceConfig
from workbench.identifiers import sha256_hex
from workbench.ingest.readers import read_source


def source(tmp_path: Path, fmt: str, content: str, **kw: object) -> SourceConfig:
    (tmp_path / f"{fmt}.csv").write_text(content, encoding="utf-8")
    return SourceConfig(name=fmt, format=fmt, path=f"{fmt}.csv", base_dir=tmp_path, **kw)  # type: ignore[arg-type]


def test_email_activity(tmp_path: Path) -> None:
    body = (
        "Email Address,Campaign Title,Action,Timestamp,URL\n"
        "Ann@Example.com,Nov Newsletter,sent,2026-11-02 10:00:00,\n"
        "ann@example.com,Nov Newsletter,open,2026-11-02 11:00:00,\n"
        "ann@example.com,Nov Newsletter,click,2026-11-02 11:01:00,"
        "https://ex.com/webinar/x?utm_source=mailchimp&utm_medium=email\n"
        "ann@example.com,Nov Newsletter,forward,2026-11-02 11:02:00,\n"
        "not-an-email,Nov Newsletter,open,2026-11-02 11:03:00,\n"
        "ann@example.com,Nov Newsletter,open,02/11/2026 25:00,\n"
    )
    result = read_source(source(tmp_path, "email_activity", body, channel="Email"))
    tp = result.touchpoints
    assert tp["touch_type"].tolist() == ["email_send", "email_open", "email_click"]
    assert tp["email"].eq(sha256_hex("ann@example.com")).all()
    assert tp["campaign"].eq("Nov Newsletter").all() and tp["channel"].eq("Email").all()
    assert tp["ts"].iloc[0] == pd.Timestamp("2026-11-02 10:00", tz="UTC")
    click = tp.iloc[2]
    assert (click["traffic_source"], click["traffic_medium"]) == ("mailchimp", "email")
    q = result.quarantine.sort_values("source_row")
    assert q[["source_row", "reason"]].values.tolist() == [
        [5, "email action not mapped (options.actions)"],
        [6, "missing every identifier"],
        [7, "unparseable or missing timestamp"],
    ]


def test_email_activity_common_action_and_header_spellings(tmp_path: Path) -> None:
    body = (
        "email_address,campaign_name,ACTION,time_stamp\n"
        "ann@example.com,Spring,Delivered,2026-11-02 10:00:00\n"
        "ann@example.com,Spring,OPENED,2026-11-02 11:00:00\n"
        "ann@example.com,Spring, clicked ,2026-11-02 11:01:00\n"
        "bob@example.com,Spring,Bounced,2026-11-02 11:02:00\n"
        "bob@example.com,Spring,unsubscribe,2026-11-02 11:03:00\n"
        "bob@example.com,Spring,forwarded,2026-11-02 11:04:00\n"
    )
    src = source(tmp_path, "email_activity", body, columns={"Timestamp": ["Time Stamp"]})
    result = read_source(src)
    tp = result.touchpoints
    assert tp["touch_type"].tolist() == ["email_send", "email_open", "email_click"]
    assert tp["campaign"].eq("Spring").all()
    assert result.files[0]["skipped_actions"] == 2
    assert any("bounced: 1" in w and "unsubscribe: 1" in w for w in result.warnings)
    assert result.quarantine["reason"].tolist() == ["email action not mapped (options.actions)"]
    # a configured mapping extends the defaults
    src = source(tmp_path, "email_activity", body, options={"actions": {"forwarded": ""}})
    result = read_source(src)
    assert len(result.quarantine) == 0 and result.files[0]["skipped_actions"] == 3


def test_webinar_registrants_zoom_times(tmp_path: Path) -> None:
    body = (
        "Webinar ID,Topic,First Name,Last Name,Email,Registration Time,Approval Status\n"
        '86,Attribution 101,Ann,Lee,ann@example.com,"Nov 20, 2026 09:15:00 AM",approved\n'
        "86,Attribution 101,Bob,Ray,bob@example.com,2026/11/20 9:15,approved\n"
    )
    result = read_source(
        source(
            tmp_path, "webinar_registrants", body, timezone="America/New_York", channel="Webinar"
        )
    )
    tp = result.touchpoints
    assert tp["touch_type"].tolist() == ["webinar_registration"]
    assert tp["ts"].item() == pd.Timestamp("2026-11-20 14:15", tz="UTC")
    assert (tp["campaign"].item(), tp["platform"].item(), tp["channel"].item()) == (
        "Attribution 101",
        "zoom",
        "Webinar",
    )
    assert tp["attr_webinar_id"].item() == "86"
    q = result.quarantine
    assert q["reason"].tolist() == [
        "unparseable Zoom time (expected like 'Nov 28, 2026 10:02:13 AM')"
    ]
    assert q[["source_row", "value"]].values.tolist() == [[3, "2026/11/20 9:15"]]


def test_webinar_attendees_only_yes_and_rejoins_merged(tmp_path: Path) -> None:
    body = (
        "Attendee Report\n"
        'Report Generated:,"Nov 29, 2026 08:00:00 AM"\n'
        "\n"
        "Webinar ID,Topic,User Name (Original Name),Email,Join Time,Leave Time,"
        "Time in Session (minutes),Attended\n"
        '86,Attribution 101,Ann,ann@example.com,"Nov 28, 2026 10:02:13 AM",'
        '"Nov 28, 2026 10:30:00 AM",28,Yes\n'
        '86,Attribution 101,Ann,ann@example.com,"Nov 28, 2026 10:40:00 AM",'
        '"Nov 28, 2026 11:00:00 AM",20,Yes\n'
        "86,Attribution 101,Bob,bob@example.com,--,--,0,No\n"
    )
    result = read_source(source(tmp_path, "webinar_attendees", body, timezone="America/New_York"))
    tp = result.touchpoints
    assert tp["touch_type"].tolist() == ["webinar_attendance"]
    assert tp["ts"].item() == pd.Timestamp("2026-11-28 15:02:13", tz="UTC")
    assert tp["attr_minutes"].item() == 48.0
    assert tp["source_row"].item() == 5
    info = result.files[0]
    assert (info["header_line"], info["not_attended"], info["rejoins_merged"]) == (4, 1, 1)
    assert result.quarantine.empty
    assert any("Attended != Yes" in w for w in result.warnings)


def test_offline_events(tmp_path: Path) -> None:
    body = (
        "Event Name,Scan Time,Badge ID,First Name,Last Name,Email,Company,Job Title\n"
        "SaaStr 2026,2026-11-10 13:05:00,B1,Ann,Lee,ann@example.com,Acme,CMO\n"
        "SaaStr 2026,2026-11-10 13:06:00,B2,Bob,Ray,,Beta,CTO\n"
    )
    result = read_source(
        source(tmp_path, "offline_events", body, timezone="America/New_York", channel="Events")
    )
    tp = result.touchpoints
    assert tp[["touch_type", "campaign", "attr_badge_id", "channel"]].values.tolist() == [
        ["offline_event", "SaaStr 2026", "B1", "Events"]
    ]
    assert tp["ts"].item() == pd.Timestamp("2026-11-10 18:05", tz="UTC")
    assert "Ann" not in tp.to_string()
    assert result.quarantine[["source_row", "reason"]].values.tolist() == [
        [3, "missing every identifier"]
    ]
