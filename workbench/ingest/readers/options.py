"""Strict ``[sources.options]``: every key must be one the source's reader declares.

A reader declares its options where it registers (one line)::

    @register("email_activity", options=("actions", *TABULAR_OPTIONS))

Every reader also accepts :data:`~workbench.ingest.readers.base.COMMON_OPTIONS`
(``phone_region``, ``max_quarantine_share``); readers built on
:func:`~workbench.ingest.readers._tabular.read_exports` add
:data:`~workbench.ingest.readers.base.TABULAR_OPTIONS` (``keep_duplicate_rows``).
Any other key is a :class:`~workbench.errors.ConfigError` naming the source and
suggesting the closest declared key.
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.config import SourceConfig, unknown_key_messages
from workbench.errors import ConfigError
from workbench.ingest.readers.base import READER_COLUMNS, READER_OPTIONS

__all__ = ["check_options", "option_problems"]


def option_problems(source: SourceConfig) -> list[str]:
    """Messages for settings of ``source`` its reader would ignore (empty when fine).

    Unknown ``[sources.options]`` keys; ``constants`` and ``table`` on a named
    format (only ``csv`` uses them); ``[sources.columns]`` on a format without a
    header (``ga4``, ``segment``).
    """
    allowed = READER_OPTIONS.get(source.format)
    if allowed is None:
        return []
    named = f"source {source.name!r} (format {source.format!r})"
    out = unknown_key_messages(source.options, allowed, f"[sources.options] of {named}")
    if source.format != "csv":
        if source.constants:
            out.append(f"{named}: constants are only used by format 'csv'; remove them")
        if source.table is not None:
            out.append(f"{named}: table is only used by format 'csv'; remove it")
    if source.columns and source.format not in READER_COLUMNS:
        out.append(
            f"{named}: this format has no header to map, so [sources.columns] would be "
            "ignored; remove it"
        )
    return out


def check_options(sources: Iterable[SourceConfig], *, context: str = "config") -> None:
    """Raise one :class:`ConfigError` listing every unknown option of ``sources``."""
    problems = [m for s in sources for m in option_problems(s)]
    if problems:
        raise ConfigError(problems, context=context)
