"""Parse a batch of JSON-lines files in one pyarrow call, with the outcome of file by file.

Many small daily files (the real GA4 export layout) made the per-file work of
:func:`workbench.ingest.readers._jsonl.read_json_lines` (a dozen parse calls,
a frame per quarantine addition, ...) cost as much as the parse itself.
:func:`read_json_batch` reads the files of a batch into one buffer (reused by
the thread from batch to batch, :data:`_READS`: a fresh ``bytes`` per file cost
more in page faults than the read), finds, hashes and checks their lines with
numpy per file, as ``read_json_lines`` does, then overwrites the lines that
look broken (:func:`~workbench.ingest.readers._lines._suspect_lines`) and the
repeated lines with spaces and parses the files in one call: where they were
read (:func:`_parse_in_place`; those lines are put back after the parse), or,
when some file is not there as read (gzip, a byte-level fix of its parse mode),
in a copy of the files in a second reused buffer (:data:`_ARENA`). The suspect
lines are parsed on their own, as ``read_json_lines`` parses them. Each row
keeps its file and line number (the line offsets of every file are kept).

The outcome is exactly that of ``read_json_lines`` on each file followed by the
joining of the tables (same rows, line numbers, hashes, quarantine rows in the
same order, same table schema): when the one parse succeeds with one row per
line, each of the per-file parses would have too, in the same mode. When it
does not (a line that parses wrong without looking broken, a type conflict,
invalid UTF-8, or a file with too many odd lines), the files of that run are
parsed the exact way, file by file.
"""

from __future__ import annotations

import codecs
import mmap
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pj

from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers import _jsonl
from workbench.ingest.readers._damage import quarantine_damage, truncation_damage
from workbench.ingest.readers._jsonl import Body, JsonLines, Mode, bad_line_value

__all__ = ["read_json_batch"]

#: Block size of the one parse of a batch (pyarrow parses blocks on its thread pool).
_BLOCK_BYTES = 4 << 20
#: Up to this many lines are blanked one slice at a time; more with one mask.
_BLANK_LOOP = 10_000


@dataclass
class _File:
    """One file of a batch, read and split into lines (offsets relative to its body)."""

    name: str
    body: Body
    base: int
    starts: np.ndarray
    blank: np.ndarray
    hashes: np.ndarray
    suspects: np.ndarray | None  # None: too many odd lines, parsed the exact way
    own: Quarantine
    at: int | None = None  # where ``body`` lies in the thread's read buffer (None: elsewhere)

    @property
    def n(self) -> int:
        return len(self.starts) - 1


