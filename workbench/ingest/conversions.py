"""Conversion definitions (``[conversions.NAME]``) and cross-source de-duplication.

Exports often record the same purchase twice: the shop's ``purchase`` event
and a CRM deal in an "Ecommerce Pipeline" that mirrors it. A definition says
which rows are a conversion and how duplicates across sources are merged::

    [conversions.purchase]
    type = "purchase"  # conversion type written (default: NAME)
    sources = ["web", "crm_deals"]  # source names (default: every source)
    types = ["purchase", "deal_won"]  # conversion types taken (default: [type])
    filter = "pipeline != 'Sales Pipeline'"  # pandas query over the conversion's own columns
    value = "value"  # column holding the value (default "value")
    dedup_window_hours = 72  # same person within this window ...
    value_tolerance = 0.01  # ... and values within 1% -> one conversion
    prefer = ["web", "crm_deals"]  # keep the row of the first source listed

:func:`apply_definitions` runs once in ``workbench prepare`` after identity
stitching (the duplicates are found per ``person_id``), so the stored
conversions table already holds only the defined, de-duplicated conversions and
every later step (journeys, ``workbench attribute``, the notebooks, the
exports) counts the same rows. When no ``[conversions]`` section exists the
conversions are kept as the readers produced them.

Filters see the conversion row's own columns, with ``attr_`` attributes also
reachable without the prefix (``pipeline`` is ``attr_pipeline``): never the
person's inherited attributes. Rows a definition's filter rejects, rows no
definition takes, and merged duplicates are quarantined with their reason;
:func:`apply_definitions` also returns a ``conversion_dedup`` table with one
row per merged duplicate (which row was kept instead, time and value gaps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.config_sections import ConversionDefinition, parse_definitions
from workbench.errors import ConfigError
from workbench.ingest.quarantine import Quarantine
from workbench.schema import (
    CONVERSION_ID,
    CONVERSION_TYPE,
    PERSON_ID,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    TS,
    VALUE,
)

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Mapping

__all__ = [
    "DEDUP_COLUMNS",
    "ConversionDefinition",
    "apply_definitions",
    "parse_definitions",
]

#: Columns of the ``conversion_dedup`` table.
DEDUP_COLUMNS: tuple[str, ...] = (
    "definition",
    PERSON_ID,
    "dropped_source",
    "dropped_conversion_id",
    "dropped_file",
    "dropped_row",
    "kept_source",
    "kept_conversion_id",
    "hours_apart",
    "dropped_value",
    "kept_value",
)


# --- applying -----------------------------------------------------------------------------
def _filter_view(rows: pd.DataFrame) -> pd.DataFrame:
    """The columns a filter sees: the row's own, plus ``attr_x`` as ``x`` where free.

    Text columns are plain objects with NaN for missing, so ``pipeline != 'Sales'``
    holds for rows without a pipeline (e.g. web purchases) instead of being missing.
    """
    view = rows.copy()
    for col in rows.columns:
        if isinstance(view[col].dtype, pd.StringDtype):
            view[col] = view[col].astype(object).where(view[col].notna(), np.nan)
    for col in rows.columns:
        short = col[5:] if col.startswith("attr_") else None
        if short and short not in view.columns:
            view[short] = rows[col]
    return view


def _select(conversions: pd.DataFrame, d: ConversionDefinition) -> tuple[np.ndarray, np.ndarray]:
    """(taken by sources/types, passes the filter) masks of ``d`` over ``conversions``."""
    taken = np.array(conversions[CONVERSION_TYPE].isin(d.types).fillna(False), dtype=bool)
    if d.sources:
        taken &= conversions[SOURCE].isin(d.sources).fillna(False).to_numpy(bool)
    passes = taken.copy()
    if d.filter and taken.any():
        view = _filter_view(conversions.loc[taken])
        try:
            ok = view.eval(d.filter)
        except Exception as exc:  # noqa: BLE001 - any failure is a config problem
            columns = ", ".join(c for c in view.columns if c not in (SOURCE_FILE, SOURCE_ROW))
            raise ConfigError(
                f"conversions.{d.name}.filter = {d.filter!r} cannot be evaluated on the "
                f"conversions: {exc}; columns: {columns}"
            ) from None
        passes[taken] = pd.Series(ok).astype("boolean").fillna(False).to_numpy(bool)
    return taken, passes


def _values(rows: pd.DataFrame, d: ConversionDefinition) -> pd.Series:
    if d.value not in rows.columns:
        raise ConfigError(
            f"conversions.{d.name}.value = {d.value!r} is not a column of the conversions; "
            f"columns: {', '.join(map(str, rows.columns))}"
        )
    return pd.to_numeric(rows[d.value], errors="coerce").astype("float64")


def _near(a: np.ndarray, b: np.ndarray, tolerance: float) -> np.ndarray:
    both_missing = np.isnan(a) & np.isnan(b)
    gap = np.abs(a - b) <= tolerance * np.fmax(np.abs(a), np.abs(b)) + 1e-9
    return both_missing | np.nan_to_num(gap, nan=False).astype(bool)


def _duplicate_pairs(rows: pd.DataFrame, d: ConversionDefinition) -> pd.DataFrame:
    """One-to-one matches (dropped row -> kept row) of a definition's rows.

    Candidates: same person, different sources, ``|ts gap| <= window`` and values
    within the tolerance; the row of the less preferred source is dropped. Each row
    is matched at most once, closest in time first (rounds of mutual best matches).
    """
    rank = {s: i for i, s in enumerate(d.prefer)}
    frame = pd.DataFrame(
        {
            "i": np.arange(len(rows)),
            PERSON_ID: rows[PERSON_ID].to_numpy(),
            "rank": rows[SOURCE].map(rank).fillna(len(rank)).to_numpy(np.int64),
            "source": rows[SOURCE].to_numpy(),
            "t": rows[TS].to_numpy(),
            "v": rows["_value"].to_numpy(np.float64),
        }
    ).dropna(subset=[PERSON_ID])
    # only people with conversions from two or more sources can have cross-source duplicates
    frame = frame[frame.groupby(PERSON_ID)["source"].transform("nunique").to_numpy() > 1]
    pairs = frame.merge(frame, on=PERSON_ID, suffixes=("_d", "_k"))
    hours = (pairs["t_d"] - pairs["t_k"]).abs() / pd.Timedelta(hours=1)
    keep = (
        (pairs["source_d"] != pairs["source_k"])
        & (
            (pairs["rank_d"] > pairs["rank_k"])
            | ((pairs["rank_d"] == pairs["rank_k"]) & (pairs["i_d"] > pairs["i_k"]))
        )
        & (hours <= d.dedup_window_hours)
        & _near(pairs["v_d"].to_numpy(), pairs["v_k"].to_numpy(), d.value_tolerance)
    )
    cand = pairs.loc[keep.to_numpy(bool)].assign(hours=hours[keep])
    chosen = []
    while len(cand):
        cand = cand.sort_values(["hours", "i_d", "i_k"], kind="stable")
        best = cand.drop_duplicates("i_d").drop_duplicates("i_k")
        # a row kept for one duplicate cannot itself be dropped in the same round
        best = best[~best["i_d"].isin(best["i_k"])]
        chosen.append(best)
        used = np.concatenate([best["i_d"].to_numpy(), best["i_k"].to_numpy()])
        # a dropped row is gone; a kept row is matched once
        cand = cand[~cand["i_d"].isin(used) & ~cand["i_k"].isin(used)]
    if not chosen:
        return pd.DataFrame(columns=["i_d", "i_k", "hours"])
    return pd.concat(chosen, ignore_index=True)[["i_d", "i_k", "hours"]]


def _dedup_table(rows: pd.DataFrame, pairs: pd.DataFrame, d: ConversionDefinition) -> pd.DataFrame:
    dropped = rows.iloc[pairs["i_d"].to_numpy(np.int64)]
    kept = rows.iloc[pairs["i_k"].to_numpy(np.int64)]
    return pd.DataFrame(
        {
            "definition": d.name,
            PERSON_ID: dropped[PERSON_ID].to_numpy(),
            "dropped_source": dropped[SOURCE].to_numpy(),
            "dropped_conversion_id": dropped[CONVERSION_ID].to_numpy(),
            "dropped_file": dropped[SOURCE_FILE].to_numpy(),
            "dropped_row": dropped[SOURCE_ROW].to_numpy(),
            "kept_source": kept[SOURCE].to_numpy(),
            "kept_conversion_id": kept[CONVERSION_ID].to_numpy(),
            "hours_apart": pairs["hours"].to_numpy(np.float64),
            "dropped_value": dropped["_value"].to_numpy(np.float64),
            "kept_value": kept["_value"].to_numpy(np.float64),
        }
    )


def apply_definitions(
    conversions: pd.DataFrame,
    definitions: Mapping[str, ConversionDefinition],
    quarantine: Quarantine,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep only defined conversions, typed and valued by their definition, de-duplicated.

    Parameters
    ----------
    conversions
        Stitched conversions (with ``person_id``).
    definitions
        The config's ``[conversions.NAME]`` sections; empty keeps ``conversions``.
    quarantine
        Receives the rows left out, one reason per rule.

    Returns
    -------
    (conversions, dedup)
        The defined conversions (column ``conversion_definition`` names the
        definition; a row taken by two definitions appears once per definition) and
        the merged duplicates (:data:`DEDUP_COLUMNS`).
    """
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in DEDUP_COLUMNS})
    if not definitions:
        return conversions, empty
    parts, dedups = [], [empty]
    n = len(conversions)
    kept_any, taken_any = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    merged_by = np.full(n, "", dtype=object)
    rejected_by = np.full(n, "", dtype=object)
    for d in definitions.values():
        taken, passes = _select(conversions, d)
        taken_any |= taken
        rejected_by[taken & ~passes] += f"conversions.{d.name}.filter, "
        where = np.flatnonzero(passes)
        rows = conversions.iloc[where].reset_index(drop=True)
        rows = rows.assign(_value=_values(rows, d))
        drop = np.zeros(len(rows), dtype=bool)
        if d.dedup_window_hours > 0 and len(rows):
            pairs = _duplicate_pairs(rows, d)
            drop[pairs["i_d"].to_numpy(np.int64)] = True
            dedups.append(_dedup_table(rows, pairs, d))
            merged_by[where[drop]] = d.name
        kept_any[where[~drop]] = True
        out = rows.loc[~drop].assign(**{CONVERSION_TYPE: d.type, "conversion_definition": d.name})
        parts.append(out.assign(**{VALUE: out["_value"]}).drop(columns="_value"))
    _quarantine_left_out(quarantine, conversions, kept_any, taken_any, merged_by, rejected_by)
    kept = pd.concat(parts, ignore_index=True) if parts else conversions.iloc[:0]
    kept = kept.sort_values([TS, SOURCE, SOURCE_ROW], kind="stable").reset_index(drop=True)
    return kept, pd.concat(dedups, ignore_index=True)


