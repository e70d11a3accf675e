"""GA4 BigQuery export (``format = "ga4"``): sessions, page views, conversions, id links.

Files: NDJSON (``*.ndjson``, ``*.json``, optionally ``.gz``) or Parquet
(``*.parquet``), same nested schema; see :mod:`workbench.ingest.readers._ga4_events`.
A Parquet file may also hold large or dictionary-encoded strings, a ``timestamp``
``event_timestamp`` (naive = UTC) and null-typed columns (``list<null>`` for a
list that was always empty): all read as the BigQuery types would be.

Touchpoints
    * one ``session`` touch per session, keyed by (``user_pseudo_id``,
      ``ga_session_id``); ``session_id`` = ``"<user_pseudo_id>:<ga_session_id>"``.
      Events without ``ga_session_id`` (old Firebase app exports) are grouped
      per user into sessions that start at ``session_start`` or after
      ``options.session_timeout_minutes`` (30) of inactivity, id ``~<start unix s>``.
      ``ts`` = the session's first event. ``traffic_source`` / ``traffic_medium``
      / ``campaign`` come, as a triple, from the first informative of:
      ``session_traffic_source_last_click.cross_channel_campaign`` (``source``,
      ``medium``, ``campaign_name``, else ``google_ads_campaign.campaign_name``:
      GA4's own session attribution, in newer exports);
      ``session_traffic_source_last_click.manual_campaign``;
      ``collected_traffic_source.manual_*``; the ``source``/``medium``/
      ``campaign`` event parameters (set on ``session_start``); the landing
      page's ``utm_*`` parameters. Obfuscated placeholders (``(data deleted)``,
      ``<Other>``, ``(not set)``) count as uninformative but are kept when
      nothing better exists. Click ids (``gclid``, ``gbraid``, ``wbraid``,
      ``fbclid``, ``li_fat_id``, ``msclkid``, ``ttclid``) come from
      ``collected_traffic_source.gclid`` and the landing page URL. ``page`` is
      the landing path (app streams: the first ``firebase_screen_class``).
    * one ``pageview`` touch per ``page_view`` / ``screen_view`` event
      (``options.pageviews = false`` to skip), with the page path (or screen
      class) and the session's traffic source, medium and campaign.
    * every touch carries ``anonymous_id`` (= ``user_pseudo_id``), ``user_id``
      (placeholders blanked), ``device_category``, ``event_name`` and the
      user's first-touch acquisition from the ``traffic_source`` struct as
      extra columns ``first_touch_source``, ``first_touch_medium``,
      ``first_touch_campaign``. ``channel`` and ``platform`` stay missing
      (channel grouping fills them) unless the source config sets them.
    * ``ga4_channel_group``: Google's own session channel group,
      ``session_traffic_source_last_click.cross_channel_campaign.default_channel_group``
      (missing in older exports); :func:`workbench.ingest.channels.assign_channels`
      prefers it over recomputing the default channel group (the project's
      ``[[channel_rules]]`` still come first).

Conversions
    One row per event named in ``options.conversion_events`` (default
    ``{generate_lead = "lead", sign_up = "signup", purchase = "purchase"}``):
    ``value`` = ``ecommerce.purchase_revenue``, else the ``value`` parameter;
    ``currency`` parameter; ``conversion_id`` = ``ecommerce.transaction_id``,
    else the ``transaction_id`` parameter. Extra columns ``session_id`` and
    ``event_name``. A repeated (conversion type, conversion id) is quarantined
    as ``"duplicate transaction id"``.

Identity links
    ``anonymous_id`` <-> ``user_id`` whenever an event carries both
    (``link_type`` ``"login"`` for ``login`` events, else ``"event"``), and
    ``anonymous_id`` <-> each click id of a session (``"event"``); one row per
    distinct pair and link type, at its first observation.
    ``options.identifiers`` (``{key: identifier type}``, default empty, e.g.
    ``{ email_sha256 = "email", crm_id = "crm_contact_id" }``) names
    ``event_params`` and ``user_properties`` keys that carry an identifier:
    each value is normalized (e-mails and phones SHA-256 hashed; a value that
    already is a 64-hex SHA-256 digest is kept, not hashed again) and linked
    from the event's ``anonymous_id`` and ``user_id`` (link types
    ``"event_param"`` / ``"user_property"``); see
    :mod:`workbench.ingest.readers._identifier_params`.

Options (``[sources.options]``): ``conversion_events``, ``pageviews``,
``session_timeout_minutes``, ``identifiers``, ``phone_region`` (phones in
``identifiers`` without a country code; default ``"US"``).

Quarantine reasons: ``"unparseable JSON"``, ``"duplicate event"`` (identical
line / Parquet row), ``"unparseable or missing timestamp"``, ``"event_timestamp
not in microseconds"`` (seconds or milliseconds since 1970), ``"event_timestamp 0
or negative"``, ``"timestamp before min_date"`` / ``"timestamp in the future
(beyond max_future_days)"`` (see :mod:`workbench.ingest.readers._guards`), ``"missing
every identifier"``, ``"duplicate transaction id"``, and for values of
``options.identifiers`` keys ``"placeholder identifier value"`` / ``"invalid
<type> identifier value"`` (column ``event_params.<key>`` or
``user_properties.<key>``; the event itself is kept).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import (
    bool_option,
    clean_ids,
    click_ids,
    finish,
    first_links,
    mapping_option,
    relative_name,
    source_files,
    url_param,
    url_path,
)
from workbench.ingest.readers._ga4_events import LAST_CLICK, load_events
from workbench.ingest.readers._ga4_sessions import (
    SESSION_KEY_COLUMNS,
    _distinct_urls,
    _first_valid,
    _informative,
    _per_url,
    _pick_triple,
    session_keys,
    take_columns,
    user_key,
)
from workbench.ingest.readers._identifier_params import identifier_links, identifiers_option
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

__all__ = [
    "DEFAULT_CONVERSION_EVENTS",
    "PAGEVIEW_EVENTS",
    "SESSION_KEY_COLUMNS",
    "ga4_from_events",
    "read_ga4",
    "session_keys",
    "user_key",
]

#: Default ``options.conversion_events``: GA4 event name -> conversion type.
DEFAULT_CONVERSION_EVENTS: dict[str, str] = {
    "generate_lead": "lead",
    "sign_up": "signup",
    "purchase": "purchase",
}
#: Events that become ``pageview`` touches.
PAGEVIEW_EVENTS: tuple[str, ...] = ("page_view", "screen_view")

_UTM = ("source", "medium", "campaign")
#: Where ``options.identifiers`` keys are read: column prefix -> (origin, link type).
_IDENTIFIER_PLACES = {
    "ident_param": ("event_params", "event_param"),
    "ident_user": ("user_properties", "user_property"),
}
_LAST_CLICK = tuple(f"last_click.{r}.{f}" for r, fields in LAST_CLICK.items() for f in fields)
_FIRST_TOUCH = {
    "first_touch_source": "traffic_source.source",
    "first_touch_medium": "traffic_source.medium",
    "first_touch_campaign": "traffic_source.name",
}


#: Event columns only sessions read.
_SESSION_ONLY = (
    "collected_traffic_source.manual_source",
    "collected_traffic_source.manual_medium",
    "collected_traffic_source.manual_campaign_name",
    "collected_traffic_source.gclid",
    "source",
    "medium",
    "campaign",
    *_LAST_CLICK,
)


def _sessions(
    events: pd.DataFrame, rows: np.ndarray, session_pos: np.ndarray, session_ids: pd.Series
) -> pd.DataFrame:
    """One row per session.

    ``rows``: the usable events of ``events`` by session and time;
    ``session_pos`` and ``session_ids``: the session of each of them.
    """
    cols = [
        TS,
        SOURCE_FILE,
        SOURCE_ROW,
        "user_pseudo_id",
        "user_id",
        "device.category",
        "page_location",
        "firebase_screen_class",
        *_SESSION_ONLY,
        *_FIRST_TOUCH.values(),
    ]
    # TS, file and row are never missing, so they are the session's first event's
    s = _first_valid(events[cols], session_pos, rows)
    starts = np.flatnonzero(np.r_[True, session_pos[1:] != session_pos[:-1]])
    s.insert(0, "session_id", session_ids.iloc[starts].reset_index(drop=True))
    landing = s["page_location"]
    pages = _distinct_urls(landing)  # factorized once for the five parses of the landing page
    utm = [_per_url(lambda u, k=k: url_param(u, f"utm_{k}"), landing, pages) for k in _UTM]
    cts = "collected_traffic_source."
    lc = "last_click."
    src, med, camp = _pick_triple(
        [
            (
                s[lc + "cross_channel_campaign.source"],
                s[lc + "cross_channel_campaign.medium"],
                s[lc + "cross_channel_campaign.campaign_name"].fillna(
                    s[lc + "google_ads_campaign.campaign_name"]
                ),
            ),
            (
                s[lc + "manual_campaign.source"],
                s[lc + "manual_campaign.medium"],
                s[lc + "manual_campaign.campaign_name"],
            ),
            (s[cts + "manual_source"], s[cts + "manual_medium"], s[cts + "manual_campaign_name"]),
            (s["source"], s["medium"], s["campaign"]),
            (utm[0], utm[1], utm[2]),
        ]
    )
    out = pd.DataFrame(
        {
            TS: s[TS],
            TOUCH_TYPE: "session",
            CAMPAIGN: camp,
            "traffic_source": src,
            "traffic_medium": med,
            "ga4_channel_group": s[lc + "cross_channel_campaign.default_channel_group"].where(
                _informative(s[lc + "cross_channel_campaign.default_channel_group"])
            ),
            "session_id": s["session_id"],
            "page": _per_url(url_path, landing, pages).fillna(s["firebase_screen_class"]),
            "event_name": "session_start",
            "device_category": s["device.category"],
            "anonymous_id": s["user_pseudo_id"],
            "user_id": s["user_id"],
            SOURCE_FILE: s[SOURCE_FILE],
            SOURCE_ROW: s[SOURCE_ROW],
        }
    )
    clicks = _per_url(click_ids, landing, pages)
    clicks["gclid"] = clean_ids(s[cts + "gclid"]).fillna(clicks["gclid"])
    out[list(CLICK_ID_TYPES)] = clicks[list(CLICK_ID_TYPES)]
    for name, col in _FIRST_TOUCH.items():
        out[name] = s[col]
    return out


def _pageviews(
    views: pd.DataFrame, sessions: pd.DataFrame, session_pos: np.ndarray
) -> pd.DataFrame:
    """Page/screen views from ``views`` (the page/screen view events, selected by the caller).

    ``session_pos`` is each view's row in ``sessions``.
    """
    out = pd.DataFrame(
        {
            TS: views[TS],
            TOUCH_TYPE: "pageview",
            "session_id": views["session_id"],
            "page": _per_url(url_path, views["page_location"]).fillna(
                views["firebase_screen_class"]
            ),
            "event_name": views["event_name"],
            "device_category": views["device.category"],
            "anonymous_id": views["user_pseudo_id"],
            "user_id": views["user_id"],
            SOURCE_FILE: views[SOURCE_FILE],
            SOURCE_ROW: views[SOURCE_ROW],
        }
    )
    at = session_pos
    for col in (CAMPAIGN, "traffic_source", "traffic_medium", "ga4_channel_group"):
        values = sessions[col].astype("string").array.take(at)
        out[col] = pd.Series(values, index=out.index, dtype="string")
    for name, col in _FIRST_TOUCH.items():
        out[name] = views[col]
    return out.reset_index(drop=True)


def _conversions(
    conv: pd.DataFrame, mapping: dict[str, str], quarantine: Quarantine, source: str
) -> pd.DataFrame:
    """Conversions from ``conv``: the events whose name ``mapping`` lists (selected by the caller)."""
    out = pd.DataFrame(
        {
            TS: conv[TS],
            CONVERSION_TYPE: conv["event_name"].map(mapping).astype("string"),
            VALUE: conv["purchase_revenue"].fillna(conv["param_value"]),
            CURRENCY: conv["currency"].str.upper(),
            CONVERSION_ID: clean_ids(conv["ecommerce_transaction_id"]).fillna(
                clean_ids(conv["transaction_id"])
            ),
            "anonymous_id": conv["user_pseudo_id"],
            "user_id": conv["user_id"],
            "session_id": conv["session_id"],
            "event_name": conv["event_name"],
            SOURCE_FILE: conv[SOURCE_FILE],
            SOURCE_ROW: conv[SOURCE_ROW],
        }
    ).reset_index(drop=True)
    repeat = out.duplicated([CONVERSION_TYPE, CONVERSION_ID]) & out[CONVERSION_ID].notna()
    quarantine.add(
        out, repeat, reason="duplicate transaction id", source=source, column=CONVERSION_ID
    )
    return out.loc[~repeat]


def _links(ev: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """User-id links of ``ev`` (the events with both ids, selected by the caller) and click ids."""
    user_links = pd.DataFrame(
        {
            TS: ev[TS],
            "id_type_a": "anonymous_id",
            "id_value_a": ev["user_pseudo_id"],
            "id_type_b": "user_id",
            "id_value_b": ev["user_id"],
            "link_type": np.where(ev["event_name"].eq("login").fillna(False), "login", "event"),
            SOURCE_FILE: ev[SOURCE_FILE],
            SOURCE_ROW: ev[SOURCE_ROW],
        }
    )
    parts = [user_links]
    for click in CLICK_ID_TYPES:
        sub = sessions.loc[sessions["anonymous_id"].notna() & sessions[click].notna()]
        parts.append(
            pd.DataFrame(
                {
                    TS: sub[TS],
                    "id_type_a": "anonymous_id",
                    "id_value_a": sub["anonymous_id"],
                    "id_type_b": click,
                    "id_value_b": sub[click],
                    "link_type": "event",
                    SOURCE_FILE: sub[SOURCE_FILE],
                    SOURCE_ROW: sub[SOURCE_ROW],
                }
            )
        )
    return first_links(pd.concat(parts, ignore_index=True))


#: The event columns page views, conversions and user links read (in session order).
_PAGEVIEW_COLUMNS = (
    TS,
    "event_name",
    "page_location",
    "firebase_screen_class",
    "device.category",
    "user_pseudo_id",
    "user_id",
    SOURCE_FILE,
    SOURCE_ROW,
    *_FIRST_TOUCH.values(),
)
_CONVERSION_COLUMNS = (
    TS,
    "event_name",
    "purchase_revenue",
    "param_value",
    "currency",
    "ecommerce_transaction_id",
    "transaction_id",
    "user_pseudo_id",
    "user_id",
    SOURCE_FILE,
    SOURCE_ROW,
)
_LINK_COLUMNS = (TS, "event_name", "user_pseudo_id", "user_id", SOURCE_FILE, SOURCE_ROW)


class _InOrder:
    """The usable events in session order, taken only for the rows and columns a table reads.

    ``rows``: the usable events of ``events`` by session and time; ``session_ids``:
    the session of each of them. Copying the whole frame in that order took longer
    than everything the page views, conversions and links do with it.
    """

    def __init__(self, events: pd.DataFrame, rows: np.ndarray, session_ids: pd.Series) -> None:
        self.events, self.rows, self.session_ids = events, rows, session_ids

    def mask(self, selected: pd.Series) -> np.ndarray:
        """``selected`` (per event of ``events``), per usable event in session order."""
        return selected.fillna(False).to_numpy(dtype=bool)[self.rows]

    def take(self, mask: np.ndarray | None, columns: Sequence[str]) -> pd.DataFrame:
        """The ``columns`` and ``session_id`` of the usable events in ``mask`` (all if None)."""
        at = self.rows if mask is None else self.rows[mask]
        out = take_columns({name: (self.events[name], at) for name in columns})
        ids = self.session_ids if mask is None else self.session_ids[mask]
        out["session_id"] = ids.reset_index(drop=True)
        return out


def _usable(events: pd.DataFrame, quarantine: Quarantine, source: SourceConfig) -> np.ndarray:
    """Mask of events with a plausible timestamp and an identifier; quarantine the others."""
    plausible = _plausible_times(events, quarantine, source)
    no_ts = events[TS].isna() & plausible
    quarantine.add(
        events,
        no_ts,
        reason="unparseable or missing timestamp",
        source=source.name,
        column="event_timestamp",
        values=events["event_name"],
    )
    no_id = plausible & ~no_ts & events["user_pseudo_id"].isna() & events["user_id"].isna()
    quarantine.add(
        events,
        no_id,
        reason="missing every identifier",
        source=source.name,
        column="user_pseudo_id",
    )
    return (plausible & ~(no_ts | no_id)).to_numpy(dtype=bool)


def _plausible_times(
    events: pd.DataFrame, quarantine: Quarantine, source: SourceConfig
) -> pd.Series:
    """False for events whose ``event_timestamp`` is unusable.

    That is: it has the wrong unit, is 0/-1, or lies outside the plausible window (each quarantined with its own reason).
    """
    from workbench.ingest.readers._guards import (
        REASON_EPOCH_PLACEHOLDER,
        REASON_EPOCH_UNIT,
        epoch_unit_problems,
        plausible_rows,
    )

    wrong, placeholder, shown = epoch_unit_problems(events["event_timestamp"])
    for mask, reason in ((wrong, REASON_EPOCH_UNIT), (placeholder, REASON_EPOCH_PLACEHOLDER)):
        quarantine.add(
            events, mask, reason=reason, source=source.name, column="event_timestamp", values=shown
        )
    bad = wrong | placeholder
    considered = ~bad & events[TS].notna().to_numpy()
    rest = plausible_rows(events.loc[considered], TS, source, quarantine)
    dropped = considered & ~events.index.isin(rest.index)
    return pd.Series(~(bad | dropped), index=events.index)


@register(
    "ga4",
    options=("conversion_events", "pageviews", "session_timeout_minutes", "identifiers"),
    columns=False,
)
def read_ga4(source: SourceConfig) -> ReadResult:
    """Read a GA4 BigQuery export source (NDJSON or Parquet files); see the module docs."""
    quarantine = Quarantine()
    paths = [(p, relative_name(p, source.base_dir)) for p in source_files(source)]
    identifiers = tuple(identifiers_option(source))
    events, files = load_events(paths, quarantine, source.name, identifiers=identifiers)
    return ga4_from_events(source, events, files, quarantine)


def ga4_from_events(
    source: SourceConfig,
    events: pd.DataFrame,
    files: list[dict[str, object]],
    quarantine: Quarantine,
) -> ReadResult:
    """The GA4 tables from the flat, de-duplicated events of every file.

    ``events`` as :func:`workbench.ingest.readers._ga4_events.load_events` returns
    them (file order, then line); both engines call this after reading.
    """
    mapping = mapping_option(source, "conversion_events", DEFAULT_CONVERSION_EVENTS)
    identifiers = identifiers_option(source)
    want_pageviews = bool_option(source, "pageviews", True)
    timeout = float(source.options.get("session_timeout_minutes", 30))
    usable = _usable(events, quarantine, source)
    events = events.drop(columns="event_timestamp")  # checked; the times are in TS
    warnings: list[str] = []
    if not usable.any():
        return finish(source, quarantine, files=files)
    kept = events.loc[usable, list(SESSION_KEY_COLUMNS)]
    session_ids, n_derived = session_keys(kept, timeout)
    if n_derived:
        warnings.append(
            f"{source.name}: {n_derived} events have no ga_session_id; their sessions were "
            f"derived from session_start events and {timeout:g}-minute inactivity"
        )
    codes = pd.factorize(session_ids)[0]
    times = kept[TS].to_numpy(dtype="datetime64[us]")
    order = np.lexsort((kept[SOURCE_ROW].to_numpy(), times, codes))
    del kept
    rows = np.flatnonzero(usable)[order]  # the usable events by session, time, line
    sorted_ids = session_ids.iloc[order].reset_index(drop=True)
    sorted_codes = codes[order]
    session_pos = np.cumsum(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]) - 1
    sessions = _sessions(events, rows, session_pos, sorted_ids)
    in_order = _InOrder(events, rows, sorted_ids)
    touches = [sessions]
    if want_pageviews:
        views = in_order.mask(events["event_name"].isin(PAGEVIEW_EVENTS))
        touches.append(
            _pageviews(in_order.take(views, _PAGEVIEW_COLUMNS), sessions, session_pos[views])
        )
    touchpoints = pd.concat(touches, ignore_index=True)
    for name, value in ((CHANNEL, source.channel), (PLATFORM, source.platform)):
        touchpoints[name] = pd.Series(value, index=touchpoints.index, dtype="string")
    touchpoints[SOURCE] = pd.Series(source.name, index=touchpoints.index, dtype="string")
    is_conversion = in_order.mask(events["event_name"].isin(list(mapping)))
    conversions = _conversions(
        in_order.take(is_conversion, _CONVERSION_COLUMNS), mapping, quarantine, source.name
    ).assign(**{SOURCE: source.name})
    both_ids = in_order.mask(events["user_pseudo_id"].notna() & events["user_id"].notna())
    ident = [c for c in events.columns if c.split(".", 1)[0] in _IDENTIFIER_PLACES]
    links = pd.concat(
        [
            _links(in_order.take(both_ids, _LINK_COLUMNS), sessions),
            identifier_links(
                in_order.take(None, [*_LINK_COLUMNS, *ident]) if ident else events.iloc[:0],
                identifiers,
                places=_IDENTIFIER_PLACES,
                anchors={"anonymous_id": "user_pseudo_id", "user_id": "user_id"},
                quarantine=quarantine,
                source=source,
            ),
        ],
        ignore_index=True,
    ).assign(**{SOURCE: source.name})
    per_file = sessions[SOURCE_FILE].value_counts()  # one pass, not one per file
    for info in files:
        info["sessions"] = int(per_file.get(info["file"], 0))
    return finish(
        source,
        quarantine,
        touchpoints=touchpoints,
        conversions=conversions,
        identity_links=links,
        files=files,
        warnings=warnings,
    )
