"""Pick the click id to send with each conversion.

Rule (the same for every platform):

1. **Most recent click of the person**: among the person's touchpoints that
   carry one of the platform's click ids (Google: ``gclid``/``gbraid``/
   ``wbraid``; Meta: ``fbclid``; LinkedIn: ``li_fat_id``), the latest one at or
   before the conversion and within the platform's click window
   (:attr:`~workbench.export.rules.PlatformRules.click_window_days`). This is
   the click the platform itself would credit under its last-click rule, and
   its time is known, so its age can be checked.
2. **Otherwise the conversion's own click id** (e.g. the ``gclid`` captured by
   the lead form), first non-missing in the platform's preference order. Its
   click time is the earliest touchpoint that carries the same id, or unknown.

Exactly one click id kind is chosen per row (Google accepts one per row).
``first_seen`` is the earliest time the chosen id was observed (touchpoints,
else the conversion time): Meta's ``fbc`` needs it as its creation time
[M-FBC].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.export.rules import PLATFORM_RULES
from workbench.identifiers import blank_blocked
from workbench.schema import PERSON_ID, TS

__all__ = ["CLICK_COLUMNS", "select_clicks"]

#: Output columns of :func:`select_clicks`.
CLICK_COLUMNS: tuple[str, ...] = ("click_kind", "click_id", "click_ts", "first_seen", "click_from")

_UTC = "datetime64[us, UTC]"


def _long_clicks(touchpoints: pd.DataFrame, kinds: tuple[str, ...]) -> pd.DataFrame:
    """Touchpoints with a click id, as (person_id, ts, click_kind, click_id, rank)."""
    parts = []
    for rank, kind in enumerate(kinds):
        if kind not in touchpoints.columns or PERSON_ID not in touchpoints.columns:
            continue
        ids = blank_blocked(touchpoints[kind])
        keep = ids.notna() & touchpoints[TS].notna()
        part = pd.DataFrame(
            {
                PERSON_ID: touchpoints.loc[keep, PERSON_ID].astype("string").to_numpy(),
                TS: pd.to_datetime(touchpoints.loc[keep, TS], utc=True).dt.as_unit("us").to_numpy(),
                "click_kind": kind,
                "click_id": ids[keep].to_numpy(),
                "_rank": rank,
            }
        )
        parts.append(part)
    if not parts:
        return pd.DataFrame(
            {
                PERSON_ID: pd.Series(dtype="string"),
                TS: pd.Series(dtype=_UTC),
                "click_kind": pd.Series(dtype="string"),
                "click_id": pd.Series(dtype="string"),
                "_rank": pd.Series(dtype="int64"),
            }
        )
    out = pd.concat(parts, ignore_index=True)
    out[TS] = pd.to_datetime(out[TS], utc=True).dt.as_unit("us")
    return out.astype({PERSON_ID: "string", "click_kind": "string", "click_id": "string"})


def select_clicks(
    conversions: pd.DataFrame,
    touchpoints: pd.DataFrame | None,
    *,
    platform: str,
    window_days: float | None = None,
) -> pd.DataFrame:
    """The click id to send with each conversion to ``platform``.

    Parameters
    ----------
    conversions
        Conversions with ``ts``, optionally ``person_id`` and click id columns.
    touchpoints
        Stitched touchpoints (``ts``, ``person_id``, click id columns), or
        ``None`` to use only the conversions' own click ids.
    platform
        Platform key.
    window_days
        Click window; default the platform's
        :attr:`~workbench.export.rules.PlatformRules.click_window_days`.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``conversions``: ``click_kind``, ``click_id`` (string),
        ``click_ts``, ``first_seen`` (UTC) and ``click_from`` (``"touchpoint"``
        or ``"conversion"``), missing where there is no click.
    """
    rules = PLATFORM_RULES[platform]
    window = pd.Timedelta(days=rules.click_window_days if window_days is None else window_days)
    index = conversions.index
    conv_ts = pd.to_datetime(conversions[TS], utc=True).dt.as_unit("us")
    out = pd.DataFrame(
        {
            "click_kind": pd.Series(pd.NA, index=index, dtype="string"),
            "click_id": pd.Series(pd.NA, index=index, dtype="string"),
            "click_ts": pd.Series(pd.NaT, index=index, dtype=_UTC),
            "first_seen": pd.Series(pd.NaT, index=index, dtype=_UTC),
            "click_from": pd.Series(pd.NA, index=index, dtype="string"),
        }
    )
    clicks = (
        _long_clicks(touchpoints, rules.click_id_types)
        if touchpoints is not None
        else _long_clicks(pd.DataFrame({TS: []}), ())
    )
    clicks = clicks.dropna(subset=[PERSON_ID])
    if len(clicks) and PERSON_ID in conversions.columns:
        left = pd.DataFrame(
            {
                "_pos": np.arange(len(conversions)),
                PERSON_ID: conversions[PERSON_ID].astype("string").reset_index(drop=True),
                TS: conv_ts.reset_index(drop=True),
            }
        ).dropna(subset=[PERSON_ID, TS])
        # merge_asof takes the last row among equal times: sort the preferred
        # click kind (rank 0) last so it wins ties.
        right = clicks.sort_values([TS, "_rank"], ascending=[True, False], kind="stable")
        right = right.assign(click_ts=right[TS])
        found = pd.merge_asof(
            left.sort_values(TS, kind="stable"),
            right[[TS, PERSON_ID, "click_kind", "click_id", "click_ts"]],
            on=TS,
            by=PERSON_ID,
            direction="backward",
            tolerance=window,
            allow_exact_matches=True,
        ).dropna(subset=["click_id"])
        pos = found["_pos"].to_numpy()
        out.iloc[pos, out.columns.get_loc("click_kind")] = found["click_kind"].to_numpy()
        out.iloc[pos, out.columns.get_loc("click_id")] = found["click_id"].to_numpy()
        out.iloc[pos, out.columns.get_loc("click_ts")] = found["click_ts"].to_numpy()
        out.iloc[pos, out.columns.get_loc("click_from")] = "touchpoint"
    for kind in rules.click_id_types:
        if kind not in conversions.columns:
            continue
        own = blank_blocked(conversions[kind])
        fill = out["click_id"].isna() & own.notna()
        out.loc[fill, "click_kind"] = kind
        out.loc[fill, "click_id"] = own[fill]
        out.loc[fill, "click_from"] = "conversion"
    seen = pd.Series(pd.NaT, index=index, dtype=_UTC)
    if len(clicks):
        first = clicks.groupby("click_id")[TS].min()
        seen = pd.to_datetime(out["click_id"].map(first), utc=True).dt.as_unit("us")
    from_conversion = out["click_from"].eq("conversion").fillna(False).astype(bool)
    out["click_ts"] = out["click_ts"].mask(from_conversion, seen)
    out["first_seen"] = seen.fillna(conv_ts.where(out["click_id"].notna()))
    return out
