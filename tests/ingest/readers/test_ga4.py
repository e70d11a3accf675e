"""GA4 reader: real Google samples, hand-written events, broken lines, Parquet, type drift."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest

from workbench.config import SourceConfig
from workbench.errors import ConfigError
from workbench.ingest.readers import read_source

REAL = Path(__file__).parents[2] / "data" / "ga4_real"
US = 1_000_000
T0 = 1_793_000_000 * US  # 2026-10-26 (UTC), in microseconds


def source(base: Path, path: str = "*.ndjson", **kw: object) -> SourceConfig:
    return SourceConfig(name="ga4", format="ga4", path=path, base_dir=base, **kw)  # type: ignore[arg-type]


def param(key: str, value: object) -> dict[str, object]:
    slots = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    if isinstance(value, str):
        slots["string_value"] = value
    elif isinstance(value, int):
        slots["int_value"] = value
    else:
        slots["double_value"] = value
    return {"key": key, "value": slots}


def event(name: str, ts: int, user: str, params: dict[str, object], **extra: object) -> dict:
    row: dict[str, object] = {
        "event_date": "20261026",
        "event_timestamp": ts,
        "event_name": name,
        "event_params": [param(k, v) for k, v in params.items()],
        "user_id": None,
        "user_pseudo_id": user,
        "device": {"category": "desktop", "web_info": {"browser": "Chrome"}},
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
        "platform": "WEB",
        "stream_id": 1,
    }
    row.update(extra)
    return row


def tiny_events() -> list[dict]:
    """Three sessions of two users, hand-made so every expected value is known."""
    landing = "https://ex.com/pricing?utm_source=linkedin&utm_medium=paid_social&utm_campaign=abm&li_fat_id=LI9"
    return [
        # user A, session 1: collected_traffic_source wins over params and utm
        event(
            "session_start",
            T0,
            "A",
            {"ga_session_id": 111, "page_location": landing, "source": "bing", "medium": "cpc"},
            collected_traffic_source={
                "manual_source": "google",
                "manual_medium": "cpc",
                "manual_campaign_name": "brand",
                "gclid": "GCL1",
            },
            traffic_source={"name": "launch", "medium": "email", "source": "newsletter"},
        ),
        event("page_view", T0 + 1 * US, "A", {"ga_session_id": "111", "page_location": landing}),
        event(
            "page_view",
            T0 + 60 * US,
            "A",
            {"ga_session_id": 111, "page_location": "https://ex.com/demo-request"},
        ),
        event(
            "generate_lead",
            T0 + 61 * US,
            "A",
            {"ga_session_id": 111, "value": 5.5, "currency": "usd"},
        ),
        # user A, session 2: params only, login with a user id
        event(
            "session_start",
            T0 + 3600 * US,
            "A",
            {
                "ga_session_id": 222,
                "page_location": "https://ex.com/",
                "source": "(data deleted)",
                "medium": "(data deleted)",
            },
        ),
        event(
            "login",
            T0 + 3601 * US,
            "A",
            {"ga_session_id": 222, "page_location": "https://ex.com/app"},
            user_id="U1",
        ),
        event(
            "purchase",
            T0 + 3700 * US,
            "A",
            {"ga_session_id": 222, "transaction_id": "T-1", "currency": "USD", "value": 1.0},
            user_id="U1",
            ecommerce={"purchase_revenue": 99.0, "transaction_id": "T-1"},
        ),
        event(
            "purchase",
            T0 + 3705 * US,
            "A",
            {"ga_session_id": 222, "transaction_id": "T-1", "currency": "USD"},
            user_id="U1",
            ecommerce={"purchase_revenue": 99.0, "transaction_id": "T-1"},
        ),
        # user B: utm + click ids on the landing page only; obfuscated user id
        event(
            "page_view",
            T0 + 10 * US,
            "B",
            {
                "ga_session_id": 333,
                "page_location": "https://ex.com/blog/x?utm_source=facebook&utm_medium=paid"
                "&utm_campaign=retarget&fbclid=fb.1.1596403881668.IwAR9",
            },
            user_id="(data deleted)",
        ),
    ]


def write_lines(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def real_events(name: str) -> list[dict]:
    return [json.loads(line) for line in (REAL / name).read_text().splitlines()]


def get_param(row: dict, key: str) -> object:
    for p in row["event_params"]:
        if p["key"] == key:
            return next((v for v in p["value"].values() if v is not None), None)
    return None


def test_real_web_sample_counts_match_an_independent_count() -> None:
    rows = real_events("web_events.ndjson")
    sessions = {(r["user_pseudo_id"], get_param(r, "ga_session_id")) for r in rows}
    result = read_source(source(REAL, "web_events.ndjson"))
    tp = result.touchpoints
    assert (tp["touch_type"] == "session").sum() == len(sessions) == 61
    assert (tp["touch_type"] == "pageview").sum() == sum(
        r["event_name"] == "page_view" for r in rows
    )
    assert tp["anonymous_id"].nunique() == len({r["user_pseudo_id"] for r in rows}) == 48
    assert result.identity_links.empty  # user_id is null throughout
    assert result.conversions.empty
    assert result.quarantine.empty
    assert tp["user_id"].isna().all()
    assert set(tp["source_file"]) == {"web_events.ndjson"}
    assert tp["source_row"].between(1, 200).all()
    assert tp["channel"].isna().all()
    # the first session's start is its earliest event
    first = rows[0]
    sid = f"{first['user_pseudo_id']}:{get_param(first, 'ga_session_id')}"
    starts = [
        r["event_timestamp"]
        for r in rows
        if (r["user_pseudo_id"], get_param(r, "ga_session_id"))
        == (first["user_pseudo_id"], get_param(first, "ga_session_id"))
    ]
    session = tp[(tp["session_id"] == sid) & (tp["touch_type"] == "session")].iloc[0]
    assert session["ts"] == pd.Timestamp(min(starts), unit="us", tz="UTC")
    assert session["first_touch_source"] == first["traffic_source"]["source"]
    assert tp["page"].str.startswith("/").all()


def test_real_app_sample_uses_screens_and_derives_sessions() -> None:
    rows = real_events("app_events.ndjson")
    result = read_source(source(REAL, "app_events.ndjson"))
    tp = result.touchpoints
    views = tp[tp["touch_type"] == "pageview"]
    assert len(views) == sum(r["event_name"] == "screen_view" for r in rows) == 48
    screens = {
        get_param(r, "firebase_screen_class") for r in rows if r["event_name"] == "screen_view"
    }
    assert set(views["page"]) <= screens
    assert tp["anonymous_id"].nunique() == 41
    n_sessions = int((tp["touch_type"] == "session").sum())
    assert 41 <= n_sessions <= 200
    assert any("no ga_session_id" in w for w in result.warnings)
    assert result.quarantine.empty and result.identity_links.empty


def test_sessions_attribution_click_ids_and_first_touch(tmp_path: Path) -> None:
    write_lines(tmp_path / "events_20261026.ndjson", tiny_events())
    result = read_source(source(tmp_path))
    tp = result.touchpoints
    sessions = tp[tp["touch_type"] == "session"].set_index("session_id")
    assert sorted(sessions.index) == ["A:111", "A:222", "B:333"]
    s1, s2, s3 = sessions.loc["A:111"], sessions.loc["A:222"], sessions.loc["B:333"]
    # collected_traffic_source first; its gclid; utm click id from the landing page
    assert (s1["traffic_source"], s1["traffic_medium"], s1["campaign"]) == (
        "google",
        "cpc",
        "brand",
    )
    assert (s1["gclid"], s1["li_fat_id"], s1["page"]) == ("GCL1", "LI9", "/pricing")
    assert (s1["first_touch_source"], s1["first_touch_medium"]) == ("newsletter", "email")
    assert s1["ts"] == pd.Timestamp(T0, unit="us", tz="UTC")
    # obfuscated params only: kept as they are (nothing better exists)
    assert s2["traffic_source"] == "(data deleted)" and s2["page"] == "/"
    assert s2["user_id"] == "U1"
    # utm fallback, fbc cookie reduced to the fbclid, placeholder user id blanked
    assert (s3["traffic_source"], s3["traffic_medium"], s3["campaign"]) == (
        "facebook",
        "paid",
        "retarget",
    )
    assert s3["fbclid"] == "IwAR9" and pd.isna(s3["user_id"])
    views = tp[tp["touch_type"] == "pageview"]
    assert len(views) == 3
    assert set(views.loc[views["session_id"] == "A:111", "page"]) == {"/pricing", "/demo-request"}
    assert set(views.loc[views["session_id"] == "A:111", "traffic_source"]) == {"google"}
    assert tp["channel"].isna().all() and tp["platform"].isna().all()


def test_conversions_links_and_duplicate_transactions(tmp_path: Path) -> None:
    write_lines(tmp_path / "events_20261026.ndjson", tiny_events())
    result = read_source(source(tmp_path))
    conv = result.conversions.set_index("conversion_type")
    assert sorted(conv.index) == ["lead", "purchase"]
    assert conv.loc["purchase", "value"] == 99.0  # ecommerce revenue beats the value param
    assert conv.loc["purchase", "conversion_id"] == "T-1"
    assert conv.loc["purchase", "user_id"] == "U1"
    assert (conv.loc["lead", "value"], conv.loc["lead", "currency"]) == (5.5, "USD")
    assert conv.loc["lead", "session_id"] == "A:111"
    q = result.quarantine
    assert q["reason"].tolist() == ["duplicate transaction id"]
    assert q["source_row"].tolist() == [8]
    links = result.identity_links
    user_links = links[links["id_type_b"] == "user_id"]
    assert user_links[["id_value_a", "id_value_b", "link_type"]].values.tolist() == [
        ["A", "U1", "login"],
        ["A", "U1", "event"],
    ]
    clicks = links[links["id_type_b"] != "user_id"]
    assert sorted(zip(clicks["id_type_b"], clicks["id_value_b"], strict=True)) == [
        ("fbclid", "IwAR9"),
        ("gclid", "GCL1"),
        ("li_fat_id", "LI9"),
    ]


def test_options_pageviews_and_conversion_events(tmp_path: Path) -> None:
    write_lines(tmp_path / "e.ndjson", tiny_events())
    result = read_source(
        source(
            tmp_path,
            options={"pageviews": False, "conversion_events": {"login": "signup"}},
        )
    )
    assert set(result.touchpoints["touch_type"]) == {"session"}
    assert result.conversions["conversion_type"].tolist() == ["signup"]
    with pytest.raises(ConfigError, match=r"options.pageviews = 'no'; expected true or false"):
        read_source(source(tmp_path, options={"pageviews": "no"}))


def test_broken_lines_are_quarantined_with_line_numbers(tmp_path: Path) -> None:
    lines = [json.dumps(e) for e in tiny_events()]
    lines.insert(2, lines[1])  # line 3 repeats line 2
    lines.insert(4, "")  # blank line 5
    lines.insert(6, lines[0][:50])  # line 7 cut short
    lines.append("[1, 2]")  # not an object
    lines.append('{"event_name": "x"} {"event_name": "y"}')
    lines.append(
        json.dumps(event("page_view", T0, "C", {"ga_session_id": 1}, event_timestamp=None))
    )
    (tmp_path / "e.ndjson").write_text("\n".join(lines) + "\n")
    result = read_source(source(tmp_path))
    q = result.quarantine.sort_values("source_row")
    assert q[["source_row", "reason"]].values.tolist() == [
        [3, "duplicate event"],
        [7, "unparseable JSON"],
        [11, "duplicate transaction id"],
        [13, "unparseable JSON"],
        [14, "unparseable JSON"],
        [15, "unparseable or missing timestamp"],
    ]
    assert q["value"].iloc[0] == "identical to line e.ndjson:2"
    assert "not a JSON object" in q["value"].iloc[3]
    assert "more than one JSON value" in q["value"].iloc[4]
    assert result.files[0]["duplicates"] == 1 and result.files[0]["malformed"] == 3
    # everything else was read as usual
    assert (result.touchpoints["touch_type"] == "session").sum() == 3
    assert len(result.conversions) == 2


def test_duplicates_across_files_are_counted(tmp_path: Path) -> None:
    events = tiny_events()
    write_lines(tmp_path / "events_20261026.ndjson", events)
    write_lines(tmp_path / "events_20261027.ndjson", events[-1:])
    result = read_source(source(tmp_path))
    q = result.quarantine
    dup = q[q["reason"] == "duplicate event"]
    assert dup["source_file"].tolist() == ["events_20261027.ndjson"]
    assert dup["value"].tolist() == ["identical to line events_20261026.ndjson:9"]


def test_int_and_string_numbers_give_the_same_result(tmp_path: Path) -> None:
    """``bq extract`` writes INT64 as strings; other tools as numbers; files may mix."""
    events = tiny_events()
    write_lines(tmp_path / "a.ndjson", events)
    quoted = tmp_path / "bq"
    quoted.mkdir()
    text = (tmp_path / "a.ndjson").read_text()
    for key in ("event_timestamp", "int_value"):
        text = (
            pd.Series(text.splitlines())
            .str.replace(rf'"{key}": (\d+)', rf'"{key}": "\1"', regex=True)
            .str.cat(sep="\n")
        )
    (quoted / "a.ndjson").write_text(text + "\n")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    lines = text.splitlines()
    original = (tmp_path / "a.ndjson").read_text().splitlines()
    (mixed / "a.ndjson").write_text("\n".join(lines[:4] + original[4:]) + "\n")
    base = read_source(source(tmp_path, "a.ndjson"))
    for folder in (quoted, mixed):
        other = read_source(source(folder, "a.ndjson"))
        pd.testing.assert_frame_equal(other.touchpoints, base.touchpoints)
        pd.testing.assert_frame_equal(other.conversions, base.conversions)


def test_parquet_export_reads_like_ndjson(tmp_path: Path) -> None:
    write_lines(tmp_path / "e.ndjson", tiny_events())
    table = pj.read_json(tmp_path / "e.ndjson")
    pq.write_table(table, tmp_path / "e.parquet")
    from_json = read_source(source(tmp_path, "e.ndjson"))
    from_parquet = read_source(source(tmp_path, "e.parquet"))
    cols = ["ts", "touch_type", "session_id", "traffic_source", "campaign", "page", "gclid"]
    pd.testing.assert_frame_equal(
        from_parquet.touchpoints[cols], from_json.touchpoints[cols], check_dtype=True
    )
    assert from_parquet.touchpoints["source_file"].eq("e.parquet").all()
    assert len(from_parquet.conversions) == len(from_json.conversions) == 2


def real_parquet(name: str, path: Path) -> pa.Table:
    """A real slice as Parquet, the way a BigQuery row converter writes it.

    The stored lines spell a missing ``ecommerce`` as the string ``"null"``;
    as Parquet it is a real null. The web stream never sets ``user_properties``,
    so that column is written as ``list<null>``.
    """
    rows = [{k: None if v == "null" else v for k, v in r.items()} for r in real_events(name)]
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, path)
    return table


REAL_IDENTIFIERS = {"ga_session_id": "crm_contact_id", "first_open_time": "crm_contact_id"}


@pytest.mark.parametrize("name", ["web_events.ndjson", "app_events.ndjson"])
def test_real_slices_as_parquet_with_identifiers_read_like_ndjson(
    tmp_path: Path, name: str
) -> None:
    real_parquet(name, tmp_path / "e.parquet")
    if name.startswith("web"):
        stored = pq.read_schema(tmp_path / "e.parquet").field("user_properties").type
        assert pa.types.is_list(stored) and pa.types.is_null(stored.value_type)
    options = {"identifiers": REAL_IDENTIFIERS}
    from_parquet = read_source(source(tmp_path, "e.parquet", options=options))
    from_json = read_source(source(REAL, name, options=options))
    drop = ["source_file", "source_row"]
    pd.testing.assert_frame_equal(
        from_parquet.touchpoints.drop(columns=drop), from_json.touchpoints.drop(columns=drop)
    )
    pd.testing.assert_frame_equal(
        from_parquet.identity_links.drop(columns=drop, errors="ignore"),
        from_json.identity_links.drop(columns=drop, errors="ignore"),
    )
    # the identifier values were found: one crm id per (user, session) on the web,
    # first_open_time on the app
    links = from_parquet.identity_links
    assert len(links) > 0 and links["link_type"].isin(["event_param", "user_property"]).all()
    assert from_parquet.quarantine.empty


def _large(t: pa.DataType) -> pa.DataType:
    if pa.types.is_string(t):
        return pa.large_string()
    if pa.types.is_list(t):
        return pa.large_list(_large(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _large(f.type)) for f in t])
    return t


def _variant(table: pa.Table, kind: str) -> pa.Table:
    if kind == "large types":
        return table.cast(pa.schema([pa.field(f.name, _large(f.type)) for f in table.schema]))
    if kind == "dictionary strings":
        return pa.table(
            {
                c: pc.dictionary_encode(table[c]) if pa.types.is_string(table[c].type) else table[c]
                for c in table.column_names
            }
        )
    i = table.column_names.index("event_timestamp")
    ts = table["event_timestamp"]
    if kind == "timestamp column":
        return table.set_column(i, "event_timestamp", pc.cast(ts, pa.timestamp("us")))
    assert kind == "timestamp column, ns, zoned"
    zoned = pc.cast(pc.cast(ts, pa.timestamp("us", "UTC")), pa.timestamp("ns", "Europe/Berlin"))
    return table.set_column(i, "event_timestamp", zoned)


@pytest.mark.parametrize(
    "kind",
    ["large types", "dictionary strings", "timestamp column", "timestamp column, ns, zoned"],
)
def test_parquet_from_other_converters_reads_the_same(tmp_path: Path, kind: str) -> None:
    table = real_parquet("app_events.ndjson", tmp_path / "base.parquet")
    pq.write_table(_variant(table, kind), tmp_path / "odd.parquet")
    options = {"identifiers": REAL_IDENTIFIERS}
    base = read_source(source(tmp_path, "base.parquet", options=options))
    odd = read_source(source(tmp_path, "odd.parquet", options=options))
    drop = ["source_file"]
    pd.testing.assert_frame_equal(
        odd.touchpoints.drop(columns=drop), base.touchpoints.drop(columns=drop)
    )
    pd.testing.assert_frame_equal(
        odd.identity_links.drop(columns=drop, errors="ignore"),
        base.identity_links.drop(columns=drop, errors="ignore"),
    )
    assert odd.quarantine.empty and len(base.identity_links) > 0


def test_parquet_with_every_nested_column_null_typed(tmp_path: Path) -> None:
    """A converter that saw only nulls writes ``null`` columns: events still read."""
    table = real_parquet("app_events.ndjson", tmp_path / "base.parquet")
    keep = {"event_timestamp", "event_name", "user_pseudo_id", "event_date"}
    nulls = pa.table(
        {c: table[c] if c in keep else pa.nulls(table.num_rows) for c in table.column_names}
    )
    pq.write_table(nulls, tmp_path / "nulls.parquet")
    options = {"identifiers": REAL_IDENTIFIERS}
    result = read_source(source(tmp_path, "nulls.parquet", options=options))
    base = read_source(source(tmp_path, "base.parquet", options=options))
    assert len(result.touchpoints) > 0
    assert set(result.touchpoints["anonymous_id"]) == set(base.touchpoints["anonymous_id"])
    assert result.identity_links.empty  # no parameters, so no identifier values


def test_parquet_duplicate_rows_are_quarantined(tmp_path: Path) -> None:
    events = tiny_events()
    write_lines(tmp_path / "e.ndjson", [*events, events[0]])
    pq.write_table(pj.read_json(tmp_path / "e.ndjson"), tmp_path / "e.parquet")
    result = read_source(source(tmp_path, "e.parquet"))
    q = result.quarantine
    assert q.loc[q["reason"] == "duplicate event", "source_row"].tolist() == [10]


def test_gzipped_and_empty_files(tmp_path: Path) -> None:
    import gzip

    text = "".join(json.dumps(r) + "\n" for r in tiny_events())
    (tmp_path / "events_1.ndjson.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "events_2.ndjson.gz").write_bytes(gzip.compress(b""))
    result = read_source(source(tmp_path, "events_*.ndjson.gz"))
    assert (result.touchpoints["touch_type"] == "session").sum() == 3
    assert [f["rows"] for f in result.files] == [9, 0]
    (tmp_path / "empty.ndjson").write_text("\n\n")
    empty = read_source(source(tmp_path, "empty.ndjson"))
    assert empty.touchpoints.empty and empty.quarantine.empty


def test_crlf_line_ends_and_a_missing_final_newline_read_the_same(tmp_path: Path) -> None:
    lines = [json.dumps(e) for e in tiny_events()]
    write_lines(tmp_path / "a.ndjson", tiny_events())
    crlf = tmp_path / "crlf"
    crlf.mkdir()
    (crlf / "a.ndjson").write_bytes("\r\n".join(lines).encode())  # no final line end
    base = read_source(source(tmp_path, "a.ndjson"))
    other = read_source(source(crlf, "a.ndjson"))
    pd.testing.assert_frame_equal(other.touchpoints, base.touchpoints)
    pd.testing.assert_frame_equal(other.conversions, base.conversions)
    assert [f["rows"] for f in other.files] == [len(lines)]


def test_files_read_in_batches_or_one_by_one_give_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are parsed and flattened in batches; batch boundaries must not matter."""
    import gzip

    from workbench.ingest.readers import _ga4_events

    events = tiny_events()
    write_lines(tmp_path / "events_1.ndjson", events[:4])
    quoted = "".join(
        json.dumps(e).replace(
            f'"event_timestamp": {e["event_timestamp"]}',
            f'"event_timestamp": "{e["event_timestamp"]}"',
        )
        + "\n"
        for e in events[4:7]
    )
    (tmp_path / "events_2.ndjson").write_text(quoted)
    text = "".join(json.dumps(e) + "\n" for e in [events[0], *events[7:]])
    (tmp_path / "events_3.ndjson.gz").write_bytes(gzip.compress(text.encode()))
    together = read_source(source(tmp_path, "events_*"))
    monkeypatch.setattr(_ga4_events, "_BATCH_BYTES", 0)
    alone = read_source(source(tmp_path, "events_*"))
    for name in ("touchpoints", "conversions", "identity_links", "quarantine"):
        pd.testing.assert_frame_equal(getattr(alone, name), getattr(together, name))
    q = together.quarantine
    assert q[["source_file", "reason"]].values.tolist() == [
        ["events_3.ndjson.gz", "duplicate event"],
        ["events_3.ndjson.gz", "duplicate transaction id"],
    ]
    assert q["value"].iloc[0] == "identical to line events_1.ndjson:1"
    assert (together.touchpoints["touch_type"] == "session").sum() == 3


def test_a_null_line_first_in_a_block_is_a_row_of_nulls_not_a_crash(tmp_path: Path) -> None:
    """pyarrow crashes on a parse block that starts with ``null``; the reader must not."""
    lines = [json.dumps(e) for e in tiny_events()]
    # line 1 starts the file, line 3 starts the block after the malformed line 2
    text = "\n".join(["null", lines[0][:40], "null", *lines]) + "\n"
    (tmp_path / "e.ndjson").write_text(text)
    result = read_source(source(tmp_path))
    q = result.quarantine.sort_values("source_row")
    assert q[["source_row", "reason"]].values.tolist() == [
        [1, "unparseable or missing timestamp"],
        [2, "unparseable JSON"],
        [3, "duplicate event"],
        [11, "duplicate transaction id"],
    ]
    assert (result.touchpoints["touch_type"] == "session").sum() == 3
