"""Read JSON-lines exports fast and forgivingly (GA4 BigQuery NDJSON, Segment).

Parsing is done by :func:`pyarrow.json.read_json` with an explicit schema
(only the fields a reader needs; other fields are skipped), in chunks of about
8 MB on a thread pool. Lines are found (numpy, or ``find`` for long lines) and
hashed (for de-duplication) from zero-copy slices of the file
(:mod:`workbench.ingest.readers._lines`); nothing is parsed per line in Python. (DuckDB's ``read_json`` tokenizes faster, but it accepts trailing
commas, ``NaN`` and type coercions that this reader quarantines, and cannot
isolate bad lines; with the checks that would need it is no faster.) The slow
paths run only when a file needs them:

* **Malformed lines** (invalid JSON, not an object, several objects on one
  line, invalid UTF-8) make their chunk's parse fail; the chunk is split
  around the row the parser names (or bisected) until each bad line is
  isolated and quarantined as ``"unparseable JSON"`` with its line number and
  the parser's message; the good lines are kept.
* **Type drift** (``"int_value": "123"`` in one export and ``123`` in another,
  ``"ecommerce": "null"``): the reader gives a list of :class:`Mode` s, each a
  schema plus an optional byte-level fix; a part of the file whose parse fails
  with a type conflict is retried in the next mode. Tables parsed in different
  modes are cast to the last mode's schema before they are joined.
* **Duplicate lines** (byte-identical) in a file are quarantined as
  ``"duplicate event"`` naming the line they repeat; identity is judged by a
  64-bit hash (XXH3) of the line. The hashes of the kept lines are returned so the
  reader can drop repeats across files the same way (:func:`mark_duplicates`).

Line numbers are 1-based physical lines of the (decompressed) file.
"""

from __future__ import annotations

import codecs
import functools
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._damage import quarantine_damage, read_raw, truncation_damage
from workbench.ingest.readers._lines import (
    Body,
    _blank_lines,
    _line_ends,
    _line_hashes,
    _suspect_lines,
)
from workbench.schema import SOURCE_FILE, SOURCE_ROW

__all__ = [
    "JsonLines",
    "Mode",
    "arrow_column",
    "as_number",
    "as_text",
    "bad_line_value",
    "find_duplicates",
    "mark_duplicates",
    "null_strings_fix",
    "number_column",
    "parse_text_lines",
    "quarantine_duplicates",
    "quote_numbers_fix",
    "read_json_lines",
    "text_column",
]

_CHUNK_BYTES = 8 << 20
_SNIFF_BYTES = 64 << 10
_MAX_SUSPECTS = 1000  # lines parsed on their own per file (more when above 1% of its lines)
_ROW_SUFFIX = re.compile(r"\s*in row (\d+)\s*$")
#: The memory pool parsed tables are allocated from: the C library's allocator.
#: With pyarrow's default (mimalloc), parsing 90 daily GA4 files (2.4 GB) in
#: worker threads spent about 8 s of system time (memory returned to the
#: system and faulted back in, page by page) on top of 20 s of work;
#: with this pool about 1 s (``benchmarks/bench_readers.py``).
PARSE_POOL = pa.system_memory_pool()


@dataclass(frozen=True)
class Mode:
    """One way to parse: an explicit schema and an optional fix applied to the bytes first."""

    schema: pa.Schema
    fix: Callable[[bytes], bytes] | None = None

    @functools.cached_property
    def options(self) -> pj.ParseOptions:
        """The parse options of this mode, made once (that costs more than parsing a line)."""
        return pj.ParseOptions(explicit_schema=self.schema, unexpected_field_behavior="ignore")


@dataclass
class JsonLines:
    """What :func:`read_json_lines` read from one file."""

    table: pa.Table
    rows: np.ndarray
    hashes: np.ndarray
    lines: int = 0
    duplicates: int = 0
    malformed: int = 0


def null_strings_fix(data: bytes) -> bytes:
    """Replace the JSON string ``"null"`` used as a value by a real ``null``."""
    if b'"null"' not in data:
        return data
    return data.replace(b': "null"', b": null").replace(b':"null"', b":null")


