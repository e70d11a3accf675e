"""The path-aggregated interchange table of ChannelAttribution and fractribution.

One row per path string (channels joined by ``sep``, default ``" > "``) with total
conversions, total conversion value and total nulls (non-converting journeys); column
names are options (defaults ``path``, ``total_conversions``, ``total_conversion_value``,
``total_null``). :func:`paths_from_aggregated` reads it into
:class:`~workbench.attribution.inputs.Paths`, :func:`aggregate_paths` writes it.
Aggregated paths carry no timestamps, so ``time_decay`` and ``w_shaped`` refuse them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.attribution._helpers import _examples, _numeric, _require_columns
from workbench.attribution.inputs import DEFAULT_SEP, Paths
from workbench.attribution.sequences import group_sequences, join_paths
from workbench.errors import ValidationError
from workbench.schema import JOURNEYS

__all__ = [
    "AGG_CONVERSIONS",
    "AGG_NULLS",
    "AGG_PATH",
    "AGG_VALUE",
    "aggregate_paths",
    "paths_from_aggregated",
]

#: Default column names of the path-aggregated interchange table.
AGG_PATH = JOURNEYS["path"].name
AGG_CONVERSIONS = "total_conversions"
AGG_VALUE = "total_conversion_value"
AGG_NULLS = "total_null"


def paths_from_aggregated(
    table: pd.DataFrame,
    *,
    path: str = AGG_PATH,
    conversions: str = AGG_CONVERSIONS,
    value: str | None = AGG_VALUE,
    nulls: str | None = AGG_NULLS,
    sep: str = DEFAULT_SEP,
) -> Paths:
    """Build :class:`Paths` from a path-aggregated table (ChannelAttribution / fractribution).

    Parameters
    ----------
    table
        One row per path: path string, total conversions, total conversion value, total
        nulls. Identical path strings on several rows are allowed (they add up in models
        that aggregate paths).
    path, conversions, value, nulls
        Column names; ``value`` / ``nulls`` may be ``None`` when the table has no such
        column (treated as 0).
    sep
        Separator between channels in the path string; channel names are stripped of
        surrounding whitespace.

    Raises
    ------
    ValidationError
        Missing columns, empty paths or empty channel names, non-numeric / negative /
        missing counts or values, value on a path without conversions.
    """
    cols = [path, conversions] + [c for c in (value, nulls) if c is not None]
    _require_columns(table, "aggregated paths", cols)
    if not sep:
        raise ValidationError(["aggregated paths: the separator must be a non-empty string"])
    table = table.reset_index(drop=True)
    problems: list[str] = []
    conv = _numeric(table, conversions, "aggregated paths", problems)
    val = (
        np.zeros(len(table))
        if value is None
        else _numeric(table, value, "aggregated paths", problems)
    )
    nul = (
        np.zeros(len(table))
        if nulls is None
        else _numeric(table, nulls, "aggregated paths", problems)
    )
    orphan = (val > 0) & (conv == 0)
    if orphan.any():
        problems.append(
            f"aggregated paths: column {value!r} is > 0 on paths without conversions; "
            f"expected value only with conversions: "
            f"{_examples(table, orphan, [path, conversions, str(value)])}"
        )
    text = table[path].astype("str")
    empty = (table[path].isna() | (text.str.strip().str.len() == 0)).to_numpy()
    if empty.any():
        problems.append(
            f"aggregated paths: column {path!r} has empty paths; expected channels joined "
            f"by {sep!r}: {_examples(table, empty, [path, conversions])}"
        )
    lists = pc.split_pattern(pa.array(text, type=pa.string(), from_pandas=True), sep)
    lengths = pc.list_value_length(lists).fill_null(0).to_numpy().astype(np.int64)
    tokens = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    row_of_token = np.repeat(np.arange(len(table)), lengths)
    bad_tok = pc.equal(tokens, "").to_numpy(zero_copy_only=False)
    rows = np.zeros(len(table), dtype=bool)
    rows[row_of_token[bad_tok]] = True
    rows &= ~empty
    if rows.any():
        problems.append(
            f"aggregated paths: column {path!r} has empty channel names between "
            f"separators {sep!r}: {_examples(table, rows, [path])}"
        )
    if problems:
        raise ValidationError(problems)

    uniques = pc.array_sort_indices(pc.unique(tokens))
    uniques = pc.take(pc.unique(tokens), uniques)
    codes = pc.index_in(tokens, value_set=uniques).to_numpy(zero_copy_only=False)
    uniques = uniques.to_pylist()
    offsets = np.zeros(len(table) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    index_in_path = np.arange(len(codes), dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    return Paths(
        channels=tuple(str(c) for c in uniques),
        codes=codes.astype(np.int32),
        offsets=offsets,
        conversions=conv,
        nulls=nul,
        value=val,
        ids=text.to_numpy(dtype=object),
        positions=index_in_path,
        source="aggregated",
    )


def aggregate_paths(
    paths: Paths,
    *,
    path: str = AGG_PATH,
    conversions: str = AGG_CONVERSIONS,
    value: str = AGG_VALUE,
    nulls: str = AGG_NULLS,
    sep: str = DEFAULT_SEP,
) -> pd.DataFrame:
    """The interchange table: one row per distinct path with its totals.

    Returns
    -------
    DataFrame
        Columns ``path, total_conversions, total_conversion_value, total_null`` (names
        as given), sorted by path.
    """
    inverse, rep = group_sequences(paths.codes, paths.offsets, paths.n_channels)
    n = len(rep)
    lengths = paths.lengths[rep]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    idx = np.repeat(paths.offsets[rep], lengths) + (
        np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths)
    )
    names = paths.channel_names(paths.codes[idx])
    out = pd.DataFrame(
        {
            path: join_paths(names, offsets, sep),
            conversions: np.bincount(inverse, weights=paths.conversions, minlength=n),
            value: np.bincount(inverse, weights=paths.value, minlength=n),
            nulls: np.bincount(inverse, weights=paths.nulls, minlength=n),
        }
    )
    return out.sort_values(path, kind="stable").reset_index(drop=True)
