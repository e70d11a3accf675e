"""Damaged files: truncated archives, NUL bytes, unterminated quotes, quote storms.

Each finder keeps the usable part and describes the damage as
:class:`Damage`, which :func:`quarantine_damage` turns into one quarantine
row per lost line (with the reason and the line's text) and one warning
line naming the file and the line. Nothing here raises a traceback at the
user; nothing is dropped silently.

* :func:`read_raw` reads a file, decompressing gzip data (recognised by its
  magic bytes, whatever the name); a truncated or corrupt archive keeps
  everything up to the last complete line.
* :func:`nul_lines` finds lines holding NUL bytes (binary garbage in a text
  export; a UTF-16 file is recognised before, by its BOM or NUL pattern).
* :func:`unterminated_quote_line` finds where a quote that never closes
  opens (pandas only says "EOF inside string").
* :func:`quote_storms` finds rows where a stray quote made one field
  swallow the following lines: a field with line breaks whose embedded
  lines look like records (as many delimiters as the header), in a column
  whose values are normally single-line or far longer than the column's
  norm (a long legit note rarely has record-shaped lines).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.ingest.quarantine import Quarantine
from workbench.schema import SOURCE_ROW

__all__ = [
    "REASON_NUL",
    "REASON_QUOTE_STORM",
    "REASON_TRUNCATED",
    "REASON_UNTERMINATED",
    "Damage",
    "nul_lines",
    "quarantine_damage",
    "quote_storms",
    "read_raw",
    "unterminated_quote_line",
]

REASON_TRUNCATED = "truncated or corrupt compressed file"
REASON_NUL = "NUL byte in line (binary or corrupt data)"
REASON_UNTERMINATED = "unterminated quote"
REASON_QUOTE_STORM = "unbalanced quote swallowed lines into one field"

_CHUNK = 1 << 20
_SHOWN = 160
#: A field this many times longer than its column's median (and at least
#: :data:`_STORM_MIN_CHARS` long) with line breaks is a quote storm.
_STORM_FACTOR = 20
_STORM_MIN_CHARS = 200
#: Columns where more than this share of values hold line breaks are multi-line by nature.
_MULTILINE_SHARE = 0.05


@dataclass
class Damage:
    """Lines lost to one kind of damage in one file (1-based physical lines)."""

    reason: str
    lines: list[int]
    texts: list[str]
    message: str


def read_raw(path: Path | bytes) -> tuple[bytes, str | None]:
    """The file's bytes (gunzipped), and a description when the archive is damaged.

    ``path`` may also be the file's bytes, as read by another engine. A truncated
    or corrupt gzip stream keeps the data decompressed before the damage, cut
    back to its last complete line; the partial line is lost.
    """
    raw = path if isinstance(path, bytes) else path.read_bytes()
    if raw[:2] != b"\x1f\x8b":  # not gzip data (also a plain file named .gz)
        return raw, None
    parts: list[bytes] = []
    problem = None
    rest = raw
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            for at in range(0, len(rest), _CHUNK):
                parts.append(inflater.decompress(rest[at : at + _CHUNK]))
                if inflater.eof:
                    break
            parts.append(inflater.flush())
        except zlib.error as exc:
            problem = f"corrupt compressed data ({exc})"
            break
        if not inflater.eof:
            problem = "the compressed file ends early (truncated download or copy)"
            break
        rest = inflater.unused_data.lstrip(b"\x00")
    data = b"".join(parts)
    if problem is not None and data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
    return data, problem


def truncation_damage(data: bytes, problem: str, file: str) -> Damage:
    """The :class:`Damage` of a damaged archive whose good part is ``data``."""
    line = data.count(b"\n") + 1
    return Damage(
        REASON_TRUNCATED,
        [line],
        [problem],
        f"{file}: {problem} at about line {line}; the {line - 1:,} complete lines "
        "before it were read, the rest is lost",
    )


def nul_lines(text: str, file: str) -> tuple[str, Damage | None]:
    """``text`` with lines holding NUL bytes blanked (line numbers kept), and their damage."""
    if "\x00" not in text:
        return text, None
    lines = text.split("\n")
    hit = [i for i, line in enumerate(lines) if "\x00" in line]
    for i in hit:
        lines[i] = ""
    texts = [f"{len(hit)} line(s) with NUL bytes"] * len(hit)
    shown = ", ".join(str(i + 1) for i in hit[:5]) + (" ..." if len(hit) > 5 else "")
    damage = Damage(
        REASON_NUL,
        [i + 1 for i in hit],
        texts,
        f"{file}: NUL bytes (binary or corrupt data) on line(s) {shown}; those lines are "
        "quarantined",
    )
    return "\n".join(lines), damage


def unterminated_quote_line(lines: list[str], start: int) -> int:
    """0-based index (from ``start``) of the line where a never-closed quote opens."""
    inside = False
    opened = start
    for i in range(start, len(lines)):
        if lines[i].count('"') % 2:
            inside = not inside
            if inside:
                opened = i
    return opened


def quote_storms(raw: pd.DataFrame, delimiter: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Rows where a stray quote swallowed following lines into one field.

    Returns a row mask, the number of physical lines each row spans, and one
    description per flagged row (column, length, swallowed lines).
    """
    n = len(raw)
    flagged = np.zeros(n, dtype=bool)
    spans = np.ones(n, dtype=np.int64)
    why = [""] * n
    width = max(len(raw.columns) - 1, 1)
    for column in raw.columns:
        values = raw[column].astype("string")
        breaks = values.str.count("\n").fillna(0).to_numpy(dtype=np.int64)
        spans += breaks
        has = breaks > 0
        if not has.any():
            continue
        length = values.str.len().fillna(0).to_numpy(dtype=np.int64)
        filled = length[length > 0]
        norm = float(np.median(filled)) if len(filled) else 0.0
        long = length > max(_STORM_MIN_CHARS, _STORM_FACTOR * norm)
        single_line = has.sum() <= _MULTILINE_SHARE * max(len(filled), 1)
        records = np.zeros(n, dtype=bool)
        inner = values[has].str.split("\n")
        records[has] = [
            any(part.count(delimiter) >= width for part in parts[1:]) for parts in inner
        ]
        # swallowed rows look like records; a legit note is also far from its column's norm
        hit = has & records & (long | single_line)
        for i in np.flatnonzero(hit & ~flagged):
            why[i] = (
                f"column {column!r}: {length[i]:,} characters over {breaks[i] + 1} lines "
                f"(the column's median is {norm:,.0f})"
            )
        flagged |= hit
    return flagged, spans, why


def quarantine_damage(damage: Damage, quarantine: Quarantine, *, source: str, file: str) -> None:
    """One quarantine row per damaged line, with the reason and (shortened) text."""
    frame = pd.DataFrame({SOURCE_ROW: damage.lines, "value": [t[:_SHOWN] for t in damage.texts]})
    quarantine.add(
        frame,
        np.ones(len(frame), dtype=bool),
        reason=damage.reason,
        source=source,
        file=file,
        values=frame["value"],
    )
