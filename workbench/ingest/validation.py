"""Validate canonical tables: structural checks raise, row-level rules quarantine.

Two kinds of problems are handled differently:

* **Structural** problems (a required column missing, a column of the wrong
  kind) make the whole table unusable. :func:`validate_table` collects every
  such problem and raises one :class:`~workbench.errors.ValidationError`.
* **Row-level** problems (an unparseable timestamp, no identifier at all, a
  negative spend) make single rows unusable. :func:`quarantine_rows` moves
  those rows into a :class:`~workbench.ingest.quarantine.Quarantine` with one reason
  per rule and returns the usable rest.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.errors import ValidationError
from workbench.ingest.quarantine import Quarantine
from workbench.schema import (
    CONVERSIONS,
    ID_TYPES,
    IDENTITY_LINKS,
    SOURCE_ROW,
    SPEND,
    TOUCHPOINTS,
    TS,
    VALUE,
    Column,
    Table,
)

__all__ = [
    "ROW_RULES",
    "conform",
    "empty_table",
    "keep_rows",
    "keep_rows_releasing",
    "quarantine_mask",
    "quarantine_rows",
    "validate_table",
]

_KIND_DTYPES = {
    "string": "string",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
    "datetime": "datetime64[us, UTC]",
    "date": "datetime64[us]",
}
_EXAMPLES = 3


def empty_table(table: Table) -> pd.DataFrame:
    """An empty frame with every column of ``table`` in its canonical dtype."""
    return pd.DataFrame({c.name: pd.Series(dtype=_KIND_DTYPES[c.kind]) for c in table.columns})


def conform(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Add missing optional columns (as missing values), cast to canonical dtypes, order columns.

    Canonical columns come first in schema order; extra columns (attributes)
    are kept after them in their original order.
    """
    out = df.copy(deep=False)  # columns are replaced, never written into: no data copy
    n = len(out)
    for col in table.columns:
        if col.name not in out.columns and col.kind == "string":
            out[col.name] = pd.Series(pd.NA, index=out.index, dtype="string")  # cast-free
            continue
        if col.name not in out.columns:
            out[col.name] = pd.Series([pd.NA] * n, index=out.index, dtype="object")
        out[col.name] = _cast(out[col.name], col)
    extra = [c for c in out.columns if c not in table]
    return out[table.names + extra]


def _cast(values: pd.Series, col: Column) -> pd.Series:
    kind = col.kind
    if kind == "string":
        return values.astype("string")
    if kind == "float":
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if kind == "int":
        return pd.to_numeric(values, errors="coerce").astype("Int64")
    if kind == "bool":
        return values.astype("boolean")
    if kind == "datetime":
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            return values.dt.tz_convert("UTC")
        return pd.to_datetime(values, utc=True, errors="coerce")
    if kind == "date":
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_localize(None)
        return pd.to_datetime(values, errors="coerce").dt.normalize()
    raise ValueError(f"unknown column kind {kind!r}")  # pragma: no cover - schema bug


def _examples(df: pd.DataFrame, mask: pd.Series | np.ndarray, column: str) -> str:
    rows = df.loc[np.asarray(mask, dtype=bool)]
    labels = rows[SOURCE_ROW] if SOURCE_ROW in rows.columns else pd.Series(rows.index)
    parts = [
        f"row {r}: {v!r}"
        for r, v in zip(
            labels.head(_EXAMPLES).tolist(), rows[column].head(_EXAMPLES).tolist(), strict=False
        )
    ]
    more = f" (and {len(rows) - _EXAMPLES} more)" if len(rows) > _EXAMPLES else ""
    return ", ".join(parts) + more


def validate_table(df: pd.DataFrame, table: Table, *, file: str | None = None) -> None:
    """Check that ``df`` can serve as the canonical ``table``; raise listing every problem.

    Checks: required columns present; datetime columns tz-aware; numeric
    columns numeric; non-nullable columns without missing values.

    Raises
    ------
    ValidationError
        Naming the file, the column, example rows and values, and what was expected.
    """
    where = f"{file}: " if file else ""
    problems: list[str] = []
    for name in table.required:
        if name not in df.columns:
            problems.append(
                f"{where}required column {name!r} of the {table.name} table is missing "
                f"({table[name].doc}); present columns: {', '.join(map(str, df.columns))}"
            )
    for col in table.columns:
        if col.name not in df.columns:
            continue
        values = df[col.name]
        if col.kind == "datetime" and not isinstance(values.dtype, pd.DatetimeTZDtype):
            problems.append(
                f"{where}column {col.name!r} has dtype {values.dtype}; expected tz-aware UTC "
                "datetimes (use workbench.timestamps.parse_timestamps)"
            )
        elif col.kind in {"float", "int"} and not pd.api.types.is_numeric_dtype(values.dtype):
            bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
            problems.append(
                f"{where}column {col.name!r} is not numeric; "
                f"non-numeric values at {_examples(df, bad, col.name)}"
            )
        if not col.nullable and values.isna().any():
            problems.append(
                f"{where}column {col.name!r} must not be empty ({col.doc}); "
                f"{int(values.isna().sum())} missing, at {_examples(df, values.isna(), col.name)}"
            )
    if problems:
        raise ValidationError(problems, context=f"{table.name} table")


