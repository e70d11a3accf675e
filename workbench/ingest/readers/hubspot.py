"""HubSpot CRM exports: contacts, companies, deals and engagements.

Dates are naive local times in the portal's timezone: set the source's
``timezone`` (``America/New_York`` in the sample). Record ids are kept as text
(``"123.0"`` from spreadsheets is read as ``"123"``); where several ids are
listed (``"12;34"``), the first is used.

``hubspot_contacts``
    * identity links (``"crm_record"``, at ``Create Date``) from
      ``crm_contact_id`` (Record ID) to the hashed ``email``, hashed ``phone``
      (``Phone Number``), ``anonymous_id`` (``GA Client ID``; a ``_ga`` cookie
      value ``GA1.1.123.456`` is reduced to the GA4 ``user_pseudo_id``
      ``123.456``), ``user_id`` (``User ID``) and ``crm_account_id``
      (``Associated Company ID``);
    * conversions from ``options.conversion_dates`` (``{column: conversion
      type}``, default ``{"Became a Lead Date" = "lead"}``; opportunities and
      won deals come from ``hubspot_deals`` so they are not counted twice),
      carrying every identifier of the contact, ``conversion_id``
      ``contact:<id>:<type>`` and ``attr_lifecycle_stage``,
      ``attr_original_source``;
    * ``ReadResult.contacts``: one row per contact with those attributes.
    A listed ``conversion_dates`` column missing from every file is a
    :class:`~workbench.errors.ValidationError` (not zero conversions).
    Names are not read. A repeated Record ID is quarantined (``"duplicate record id"``);
    an unparseable ``Create Date`` does not make the record unusable: it is kept
    without it (links with a missing ``ts``) and reported in the warnings, while an
    unparseable conversion date quarantines that conversion (``"unparseable HubSpot date"``).
``hubspot_companies``
    ``ReadResult.accounts``: ``crm_account_id``, ``company_name``, ``domain``,
    ``industry``, ``employees``, ``employee_band``, ``country``, ``created_at``
    (an unparseable Create Date is left missing and reported in the warnings).
    Every column the format does not know (a ``Segment`` or ``Tier``) is kept as
    ``attr_<snake_case>`` (:func:`extra_attributes`; contacts and deals too, on
    their conversions), for ``[attributes]`` and ``[segments]``.
``hubspot_deals``
    Conversions ``opportunity`` at ``Create Date`` (``value`` missing; the
    amount is in ``attr_amount``) and ``deal_won`` at ``Close Date`` when the
    stage is in ``options.won_stages`` (default ``["closedwon"]``; compared
    lower-case without spaces, so ``Closed Won`` matches), valued at
    ``Amount``. Each deal is credited once: to its first associated contact
    (``crm_contact_id``) and its company (``crm_account_id``); all contact ids
    are kept in ``attr_contact_ids``. ``conversion_id`` is the deal's Record ID.
    Extra columns: ``attr_deal_name``, ``attr_pipeline``, ``attr_deal_stage``,
    ``attr_product_line``, ``attr_deal_type``, ``attr_amount``. Every pipeline
    counts; ``[conversions]`` definitions keep some and merge mirrored web orders.
    Won deals without any ``Close Date`` column are an error.
``hubspot_engagements``
    One touch per activity: ``Activity Type`` mapped by
    ``options.activity_types`` (added to :data:`DEFAULT_ACTIVITY_TYPES`: ``CALL``
    -> ``sales_call``, ``MEETING`` -> ``meeting``, ``EMAIL`` -> ``sales_email``;
    ``NOTE`` and ``TASK`` -> ``""``: not touches, skipped and counted in
    ``files[...]["not_touches"]``); a meeting whose Subject starts with ``Demo``
    is a ``demo``. Other types are quarantined (``"activity type not mapped"``).
    Per-object exports (``calls.csv``, ``meetings.csv``, ...: ``Activity date``,
    ``Call Title`` / ``Meeting name`` / ``Email subject`` / ``Task Title``,
    ``Call outcome`` / ``Meeting outcome``, ``Associated Contact`` / ``...
    IDs``) have no ``Activity Type`` column: the type is ``options.activity_type``
    or the one the file name says (:data:`FILE_ACTIVITY_TYPES`), else the file is
    rejected. An association cell ``Name (e-mail)`` gives the hashed ``email``;
    ``attr_deal_id`` comes from ``Associated Deal IDs``. ``crm_contact_id``, ``crm_account_id``,
    ``channel`` / ``platform`` from the source config (platform defaults to
    ``hubspot``), ``event_name`` = the activity type, extra columns
    ``attr_owner`` (Activity Assigned To), ``attr_subject``, ``attr_outcome``,
    ``attr_activity_id``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from workbench.config import SourceConfig
from workbench.errors import ConfigError, ValidationError
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import (
    clean_ids,
    email_domain,
    email_hash,
    excel_mangled_ids,
    file_line_examples,
    finish,
    mapping_option,
    number_column,
    parse_times,
    phone_hash,
    star_links,
)
from workbench.ingest.readers._tabular import Field, read_exports
from workbench.ingest.readers.base import TABULAR_OPTIONS, ReadResult, register
from workbench.schema import (
    CHANNEL,
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
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "DEAL_FIELDS",
    "ENGAGEMENT_FIELDS",
    "read_hubspot_companies",
    "read_hubspot_contacts",
    "read_hubspot_deals",
    "read_hubspot_engagements",
]

CONTACT_FIELDS = (
    Field("Record ID", ("Contact ID", "Contact id"), required=True),
    Field("Email", ("Email Address",)),
    Field("Phone Number", ("Phone", "Mobile Phone Number")),
    Field("Create Date", ("Created Date", "Createdate")),
    Field("Lifecycle Stage"),
    Field("Associated Company ID", ("Associated Company IDs", "Associated Company IDs (Primary)")),
    Field("Original Source", ("Original Source Type",)),
    Field("GA Client ID", ("Google Analytics Client ID", "GA Client Id")),
    Field("User ID", ("User Id", "Product User ID")),
    Field("Became a Lead Date"),
)
COMPANY_FIELDS = (
    Field("Record ID", ("Company ID",), required=True),
    Field("Company name", ("Name", "Company Name")),
    Field("Company Domain Name", ("Domain", "Website URL")),
    Field("Industry"),
    Field("Number of Employees"),
    Field("Employee band", ("Employee Range", "Company size")),
    Field("Country/Region", ("Country",)),
    Field("Create Date", ("Created Date",)),
)
DEAL_FIELDS = (
    Field("Record ID", ("Deal ID",), required=True),
    Field("Deal Name"),
    Field("Pipeline"),
    Field("Deal Stage", required=True),
    Field("Amount"),
    Field("Currency", ("Deal Currency Code", "Currency Code")),
    Field("Create Date", ("Created Date",), required=True),
    Field("Close Date"),
    Field("Associated Contact IDs", ("Associated Contact ID", "Associated Contact")),
    Field("Associated Company ID", ("Associated Company IDs", "Associated Company")),
    Field("Product Line"),
    Field("Deal Type"),
)
ENGAGEMENT_FIELDS = (
    Field("Activity ID", ("Engagement ID", "Record ID"), required=True),
    Field("Activity Type", ("Engagement Type", "Type")),
    Field(
        "Activity Date",
        ("Engagement Date", "Timestamp", "Meeting start time", "Due date", "Create Date"),
        required=True,
    ),
    Field("Associated Contact ID", ("Associated Contact IDs", "Contact ID", "Associated Contact")),
    Field("Associated Company ID", ("Associated Company IDs", "Company ID", "Associated Company")),
    Field("Associated Deal IDs", ("Associated Deal ID", "Associated Deal", "Deal ID")),
    Field("Activity Assigned To", ("Assigned To", "Owner", "Activity assigned to")),
    Field(
        "Subject",
        ("Title", "Call Title", "Meeting name", "Email subject", "Task Title", "Meeting Title"),
    ),
    Field("Outcome", ("Call Outcome", "Meeting Outcome", "Task status")),
)

_TIME_REASON = "unparseable HubSpot date"
_CONTACT_IDS = ("Record ID", "Associated Company ID", "GA Client ID", "User ID")
_DEAL_IDS = ("Record ID", "Associated Contact IDs", "Associated Company ID")
_ACTIVITY_IDS = ("Activity ID", "Associated Contact ID", "Associated Company ID")
_PROVENANCE = [SOURCE, SOURCE_FILE, SOURCE_ROW]
DEFAULT_CONVERSION_DATES = {"Became a Lead Date": "lead"}
#: Default ``options.activity_types`` (``""``: a known activity that is not a touch).
DEFAULT_ACTIVITY_TYPES = {
    "CALL": "sales_call",
    "MEETING": "meeting",
    "EMAIL": "sales_email",
    "NOTE": "",
    "TASK": "",
}
#: Per-object export file names -> activity type (``calls.csv`` holds CALLs).
FILE_ACTIVITY_TYPES = {
    "call": "CALL",
    "meeting": "MEETING",
    "email": "EMAIL",
    "note": "NOTE",
    "task": "TASK",
}


#: Extra columns that look personal are never kept as attributes.
_PERSONAL = re.compile(
    r"(?i)\b(first|last|full|middle)?\s*name\b|e-?mail|phone|mobile|fax|address|street|"
    r"\bzip\b|postal|post code|\bip\b|birth|linkedin|twitter|facebook"
)


#: HubSpot's lifecycle date columns (read through ``options.conversion_dates``).
_LIFECYCLE = re.compile(r"(?i)^became an? .*date$")


def _spaced(column: object) -> str:
    r"""A header as the name patterns read it: ``FIRST_NAME`` -> ``FIRST NAME``.

    Headers match ignoring case, spaces and underscores; so must the personal and
    lifecycle patterns (``\b`` sees no word boundary in ``first_name``).
    """
    return re.sub(r"[\s_]+", " ", str(column)).strip()


def extra_attributes(
    rows: pd.DataFrame, fields: tuple[Field, ...], source: SourceConfig, notes: list[str]
) -> pd.DataFrame:
    """The file's columns the format does not know, as ``attr_<snake_case>`` attributes.

    A company ``Segment`` or ``Tier`` column becomes ``attr_segment`` / ``attr_tier``
    (usable in ``[attributes]`` and ``[segments]``). Lifecycle dates (``Became a ...
    Date``) are conversions, not attributes. Columns that look personal
    (names, e-mails, phones, addresses) are left out and named in a warning.
    """
    known = {f.key for f in fields} | set(_PROVENANCE)
    extra = [c for c in rows.columns if c not in known and not _LIFECYCLE.match(_spaced(c))]
    personal = [c for c in extra if _PERSONAL.search(_spaced(c))]
    if personal:
        notes.append(
            f"source {source.name!r}: not kept as attributes (they look personal): "
            + ", ".join(map(str, personal))
        )
    out = pd.DataFrame(index=rows.index)
    for column in extra:
        if column in personal:
            continue
        name = "attr_" + re.sub(r"[^0-9a-z]+", "_", str(column).lower()).strip("_")
        if name != "attr_" and name not in out.columns:
            out[name] = rows[column]
    return out


def crm_ids(values: pd.Series) -> pd.Series:
    """First id of each cell (``"12;34"`` -> ``"12"``, ``"123.0"`` -> ``"123"``), placeholders blanked."""
    first = values.astype("string").str.extract(r"^\s*([^;,|\s]+)", expand=False)
    first = first.astype("string").str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return clean_ids(first)


def _all_ids(values: pd.Series) -> pd.Series:
    parts = values.astype("string").str.replace(r"\s+", "", regex=True)
    parts = parts.str.replace(r"[,|]", ";", regex=True).str.replace(
        r"(\d+)\.0+(?=;|$)", r"\1", regex=True
    )
    return parts.mask(parts == "")


def _repeats(
    rows: pd.DataFrame, key: pd.Series, q: Quarantine, source: str, column: str
) -> pd.Series:
    repeat = key.notna() & key.duplicated()
    q.add(rows, repeat, reason="duplicate record id", source=source, column=column, values=key)
    return ~repeat


def _soft_times(
    rows: pd.DataFrame, column: str, source: SourceConfig, notes: list[str]
) -> pd.Series:
    """Parse a date the record does not depend on: bad values become NaT and a warning."""
    raw = rows[column].astype("string").str.strip()
    times = parse_timestamps(raw, timezone=source.timezone, fmt=source.ts_format)
    bad = times.isna() & raw.notna() & (raw != "")
    if bad.any():
        examples = file_line_examples(rows, bad, raw, n=5)
        notes.append(
            f"source {source.name!r}: {int(bad.sum())} row(s) with an {_TIME_REASON} in "
            f"{column!r} were kept without it ({examples})"
        )
    return times


def _ga_client_id(values: pd.Series) -> pd.Series:
    text = clean_ids(values)
    cookie = text.str.extract(r"^GA\d+\.\d+\.(\d+\.\d+)$", expand=False).astype("string")
    return cookie.fillna(text)


@register("hubspot_contacts", options=("conversion_dates", *TABULAR_OPTIONS))
def read_hubspot_contacts(source: SourceConfig) -> ReadResult:
    """HubSpot contacts -> CRM identity links, lifecycle conversions and contact attributes."""
    mapping = mapping_option(source, "conversion_dates", DEFAULT_CONVERSION_DATES)
    q = Quarantine()
    rows, files, notes = read_exports(source, CONTACT_FIELDS, q)
    matched = {k for info in files for k in info["columns"]}  # type: ignore[attr-defined]
    keys = {f.key for f in CONTACT_FIELDS}
    absent = [c for c in mapping if (c not in matched if c in keys else c not in rows.columns)]
    if absent and any(info["header_line"] for info in files):  # not only 0-byte files
        raise ValidationError(
            [
                f"options.conversion_dates names the column {c!r}, which is in none of the "
                f"files ({', '.join(str(f['file']) for f in files)}); export it, map it with "
                f"sources.columns, or set options.conversion_dates without it; columns found: "
                + ", ".join(
                    str(h)
                    for h in rows.columns
                    if h not in _PROVENANCE and (h not in keys or h in matched)
                )
                for c in absent
            ],
            context=f"source {source.name!r} (format 'hubspot_contacts')",
        )
    rows = excel_mangled_ids(rows, _CONTACT_IDS, source, q, notes, key="Record ID")
    contact_id = crm_ids(rows["Record ID"])
    rows = rows.loc[_repeats(rows, contact_id, q, source.name, "Record ID")]
    created = _soft_times(rows, "Create Date", source, notes)
    people = pd.DataFrame(
        {
            "crm_contact_id": crm_ids(rows["Record ID"]),
            "crm_account_id": crm_ids(rows["Associated Company ID"]),
            "email": email_hash(rows["Email"]),
            "email_domain": email_domain(rows["Email"]),
            "phone": phone_hash(rows["Phone Number"], source),
            "anonymous_id": _ga_client_id(rows["GA Client ID"]),
            "user_id": clean_ids(rows["User ID"]),
            "lifecycle_stage": rows["Lifecycle Stage"],
            "original_source": rows["Original Source"],
            "created_at": created,
            **{c: rows[c] for c in _PROVENANCE},
        }
    )
    dates = [c for c in mapping if c in rows.columns]
    people = people.join(extra_attributes(rows.drop(columns=dates), CONTACT_FIELDS, source, notes))
    links = star_links(
        people,
        ("crm_contact_id", "crm_contact_id"),
        {k: k for k in ("email", "phone", "anonymous_id", "user_id", "crm_account_id")},
        link_type="crm_record",
        ts="created_at",
        carry=("email_domain",),
    )
    parts = []
    for column, conversion_type in mapping.items():
        when, good = parse_times(rows, column, source, q, reason=_TIME_REASON)
        sub = people.loc[good & when.notna()].copy()
        sub[TS] = when
        sub[CONVERSION_TYPE] = conversion_type
        sub[CONVERSION_ID] = "contact:" + sub["crm_contact_id"] + ":" + conversion_type
        parts.append(sub)
    conversions = pd.concat(parts, ignore_index=True) if parts else people.iloc[:0]
    conversions = conversions.rename(
        columns={
            "lifecycle_stage": "attr_lifecycle_stage",
            "original_source": "attr_original_source",
        }
    ).drop(columns=["created_at"])
    return finish(
        source,
        q,
        conversions=conversions,
        identity_links=links,
        files=files,
        warnings=notes,
        contacts=people,
    )


@register("hubspot_companies", options=TABULAR_OPTIONS)
def read_hubspot_companies(source: SourceConfig) -> ReadResult:
    """HubSpot companies -> ``ReadResult.accounts`` (account attributes by ``crm_account_id``)."""
    q = Quarantine()
    rows, files, notes = read_exports(source, COMPANY_FIELDS, q)
    rows = excel_mangled_ids(rows, ("Record ID",), source, q, notes, key="Record ID")
    account_id = crm_ids(rows["Record ID"])
    missing = account_id.isna()
    q.add(rows, missing, reason="missing record id", source=source.name, column="Record ID")
    keep = ~missing & _repeats(rows, account_id.where(~missing), q, source.name, "Record ID")
    rows, account_id = rows.loc[keep], account_id.loc[keep]
    created = _soft_times(rows, "Create Date", source, notes)
    accounts = pd.DataFrame(
        {
            "crm_account_id": account_id,
            "company_name": rows["Company name"],
            "domain": rows["Company Domain Name"].str.lower(),
            "industry": rows["Industry"],
            "employees": number_column(rows, "Number of Employees", source, notes),
            "employee_band": rows["Employee band"],
            "country": rows["Country/Region"],
            "created_at": created,
            **{c: rows[c] for c in _PROVENANCE},
        }
    ).join(extra_attributes(rows, COMPANY_FIELDS, source, notes))
    return finish(source, q, files=files, warnings=notes, accounts=accounts)


@register("hubspot_deals", options=("won_stages", *TABULAR_OPTIONS))
def read_hubspot_deals(source: SourceConfig) -> ReadResult:
    """HubSpot deals -> ``opportunity`` and ``deal_won`` conversions, once per deal."""
    won = source.options.get("won_stages", ["closedwon"])
    if not isinstance(won, list) or not all(isinstance(w, str) for w in won):
        raise ConfigError(
            f"source {source.name!r}: options.won_stages = {won!r}; expected a list of "
            'deal stage names, e.g. ["closedwon"]'
        )
    won_keys = {w.lower().replace(" ", "") for w in won}
    q = Quarantine()
    rows, files, notes = read_exports(source, DEAL_FIELDS, q)
    rows = excel_mangled_ids(rows, _DEAL_IDS, source, q, notes, key="Record ID")
    deal_id = crm_ids(rows["Record ID"])
    rows = rows.loc[_repeats(rows, deal_id, q, source.name, "Record ID")]
    stage = rows["Deal Stage"].str.strip()
    is_won = stage.str.lower().str.replace(" ", "", regex=False).isin(won_keys).fillna(False)
    matched = {k for info in files for k in info["columns"]}  # type: ignore[attr-defined]
    if "Close Date" not in matched and is_won.any():
        raise ValidationError(
            f"{int(is_won.sum())} deal(s) are in a won stage (options.won_stages) but no file has "
            "a 'Close Date' column, so no deal_won can be dated; export Close Date or map it "
            'with sources.columns."Close Date"',
            context=f"source {source.name!r} (format 'hubspot_deals')",
        )
    created, ok_created = parse_times(rows, "Create Date", source, q, reason=_TIME_REASON)
    closed, ok_closed = parse_times(rows.loc[is_won], "Close Date", source, q, reason=_TIME_REASON)
    amount = number_column(rows, "Amount", source, notes, outcome="deal values left missing")
    base = pd.DataFrame(
        {
            CURRENCY: rows["Currency"].str.upper(),
            CONVERSION_ID: crm_ids(rows["Record ID"]),
            "crm_contact_id": crm_ids(rows["Associated Contact IDs"]),
            "crm_account_id": crm_ids(rows["Associated Company ID"]),
            "attr_contact_ids": _all_ids(rows["Associated Contact IDs"]),
            "attr_deal_name": rows["Deal Name"],
            "attr_pipeline": rows["Pipeline"],
            "attr_deal_stage": stage,
            "attr_product_line": rows["Product Line"],
            "attr_deal_type": rows["Deal Type"],
            "attr_amount": amount,
            **{c: rows[c] for c in _PROVENANCE},
        }
    )
    extras = extra_attributes(rows, DEAL_FIELDS, source, notes)
    base = base.join(extras.drop(columns=list(base), errors="ignore"))
    opportunity = base.assign(**{TS: created, CONVERSION_TYPE: "opportunity", VALUE: float("nan")})
    deal_won = base.loc[is_won].assign(**{TS: closed, CONVERSION_TYPE: "deal_won", VALUE: amount})
    conversions = pd.concat(
        [opportunity.loc[ok_created], deal_won.loc[ok_closed]], ignore_index=True
    )
    return finish(source, q, conversions=conversions, files=files, warnings=notes)


def _file_types(
    rows: pd.DataFrame, files: list[dict[str, object]], source: SourceConfig
) -> pd.Series:
    """Each row's activity type.

    Its ``Activity Type`` cell, else ``options.activity_type``, else the type named by its file (``calls.csv`` -> ``CALL``, see :data:`FILE_ACTIVITY_TYPES`).

    Raises
    ------
    ValidationError
        For a file without an ``Activity Type`` column whose type cannot be told.
    """
    kind = rows["Activity Type"].astype("string").str.strip().str.upper()
    given = source.options.get("activity_type")
    if given is not None and not isinstance(given, str):
        raise ConfigError(
            f"source {source.name!r}: options.activity_type = {given!r}; expected a text "
            'like "CALL", "MEETING", "EMAIL", "NOTE" or "TASK"'
        )
    problems = []
    for info in files:
        if "Activity Type" in info["columns"] or not info["rows"]:  # type: ignore[operator]
            continue  # (a file without rows needs no type)
        stem = Path(str(info["file"])).stem.lower()
        by_name = next((t for k, t in FILE_ACTIVITY_TYPES.items() if k in stem), None)
        fill = given.strip().upper() if given else by_name
        if fill is None:
            problems.append(
                f"{info['file']}: no 'Activity Type' column and the file name does not say "
                f'which activity it holds; set options.activity_type (e.g. "CALL") or name '
                f"the file calls.csv, meetings.csv, emails.csv, notes.csv or tasks.csv"
            )
            continue
        mine = (rows[SOURCE_FILE] == info["file"]).to_numpy(bool)
        kind[mine] = kind[mine].fillna(fill)
        info["activity_type"] = fill
    if problems:
        raise ValidationError(problems, context=f"source {source.name!r} (hubspot_engagements)")
    return kind


def _contact_refs(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``(crm_contact_id, email)`` of association cells.

    Cells hold ids (``"101;104"``) or names with e-mails (``"Ann Lee (ann@example.com)"``, as per-object exports write them).
    """
    text = values.astype("string")
    ids = crm_ids(text.where(text.str.match(r"^\s*\d", na=False)))
    mail = text.str.extract(r"([^\s(<;,]+@[^\s)>;,]+)", expand=False).astype("string")
    return ids, mail


