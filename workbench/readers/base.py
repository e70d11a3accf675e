"""What every reader returns, and the registry of readers by format name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from workbench.config import SourceConfig
from workbench.quarantine import Quarantine, empty_quarantine
from workbench.schema import CONVERSIONS, IDENTITY_LINKS, SPEND, TOUCHPOINTS
from workbench.validation import conform, empty_table

__all__ = ["READERS", "ReadResult", "Reader", "register"]


@dataclass
class ReadResult:
    """The canonical tables one source produced, plus bookkeeping.

    Attributes
    ----------
    touchpoints, conversions, identity_links, spend
        Canonical tables (see :mod:`workbench.schema`); empty when the source
        has none of that kind.
    quarantine
        Rows that could not be used, with reasons.
    files
        Per file: ``{"file": ..., "rows": n_read}``.
    warnings
        Human-readable notes (schema drift, skipped summary rows, ...).
    """

    touchpoints: pd.DataFrame = field(default_factory=lambda: empty_table(TOUCHPOINTS))
    conversions: pd.DataFrame = field(default_factory=lambda: empty_table(CONVERSIONS))
    identity_links: pd.DataFrame = field(default_factory=lambda: empty_table(IDENTITY_LINKS))
    spend: pd.DataFrame = field(default_factory=lambda: empty_table(SPEND))
    quarantine: pd.DataFrame = field(default_factory=empty_quarantine)
    files: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        touchpoints: pd.DataFrame | None = None,
        conversions: pd.DataFrame | None = None,
        identity_links: pd.DataFrame | None = None,
        spend: pd.DataFrame | None = None,
        quarantine: Quarantine | None = None,
        files: list[dict[str, object]] | None = None,
        warnings: list[str] | None = None,
    ) -> ReadResult:
        """Conform every given table to its canonical columns and dtypes."""
        out = cls()
        if touchpoints is not None:
            out.touchpoints = conform(touchpoints, TOUCHPOINTS)
        if conversions is not None:
            out.conversions = conform(conversions, CONVERSIONS)
        if identity_links is not None:
            out.identity_links = conform(identity_links, IDENTITY_LINKS)
        if spend is not None:
            out.spend = conform(spend, SPEND)
        if quarantine is not None:
            out.quarantine = quarantine.to_frame()
        out.files = list(files or [])
        out.warnings = list(warnings or [])
        return out


#: A reader takes the source's config and returns its canonical tables.
Reader = Callable[[SourceConfig], ReadResult]

#: Readers by ``format`` name; filled by :func:`register` in each reader module.
READERS: dict[str, Reader] = {}


def register(fmt: str) -> Callable[[Reader], Reader]:
    """Decorator: register a reader function for the config ``format`` name ``fmt``."""

    def deco(func: Reader) -> Reader:
        READERS[fmt] = func
        return func

    return deco
