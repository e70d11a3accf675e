"""Segment JSON lines read by Spark itself, sessionized by Spark per visitor.

:func:`read_segment_spark` gives what :func:`workbench.ingest.readers.segment.read_segment`
gives:

1. **Spark** reads the files as text and the tasks parse them with the local
   parser, the Segment modes and column reduction
   (:func:`workbench.ingest.readers.segment.call_columns`), with exact file and
   line numbers (:mod:`workbench.spark._lines`, shared with the GA4 reader).
2. **The driver** quarantines repeated and unparseable lines as the local
   reader does (within and across files), then runs the local call rules
   (:func:`workbench.ingest.readers.segment.segment_from_calls`: call types,
   repeated ``messageId``, timestamps, touches, conversions, links).
3. **Spark** sessionizes: the session calls are grouped by visitor
   (:func:`workbench.ingest.readers._segment_sessions.visitor_key`, visitors
   hashed into buckets) and each group is sessionized by the local
   :func:`~workbench.ingest.readers._segment_sessions.sessionize`
   (``applyInPandas``, :mod:`workbench.spark._groups`); the driver puts the
   sessions back in the local order.

The differences from the local reader are those of the GA4 reader (a damaged
``.gz``, a carriage return alone as a line end, the type-drift mode chosen per
piece of a file), see ``docs/scale-out.md``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._identifier_params import identifiers_option
from workbench.ingest.readers._segment_sessions import (
    SESSION_COLUMNS,
    in_sessions,
    sessionize,
    visitor_key,
)
from workbench.ingest.readers.base import ReadResult
from workbench.ingest.readers.segment import (
    Sessionizer,
    call_columns,
    call_modes,
    calls_frame,
    drop_repeated_calls,
    segment_from_calls,
)
from workbench.schema import SOURCE_FILE, SOURCE_ROW
from workbench.spark._groups import apply_in_groups
from workbench.spark._lines import (
    checked_files,
    in_file_order,
    read_lines,
    spark_files,
    spark_find_duplicates,
)

__all__ = ["read_segment_spark", "spark_sessionizer"]

_ORDER = ("_calls", "_first", "_seq")


def _per_visitors(group: pd.DataFrame, *, timeout_minutes: float) -> pd.DataFrame:
    """The sessions of some visitors' calls (local code), with the positions of their calls.

    ``_calls`` holds the positions (``_call``) of the calls carrying the session's
    id, space-separated, on the first session of that id; ``_first`` (the
    position of the visitor's first call) and ``_seq`` restore the local order.
    """
    pos = group["_call"].to_numpy(dtype=np.int64)
    calls = group.drop(columns="_call")
    sessions, ids = sessionize(calls, timeout_minutes=timeout_minutes)
    first = pd.Series(pos).groupby(visitor_key(calls).to_numpy(dtype=object)).transform("min")
    lead = pd.MultiIndex.from_arrays([calls[SOURCE_FILE], calls[SOURCE_ROW]]).get_indexer(
        pd.MultiIndex.from_arrays([sessions[SOURCE_FILE], sessions[SOURCE_ROW]])
    )
    members = pd.Series(pos.astype(str), index=ids.index).groupby(ids.to_numpy(dtype=object))
    joined = members.agg(" ".join)
    sid = sessions["session_id"].astype(object)
    listed = sid.map(joined).where(~sid.duplicated(), "")
    return sessions.assign(
        _calls=listed.astype(object).to_numpy(),
        _first=first.to_numpy(dtype=np.int64)[lead],
        _seq=np.arange(len(sessions), dtype=np.int64),
    )


def spark_sessionizer(spark: Any) -> Sessionizer:
    """:func:`~workbench.ingest.readers._segment_sessions.sessionize`, run per visitor in Spark."""

    def sessions(calls: pd.DataFrame, *, timeout_minutes: float) -> tuple[pd.DataFrame, pd.Series]:
        mask = in_sessions(calls)
        if not mask.any():
            return sessionize(calls, timeout_minutes=timeout_minutes)
        sub = calls.loc[mask, list(SESSION_COLUMNS)].assign(_call=np.flatnonzero(mask))
        func = functools.partial(_per_visitors, timeout_minutes=timeout_minutes)
        out = apply_in_groups(spark, sub, visitor_key(sub), func)
        out = out.sort_values(["_first", "_seq"], kind="stable").reset_index(drop=True)
        lists = out["_calls"].fillna("").astype(str)
        counts = np.where(lists == "", 0, lists.str.count(" ") + 1)
        at = np.array(" ".join(lists[lists != ""]).split(), dtype=np.int64)
        session_ids = pd.Series(pd.NA, index=calls.index, dtype="string")
        sids = pd.array(out["session_id"], dtype="string")
        session_ids.iloc[at] = sids[np.repeat(np.arange(len(out)), counts)]
        return out.drop(columns=list(_ORDER)), session_ids

    return sessions


def read_segment_spark(spark: Any, source: SourceConfig) -> ReadResult:
    """Read a Segment source with Spark (see the module docs)."""
    identifiers = tuple(identifiers_option(source))
    listed = spark_files(spark, source)
    columns = functools.partial(call_columns, identifiers=identifiers)
    names = list(call_columns(call_modes(identifiers)[-1].schema.empty_table(), identifiers))
    kinds = [(name, False) for name in names]
    paths = [path for path, _ in listed]
    parsed = in_file_order(
        read_lines(spark, paths, call_modes(identifiers), columns, kinds), listed
    )
    quarantine = Quarantine()
    find = spark_find_duplicates(spark)
    kept, infos = checked_files(parsed, listed, quarantine, source.name, find=find)
    frames = [
        calls_frame(
            {name: pd.Series(lines[name].to_numpy(dtype=object), dtype="string") for name in names},
            str(info["file"]),
            lines["line"].to_numpy(dtype=np.int64),
            lines["hash"].to_numpy(dtype=np.int64).view(np.uint64),
        )
        for lines, info in zip(kept, infos, strict=True)
    ]
    calls = drop_repeated_calls(frames, infos, quarantine, source.name, find=find)
    return segment_from_calls(source, calls, infos, quarantine, sessions=spark_sessionizer(spark))
