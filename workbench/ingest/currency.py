"""One currency per project: convert through ``[project] exchange_rates`` or refuse at ``prepare``.

Conversion values and spend are summed, divided and compared across sources
(ROAS, CPA, value sent to platforms), which only means something in one
currency. :func:`unify_currencies` runs in ``workbench prepare``: every row
whose ``currency`` differs from ``[project] currency`` is converted with the
rate given in ``[project] exchange_rates`` (``{ EUR = 1.08 }``: one euro is
1.08 units of the project currency), and its ``currency`` becomes the
project's. A currency without a rate is an error listing every currency
found, per table, so nothing mixes silently. Rows without a currency are
taken to be in the project currency.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.schema import CURRENCY, VALUE

__all__ = ["AMOUNT_COLUMNS", "unify_currencies"]

#: Money columns converted per table.
AMOUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversions": (VALUE,),
    "spend": ("spend", "platform_conversion_value"),
}


def _codes(frame: pd.DataFrame) -> pd.Series:
    if CURRENCY not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    text = frame[CURRENCY].astype("string").str.strip().str.upper()
    return text.mask(text == "")


def unify_currencies(
    tables: Mapping[str, pd.DataFrame], *, currency: str, rates: Mapping[str, float]
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Convert every table of :data:`AMOUNT_COLUMNS` to ``currency``.

    Parameters
    ----------
    tables
        ``{"conversions": ..., "spend": ...}`` (either may be missing).
    currency
        The project currency (ISO 4217).
    rates
        Units of ``currency`` per unit of each other currency.

    Returns
    -------
    (tables, notes)
        The converted tables (``currency`` set to the project's where it was
        given) and one note per converted currency and table.

    Raises
    ------
    WorkbenchError
        When a table holds a currency other than ``currency`` with no rate,
        listing every currency found and the setting to add.
    """
    target = currency.strip().upper()
    rates = {str(k).upper(): float(v) for k, v in rates.items()}
    found: dict[str, pd.Series] = {}
    for name in AMOUNT_COLUMNS:
        if name in tables and len(tables[name]):
            found[name] = _codes(tables[name]).value_counts()
    missing = sorted(
        {c for counts in found.values() for c in counts.index if c != target and c not in rates}
    )
    if missing:
        listing = "; ".join(
            f"{name}: " + ", ".join(f"{c} ({n:,} rows)" for c, n in counts.sort_index().items())
            for name, counts in found.items()
            if len(counts)
        )
        example = ", ".join(f"{c} = <{target} per {c}>" for c in missing)
        raise WorkbenchError(
            f"mixed currencies: the project currency is {target} and the data holds {listing}; "
            f"set [project] exchange_rates = {{ {example} }} to convert them, or export "
            "every source in one currency"
        )
    out = dict(tables)
    notes: list[str] = []
    for name, columns in AMOUNT_COLUMNS.items():
        if name not in found:
            continue
        frame = tables[name].copy()
        codes = _codes(frame)
        for code in sorted(c for c in found[name].index if c != target):
            mask = (codes == code).fillna(False).to_numpy(dtype=bool)
            for column in columns:
                if column in frame.columns:
                    frame.loc[mask, column] = frame.loc[mask, column] * rates[code]
            notes.append(
                f"{name}: {int(mask.sum()):,} rows converted from {code} to {target} "
                f"at {rates[code]:g} ([project] exchange_rates)"
            )
        frame[CURRENCY] = codes.where(codes.isna(), target).astype("string")
        out[name] = frame
    return out, notes
