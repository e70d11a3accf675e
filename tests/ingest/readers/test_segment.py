"""Segment reader: page/track/identify calls, offsets, options, broken lines."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from workbench.config import SourceConfig
from workbench.identifiers import sha256_hex
from workbench.ingest.readers import read_source

CALLS = [
    {
        "type": "page",
        "anonymousId": "anon-1",
        "timestamp": "2026-11-02T10:00:00+01:00",
        "name": "Pricing",
        "messageId": "m1",
        "context": {
            "page": {
                "url": "https://ex.com/pricing?utm_source=google&utm_medium=cpc"
                "&utm_campaign=brand&gclid=G1",
                "path": "/pricing",
            }
        },
    },
    {
        "type": "track",
        "anonymousId": "anon-1",
        "event": "Demo Form Submitted",
        "timestamp": "2026-11-02T09:05:00Z",
        "messageId": "m2",
        "context": {"campaign": {"source": "newsletter", "medium": "email", "name": "nov"}},
    },
    {
        "type": "identify",
        "anonymousId": "anon-1",
        "userId": 42,
        "timestamp": "2026-11-02T09:06:00Z",
        "messageId": "m3",
        "traits": {"email": " Ann@Example.com ", "phone": "(415) 555-0123"},
    },
    {
        "type": "track",
        "anonymousId": "anon-1",
        "userId": "42",
        "event": "Order Completed",
        "timestamp": "2026-11-02T04:07:00-05:00",
        "messageId": "m4",
        "properties": {"revenue": "99.5", "currency": "usd", "order_id": 1001},
    },
    {
        "type": "track",
        "anonymousId": "anon-1",
        "event": "Video Played",
        "timestamp": "2026-11-02T09:08:00Z",
        "messageId": "m5",
    },
]


def write(tmp_path: Path, lines: list[str]) -> SourceConfig:
    (tmp_path / "segment.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SourceConfig(name="seg", format="segment", path="*.jsonl", base_dir=tmp_path)


def test_calls_become_touches_conversions_and_links(tmp_path: Path) -> None:
    result = read_source(write(tmp_path, [json.dumps(c) for c in CALLS]))
    tp = result.touchpoints
    # the form's new campaign starts a second session (see tests/ingest/readers/test_segment_sessions.py)
    assert tp["touch_type"].tolist() == ["session", "session", "pageview", "form_submit"]
    tp = tp[tp["touch_type"] != "session"].reset_index(drop=True)
    page = tp.iloc[0]
    assert page["ts"] == pd.Timestamp("2026-11-02 09:00", tz="UTC")  # +01:00 offset applied
    assert (page["traffic_source"], page["traffic_medium"], page["campaign"]) == (
        "google",
        "cpc",
        "brand",
    )
    assert (page["page"], page["gclid"], page["event_name"]) == ("/pricing", "G1", "Pricing")
    form = tp.iloc[1]
    assert (form["traffic_source"], form["campaign"]) == ("newsletter", "nov")
    conv = result.conversions.iloc[0]
    assert conv["conversion_type"] == "purchase"
    assert conv["ts"] == pd.Timestamp("2026-11-02 09:07", tz="UTC")
    assert (conv["value"], conv["currency"], conv["conversion_id"]) == (99.5, "USD", "1001")
    links = result.identity_links
    pairs = set(zip(links["id_type_a"], links["id_type_b"], links["link_type"], strict=True))
    assert pairs == {
        ("anonymous_id", "user_id", "identify"),
        ("user_id", "email", "identify"),
        ("user_id", "phone", "identify"),
        ("anonymous_id", "user_id", "event"),
    }
    email = links.loc[links["id_type_b"] == "email", "id_value_b"].item()
    assert email == sha256_hex("ann@example.com")
    phone = links.loc[links["id_type_b"] == "phone", "id_value_b"].item()
    assert phone == sha256_hex("+14155550123")
    assert result.files[0]["track_not_touch"] == 2  # Order Completed, Video Played
    assert result.quarantine.empty


def test_touch_events_and_conversion_events_options(tmp_path: Path) -> None:
    source = write(tmp_path, [json.dumps(c) for c in CALLS])
    source = SourceConfig(
        **{
            **source.__dict__,
            "options": {
                "touch_events": {"Video Played": "video_view"},
                "conversion_events": {"Demo Form Submitted": "lead"},
            },
        }
    )
    result = read_source(source)
    tp = result.touchpoints
    assert tp.loc[tp["touch_type"] != "session", "touch_type"].tolist() == [
        "pageview",
        "form_submit",
        "video_view",
    ]
    assert result.conversions["conversion_type"].tolist() == ["lead"]


def test_broken_lines_and_repeats_are_quarantined(tmp_path: Path) -> None:
    lines = [json.dumps(c) for c in CALLS]
    lines.append(lines[4])  # identical line 6
    retry = dict(CALLS[4], receivedAt="later")
    lines.append(json.dumps(retry))  # same messageId, line 7
    lines.append('{"type": "page", "anonymousId": "a2", "timestamp": ')  # line 8 cut
    lines.append(json.dumps({"type": "bogus", "anonymousId": "a3", "timestamp": "2026-11-02"}))
    lines.append(json.dumps({"type": "page", "anonymousId": "a4", "timestamp": "yesterday"}))
    lines.append(json.dumps({"type": "page", "timestamp": "2026-11-02T10:00:00Z"}))
    result = read_source(write(tmp_path, lines))
    q = result.quarantine.sort_values("source_row")
    assert q[["source_row", "reason"]].values.tolist() == [
        [6, "duplicate event"],
        [7, "duplicate event"],
        [8, "unparseable JSON"],
        [9, "unknown Segment call type"],
        [10, "unparseable or missing timestamp"],
        [11, "missing every identifier"],
    ]
    assert q["value"].tolist()[:2] == ["identical to line segment.jsonl:5", "same messageId m5"]
    assert q["value"].iloc[4] == "yesterday"
    assert (result.touchpoints["touch_type"] != "session").sum() == 2


def test_empty_objects_written_as_arrays_are_read(tmp_path: Path) -> None:
    """PHP's json_encode writes an empty properties/traits/context object as []."""
    lines = [
        '{"type":"page","anonymousId":"a1","timestamp":"2026-11-02T10:00:00Z","messageId":"p1",'
        '"properties":[],"context":{"campaign":[],"traits":[],"page":{"url":"https://ex.com/"}}}',
        '{"type":"identify","anonymousId":"a1","userId":"u1","timestamp":"2026-11-02T10:01:00Z",'
        '"messageId":"i1","traits": [ ]}',
        '{"type":"track","anonymousId":"a1","event":"Signed Up","timestamp":1793613720000,'
        '"messageId":"t1","properties":{}}',
    ]
    result = read_source(write(tmp_path, lines))
    tp = result.touchpoints
    assert sorted(tp["touch_type"]) == ["pageview", "session"]
    assert tp["source_row"].tolist() == [1, 1]
    links = result.identity_links
    assert links[["id_value_a", "id_value_b"]].values.tolist() == [["a1", "u1"]]
    q = result.quarantine
    assert q[["source_row", "reason", "value"]].values.tolist() == [
        [3, "unparseable or missing timestamp", "1793613720000"]
    ]