class _Arena(threading.local):
    """One reusable buffer per thread (an anonymous ``mmap``, kept from batch to batch).

    Fresh memory costs a page fault per page on first touch, which took longer
    than the copy itself; a buffer reused from batch to batch has its pages.
    It grows to a quarter more than asked, so batches of about one size fit.
    """

    buf: mmap.mmap | None = None

    def view(self, size: int) -> memoryview:
        """A view of the first ``size`` bytes of the thread's buffer (grown when too small)."""
        if self.buf is None or len(self.buf) < size:
            self.buf = mmap.mmap(-1, max(size + size // 4, 1))
        return memoryview(self.buf)[:size]

    def get(self, size: int) -> np.ndarray:
        """:meth:`view` as a numpy array."""
        return np.frombuffer(self.view(size), dtype=np.uint8)


#: The thread's buffer the files of a batch are copied into, for their one parse.
_ARENA = _Arena()
#: The thread's buffer the files of a batch are read into (:func:`_read_files`): a
#: fresh ``bytes`` per file, freed after its batch, cost page faults again and again
#: (half a million per GB read). An ``mmap``, because read-only views of it can be
#: hashed (:func:`~workbench.ingest.readers._lines._line_hashes`), of numpy arrays not.
_READS = _Arena()


def _read_files(paths: Sequence[tuple[Path, str]]) -> list[tuple[Body, str | None, int | None]]:
    """Each file's bytes as :func:`~workbench.ingest.readers._jsonl._read_bytes` gives them.

    Plain files are read into the thread's read buffer (:data:`_READS`), one after
    the other with one spare byte after each, and given as read-only views of it
    (valid until the thread's next batch) with their offset in it; gzip data, or a
    file that grew while it was read, is read the usual way (offset None).
    """
    sizes = [path.stat().st_size for path, _ in paths]
    view = _READS.view(sum(sizes) + len(sizes))
    out: list[tuple[Body, str | None, int | None]] = []
    at = 0
    for (path, _), size in zip(paths, sizes, strict=True):
        slot = view[at : at + size + 1]
        at += size + 1
        with path.open("rb") as handle:
            got = handle.readinto(slot)
        if got > size or slot[:2] == b"\x1f\x8b":
            out.append((*_jsonl._read_bytes(path), None))
            continue
        body = slot[:got].toreadonly()
        bom = 3 if body[:3] == codecs.BOM_UTF8 else 0
        out.append((body[bom:], None, at - size - 1 + bom))
    return out


def _ends_line(body: Body) -> bool:
    r"""Whether ``body`` is empty or ends with ``\n``."""
    return not len(body) or body[-1] == 10


def _load(
    raw: Body, problem: str | None, at: int | None, name: str, modes: Sequence[Mode], source: str
) -> _File:
    """Fix and split one file (read by :func:`_read_files`) as ``read_json_lines`` does."""
    own = Quarantine()
    if problem is not None:
        damage = truncation_damage(bytes(raw), problem, name)
        quarantine_damage(damage, own, source=source, file=name)
    base = _jsonl._sniff(raw, modes)
    fix = modes[base].fix
    body = fix(bytes(raw)) if fix is not None else raw
    at = at if body is raw else None
    del raw
    within = (_READS.buf, at) if at is not None and _READS.buf is not None else None
    ends = _jsonl._line_ends(body, within)
    starts = np.zeros(len(ends) + 1, dtype=np.int64)
    starts[1:] = ends + 1
    blank = _jsonl._blank_lines(body, starts)
    hashes = _jsonl._line_hashes(body, starts[:-1], ends)
    suspects: np.ndarray | None = _jsonl._suspect_lines(body, starts[:-1], ends, blank)
    if suspects is not None and len(suspects) > max(_jsonl._MAX_SUSPECTS, len(ends) // 100):
        suspects = None
    return _File(name, body, base, starts, blank, hashes, suspects, own, at)


def _repeats(files: list[_File]) -> tuple[np.ndarray, np.ndarray]:
    """Per line of the batch: repeated within its file (same hash), and the line it repeats.

    As :func:`~workbench.ingest.readers._jsonl.mark_duplicates` per file, for
    every file at once: only the lines whose hash occurs more than once in the
    batch are keyed by (file, hash).
    """
    hashes = np.concatenate([f.hashes for f in files] or [np.zeros(0, dtype=np.uint64)])
    n = len(hashes)
    repeat, first = np.zeros(n, dtype=bool), np.arange(n)
    seen_twice = pd.Series(hashes).duplicated().to_numpy()
    if not seen_twice.any():
        return repeat, first
    sub = np.flatnonzero(pd.Series(hashes).isin(hashes[seen_twice]).to_numpy())
    fid = np.repeat(np.arange(len(files)), [f.n for f in files])[sub]
    codes = pd.MultiIndex.from_arrays([fid, hashes[sub]]).factorize()[0]
    uniq, first_at = np.unique(codes, return_index=True)
    first[sub] = sub[first_at[np.searchsorted(uniq, codes)]]
    repeat[sub] = first[sub] != sub
    return repeat, first


def _blank_out(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """Overwrite the bytes ``starts[i]:ends[i]`` of ``buf`` with spaces (disjoint lines)."""
    if len(starts) <= _BLANK_LOOP:
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            buf[a:b] = 32
        return
    mark = np.zeros(len(buf) + 1, dtype=np.int8)
    mark[starts] = 1
    mark[ends] = -1
    buf[np.cumsum(mark[:-1], dtype=np.int8).view(bool)] = 32


def _one_parse(data: np.ndarray, mode: Mode) -> pa.Table | None:
    """``data`` parsed in one call, or None when pyarrow fails or the text is not valid UTF-8."""
    try:
        table = pj.read_json(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pj.ReadOptions(use_threads=True, block_size=_BLOCK_BYTES),
            parse_options=mode.options,
            memory_pool=_jsonl.PARSE_POOL,
        )
        table.validate(full=True)
    except (pa.ArrowException, UnicodeDecodeError, ValueError):
        return None
    return table


@dataclass
class _Parsed:
    """The rows of one file: table pieces (in line order) and the line of each row."""

    pieces: list[pa.Table]
    idx: np.ndarray
    bad: list[tuple[int, str]]
    target: pa.Schema  # the schema read_json_lines would give the file's table


def _exact(f: _File, modes: Sequence[Mode], dup: np.ndarray) -> _Parsed:
    """One file parsed the way :func:`~workbench.ingest.readers._jsonl.read_json_lines` does."""
    table, idx, bad = _jsonl._parse_body(f.body, f.starts, f.blank, modes, f.base)
    keep = ~dup[idx]
    if not keep.all():
        table, idx = table.filter(pa.array(keep)), idx[keep]
    return _Parsed([table], idx, [b for b in bad if not dup[b[0]]], table.schema)


def _fast(
    files: list[_File], dups: list[np.ndarray], modes: Sequence[Mode]
) -> list[_Parsed] | None:
    """Files of one parse mode parsed in one call (None when that parse fails)."""
    base = files[0].base
    sizes = [len(f.body) + int(not _ends_line(f.body)) for f in files]
    offsets = np.cumsum([0, *sizes])
    clean, lines, gone = [], [], []
    for f, dup in zip(files, dups, strict=True):
        odd = np.zeros(f.n, dtype=bool)
        odd[f.suspects] = True  # type: ignore[index]
        gone.append(np.flatnonzero(odd | (dup & ~f.blank)))
        keep = ~f.blank & ~odd & ~dup
        clean.append(keep)
        lines.append(int(keep.sum()))
    if len(files) == 1 and sizes[0] == len(files[0].body) and not len(gone[0]):
        buf = np.frombuffer(files[0].body, dtype=np.uint8)  # one clean file: no copy
    elif _in_place(files, gone):
        table = _parse_in_place(files, gone, modes[base])
        return _split(files, dups, clean, lines, table, modes)
    else:
        buf = _ARENA.get(int(offsets[-1]))
        for f, blanks, at, size in zip(files, gone, offsets[:-1].tolist(), sizes, strict=True):
            buf[at : at + len(f.body)] = np.frombuffer(f.body, dtype=np.uint8)
            if size > len(f.body):
                buf[at + len(f.body)] = 10  # a line end after a last line that has none
            _blank_out(buf, f.starts[blanks] + at, f.starts[blanks + 1] - 1 + at)
    table = _one_parse(buf, modes[base])
    del buf
    return _split(files, dups, clean, lines, table, modes)


def _split(
    files: list[_File],
    dups: list[np.ndarray],
    clean: list[np.ndarray],
    lines: list[int],
    table: pa.Table | None,
    modes: Sequence[Mode],
) -> list[_Parsed] | None:
    """The one parse's ``table`` cut into the files' rows (None when it failed)."""
    if table is None or table.num_rows != sum(lines):
        return None
    parsed: list[_Parsed] = []
    row = 0
    for f, dup, keep, count in zip(files, dups, clean, lines, strict=True):
        parsed.append(_with_suspects(f, dup, keep, table.slice(row, count), modes))
        row += count
    return parsed


def _in_place(files: list[_File], gone: list[np.ndarray]) -> bool:
    """Whether the files lie one after the other in the thread's read buffer, unfixed.

    Then they are parsed where they were read (:func:`_parse_in_place`), not copied.
    """
    ats = [f.at for f in files]
    if any(at is None for at in ats) or sum(len(g) for g in gone) > _BLANK_LOOP:
        return False
    # between two files: the spare byte after the first and the second's byte order mark
    return all(
        0 < b - a - len(f.body) <= 4  # type: ignore[operator]
        for f, a, b in zip(files, ats, ats[1:], strict=False)
    )


def _parse_in_place(files: list[_File], gone: list[np.ndarray], mode: Mode) -> pa.Table | None:
    """:func:`_one_parse` of the files where they lie in the read buffer.

    As the copy in :func:`_fast` would read: the lines in ``gone`` (odd or repeated)
    and the bytes between files are blanked (a line end after a last line that
    has none); the blanked lines are put back after the parse, for the lines that
    are parsed on their own and for quarantine values.
    """
    assert _READS.buf is not None
    buf = np.frombuffer(_READS.buf, dtype=np.uint8)
    first, last = files[0].at, files[-1].at
    assert first is not None and last is not None
    end = last + len(files[-1].body) + int(not _ends_line(files[-1].body))
    saved: list[tuple[int, bytes]] = []
    for f, nxt, blanks in zip(files, [*files[1:], None], gone, strict=True):
        at = f.at
        assert at is not None
        for a, b in zip(
            (f.starts[blanks] + at).tolist(), (f.starts[blanks + 1] - 1 + at).tolist(), strict=True
        ):
            saved.append((a, buf[a:b].tobytes()))
            buf[a:b] = 32
        stop = at + len(f.body)
        gap = (nxt.at if nxt is not None else end) - stop  # type: ignore[operator]
        if gap > 0:
            buf[stop : stop + gap] = 32
            if not _ends_line(f.body):
                buf[stop] = 10
    try:
        return _one_parse(buf[first:end], mode)
    finally:
        for a, data in saved:
            buf[a : a + len(data)] = np.frombuffer(data, dtype=np.uint8)


def _with_suspects(
    f: _File, dup: np.ndarray, keep: np.ndarray, rows: pa.Table, modes: Sequence[Mode]
) -> _Parsed:
    """The file's rows from the one parse, with its suspect lines parsed on their own."""
    idx = np.flatnonzero(keep)
    parser = _jsonl._Parser(f.body, f.starts, f.blank, modes, f.base)
    used = {f.base} if f.n > len(f.suspects) else set()  # type: ignore[arg-type]
    pieces, where, bad, at = [], [], [], 0
    for line in f.suspects.tolist():  # type: ignore[union-attr]
        if dup[line]:
            continue  # an identical earlier line of the file gives the same outcome
        parts, more_bad = parser.parse(line, line + 1, f.base)
        bad += more_bad
        for _, _, piece, mode in parts:
            used.add(mode)
            cut = int(np.searchsorted(idx, line))
            pieces += [rows.slice(at, cut - at), piece]
            at = cut
            where.append(line)
    pieces.append(rows.slice(at))
    if where:
        idx = np.sort(np.concatenate([idx, np.array(where, dtype=np.int64)]))
    target = modes[max(used)].schema if used else modes[-1].schema
    return _Parsed([p for p in pieces if p.num_rows], idx, bad, target)


def _runs(files: list[_File]) -> list[list[int]]:
    """Consecutive files that can share one parse: same mode, not too many odd lines."""
    runs: list[list[int]] = []
    for i, f in enumerate(files):
        if f.suspects is None:
            runs.append([i])
        elif runs and files[runs[-1][0]].suspects is not None and files[runs[-1][0]].base == f.base:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _quarantine(f: _File, p: _Parsed, dup: np.ndarray, first: np.ndarray, source: str) -> None:
    """The file's repeated and unparseable lines, in the order read_json_lines records them."""
    lineno = np.arange(1, f.n + 1, dtype=np.int64)
    at = np.flatnonzero(dup)
    if len(at):
        f.own.add_rows(
            reason="duplicate event",
            source=source,
            file=f.name,
            rows=lineno[at],
            values=np.array([f"identical to line {f.name}:{r}" for r in (first[at] + 1).tolist()]),
        )
    if p.bad:
        view = memoryview(f.body)
        f.own.add_rows(
            reason="unparseable JSON",
            source=source,
            file=f.name,
            rows=lineno[[i for i, _ in p.bad]],
            values=np.array(
                [bad_line_value(d, view[f.starts[i] : f.starts[i + 1] - 1]) for i, d in p.bad],
                dtype=object,
            ),
        )


def read_json_batch(
    paths: Sequence[tuple[Path, str]], *, modes: Sequence[Mode], source: str
) -> tuple[pa.Table, list[tuple[JsonLines, Quarantine]]]:
    """Parse several JSON-lines files (``(path, name)`` pairs) as one table.

    Returns
    -------
    table, per_file
        The kept rows of every file, in file then line order (in the schema the
        joined per-file tables would have: all cast to ``modes[-1]`` when they
        differ), and per file its :class:`~workbench.ingest.readers._jsonl.JsonLines`
        (``table`` empty; ``rows`` and ``hashes`` of its rows in ``table``) and
        its own quarantine (damage, repeated lines, unparseable lines).
    """
    raws = _read_files(paths)
    files = [
        _load(raw, problem, at, name, modes, source)
        for (raw, problem, at), (_, name) in zip(raws, paths, strict=True)
    ]
    del raws
    repeat, first_global = _repeats(files)
    bounds = np.cumsum([0, *(f.n for f in files)])
    dups = [repeat[a:b] & ~f.blank for f, a, b in zip(files, bounds, bounds[1:], strict=False)]
    firsts = [first_global[a:b] - a for a, b in zip(bounds, bounds[1:], strict=False)]
    parsed: list[_Parsed | None] = [None] * len(files)
    for run in _runs(files):
        done = None
        if files[run[0]].suspects is not None:
            done = _fast([files[i] for i in run], [dups[i] for i in run], modes)
        for k, i in enumerate(run):
            if done is not None:
                parsed[i] = done[k]
                continue
            # the run failed: each file alone, the exact way only for the one(s) at fault
            alone = _fast([files[i]], [dups[i]], modes) if len(run) > 1 else None
            parsed[i] = alone[0] if alone is not None else _exact(files[i], modes, dups[i])
    results = [p for p in parsed if p is not None]
    targets = {p.target for p in results}
    common = targets.pop() if len(targets) == 1 else modes[-1].schema
    pieces = [t if t.schema == common else t.cast(common) for p in results for t in p.pieces]
    table = pa.concat_tables(pieces) if pieces else common.empty_table()
    out = []
    for f, p, dup, first in zip(files, results, dups, firsts, strict=True):
        _quarantine(f, p, dup, first, source)
        lineno = np.arange(1, f.n + 1, dtype=np.int64)
        lines = JsonLines(
            table=common.empty_table(),
            rows=lineno[p.idx],
            hashes=f.hashes[p.idx],
            lines=int(f.n - f.blank.sum()),
            duplicates=int(dup.sum()),
            malformed=len(p.bad),
        )
        out.append((lines, f.own))
    return table, out
