"""Segment-spec JSON lines (``format = "segment"``): page/track/identify calls.

Calls
    * ``page`` (and ``screen``) -> ``pageview`` touch; ``page`` from
      ``context.page.path`` / ``properties.path``, else the path of the page
      URL (``screen``: the screen ``name``); ``event_name`` = the page name.
    * ``track`` -> a touch when the event is listed in ``options.touch_events``
      (``{event name: touch type}``, default empty) or its name looks like a form
      submission (``Form Submitted``, ``Demo Form Submit`` ...: ``form`` followed
      by ``submit``, any case) -> ``form_submit``; other track events are not
      touches (they are counted in ``files[...]["track_not_touch"]``). Any track
      event listed in ``options.conversion_events`` (default
      ``{"Order Completed" = "purchase", "Signed Up" = "signup"}``) also
      becomes a conversion: ``value`` = ``properties.revenue``, else
      ``properties.value``, else ``properties.total``; ``currency`` =
      ``properties.currency``; ``conversion_id`` = ``properties.order_id``
      (or ``orderId``).
    * ``identify`` -> identity links ``anonymous_id`` <-> ``user_id``
      (``"identify"``) and the user (or, without a user id, the anonymous id)
      <-> hashed ``traits.email`` / ``traits.phone``.
    * ``alias`` -> link ``previousId`` (as ``anonymous_id``) <-> ``userId`` (``"alias"``).
    * Any call carrying both ``anonymousId`` and ``userId`` also links them
      (``"event"``). One link per distinct pair and type (first observation).
    * ``options.identifiers`` (``{key: identifier type}``, default empty, e.g.
      ``{ crm_id = "crm_contact_id", work_email = "email" }``) names keys of
      ``traits``, ``properties`` and ``context.traits`` that carry an
      identifier, on any call: each value is normalized (e-mails and phones
      SHA-256 hashed; a 64-hex SHA-256 digest is kept, not hashed again) and
      linked from the call's ``anonymousId`` and ``userId`` (link type
      ``"trait"`` for traits and context traits, ``"property"`` for
      properties); placeholders and invalid values are quarantined as
      ``"placeholder identifier value"`` / ``"invalid <type> identifier
      value"`` (the call is kept). See :mod:`workbench.ingest.readers._identifier_params`.
    * ``group`` calls are counted (``files[...]["group_calls"]``), not used.

Sessions
    ``page``, ``screen`` and ``track`` calls are sessionized per ``anonymousId``
    into one ``session`` touch per session (30 minutes of inactivity, a new
    campaign or an external ``context.page.referrer`` start a new session;
    source/medium/campaign from ``context.campaign``, the landing URL's UTM
    tags or click ids, or the referrer), grouped into channels exactly like
    GA4 sessions; see :mod:`workbench.ingest.readers._segment_sessions`. Every touch
    and conversion carries its call's ``session_id``.

Options (``[sources.options]``): ``conversion_events``, ``touch_events``,
``identifiers`` (above), ``sessions`` (true; false: no ``session`` touches),
``session_timeout_minutes`` (30), ``phone_region`` ("US").

Touches carry ``traffic_source`` / ``traffic_medium`` / ``campaign`` from
``context.campaign`` (``source``/``medium``/``name``), else from the page URL's
``utm_*`` parameters, click ids from the page URL, ``anonymous_id``,
``user_id`` and the hashed ``context.traits.email``. ``channel`` / ``platform``
come from the source config (missing by default). ``timestamp`` (ISO 8601 with
offset; ``originalTimestamp`` when missing) is converted to UTC; naive values
are in the source's ``timezone``.

Quarantine reasons: ``"unparseable JSON"``, ``"duplicate event"`` (identical
line, or a repeated ``messageId``), ``"unknown Segment call type"``, plus the
canonical row rules.
"""

from __future__ import annotations

import functools
import re
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import (
    bool_option,
    clean_ids,
    click_ids,
    email_domain,
    email_hash,
    finish,
    first_links,
    mapping_option,
    phone_hash,
    relative_name,
    source_files,
    url_param,
    url_path,
)
from workbench.ingest.readers._identifier_params import identifier_links, identifiers_option
from workbench.ingest.readers._jsonl import (
    Mode,
    find_duplicates,
    quarantine_duplicates,
    quote_numbers_fix,
    read_json_lines,
    text_column,
)
from workbench.ingest.readers._segment_sessions import sessionize
from workbench.ingest.readers.base import ReadResult, register
from workbench.schema import (
    CAMPAIGN,
    CHANNEL,
    CLICK_ID_TYPES,
    CONVERSION_ID,
    CONVERSION_TYPE,
    CURRENCY,
    PLATFORM,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    TOUCH_TYPE,
    TS,
    VALUE,
)
from workbench.timestamps import parse_timestamps

