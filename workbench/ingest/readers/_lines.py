"""Find, check and hash the lines of a JSON-lines file without copying them.

Used by :mod:`workbench.ingest.readers._jsonl` (file by file) and
:mod:`workbench.ingest.readers._jsonl_batch` (a batch of files): line ends by
numpy or ``find``, blank lines, lines that cannot be an object (parsed apart),
and a 64-bit XXH3 hash of each line (for finding repeated lines).
"""

from __future__ import annotations

import mmap

import numpy as np
from xxhash import xxh3_64_intdigest

__all__ = ["Body", "Searchable"]

#: A file's bytes: ``bytes``, or a read-only view of a buffer it was read into
#: (see :mod:`workbench.ingest.readers._jsonl_batch`); the line functions take either.
Body = bytes | memoryview
#: A buffer that can find bytes in a range of itself (``bytes``, ``mmap``).
Searchable = bytes | mmap.mmap
_SCAN_BYTES = 4 << 20
#: Lines longer than this on average are found with ``find`` (see :func:`_line_ends`).
_FIND_LINE_BYTES = 256
#: The first bytes :func:`_long_lines` judges a file's line length by.
_HEAD_BYTES = 64 << 10


def _line_ends(body: Body, within: tuple[Searchable, int] | None = None) -> np.ndarray:
    r"""Offset of the end (the ``\\n`` or the end of the data) of every line of ``body``.

    Like ``body.split(b"\\n")`` without a trailing empty line, but without
    copying the lines: the newlines are found with numpy, a block at a time, or,
    when the lines are long (GA4 events: ~2.5 KB), with ``find`` (``memchr``, one
    call per line; less than half the CPU time of numpy's two passes over every
    byte). ``within``: the buffer (an ``mmap``) ``body`` is a view of, and where
    ``body`` starts in it (a ``memoryview`` has no ``find``).
    """
    data = np.frombuffer(body, dtype=np.uint8)
    haystack = (body, 0) if isinstance(body, bytes) else within
    if haystack is not None and _long_lines(data):
        return _found_line_ends(*haystack, len(data))
    found = np.empty(min(len(data), _SCAN_BYTES), dtype=bool)
    parts = [np.zeros(0, dtype=np.int64)]
    for at in range(0, len(data), _SCAN_BYTES):
        block = data[at : at + _SCAN_BYTES]
        np.equal(block, 10, out=found[: len(block)])
        parts.append(np.flatnonzero(found[: len(block)]) + at)
    ends = np.concatenate(parts)
    if len(data) and data[-1] != 10:
        ends = np.append(ends, len(data))
    return ends


def _long_lines(data: np.ndarray) -> bool:
    """Whether the lines of ``data`` are long on average (judged by its first block)."""
    head = data[:_HEAD_BYTES]
    return bool(len(head)) and len(head) >= _FIND_LINE_BYTES * (
        int(np.count_nonzero(head == 10)) + 1
    )


def _found_line_ends(haystack: Searchable, start: int, size: int) -> np.ndarray:
    r""":func:`_line_ends` of ``haystack[start : start + size]``, by ``haystack.find``."""
    find = haystack.find
    stop = start + size
    ends = []
    at = find(b"\n", start, stop)
    while at >= 0:
        ends.append(at)
        at = find(b"\n", at + 1, stop)
    if not ends or ends[-1] != stop - 1:
        ends.append(stop)
    return np.array(ends, dtype=np.int64) - start


def _suspect_lines(
    body: Body, starts: np.ndarray, ends: np.ndarray, blank: np.ndarray
) -> np.ndarray:
    """Indices of the non-blank lines that do not start with ``{`` and end with ``}``.

    Such a line (cut, not an object) fails the parse of any block holding it;
    a trailing carriage return is allowed. Lines padded with other white space are only
    suspected (they parse fine on their own).
    """
    if not len(ends):
        return np.zeros(0, dtype=np.int64)
    data = np.frombuffer(body, dtype=np.uint8)
    has = ends > starts
    last = np.where(has, ends - 1, 0)
    cr = has & (data[last] == 13)
    last = np.where(cr, last - 1, last)
    has_last = last >= starts
    first_ok = has & (data[np.where(has, starts, 0)] == ord("{"))
    last_ok = has_last & (data[np.where(has_last, last, 0)] == ord("}"))
    return np.flatnonzero(~blank & ~(first_ok & last_ok))


def _line_hashes(body: Body, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each line's bytes (for finding identical lines).

    XXH3 (:func:`xxhash.xxh3_64_intdigest`) of zero-copy slices of ``body``; the
    iteration runs in C (``map``), not in Python bytecode. CPython's own bytes
    hash (SipHash) took about 3.5 times as long on GA4 lines (~2.5 KB each):
    1.35 s against 0.38 s of CPU per million lines; a vectorized numpy hash of
    every byte, or of sampled words plus an exact check, was slower still.
    """
    view = memoryview(body)
    spans = map(slice, starts.tolist(), ends.tolist())
    return np.fromiter(
        map(xxh3_64_intdigest, map(view.__getitem__, spans)), dtype=np.uint64, count=len(ends)
    )


def _blank_lines(body: Body, starts: np.ndarray) -> np.ndarray:
    """Mask of the lines holding only white space (``starts`` as in :func:`_parse_body`)."""
    lengths = starts[1:] - 1 - starts[:-1]
    blank = np.zeros(len(lengths), dtype=bool)
    for i in np.flatnonzero(lengths < 16).tolist():
        blank[i] = not bytes(body[starts[i] : starts[i + 1] - 1]).strip()
    return blank