@register("hubspot_engagements", options=("activity_types", "activity_type", *TABULAR_OPTIONS))
def read_hubspot_engagements(source: SourceConfig) -> ReadResult:
    """HubSpot engagements -> ``sales_call`` / ``meeting`` / ``demo`` / ``sales_email`` touches."""
    given = mapping_option(source, "activity_types", {})
    mapping = {k.strip().upper(): v for k, v in {**DEFAULT_ACTIVITY_TYPES, **given}.items()}
    q = Quarantine()
    rows, files, notes = read_exports(source, ENGAGEMENT_FIELDS, q)
    rows = excel_mangled_ids(rows, _ACTIVITY_IDS, source, q, notes, key="Activity ID")
    kind = _file_types(rows, files, source)
    touch_type = kind.map(mapping).astype("string")
    demo = rows["Subject"].str.match(r"(?i)\s*demo\b", na=False) & touch_type.eq("meeting").fillna(
        False
    )
    touch_type = touch_type.mask(demo.fillna(False), "demo")
    skipped = (touch_type == "").fillna(False).astype(bool)
    for info in files:
        info["not_touches"] = int((skipped & (rows[SOURCE_FILE] == info["file"])).sum())
    if skipped.any():
        counts = kind[skipped].value_counts()
        notes.append(
            f"source {source.name!r}: skipped {int(skipped.sum())} activities that are not "
            "touches (" + ", ".join(f"{k}: {n}" for k, n in counts.items()) + ")"
        )
    unmapped = touch_type.isna()
    q.add(
        rows,
        unmapped & ~skipped,
        reason="activity type not mapped (options.activity_types)",
        source=source.name,
        column="Activity Type",
        values=kind,
    )
    keep = ~unmapped & ~skipped
    rows, touch_type, kind = rows.loc[keep], touch_type.loc[keep], kind.loc[keep]
    ts, ok = parse_times(rows, "Activity Date", source, q, reason=_TIME_REASON)
    contact_id, contact_email = _contact_refs(rows["Associated Contact ID"])
    touches = pd.DataFrame(
        {
            TS: ts,
            TOUCH_TYPE: touch_type,
            CHANNEL: source.channel,
            PLATFORM: source.platform or "hubspot",
            "event_name": kind,
            "crm_contact_id": contact_id,
            "email": email_hash(contact_email),
            "email_domain": email_domain(contact_email),
            "crm_account_id": crm_ids(
                rows["Associated Company ID"].where(
                    rows["Associated Company ID"].str.match(r"^\s*\d", na=False)
                )
            ),
            "attr_owner": rows["Activity Assigned To"],
            "attr_subject": rows["Subject"],
            "attr_outcome": rows["Outcome"],
            "attr_activity_id": crm_ids(rows["Activity ID"]),
            "attr_deal_id": crm_ids(rows["Associated Deal IDs"]),
            **{c: rows[c] for c in _PROVENANCE},
        }
    ).loc[ok]
    return finish(source, q, touchpoints=touches, files=files, warnings=notes)
