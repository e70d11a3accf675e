"""Formula-safe CSV: every CSV the workbench writes goes through :func:`write_csv` / :func:`formula_safe`.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula (CSV injection; a campaign
name ``=HYPERLINK("http://evil", "click")`` or a gclid taken from a landing
page URL). The OWASP rule is applied to every **text** cell: such a cell is
prefixed with a single quote (``'=HYPERLINK(...)``), which spreadsheets show
as text. Numbers stored as numbers (a negative value ``-5.0``) are not text
cells and are left as they are.

Columns a platform mandates (the Google Ads upload template) cannot be
prefixed: the platform would read the quote as part of the value. Such
columns are passed as ``mandated``; a formula-like value there is a bug of
the caller (the export pre-send checks reject it,
:func:`workbench.export.checks.check_rows`), so :func:`formula_safe` raises.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "formula_like", "formula_safe", "write_atomic", "write_csv"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def formula_like(values: pd.Series) -> pd.Series:
    """Mask of text values starting with one of :data:`FORMULA_PREFIXES` (non-text: False)."""
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        starts = values.str.startswith(FORMULA_PREFIXES)
    else:
        text = [v if isinstance(v, str) else "" for v in values.tolist()]
        starts = pd.Series(text, index=values.index, dtype="object").str.startswith(
            FORMULA_PREFIXES
        )
    return starts.fillna(False).astype(bool)


def _text_column(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values.dtype) or values.dtype == object


def formula_safe(frame: pd.DataFrame, *, mandated: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    Parameters
    ----------
    frame
        The table to write.
    mandated
        Columns whose values a platform reads verbatim; they are not prefixed,
        and a formula-like value there raises :class:`ValueError` (the caller
        should have rejected that row).

    Returns
    -------
    pandas.DataFrame
        Same columns and dtypes; text cells starting with ``=``, ``+``, ``-``,
        ``@``, tab or CR get a leading ``'``. Column names are neutralized too.
    """
    mandated = set(mandated)
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not _text_column(values):
            continue
        bad = formula_like(values)
        if not bad.any():
            continue
        if column in mandated:
            raise ValueError(
                f"column {column!r}: {int(bad.sum())} value(s) start with a formula character "
                "and the platform reads this column verbatim; reject those rows before writing"
            )
        out[column] = values.mask(bad, "'" + values.astype("string"))
    names = pd.Series([str(c) for c in out.columns], dtype="object")
    unsafe = formula_like(names) & ~names.isin(list(mandated))
    if unsafe.any():
        out.columns = ["'" + n if u else n for n, u in zip(names, unsafe, strict=True)]
    return out


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` atomically: ``write(temp)`` fills a temp file beside it, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_csv(frame: pd.DataFrame, path: Path, *, mandated: Iterable[str] = ()) -> Path:
    """Write ``frame`` as a formula-safe CSV (no index), atomically (temp file + rename)."""
    text = formula_safe(frame, mandated=mandated).to_csv(index=False)
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))
