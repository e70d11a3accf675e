"""Read exported CSV/TSV reports: encoding, title lines, header row, bad lines, row numbers.

Ad platforms and CRMs put title lines above the header (Google Ads: report
name and date range; LinkedIn: five preamble lines in UTF-16; Zoom: report
details). :func:`read_export` finds the header row by looking for the expected
column names in the first lines, with the delimiter (``,``, tab or ``;``) that
matches best, and reads the rows below it.

``source_row`` is the 1-based physical line of the row in the file, counting
every line from the top of the file (title lines, the header, blank lines, and
the extra lines of quoted values that contain line breaks).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.config import SourceConfig, unknown_key_messages
from workbench.errors import ConfigError, ValidationError
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._damage import (
    REASON_QUOTE_STORM,
    REASON_TRUNCATED,
    REASON_UNTERMINATED,
    Damage,
    nul_lines,
    quarantine_damage,
    quote_storms,
    read_raw,
    truncation_damage,
    unterminated_quote_line,
)
from workbench.schema import SOURCE, SOURCE_FILE, SOURCE_ROW

__all__ = [
    "Export",
    "Field",
    "decode_bytes",
    "mapping_errors",
    "missing_columns_error",
    "parse_dates",
    "read_export",
    "read_exports",
    "resolve_fields",
]

_DELIMITERS = (",", "\t", ";")
_PROVENANCE = (SOURCE, SOURCE_FILE, SOURCE_ROW)
_SCAN_LINES = 50
_BAD_LINE = re.compile(r"Skipping line (\d+): (.*)")


@dataclass(frozen=True)
class Field:
    """One column of an export.

    Parameters
    ----------
    key
        The column's name as the tool exports it; also its name in the frame
        :func:`read_export` returns, and the key users set in ``[sources.columns]``
        to map a differently named header.
    aliases
        Other spellings seen in the wild; a trailing ``*`` matches any suffix
        (``"Amount spent*"`` matches ``Amount spent (EUR)``).
    required
        Whether a file without it is unusable (raises :class:`ValidationError`).
    """

    key: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Export:
    """One read file: its rows (columns named by :attr:`Field.key`) and how it was read."""

    frame: pd.DataFrame
    file: str
    header_line: int
    encoding: str
    delimiter: str
    matched: dict[str, str] = field(default_factory=dict)
    blank_rows: int = 0
    warnings: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)


def _norm(name: str) -> str:
    """Header text as compared: case, spaces and underscores ignored.

    ``campaign_name`` = ``Campaign Name``.
    """
    return re.sub(r"[\s_]+", "", name.replace("\ufeff", "")).casefold()


def _matches(header: str, alias: str) -> bool:
    h, a = _norm(header), _norm(alias)
    return h.startswith(a[:-1]) if a.endswith("*") else h == a


def _utf16_without_bom(head: bytes) -> bool:
    """UTF-16 text without a BOM: NUL in most odd (LE) or most even (BE) bytes.

    A stray NUL byte in UTF-8 text is not UTF-16 (it is reported as damage).
    """
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return max(odd.count(0) / len(odd), even.count(0) / len(even)) > 0.4


def decode_bytes(raw: bytes, source: SourceConfig, file: str) -> tuple[str, str, list[str]]:
    r"""Decode a file: ``source.encoding``, else its BOM, else UTF-8, else cp1252 (with a warning).

    Returns the text (line ends normalized to ``\\n``), the encoding used and warnings.
    """
    notes: list[str] = []
    if source.encoding:
        encoding = source.encoding
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif _utf16_without_bom(raw[:400]):
        encoding = "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        if source.encoding or encoding != "utf-8":
            raise ValidationError(
                f"{file}: cannot be decoded as {encoding} ({exc}); set the source's "
                'encoding (e.g. encoding = "utf-16" or "cp1252")',
                context=f"source {source.name!r}",
            ) from None
        text = raw.decode("cp1252", errors="replace")
        encoding = "cp1252"
        notes.append(f"{file}: not valid UTF-8; read as cp1252 (set encoding to be explicit)")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding, notes


def _aliases(spec: Field, source: SourceConfig) -> list[str]:
    return [*source.columns.get(spec.key, []), spec.key, *spec.aliases]


def resolve_fields(
    cells: Sequence[str], fields: Sequence[Field], source: SourceConfig
) -> dict[str, str]:
    """Map each field key to the first header cell matching one of its aliases."""
    found: dict[str, str] = {}
    for spec in fields:
        for alias in _aliases(spec, source):
            hit = next((c for c in cells if _matches(c, alias)), None)
            if hit is not None:
                found[spec.key] = hit
                break
    return found


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def _find_header(
    lines: list[str], fields: Sequence[Field], source: SourceConfig, file: str
) -> tuple[int, str, dict[str, str]]:
    required = [f.key for f in fields if f.required]
    best: tuple[int, int, str, dict[str, str], list[str]] | None = None
    for i, line in enumerate(lines[:_SCAN_LINES]):
        if not line.strip():
            continue
        for delim in _DELIMITERS:
            cells = _split(line, delim)
            found = resolve_fields(cells, fields, source)
            score = len(found)
            if best is None or score > best[0]:
                best = (score, i, delim, found, cells)
            if score >= min(2, len(fields)) and all(k in found for k in required):
                return i, delim, found
    expected = ", ".join(f.key for f in fields)
    if best is None or best[0] == 0:
        raise ValidationError(
            f"{file}: no header row found in the first {_SCAN_LINES} lines; expected a line "
            f"with the columns {expected}",
            context=f"source {source.name!r} (format {source.format!r})",
        )
    _, i, _, found, cells = best
    raise missing_columns_error(source, fields, found, cells, f"{file}: header row (line {i + 1})")


def missing_columns_error(
    source: SourceConfig,
    fields: Sequence[Field],
    found: dict[str, str],
    cells: Sequence[str],
    where: str,
) -> ValidationError:
    """The error for required fields missing from ``found``, one problem per field."""

    def toml_key(key: str) -> str:
        return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'

    problems = [
        f"{where}: required column {spec.key!r} not found; columns present: "
        f"{', '.join(map(str, cells[:20]))}; looked for "
        f"{', '.join(repr(a) for a in _aliases(spec, source))}; if the file names it "
        f'differently, set sources.columns.{toml_key(spec.key)} = ["<name in your file>"]'
        for spec in fields
        if spec.required and spec.key not in found
    ]
    return ValidationError(problems, context=f"source {source.name!r} (format {source.format!r})")


def _physical_lines(
    frame: pd.DataFrame, header_line: int, bad_records: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """1-based file lines where each parsed row and each skipped bad record start.

    pandas numbers records, not lines (the header is record 1); records holding
    quoted values with line breaks span several lines, which are added back here.
    """
    n_rows, bad = len(frame), np.asarray(sorted(bad_records), dtype=np.int64)
    total = n_rows + len(bad)
    is_bad = np.zeros(total + 2, dtype=bool)
    is_bad[bad[bad < total + 2]] = True
    records = np.arange(2, total + 2)
    row_records = records[~is_bad[2:]][:n_rows]
    newlines = np.zeros(total + 2, dtype=np.int64)
    for col in frame.columns:
        counts = frame[col].astype("string").str.count("\n").fillna(0)
        newlines[row_records] += counts.to_numpy(dtype=np.int64)
    before = np.concatenate([[0], np.cumsum(newlines)[:-1]])
    start = header_line + (np.arange(total + 2) - 1) + before
    return start[row_records], start[bad] if len(bad) else bad


def _parse(
    lines: list[str], header_idx: int, delim: str, source: SourceConfig, file: str
) -> tuple[pd.DataFrame, list[tuple[int, str]], int | None]:
    """Parse the lines from the header down -> (rows, bad records, line of an open quote).

    A quote that never closes keeps the rows before the line it opens on.
    """
    cut = None
    try:
        raw, bad = _read_csv("\n".join(lines[header_idx:]), delim)
    except pd.errors.ParserError as exc:
        if "EOF inside string" not in str(exc):
            raise ValidationError(
                f"{file}: cannot be read as delimited text ({str(exc).splitlines()[0]})",
                context=f"source {source.name!r} (format {source.format!r})",
            ) from None
        cut = unterminated_quote_line(lines, header_idx + 1)
        raw, bad = _read_csv("\n".join(lines[header_idx:cut]), delim)
    return raw, bad, cut


def _read_csv(body: str, delim: str) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = pd.read_csv(
            io.StringIO(body),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            on_bad_lines="warn",
            engine="c",
        )
    bad: list[tuple[int, str]] = []
    for w in caught:
        for match in _BAD_LINE.finditer(str(w.message)):
            bad.append((int(match.group(1)), match.group(2)))
    return raw, bad


def _unterminated(lines: list[str], cut: int, file: str) -> Damage:
    end = len(lines)
    while end > cut + 1 and not lines[end - 1].strip():
        end -= 1
    return Damage(
        REASON_UNTERMINATED,
        list(range(cut + 1, end + 1)),
        lines[cut:end],
        f"{file}: line {cut + 1}: a quote opened here is never closed; the rows before it "
        f"were read, the {end - cut:,} line(s) from it to the end are quarantined",
    )


def _storm_damage(
    lines: list[str],
    starts: np.ndarray,
    spans: np.ndarray,
    why: list[str],
    storm: np.ndarray,
    file: str,
) -> Damage:
    numbers = [int(a) + k for a, n in zip(starts, spans, strict=True) for k in range(int(n))]
    reasons = [w for w, hit in zip(why, storm, strict=True) if hit]
    first = int(starts[0])
    return Damage(
        REASON_QUOTE_STORM,
        numbers,
        [lines[i - 1] if i - 1 < len(lines) else "" for i in numbers],
        f"{file}: line {first}: an unbalanced quote made one field swallow the following "
        f"lines ({reasons[0]}); {len(numbers):,} line(s) in {len(starts)} row(s) are "
        "quarantined: fix the quotes in the export",
    )


def _duplicate_columns(
    line: str,
    delim: str,
    found: dict[str, str],
    source: SourceConfig,
    file: str,
    number: int,
) -> list[str]:
    """Warnings for repeated header names; an error when the reader uses the repeated one."""
    cells = _split(line, delim)
    names = [_norm(c) for c in cells]
    repeated = sorted({c for c, n in zip(cells, names, strict=True) if n and names.count(n) > 1})
    used = {_norm(c) for c in found.values()}
    clash = [c for c in repeated if _norm(c) in used]
    if clash:
        raise ValidationError(
            [
                f"{file}: header row (line {number}) has the column {c!r} more than once; "
                "the workbench cannot tell which one to read: rename or remove the copies"
                for c in clash
            ],
            context=f"source {source.name!r} (format {source.format!r})",
        )
    return [
        f"{file}: header row (line {number}) has the column {c!r} more than once; "
        "only the first is kept"
        for c in repeated
    ]


def read_export(
    path: Path | bytes,
    source: SourceConfig,
    fields: Sequence[Field],
    quarantine: Quarantine,
    *,
    file: str,
) -> Export:
    """Read one exported report.

    Parameters
    ----------
    path
        The file, or its bytes (read by another engine).
    source
        Its source config (``encoding``, ``columns`` aliases, ``name``).
    fields
        The columns the format has; extra columns in the file are kept under
        their own names, missing optional ones are added as missing values.
    quarantine
        Receives lines with more fields than the header (reason
        ``"wrong number of fields"``).
    file
        Name used in messages and ``source_file``.

    Returns
    -------
    Export
        ``frame`` has the field keys as columns (text, ``string`` dtype) plus
        ``source``, ``source_file``, ``source_row``; blank rows are removed
        (and counted in :attr:`Export.blank_rows`).

    Raises
    ------
    ValidationError
        When no header row is found or a required column is missing.
    """
    data, problem = read_raw(path)
    if problem and not data.strip():
        raise ValidationError(
            f"{file}: {problem}; nothing could be read from it",
            context=f"source {source.name!r} (format {source.format!r})",
        )
    damages = [truncation_damage(data, problem, file)] if problem else []
    text, encoding, notes = decode_bytes(data, source, file)
    if not text.strip() and not damages:  # a 0-byte file: no rows, like a header-only one
        columns = [f.key for f in fields]
        frame = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
        frame[SOURCE] = pd.Series(dtype="string")
        frame[SOURCE_FILE] = pd.Series(dtype="string")
        frame[SOURCE_ROW] = pd.Series(dtype="int64")
        return Export(frame=frame, file=file, header_line=0, encoding=encoding, delimiter="")
    text, nul = nul_lines(text, file)
    damages += [nul] if nul else []
    lines = text.split("\n")
    header_idx, delim, found = _find_header(lines, fields, source, file)
    notes += _duplicate_columns(lines[header_idx], delim, found, source, file, header_idx + 1)
    raw, bad, cut = _parse(lines, header_idx, delim, source, file)
    if cut is not None:
        damages.append(_unterminated(lines, cut, file))
    raw.columns = [str(c).strip() for c in raw.columns]
    rows, bad_lines = _physical_lines(raw, header_idx + 1, [b[0] for b in bad])
    if bad:
        frame = pd.DataFrame({SOURCE_ROW: bad_lines, "detail": [b[1] for b in bad]})
        quarantine.add(
            frame,
            np.ones(len(bad), dtype=bool),
            reason="wrong number of fields",
            source=source.name,
            file=file,
            values=frame["detail"],
        )
    raw = raw.astype("string")
    for column in raw.columns:  # a cell of spaces is as empty as an empty cell
        raw[column] = raw[column].mask(raw[column].str.isspace().fillna(False))
    end = len(lines) if cut is None else cut
    physical = end - header_idx - int(end > header_idx and lines[end - 1] == "")
    # fewer records than lines: some fields hold line breaks (legit, or a quote storm)
    multiline = physical > 1 + len(raw) + len(bad)
    storm = np.zeros(len(raw), dtype=bool)
    if multiline:
        storm, spans, why = quote_storms(raw, delim)
        if storm.any():
            damages.append(_storm_damage(lines, rows[storm], spans[storm], why, storm, file))
    blank = raw.isna().all(axis=1).to_numpy() if len(raw.columns) else np.zeros(len(raw), bool)
    blank = blank | storm
    out = pd.DataFrame(index=raw.index)
    for spec in fields:
        column = found.get(spec.key)
        if column is None:
            resolved = resolve_fields(list(raw.columns), [spec], source)
            column = resolved.get(spec.key)
        if column is None:
            out[spec.key] = pd.Series(pd.NA, index=raw.index, dtype="string")
        else:
            out[spec.key] = raw[column].str.strip()
        if column is not None:
            found[spec.key] = column
    for column in raw.columns:
        if column not in found.values() and column not in out.columns:
            out[column] = raw[column]
    out[SOURCE] = source.name
    out[SOURCE_FILE] = file
    out[SOURCE_ROW] = rows
    out = out.loc[~blank].reset_index(drop=True)
    blank_rows = int(blank.sum() - storm.sum())
    for damage in damages:
        quarantine_damage(damage, quarantine, source=source.name, file=file)
        if damage.reason != REASON_TRUNCATED:  # finish() reports those for every reader
            notes.append(damage.message)
    return Export(
        frame=out,
        file=file,
        header_line=header_idx + 1,
        encoding=encoding,
        delimiter=delim,
        matched=found,
        blank_rows=blank_rows,
        warnings=notes,
        header=list(raw.columns),
    )


def read_exports(
    source: SourceConfig, fields: Sequence[Field], quarantine: Quarantine
) -> tuple[pd.DataFrame, list[dict[str, object]], list[str]]:
    """Read every file of ``source`` with :func:`read_export` and stack them.

    Rows identical to an earlier row in every column (any file of the source)
    are quarantined as ``"duplicate row"`` unless ``options.keep_duplicate_rows``
    is true.

    Returns the rows, per-file info (``file``, ``rows``, ``header_line``,
    ``encoding``, ``blank_rows``, ``columns``: field key -> header found,
    ``duplicate_rows`` when any) and warnings, including one per optional
    column that some files lack (naming them).
    """
    from workbench.ingest.readers._files import each_file

    frames, infos, notes = [], [], []
    missing: dict[str, list[str]] = {}
    headers: list[list[str]] = []

    def read_one(data: Path | bytes, file: str, q: Quarantine) -> Export:
        return read_export(data, source, fields, q, file=file)

    for export in each_file(source, read_one, quarantine):
        file = export.file
        frames.append(export.frame)
        headers.append(export.header)
        notes += export.warnings
        infos.append(
            {
                "file": file,
                "rows": len(export.frame),
                "header_line": export.header_line,
                "encoding": export.encoding,
                "blank_rows": export.blank_rows,
                "columns": dict(export.matched),
            }
        )
        for spec in fields:
            if spec.key not in export.matched and export.header_line:  # (0-byte files have none)
                missing.setdefault(spec.key, []).append(file)
    rows = pd.concat(frames, ignore_index=True)
    if not source.options.get("keep_duplicate_rows", False) and len(rows):
        from workbench.ingest.readers._jsonl import mark_duplicates

        data = [c for c in rows.columns if c not in _PROVENANCE]
        hashes = pd.util.hash_pandas_object(rows[data], index=False).to_numpy()
        dup = mark_duplicates(
            hashes,
            rows[SOURCE_ROW].to_numpy(),
            rows[SOURCE_FILE].to_numpy(dtype=object),
            quarantine,
            source=source.name,
            reason="duplicate row",
        )
        if dup.any():
            counts = rows.loc[dup, SOURCE_FILE].value_counts()
            for info in infos:
                info["duplicate_rows"] = int(counts.get(info["file"], 0))
            rows = rows.loc[~dup].reset_index(drop=True)
    mapping_errors(source, fields, headers)
    if missing:
        n_files = len(frames)
        parts = [
            f"{key!r}" + ("" if len(files) == n_files else f" ({', '.join(files)})")
            for key, files in missing.items()
        ]
        notes.append(
            f"source {source.name!r}: {len(missing)} optional column(s) not in the files, "
            f"left empty: {', '.join(parts)}"
        )
    return rows, infos, notes


def mapping_errors(
    source: SourceConfig, fields: Sequence[Field], headers: Sequence[Sequence[str]]
) -> None:
    """Reject ``[sources.columns]`` entries that map nothing, with did-you-mean hints.

    A key must be one of the format's columns (``fields``), and at least one file's
    header must hold one of the names it gives; otherwise the mapping would silently
    leave the column empty (a typo like ``"Link clickz"`` gave zero clicks).

    Raises
    ------
    ConfigError
        Listing every such mapping.
    """
    keys = {f.key for f in fields}
    where = f"[sources.columns] of source {source.name!r} (format {source.format!r})"
    problems = unknown_key_messages({k: 1 for k in source.columns if k not in keys}, keys, where)
    cells = list(dict.fromkeys(c for header in headers for c in header))
    for key, names in source.columns.items():
        if not cells:  # only empty files: nothing to check the names against
            break
        if key not in keys or any(_matches(c, n) for c in cells for n in names):
            continue
        hints = [h for n in names for h in difflib.get_close_matches(n, cells, n=1, cutoff=0.6)]
        did = f" (did you mean {hints[0]!r}?)" if hints else ""
        problems.append(
            f"{where}: {key} = {names!r} names no column of the files{did}; columns found: "
            + ", ".join(cells[:30])
        )
    if problems:
        raise ConfigError(problems)


def _naive(dates: pd.Series) -> pd.Series:
    return dates.dt.tz_localize(None) if isinstance(dates.dtype, pd.DatetimeTZDtype) else dates


def parse_dates(
    frame: pd.DataFrame,
    column: str,
    source: SourceConfig,
    quarantine: Quarantine,
    *,
    fmt: str | None = None,
    reason: str = "unparseable or missing date",
) -> tuple[pd.Series, pd.Series]:
    """Parse a day column (``source.ts_format``, else ``fmt``, else ISO or any common layout).

    Rows whose value is missing or does not parse are quarantined with
    ``reason`` and the raw text. Returns ``(dates, ok)``.

    Raises
    ------
    ValidationError
        When the column mixes day/month orders (``13/01/2026`` and ``05/01/2026``),
        also under the format's ``fmt`` (unless ``source.ts_format`` is set): a
        day-first export read with a month-first ``fmt`` would swap the ambiguous days.
    """
    from workbench.ingest.readers._guards import check_day_month_order

    raw = frame[column].astype("string").str.strip()
    # also under the format's own ``fmt``: LinkedIn's "%m/%d/%Y" would read the
    # ambiguous days of a day-first export swapped and quarantine only the others
    check_day_month_order(raw, frame, column, source)
    fmt = source.ts_format or fmt
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dates = _naive(pd.to_datetime(raw, format=fmt or "ISO8601", errors="coerce"))
        # then 01/31/2026 as parse_times reads it (the day/month order was checked above),
        # unless the source gave its own ts_format
        for layout in ("ISO8601",) if source.ts_format else ("ISO8601", "mixed"):
            left = dates.isna() & raw.notna()
            if left.any():
                dates[left] = _naive(pd.to_datetime(raw[left], format=layout, errors="coerce"))
    bad = dates.isna()
    quarantine.add(frame, bad, reason=reason, source=source.name, column=column, values=raw)
    return dates.dt.normalize(), ~bad
