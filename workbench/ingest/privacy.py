"""Scrub personal data from text: e-mails and phones in URLs, free text and identifiers.

Readers store e-mails and phones only as SHA-256 digests in the ``email`` /
``phone`` columns, but personal data also hides elsewhere: the ``email=``
merge tag of an e-mail tool's click URL (``attr_url``), a phone number in a
form URL or a meeting subject, an e-mail address used as a GA4 ``user_id``.
:func:`scrub_text` replaces every e-mail address and phone number inside a
text by its digest (the same digest the ``email`` / ``phone`` columns hold,
so nothing is lost for matching); :func:`hash_email_ids` replaces a whole
identifier that is an e-mail address by its e-mail digest.

:func:`scrub_frame` applies both to every text column of a table;
:func:`workbench.ingest.readers._common.finish` runs it on every table every
reader returns, and :class:`workbench.ingest.quarantine.Quarantine` on the values it
keeps, so no raw e-mail or phone reaches ``data/processed/``.

Candidates are found with one RE2 scan (pyarrow) of each column's distinct
values; only matching distinct values are rewritten in Python. A column whose
text holds none of the bytes a candidate needs (e.g. no ``@`` for an e-mail
identifier) is left as it is after one scan of its bytes, without hashing its
values (GA4 session and pseudonymous ids: a tenth of the time).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote_plus

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.identifiers import normalize_email, normalize_phone

__all__ = ["hash_email_ids", "scrub_frame", "scrub_text", "scrub_values"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
#: A phone query parameter: ``phone=``, ``tel=``, ``mobile=``, ``sms=``, ``whatsapp=`` ...
_PHONE_PARAM = re.compile(
    r"(?i)([?&;](?:phone|phone_?number|tel|telephone|mobile|cell|sms|whatsapp)=)([^&#;]*)"
)
#: A phone in free text: ``+<country> ...`` with 8-15 digits, or ``(415) 555-0123``, or
#: ``tel:`` links.
_PHONE_TEXT = re.compile(
    r"(?:(?<![\w+])\+\d[\d\s().\-]{6,20}\d|\(\d{3}\)\s?\d{3}[\s.\-]\d{4}|(?<=tel:)\+?[\d\-.()]{7,20}\d)"
)
#: Characters and words (any case) that make a value worth a closer look.
_CANDIDATE_CHARS = "@+("  # e-mails, phones
_CANDIDATE_WORDS = ("phone", "tel", "mobile", "cell", "sms", "whatsapp")
#: Letters of which every word of :data:`_CANDIDATE_WORDS` holds one (a test checks it).
_WORD_LETTERS = "es"
#: Values worth a closer look (RE2): a candidate character, ``%40``, a phone-ish word.
_CANDIDATE = rf"[{re.escape(_CANDIDATE_CHARS)}]|%40|(?i:{'|'.join(_CANDIDATE_WORDS)})"
#: Every text matching :data:`_CANDIDATE` holds one of these bytes or a non-ASCII byte
#: (RE2's case folding maps some to ASCII letters).
_CANDIDATE_BYTES = (_CANDIDATE_CHARS + "%" + _WORD_LETTERS + _WORD_LETTERS.upper()).encode()
_EMAIL_ID = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
_IDENTIFIERS = (
    "user_id",
    "anonymous_id",
    "device_id",
    "crm_contact_id",
    "crm_account_id",
    "id_value_a",
    "id_value_b",
)
_SKIP = ("email", "phone", "source", "source_file")


def _email_digest(match: re.Match[str]) -> str:
    text = unquote_plus(match.group(0))
    digest = normalize_email(pd.Series([text], dtype="string")).iloc[0]
    return str(digest) if pd.notna(digest) else ""


def _phone_digest(raw: str, region: str, *, keep_unlike: bool = True) -> str:
    """The digest of a phone, ``""`` when it does not parse.

    With ``keep_unlike``, text without 7-15 digits is not a phone and is kept as it is.
    """
    text = unquote_plus(raw)
    digits = sum(ch.isdigit() for ch in text)
    if keep_unlike and not 7 <= digits <= 15:
        return raw
    digest = normalize_phone(pd.Series([text], dtype="string"), default_region=region)
    return str(digest.iloc[0]) if pd.notna(digest.iloc[0]) else ""


def scrub_text(text: str, *, region: str = "US") -> str:
    """``text`` with e-mail addresses and phone numbers replaced by their SHA-256 digests.

    E-mails anywhere (also URL-encoded ``%40``); phones as the value of a
    phone-like URL parameter (``?phone=...``), as ``tel:`` links, and in free
    text when written with a ``+`` country code or as ``(415) 555-0123``.
    A phone that does not parse is removed.
    """
    out = _EMAIL.sub(_email_digest, text)
    out = _PHONE_PARAM.sub(
        lambda m: m.group(1) + _phone_digest(m.group(2), region, keep_unlike=False), out
    )
    return _PHONE_TEXT.sub(lambda m: _phone_digest(m.group(0), region), out)


def _may_match(arr: pa.Array | pa.ChunkedArray, needs: bytes) -> bool:
    """Whether some text of ``arr`` (``large_string``) holds a byte of ``needs`` or a non-ASCII byte.

    One pass over the text bytes (:meth:`bytes.translate`), several times faster
    than hashing the values; missing values may be counted (then True: only slower).
    """
    others = bytes(sorted(set(range(128)) - set(needs)))
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        _, offsets, data = chunk.buffers()
        if not len(chunk) or data is None:
            continue
        ends = np.frombuffer(offsets, dtype=np.int64)[[chunk.offset, chunk.offset + len(chunk)]]
        if bytes(memoryview(data)[int(ends[0]) : int(ends[1])]).translate(None, others):
            return True
    return False


def _rewrite(
    values: pd.Series, pattern: str, func: Callable[[str], str], needs: bytes | None = None
) -> pd.Series:
    """``values`` with every distinct value matching ``pattern`` (RE2) replaced by ``func``.

    The scan runs on the distinct values (pyarrow), so a column without any
    candidate costs one hash pass; matches are rewritten once per distinct value.
    ``needs``: bytes of which every match holds one (or a non-ASCII byte); a column
    without any (:func:`_may_match`) is returned as it is, without that hash pass.
    """
    arr = pa.array(values.astype("string").array, type=pa.large_string())
    if needs is not None and not _may_match(arr, needs):
        return values
    uniques = pc.unique(arr)
    hits = uniques.filter(pc.fill_null(pc.match_substring_regex(uniques, pattern), False))
    if not len(hits):
        return values
    changed = {u: func(u) for u in hits.to_pylist()}
    changed = {k: v for k, v in changed.items() if v != k}
    if not changed:
        return values
    mask = pc.is_in(arr, value_set=pa.array(list(changed), type=pa.large_string()))
    mask = pd.Series(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), index=values.index)
    out = values.astype("string").copy()
    out[mask] = out[mask].map(changed)
    return out


def scrub_values(values: pd.Series, *, region: str = "US") -> pd.Series:
    """:func:`scrub_text` of every text value (values without a candidate untouched, fast)."""
    return _rewrite(values, _CANDIDATE, lambda v: scrub_text(v, region=region), _CANDIDATE_BYTES)


def hash_email_ids(values: pd.Series) -> pd.Series:
    """Identifier values that are e-mail addresses replaced by their e-mail digest."""

    def digest(value: str) -> str:
        hashed = normalize_email(pd.Series([value], dtype="string")).iloc[0]
        return str(hashed) if pd.notna(hashed) else value

    return _rewrite(values, _EMAIL_ID, digest, b"@")


def scrub_frame(
    frame: pd.DataFrame, *, region: str = "US", skip: Iterable[str] = _SKIP
) -> pd.DataFrame:
    """Scrub every text column of ``frame``.

    Identifiers by :func:`hash_email_ids`, the other text columns by :func:`scrub_values`. ``skip`` names columns left alone
    (already hashed ``email`` / ``phone``, provenance).
    """
    skip = set(skip)
    out = frame
    for column in frame.columns:
        values = frame[column]
        if column in skip or not (
            pd.api.types.is_string_dtype(values.dtype) or values.dtype == object
        ):
            continue
        if column in _IDENTIFIERS:
            new = hash_email_ids(values)
        else:
            new = scrub_values(values, region=region)
        if new is not values:
            if out is frame:
                out = frame.copy(deep=False)  # the column is replaced: copy no other column
            out[column] = new.astype(values.dtype) if values.dtype != object else new
    return out
