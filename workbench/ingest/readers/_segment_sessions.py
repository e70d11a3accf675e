"""Sessions from Segment ``page`` / ``screen`` / ``track`` calls (``session`` touches).

Segment has no session id, so the reader derives sessions the way GA4 does:
the calls of each ``anonymousId`` (``"uid:" + userId`` for calls without one)
are sorted by time, and a call starts a new session when

* it is the visitor's first call,
* more than ``options.session_timeout_minutes`` (default 30) passed since the
  visitor's previous call,
* it carries campaign information (``context.campaign``, the page URL's
  ``utm_source`` / ``utm_medium`` / ``utm_campaign``, or a click id such as
  ``gclid`` / ``fbclid``) different from the last campaign the visitor
  arrived with, or
* it has an external referrer: ``context.page.referrer`` (else
  ``properties.referrer``) whose host differs from the page URL's host
  (a leading ``www.`` is ignored on both), unless the call repeats the
  previous call's page URL and referrer: analytics.js sends the landing page's
  referrer with every later call on that page (a ``track`` after the landing
  ``page`` call is the same page view, not a new visit).

Each session becomes one ``session`` touch at its first call, with
``session_id`` = ``"<anonymousId>:~<start unix seconds>"`` (the same form as
GA4 sessions derived without ``ga_session_id``), the landing ``page`` (path),
``anonymous_id``, the session's first ``user_id`` and hashed e-mail, the click
ids of the landing URL, and ``traffic_source`` / ``traffic_medium`` /
``campaign`` from the first call, first of:

1. ``context.campaign`` (``source``, ``medium``, ``name``), else the landing
   URL's ``utm_*`` parameters;
2. a click id on the landing URL: source and medium stay missing, so channel
   grouping reads the click id (``gclid`` -> Google Ads ...);
3. an external referrer: source = the referrer host without ``www.``, medium
   = ``organic`` for search engines (GA4's search source category), else
   ``referral`` (so social sites group as Organic Social);
4. nothing: direct.

The channel is then assigned by :func:`workbench.ingest.channels.assign_channels`,
the same grouping as GA4 sessions. Everything is vectorized: URL parsing
runs once per distinct URL, session breaks are array comparisons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.ingest.channels import source_category
from workbench.ingest.readers._common import click_ids, url_param, url_path
from workbench.schema import (
    CAMPAIGN,
    CLICK_ID_TYPES,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    TOUCH_TYPE,
    TS,
)

__all__ = ["SESSION_CALLS", "SESSION_COLUMNS", "in_sessions", "sessionize", "visitor_key"]

#: Call types that belong to sessions.
SESSION_CALLS: tuple[str, ...] = ("page", "screen", "track")
#: The call columns :func:`sessionize` reads.
SESSION_COLUMNS: tuple[str, ...] = (
    "type",
    TS,
    "anonymous_id",
    "user_id",
    "email",
    "ctx_url",
    "prop_url",
    "ctx_referrer",
    "prop_referrer",
    "ctx_source",
    "ctx_medium",
    "ctx_campaign",
    "ctx_path",
    "prop_path",
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
)
_UTM = ("source", "medium", "campaign")
_HOST = r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//(?:[^@/?#]*@)?(?:www\.)?([^:/?#]+)"


def _url_facts(urls: pd.Series) -> pd.DataFrame:
    """Host, path, ``utm_*`` and click ids of each URL (parsed once per distinct URL)."""
    codes, uniques = pd.factorize(urls)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="string")
    distinct = pd.concat([distinct, pd.Series([pd.NA], dtype="string")], ignore_index=True)
    facts = click_ids(distinct)
    facts["host"] = distinct.str.extract(_HOST, expand=False).str.lower()
    facts["path"] = url_path(distinct)
    for key in _UTM:
        facts[f"utm_{key}"] = url_param(distinct, f"utm_{key}")
    out = facts.iloc[np.where(codes < 0, len(distinct) - 1, codes)]
    out.index = urls.index
    return out


def visitor_key(calls: pd.DataFrame) -> pd.Series:
    """Whose sessions each call belongs to: ``anonymousId``, else ``"uid:" + userId``."""
    return calls["anonymous_id"].fillna("uid:" + calls["user_id"])


def in_sessions(calls: pd.DataFrame) -> np.ndarray:
    """Mask of the calls that belong to sessions (a session call type and an identifier)."""
    mask = calls["type"].isin(SESSION_CALLS).fillna(False) & (
        calls["anonymous_id"].notna() | calls["user_id"].notna()
    )
    return mask.to_numpy(dtype=bool)


def _call_facts(calls: pd.DataFrame) -> pd.DataFrame:
    """Per call: visitor key, campaign triple, campaign key, click ids, referrer facts."""
    url = calls["ctx_url"].fillna(calls["prop_url"])
    page = _url_facts(url)
    ref = _url_facts(calls["ctx_referrer"].fillna(calls["prop_referrer"]))
    has_ctx = calls[["ctx_source", "ctx_medium", "ctx_campaign"]].notna().any(axis=1)
    out = pd.DataFrame(index=calls.index)
    out["visitor"] = visitor_key(calls)
    for key, ctx in zip(_UTM, ("ctx_source", "ctx_medium", "ctx_campaign"), strict=True):
        out[key] = calls[ctx].where(has_ctx, page[f"utm_{key}"]).astype("string")
    out[list(CLICK_ID_TYPES)] = page[list(CLICK_ID_TYPES)]
    click = pd.Series(pd.NA, index=calls.index, dtype="string")
    for name in reversed(CLICK_ID_TYPES):  # earlier click id types win
        click = click.mask(page[name].notna(), name + "=" + page[name])
    parts = [out[k].fillna("") for k in _UTM] + [click.fillna("")]
    key = parts[0] + "\t" + parts[1] + "\t" + parts[2] + "\t" + parts[3]
    out["campaign_key"] = key.mask(key == "\t\t\t")
    out["page"] = calls["ctx_path"].fillna(calls["prop_path"]).fillna(page["path"])
    external = ref["host"].notna() & (page["host"].isna() | (ref["host"] != page["host"]))
    out["referrer_host"] = ref["host"].where(external.fillna(False))
    out["view"] = (
        url.fillna("") + "\t" + calls["ctx_referrer"].fillna(calls["prop_referrer"]).fillna("")
    )
    return out


def _starts(facts: pd.DataFrame, ts: pd.Series, timeout: pd.Timedelta) -> np.ndarray:
    """Whether each call (sorted by visitor, time) starts a session (see the module docs)."""
    if len(facts) == 0:
        return np.zeros(0, dtype=bool)
    visitor = facts["visitor"].to_numpy(dtype=object)
    new_visitor = np.r_[True, visitor[1:] != visitor[:-1]]
    times = ts.to_numpy(dtype="datetime64[us]")
    gap = np.r_[True, (times[1:] - times[:-1]) > timeout.to_timedelta64()]
    codes = np.cumsum(new_visitor)
    key = facts["campaign_key"].reset_index(drop=True)
    last = key.groupby(codes).ffill().groupby(codes).shift()
    new_campaign = (key.notna() & (key != last).fillna(True)).to_numpy(dtype=bool)
    view = facts["view"].to_numpy(dtype=object)
    same_view = np.r_[False, view[1:] == view[:-1]] & ~new_visitor
    external = facts["referrer_host"].notna().to_numpy(dtype=bool) & ~same_view
    return new_visitor | gap | new_campaign | external


def sessionize(
    calls: pd.DataFrame, *, timeout_minutes: float = 30.0
) -> tuple[pd.DataFrame, pd.Series]:
    """Session touches of Segment calls, and each call's ``session_id``.

    Parameters
    ----------
    calls
        Prepared calls of :mod:`workbench.ingest.readers.segment` (``type``, ``ts``,
        ``anonymous_id``, ``user_id``, ``email``, page URL/path, referrer and
        ``context.campaign`` columns, provenance).
    timeout_minutes
        Inactivity that ends a session.

    Returns
    -------
    (sessions, session_ids)
        One ``session`` touch per session (columns in the module docstring),
        and the ``session_id`` of every call (missing for calls outside
        sessions: ``identify``, ``alias``, ``group``, no identifier).
    """
    sub = calls.loc[in_sessions(calls)]
    facts = _call_facts(sub)
    order = np.lexsort(
        (
            sub[SOURCE_ROW].to_numpy(),
            sub[SOURCE_FILE].to_numpy(dtype=str),
            sub[TS].to_numpy(dtype="datetime64[us]"),
            pd.factorize(facts["visitor"])[0],
        )
    )
    sub, facts = sub.iloc[order], facts.iloc[order]
    start = _starts(facts, sub[TS], pd.Timedelta(minutes=timeout_minutes))
    number = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    seconds = (sub[TS].iloc[first] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    sid = (facts["visitor"].iloc[first] + ":~" + seconds.astype("int64").astype("string")).array
    session_ids = pd.Series(pd.NA, index=calls.index, dtype="string")
    session_ids[sub.index] = sid.take(number)
    known = sub[["user_id", "email"]].reset_index(drop=True).groupby(number).first()
    lead, land = sub.iloc[first], facts.iloc[first]
    out = pd.DataFrame(
        {
            TS: lead[TS].to_numpy(),
            TOUCH_TYPE: "session",
            "page": land["page"].to_numpy(),
            "event_name": "session_start",
            "session_id": pd.array(sid, dtype="string"),
            "anonymous_id": lead["anonymous_id"].to_numpy(),
            "user_id": known["user_id"].to_numpy(),
            "email": known["email"].to_numpy(),
            SOURCE: lead[SOURCE].to_numpy(),
            SOURCE_FILE: lead[SOURCE_FILE].to_numpy(),
            SOURCE_ROW: lead[SOURCE_ROW].to_numpy(),
        }
    )
    out[list(CLICK_ID_TYPES)] = land[list(CLICK_ID_TYPES)].to_numpy()
    out["traffic_source"], out["traffic_medium"], out[CAMPAIGN] = _attribution(land)
    return out, session_ids


def _attribution(land: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source, medium, campaign of each session's landing call (module docs, 1-4)."""
    tagged = land[list(_UTM)].notna().any(axis=1)
    clicked = land[list(CLICK_ID_TYPES)].notna().any(axis=1)
    host = land["referrer_host"]
    by_referrer = host.notna() & ~tagged & ~clicked
    search = source_category(host.fillna(""), "search")
    medium = pd.Series(np.where(search, "organic", "referral"), index=land.index)
    source = land["source"].mask(by_referrer, host)
    medium = land["medium"].mask(by_referrer, medium)
    return (
        source.astype("string").to_numpy(),
        medium.astype("string").to_numpy(),
        land["campaign"].astype("string").to_numpy(),
    )
