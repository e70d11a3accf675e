"""Prepared tables as Parquet: one file, or a folder of part files when the table is large.

A table of more than :data:`PART_ROWS` rows is written as a folder with the
table's file name (``touchpoints.parquet/``) holding part files of
:data:`PART_ROWS` rows each, in row order (``part-00000.parquet``,
``part-00001.parquet``, ...), all with the one Arrow schema of the whole table
(pandas metadata included); a smaller table is the single file. The layout is
the one Spark, pandas, pyarrow and DuckDB (``'touchpoints.parquet/*.parquet'``)
read as one table, under the same name either way: :func:`read_table` (which is
``pandas.read_parquet``) gives the same frame from the folder as from the file.

The folder is written inside ``prepare``'s staging folder and switched in with
the rest of the set (:mod:`workbench.store`), so it is as atomic as a file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["PART_ROWS", "part_files", "read_table", "table_exists", "write_table"]

#: Rows per part file; a table with more rows is written as a folder of parts.
PART_ROWS = 1_000_000


def write_table(frame: pd.DataFrame, path: Path, *, part_rows: int | None = None) -> list[Path]:
    """Write ``frame`` (index dropped) at ``path``: one file, or a folder of parts.

    Parameters
    ----------
    frame
        The table.
    path
        Where it goes (``<name>.parquet``); must not exist yet.
    part_rows
        Rows per part (default :data:`PART_ROWS`, read at call time); a table
        with more rows becomes a folder.

    Returns
    -------
    list of Path
        The files written, in row order.
    """
    size = part_rows or PART_ROWS
    if len(frame) <= size:
        frame.to_parquet(path, index=False)
        return [path]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    path.mkdir()
    written = []
    for i, start in enumerate(range(0, table.num_rows, size)):
        part = path / f"part-{i:05d}.parquet"
        pq.write_table(table.slice(start, size), part)
        written.append(part)
    return written


def part_files(path: Path) -> list[Path]:
    """The part files of a table folder, in row order (empty for a file or nothing)."""
    return sorted(path.glob("part-*.parquet")) if path.is_dir() else []


def table_exists(path: Path) -> bool:
    """Whether a table is stored at ``path`` (a Parquet file or a folder of parts)."""
    return path.is_file() or bool(part_files(path))


def read_table(path: Path) -> pd.DataFrame:
    """The table stored at ``path`` (a Parquet file or a folder of parts), rows in order."""
    parts = part_files(path)
    if not parts:
        return pd.read_parquet(path)
    return pd.read_parquet([str(p) for p in parts])
