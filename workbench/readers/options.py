"""Strict ``[sources.options]``: every key must be one the source's reader declares.

A reader declares its options where it registers (one line)::

    @register("email_activity", options=("actions", *TABULAR_OPTIONS))

Every reader also accepts :data:`~workbench.readers.base.COMMON_OPTIONS`
(``phone_region``, ``max_quarantine_share``); readers built on
:func:`~workbench.readers._tabular.read_exports` add
:data:`~workbench.readers.base.TABULAR_OPTIONS` (``keep_duplicate_rows``).
Any other key is a :class:`~workbench.errors.ConfigError` naming the source and
suggesting the closest declared key.
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.config import SourceConfig, unknown_key_messages
from workbench.errors import ConfigError
from workbench.readers.base import READER_OPTIONS

__all__ = ["check_options", "option_problems"]


def option_problems(source: SourceConfig) -> list[str]:
    """Messages for the unknown ``[sources.options]`` keys of ``source`` (empty when fine)."""
    allowed = READER_OPTIONS.get(source.format)
    if allowed is None:
        return []
    where = f"[sources.options] of source {source.name!r} (format {source.format!r})"
    return unknown_key_messages(source.options, allowed, where)


def check_options(sources: Iterable[SourceConfig], *, context: str = "config") -> None:
    """Raise one :class:`ConfigError` listing every unknown option of ``sources``."""
    problems = [m for s in sources for m in option_problems(s)]
    if problems:
        raise ConfigError(problems, context=context)
