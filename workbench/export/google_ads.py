"""Google Ads offline conversion import files (CSV), per Google's templates.

File layout [G-OCI] (source keys in :mod:`workbench.export.rules`)::

    Parameters:TimeZone=America/New_York
    Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency
    Cj0KCQ...,purchase,2026-03-01 09:30:00,120.00,USD

* The first row declares the zone of every ``Conversion Time``. Google
  accepts a time zone ID from its list [G-TZ] (IANA names such as
  ``America/New_York``, which follow daylight saving time) or a fixed GMT
  offset ``+HHMM``/``-HHMM`` [G-OCI]. We write the IANA name as given, and
  ``+0000`` for UTC (and its aliases), since ``UTC`` itself is not an ID on
  Google's list. An offset passed as ``timezone="-0500"`` is written as is.
* ``Conversion Time`` is ``yyyy-MM-dd HH:mm:ss`` in that zone (one of the
  formats [G-OCI] lists; no ``T``, no offset suffix).
* One click id column per file: ``Google Click ID`` (gclid), ``GBRAID`` or
  ``WBRAID`` (iOS app / web clicks), each file its own template [G-OCI]; a row
  carries exactly one click id.
* Conversions without a click id but with a hashed email or phone go to the
  enhanced-conversions-for-leads template, columns ``Email``,
  ``Phone Number``, then the same four [G-OCI], [G-EC4L].
* ``Conversion Value`` is written with two decimals, ``Conversion Currency``
  as the ISO 4217 code.

The gclid file is written to the requested path; the other kinds go next to
it as ``<stem>_gbraid.csv``, ``<stem>_wbraid.csv`` and
``<stem>_enhanced_leads.csv`` (only when they have rows).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

import pandas as pd

from workbench.csv_safety import formula_safe
from workbench.export.payload import format_amount
from workbench.export.rules import (
    GOOGLE_CLICK_COLUMNS,
    GOOGLE_ENHANCED_COLUMNS,
    GOOGLE_TAIL_COLUMNS,
)
from workbench.schema import TS
from workbench.timestamps import check_timezone

__all__ = [
    "ENHANCED_LEADS",
    "format_google_time",
    "google_csv",
    "google_files",
    "google_timezone_parameter",
    "google_variants",
    "resolve_timezone",
]

#: Variant name of the enhanced-conversions-for-leads file.
ENHANCED_LEADS = "enhanced_leads"

_UTC_NAMES = frozenset(
    {"UTC", "Etc/UTC", "GMT", "Etc/GMT", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu"}
)
_OFFSET = re.compile(r"^([+-])(\d{2})(\d{2})$")


def google_timezone_parameter(timezone: str) -> str:
    """The value after ``Parameters:TimeZone=`` for ``timezone``.

    ``"UTC"`` -> ``"+0000"``; ``"-0500"`` -> ``"-0500"``; an IANA name is
    checked and returned unchanged.
    """
    if timezone in _UTC_NAMES:
        return "+0000"
    if _OFFSET.match(timezone):
        return timezone
    return check_timezone(timezone, key="timezone")


def resolve_timezone(timezone: str) -> str | dt_timezone:
    """A zone pandas understands for ``timezone`` (IANA name, UTC alias or ``+HHMM``)."""
    match = _OFFSET.match(timezone)
    if not match:
        return "UTC" if timezone in _UTC_NAMES else timezone
    sign = -1 if match.group(1) == "-" else 1
    return dt_timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


def format_google_time(ts: pd.Series, timezone: str) -> pd.Series:
    """``yyyy-MM-dd HH:mm:ss`` in ``timezone`` (IANA name or ``+HHMM``) [G-OCI]."""
    local = pd.to_datetime(ts, utc=True).dt.tz_convert(resolve_timezone(timezone))
    return local.dt.strftime("%Y-%m-%d %H:%M:%S").astype("string")


def google_variants(prepared: pd.DataFrame, *, timezone: str) -> dict[str, pd.DataFrame]:
    """Split accepted rows into Google template frames, keyed by click kind or ``enhanced_leads``.

    Parameters
    ----------
    prepared
        Accepted rows (``click_kind``, ``click_id``, ``email_sha256``,
        ``phone_sha256``, ``conversion_name``, ``ts``, ``value_sent``, ``currency``).
    timezone
        Zone the ``Conversion Time`` is written in.

    Returns
    -------
    dict
        ``{"gclid": frame, "gbraid": ..., "wbraid": ..., "enhanced_leads": ...}``;
        every key present (frames may be empty), columns exactly the template's.
    """
    tail = pd.DataFrame(
        {
            "Conversion Name": prepared["conversion_name"].astype("string"),
            "Conversion Time": format_google_time(prepared[TS], timezone),
            "Conversion Value": format_amount(prepared["value_sent"]),
            "Conversion Currency": prepared["currency"].astype("string"),
        },
        index=prepared.index,
    )
    out: dict[str, pd.DataFrame] = {}
    for kind, column in GOOGLE_CLICK_COLUMNS.items():
        mine = prepared["click_kind"].eq(kind).fillna(False).astype(bool)
        frame = pd.concat(
            [prepared.loc[mine, ["click_id"]].rename(columns={"click_id": column}), tail[mine]],
            axis=1,
        )
        out[kind] = frame[[column, *GOOGLE_TAIL_COLUMNS]].reset_index(drop=True)
    leads = prepared["click_kind"].isna()
    ids = pd.DataFrame(
        {
            "Email": prepared.loc[leads, "email_sha256"].astype("string"),
            "Phone Number": prepared.loc[leads, "phone_sha256"].astype("string"),
        }
    )
    frame = pd.concat([ids, tail[leads]], axis=1)
    out[ENHANCED_LEADS] = frame[list(GOOGLE_ENHANCED_COLUMNS)].reset_index(drop=True)
    return out


def google_csv(frame: pd.DataFrame, *, timezone: str) -> str:
    r"""The text of one Google import file: parameters row, header, rows (``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f"Parameters:TimeZone={google_timezone_parameter(timezone)}"])
    writer.writerow(list(frame.columns))
    # every column is Google's template: read verbatim, so formula-like values must have
    # been rejected by the pre-send checks (formula_safe raises if one slipped through)
    frame = formula_safe(frame, mandated=frame.columns)
    for record in frame.astype("object").where(frame.notna(), "").itertuples(index=False):
        writer.writerow(list(record))
    return buffer.getvalue()


def google_files(variants: dict[str, pd.DataFrame], out: Path, *, timezone: str) -> dict[Path, str]:
    """File path -> CSV text for each variant worth writing.

    The gclid file always goes to ``out`` (header only when empty); the other
    variants go to ``<stem>_<variant><suffix>`` when they have rows.
    """
    files = {out: google_csv(variants["gclid"], timezone=timezone)}
    for name, frame in variants.items():
        if name == "gclid" or frame.empty:
            continue
        files[out.with_name(f"{out.stem}_{name}{out.suffix or '.csv'}")] = google_csv(
            frame, timezone=timezone
        )
    return files
