"""Pre-send checks: what each platform would reject, and the no-raw-PII guard.

:func:`check_rows` applies every documented rule to the prepared rows and
returns a rejection report (one row per broken rule, columns
``row, conversion_id, platform, reason``). Rejected rows are not written;
the report says why. Rules (sources in :mod:`workbench.export.rules`):

* conversion time present, not in the future, and no older than the
  platform's maximum age (Google 90 days [G-ERR]/[G-WIN], Meta 7 days
  [M-API], LinkedIn 90 days [L-CAPI]), relative to ``now``;
* Google: the click itself no older than 90 days (``EXPIRED_EVENT``) and at
  least 6 hours old (``TOO_RECENT_EVENT``) [G-ERR];
* value present, numeric and >= 0; under a model, > 0 (a zero is reported as
  "model credits this platform nothing");
* currency an ISO 4217 code: three letters [G-OCI], [M-SEP], [L-CAPI];
* emails/phones usable and hashed as 64 lowercase hex [G-EC4L], [M-CIP];
* a match key: Google a click id or hashed email/phone [G-OCI]; Meta a
  hashed email/phone, ``fbc``, ``fbp`` or IP + user agent [M-CIP]; LinkedIn a
  hashed email or ``li_fat_id`` [L-CAPI];
* a conversion name / event name / conversion rule URN;
* Google: a click id made of the characters Google click ids have
  (:data:`~workbench.export.rules.GOOGLE_CLICK_ID_PATTERN`, never starting
  with a formula character) and a conversion name that does not start with
  one: the upload CSV is read verbatim, so such values are rejected here
  instead of being neutralized (:mod:`workbench.csv_safety`);
* duplicates (later copies rejected): Google same click id + conversion name
  + conversion time [G-OCI]; Meta same ``event_name`` + ``event_id``
  [M-DEDUP]; LinkedIn same conversion rule + ``eventId`` [L-CAPI]. Meta only
  deduplicates within 48 hours, so copies further apart would be counted
  twice: every repeat of the key inside one export is rejected.

:func:`assert_no_pii` is the last step before anything is written: it scans
every outgoing string and raises :class:`PIILeakError` on anything that looks
like a raw email address or phone number, or on a must-be-hashed field that
is not a SHA-256 digest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd

from workbench.csv_safety import formula_like
from workbench.errors import WorkbenchError
from workbench.export.rules import (
    GOOGLE_CLICK_ID_PATTERN,
    LINKEDIN_URN_PATTERN,
    LINKEDIN_URN_PLACEHOLDER,
    PLATFORM_RULES,
    SHA256_PATTERN,
)
from workbench.schema import CONVERSION_ID, TS

__all__ = [
    "REJECTION_COLUMNS",
    "PIILeakError",
    "assert_no_pii",
    "check_rows",
    "empty_rejections",
    "find_pii",
    "require_columns",
    "walk_strings",
]

#: Columns of the rejection report.
REJECTION_COLUMNS: tuple[str, ...] = ("row", CONVERSION_ID, "platform", "reason")

_EMAIL_RE = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_PHONE_CHARS_RE = r"\+?[\d\s().\-]+"
_SEPARATOR_GROUPS_RE = r"[\s().\-]+"
_IPV4_RE = r"\d{1,3}(?:\.\d{1,3}){3}"


class PIILeakError(WorkbenchError):
    """An outgoing value looks like a raw email address or phone number.

    Raised before anything is written; the message names the fields, never
    the values.
    """


def require_columns(
    df: pd.DataFrame, columns: Iterable[str], *, table: str, purpose: str
) -> list[str]:
    """Problems for every column of ``columns`` missing from ``df`` (empty when all present)."""
    present = ", ".join(map(str, df.columns)) or "(none)"
    return [
        f"{table}: required column {c!r} is missing ({purpose}); present columns: {present}"
        for c in columns
        if c not in df.columns
    ]


def empty_rejections() -> pd.DataFrame:
    """An empty rejection report."""
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            CONVERSION_ID: pd.Series(dtype="string"),
            "platform": pd.Series(dtype="string"),
            "reason": pd.Series(dtype="string"),
        }
    )


_Rule = tuple[str | pd.Series, pd.Series]


def _age_rules(prepared: pd.DataFrame, platform: str, now: pd.Timestamp) -> list[_Rule]:
    rules = PLATFORM_RULES[platform]
    ts = prepared[TS]
    max_age = pd.Timedelta(days=rules.max_age_days)
    out: list[_Rule] = [
        ("conversion time missing or unparseable", ts.isna()),
        ("conversion time is in the future", ts > now),
        (
            f"conversion older than {rules.max_age_days} days "
            f"({rules.label} accepts at most {rules.max_age_days} days back)",
            (now - ts) > max_age,
        ),
    ]
    if platform == "google_ads":
        click = prepared["click_ts"]
        out += [
            ("Google click older than 90 days (EXPIRED_EVENT)", (now - click) > max_age),
            (
                "Google click less than 6 hours old (TOO_RECENT_EVENT); send it later",
                (now - click) < pd.Timedelta(hours=6),
            ),
        ]
    return out


def _value_rules(prepared: pd.DataFrame) -> list[_Rule]:
    value = prepared["value_sent"]
    currency = prepared["currency"]
    model_reason = prepared["value_reason"]
    iso = currency.str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool)
    return [
        (model_reason, model_reason.notna()),
        ("conversion value missing or not numeric", value.isna() & model_reason.isna()),
        ("conversion value is negative", value < 0),
        ("currency missing", currency.isna()),
        ("currency is not a 3-letter ISO 4217 code", currency.notna() & ~iso),
    ]


def _is_hex(values: pd.Series) -> pd.Series:
    return values.astype("string").str.fullmatch(SHA256_PATTERN).fillna(False).astype(bool)


def _identifier_rules(prepared: pd.DataFrame, platform: str) -> list[_Rule]:
    email, phone = prepared["email_sha256"], prepared["phone_sha256"]
    bad_hash = (email.notna() & ~_is_hex(email)) | (phone.notna() & ~_is_hex(phone))
    click = prepared["click_id"].notna()
    if platform == "google_ads":
        keyless = ~click & email.isna() & phone.isna()
        key_reason = "no Google click id (gclid/gbraid/wbraid) and no hashed email or phone"
    elif platform == "meta":
        web = prepared["client_ip_address"].notna() & prepared["client_user_agent"].notna()
        keyless = ~click & email.isna() & phone.isna() & prepared["fbp"].isna() & ~web
        key_reason = "no hashed email/phone, fbc, fbp or IP + user agent to match on"
    else:
        keyless = ~click & email.isna()
        key_reason = "no hashed email and no li_fat_id to match on"
    name = prepared["conversion_name"]
    out: list[_Rule] = [
        (prepared["email_problem"], prepared["email_problem"].notna()),
        (prepared["phone_problem"], prepared["phone_problem"].notna()),
        ("hashed identifier is not 64 lowercase hex characters", bad_hash),
        (key_reason, keyless),
        ("no conversion name for this conversion type", name.isna() | name.str.strip().eq("")),
    ]
    if platform == "google_ads":
        out += _google_text_rules(prepared)
    if platform == "linkedin":
        urn = name.str.fullmatch(LINKEDIN_URN_PATTERN).fillna(False).astype(bool)
        malformed = name.notna() & name.ne(LINKEDIN_URN_PLACEHOLDER) & ~urn
        out.append(("conversion rule is not a urn:lla:llaPartnerConversion:<id> URN", malformed))
    return out


def _google_text_rules(prepared: pd.DataFrame) -> list[_Rule]:
    """Values Google reads verbatim from the CSV: never formula-like (see csv_safety)."""
    click = prepared["click_id"].astype("string")
    malformed = click.notna() & (
        ~click.str.fullmatch(GOOGLE_CLICK_ID_PATTERN).fillna(False) | formula_like(click)
    )
    name = prepared["conversion_name"].astype("string")
    return [
        (
            "Google click id is not valid: it starts with =, +, - or @ or has characters "
            "a click id cannot have (formula-like text from a URL)",
            malformed,
        ),
        (
            "conversion name starts with =, +, -, @, tab or CR (a spreadsheet would run it)",
            formula_like(name),
        ),
    ]


def _dedup_key(prepared: pd.DataFrame, platform: str) -> tuple[pd.DataFrame, str]:
    if platform == "google_ads":
        key = pd.DataFrame(
            {
                "click": prepared["click_kind"].fillna("") + ":" + prepared["click_id"].fillna(""),
                "ids": prepared["email_sha256"].fillna("") + prepared["phone_sha256"].fillna(""),
                "name": prepared["conversion_name"],
                "time": prepared[TS].dt.floor("s"),
            }
        )
        return key, "duplicate: same click id (or email/phone), conversion name and time"
    key = pd.DataFrame({"name": prepared["conversion_name"], "id": prepared["event_id"]})
    if platform == "meta":
        return key, "duplicate: same event_name and event_id as an earlier row"
    return key, "duplicate: same conversion rule and eventId as an earlier row"


def check_rows(prepared: pd.DataFrame, *, platform: str, now: pd.Timestamp) -> pd.DataFrame:
    """Every documented rule ``prepared`` breaks for ``platform``, one report row each.

    Parameters
    ----------
    prepared
        One row per conversion as built by
        :func:`workbench.export.pipeline.prepare_rows` (``row``,
        ``conversion_id``, ``ts``, ``value_sent``, ``value_reason``,
        ``currency``, ``click_*``, ``email_sha256``, ``phone_sha256``,
        ``*_problem``, ``conversion_name``, ``event_id``, Meta extras).
    platform
        Platform key.
    now
        The upload time the age rules count back from (tz-aware UTC).

    Returns
    -------
    pandas.DataFrame
        Columns ``row, conversion_id, platform, reason``; a row breaking
        several rules appears once per rule. Duplicates are looked for only
        among rows that pass every other rule, so exactly one copy is sent.
    """
    rules = [
        *_age_rules(prepared, platform, now),
        *_value_rules(prepared),
        *_identifier_rules(prepared, platform),
    ]
    bad = pd.Series(False, index=prepared.index)
    parts = []
    for reason, mask in rules:
        mask = mask.fillna(False).astype(bool)
        bad |= mask
        parts.append(_report(prepared, mask, reason, platform))
    key, dup_reason = _dedup_key(prepared, platform)
    dup = key[~bad].duplicated(keep="first").reindex(prepared.index, fill_value=False)
    parts.append(_report(prepared, dup.astype(bool), dup_reason, platform))
    out = pd.concat([empty_rejections(), *parts], ignore_index=True)
    return out.sort_values("row", kind="stable").reset_index(drop=True)


def _report(
    prepared: pd.DataFrame, mask: pd.Series, reason: str | pd.Series, platform: str
) -> pd.DataFrame:
    rows = prepared.loc[mask]
    if isinstance(reason, str):
        reasons = [reason] * len(rows)
    else:
        reasons = reason[mask].tolist()
    return pd.DataFrame(
        {
            "row": rows["row"].astype("int64").to_numpy(),
            CONVERSION_ID: pd.array(rows[CONVERSION_ID].tolist(), dtype="string"),
            "platform": pd.array([platform] * len(rows), dtype="string"),
            "reason": pd.array(reasons, dtype="string"),
        }
    )


# --- the no-PII guard ---------------------------------------------------------


def walk_strings(payload: object, path: str = "$") -> Iterator[tuple[str, str]]:
    """Yield ``(path, value)`` for every string in a JSON-like structure."""
    if isinstance(payload, str):
        yield path, payload
    elif isinstance(payload, dict):
        for key, value in payload.items():
            yield from walk_strings(value, f"{path}.{key}")
    elif isinstance(payload, list | tuple):
        for i, value in enumerate(payload):
            yield from walk_strings(value, f"{path}[{i}]")


def find_pii(strings: Iterable[tuple[str, str]]) -> list[str]:
    """Paths of values that look like a raw email address or phone number.

    Emails: an ``local@domain.tld`` pattern anywhere in the value. Phones: the
    whole value made of phone characters, with either a leading ``+`` and
    8-15 digits, or 10-15 digits in at least two groups (``415-555-0123``,
    ``(415) 555 0123``), IPv4 addresses excepted. Bare digit runs (``4155550123``) are not flagged:
    they cannot be told apart from numeric ids; hashed fields are checked by
    ``hashed_paths`` in :func:`assert_no_pii` instead.
    """
    items = list(strings)
    if not items:
        return []
    paths = pd.Series([p for p, _ in items], dtype="object")
    values = pd.Series([v for _, v in items], dtype="string").str.strip()
    email = values.str.contains(_EMAIL_RE, regex=True).fillna(False)
    digits = values.str.count(r"\d")
    phone_chars = values.str.fullmatch(_PHONE_CHARS_RE).fillna(False)
    plus = values.str.startswith("+").fillna(False) & digits.between(8, 15)
    groups = values.str.strip("+").str.count(_SEPARATOR_GROUPS_RE)
    grouped = digits.between(10, 15) & (groups >= 2)
    ipv4 = values.str.fullmatch(_IPV4_RE).fillna(False)
    phone = phone_chars & (plus | grouped) & ~ipv4
    return paths[(email | phone).to_numpy(dtype=bool)].tolist()


def assert_no_pii(
    strings: Iterable[tuple[str, str]],
    *,
    hashed: Iterable[tuple[str, str]] = (),
    where: str = "export",
) -> None:
    """Raise :class:`PIILeakError` if anything outgoing looks like a raw email or phone.

    Parameters
    ----------
    strings
        ``(path, value)`` for every outgoing string (see :func:`walk_strings`).
    hashed
        ``(path, value)`` for fields the platform wants hashed; each must be a
        SHA-256 digest (64 lowercase hex characters).
    where
        What is being exported, for the message.
    """
    leaks = find_pii(strings)
    hashed = list(hashed)
    ok = _is_hex(pd.Series([v for _, v in hashed], dtype="object"))
    unhashed = [p for (p, _), good in zip(hashed, ok.tolist(), strict=True) if not good]
    if leaks or unhashed:
        problems = []
        if leaks:
            shown = ", ".join(leaks[:5]) + (
                f" (and {len(leaks) - 5} more)" if len(leaks) > 5 else ""
            )
            problems.append(
                f"{where}: {len(leaks)} outgoing value(s) look like a raw email address or "
                f"phone number, at {shown}; nothing was written"
            )
        if unhashed:
            shown = ", ".join(unhashed[:5])
            problems.append(
                f"{where}: {len(unhashed)} field(s) that must be SHA-256 hashed are not 64 "
                f"lowercase hex characters, at {shown}; nothing was written"
            )
        raise PIILeakError("\n".join(problems))
