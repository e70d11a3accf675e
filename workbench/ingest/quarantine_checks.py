"""Loud warnings for sources that lose a large share of their rows to one quarantine reason.

A reader that quarantines a few malformed rows is doing its job; one that
quarantines a third of the file for the same reason (an action spelling it does
not know, a date format it cannot parse) almost always means a setting is
missing. :func:`quarantine_alerts` finds those cases; ``workbench prepare``
prints them prominently, and ``workbench prepare --strict`` fails on them.

The threshold is the source's ``options.max_quarantine_share`` (default
:data:`DEFAULT_MAX_SHARE`, 5 %), a fraction of the rows the source read.
"""

from __future__ import annotations

import re

import pandas as pd

from workbench.config import SourceConfig
from workbench.errors import ConfigError

__all__ = ["DEFAULT_MAX_SHARE", "quarantine_alerts"]

#: Largest share of a source's rows one quarantine reason may take before ``prepare`` warns.
DEFAULT_MAX_SHARE = 0.05
_OPTION = re.compile(r"options\.[A-Za-z_]+")


def _max_share(source: SourceConfig) -> float:
    value = source.options.get("max_quarantine_share", DEFAULT_MAX_SHARE)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(
            f"source {source.name!r}: options.max_quarantine_share = {value!r}; expected a "
            "fraction between 0 and 1 (e.g. 0.05)"
        )
    return float(value)


def quarantine_alerts(source: SourceConfig, quarantine: pd.DataFrame, rows_read: int) -> list[str]:
    """One message per reason that took more than the allowed share of ``source``'s rows.

    Parameters
    ----------
    source
        The source config (its name and ``options.max_quarantine_share``).
    quarantine
        The rows the source's reader quarantined (``reason`` column).
    rows_read
        Rows the source read (its files' ``rows`` plus quarantined rows not counted there).

    Returns
    -------
    list of str
        Each names the source, the reason, the count and share, and the option to set:
        the one named in the reason (``options.actions`` ...) when it names one.
    """
    limit = _max_share(source)
    if not len(quarantine):
        return []
    total = max(int(rows_read), len(quarantine), 1)
    out = []
    for reason, n in quarantine["reason"].value_counts(sort=True).items():
        share = n / total
        if share <= limit:
            continue
        named = _OPTION.search(str(reason))
        fix = (
            f"set [sources.options] {named.group(0).split('.', 1)[1]} for source {source.name!r}"
            if named
            else f"check the source's columns, ts_format and timezone for {source.name!r}"
        )
        out.append(
            f"!! source {source.name!r}: {n:,} of {total:,} rows ({share:.1%}) quarantined as "
            f"{reason!r} -- more than options.max_quarantine_share = {limit:g}; {fix} "
            "(or raise options.max_quarantine_share if these rows are really unusable)"
        )
    return out