def quote_numbers_fix(keys: Sequence[str]) -> Callable[[bytes], bytes]:
    r"""A fix that quotes bare numbers after the given keys and turns ``"null"`` into ``null``.

    A key inside a JSON string is escaped (``\\"key\\"``), so only real keys match.
    """
    names = b"|".join(re.escape(k.encode()) for k in keys)
    pattern = re.compile(rb'"(' + names + rb')":(\s*)(-?[0-9][0-9.eE+\-]*)')

    def fix(data: bytes) -> bytes:
        return pattern.sub(rb'"\1":\2"\3"', null_strings_fix(data))

    return fix


def arrow_column(table: pa.Table, path: tuple[str, ...]) -> pa.ChunkedArray | pa.Array | None:
    """The nested column at ``path`` (e.g. ``("device", "category")``), or None if absent."""
    if path[0] not in table.column_names:
        return None
    arr = table.column(path[0])
    for name in path[1:]:
        if not pa.types.is_struct(arr.type) or arr.type.get_field_index(name) < 0:
            return None
        arr = pc.struct_field(arr, name)
    return arr


def as_text(arr: pa.ChunkedArray | pa.Array | None, n: int) -> pd.Series:
    """An arrow column as a ``string`` Series (numbers formatted; all missing if ``arr`` is None)."""
    if arr is None or pa.types.is_null(arr.type):
        return pd.Series(pd.NA, index=range(n), dtype="string")
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return pd.Series(arr.to_pandas(), dtype="string").reset_index(drop=True)


def as_number(arr: pa.ChunkedArray | pa.Array | None, n: int) -> pd.Series:
    """An arrow column as float64 (text parsed; unparseable -> NaN)."""
    if arr is None or pa.types.is_null(arr.type):
        return pd.Series(np.nan, index=range(n), dtype="float64")
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return pd.Series(pc.cast(arr, pa.float64(), safe=False).to_pandas(), dtype="float64")
    values = pd.Series(arr.to_pandas(), dtype="string").str.strip()
    return pd.to_numeric(values, errors="coerce").astype("float64").reset_index(drop=True)


def text_column(table: pa.Table, path: tuple[str, ...], n: int) -> pd.Series:
    """:func:`as_text` of :func:`arrow_column`."""
    return as_text(arrow_column(table, path), n)


def number_column(table: pa.Table, path: tuple[str, ...], n: int) -> pd.Series:
    """:func:`as_number` of :func:`arrow_column`."""
    return as_number(arrow_column(table, path), n)


