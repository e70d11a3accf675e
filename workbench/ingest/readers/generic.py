"""Generic CSV / Parquet (``format = "csv"``): any canonical table, driven by the config.

The source says which table it fills (``table = "touchpoints"``,
``"conversions"``, ``"spend"`` or ``"identity_links"``), maps canonical columns
to the file's columns (``[sources.columns]``, each a name or a list of
aliases, first match wins, compared case-insensitively) and may set constants
(``[sources.constants]``, e.g. ``touch_type = "ad_click"``): a constant fills a
column that is not in the file, or the empty cells of one that is.
``attr_<name>`` keys bring extra attribute columns along.

Files ending in ``.parquet`` / ``.pq`` are read with pyarrow; everything else
as delimited text (delimiter, encoding and title lines detected as for the
named formats, see :mod:`workbench.ingest.readers._tabular`).

* Aliases absorb schema drift between files (``client_id`` in one,
  ``clientId`` in another); a warning says which column each file used when
  they differ, and which files lack an optional column. A mapping that matches
  no column in any file is a :class:`~workbench.errors.ConfigError` with a
  did-you-mean (a typo must not leave a column silently empty).
* A column the table cannot do without (non-nullable, e.g. ``ts`` and
  ``touch_type`` for touchpoints, ``date`` / ``platform`` / ``spend`` for
  spend), not given as a constant, must be in every file: otherwise
  :class:`~workbench.errors.ValidationError` names the file, the column and the
  ``sources.columns.<key>`` to set.
* Timestamps use ``ts_format`` when given (else ISO 8601 and common formats),
  naive ones in the source's ``timezone``; emails and phones (columns or
  identity-link values) are normalized and hashed; click ids cleaned.
* ``channel`` / ``platform`` fall back to the source's ``channel`` / ``platform``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.config import SourceConfig
from workbench.errors import ConfigError
from workbench.identifiers import normalize_fbclid
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import (
    clean_ids,
    email_domain,
    email_hash,
    finish,
    number_column,
    parse_times,
    phone_hash,
)
from workbench.ingest.readers._files import each_file
from workbench.ingest.readers._tabular import (
    Field,
    mapping_errors,
    missing_columns_error,
    parse_dates,
    read_export,
    resolve_fields,
)
from workbench.ingest.readers.base import TABULAR_OPTIONS, ReadResult, register
from workbench.schema import ID_TYPES, SOURCE, SOURCE_FILE, SOURCE_ROW, TABLES, TS, Table

__all__ = ["read_generic"]

_PARQUET = (".parquet", ".pq")
_NULLABLE_INTS = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
}


def _fields(source: SourceConfig, table: Table) -> list[Field]:
    given = {SOURCE, *source.constants}
    given |= {k for k, v in (("channel", source.channel), ("platform", source.platform)) if v}
    needed = {c.name for c in table.columns if not c.nullable and c.name not in given}
    keys = list(dict.fromkeys([*source.columns, *needed]))
    return [Field(key, required=key in needed) for key in keys]


def _read_parquet(
    path: Path | bytes, file: str, source: SourceConfig, fields: list[Field]
) -> tuple[pd.DataFrame, dict[str, str]]:
    table = pq.read_table(pa.BufferReader(path) if isinstance(path, bytes) else path)
    # integers with gaps stay integers (not float64, whose ids would read 40000000001.0)
    raw = table.to_pandas(types_mapper=_NULLABLE_INTS.get)
    cells = [str(c) for c in raw.columns]
    found = resolve_fields(cells, fields, source)
    if any(f.required and f.key not in found for f in fields):
        raise missing_columns_error(source, fields, found, cells, file)
    out = pd.DataFrame(index=raw.index)
    for spec in fields:
        out[spec.key] = raw[found[spec.key]] if spec.key in found else pd.NA
    out[SOURCE] = source.name
    out[SOURCE_FILE] = file
    out[SOURCE_ROW] = range(1, len(raw) + 1)
    return out, found


_File = tuple[pd.DataFrame, dict[str, str], dict[str, object], list[str], list[str]]


def _read_file(
    data: Path | bytes, file: str, q: Quarantine, source: SourceConfig, fields: list[Field]
) -> _File:
    """One file (Parquet or CSV): rows, columns found, file info, warnings, header."""
    if Path(file).suffix.lower() in _PARQUET:
        frame, found = _read_parquet(data, file, source, fields)
        header = [str(c) for c in _parquet_names(data)]
        return frame, found, {"file": file, "rows": len(frame)}, [], header
    export = read_export(data, source, fields, q, file=file)
    info: dict[str, object] = {
        "file": file,
        "rows": len(export.frame),
        "header_line": export.header_line,
        "blank_rows": export.blank_rows,
    }
    return export.frame, export.matched, info, export.warnings, export.header


def _parquet_names(data: Path | bytes) -> list[str]:
    return list(pq.read_schema(pa.BufferReader(data) if isinstance(data, bytes) else data).names)


def _load(
    source: SourceConfig, fields: list[Field], q: Quarantine
) -> tuple[pd.DataFrame, list[dict[str, object]], list[str]]:
    frames, files, notes = [], [], []
    used: dict[str, dict[str, list[str]]] = {}
    headers: list[list[str]] = []

    def read_one(data: Path | bytes, file: str, quarantine: Quarantine) -> _File:
        return _read_file(data, file, quarantine, source, fields)

    for frame, found, info, warnings, header in each_file(source, read_one, q):
        file = str(info["file"])
        headers.append(header)
        notes += warnings
        info["columns"] = dict(found)
        frames.append(frame[[f.key for f in fields] + [SOURCE, SOURCE_FILE, SOURCE_ROW]])
        files.append(info)
        for spec in fields:
            used.setdefault(spec.key, {}).setdefault(found.get(spec.key, ""), []).append(file)
    mapping_errors(source, fields, headers)
    for key, by_name in used.items():
        absent = by_name.pop("", [])
        if absent:
            notes.append(
                f"source {source.name!r}: column {key!r} (sources.columns.{key}) was not found "
                f"in {', '.join(absent)}; its values are left empty there"
            )
        if len(by_name) > 1:
            notes.append(
                f"source {source.name!r}: column {key!r} has different names across files: "
                + "; ".join(f"{name!r} in {', '.join(fs)}" for name, fs in by_name.items())
            )
    return pd.concat(frames, ignore_index=True), files, notes


def _whole_number_text(values: pd.Series) -> pd.Series:
    """Text columns that Parquet stored as numbers, as the CSV export spells them.

    An id column with gaps comes out of pandas-written Parquet as float64
    (``40000000001.0``): whole numbers are written without the ``.0`` so the id
    equals the same id read from a CSV (a CRM contact id must link across sources).
    """
    if not pd.api.types.is_float_dtype(values.dtype):
        return values
    whole = values.isna() | (values % 1 == 0)
    return values.astype("Int64") if whole.all() else values


def _identifiers(frame: pd.DataFrame, source: SourceConfig) -> None:
    for id_type in (*ID_TYPES, "crm_account_id"):
        if id_type not in frame.columns:
            continue
        if id_type == "email":
            if "email_domain" not in frame.columns:
                frame["email_domain"] = email_domain(frame[id_type])
            frame[id_type] = email_hash(frame[id_type])
        elif id_type == "phone":
            frame[id_type] = phone_hash(frame[id_type], source)
        elif id_type == "fbclid":
            frame[id_type] = normalize_fbclid(frame[id_type])
        else:
            frame[id_type] = clean_ids(frame[id_type])


def _link_values(frame: pd.DataFrame, source: SourceConfig) -> None:
    domain = pd.Series(pd.NA, index=frame.index, dtype="string")
    for side in ("a", "b"):
        kind = frame[f"id_type_{side}"].astype("string").str.strip().str.lower()
        value = frame[f"id_value_{side}"].astype("string")
        frame[f"id_type_{side}"] = kind
        domain = domain.fillna(email_domain(value.where(kind == "email")))
        out = clean_ids(value)
        for id_type, func in (
            ("email", email_hash),
            ("phone", lambda v: phone_hash(v, source)),
        ):
            mask = (kind == id_type).fillna(False)
            if mask.any():
                out[mask] = func(value[mask])
        frame[f"id_value_{side}"] = out
    if "email_domain" not in frame.columns:
        frame["email_domain"] = domain


@register("csv", options=TABULAR_OPTIONS)
def read_generic(source: SourceConfig) -> ReadResult:
    """Read a generic CSV/Parquet source into its configured canonical table."""
    if source.table not in ("touchpoints", "conversions", "spend", "identity_links"):
        raise ConfigError(
            f"source {source.name!r}: format 'csv' needs table = one of touchpoints, "
            f"conversions, spend, identity_links (got {source.table!r})"
        )
    table = TABLES[source.table]
    fields = _fields(source, table)
    q = Quarantine()
    frame, files, notes = _load(source, fields, q)
    for key, value in source.constants.items():
        if key in frame.columns:
            frame[key] = frame[key].astype("object").where(frame[key].notna(), value)
        else:
            frame[key] = value
    for key, value in (("channel", source.channel), ("platform", source.platform)):
        if key in table and value is not None:
            frame[key] = frame[key].fillna(value) if key in frame.columns else value
    keep = pd.Series(True, index=frame.index)
    if TS in frame.columns:
        frame[TS], ok = parse_times(frame, TS, source, q, reason="unparseable or missing timestamp")
        keep &= ok
    if "date" in table and "date" in frame.columns:
        frame["date"], ok = parse_dates(frame, "date", source, q)
        keep &= ok
    for col in table.columns:
        if col.kind in ("float", "int") and col.name in frame.columns and col.name != SOURCE_ROW:
            frame[col.name] = number_column(frame, col.name, source, notes)
        elif col.kind == "string" and col.name in frame.columns:
            frame[col.name] = _whole_number_text(frame[col.name])
    if table.name == "identity_links":
        _link_values(frame, source)
    else:
        _identifiers(frame, source)
    frame = frame.loc[keep]
    return finish(source, q, files=files, warnings=notes, **{table.name: frame})
