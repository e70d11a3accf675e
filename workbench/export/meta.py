"""Meta Conversions API payloads (JSON request bodies).

Each event [M-SEP], [M-CIP] (source keys in :mod:`workbench.export.rules`)::

    {
        "event_name": "Purchase",
        "event_time": 1767225600,
        "action_source": "system_generated",
        "event_id": "D-1",
        "user_data": {"em": ["<sha256>"], "ph": ["<sha256>"], "fbc": "fb.1.1767000000000.IwAR..."},
        "custom_data": {
            "value": 120.0,
            "currency": "USD",
            "event_source": "crm",
            "lead_event_source": "Journey Workbench",
        },
    }

* ``event_name``: standard event mapped from the conversion type
  (:data:`~workbench.export.rules.CONVERSION_TYPE_EVENTS`) or ``conversion_name``.
* ``event_time``: Unix seconds [M-API].
* ``action_source`` [M-SEP]: ``"website"`` only when the conversion row
  carries both ``client_user_agent`` and ``event_source_url`` (Meta requires
  them for website events); otherwise ``"system_generated"``, the value
  Meta's CRM integration uses for events recorded in a CRM/back office, with
  ``custom_data.event_source = "crm"`` [M-CRM]. (``"crm"`` is not an
  ``action_source`` value.)
* ``event_id``: stable id for deduplication (see
  :func:`workbench.export.payload.event_ids`) [M-DEDUP].
* ``user_data``: ``em``/``ph`` SHA-256 after Meta's normalization (lists, as
  in Meta's examples); ``fbc`` built as ``fb.1.<ms>.<fbclid>`` with the time the
  fbclid was first seen [M-FBC]; ``fbp``, ``client_ip_address``,
  ``client_user_agent`` passed through from conversion columns of those names
  -- never hashed [M-CIP].
* ``custom_data.value`` (number, 2 decimals) and ``currency`` [M-SEP].
* Request bodies ``{"data": [...]}`` of at most 1,000 events [M-API].
"""

from __future__ import annotations

import pandas as pd

from workbench.export.payload import batches
from workbench.export.rules import PLATFORM_RULES
from workbench.schema import TS

__all__ = ["LEAD_EVENT_SOURCE", "META_PASSTHROUGH", "fbc_values", "meta_batches", "meta_events"]

#: Conversion columns copied unhashed into ``user_data`` when present [M-CIP].
META_PASSTHROUGH: tuple[str, ...] = ("fbp", "client_ip_address", "client_user_agent")
#: ``custom_data.lead_event_source`` for system-generated (CRM) events [M-CRM].
LEAD_EVENT_SOURCE = "Journey Workbench"

_EPOCH = pd.Timestamp(0, tz="UTC")


def fbc_values(click_id: pd.Series, first_seen: pd.Series) -> pd.Series:
    """``fb.1.<creation time, ms>.<fbclid>`` per row [M-FBC]; missing without an fbclid."""
    ms = (pd.to_datetime(first_seen, utc=True) - _EPOCH) // pd.Timedelta(milliseconds=1)
    text = "fb.1." + ms.astype("Int64").astype("string") + "." + click_id.astype("string")
    return text.where(click_id.notna() & first_seen.notna()).astype("string")


def _action_source(prepared: pd.DataFrame) -> pd.Series:
    web = prepared["client_user_agent"].notna() & prepared["event_source_url"].notna()
    return pd.Series("system_generated", index=prepared.index, dtype="string").mask(web, "website")


def meta_events(prepared: pd.DataFrame) -> list[dict]:
    """One Conversions API event per accepted row (in row order)."""
    frame = pd.DataFrame(
        {
            "event_name": prepared["conversion_name"],
            "event_time": (pd.to_datetime(prepared[TS], utc=True) - _EPOCH)
            // pd.Timedelta(seconds=1),
            "action_source": _action_source(prepared),
            "event_id": prepared["event_id"],
            "event_source_url": prepared["event_source_url"],
            "em": prepared["email_sha256"],
            "ph": prepared["phone_sha256"],
            "fbc": fbc_values(prepared["click_id"], prepared["first_seen"]),
            **{c: prepared[c] for c in META_PASSTHROUGH},
            "value": prepared["value_sent"].round(2),
            "currency": prepared["currency"],
        }
    ).astype("object")
    frame = frame.where(frame.notna(), None)
    events = []
    for r in frame.to_dict("records"):
        user = {"em": [r["em"]] if r["em"] else None, "ph": [r["ph"]] if r["ph"] else None}
        user |= {"fbc": r["fbc"], **{c: r[c] for c in META_PASSTHROUGH}}
        custom = {"value": float(r["value"]), "currency": r["currency"]}
        if r["action_source"] == "system_generated":
            custom |= {"event_source": "crm", "lead_event_source": LEAD_EVENT_SOURCE}
        event = {
            "event_name": r["event_name"],
            "event_time": int(r["event_time"]),
            "action_source": r["action_source"],
            "event_id": r["event_id"],
        }
        if r["action_source"] == "website":
            event["event_source_url"] = r["event_source_url"]
        event["user_data"] = {k: v for k, v in user.items() if v is not None}
        event["custom_data"] = custom
        events.append(event)
    return events


def meta_batches(events: list[dict]) -> list[dict]:
    """Request bodies ``{"data": [...]}`` of at most 1,000 events [M-API]."""
    size = PLATFORM_RULES["meta"].batch_size or len(events) or 1
    return batches(events, size, "data")
