"""Helpers shared by the readers: files and provenance, identifiers, times, numbers, finishing.

Every reader follows the same steps: list the files of the source
(:func:`source_files`), read each one keeping ``source_file`` (path relative
to the data dir) and ``source_row`` (1-based line in the file, counting the
title/preamble lines), build canonical tables, and hand them to
:func:`finish`, which conforms them, routes rows breaking
:data:`workbench.ingest.validation.ROW_RULES` to quarantine and builds the
:class:`~workbench.ingest.readers.base.ReadResult`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.config import SourceConfig
from workbench.errors import ConfigError
from workbench.identifiers import (
    blank_blocked,
    normalize_email,
    normalize_fbclid,
    normalize_phone,
)
from workbench.ingest.privacy import scrub_frame, scrub_text
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._damage import REASON_TRUNCATED
from workbench.ingest.readers._guards import check_day_month_order, plausible_mask
from workbench.ingest.readers.base import ReadResult
from workbench.ingest.validation import conform, keep_rows, quarantine_mask
from workbench.schema import (
    CLICK_ID_TYPES,
    CONVERSIONS,
    IDENTITY_LINKS,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    SPEND,
    TOUCHPOINTS,
    TS,
)
from workbench.timestamps import parse_timestamps

__all__ = [
    "bool_option",
    "clean_ids",
    "click_ids",
    "email_domain",
    "email_hash",
    "excel_mangled_ids",
    "finish",
    "first_links",
    "mapping_option",
    "number_column",
    "parse_number",
    "parse_times",
    "phone_hash",
    "relative_name",
    "source_files",
    "star_links",
    "url_param",
    "url_path",
]

_URL_PATH = r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?://[^/?#]*)?(?P<path>[^?#]*)"


def source_files(source: SourceConfig) -> list[Path]:
    """The files of ``source`` (its ``path`` glob under the data dir), sorted.

    Raises
    ------
    ConfigError
        When the glob matches no file, naming the source, the glob and the folder;
        or when a file resolves (``..``, an absolute path, a symlink) outside the
        data dir and the source does not set ``allow_outside_data_dir = true``.
    """
    files = [f for f in source.files() if f.is_file()]
    if not files:
        raise ConfigError(
            f"source {source.name!r} (format {source.format!r}): path {source.path!r} "
            f"matches no file in {str(source.base_dir)!r}; check [[sources]] path and "
            "[project] data_dir"
        )
    if not source.allow_outside_data_dir:
        root = Path(source.base_dir).resolve()
        outside = [f for f in files if not f.resolve().is_relative_to(root)]
        if outside:
            raise ConfigError(
                f"source {source.name!r}: path {source.path!r} resolves to "
                f"{str(outside[0].resolve())!r} (and {len(outside) - 1} more), outside "
                f"data_dir {str(root)!r}; move the exports under data_dir, or set "
                "allow_outside_data_dir = true on the source to read them where they are"
            )
    return files


def relative_name(path: Path, base_dir: Path) -> str:
    """``path`` relative to ``base_dir`` (POSIX separators), or the full path outside it."""
    try:
        return path.resolve().relative_to(Path(base_dir).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def bool_option(source: SourceConfig, key: str, default: bool) -> bool:
    """Read a true/false option, raising :class:`ConfigError` for anything else."""
    value = source.options.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(
            f"source {source.name!r}: options.{key} = {value!r}; expected true or false"
        )
    return value


def mapping_option(source: SourceConfig, key: str, default: Mapping[str, str]) -> dict[str, str]:
    """Read a ``{text: text}`` option table (replaces the default as a whole when given)."""
    value = source.options.get(key, default)
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(
            f"source {source.name!r}: options.{key} = {value!r}; expected a table of "
            'names to names, e.g. { generate_lead = "lead" }'
        )
    return dict(value)


def clean_ids(values: pd.Series) -> pd.Series:
    """Identifier text with placeholders (``""``, ``"(data deleted)"``, ``"0"`` ...) blanked.

    Each distinct value is checked once (ids repeat on every event of a person).
    """
    text = values.astype("string")
    codes, uniques = pd.factorize(text)
    cleaned = blank_blocked(pd.Series(uniques, dtype=text.dtype))
    out = cleaned.array.take(codes, allow_fill=True)
    return pd.Series(out, index=values.index, name=values.name, dtype=text.dtype)


def email_hash(values: pd.Series) -> pd.Series:
    """Normalized, SHA-256 hashed emails (invalid ones become missing)."""
    return normalize_email(values.astype("string"))


def email_domain(values: pd.Series) -> pd.Series:
    """The lower-case domain of clear-text e-mails, kept before hashing (missing for digests).

    Readers store it as ``email_domain`` next to the hashed ``email`` so that
    ``[identity] internal_email_domains`` and ``test_ids`` patterns like
    ``*@example.com`` work on hashed data.
    """
    text = normalize_email(values.astype("string"), hashed=False)
    return text.str.extract(r"@([^@]+)$", expand=False).astype("string")


def phone_hash(values: pd.Series, source: SourceConfig) -> pd.Series:
    """E.164-normalized, SHA-256 hashed phones.

    The region of numbers without a country code is ``options.phone_region``, else
    ``[project].default_phone_region`` (``"US"`` when unset).
    """
    region = str(source.options.get("phone_region", source.default_phone_region))
    return normalize_phone(values.astype("string"), default_region=region)


def parse_number(values: pd.Series, decimal: str = ".") -> pd.Series:
    """Numbers as exported: thousands separators, currency signs, ``%`` and spaces removed.

    ``decimal`` is the source's decimal separator (``[[sources]] decimal``):
    with ``"."``, ``"1,234.50"`` -> 1234.5; with ``","``, ``"1.234,50"`` ->
    1234.5. A value whose separators do not fit (``"1.234,50"`` with ``"."``)
    is not a number (NaN, quarantined by the caller's rules) rather than a
    silently wrong one. ``"$12"`` -> 12.0, ``"--"`` / ``""`` -> NaN; ``inf``
    and overflowing values (``1e309``) stay infinite so the row rules can
    quarantine them.
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    thousands = "," if decimal == "." else "."
    text = values.astype("string").str.replace(r"[\s$€£%'\u00a0]", "", regex=True)
    digits = rf"(?:\d{{1,3}}(?:\{thousands}\d{{3}})+|\d*)(?:\{decimal}\d*)?"
    shaped = text.str.fullmatch(rf"[+-]?{digits}(?:[eE][+-]?\d+)?|(?i:[+-]?inf(?:inity)?)")
    text = text.where(shaped.fillna(False).astype(bool))
    text = text.str.replace(thousands, "", regex=False).str.replace(decimal, ".", regex=False)
    return pd.to_numeric(text.mask(text == ""), errors="coerce").astype("float64")


#: An id Excel turned into a number in scientific notation (``4.00001E+10``): digits are lost.
_SCIENTIFIC = r"(?i)(?:^|[\s;,|])[+-]?\d(?:[.,]\d+)?E\+\d+(?:$|[\s;,|])"
#: Quarantine reason of a row whose own id is in scientific notation.
REASON_SCIENTIFIC_ID = "id in scientific notation (file saved from Excel; digits lost)"


def file_line_examples(frame: pd.DataFrame, mask: Any, values: pd.Series, n: int = 3) -> str:
    """The first ``n`` rows under ``mask`` as ``file:row 'value'``, comma-separated (for warnings).

    ``frame`` has the provenance columns; ``values`` is aligned with it.
    """
    return ", ".join(
        f"{f}:{r} {v!r}"
        for f, r, v in zip(
            frame.loc[mask, SOURCE_FILE].head(n),
            frame.loc[mask, SOURCE_ROW].head(n),
            values[mask].head(n),
            strict=True,
        )
    )


def excel_mangled_ids(
    rows: pd.DataFrame,
    columns: tuple[str, ...],
    source: SourceConfig,
    quarantine: Quarantine,
    notes: list[str],
    *,
    key: str | None = None,
) -> pd.DataFrame:
    """``rows`` without ids that a spreadsheet rewrote as ``4.00001E+10``.

    A CSV opened and saved in Excel holds long ids (CRM record ids, GA client ids)
    as rounded numbers: two contacts ``40000100001`` and ``40000100002`` both become
    ``4.00001E+10`` and would be merged into one person. Rows whose own ``key`` id
    is such a number are quarantined; in the other ``columns`` the value is blanked
    (it links nobody). One warning per column says how many and where.
    """
    out = rows
    for column in columns:
        if column not in out.columns:
            continue
        text = out[column].astype("string")
        hit = text.str.contains(_SCIENTIFIC, regex=True, na=False).to_numpy(dtype=bool)
        if not hit.any():
            continue
        first = file_line_examples(out, hit, text)
        done = "rows quarantined" if column == key else "ids left empty"
        notes.append(
            f"source {source.name!r}: column {column!r}: {int(hit.sum()):,} id(s) in scientific "
            f"notation ({first}), {done}: the file was saved from a spreadsheet, which rounds "
            "long ids; export it again from the tool (or format the column as text)"
        )
        if column == key:
            quarantine.add(
                out,
                hit,
                reason=REASON_SCIENTIFIC_ID,
                source=source.name,
                column=column,
                values=text,
            )
            out = out.loc[~hit]
        else:
            out = out.assign(**{column: out[column].mask(hit)})
    return out


#: Cells that mean "no number" in exports (left missing without a warning).
_NO_NUMBER = r"(?i)-+|—|–|n/?a|#n/?a|nan|null|none|\(not set\)|\(none\)"


def number_column(
    frame: pd.DataFrame,
    column: str,
    source: SourceConfig,
    notes: list[str],
    *,
    outcome: str = "read as missing",
) -> pd.Series:
    """:func:`parse_number` of ``frame[column]``, with a warning for the values that are no number.

    Empty cells and placeholders (``-``, ``n/a``, ``NaN``, ``null``, ...) are
    missing numbers; any other cell that does not parse (``1.234,50`` with
    ``decimal = "."``, ``12 pcs``) adds one warning to ``notes`` naming the
    source, column, count, first file lines and values, and ``outcome`` (what
    became of them), with a hint to set ``decimal`` when they read as numbers
    with the other separator.
    """
    raw = frame[column]
    numbers = parse_number(raw, source.decimal)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return numbers
    text = raw.astype("string").str.strip()
    bad = (numbers.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
    if bad.any():
        bad &= ~text.str.fullmatch(_NO_NUMBER).fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return numbers
    other = "," if source.decimal == "." else "."
    hint = ""
    if parse_number(text[bad], other).notna().all():
        hint = f'; they read as numbers with decimal = "{other}": set it on the source'
    where = ""
    if SOURCE_FILE in frame.columns and SOURCE_ROW in frame.columns:
        where = f" ({file_line_examples(frame, bad, text)})"
    notes.append(
        f"source {source.name!r}: column {column!r}: {int(bad.sum()):,} value(s) are not "
        f"numbers with decimal {source.decimal!r}{where}, {outcome}{hint}"
    )
    return numbers


def parse_times(
    frame: pd.DataFrame,
    column: str,
    source: SourceConfig,
    quarantine: Quarantine,
    *,
    fmt: str | None = None,
    reason: str | None = None,
    timezone: str | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Parse ``frame[column]`` to UTC; quarantine non-empty values that do not parse.

    ``source.ts_format`` overrides ``fmt``; naive values are local time in
    ``timezone`` (default ``source.timezone``).

    Returns
    -------
    (times, ok)
        The parsed times and a mask of rows to keep (empty values are kept as
        NaT for the caller to handle; unparseable ones are quarantined).
    """
    raw = frame[column].astype("string").str.strip()
    check_day_month_order(raw, frame, column, source)  # under a format's own fmt too
    times = parse_timestamps(raw, timezone=timezone or source.timezone, fmt=source.ts_format or fmt)
    bad = times.isna() & raw.notna() & (raw != "")
    if bad.any():
        quarantine.add(
            frame,
            bad,
            reason=reason or f"unparseable {column}",
            source=source.name,
            column=column,
            values=raw,
        )
    return times, ~bad


def _extract(values: pd.Series, pattern: str) -> pd.Series:
    """First capture group of ``pattern`` (RE2 syntax, via pyarrow) per value; NA if no match."""
    arr = pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
    found = pc.struct_field(pc.extract_regex(arr, pattern), [0])
    out = found.to_pandas()
    out.index = values.index
    return out.astype("string")


def url_path(urls: pd.Series) -> pd.Series:
    """Path of each URL (``https://x.com/a/b?q=1`` -> ``/a/b``); ``/`` for a bare host."""
    path = _extract(urls, _URL_PATH)
    return path.mask(path == "", "/").where(urls.notna())


def url_param(urls: pd.Series, name: str) -> pd.Series:
    """Value of query parameter ``name`` in each URL (``+`` and ``%xx`` decoded)."""
    from urllib.parse import unquote_plus

    found = _extract(urls, rf"[?&;]{re.escape(name)}=(?P<v>[^&#;]*)")
    found = found.mask(found == "")
    needs = found.str.contains(r"[%+]", regex=True, na=False)
    if needs.any():
        found = found.copy()
        uniq = found[needs].unique()
        found[needs] = found[needs].map({u: unquote_plus(u) for u in uniq})
    return found


def click_ids(urls: pd.Series) -> pd.DataFrame:
    """Click ids in URL query strings: one column per type in :data:`CLICK_ID_TYPES`.

    Placeholders are blanked and ``fbc`` cookies reduced to their fbclid.
    """
    has_query = urls.astype("string").str.contains("?", regex=False).fillna(False)
    out = pd.DataFrame(index=urls.index)
    for click in CLICK_ID_TYPES:
        values = pd.Series(pd.NA, index=urls.index, dtype="string")
        if has_query.any():
            values[has_query] = url_param(urls[has_query], click)
        out[click] = clean_ids(values)
    out["fbclid"] = normalize_fbclid(out["fbclid"])
    return out


def first_links(links: pd.DataFrame) -> pd.DataFrame:
    """One identity link per distinct pair and link type: its earliest observation."""
    key = ["id_type_a", "id_value_a", "id_type_b", "id_value_b", "link_type"]
    ordered = links.sort_values("ts", kind="stable", na_position="last")
    return ordered.drop_duplicates(key, keep="first").reset_index(drop=True)


def star_links(
    frame: pd.DataFrame,
    center: tuple[str, str],
    others: Mapping[str, str],
    *,
    link_type: str,
    ts: str | None = None,
    carry: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Identity links from one centre identifier to several others on the same row.

    Parameters
    ----------
    frame
        Rows holding the identifiers (and ``source``/``source_file``/``source_row``).
    center
        ``(id_type, column)`` of the identifier every link starts from.
    others
        ``{id_type: column}`` of the identifiers linked to it; rows where either
        side is missing give no link.
    link_type, ts
        The link type, and the column holding when the pair was observed.
    carry
        Further columns of ``frame`` copied onto every link (e.g. ``email_domain``).
    """
    center_type, center_col = center
    parts = []
    for id_type, col in others.items():
        if col not in frame.columns:
            continue
        both = frame[center_col].notna() & frame[col].notna()
        sub = frame.loc[both]
        parts.append(
            pd.DataFrame(
                {
                    "ts": sub[ts] if ts else pd.NaT,
                    "id_type_a": center_type,
                    "id_value_a": sub[center_col],
                    "id_type_b": id_type,
                    "id_value_b": sub[col],
                    "link_type": link_type,
                    SOURCE: sub[SOURCE],
                    SOURCE_FILE: sub[SOURCE_FILE],
                    SOURCE_ROW: sub[SOURCE_ROW],
                    **{c: sub[c] for c in carry},
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=IDENTITY_LINKS.names)
    return pd.concat(parts, ignore_index=True)


def _time_span(files: list[dict[str, object]], tables: dict[str, pd.DataFrame]) -> None:
    parts = []
    for name, frame in tables.items():
        column = "date" if name == SPEND.name else TS
        if len(frame) and column in frame.columns:
            times = pd.to_datetime(frame[column], utc=True)
            parts.append(pd.DataFrame({SOURCE_FILE: frame[SOURCE_FILE], TS: times}))
    if not parts:
        return
    span = (
        pd.concat(parts, ignore_index=True)
        .groupby(SOURCE_FILE, observed=True)[TS]
        .agg(["min", "max"])
    )
    for info in files:
        if info.get("file") in span.index:
            info["first_ts"] = span.loc[info["file"], "min"]
            info["last_ts"] = span.loc[info["file"], "max"]


def _damage_warnings(quarantine: Quarantine) -> list[str]:
    """One line per damaged compressed file (the rows before the damage were kept)."""
    frame = quarantine.to_frame()
    hit = frame.loc[frame["reason"] == REASON_TRUNCATED]
    return [
        f"{file}: {problem} at about line {row}; the complete lines before it were read, "
        "the rest is lost"
        for file, row, problem in zip(hit[SOURCE_FILE], hit[SOURCE_ROW], hit["value"], strict=True)
    ]


def finish(
    source: SourceConfig,
    quarantine: Quarantine,
    *,
    touchpoints: pd.DataFrame | None = None,
    conversions: pd.DataFrame | None = None,
    identity_links: pd.DataFrame | None = None,
    spend: pd.DataFrame | None = None,
    files: list[dict[str, object]] | None = None,
    warnings: list[str] | None = None,
    **attributes: Any,
) -> ReadResult:
    """Conform the tables, quarantine rows breaking the row rules, build the result.

    Rows dated outside the source's plausible window are quarantined
    (:func:`workbench.ingest.readers._guards.plausible_mask`), and e-mails and phones
    left in text columns, attributes and warnings are replaced by their
    digests (:func:`workbench.ingest.privacy.scrub_frame`).

    Each ``files`` entry also gets ``first_ts`` / ``last_ts``: the earliest and
    latest time (``ts``, or ``date`` for spend) among the rows kept from that file.
    """
    tables: dict[str, pd.DataFrame] = {}
    region = str(source.options.get("phone_region", "US"))
    for table, df in (
        (TOUCHPOINTS, touchpoints),
        (CONVERSIONS, conversions),
        (IDENTITY_LINKS, identity_links),
        (SPEND, spend),
    ):
        if df is None:
            continue
        if SOURCE not in df.columns:
            df = df.assign(**{SOURCE: source.name})
        conformed = conform(df, table)
        keep = quarantine_mask(conformed, table, quarantine, source=source.name)
        column = "date" if table is SPEND else TS
        keep = plausible_mask(conformed, column, source, quarantine, keep=keep)
        kept = keep_rows(conformed, keep)  # one copy for both rules (none if all kept)
        tables[table.name] = scrub_frame(kept, region=region).reset_index(drop=True)
    _time_span(files or [], tables)
    empty = [
        f"{info['file']}: the export has no data rows (0 rows read: empty or header only)"
        for info in files or []
        if info.get("rows") == 0
    ]
    warnings = [*(warnings or []), *empty, *_damage_warnings(quarantine)]
    return ReadResult.build(
        quarantine=quarantine,
        files=files,
        warnings=[scrub_text(w, region=region) for w in warnings],
        **tables,
        **{k: scrub_frame(v, region=region) for k, v in attributes.items()},
    )
