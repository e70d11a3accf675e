"""Identifier values of one type as integer graph nodes, with bad values blocked.

:func:`encode_values` is the first step of :func:`workbench.identity.graph.build_graph`
for each person identifier type: every column holding the type (touchpoints,
conversions, each side of the identity links) is factorized in one hash pass
(:func:`workbench.intcodes.factorize_parts_counted`); cleaning (trimming, e-mail
normalization) and blocking (placeholders, blocked values, test ids, internal
e-mail domains: :mod:`workbench.identity.rules`) look at the distinct values only;
each long column is then mapped with one gather to ``base + code`` (``-1`` where
missing or blocked); a mostly-missing column with one gather of its present rows,
scattered into place (:class:`workbench.intcodes.SparseCodes`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.identifiers import normalize_email, placeholder_lowered
from workbench.identity.rules import REASON_CODE, Blocklist
from workbench.intcodes import SparseCodes, factorize_parts_counted, factorize_strings

__all__ = ["EncodedValues", "encode_values"]


@dataclass
class EncodedValues:
    """One identifier type's values as node codes, per part (column) and per kept value."""

    codes: list[np.ndarray]  # per part, ``base`` + code into ``values`` (-1: missing/blocked);
    # int32 unless the node ids need more
    values: pd.Series  # kept values
    internal: np.ndarray  # per kept value
    occurrences: np.ndarray  # per kept value: rows (all parts) it appears in
    test_rows: list[np.ndarray | None]  # per part, row carries a test id (None: no row does)
    internal_rows: list[np.ndarray | None]  # per part, row carries an internal e-mail
    blocked: list[tuple[str, int, int]]  # (reason, identifiers, rows)
    kept_rows: list[int]  # per part, rows with a kept value


