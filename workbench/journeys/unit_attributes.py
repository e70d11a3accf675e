"""Attribute columns of journeys: per-unit values and the journeys' own.

Used by :func:`~workbench.journeys.build.build_journeys`: :func:`unit_table` collects
per unit code the latest known attribute values (and a person's account);
:func:`attach_attributes` sets ``account_id`` and appends the attribute columns to
the journeys table, the conversion row's own value first, then the unit's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.journeys.codes import UnitCodes
from workbench.schema import ACCOUNT_ID, CONVERSIONS, JOURNEYS, PERSON_ID

__all__ = ["attach_attributes", "attribute_columns", "unit_table"]


def attribute_columns(conversions: pd.DataFrame) -> list[str]:
    """Attribute columns of ``conversions``: every column that is not a canonical one."""
    skip = set(CONVERSIONS.names) | set(JOURNEYS.names) | {PERSON_ID, ACCOUNT_ID}
    return [c for c in conversions.columns if c not in skip]


def unit_table(
    conversions: pd.DataFrame,
    attributes: pd.DataFrame | None,
    touchpoints: pd.DataFrame,
    t_used: np.ndarray,
    t_ts: np.ndarray,
    unit: str,
    units: UnitCodes,
    c_known: np.ndarray,
    c_ts: np.ndarray,
) -> pd.DataFrame:
    """Per unit code, the latest known attribute values (and person's account).

    Precedence: the ``attributes`` table, then the latest non-missing value on
    the unit's conversions before the period end, then (account only) the
    latest account seen on the person's touches: those where ``t_used`` (the
    touches the journeys were cut from), latest by ``t_ts`` (int64), then row.
    """
    unit_col = ACCOUNT_ID if unit == "account" else PERSON_ID
    cols = attribute_columns(conversions)
    person_acc = unit == "person" and ACCOUNT_ID in conversions.columns
    c_codes = units.conversions
    m = c_known & (c_codes >= 0)
    o = np.argsort(c_ts[m], kind="stable")
    out = conversions.loc[m, cols + [ACCOUNT_ID] * person_acc].iloc[o].groupby(c_codes[m][o]).last()
    if unit == "person" and ACCOUNT_ID in touchpoints.columns:
        has = touchpoints[ACCOUNT_ID].notna().to_numpy() & t_used
        rows, p_codes = _last_rows(has, units.touches, t_ts, len(units))
        acc = touchpoints[ACCOUNT_ID].iloc[rows].astype("string").set_axis(p_codes)
        out = out.combine_first(acc.to_frame(ACCOUNT_ID))
    if attributes is not None:
        ids = pd.Index(pd.arrays.ArrowStringArray(pa.chunked_array([units.ids])))
        a_codes = ids.get_indexer(attributes[unit_col].astype("string"))
        skip = (set(JOURNEYS.names) - {ACCOUNT_ID}) | {unit_col}
        keep = [c for c in attributes.columns if c not in skip]
        out = attributes.loc[a_codes >= 0, keep].set_axis(a_codes[a_codes >= 0]).combine_first(out)
    return out


def _last_rows(
    has: np.ndarray, codes: np.ndarray, ts: np.ndarray, n_units: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's last row (latest ``ts``, then highest row) among the rows ``has``.

    Returns the rows and their unit codes, by unit code. Two ``maximum.at`` passes
    over the rows ``has`` only, instead of a gather of a flag at every sorted touch
    (10M touchpoints, 5% with an account).
    """
    rows = np.flatnonzero(has)
    c, t = codes[rows], ts[rows]
    latest = np.full(n_units, np.iinfo(np.int64).min)
    np.maximum.at(latest, c, t)
    at_latest = t == latest[c]
    last = np.full(n_units, -1, dtype=np.int64)
    np.maximum.at(last, c[at_latest], rows[at_latest])
    found = np.flatnonzero(last >= 0)
    return last[found], found


def attach_attributes(
    journeys: pd.DataFrame,
    units: pd.DataFrame,
    conversions: pd.DataFrame,
    attributes: pd.DataFrame | None,
    code: np.ndarray,
    crow: np.ndarray,
    unit: str,
) -> pd.DataFrame:
    """Set ``account_id``; append attribute columns (conversion row first, then unit)."""
    conv = crow >= 0
    base = units.reindex(code).set_axis(journeys.index)
    order = attribute_columns(conversions)
    if attributes is not None:
        order += [c for c in attributes.columns if c in base.columns and c not in order]
    for col in [ACCOUNT_ID] * (unit == "person") + order:  # an account's: its own id, below
        values = base[col] if col in base.columns else pd.Series(pd.NA, index=journeys.index)
        if col in conversions.columns and len(conversions):
            fast = _arrow_first_known(conversions[col], crow, values)
            if fast is not None:
                values = fast
            else:
                own = conversions[col].take(np.maximum(crow, 0)).set_axis(journeys.index)
                values = _first_known(own.where(conv), values)
        journeys[col] = values
    own_acc = journeys[PERSON_ID] if unit == "account" else journeys[ACCOUNT_ID]
    journeys[ACCOUNT_ID] = own_acc.astype("string")
    return journeys[JOURNEYS.names + order]


def _arrow_first_known(
    column: pd.Series, crow: np.ndarray, fallback: pd.Series
) -> pd.Series | None:
    """:func:`_first_known` of ``column`` at conversion rows ``crow`` for Arrow strings, else None.

    When the column and ``fallback`` are Arrow-backed strings of one dtype, the
    conversion row's value (missing where ``crow < 0``) or else the fallback's is
    picked by Arrow's ``take`` and ``coalesce``: the values and dtype of pandas'
    ``take``, ``where`` and ``where`` (10M touchpoints: ~3x cheaper).
    """
    dtype = column.dtype
    if not (
        isinstance(dtype, pd.StringDtype)
        and dtype.storage == "pyarrow"
        and fallback.dtype == dtype
        and isinstance(column.array, pd.arrays.ArrowStringArray)
        and isinstance(fallback.array, pd.arrays.ArrowStringArray)
    ):
        return None
    own_arr = getattr(column.array, "_pa_array", None)  # pandas' Arrow data (internal name)
    fallback_arr = getattr(fallback.array, "_pa_array", None)
    if own_arr is None or fallback_arr is None:
        return None
    picked = pc.coalesce(own_arr.take(pa.array(crow, mask=crow < 0)), fallback_arr)
    return pd.Series(pd.arrays.ArrowStringArray(picked, dtype=dtype), index=fallback.index)


def _first_known(own: pd.Series, fallback: pd.Series) -> pd.Series:
    """``own`` where it is known, else ``fallback``; a categorical ``own`` keeps its dtype.

    A categorical column's categories are widened by the fallback's values first
    (pandas cannot set a value that is not a category).
    """
    if isinstance(own.dtype, pd.CategoricalDtype):
        known = pd.Index(fallback.dropna().astype(object).unique())
        new = known.difference(own.cat.categories.astype(object), sort=False)
        if len(new):
            own = own.cat.add_categories(new)
        fallback = fallback.astype(object)
    return own.where(own.notna(), fallback)