__all__ = [
    "DEFAULT_CONVERSION_EVENTS",
    "call_columns",
    "call_modes",
    "calls_frame",
    "drop_repeated_calls",
    "read_segment",
    "segment_from_calls",
]

#: Default ``options.conversion_events``: track event name -> conversion type.
DEFAULT_CONVERSION_EVENTS: dict[str, str] = {
    "Order Completed": "purchase",
    "Signed Up": "signup",
}
_CALL_TYPES = ("page", "screen", "track", "identify", "alias", "group")
_FORM_SUBMIT = r"(?i)form.*submit"
_LOOSE = (
    "timestamp",
    "originalTimestamp",
    "userId",
    "anonymousId",
    "previousId",
    "messageId",
    "order_id",
    "orderId",
    "phone",
    "revenue",
    "value",
    "total",
)


#: Object-valued keys that serializers without a JSON object type (PHP's
#: ``json_encode`` of an empty array) write as ``[]`` when empty.
_EMPTY_ARRAY = re.compile(rb'"(properties|traits|context|campaign|page)":(\s*)\[\s*\]')


def _empty_arrays_fix(data: bytes) -> bytes:
    """``"properties": []`` -> ``"properties": null``: an empty object written as an array.

    Without it the call fails the schema and is quarantined as unparseable JSON.
    """
    return _EMPTY_ARRAY.sub(rb'"\1":\2null', data) if b"[" in data else data


def _schema(numbers: pa.DataType, identifiers: tuple[str, ...] = ()) -> pa.Schema:
    text = pa.string()
    page = pa.struct([("url", text), ("path", text), ("referrer", text), ("title", text)])
    contact_fields = [("email", text), ("phone", text)]
    contact_fields += [(k, text) for k in identifiers if k not in ("email", "phone")]
    contact = pa.struct(contact_fields)
    props = [
        ("revenue", numbers),
        ("value", numbers),
        ("total", numbers),
        ("currency", text),
        ("order_id", text),
        ("orderId", text),
        ("url", text),
        ("path", text),
        ("referrer", text),
    ]
    props += [(k, text) for k in identifiers if k not in {name for name, _ in props}]
    context = [
        ("campaign", pa.struct([(k, text) for k in ("source", "medium", "name")])),
        ("page", page),
        ("traits", contact),
    ]
    fields = [
        (k, text)
        for k in (
            "type",
            "event",
            "name",
            "userId",
            "anonymousId",
            "previousId",
            "messageId",
            "timestamp",
            "originalTimestamp",
        )
    ]
    fields += [
        ("properties", pa.struct(props)),
        ("traits", contact),
        ("context", pa.struct(context)),
    ]
    return pa.schema(fields)


@functools.cache
def call_modes(identifiers: tuple[str, ...] = ()) -> tuple[Mode, ...]:
    """Parse modes: as specified; everything loosely typed as text.

    ``identifiers`` (``options.identifiers`` keys) are read as text from
    ``traits``, ``properties`` and ``context.traits``.
    """
    quote = quote_numbers_fix((*_LOOSE, *identifiers))

    def fix(data: bytes) -> bytes:
        return _empty_arrays_fix(quote(data))

    return (
        Mode(_schema(pa.float64(), identifiers)),
        Mode(_schema(pa.string(), identifiers), fix),
    )


#: Parse modes without identifier keys (see :func:`call_modes`).
MODES: tuple[Mode, ...] = call_modes()
#: Where ``options.identifiers`` keys are looked up: column prefix -> (path, link type).
_IDENTIFIER_PLACES: dict[str, tuple[tuple[str, ...], str]] = {
    "ident_traits": (("traits",), "trait"),
    "ident_props": (("properties",), "property"),
    "ident_ctx": (("context", "traits"), "trait"),
}

