"""Normalize and hash identifiers so the same person matches across sources.

Emails: trimmed, lower-cased, then SHA-256. Phones: parsed to E.164 (with the
``phonenumbers`` library), then SHA-256. Click ids: ``fbc`` cookies
(``fb.1.<ts>.<fbclid>``) are reduced to their fbclid. Blocked placeholder
values (``""``, ``"null"``, ``"undefined"``, ``"0"``, ``"-1"``,
``"anonymous"``, all-zero ids) become missing.
"""

from __future__ import annotations

import hashlib

import pandas as pd

__all__ = [
    "DEFAULT_BLOCKED_VALUES",
    "blank_blocked",
    "hash_values",
    "normalize_email",
    "normalize_fbclid",
    "normalize_phone",
    "sha256_hex",
]

#: Placeholder values that never identify anyone (compared case-insensitively).
DEFAULT_BLOCKED_VALUES: tuple[str, ...] = (
    "",
    "null",
    "none",
    "nan",
    "undefined",
    "0",
    "-1",
    "anonymous",
    "unknown",
    "(not set)",
    "(data deleted)",
    "<other>",
    "n/a",
)


def sha256_hex(text: str) -> str:
    """SHA-256 hex digest of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_values(values: pd.Series) -> pd.Series:
    """SHA-256 every non-missing value (hashing each unique value once)."""
    values = values.astype("string")
    uniques = values.dropna().unique()
    mapping = {u: sha256_hex(u) for u in uniques}
    return values.map(mapping).astype("string")


def blank_blocked(
    values: pd.Series, blocked: tuple[str, ...] = DEFAULT_BLOCKED_VALUES
) -> pd.Series:
    """Turn placeholder values and all-zero ids (``0000-0000``) into missing."""
    text = values.astype("string").str.strip()
    lowered = text.str.lower()
    bad = lowered.isin([b.lower() for b in blocked]) | lowered.str.fullmatch(r"[0\-\.]+", na=False)
    return text.mask(bad)


def normalize_email(values: pd.Series, *, hashed: bool = True) -> pd.Series:
    """Trim and lower-case emails, blank invalid ones, and SHA-256 them.

    Values that already look like SHA-256 hex digests are kept as they are.
    Values without exactly one ``@`` and a dot in the domain become missing.
    """
    text = blank_blocked(values).str.lower()
    is_hash = text.str.fullmatch(r"[0-9a-f]{64}", na=False)
    valid = text.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", na=False)
    text = text.mask(~(valid | is_hash))
    if not hashed:
        return text
    out = hash_values(text.mask(is_hash))
    return out.mask(is_hash, text)


def normalize_phone(
    values: pd.Series, *, default_region: str = "US", hashed: bool = True
) -> pd.Series:
    """Parse phones to E.164 (``+14155550123``) and SHA-256 them; invalid ones become missing."""
    import phonenumbers

    text = blank_blocked(values)
    mapping: dict[str, object] = {}
    for raw in text.dropna().unique():
        try:
            number = phonenumbers.parse(str(raw), default_region)
        except phonenumbers.NumberParseException:
            mapping[raw] = pd.NA
            continue
        if not phonenumbers.is_possible_number(number):
            mapping[raw] = pd.NA
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        mapping[raw] = sha256_hex(e164) if hashed else e164
    return text.map(mapping).astype("string")


def normalize_fbclid(values: pd.Series) -> pd.Series:
    """Reduce ``fbc`` cookies (``fb.1.1596403881668.IwAR...``) to the fbclid they carry."""
    text = blank_blocked(values)
    extracted = text.str.extract(r"^fb\.\d+\.\d+\.(.+)$", expand=False)
    return extracted.fillna(text).astype("string").where(text.notna(), pd.NA)