def find_duplicates(
    hashes: np.ndarray,
    rows: np.ndarray,
    files: np.ndarray,
    *,
    what: str = "line",
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Mask of repeated lines/rows (same hash as an earlier one, in this order), and values.

    Each repeat's value is ``"identical to <what> <file>:<row>"``, naming the
    first occurrence. The result for a hash depends only on the entries of that hash.
    """
    repeat = pd.Series(hashes).duplicated().to_numpy()
    dup = repeat & ~exclude if exclude is not None else repeat.copy()
    if not dup.any():
        return dup, []
    # first occurrence of each repeat: look the repeats up among the first sightings
    seen = np.flatnonzero(~repeat)
    first = seen[pd.Index(hashes[seen]).get_indexer(hashes[dup])]
    values = [
        f"identical to {what} {f}:{r}"
        for f, r in zip(files[first].tolist(), rows[first].tolist(), strict=True)
    ]
    return dup, values


def quarantine_duplicates(
    quarantine: Quarantine,
    files: np.ndarray,
    rows: np.ndarray,
    values: list[str],
    *,
    source: str,
    reason: str = "duplicate event",
) -> None:
    """Quarantine the repeats :func:`find_duplicates` found (their files, rows and values)."""
    if not len(values):
        return
    frame = pd.DataFrame({SOURCE_FILE: files, SOURCE_ROW: rows, "value": values})
    quarantine.add(
        frame, np.ones(len(frame), dtype=bool), reason=reason, source=source, values=frame["value"]
    )


def mark_duplicates(
    hashes: np.ndarray,
    rows: np.ndarray,
    files: np.ndarray,
    quarantine: Quarantine,
    *,
    source: str,
    what: str = "line",
    exclude: np.ndarray | None = None,
    reason: str = "duplicate event",
) -> np.ndarray:
    """Mask of repeated lines/rows: same hash as an earlier one (in this order).

    ``rows`` and ``files`` give each entry's line number and file. Each repeat
    is quarantined with ``reason`` (default ``"duplicate event"``) and the
    value ``"identical to <what> <file>:<row>"`` naming the first occurrence.
    """
    dup, values = find_duplicates(hashes, rows, files, what=what, exclude=exclude)
    quarantine_duplicates(quarantine, files[dup], rows[dup], values, source=source, reason=reason)
    return dup


def _read_bytes(path: Path) -> tuple[bytes, str | None]:
    """The file's bytes (gunzipped, BOM removed) and a note when the archive is damaged."""
    raw, problem = read_raw(path)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    return raw, problem


def _row_hint(exc: Exception) -> int | None:
    match = _ROW_SUFFIX.search(str(exc).splitlines()[0]) if str(exc) else None
    return int(match.group(1)) if match else None


def _message(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = text.removeprefix("JSON parse error: ")
    if "Column() changed from object to" in text:
        return "the line is not a JSON object"
    return _ROW_SUFFIX.sub("", text).rstrip(". ")


def _is_conflict(message: str) -> bool:
    """A type conflict in a nested field (not a line that is not a JSON object at all)."""
    return ("changed from" in message and "Column()" not in message) or (
        "Failed to convert JSON" in message
    )


def _try(
    data: bytes | memoryview, mode: Mode, fix: bool
) -> tuple[pa.Table | None, str | None, int | None]:
    """Parse ``data`` as one block -> (table, None, None) or (None, error, row of the error)."""
    if fix and mode.fix is not None:
        data = mode.fix(bytes(data))
    # pyarrow (<= 26) crashes on a block whose first value is ``null``; an extra
    # leading ``{}`` row (dropped below) makes it read that line like anywhere
    # else in a block: as a row of nulls
    head = bytes(data[:4096]).lstrip() or bytes(data).lstrip()
    shift = int(head.startswith(b"null"))
    if shift:
        data = b"{}\n" + bytes(data)
    try:
        table = pj.read_json(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pj.ReadOptions(use_threads=False, block_size=len(data) + 64),
            parse_options=mode.options,
            memory_pool=PARSE_POOL,
        )
    except (pa.ArrowException, UnicodeDecodeError, ValueError) as exc:
        row = _row_hint(exc)
        return None, _message(exc), None if row is None else max(row - shift, 0)
    try:
        table.validate(full=True)
    except pa.ArrowInvalid:
        return None, "invalid UTF-8", None
    return table.slice(shift), None, None


def _sniff(raw: Body, modes: Sequence[Mode]) -> int:
    """Index of the first mode that parses the file's first lines without a type conflict."""
    head = bytes(raw[:_SNIFF_BYTES])
    if len(raw) > len(head) and b"\n" in head:
        head = head[: head.rindex(b"\n")]
    for i, mode in enumerate(modes):
        _, error, _ = _try(head, mode, fix=True)
        if error is None or not _is_conflict(error):
            return i
    return 0


_Part = tuple[int, int, pa.Table, int]


class _Parser:
    """Parses line ranges of one file body; bisects ranges that fail."""

    def __init__(
        self, body: Body, starts: np.ndarray, blank: np.ndarray, modes: Sequence[Mode], base: int
    ) -> None:
        self.view = memoryview(body)
        self.starts = starts
        self.nonblank = np.concatenate([[0], np.cumsum(~blank)])
        self.modes = modes
        self.base = base

    def parse(self, a: int, b: int, mode: int) -> tuple[list[_Part], list[tuple[int, str]]]:
        """Parse lines ``a`` to ``b`` (exclusive) -> (parsed parts, bad lines with reasons).

        A range that fails is cut (around the row the error names, else in halves) and
        its pieces are parsed in order; a work stack instead of recursion, so a file with
        thousands of bad lines in a row cannot exhaust Python's recursion limit.
        """
        parts: list[_Part] = []
        bad: list[tuple[int, str]] = []
        todo = [(a, b, mode)]
        while todo:
            lo, hi, m = todo.pop()
            part, error, cuts, m = self._parse_range(lo, hi, m)
            if part is not None:
                parts.append(part)
            elif error is not None:
                bad.append((lo, error))
            else:
                todo += [
                    (x, y, m)
                    for x, y in reversed(list(zip(cuts[:-1], cuts[1:], strict=True)))
                    if y > x
                ]
        return parts, bad

    def _parse_range(
        self, a: int, b: int, mode: int
    ) -> tuple[_Part | None, str | None, list[int], int]:
        """One attempt at lines ``a:b`` (trying the next parse mode on a type conflict).

        Returns ``(part, None, [], mode)`` when it parses, ``(None, reason, [], mode)``
        for a single bad line, else ``(None, None, cuts, mode)``: the pieces to retry.
        """
        expected = int(self.nonblank[b] - self.nonblank[a])
        data = self.view[self.starts[a] : self.starts[b]]
        while True:
            table, error, row = _try(data, self.modes[mode], fix=mode != self.base)
            if table is not None and table.num_rows == expected:
                return (a, b, table, mode), None, [], mode
            if error is not None and _is_conflict(error) and mode + 1 < len(self.modes):
                mode += 1
                continue
            break
        if b - a == 1:
            return None, error or "more than one JSON value on the line", [], mode
        cuts = [a, (a + b) // 2, b]
        if row is not None:
            # the error names the row (non-blank line) within this block: cut around it
            line = int(np.searchsorted(self.nonblank, self.nonblank[a] + row + 1) - 1)
            if a <= line < b:
                cuts = sorted({a, line, line + 1, b})
        return None, None, cuts, mode

    def parse_pieces(
        self, cuts: Sequence[int], mode: int
    ) -> tuple[list[_Part], list[tuple[int, str]]]:
        """:meth:`parse` of each non-empty range ``cuts[i]:cuts[i + 1]``, in order."""
        parts: list[_Part] = []
        bad: list[tuple[int, str]] = []
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            if hi > lo:
                more, more_bad = self.parse(lo, hi, mode)
                parts += more
                bad += more_bad
        return parts, bad

    def parse_around(
        self, a: int, b: int, mode: int, suspects: np.ndarray
    ) -> tuple[list[_Part], list[tuple[int, str]]]:
        """:meth:`parse` of lines ``a:b`` with each suspect line (sorted indices) on its own.

        A bad line fails its whole block, so finding it by bisection re-parses the
        block around it; parsing the lines that look broken apart up front (see
        :func:`_suspect_lines`) lets the rest parse in one go. The outcome is the same.
        """
        inside = suspects[(suspects >= a) & (suspects < b)]
        if not len(inside):
            return self.parse(a, b, mode)
        cuts = sorted({a, b, *inside.tolist(), *(inside + 1).tolist()})
        return self.parse_pieces(cuts, mode)


def _assemble(
    parts: list[_Part], blank: np.ndarray, modes: Sequence[Mode]
) -> tuple[pa.Table, np.ndarray]:
    """Join the parsed parts (cast to a common schema) and the line index of each row."""
    if not parts:
        return modes[-1].schema.empty_table(), np.zeros(0, dtype=np.int64)
    used = {m for _, _, _, m in parts}
    tables = [t for _, _, t, _ in parts]
    if len(used) > 1:
        target = modes[max(used)].schema
        tables = [t.cast(target) if t.schema != target else t for t in tables]
    idx = np.concatenate([np.flatnonzero(~blank[a:b]) + a for a, b, _, _ in parts])
    return pa.concat_tables(tables), idx


def bad_line_value(detail: str, line: bytes | memoryview) -> str:
    """The quarantine value of an unparseable line: the parser's message and the line's start."""
    return f"{detail}: " + bytes(line[:160]).decode("utf-8", errors="replace")


def _parse_body(
    body: Body, starts: np.ndarray, blank: np.ndarray, modes: Sequence[Mode], base: int
) -> tuple[pa.Table, np.ndarray, list[tuple[int, str]]]:
    """Parse every line of ``body`` -> (table, line index of each row, bad lines and reasons).

    ``starts`` holds each line's first byte and, last, the end of the data plus one;
    the body is parsed in chunks of about 8 MB on a thread pool.
    """
    n = len(starts) - 1
    ends = starts[1:] - 1
    bounds = np.unique(
        np.concatenate(
            [
                [0],
                np.searchsorted(starts, np.arange(1, 1 + len(body) // _CHUNK_BYTES) * _CHUNK_BYTES),
                [n],
            ]
        )
    )
    parser = _Parser(body, starts, blank, modes, base)
    ranges = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    suspects = _suspect_lines(body, starts[:-1], ends, blank)
    if len(suspects) > max(_MAX_SUSPECTS, n // 100):  # mostly odd lines: bisect as before
        suspects = suspects[:0]

    def parse(r: tuple[int, int]) -> tuple[list[_Part], list[tuple[int, str]]]:
        return parser.parse_around(r[0], r[1], base, suspects)

    if len(ranges) > 1:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            results = list(pool.map(parse, ranges))
    else:
        results = [parse(r) for r in ranges]
    parts = [p for res in results for p in res[0]]
    bad = [b for res in results for b in res[1]]
    table, idx = _assemble(parts, blank, modes)
    return table, idx, bad


def parse_text_lines(
    lines: Sequence[str], modes: Sequence[Mode]
) -> tuple[pa.Table, np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Parse lines already split (e.g. by Spark's text reader) as :func:`read_json_lines` would.

    Returns
    -------
    table, idx, blank, bad
        The parsed rows, the index in ``lines`` of each row, the blank-line mask,
        and ``(index, quarantine value)`` of each unparseable line (not de-duplicated).
    """
    raw = ("\n".join(lines) + "\n").encode("utf-8") if len(lines) else b""
    base = _sniff(raw, modes)
    body = modes[base].fix(raw) if modes[base].fix is not None else raw  # type: ignore[misc]
    ends = _line_ends(body)
    starts = np.zeros(len(ends) + 1, dtype=np.int64)
    starts[1:] = ends + 1
    blank = _blank_lines(body, starts)
    table, idx, bad = _parse_body(body, starts, blank, modes, base)
    view = memoryview(body)
    values = [(i, bad_line_value(d, view[starts[i] : starts[i + 1] - 1])) for i, d in bad]
    return table, idx, blank, values


def read_json_lines(
    path: Path,
    *,
    modes: Sequence[Mode],
    quarantine: Quarantine,
    source: str,
    file: str,
) -> JsonLines:
    """Parse one JSON-lines file; quarantine malformed and duplicate lines.

    The file is parsed in chunks of about 8 MB on a thread pool; a chunk that
    fails is bisected to isolate its bad lines.

    Parameters
    ----------
    path
        The file (``.gz`` is decompressed).
    modes
        Parse modes in order of preference; the last must accept everything
        the others accept (its schema is the common one).
    quarantine, source, file
        Where bad lines go, and the names used for them.

    Returns
    -------
    JsonLines
        The parsed table (one row per kept line, in file order) and the line
        number of each row.
    """
    raw, problem = _read_bytes(path)
    if problem is not None:
        damage = truncation_damage(raw, problem, file)
        quarantine_damage(damage, quarantine, source=source, file=file)
    base = _sniff(raw, modes)
    body = modes[base].fix(raw) if modes[base].fix is not None else raw  # type: ignore[misc]
    del raw
    ends = _line_ends(body)
    n = len(ends)
    lineno = np.arange(1, n + 1, dtype=np.int64)
    starts = np.zeros(n + 1, dtype=np.int64)
    starts[1:] = ends + 1
    blank = _blank_lines(body, starts)
    hashes = _line_hashes(body, starts[:-1], ends)
    names = np.full(n, file, dtype=object)
    dup = mark_duplicates(hashes, lineno, names, quarantine, source=source, exclude=blank)
    table, idx, bad = _parse_body(body, starts, blank, modes, base)
    bad = [b for b in bad if not dup[b[0]]]
    keep = ~dup[idx]
    if not keep.all():
        table, idx = table.filter(pa.array(keep)), idx[keep]
    if bad:
        view = memoryview(body)
        quarantine.add_rows(
            reason="unparseable JSON",
            source=source,
            file=file,
            rows=lineno[[i for i, _ in bad]],
            values=np.array(
                [bad_line_value(d, view[starts[i] : starts[i + 1] - 1]) for i, d in bad],
                dtype=object,
            ),
        )
    return JsonLines(
        table=table,
        rows=lineno[idx],
        hashes=hashes[idx],
        lines=int(n - blank.sum()),
        duplicates=int(dup.sum()),
        malformed=len(bad),
    )
