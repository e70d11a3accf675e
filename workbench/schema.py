"""Canonical tables: the one place where column names, kinds and meanings live.

Every reader produces these tables, every analysis consumes them. Other modules
refer to columns through the constants defined here (``TS``, ``CHANNEL`` ...)
rather than spelling the strings again.

Tables
------
touchpoints
    One row per interaction with a person: ad click, session, page view, email,
    webinar, sales call, CRM stage change ...
conversions
    One row per business outcome: lead, signup, opportunity, deal won, purchase.
identity_links
    Pairs of identifiers observed together (identify/login, form fill, CRM
    record, click id <-> click log).
spend
    Daily spend per platform and campaign, with what the platform itself
    claims (``platform_conversions`` / ``platform_conversion_value``).
identities
    Output of stitching: one row per identifier with its ``person_id``.
quarantine
    Rows that could not be used, with the reason and where they came from.
journeys / journey_touches
    Output of journey building (see :mod:`workbench.journeys.build`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ACCOUNT_ID",
    "CAMPAIGN",
    "CHANNEL",
    "CLICK_ID_TYPES",
    "CONVERSIONS",
    "CONVERSION_ID",
    "CONVERSION_TYPE",
    "CONVERSION_TYPES",
    "CURRENCY",
    "IDENTITIES",
    "IDENTITY_LINKS",
    "ID_TYPES",
    "JOURNEYS",
    "JOURNEY_ID",
    "JOURNEY_TOUCHES",
    "PERSON_ID",
    "PLATFORM",
    "QUARANTINE",
    "SOURCE",
    "SOURCE_FILE",
    "SOURCE_ROW",
    "SPEND",
    "TABLES",
    "TOUCHPOINTS",
    "TOUCH_TYPE",
    "TOUCH_TYPES",
    "TS",
    "VALUE",
    "Column",
    "Table",
]

# --- column names used across the package ---------------------------------
TS = "ts"
SOURCE = "source"
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
TOUCH_TYPE = "touch_type"
CHANNEL = "channel"
PLATFORM = "platform"
CAMPAIGN = "campaign"
CONVERSION_TYPE = "conversion_type"
CONVERSION_ID = "conversion_id"
VALUE = "value"
CURRENCY = "currency"
PERSON_ID = "person_id"
ACCOUNT_ID = "account_id"
JOURNEY_ID = "journey_id"

#: Identifier types, in stitching priority order (most trustworthy first).
#: ``email`` and ``phone`` are stored only as SHA-256 hex digests of the
#: normalized value (see :mod:`workbench.identifiers`).
ID_TYPES: tuple[str, ...] = (
    "crm_contact_id",
    "user_id",
    "email",
    "phone",
    "device_id",
    "anonymous_id",
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "li_fat_id",
    "ttclid",
    "msclkid",
)
#: Click ids: each is issued for one ad click, so it identifies a click and,
#: through the platform's click log, the campaign behind it.
CLICK_ID_TYPES: tuple[str, ...] = (
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "li_fat_id",
    "ttclid",
    "msclkid",
)

#: Known touch types. Readers may emit others; analyses treat them generically.
TOUCH_TYPES: tuple[str, ...] = (
    "ad_impression",
    "ad_click",
    "session",
    "pageview",
    "email_send",
    "email_open",
    "email_click",
    "webinar_registration",
    "webinar_attendance",
    "sales_call",
    "meeting",
    "demo",
    "form_submit",
    "offline_event",
    "crm_stage",
)

#: Known conversion types, in funnel order.
CONVERSION_TYPES: tuple[str, ...] = (
    "lead",
    "signup",
    "opportunity",
    "deal_won",
    "purchase",
)


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Parameters
    ----------
    name
        Column name in the canonical table.
    kind
        Logical kind: ``datetime`` (tz-aware UTC), ``date``, ``string``,
        ``float``, ``int`` or ``bool``.
    required
        Whether every canonical table of this kind must have the column.
    nullable
        Whether missing values are allowed.
    doc
        Meaning, shown in the README and in error messages.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """A canonical table: its name and columns."""

    name: str
    columns: tuple[Column, ...]
    doc: str = ""
    _index: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        """All column names, in canonical order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the columns every table of this kind must have."""
        return [c.name for c in self.columns if c.required]

    def __getitem__(self, name: str) -> Column:
        return self._index[name]

    def __contains__(self, name: object) -> bool:
        return name in self._index


def _ids(required: bool = False) -> tuple[Column, ...]:
    return tuple(
        Column(t, "string", required=required, nullable=True, doc=f"identifier: {t}")
        for t in ID_TYPES
    ) + (
        Column(
            "crm_account_id",
            "string",
            required=False,
            nullable=True,
            doc="CRM company/account id (links a person to an account)",
        ),
    )


_PROVENANCE = (
    Column(SOURCE, "string", doc="configured source name the row came from"),
    Column(SOURCE_FILE, "string", required=False, nullable=True, doc="file it came from"),
    Column(SOURCE_ROW, "int", required=False, nullable=True, doc="1-based row/line in that file"),
)

TOUCHPOINTS = Table(
    "touchpoints",
    (
        Column(TS, "datetime", doc="when it happened, UTC"),
        Column(TOUCH_TYPE, "string", doc="ad_click, session, pageview, email_open, ..."),
        Column(CHANNEL, "string", nullable=True, doc="channel group (GA4 default + rules)"),
        Column(PLATFORM, "string", required=False, nullable=True, doc="google_ads, meta, ..."),
        Column(CAMPAIGN, "string", required=False, nullable=True, doc="campaign name"),
        Column("traffic_source", "string", required=False, nullable=True, doc="utm_source"),
        Column("traffic_medium", "string", required=False, nullable=True, doc="utm_medium"),
        Column("session_id", "string", required=False, nullable=True, doc="session key"),
        Column("page", "string", required=False, nullable=True, doc="page path or screen"),
        Column("event_name", "string", required=False, nullable=True, doc="raw event name"),
        Column("device_category", "string", required=False, nullable=True, doc="desktop, ..."),
        *_ids(),
        *_PROVENANCE,
    ),
    doc="one row per interaction",
)

CONVERSIONS = Table(
    "conversions",
    (
        Column(TS, "datetime", doc="when it happened, UTC"),
        Column(CONVERSION_TYPE, "string", doc="lead, signup, opportunity, deal_won, purchase"),
        Column(VALUE, "float", nullable=True, doc="revenue or deal amount"),
        Column(CURRENCY, "string", required=False, nullable=True, doc="ISO 4217 code"),
        Column(CONVERSION_ID, "string", required=False, nullable=True, doc="transaction/deal id"),
        *_ids(),
        *_PROVENANCE,
    ),
    doc="one row per business outcome; extra attribute columns are kept",
)

IDENTITY_LINKS = Table(
    "identity_links",
    (
        Column(TS, "datetime", nullable=True, doc="when the pair was observed"),
        Column("id_type_a", "string", doc="identifier type of the first value"),
        Column("id_value_a", "string", doc="first identifier value"),
        Column("id_type_b", "string", doc="identifier type of the second value"),
        Column("id_value_b", "string", doc="second identifier value"),
        Column("link_type", "string", doc="identify, form_fill, crm_record, click_log, event"),
        *_PROVENANCE,
    ),
    doc="pairs of identifiers observed together",
)

SPEND = Table(
    "spend",
    (
        Column("date", "date", doc="day the spend belongs to"),
        Column(PLATFORM, "string", doc="google_ads, meta, linkedin, ..."),
        Column(CHANNEL, "string", nullable=True, doc="channel group"),
        Column(CAMPAIGN, "string", nullable=True, doc="campaign name"),
        Column("spend", "float", doc="amount spent, >= 0"),
        Column(CURRENCY, "string", nullable=True, doc="ISO 4217 code"),
        Column("impressions", "float", required=False, nullable=True, doc="impressions"),
        Column("clicks", "float", required=False, nullable=True, doc="clicks"),
        Column(
            "platform_conversions",
            "float",
            required=False,
            nullable=True,
            doc="conversions the platform itself reports",
        ),
        Column(
            "platform_conversion_value",
            "float",
            required=False,
            nullable=True,
            doc="conversion value the platform itself reports",
        ),
        *_PROVENANCE,
    ),
    doc="daily spend per platform and campaign",
)

IDENTITIES = Table(
    "identities",
    (
        Column("id_type", "string", doc="identifier type"),
        Column("id_value", "string", doc="identifier value (emails/phones hashed)"),
        Column(PERSON_ID, "string", doc="stable person id"),
        Column(ACCOUNT_ID, "string", nullable=True, doc="account id where known"),
    ),
    doc="one row per identifier, output of stitching",
)

QUARANTINE = Table(
    "quarantine",
    (
        Column(SOURCE, "string", doc="configured source name"),
        Column(SOURCE_FILE, "string", nullable=True, doc="file"),
        Column(SOURCE_ROW, "int", nullable=True, doc="1-based row/line in the file"),
        Column("column", "string", nullable=True, doc="offending column"),
        Column("reason", "string", doc="why the row could not be used"),
        Column("value", "string", nullable=True, doc="offending value, as text"),
    ),
    doc="rows that could not be used",
)

JOURNEYS = Table(
    "journeys",
    (
        Column(JOURNEY_ID, "string", doc="stable journey id"),
        Column(PERSON_ID, "string", doc="person (or account) the journey belongs to"),
        Column("converted", "bool", doc="whether it ended in a conversion"),
        Column(CONVERSION_TYPE, "string", nullable=True, doc="type of the conversion"),
        Column("conversion_ts", "datetime", nullable=True, doc="conversion time"),
        Column(VALUE, "float", doc="conversion value (0 when not converted)"),
        Column("n_touches", "int", doc="touches in the journey"),
        Column("first_channel", "string", nullable=True, doc="channel of the first touch"),
        Column("last_channel", "string", nullable=True, doc="channel of the last touch"),
        Column("duration_days", "float", nullable=True, doc="first touch to end, days"),
        Column("path", "string", doc="touch labels joined by ' > '"),
        Column(ACCOUNT_ID, "string", nullable=True, doc="account of the person/journey"),
        Column(CONVERSION_ID, "string", nullable=True, doc="id of the conversion, if any"),
        Column("first_ts", "datetime", nullable=True, doc="time of the first touch"),
        Column("n_channels", "int", doc="distinct channels among the touches"),
    ),
    doc="one row per journey; attribute columns (segment, region ...) follow as extras",
)

JOURNEY_TOUCHES = Table(
    "journey_touches",
    (
        Column(JOURNEY_ID, "string", doc="journey"),
        Column("position", "int", doc="0-based position in the journey"),
        Column(TS, "datetime", doc="touch time"),
        Column(CHANNEL, "string", doc="channel group"),
        Column(TOUCH_TYPE, "string", doc="touch type"),
        Column(CAMPAIGN, "string", nullable=True, doc="campaign"),
        Column("days_to_conversion", "float", nullable=True, doc="days until journey end"),
        Column(PLATFORM, "string", nullable=True, doc="platform"),
        Column("page", "string", nullable=True, doc="page path or screen"),
        Column("event_name", "string", nullable=True, doc="raw event name"),
        Column("label", "string", doc="the touch at the journey's path level"),
    ),
    doc="one row per touch in a journey",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        TOUCHPOINTS,
        CONVERSIONS,
        IDENTITY_LINKS,
        SPEND,
        IDENTITIES,
        QUARANTINE,
        JOURNEYS,
        JOURNEY_TOUCHES,
    )
}
