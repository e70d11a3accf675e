"""Email platform activity, Zoom webinar reports and offline event badge scans.

All three key their touches by the hashed email (``email``); ``channel`` and
``platform`` come from the source config (e.g. ``channel = "Webinar"``), with
platform defaults ``mailchimp`` / ``zoom`` and none for offline events.

``email_activity`` (Mailchimp)
    ``Action`` mapped by ``options.actions`` (compared case-insensitively,
    spaces trimmed). The default (:data:`DEFAULT_EMAIL_ACTIONS`) knows the common
    spellings: ``sent`` / ``send`` / ``delivered`` -> ``email_send``, ``open`` /
    ``opened`` -> ``email_open``, ``click`` / ``clicked`` -> ``email_click``, and
    ``bounce(d)`` / ``unsubscribe(d)`` -> ``""``: recognized, but not a touch, so
    skipped and counted (``files[...]["skipped_actions"]`` and a warning). A
    given ``options.actions`` is added to the defaults (map an action to ``""``
    to skip it). Other actions are quarantined as ``"email action not mapped"``.
    ``campaign`` = ``Campaign Title``; clicks carry the URL's
    ``utm_source`` / ``utm_medium`` as ``traffic_source`` / ``traffic_medium``
    and the URL in ``attr_url``. ``Timestamp`` is naive UTC unless the
    source's ``timezone`` says otherwise.
``webinar_registrants`` / ``webinar_attendees`` (Zoom)
    ``webinar_registration`` at ``Registration Time`` / ``webinar_attendance``
    at ``Join Time``, ``campaign`` = ``Topic``, ``attr_webinar_id``; registrants
    also ``attr_approval_status``, attendees ``attr_minutes`` (Time in Session).
    Times look like ``Nov 28, 2026 10:02:13 AM`` in the webinar's timezone;
    values that do not parse are quarantined as ``"unparseable Zoom time"``.
    Only attendee rows with ``Attended`` = ``Yes`` are attendances; the others
    are skipped and counted (``files[...]["not_attended"]`` and a warning).
    A person who joined the same webinar several times (rejoins) gets one
    attendance, at the first join, with the minutes summed; the merged rows
    are counted in ``files[...]["rejoins_merged"]``.
``offline_events`` (badge scans)
    ``offline_event`` at ``Scan Time`` (naive local, the source's ``timezone``),
    ``campaign`` = ``Event Name``, extra ``attr_badge_id``, ``attr_company``,
    ``attr_job_title``. Names are not read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import (
    email_domain,
    email_hash,
    finish,
    mapping_option,
    number_column,
    parse_times,
    url_param,
)
from workbench.ingest.readers._tabular import Field, read_exports
from workbench.ingest.readers.base import TABULAR_OPTIONS, ReadResult, register
from workbench.schema import (
    CAMPAIGN,
    CHANNEL,
    PLATFORM,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    TOUCH_TYPE,
    TS,
)

__all__ = [
    "EMAIL_FIELDS",
    "OFFLINE_FIELDS",
    "WEBINAR_ATTENDEE_FIELDS",
    "WEBINAR_REGISTRANT_FIELDS",
    "ZOOM_TIME_FORMAT",
    "read_email_activity",
    "read_offline_events",
    "read_webinar_attendees",
    "read_webinar_registrants",
]

EMAIL_FIELDS = (
    Field("Email Address", ("Email",), required=True),
    Field("Campaign Title", ("Campaign", "Campaign Name"), required=True),
    Field("Action", ("Activity", "Event"), required=True),
    Field("Timestamp", ("Time", "Date"), required=True),
    Field("URL", ("Link", "Url")),
)
WEBINAR_REGISTRANT_FIELDS = (
    Field("Webinar ID"),
    Field("Topic", ("Webinar Topic",), required=True),
    Field("Email", ("Email Address",), required=True),
    Field("Registration Time", required=True),
    Field("Approval Status"),
)
WEBINAR_ATTENDEE_FIELDS = (
    Field("Webinar ID"),
    Field("Topic", ("Webinar Topic",), required=True),
    Field("Email", ("Email Address",), required=True),
    Field("Join Time", required=True),
    Field("Leave Time"),
    Field("Time in Session (minutes)", ("Time in Session*", "Duration*")),
    Field("Attended", required=True),
)
OFFLINE_FIELDS = (
    Field("Event Name", ("Event",), required=True),
    Field("Scan Time", ("Scanned At", "Timestamp"), required=True),
    Field("Badge ID"),
    Field("Email", ("Email Address",), required=True),
    Field("Company"),
    Field("Job Title", ("Title",)),
)

#: How Zoom writes times in its reports.
ZOOM_TIME_FORMAT = "%b %d, %Y %I:%M:%S %p"
#: Default ``options.actions``: action -> touch type (``""``: recognized, not a touch).
DEFAULT_EMAIL_ACTIONS = {
    "sent": "email_send",
    "send": "email_send",
    "delivered": "email_send",
    "open": "email_open",
    "opened": "email_open",
    "click": "email_click",
    "clicked": "email_click",
    "bounce": "",
    "bounced": "",
    "unsubscribe": "",
    "unsubscribed": "",
}
_PROVENANCE = [SOURCE, SOURCE_FILE, SOURCE_ROW]


def _base(
    rows: pd.DataFrame,
    source: SourceConfig,
    ts: pd.Series,
    platform: str | None,
    email: str = "Email",
) -> dict[str, object]:
    return {
        TS: ts,
        CHANNEL: source.channel,
        PLATFORM: source.platform or platform,
        "email": email_hash(rows[email]),
        "email_domain": email_domain(rows[email]),
        **{c: rows[c] for c in _PROVENANCE},
    }


@register("email_activity", options=("actions", *TABULAR_OPTIONS))
def read_email_activity(source: SourceConfig) -> ReadResult:
    """Mailchimp activity export -> ``email_send`` / ``email_open`` / ``email_click`` touches."""
    given = mapping_option(source, "actions", {})
    actions = {k.strip().lower(): v for k, v in {**DEFAULT_EMAIL_ACTIONS, **given}.items()}
    q = Quarantine()
    rows, files, notes = read_exports(source, EMAIL_FIELDS, q)
    touch_type = rows["Action"].str.strip().str.lower().map(actions).astype("string")
    skipped = (touch_type == "").fillna(False).astype(bool)
    for info in files:
        info["skipped_actions"] = int((skipped & (rows[SOURCE_FILE] == info["file"])).sum())
    if skipped.any():
        kinds = rows.loc[skipped, "Action"].str.strip().str.lower().value_counts()
        notes.append(
            f"source {source.name!r}: skipped {int(skipped.sum())} row(s) whose action is not a "
            "touch (" + ", ".join(f"{k}: {n}" for k, n in kinds.items()) + ")"
        )
    rows, touch_type = rows.loc[~skipped], touch_type.loc[~skipped]
    unmapped = touch_type.isna()
    q.add(
        rows,
        unmapped,
        reason="email action not mapped (options.actions)",
        source=source.name,
        column="Action",
    )
    rows, touch_type = rows.loc[~unmapped], touch_type.loc[~unmapped]
    ts, ok = parse_times(rows, "Timestamp", source, q, reason="unparseable or missing timestamp")
    url = rows["URL"]
    touches = pd.DataFrame(
        {
            **_base(rows, source, ts, "mailchimp", email="Email Address"),
            TOUCH_TYPE: touch_type,
            CAMPAIGN: rows["Campaign Title"],
            "traffic_source": url_param(url, "utm_source"),
            "traffic_medium": url_param(url, "utm_medium"),
            "event_name": rows["Action"],
            "attr_url": url,
        }
    ).loc[ok]
    return finish(source, q, touchpoints=touches, files=files, warnings=notes)


def _zoom_times(
    rows: pd.DataFrame, column: str, source: SourceConfig, q: Quarantine
) -> tuple[pd.Series, pd.Series]:
    return parse_times(
        rows,
        column,
        source,
        q,
        fmt=ZOOM_TIME_FORMAT,
        reason="unparseable Zoom time (expected like 'Nov 28, 2026 10:02:13 AM')",
    )


@register("webinar_registrants", options=TABULAR_OPTIONS)
def read_webinar_registrants(source: SourceConfig) -> ReadResult:
    """Zoom registrants report -> ``webinar_registration`` touches."""
    q = Quarantine()
    rows, files, notes = read_exports(source, WEBINAR_REGISTRANT_FIELDS, q)
    ts, ok = _zoom_times(rows, "Registration Time", source, q)
    touches = pd.DataFrame(
        {
            **_base(rows, source, ts, "zoom"),
            TOUCH_TYPE: "webinar_registration",
            CAMPAIGN: rows["Topic"],
            "event_name": "registration",
            "attr_webinar_id": rows["Webinar ID"],
            "attr_approval_status": rows["Approval Status"],
        }
    ).loc[ok]
    return finish(source, q, touchpoints=touches, files=files, warnings=notes)


@register("webinar_attendees", options=TABULAR_OPTIONS)
def read_webinar_attendees(source: SourceConfig) -> ReadResult:
    """Zoom attendees report -> ``webinar_attendance`` touches (Attended = Yes only)."""
    q = Quarantine()
    rows, files, notes = read_exports(source, WEBINAR_ATTENDEE_FIELDS, q)
    attended = rows["Attended"].str.strip().str.lower().isin(["yes", "y", "true", "1"])
    attended = attended.fillna(False).astype(bool)
    for info in files:
        info["not_attended"] = int((~attended & (rows[SOURCE_FILE] == info["file"])).sum())
    if (~attended).any():
        notes.append(
            f"source {source.name!r}: skipped {int((~attended).sum())} attendee row(s) "
            "with Attended != Yes (registered, did not attend)"
        )
    rows = rows.loc[attended]
    ts, ok = _zoom_times(rows, "Join Time", source, q)
    touches = pd.DataFrame(
        {
            **_base(rows, source, ts, "zoom"),
            TOUCH_TYPE: "webinar_attendance",
            CAMPAIGN: rows["Topic"],
            "event_name": "attendance",
            "attr_webinar_id": rows["Webinar ID"],
            "attr_minutes": number_column(rows, "Time in Session (minutes)", source, notes),
        }
    ).loc[ok]
    key = touches["attr_webinar_id"].fillna(touches[CAMPAIGN])
    touches = touches.assign(_key=key).sort_values(TS, kind="stable")
    group = touches.groupby(["_key", "email"], dropna=False, sort=False)
    minutes = group["attr_minutes"].transform("sum", min_count=1) if len(touches) else None
    first = ~touches.duplicated(["_key", "email"]) | touches["email"].isna()
    if minutes is not None:
        touches["attr_minutes"] = np.where(first, minutes, touches["attr_minutes"])
    for info in files:
        info["rejoins_merged"] = int((~first & (touches[SOURCE_FILE] == info["file"])).sum())
    touches = touches.loc[first].drop(columns="_key").sort_index()
    return finish(source, q, touchpoints=touches, files=files, warnings=notes)


@register("offline_events", options=TABULAR_OPTIONS)
def read_offline_events(source: SourceConfig) -> ReadResult:
    """Trade-show badge scans -> ``offline_event`` touches keyed by hashed email."""
    q = Quarantine()
    rows, files, notes = read_exports(source, OFFLINE_FIELDS, q)
    ts, ok = parse_times(rows, "Scan Time", source, q, reason="unparseable or missing timestamp")
    touches = pd.DataFrame(
        {
            **_base(rows, source, ts, None),
            TOUCH_TYPE: "offline_event",
            CAMPAIGN: rows["Event Name"],
            "event_name": rows["Event Name"],
            "attr_badge_id": rows["Badge ID"],
            "attr_company": rows["Company"],
            "attr_job_title": rows["Job Title"],
        }
    ).loc[ok]
    return finish(source, q, touchpoints=touches, files=files, warnings=notes)
