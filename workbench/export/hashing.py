"""Normalize and SHA-256 emails and phones the way each platform asks.

The platforms disagree in small ways that decide whether a hash matches:

* Google [G-EC4L]: email trimmed, lower-cased, and for ``gmail.com`` /
  ``googlemail.com`` addresses every ``.`` before the ``@`` removed; phone in
  E.164 *with* the leading ``+`` (``+14155550123``).
* Meta [M-CIP]: email trimmed and lower-cased (no gmail rule); phone digits
  only, with the country code, *without* ``+`` (``14155550123``).
* LinkedIn [L-CAPI]: ``SHA256_EMAIL`` of the trimmed, lower-cased email; no
  phone identifier.

(Source keys are listed in :mod:`workbench.export.rules`.)

Values already stored as SHA-256 digests (the canonical tables keep emails
and phones only as hashes, see :mod:`workbench.identifiers`) cannot be
re-normalized. They were hashed as trimmed lower-case emails and ``+E.164``
phones, which is what Google and LinkedIn want -- except for gmail addresses
with dots, which then miss Google's match -- and not what Meta wants for
phones, so pre-hashed phones are not sent to Meta (the result warns).
"""

from __future__ import annotations

import pandas as pd

from workbench.export.rules import SHA256_PATTERN
from workbench.identifiers import blank_blocked, hash_values, normalize_phone

__all__ = [
    "HashedIdentifiers",
    "google_normalize_email",
    "hash_emails",
    "hash_phones",
    "is_sha256",
    "meta_normalize_phone",
]

_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def is_sha256(values: pd.Series) -> pd.Series:
    """Whether each value is a SHA-256 hex digest (64 lowercase hex characters)."""
    return values.astype("string").str.fullmatch(SHA256_PATTERN).fillna(False).astype(bool)


def _plain_email(values: pd.Series) -> pd.Series:
    """Trim and lower-case; invalid addresses become missing."""
    text = blank_blocked(values).str.lower()
    return text.where(text.str.fullmatch(_EMAIL, na=False))


def google_normalize_email(values: pd.Series) -> pd.Series:
    """Google's email normalization [G-EC4L]: trim, lower-case, drop dots in gmail local parts.

    ``" John.Smith@GMail.com "`` becomes ``"johnsmith@gmail.com"``; dots in
    other domains are kept (``"j.smith@example.com"``). Invalid addresses
    become missing.
    """
    text = _plain_email(values)
    parts = text.str.extract(r"^(?P<local>[^@]+)@(?P<domain>.+)$")
    gmail = parts["domain"].isin(_GMAIL_DOMAINS).fillna(False).astype(bool)
    fixed = parts["local"].str.replace(".", "", regex=False) + "@" + parts["domain"]
    return text.mask(gmail, fixed).astype("string")


def meta_normalize_phone(values: pd.Series, *, default_region: str = "US") -> pd.Series:
    """Meta's phone normalization [M-CIP]: country code + digits, no ``+``, no symbols.

    ``"(415) 555-0123"`` (region US) becomes ``"14155550123"``. Numbers that
    cannot be parsed become missing.
    """
    e164 = normalize_phone(values, default_region=default_region, hashed=False)
    return e164.str.replace("+", "", regex=False).astype("string")


class HashedIdentifiers:
    """Hashes for one identifier column, plus what went wrong per row.

    Attributes
    ----------
    hashes
        SHA-256 hex digest per row (missing where there is none to send).
    problem
        A rejection reason per row where the value is unusable, else missing.
    prehashed
        Rows whose hash came in already hashed (not re-normalized).
    withheld
        Rows whose pre-hashed value cannot be sent to this platform.
    """

    def __init__(
        self,
        hashes: pd.Series,
        problem: pd.Series,
        prehashed: pd.Series,
        withheld: pd.Series,
    ) -> None:
        self.hashes = hashes
        self.problem = problem
        self.prehashed = prehashed
        self.withheld = withheld


def _split(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    text = blank_blocked(values.astype("string"))
    lowered = text.str.lower()
    hashed = lowered.str.fullmatch(SHA256_PATTERN).fillna(False).astype(bool)
    present = text.notna()
    return text, lowered.where(hashed), present & ~hashed


def hash_emails(values: pd.Series, *, platform: str) -> HashedIdentifiers:
    """SHA-256 emails after ``platform``'s normalization; pass digests through.

    Plain addresses are normalized (Google: :func:`google_normalize_email`;
    Meta and LinkedIn: trim + lower-case) and hashed. 64-hex values (any case)
    are taken as digests and lower-cased. Anything else is a problem.
    """
    text, digests, plain = _split(values)
    normalized = google_normalize_email(text) if platform == "google_ads" else _plain_email(text)
    normalized = normalized.where(plain)
    hashes = hash_values(normalized).fillna(digests).astype("string")
    problem = pd.Series(pd.NA, index=values.index, dtype="string")
    problem = problem.mask(
        plain & normalized.isna(), "email is neither a valid address nor a SHA-256 digest"
    )
    none = pd.Series(False, index=values.index)
    return HashedIdentifiers(hashes, problem, digests.notna(), none)


def hash_phones(
    values: pd.Series, *, platform: str, default_region: str = "US"
) -> HashedIdentifiers:
    """SHA-256 phones after ``platform``'s normalization; pass digests through where valid.

    Plain numbers are parsed (``phonenumbers``, ``default_region`` for
    numbers without a country code) and hashed as ``+E.164`` (Google) or
    digits only (Meta). Digests are canonical ``+E.164`` hashes: sent to
    Google, withheld from Meta (they would never match). LinkedIn takes no
    phone.
    """
    text, digests, plain = _split(values)
    empty = pd.Series(pd.NA, index=values.index, dtype="string")
    none = pd.Series(False, index=values.index)
    if platform == "linkedin":
        return HashedIdentifiers(empty, empty.copy(), none, none.copy())
    if platform == "meta":
        normalized = meta_normalize_phone(text.where(plain), default_region=default_region)
        withheld = digests.notna()
        digests = digests.mask(withheld)
    else:
        normalized = normalize_phone(text.where(plain), default_region=default_region, hashed=False)
        withheld = none
    hashes = hash_values(normalized).fillna(digests).astype("string")
    problem = empty.mask(
        plain & normalized.isna(), "phone could not be parsed to an international number"
    )
    return HashedIdentifiers(hashes, problem, digests.notna(), withheld)