def _no_identifier(df: pd.DataFrame) -> pd.Series:
    none = np.ones(len(df), dtype=bool)
    for column in (*ID_TYPES, "crm_account_id"):
        if column in df.columns:
            none &= df[column].isna().to_numpy()
    return pd.Series(none, index=df.index)


def _non_finite(table: Table) -> Callable[[pd.DataFrame], pd.Series]:
    """Predicate: a number column of ``table`` holds inf/-inf (``inf``, ``1e309`` in a file)."""
    floats = [c.name for c in table.columns if c.kind == "float"]

    def predicate(d: pd.DataFrame) -> pd.Series:
        bad = np.zeros(len(d), dtype=bool)
        for name in floats:
            if name in d.columns:
                bad |= np.isinf(pd.to_numeric(d[name], errors="coerce").to_numpy(dtype="float64"))
        return pd.Series(bad, index=d.index)

    return predicate


#: Row-level rules per table: (reason, column, predicate selecting bad rows).
ROW_RULES: dict[str, list[tuple[str, str | None, Callable[[pd.DataFrame], pd.Series]]]] = {
    TOUCHPOINTS.name: [
        ("unparseable or missing timestamp", TS, lambda d: d[TS].isna()),
        ("missing every identifier", None, _no_identifier),
        ("missing touch type", "touch_type", lambda d: d["touch_type"].isna()),
    ],
    CONVERSIONS.name: [
        ("unparseable or missing timestamp", TS, lambda d: d[TS].isna()),
        ("missing every identifier", None, _no_identifier),
        ("missing conversion type", "conversion_type", lambda d: d["conversion_type"].isna()),
        ("non-finite number (inf)", None, _non_finite(CONVERSIONS)),
        ("negative conversion value", VALUE, lambda d: d[VALUE].lt(0).fillna(False)),
    ],
    SPEND.name: [
        ("unparseable or missing date", "date", lambda d: d["date"].isna()),
        ("missing or non-numeric spend", "spend", lambda d: d["spend"].isna()),
        ("non-finite number (inf)", None, _non_finite(SPEND)),
        ("negative spend", "spend", lambda d: d["spend"].lt(0).fillna(False)),
        ("missing platform", "platform", lambda d: d["platform"].isna()),
    ],
    IDENTITY_LINKS.name: [
        (
            "identity link with a missing identifier",
            None,
            lambda d: d[["id_value_a", "id_value_b"]].isna().any(axis=1),
        ),
    ],
}


def quarantine_rows(
    df: pd.DataFrame,
    table: Table,
    quarantine: Quarantine,
    *,
    source: str,
    file: str | None = None,
) -> pd.DataFrame:
    """Move rows that break a row rule of ``table`` into ``quarantine``; return the rest.

    Each row is quarantined once, under the first rule it breaks (rules are
    checked in the order of :data:`ROW_RULES`).
    """
    return keep_rows(df, quarantine_mask(df, table, quarantine, source=source, file=file))


def keep_rows(df: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``df.loc[keep]``, filtered column by column; ``df`` itself (no copy) when all are kept.

    Arrow-backed columns are filtered with one ``pyarrow.compute.filter`` each
    (pandas' boolean ``loc`` turns the mask into indices and takes them, more
    than twice the work on text columns); other columns with the mask.
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.all():
        return df
    if not df.columns.is_unique:
        return df.loc[keep]
    mask = pa.array(keep)
    columns = {}
    for name in df.columns:
        values = df[name].array
        data = getattr(values, "_pa_array", None)  # pandas' Arrow-backed arrays
        columns[name] = type(values)(pc.filter(data, mask)) if data is not None else values[keep]
    out = pd.DataFrame(columns, index=df.index[keep], copy=False)
    out.attrs = dict(df.attrs)
    return out


def keep_rows_releasing(df: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """:func:`keep_rows` of a frame the caller hands over, with a fresh ``RangeIndex``.

    Each column is filtered and then deleted from ``df`` before the next one, so
    an unfiltered column is released as soon as its filtered copy exists: the
    peak is the table plus one column, not two tables. ``df`` is left without
    columns (when some rows are dropped); pass only a frame nothing else needs.
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.all() or not df.columns.is_unique:
        return keep_rows(df, keep).reset_index(drop=True)
    mask = pa.array(keep)
    columns = {}
    for name in list(df.columns):
        values = df[name].array
        data = getattr(values, "_pa_array", None)  # pandas' Arrow-backed arrays
        columns[name] = type(values)(pc.filter(data, mask)) if data is not None else values[keep]
        del values, data
        del df[name]
    out = pd.DataFrame(columns, index=pd.RangeIndex(int(keep.sum())), copy=False)
    out.attrs = dict(df.attrs)
    return out


def quarantine_mask(
    df: pd.DataFrame,
    table: Table,
    quarantine: Quarantine,
    *,
    source: str,
    file: str | None = None,
) -> np.ndarray:
    """:func:`quarantine_rows` without the filtering: the mask of the rows kept.

    For callers that drop rows for several reasons at once and copy the table once.
    """
    keep = np.ones(len(df), dtype=bool)
    for reason, column, predicate in ROW_RULES.get(table.name, []):
        bad = predicate(df).fillna(False).to_numpy(dtype=bool) & keep
        if bad.any():
            quarantine.add(df, bad, reason=reason, source=source, file=file, column=column)
            keep &= ~bad
    return keep