_COLUMNS = {
    "type": ("type",),
    "event": ("event",),
    "name": ("name",),
    "user_id": ("userId",),
    "anonymous_id": ("anonymousId",),
    "previous_id": ("previousId",),
    "message_id": ("messageId",),
    "timestamp": ("timestamp",),
    "original_timestamp": ("originalTimestamp",),
    "revenue": ("properties", "revenue"),
    "value": ("properties", "value"),
    "total": ("properties", "total"),
    "currency": ("properties", "currency"),
    "order_id": ("properties", "order_id"),
    "order_id2": ("properties", "orderId"),
    "prop_url": ("properties", "url"),
    "prop_path": ("properties", "path"),
    "prop_referrer": ("properties", "referrer"),
    "trait_email": ("traits", "email"),
    "trait_phone": ("traits", "phone"),
    "ctx_source": ("context", "campaign", "source"),
    "ctx_medium": ("context", "campaign", "medium"),
    "ctx_campaign": ("context", "campaign", "name"),
    "ctx_url": ("context", "page", "url"),
    "ctx_path": ("context", "page", "path"),
    "ctx_referrer": ("context", "page", "referrer"),
    "ctx_email": ("context", "traits", "email"),
    "ctx_phone": ("context", "traits", "phone"),
}


def call_columns(table: pa.Table, identifiers: tuple[str, ...] = ()) -> dict[str, pd.Series]:
    """The flat text columns of parsed Segment calls (``options.identifiers`` keys included)."""
    columns = dict(_COLUMNS)
    for prefix, (place, _) in _IDENTIFIER_PLACES.items():
        columns.update({f"{prefix}.{k}": (*place, k) for k in identifiers})
    n = table.num_rows
    return {k: text_column(table, p, n) for k, p in columns.items()}


def calls_frame(
    columns: dict[str, pd.Series], file: str, rows: np.ndarray, hashes: np.ndarray
) -> pd.DataFrame:
    """One file's calls: the :func:`call_columns`, its name, line numbers and line hashes."""
    frame = pd.DataFrame(columns)
    frame[SOURCE_FILE] = file
    frame[SOURCE_ROW] = rows
    frame["_hash"] = hashes
    return frame


def drop_repeated_calls(
    frames: list[pd.DataFrame],
    files: list[dict],
    quarantine: Quarantine,
    source: str,
) -> pd.DataFrame:
    """The calls of every file (:func:`calls_frame`) without lines repeated across files.

    Each repeat is quarantined as ``"duplicate event"``; ``files`` get it in
    ``duplicates``.
    """
    calls = pd.concat(frames, ignore_index=True)
    names = calls[SOURCE_FILE].to_numpy(dtype=object)
    rows = calls[SOURCE_ROW].to_numpy()
    repeat, values = find_duplicates(calls["_hash"].to_numpy(), rows, names)
    quarantine_duplicates(quarantine, names[repeat], rows[repeat], values, source=source)
    counts = calls.loc[repeat, SOURCE_FILE].value_counts()
    for info in files:
        info["duplicates"] = int(cast(int, info["duplicates"])) + int(counts.get(info["file"], 0))
    return calls.loc[~repeat].drop(columns="_hash").reset_index(drop=True)


def _load(
    source: SourceConfig, quarantine: Quarantine, identifiers: tuple[str, ...]
) -> tuple[pd.DataFrame, list[dict]]:
    frames, files = [], []
    for path in source_files(source):
        file = relative_name(path, source.base_dir)
        lines = read_json_lines(
            path,
            modes=call_modes(identifiers),
            quarantine=quarantine,
            source=source.name,
            file=file,
        )
        columns = call_columns(lines.table, identifiers)
        frames.append(calls_frame(columns, file, lines.rows, lines.hashes))
        files.append(
            {
                "file": file,
                "rows": lines.lines,
                "duplicates": lines.duplicates,
                "malformed": lines.malformed,
            }
        )
    return drop_repeated_calls(frames, files, quarantine, source.name), files


