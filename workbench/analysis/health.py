"""Data-health tables: what was read, what was set aside, what reached a person."""

from __future__ import annotations

import pandas as pd

from workbench.journeys.build import JourneySet
from workbench.prepare import Prepared
from workbench.schema import PERSON_ID

__all__ = ["LARGEST_SHOWN", "coverage", "largest_people", "source_overview"]

#: People listed by :func:`largest_people` in the data-health report.
LARGEST_SHOWN = 10


def source_overview(prepared: Prepared) -> pd.DataFrame:
    """One row per source: ``source, format, files, rows, first_ts, last_ts``."""
    s = prepared.sources
    if s.empty:
        return pd.DataFrame(columns=["source", "format", "files", "rows", "first_ts", "last_ts"])
    return (
        s.groupby(["source", "format"], sort=False, observed=True)
        .agg(
            files=("file", "nunique"),
            rows=("rows", "sum"),
            first_ts=("first_ts", "min"),
            last_ts=("last_ts", "max"),
        )
        .reset_index()
    )


def largest_people(prepared: Prepared, n: int = LARGEST_SHOWN) -> pd.DataFrame:
    """The ``n`` people holding the most identifiers, whatever their size.

    Listed even when none is over ``identity.max_component_size``: a junk
    identifier that merged a dozen browsers stays far below the alert but is
    plain to see here. Columns ``rank, identifiers, id_types, anchor_type,
    touchpoints, conversions, is_internal, alert`` (from the stitching
    diagnostics' ``largest_components`` table).
    """
    columns = [
        "rank",
        "identifiers",
        "id_types",
        "anchor_type",
        "touchpoints",
        "conversions",
        "is_internal",
        "alert",
    ]
    top = prepared.diagnostics.get("largest_components")
    if top is None or top.empty:
        return pd.DataFrame(columns=columns)
    return top.sort_values("rank").head(n)[columns].reset_index(drop=True)


def coverage(prepared: Prepared, journeys: JourneySet | None = None) -> pd.DataFrame:
    """How much of the data reached a person and a journey, as ``metric, value, share``.

    ``share`` is the metric's share of its base (touchpoints, conversions or
    people); journey metrics need the ``journeys`` of the period.
    """
    tp, conv = prepared.touchpoints, prepared.conversions
    people = prepared.people
    rows: list[tuple[str, float, float | None]] = [
        ("touchpoints", len(tp), None),
        ("touchpoints with a person", int(tp[PERSON_ID].notna().sum()), _share(tp[PERSON_ID])),
        ("conversions", len(conv), None),
        ("conversions with a person", int(conv[PERSON_ID].notna().sum()), _share(conv[PERSON_ID])),
        ("people", len(people), None),
    ]
    if "is_known" in people.columns and len(people):
        known = people["is_known"].fillna(False).astype(bool)
        rows.append(("people identified (CRM, login or email)", int(known.sum()), known.mean()))
    if "is_known" in people.columns and len(tp):
        known_ids = people.loc[people["is_known"].fillna(False).astype(bool), PERSON_ID]
        share = tp[PERSON_ID].isin(known_ids).mean()
        rows.append(("touchpoints of identified people", int(share * len(tp)), share))
    if journeys is not None:
        j = journeys.journeys
        conv_j = j[j["converted"].astype(bool)]
        with_touch = int((conv_j["n_touches"] > 0).sum())
        rows.append(
            (
                "converted journeys with at least one known touch",
                with_touch,
                with_touch / len(conv_j) if len(conv_j) else None,
            )
        )
    return pd.DataFrame(rows, columns=["metric", "value", "share"])


def _share(values: pd.Series) -> float | None:
    return float(values.notna().mean()) if len(values) else None
