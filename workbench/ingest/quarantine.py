"""Collect rows that cannot be used, with the reason and where they came from.

Nothing is dropped silently: every reader and validator routes unusable rows
through a :class:`Quarantine`, whose table ends up in
``data/processed/quarantine.parquet`` and in the data-health report.
"""

from __future__ import annotations

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
        self._parts: list[pd.DataFrame] = []

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
        """
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n == 0:
            return 0
        rows = df.loc[mask]
        if values is None and column is not None and column in df.columns:
            values = rows[column]
        elif values is not None:
            values = values[mask] if len(values) == len(df) else values
        if values is not None:  # a kept value never holds a raw e-mail or phone
            values = scrub_values(values.astype("string"))
        if file is None and SOURCE_FILE in rows.columns:
            files = rows[SOURCE_FILE].astype("string").to_numpy()
        else:
            files = np.full(n, file, dtype=object)
        part = pd.DataFrame(
            {
                SOURCE: pd.array([source] * n, dtype="string"),
                SOURCE_FILE: pd.array(files, dtype="string"),
                SOURCE_ROW: pd.array(
                    rows[row_col].to_numpy() if row_col in rows.columns else [pd.NA] * n,
                    dtype="Int64",
                ),
                "column": pd.array([column] * n, dtype="string"),
                "reason": pd.array([reason] * n, dtype="string"),
                "value": pd.array(
                    values.astype("string").to_numpy() if values is not None else [pd.NA] * n,
                    dtype="string",
                ),
            }
        )
        self._parts.append(part)
        return n

    def extend(self, frame: pd.DataFrame) -> None:
        """Append an already-built quarantine table."""
        if len(frame):
            self._parts.append(frame[QUARANTINE.names])

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def to_frame(self) -> pd.DataFrame:
        """Return every quarantined row as one canonical table."""
        if not self._parts:
            return empty_quarantine()
        return pd.concat([empty_quarantine(), *self._parts], ignore_index=True)


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