def _prepare(calls: pd.DataFrame, source: SourceConfig, quarantine: Quarantine) -> pd.DataFrame:
    calls = calls.copy()
    calls["type"] = calls["type"].str.strip().str.lower()
    unknown = ~calls["type"].isin(_CALL_TYPES).fillna(False)
    quarantine.add(
        calls, unknown, reason="unknown Segment call type", source=source.name, column="type"
    )
    calls = calls.loc[~unknown]
    repeat = calls["message_id"].notna() & calls.duplicated("message_id")
    quarantine.add(
        calls,
        repeat,
        reason="duplicate event",
        source=source.name,
        column="messageId",
        values="same messageId " + calls["message_id"],
    )
    calls = calls.loc[~repeat].reset_index(drop=True)
    raw_ts = calls["timestamp"].fillna(calls["original_timestamp"])
    calls[TS] = parse_timestamps(raw_ts, timezone=source.timezone, fmt=source.ts_format)
    bad_ts = calls[TS].isna()
    quarantine.add(
        calls,
        bad_ts,
        reason="unparseable or missing timestamp",
        source=source.name,
        column="timestamp",
        values=raw_ts,
    )
    calls = calls.loc[~bad_ts].reset_index(drop=True)
    calls["anonymous_id"] = clean_ids(calls["anonymous_id"])
    calls["user_id"] = clean_ids(calls["user_id"])
    calls["email"] = email_hash(calls["trait_email"].fillna(calls["ctx_email"]))
    calls["email_domain"] = email_domain(calls["trait_email"].fillna(calls["ctx_email"]))
    calls["phone"] = phone_hash(calls["trait_phone"].fillna(calls["ctx_phone"]), source)
    calls[SOURCE] = source.name
    return calls


def _touch_types(calls: pd.DataFrame, touch_events: dict[str, str]) -> pd.Series:
    """Touch type of each call (missing for calls that are not touches)."""
    event = calls["event"]
    touch_type = event.map(touch_events).astype("string")
    form = event.str.contains(_FORM_SUBMIT, regex=True, na=False)
    touch_type = touch_type.mask(touch_type.isna() & form, "form_submit")
    touch_type = touch_type.where(calls["type"] == "track")
    return touch_type.mask(calls["type"].isin(["page", "screen"]), "pageview")


def _touches(calls: pd.DataFrame, touch_type: pd.Series) -> pd.DataFrame:
    t = calls.loc[touch_type.notna()]
    url = t["ctx_url"].fillna(t["prop_url"])
    path = t["ctx_path"].fillna(t["prop_path"]).fillna(url_path(url))
    screen = t["type"] == "screen"
    out = pd.DataFrame(
        {
            TS: t[TS],
            TOUCH_TYPE: touch_type[t.index],
            "page": path.mask(screen, t["name"]),
            "event_name": t["event"].fillna(t["name"]).fillna(t["type"]),
            "anonymous_id": t["anonymous_id"],
            "user_id": t["user_id"],
            "email": t["email"],
            "session_id": t["session_id"],
            "email_domain": t["email_domain"],
            SOURCE: t[SOURCE],
            SOURCE_FILE: t[SOURCE_FILE],
            SOURCE_ROW: t[SOURCE_ROW],
        }
    )
    has_ctx = t["ctx_source"].notna() | t["ctx_medium"].notna() | t["ctx_campaign"].notna()
    for col, ctx, utm in (
        ("traffic_source", "ctx_source", "utm_source"),
        ("traffic_medium", "ctx_medium", "utm_medium"),
        (CAMPAIGN, "ctx_campaign", "utm_campaign"),
    ):
        out[col] = t[ctx].where(has_ctx, url_param(url, utm))
    out[list(CLICK_ID_TYPES)] = click_ids(url)[list(CLICK_ID_TYPES)]
    return out


