"""Collect rows that cannot be used, with the reason and where they came from.

Nothing is dropped silently: every reader and validator routes unusable rows
through a :class:`Quarantine`, whose table ends up in
``data/processed/quarantine.parquet`` and in the data-health report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.ingest.privacy import scrub_values
from workbench.schema import QUARANTINE, SOURCE, SOURCE_FILE, SOURCE_ROW

__all__ = ["Quarantine", "empty_quarantine", "quarantine_summary"]


def empty_quarantine() -> pd.DataFrame:
    """Return an empty quarantine table with the canonical columns."""
    return pd.DataFrame(
        {
            SOURCE: pd.Series(dtype="string"),
            SOURCE_FILE: pd.Series(dtype="string"),
            SOURCE_ROW: pd.Series(dtype="Int64"),
            "column": pd.Series(dtype="string"),
            "reason": pd.Series(dtype="string"),
            "value": pd.Series(dtype="string"),
        }
    )[QUARANTINE.names]


class Quarantine:
    """Accumulates quarantined rows from many files and rules.

    Examples
    --------
    >>> q = Quarantine()
    >>> df = pd.DataFrame({"ts": ["x", "2026-01-01"], "source_row": [1, 2]})
    >>> q.add(
    ...     df,
    ...     df["ts"] == "x",
    ...     reason="unparseable timestamp",
    ...     column="ts",
    ...     source="crm",
    ...     file="contacts.csv",
    ... )
    >>> q.to_frame()["reason"].tolist()
    ['unparseable timestamp']
    """

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame | _Rows] = []

    def add(
        self,
        df: pd.DataFrame,
        mask: pd.Series | np.ndarray,
        *,
        reason: str,
        source: str,
        file: str | None = None,
        column: str | None = None,
        values: pd.Series | None = None,
        row_col: str = SOURCE_ROW,
    ) -> int:
        """Record the rows of ``df`` selected by ``mask``.

        Parameters
        ----------
        df
            The frame the rows come from; its ``row_col`` column (if present)
            gives the 1-based row number in the file.
        mask
            Boolean selection of the unusable rows.
        reason
            Why they cannot be used (one message per domain rule).
        source, file, column
            Where they came from and which column is at fault.
        values
            The offending values; defaults to ``df[column]`` when it exists.

        Returns
        -------
        int
            Number of rows quarantined.

        Notes
        -----
        Only the selected cells are kept here; the table is built (and raw e-mails and
        phones in the values scrubbed) once for many additions, in :meth:`to_frame`.
        """
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n == 0:
            return 0
        at = np.flatnonzero(mask)
        if values is None and column is not None and column in df.columns:
            values = df[column].iloc[at]
        elif values is not None:
            values = values[mask] if len(values) == len(df) else values
        if file is None and SOURCE_FILE in df.columns:
            files = df[SOURCE_FILE].iloc[at].astype("string").to_numpy(dtype=object)
        else:
            files = np.full(n, file, dtype=object)
        rows = df[row_col].iloc[at].to_numpy() if row_col in df.columns else None
        text = None if values is None else values.astype("string").to_numpy(dtype=object)
        self._parts.append(_Rows(source, files, rows, column, reason, text))
        return n

    def add_rows(
        self,
        *,
        reason: str,
        source: str,
        file: str,
        rows: np.ndarray,
        values: np.ndarray | None = None,
        column: str | None = None,
    ) -> int:
        """Record rows of one file given as arrays (no frame needed; readers' hot path).

        ``rows`` are the 1-based row (line) numbers; ``values`` (same length,
        objects) the offending values. Same result as :meth:`add` of a frame
        holding them.
        """
        n = len(rows)
        if n == 0:
            return 0
        text = None if values is None else pd.array(values, dtype="string").to_numpy(dtype=object)
        files = np.full(n, file, dtype=object)
        self._parts.append(_Rows(source, files, np.asarray(rows), column, reason, text))
        return n

    def extend(self, frame: pd.DataFrame | Quarantine) -> None:
        """Append an already-built quarantine table, or the rows of another quarantine."""
        if isinstance(frame, Quarantine):
            self._parts.extend(frame._parts)
        elif len(frame):
            self._parts.append(frame[QUARANTINE.names])

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def to_frame(self) -> pd.DataFrame:
        """Return every quarantined row as one canonical table."""
        if not self._parts:
            return empty_quarantine()
        frames, run = [], []
        for part in self._parts:
            if isinstance(part, _Rows):
                run.append(part)
                continue
            if run:
                frames.append(_build(run))
                run = []
            frames.append(part)
        if run:
            frames.append(_build(run))
        self._parts = frames  # built once
        return pd.concat([empty_quarantine(), *frames], ignore_index=True)


@dataclass(frozen=True)
class _Rows:
    """The cells of one :meth:`Quarantine.add`, before they become table rows."""

    source: str
    files: np.ndarray
    rows: np.ndarray | None
    column: str | None
    reason: str
    values: np.ndarray | None

    def __len__(self) -> int:
        return len(self.files)


def _build(parts: list[_Rows]) -> pd.DataFrame:
    """One quarantine table from many additions (values scrubbed in one pass)."""
    sizes = [len(p) for p in parts]
    n = sum(sizes)

    def repeat(values: list) -> pd.arrays.StringArray:
        return pd.array(np.repeat(np.array(values, dtype=object), sizes), dtype="string")

    rows = [
        pd.array(p.rows if p.rows is not None else [pd.NA] * len(p), dtype="Int64") for p in parts
    ]
    values = np.concatenate(
        [p.values if p.values is not None else np.full(len(p), None, object) for p in parts]
    )
    text = scrub_values(pd.Series(pd.array(values, dtype="string")))
    return pd.DataFrame(
        {
            SOURCE: repeat([p.source for p in parts]),
            SOURCE_FILE: pd.array(np.concatenate([p.files for p in parts]), dtype="string"),
            SOURCE_ROW: pd.array(type(rows[0])._concat_same_type(rows), dtype="Int64"),
            "column": repeat([p.column for p in parts]),
            "reason": repeat([p.reason for p in parts]),
            "value": pd.array(text.to_numpy(dtype=object), dtype="string"),
        },
        index=pd.RangeIndex(n),
    )


def quarantine_summary(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Count quarantined rows per source and reason.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``reason``, ``rows``, sorted by ``rows`` descending.
    """
    if quarantine.empty:
        return pd.DataFrame(
            {
                SOURCE: pd.Series(dtype="string"),
                "reason": pd.Series(dtype="string"),
                "rows": pd.Series(dtype="int64"),
            }
        )
    out = (
        quarantine.groupby([SOURCE, "reason"], dropna=False, observed=True)
        .size()
        .rename("rows")
        .reset_index()
        .sort_values(["rows", SOURCE, "reason"], ascending=[False, True, True], kind="stable")
        .reset_index(drop=True)
    )
    out["rows"] = out["rows"].astype("int64")
    return out
