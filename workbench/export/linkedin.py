"""LinkedIn Conversions API payloads (JSON request bodies).

Each event [L-CAPI] (source keys in :mod:`workbench.export.rules`)::

    {
        "conversion": "urn:lla:llaPartnerConversion:123",
        "conversionHappenedAt": 1767225600000,
        "conversionValue": {"currencyCode": "USD", "amount": "120.00"},
        "eventId": "D-1",
        "user": {
            "userIds": [
                {"idType": "SHA256_EMAIL", "idValue": "<sha256>"},
                {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": "<li_fat_id>"},
            ]
        },
    }

* ``conversion``: the conversion rule URN from ``conversion_name`` (a string
  or a per-type mapping); without one the placeholder
  :data:`~workbench.export.rules.LINKEDIN_URN_PLACEHOLDER` is written and the
  result warns.
* ``conversionHappenedAt``: epoch **milliseconds**, within the past 90 days.
* ``conversionValue.amount`` is a **string** with two decimals.
* ``eventId``: stable id for deduplication with the Insight Tag
  (:func:`workbench.export.payload.event_ids`).
* ``user.userIds``: ``SHA256_EMAIL`` (trimmed, lower-cased, SHA-256) and/or
  ``LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID`` = the ``li_fat_id`` click id,
  unhashed. LinkedIn takes no phone identifier.
* Request bodies ``{"elements": [...]}`` for ``BATCH_CREATE`` of at most
  5,000 events.
"""

from __future__ import annotations

import pandas as pd

from workbench.export.payload import batches, format_amount
from workbench.export.rules import PLATFORM_RULES
from workbench.schema import TS

__all__ = ["linkedin_batches", "linkedin_events"]


def linkedin_events(prepared: pd.DataFrame) -> list[dict]:
    """One conversion event per accepted row (in row order)."""
    frame = pd.DataFrame(
        {
            "conversion": prepared["conversion_name"],
            "at": (pd.to_datetime(prepared[TS], utc=True) - pd.Timestamp(0, tz="UTC"))
            // pd.Timedelta(milliseconds=1),
            "currency": prepared["currency"],
            "amount": format_amount(prepared["value_sent"]),
            "event_id": prepared["event_id"],
            "email": prepared["email_sha256"],
            "li_fat_id": prepared["click_id"],
        }
    ).astype("object")
    frame = frame.where(frame.notna(), None)
    events = []
    for r in frame.to_dict("records"):
        ids = []
        if r["email"]:
            ids.append({"idType": "SHA256_EMAIL", "idValue": r["email"]})
        if r["li_fat_id"]:
            ids.append(
                {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": r["li_fat_id"]}
            )
        events.append(
            {
                "conversion": r["conversion"],
                "conversionHappenedAt": int(r["at"]),
                "conversionValue": {"currencyCode": r["currency"], "amount": r["amount"]},
                "eventId": r["event_id"],
                "user": {"userIds": ids},
            }
        )
    return events


def linkedin_batches(events: list[dict]) -> list[dict]:
    """``BATCH_CREATE`` bodies ``{"elements": [...]}`` of at most 5,000 events [L-CAPI]."""
    size = PLATFORM_RULES["linkedin"].batch_size or len(events) or 1
    return batches(events, size, "elements")
