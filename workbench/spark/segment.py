"""Segment JSON lines read by Spark itself.

:func:`read_segment_spark` gives what :func:`workbench.ingest.readers.segment.read_segment`
gives:

1. **Spark** reads the files as text and the tasks parse them with the local
   parser, the Segment modes and column reduction
   (:func:`workbench.ingest.readers.segment.call_columns`), with exact file and
   line numbers (:mod:`workbench.spark._lines`, shared with the GA4 reader).
2. **The driver** holds the flat calls (Spark has already collected them) and
   runs the local rules unchanged: repeated and unparseable lines (within and
   across files), then :func:`workbench.ingest.readers.segment.segment_from_calls`
   (call types, repeated ``messageId``, timestamps, sessions, touches,
   conversions, links). Running these rules as Spark groups over data that is
   already on the driver only added round trips (measured: GA4 reading 4x
   slower), so they stay local until the tables stay in Spark end to end.

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
from workbench.ingest.readers.base import ReadResult
from workbench.ingest.readers.segment import (
    call_columns,
    call_modes,
    calls_frame,
    drop_repeated_calls,
    segment_from_calls,
)
from workbench.spark._lines import (
    checked_files,
    in_file_order,
    read_lines,
    spark_files,
)

__all__ = ["read_segment_spark"]


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
    kept, infos = checked_files(parsed, listed, quarantine, source.name)
    frames = [
        calls_frame(
            {name: pd.Series(lines[name].to_numpy(dtype=object), dtype="string") for name in names},
            str(info["file"]),
            lines["line"].to_numpy(dtype=np.int64),
            lines["hash"].to_numpy(dtype=np.int64).view(np.uint64),
        )
        for lines, info in zip(kept, infos, strict=True)
    ]
    calls = drop_repeated_calls(frames, infos, quarantine, source.name)
    return segment_from_calls(source, calls, infos, quarantine)
