"""Per-person attributes for segments: CRM company facts plus derived attributes.

Segments must also cover people who never converted, so their attributes
cannot come from conversions alone. :func:`person_attributes` builds one row
per person from the stitched people table, the CRM companies (``accounts``)
and the person's latest conversion attributes, then evaluates the config's
derived attributes (``[attributes.NAME]``: ``value = "pandas query"`` cases,
first match wins, ``default`` otherwise), e.g.::

    [attributes.customer_type]
    enterprise = "employees > 200"
    default = "smb"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench.errors import ConfigError
from workbench.intcodes import with_plain_strings
from workbench.schema import ACCOUNT_ID, PERSON_ID, TS

__all__ = ["ATTRIBUTE_PREFIX", "derive_attributes", "person_attributes"]

#: Prefix readers give raw attribute columns (``attr_product_line``).
ATTRIBUTE_PREFIX = "attr_"
_ACCOUNT_COLUMNS = ("company_name", "industry", "employees", "employee_band", "country")


def person_attributes(
    people: pd.DataFrame,
    *,
    accounts: pd.DataFrame | None = None,
    conversions: pd.DataFrame | None = None,
    derived: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """One row per person with the attributes segments are defined on.

    Parameters
    ----------
    people
        The stitched people table (``person_id``, ``account_id``, flags).
    accounts
        CRM companies keyed by ``crm_account_id`` (company_name, industry,
        employees, employee_band, country, and any ``attr_*`` column such as a
        company ``attr_segment``, named without the prefix when that name is free).
    conversions
        Stitched conversions; each ``attr_*`` column contributes the person's
        latest non-missing value, named without the prefix (``product_line``), or
        with it when an account column already has that name.
    derived
        Derived attributes from the config (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``person_id``, ``account_id``, the account columns, the conversion
        attributes and the derived attributes; people without a value get a
        missing value (derived attributes get their ``default``).
    """
    keep = [c for c in people.columns if c in (PERSON_ID, ACCOUNT_ID, "is_internal", "is_known")]
    out = people[keep].drop_duplicates(PERSON_ID).reset_index(drop=True)
    if accounts is not None and len(accounts) and "crm_account_id" in accounts.columns:
        cols = [c for c in _ACCOUNT_COLUMNS if c in accounts.columns]
        extra = [c for c in accounts.columns if c.startswith(ATTRIBUTE_PREFIX)]
        acc = (
            accounts.drop_duplicates("crm_account_id", keep="last")
            .rename(columns={"crm_account_id": ACCOUNT_ID})[[ACCOUNT_ID, *cols, *extra]]
            .astype({ACCOUNT_ID: "string"})
        )
        acc = acc.rename(columns=_unprefixed(extra, set(acc.columns)))
        out = out.astype({ACCOUNT_ID: "string"}).merge(acc, on=ACCOUNT_ID, how="left")
    if conversions is not None and len(conversions):
        attrs = [c for c in conversions.columns if c.startswith(ATTRIBUTE_PREFIX)]
        if attrs:
            latest = _latest_values(conversions, attrs)
            clash = [c for c in latest.columns if c != PERSON_ID and c in out.columns]
            latest = latest.rename(columns={c: ATTRIBUTE_PREFIX + c for c in clash})
            out = out.merge(latest, on=PERSON_ID, how="left")
    if derived:
        out = derive_attributes(out, derived)
    return out


def _unprefixed(columns: list[str], taken: set[str]) -> dict[str, str]:
    """``attr_x`` -> ``x`` for the columns whose short name is still free."""
    short = {c: c[len(ATTRIBUTE_PREFIX) :] for c in columns}
    return {c: s for c, s in short.items() if s and s not in taken}


def _latest_values(conversions: pd.DataFrame, attrs: list[str]) -> pd.DataFrame:
    frame = conversions[[PERSON_ID, TS, *attrs]].dropna(subset=[PERSON_ID])
    # a coded person_id (stitching's categorical) merges into the people's strings as strings
    frame = with_plain_strings(frame, PERSON_ID)
    frame = frame.sort_values([PERSON_ID, TS], kind="stable")
    latest = frame.groupby(PERSON_ID, observed=True)[attrs].last().reset_index()
    return latest.rename(columns={a: a[len(ATTRIBUTE_PREFIX) :] for a in attrs})


def derive_attributes(
    frame: pd.DataFrame, derived: Mapping[str, Mapping[str, str]]
) -> pd.DataFrame:
    """Add each derived attribute: the first case whose query matches, else ``default``.

    Raises
    ------
    ConfigError
        Naming ``attributes.NAME.VALUE`` and the query when a query cannot be
        evaluated (e.g. it names a column that does not exist).
    """
    out = frame.copy()
    problems = []
    for name, cases in derived.items():
        default = cases.get("default")
        conditions, values = [], []
        for value, query in cases.items():
            if value == "default":
                continue
            try:
                mask = out.eval(query)
            except Exception as exc:  # noqa: BLE001 - any failure is a config problem
                problems.append(
                    f"attributes.{name}.{value} = {query!r} cannot be evaluated: {exc}; "
                    f"available columns: {', '.join(map(str, out.columns))}"
                )
                continue
            conditions.append(np.asarray(pd.Series(mask).fillna(False), dtype=bool))
            values.append(value)
        chosen = (
            np.select(conditions, values, default=cast(Any, default)) if conditions else default
        )
        out[name] = pd.Series(chosen, index=out.index, dtype="string")
    if problems:
        raise ConfigError(problems, context="[attributes]")
    return out
