"""Building blocks of the GA4 reader's session tables (:mod:`workbench.ingest.readers.ga4`).

* :func:`session_keys` (with :func:`user_key`): the session id of every event,
  ``user:ga_session_id``, or sessions derived per user from ``session_start``
  events and inactivity where ``ga_session_id`` is missing;
* :func:`_first_valid`: per session, the first non-missing value of each column;
* :func:`_pick_triple`: source / medium / campaign from the first informative level;
* :func:`_per_url`: a value-by-value URL parse run once per distinct URL;
* :func:`take_columns`: rows of several columns, taken in threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from workbench.ingest.readers._common import clean_ids
from workbench.schema import SOURCE_ROW, TS

__all__ = ["SESSION_KEY_COLUMNS", "session_keys", "take_columns", "user_key"]

_T = TypeVar("_T", pd.Series, pd.DataFrame)
_UNINFORMATIVE = ("", "(data deleted)", "<other>", "(not set)", "(none)", "not set")


def _informative(values: pd.Series) -> pd.Series:
    lowered = values.astype("string").str.strip().str.lower()
    return values.notna() & ~lowered.isin(_UNINFORMATIVE).fillna(False)


#: The event columns :func:`session_keys` reads.
SESSION_KEY_COLUMNS: tuple[str, ...] = (
    "user_pseudo_id",
    "user_id",
    "ga_session_id",
    TS,
    "event_name",
    SOURCE_ROW,
)


def user_key(events: pd.DataFrame) -> pd.Series:
    """Whose sessions each event belongs to: ``user_pseudo_id``, else ``"uid:" + user_id``."""
    pseudo = events["user_pseudo_id"]
    missing = pseudo.isna()
    if not missing.any():  # the usual case: no text joined for every event
        return pseudo
    return pseudo.fillna("uid:" + events.loc[missing, "user_id"])


def session_keys(events: pd.DataFrame, timeout_minutes: float) -> tuple[pd.Series, int]:
    """Return the session id of each event and how many events had no ``ga_session_id``.

    ``user:ga_session_id``; where the id is missing, sessions are derived per
    user (:func:`user_key`) from ``session_start`` events and inactivity. Each
    user's ids depend on that user's events only.
    """
    user = user_key(events)
    sid = clean_ids(events["ga_session_id"])
    missing = sid.isna() & user.notna()
    n_missing = int(missing.sum())
    if n_missing:
        sub = events.loc[missing, [TS, "event_name"]].assign(user=user[missing])
        sub = sub.sort_values(["user", TS], kind="stable")
        gap = sub[TS].diff() > pd.Timedelta(minutes=timeout_minutes)
        new = (sub["user"] != sub["user"].shift()) | gap | (sub["event_name"] == "session_start")
        group = pd.Series(np.cumsum(new.fillna(True).to_numpy(dtype=bool)), index=sub.index)
        start = sub[TS].groupby(group).transform("min")
        seconds = (start - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
        sid = sid.copy()
        sid.loc[sub.index] = "~" + seconds.astype("int64").astype("string")
    return (user + ":" + sid).astype("string"), n_missing


def _pick_triple(levels: list[tuple[pd.Series, pd.Series, pd.Series]]) -> list[pd.Series]:
    """Source/medium/campaign from the first level where source or medium is informative."""
    chosen = pd.Series(-1, index=levels[0][0].index)
    for i, (src, med, _) in enumerate(levels):
        chosen = chosen.mask((chosen < 0) & (_informative(src) | _informative(med)), i)
    for i, (src, med, camp) in enumerate(levels):
        anything = src.notna() | med.notna() | camp.notna()
        chosen = chosen.mask((chosen < 0) & anything, i)
    out = []
    for k in range(3):
        col = pd.Series(pd.NA, index=chosen.index, dtype="string")
        for i, level in enumerate(levels):
            col = col.mask(chosen == i, level[k].astype("string"))
        out.append(col)
    return out


def _distinct_urls(urls: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each URL's place among the distinct URLs (missing: the last place), and those URLs + NA."""
    codes, uniques = pd.factorize(urls)
    distinct = pd.Series(uniques, dtype=urls.dtype)
    at = np.where(codes < 0, len(distinct), codes)
    return at, pd.concat([distinct, pd.Series([pd.NA], dtype=urls.dtype)], ignore_index=True)


def _per_url(
    parse: Callable[[pd.Series], _T],
    urls: pd.Series,
    distinct: tuple[np.ndarray, pd.Series] | None = None,
) -> _T:
    """``parse(urls)`` for a value-by-value ``parse``, run once per distinct URL.

    Landing pages and page views repeat the same URLs many times over.
    ``distinct``: :func:`_distinct_urls` of ``urls``, when several parses share it.
    """
    at, values = distinct if distinct is not None else _distinct_urls(urls)
    out = parse(values).iloc[at]
    out.index = urls.index
    return out


def take_columns(columns: dict[str, tuple[pd.Series, np.ndarray]]) -> pd.DataFrame:
    """A frame of ``values.iloc[at]`` (``at < 0``: missing) per named ``(values, at)``, fresh index.

    The takes run in threads: pyarrow's take (text columns) works without the GIL,
    and the GA4 reader takes a few dozen columns of every event after the parallel parse.
    """

    def take(item: tuple[pd.Series, np.ndarray]) -> ExtensionArray | np.ndarray:
        values, at = item
        return values.array.take(at, allow_fill=True)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        taken = list(pool.map(take, columns.values()))
    return pd.DataFrame(
        {name: pd.Series(t, name=name) for name, t in zip(columns, taken, strict=True)}
    )


def _first_valid(frame: pd.DataFrame, group: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
    """Per group, the first non-missing value of each column (``groupby(sort=False).first()``).

    The groups are of the rows ``rows`` of ``frame`` in that order; ``group``
    numbers each of them, ascending from 0 (sorted by group), so no key is
    hashed and only one value per group and column is copied.
    """
    n = int(group[-1]) + 1 if len(group) else 0
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if n else group[:0]
    takes = {}
    for name in frame.columns:
        col = frame[name]
        every = col.notna().to_numpy(dtype=bool)
        take = rows[starts]
        valid = every[rows] if not every.all() else None  # a full column: the first rows
        if valid is not None and not valid[starts].all():
            pos = np.flatnonzero(valid)
            first = pos[np.r_[True, group[pos][1:] != group[pos][:-1]]] if len(pos) else pos
            take = np.full(n, -1, dtype=np.int64)
            take[group[first]] = rows[first]
        takes[name] = (col, take)
    return take_columns(takes)