def _kept_codes(raw: pd.Series, text: pd.Series, kept: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """``factorize_strings(text.where(kept))``: codes of the cleaned distinct values.

    When cleaning changed no value, the kept values are still distinct and in
    order, so their codes are their ranks and no second hash pass is needed.
    """
    if text is not raw:  # (``raw`` itself: trimming changed nothing, :func:`_stripped`)
        cleaned, given = (pa.array(v.array, type=pa.large_string()) for v in (text, raw))
        if not pc.all(pc.fill_null(pc.equal(cleaned, given), False)).as_py():
            return factorize_strings(text.where(kept))
    codes = np.where(kept, np.cumsum(kept) - 1, -1).astype(np.int64)
    return codes, text[kept].reset_index(drop=True)


def _string_bytes(values: pd.Series) -> int:
    """Bytes held by the string slots of a column (Arrow offsets: no pass over the strings)."""
    arrow = pa.array(values.array, type=pa.large_string())
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    total = 0
    for chunk in chunks:
        if len(chunk):
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
            total += int(offsets[chunk.offset + len(chunk)] - offsets[chunk.offset])
    return total


def _stripped(values: pd.Series) -> pd.Series:
    """``values.str.strip()``, or ``values`` itself when trimming removed nothing.

    Trimming only shortens strings, so the same total of bytes means every string is
    unchanged: the caller then knows without comparing the strings (:func:`_kept_codes`).
    """
    trimmed = values.str.strip()
    return values if _string_bytes(trimmed) == _string_bytes(values) else trimmed


def _has_values(part: pd.Series) -> bool:
    """Whether a column holds any non-missing value (Arrow's null count when it can)."""
    arrow = getattr(part.array, "_pa_array", None)
    if arrow is not None:
        return arrow.null_count < len(arrow)
    return bool(part.notna().any())


def encode_values(
    parts: Sequence[pd.Series], id_type: str, block: Blocklist, base: int = 0
) -> EncodedValues:
    """Factorize the values of one identifier type across parts, blocking bad values.

    The parts are factorized together in one hash pass; cleaning and blocking
    look at the unique values only, and each long column is then mapped with one
    gather to ``base + code`` (``-1`` where missing or blocked).
    """
    if not any(_has_values(part) for part in parts):
        none = [np.full(len(p), -1, dtype=np.int32) for p in parts]
        flags: list[np.ndarray | None] = [np.zeros(len(p), dtype=bool) for p in parts]
        empty = _no_values()
        nothing = [0] * len(parts)
        return EncodedValues(
            none, empty, np.zeros(0, bool), np.zeros(0, np.int64), flags, flags, [], nothing
        )
    # one hash pass over every part; missing values get the code len(raw)
    part_codes, raw, counts = factorize_parts_counted(list(parts), sparse=True)
    occ = counts[:-1]  # rows per distinct value (the last count: missing)

    text = _stripped(raw)
    reason = np.zeros(len(raw), dtype=np.int8)
    internal = np.zeros(len(raw), dtype=bool)
    low = text.str.lower()
    reason[placeholder_lowered(low, block.placeholders)] = REASON_CODE["placeholder"]
    text_low = low  # ``text`` lower-cased (the same until e-mails are normalized)
    if id_type == "email":
        clear = text.str.contains("@", regex=False).fillna(False).to_numpy(dtype=bool)
        if clear.any():
            sub = text[clear]
            internal[clear] = block.is_internal_domain(sub.str.rsplit("@", n=1).str[-1])
            text = text.copy()
            text[clear] = normalize_email(sub)
            bad = clear & text.isna().to_numpy(dtype=bool) & (reason == 0)
            reason[bad] = REASON_CODE["invalid"]
            text_low = text.str.lower()
    ok = reason == 0
    if block.blocked:  # (none configured: no pass over the values)
        reason[ok & low.isin(block.blocked).to_numpy(dtype=bool)] = REASON_CODE["blocked_value"]
    if block.test_ids or block.test_patterns is not None:
        reason[(reason == 0) & block.is_test(low, text_low)] = REASON_CODE["test_id"]
    if id_type == "email" and block.internal_hashes:
        internal |= text_low.isin(block.internal_hashes).to_numpy(dtype=bool)

    kept = reason == 0
    vcodes, values = _kept_codes(raw, text, kept)
    internal_v = np.zeros(len(values), dtype=bool)
    internal_v[vcodes[kept & internal]] = True
    occ_v = np.bincount(vcodes[kept], weights=occ[kept], minlength=len(values)).astype(np.int64)
    # per-row node codes are the graph's largest arrays: int32 while the nodes fit
    node_dtype = np.int32 if base + len(values) < np.iinfo(np.int32).max else np.int64
    node = np.where(vcodes >= 0, vcodes + base, -1).astype(node_dtype)
    is_test = reason == REASON_CODE["test_id"]

    # every value kept, in order (nothing blocked or merged by cleaning): node = base + code
    same = len(vcodes) == len(values) and np.array_equal(vcodes, np.arange(len(values)))

    def gather(lookup: np.ndarray, codes: np.ndarray, missing) -> np.ndarray:
        # a missing value (code len(raw)) picks the appended ``missing``: one pass
        return np.append(lookup, np.asarray([missing], dtype=lookup.dtype))[codes]

    def scattered(lookup: np.ndarray, part: SparseCodes, rows: np.ndarray, missing) -> np.ndarray:
        # a mostly-missing part: only its present rows (positions ``rows``) are looked up,
        # then put in place; by positions, not the boolean mask: 10M rows, 13% present,
        # ~17 ms against ~33 ms
        out = np.full(len(part.present), missing, dtype=lookup.dtype)
        out[rows] = lookup[part.codes]
        return out

    out_codes, kept_rows, test_rows, internal_rows = [], [], [], []
    for codes in part_codes:
        if isinstance(codes, SparseCodes):
            rows = np.flatnonzero(codes.present)
            shifted = scattered(node, codes, rows, -1)
            kept_n = len(codes.codes) if same else int(np.count_nonzero(node[codes.codes] >= 0))
            tests = scattered(is_test, codes, rows, False) if is_test.any() else None
            internals = scattered(internal, codes, rows, False) if internal.any() else None
        else:
            if same:
                shifted, kept_n = _shifted(codes, len(raw), base, node_dtype)
            else:
                shifted = gather(node, codes, -1)
                kept_n = int(np.count_nonzero(shifted >= 0))
            tests = gather(is_test, codes, False) if is_test.any() else None
            internals = gather(internal, codes, False) if internal.any() else None
        out_codes.append(shifted)
        kept_rows.append(kept_n)
        test_rows.append(tests)
        internal_rows.append(internals)
    blocked = []
    for name, code in REASON_CODE.items():
        sel = reason == code
        if sel.any():
            blocked.append((name, int(text[sel].nunique(dropna=False)), int(occ[sel].sum())))
    return EncodedValues(
        out_codes, values, internal_v, occ_v, test_rows, internal_rows, blocked, kept_rows
    )


def _shifted(
    codes: np.ndarray, missing: int, base: int, dtype: type[np.integer]
) -> tuple[np.ndarray, int]:
    """``base + codes``, and ``-1`` where the code is ``missing``; the rows not missing.

    :func:`encode_values`' gather when a type's nodes are its values in order:
    sequential arithmetic instead of a random gather (10M anonymous ids: ~18 ms
    against ~60 ms of CPU), the sum written straight in ``dtype`` (one pass).
    """
    out: np.ndarray = np.add(codes, base, dtype=dtype)
    absent = codes == missing
    out[absent] = -1
    return out, len(codes) - int(np.count_nonzero(absent))


@functools.cache
def _no_values() -> pd.Series:
    """An empty ``string`` Series (made once: the values of a type nobody has)."""
    return pd.Series(dtype="string")