def _quarantine_left_out(
    quarantine: Quarantine,
    conversions: pd.DataFrame,
    kept: np.ndarray,
    taken: np.ndarray,
    merged_by: np.ndarray,
    rejected_by: np.ndarray,
) -> None:
    """Quarantine each conversion no definition kept, once, with the most telling reason.

    Merged as a duplicate, else rejected by the filters of the definitions that took it,
    else taken by none.
    """
    left = ~kept
    merged = left & (merged_by != "")
    for name in sorted(set(merged_by[merged])):
        quarantine_by_source(
            quarantine,
            conversions,
            merged & (merged_by == name),
            reason=f"duplicate conversion merged by conversions.{name} (kept preferred source)",
            column=CONVERSION_ID,
        )
    rejected = left & ~merged & taken
    for names in sorted(set(rejected_by[rejected])):
        quarantine_by_source(
            quarantine,
            conversions,
            rejected & (rejected_by == names),
            reason=f"conversion rejected by {names.rstrip(', ')}",
            column=CONVERSION_TYPE,
        )
    quarantine_by_source(
        quarantine,
        conversions,
        left & ~taken,
        reason="conversion type/source not in any [conversions] definition",
        column=CONVERSION_TYPE,
    )


def quarantine_by_source(
    quarantine: Quarantine, rows: pd.DataFrame, mask: np.ndarray, *, reason: str, column: str
) -> None:
    """Quarantine ``rows[mask]`` under their own ``source`` names."""
    if not mask.any():
        return
    sources = rows[SOURCE].astype("string").fillna("")
    for name in sorted(sources[mask].unique()):
        sel = mask & (sources == name).to_numpy(bool)
        quarantine.add(rows, sel, reason=reason, source=str(name), column=column)
