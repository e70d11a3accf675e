"""The ad platforms' documented rules for conversion uploads, in one place.

Every number and name the export package relies on lives here, next to the
document it comes from; the platform names, labels, click ids and channel map
shared with the rest of the package live in :mod:`workbench.platforms`. Sources (checked 2026):

``[G-OCI]``
    Google Ads Help, "Import conversions from ad clicks into Google Ads using
    files", https://support.google.com/google-ads/answer/7014069 (template
    columns, ``Parameters:TimeZone`` row, accepted time formats).
``[G-TZ]``
    Google Ads API, "Codes and formats: Timezone IDs",
    https://developers.google.com/google-ads/api/data/codes-formats#timezone_ids
``[G-EC4L]``
    Google Ads API, "Enhanced conversions for leads: normalization and hashing",
    https://developers.google.com/google-ads/api/docs/conversions/upload-identifiers
``[G-ERR]``
    Google Ads API, ``ConversionUploadError`` enum (``EXPIRED_EVENT``,
    ``TOO_RECENT_EVENT``, ``CONVERSION_PRECEDES_EVENT``),
    https://developers.google.com/google-ads/api/reference/rpc/latest/ConversionUploadErrorEnum.ConversionUploadError
``[G-WIN]``
    Google Ads Help, "About conversion windows" (click-through window 1-90
    days, default 30), https://support.google.com/google-ads/answer/3123169
``[M-API]``
    Meta, "Conversions API: using the API" (``event_time`` at most 7 days in
    the past, else the whole request fails; at most 1,000 events in ``data``),
    https://developers.facebook.com/docs/marketing-api/conversions-api/using-the-api
``[M-CIP]``
    Meta, "Customer information parameters" (``em``/``ph`` normalization and
    SHA-256; ``fbc``/``fbp``/``client_ip_address``/``client_user_agent`` not
    hashed), https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters
``[M-FBC]``
    Meta, "fbp and fbc parameters" (``fb.1.<creation_time ms>.<fbclid>``),
    https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/fbp-and-fbc
``[M-SEP]``
    Meta, "Server event parameters" (``action_source`` values; website events
    need ``client_user_agent`` and ``event_source_url``),
    https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/server-event
``[M-DEDUP]``
    Meta, "Handling duplicate pixel and Conversions API events" (same
    ``event_name`` + ``event_id`` within 48 hours are deduplicated),
    https://developers.facebook.com/docs/marketing-api/conversions-api/deduplicate-pixel-and-server-events
``[M-CRM]``
    Meta, "Conversion Leads integration" (CRM events: ``action_source =
    "system_generated"``, ``custom_data.event_source = "crm"``),
    https://developers.facebook.com/docs/marketing-api/conversions-api/conversion-leads-integration
``[L-CAPI]``
    LinkedIn Marketing API, "Conversions API" (``conversionHappenedAt`` epoch
    milliseconds within the past 90 days; ``userIds`` types; batch create up
    to 5,000 events),
    https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads-reporting/conversions-api
``[L-RULE]``
    LinkedIn, "Conversions API schema" (``postClickAttributionWindowSize``
    1/7/30/90 days, default 30),
    https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads-reporting/conversions-api-schema
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.platforms import (
    DEFAULT_CHANNEL_PLATFORMS,
    PLATFORM_ALIASES,
    PLATFORM_CLICK_IDS,
    PLATFORM_LABELS,
    PLATFORMS,
)

__all__ = [
    "CONVERSION_TYPE_EVENTS",
    "DEFAULT_CHANNEL_PLATFORMS",
    "GOOGLE_CLICK_COLUMNS",
    "GOOGLE_CLICK_ID_PATTERN",
    "GOOGLE_ENHANCED_COLUMNS",
    "GOOGLE_TAIL_COLUMNS",
    "LINKEDIN_URN_PATTERN",
    "LINKEDIN_URN_PLACEHOLDER",
    "PLATFORMS",
    "PLATFORM_ALIASES",
    "PLATFORM_RULES",
    "SHA256_PATTERN",
    "PlatformRules",
]


#: A SHA-256 digest as every platform wants it: 64 lowercase hex characters
#: ([G-EC4L], [M-CIP], [L-CAPI]).
SHA256_PATTERN = r"[0-9a-f]{64}"


@dataclass(frozen=True)
class PlatformRules:
    """What one platform accepts in a conversion upload.

    Parameters
    ----------
    name
        Platform key (``google_ads``, ``meta``, ``linkedin``).
    label
        Human name used in messages.
    max_age_days
        Oldest conversion the platform accepts, counted back from the upload.
    click_window_days
        Default window before a conversion in which a click of this platform
        is looked up (override with ``click_window_days=``).
    click_id_types
        Identifier columns that carry this platform's click ids, preferred first.
    batch_size
        Most events per API request (``None`` for file uploads).
    """

    name: str
    label: str
    max_age_days: int
    click_window_days: int
    click_id_types: tuple[str, ...]
    batch_size: int | None


PLATFORM_RULES: dict[str, PlatformRules] = {
    # [G-OCI]/[G-ERR]: a click older than the action's click-through window is
    # rejected as EXPIRED_EVENT; the longest window is 90 days [G-WIN], so
    # nothing older than 90 days can be imported. We look clicks up in the
    # full 90 days; actions configured with a shorter window reject older ones.
    "google_ads": PlatformRules(
        name="google_ads",
        label=PLATFORM_LABELS["google_ads"],
        max_age_days=90,
        click_window_days=90,
        click_id_types=PLATFORM_CLICK_IDS["google_ads"],
        batch_size=None,
    ),
    # [M-API]: "If any event_time in data is greater than 7 days in the past,
    # we return an error for the entire request". Up to 1,000 events per
    # request. Click window: Meta's default attribution setting is 7-day click.
    "meta": PlatformRules(
        name="meta",
        label=PLATFORM_LABELS["meta"],
        max_age_days=7,
        click_window_days=7,
        click_id_types=PLATFORM_CLICK_IDS["meta"],
        batch_size=1000,
    ),
    # [L-CAPI]: conversionHappenedAt must be within the past 90 days; batches
    # of up to 5,000 events. [L-RULE]: post-click window defaults to 30 days.
    "linkedin": PlatformRules(
        name="linkedin",
        label=PLATFORM_LABELS["linkedin"],
        max_age_days=90,
        click_window_days=30,
        click_id_types=PLATFORM_CLICK_IDS["linkedin"],
        batch_size=5000,
    ),
}

#: Default event name per conversion type for each platform (override with
#: ``conversion_name=``). Meta standard events [M-SEP]: Lead,
#: CompleteRegistration, Purchase; "Opportunity" is a custom event (CRM stage
#: names are what [M-CRM] asks for). Google "Conversion Name" must equal the
#: name of an import conversion action [G-OCI], so by default it is the
#: conversion type itself. LinkedIn wants a conversion rule URN, see
#: :data:`LINKEDIN_URN_PLACEHOLDER`.
CONVERSION_TYPE_EVENTS: dict[str, dict[str, str]] = {
    "google_ads": {},
    "meta": {
        "lead": "Lead",
        "signup": "CompleteRegistration",
        "opportunity": "Opportunity",
        "deal_won": "Purchase",
        "purchase": "Purchase",
    },
    "linkedin": {},
}

#: Placeholder conversion rule URN written when none is configured; the
#: result carries a warning until it is replaced by the real rule id [L-CAPI].
LINKEDIN_URN_PLACEHOLDER = "urn:lla:llaPartnerConversion:REPLACE_WITH_RULE_ID"
#: Shape of a real LinkedIn conversion rule URN [L-CAPI].
LINKEDIN_URN_PATTERN = r"urn:lla:llaPartnerConversion:\d+"

#: Google template click id column per click id type [G-OCI]: one file per
#: type, because each template has exactly one click id column.
GOOGLE_CLICK_COLUMNS: dict[str, str] = {
    "gclid": "Google Click ID",
    "gbraid": "GBRAID",
    "wbraid": "WBRAID",
}
#: Shape of a Google click id (gclid/gbraid/wbraid): URL-safe base64 text, first character a
#: letter, digit or ``_`` (a value starting with ``=``, ``+``, ``-`` or ``@`` is formula text
#: picked up from a URL, never a click id Google issued).
GOOGLE_CLICK_ID_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_\-]*"
#: Columns after the click id in every Google template [G-OCI].
GOOGLE_TAIL_COLUMNS: tuple[str, ...] = (
    "Conversion Name",
    "Conversion Time",
    "Conversion Value",
    "Conversion Currency",
)
#: Enhanced conversions for leads template: hashed Email / Phone Number instead
#: of a click id [G-OCI], [G-EC4L].
GOOGLE_ENHANCED_COLUMNS: tuple[str, ...] = ("Email", "Phone Number", *GOOGLE_TAIL_COLUMNS)
