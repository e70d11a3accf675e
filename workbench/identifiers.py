"""Normalize and hash identifiers so the same person matches across sources.

Emails: trimmed, lower-cased, then SHA-256. Phones: parsed to E.164 (with the
``phonenumbers`` API, installed as ``phonenumberslite``), then SHA-256. Click ids: ``fbc`` cookies
(``fb.1.<ts>.<fbclid>``) are reduced to their fbclid. Blocked placeholder
values (:data:`DEFAULT_BLOCKED_VALUES` such as ``"null"``, ``"[object Object]"``,
``"(none)"``, and :data:`PLACEHOLDER_PATTERNS`: all-zero ids, values without a
letter or digit, unresolved template tags) become missing.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DEFAULT_BLOCKED_VALUES",
    "PLACEHOLDER_PATTERNS",
    "blank_blocked",
    "hash_values",
    "normalize_email",
    "normalize_fbclid",
    "normalize_phone",
    "placeholder_lowered",
    "placeholder_mask",
    "sha256_hex",
]

#: Placeholder values that never identify anyone (compared case-insensitively, after trimming).
#: Sources: JavaScript stringifications (``[object Object]``, ``undefined``, ``NaN``), GA4 and
#: Universal Analytics placeholders (``(not set)``, ``(none)``, ``(data deleted)``,
#: ``<Other>``), spreadsheet/SQL empties (``null``, ``N/A``, ``#N/A``, ``nil``) and
#: common form fillers.
DEFAULT_BLOCKED_VALUES: tuple[str, ...] = (
    "",
    "null",
    "(null)",
    "<null>",
    "nil",
    "none",
    "(none)",
    "nan",
    "undefined",
    "(undefined)",
    "[object object]",
    "object object",
    "{}",
    "[]",
    "-",
    "--",
    "0",
    "-1",
    "false",
    "true",
    "anonymous",
    "unknown",
    "(unknown)",
    "(not set)",
    "not set",
    "(not provided)",
    "not provided",
    "(data deleted)",
    "(empty)",
    "empty",
    "<other>",
    "(other)",
    "n/a",
    "na",
    "#n/a",
)

#: Value shapes that never identify anyone (full match, case-insensitive): no letter or
#: digit at all (``-``, ``{}``, ``...``), all-zero ids (``0000-0000``), unresolved
#: template tags (``{{email}}``, ``${user_id}``, ``*|EMAIL|*``, ``%%emailaddr%%``) and
#: JavaScript object stringifications (``[object Object]``, ``[object HTMLElement]``).
PLACEHOLDER_PATTERNS: tuple[str, ...] = (
    r"[\W_]*",
    r"[0\-.]+",
    r"\{\{.*\}\}",
    r"\$\{.*\}",
    r"\*\|.*\|\*",
    r"%%.*%%",
    r"\[object [a-z]*\]",
)
_PLACEHOLDER_RE = "(?:" + "|".join(PLACEHOLDER_PATTERNS) + ")"


def placeholder_mask(
    values: pd.Series, blocked: tuple[str, ...] | frozenset[str] = DEFAULT_BLOCKED_VALUES
) -> pd.Series:
    """True where a value is a placeholder or missing.

    Placeholders: :data:`DEFAULT_BLOCKED_VALUES` and :data:`PLACEHOLDER_PATTERNS`.
    """
    lowered = values.astype("string").str.strip().str.lower()
    mask = placeholder_lowered(lowered, frozenset(b.lower() for b in blocked))
    return pd.Series(mask, index=values.index)


def placeholder_lowered(lowered: pd.Series, blocked: frozenset[str]) -> np.ndarray:
    """:func:`placeholder_mask` of values already trimmed and lower-cased.

    ``blocked`` holds lower-case values. Only values that could match a
    :data:`PLACEHOLDER_PATTERNS` shape go through the regular expression: every
    shape starts with a character that is not an ASCII letter or a digit other
    than ``0``, so values starting with one (nearly every real id) are skipped
    by a look at their first byte.
    """
    values = pa.array(lowered.array, type=pa.large_string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    listed = pc.is_in(values, value_set=pa.array(sorted(blocked), pa.large_string()))
    out = listed.to_numpy(zero_copy_only=False).copy()
    if values.null_count:  # missing values count as placeholders
        out |= values.is_null().to_numpy(zero_copy_only=False)
    maybe = np.flatnonzero(~_starts_with_id_char(values) & ~out)
    if len(maybe):
        shaped = lowered.iloc[maybe].str.fullmatch(_PLACEHOLDER_RE)
        out[maybe] = shaped.fillna(True).to_numpy(dtype=bool)
    return out


#: Bytes that no placeholder shape starts with: ASCII letters and the digits 1-9.
_ID_START = np.zeros(256, dtype=bool)
_ID_START[
    np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ123456789", np.uint8)
] = True


def _starts_with_id_char(values: pa.Array) -> np.ndarray:
    """Whether each (non-missing, non-empty) string starts with a byte of ``_ID_START``."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=bool)
    _, offsets, data = values.buffers()
    starts = np.frombuffer(offsets, dtype=np.int64)[values.offset : values.offset + n + 1]
    nonempty = starts[1:] > starts[:-1]
    if data is None or not nonempty.any():
        return np.zeros(n, dtype=bool)
    first = np.frombuffer(data, dtype=np.uint8)[np.where(nonempty, starts[:-1], 0)]
    out = nonempty & _ID_START[first]
    if values.null_count:
        out &= values.is_valid().to_numpy(zero_copy_only=False)
    return out


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
    return text.mask(placeholder_mask(text, blocked))


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