def _conversions(calls: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    c = calls.loc[(calls["type"] == "track").fillna(False) & calls["event"].isin(list(mapping))]
    value = pd.Series(np.nan, index=c.index, dtype="float64")
    for col in ("revenue", "value", "total"):
        value = value.fillna(pd.to_numeric(c[col], errors="coerce").astype("float64"))
    return pd.DataFrame(
        {
            TS: c[TS],
            CONVERSION_TYPE: c["event"].map(mapping).astype("string"),
            VALUE: value,
            CURRENCY: c["currency"].str.upper(),
            CONVERSION_ID: c["order_id"].fillna(c["order_id2"]),
            "anonymous_id": c["anonymous_id"],
            "user_id": c["user_id"],
            "email": c["email"],
            "session_id": c["session_id"],
            "email_domain": c["email_domain"],
            "event_name": c["event"],
            SOURCE: c[SOURCE],
            SOURCE_FILE: c[SOURCE_FILE],
            SOURCE_ROW: c[SOURCE_ROW],
        }
    )


def _pairs(calls: pd.DataFrame, a: str, a_col: str, b: str, b_col: str, link: str) -> pd.DataFrame:
    sub = calls.loc[calls[a_col].notna() & calls[b_col].notna()]
    return pd.DataFrame(
        {
            TS: sub[TS],
            "id_type_a": a,
            "id_value_a": sub[a_col],
            "id_type_b": b,
            "id_value_b": sub[b_col],
            "link_type": link,
            SOURCE: sub[SOURCE],
            SOURCE_FILE: sub[SOURCE_FILE],
            SOURCE_ROW: sub[SOURCE_ROW],
            "email_domain": sub["email_domain"],
        }
    )


def _links(calls: pd.DataFrame) -> pd.DataFrame:
    identify = calls.loc[calls["type"] == "identify"].copy()
    identify["person"] = identify["user_id"].fillna(identify["anonymous_id"])
    identify["person_type"] = np.where(identify["user_id"].notna(), "user_id", "anonymous_id")
    parts = [_pairs(identify, "anonymous_id", "anonymous_id", "user_id", "user_id", "identify")]
    for kind in ("user_id", "anonymous_id"):
        who = identify.loc[identify["person_type"] == kind]
        for id_type in ("email", "phone"):
            parts.append(_pairs(who, kind, "person", id_type, id_type, "identify"))
    alias = calls.loc[calls["type"] == "alias"].copy()
    alias["previous"] = clean_ids(alias["previous_id"])
    parts.append(_pairs(alias, "anonymous_id", "previous", "user_id", "user_id", "alias"))
    others = calls.loc[~calls["type"].isin(["identify", "alias"])]
    parts.append(_pairs(others, "anonymous_id", "anonymous_id", "user_id", "user_id", "event"))
    return first_links(pd.concat(parts, ignore_index=True))


@register(
    "segment",
    options=(
        "conversion_events",
        "touch_events",
        "identifiers",
        "sessions",
        "session_timeout_minutes",
    ),
    columns=False,
)
def read_segment(source: SourceConfig) -> ReadResult:
    """Read Segment-spec JSON lines; see the module docs for what each call becomes."""
    quarantine = Quarantine()
    calls, files = _load(source, quarantine, tuple(identifiers_option(source)))
    return segment_from_calls(source, calls, files, quarantine)


def segment_from_calls(
    source: SourceConfig,
    calls: pd.DataFrame,
    files: list[dict],
    quarantine: Quarantine,
) -> ReadResult:
    """The Segment tables from the flat, de-duplicated calls of every file.

    ``calls`` as :func:`drop_repeated_calls` returns them (file order, then
    line); both engines call this after reading.
    """
    conversion_events = mapping_option(source, "conversion_events", DEFAULT_CONVERSION_EVENTS)
    touch_events = mapping_option(source, "touch_events", {})
    identifiers = identifiers_option(source)
    want_sessions = bool_option(source, "sessions", True)
    timeout = float(source.options.get("session_timeout_minutes", 30))
    calls = _prepare(calls, source, quarantine)
    session_touches, calls["session_id"] = sessionize(calls, timeout_minutes=timeout)
    touch_type = _touch_types(calls, touch_events)
    touches = _touches(calls, touch_type)
    if want_sessions:
        touches = pd.concat([session_touches, touches], ignore_index=True)
    touches[CHANNEL] = source.channel
    touches[PLATFORM] = source.platform
    not_touch = (calls["type"] == "track") & touch_type.isna()
    group = calls["type"] == "group"
    for info in files:
        mine = calls[SOURCE_FILE] == info["file"]
        info["track_not_touch"] = int((mine & not_touch).sum())
        info["group_calls"] = int((mine & group).sum())
    return finish(
        source,
        quarantine,
        touchpoints=touches,
        conversions=_conversions(calls, conversion_events),
        identity_links=pd.concat(
            [
                _links(calls),
                identifier_links(
                    calls,
                    identifiers,
                    places={
                        k: (".".join(path), kind) for k, (path, kind) in _IDENTIFIER_PLACES.items()
                    },
                    anchors={"anonymous_id": "anonymous_id", "user_id": "user_id"},
                    quarantine=quarantine,
                    source=source,
                ),
            ],
            ignore_index=True,
        ),
        files=files,
    )
