"""What every reader returns, and the registry of readers by format name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine, empty_quarantine
from workbench.ingest.validation import conform, empty_table
from workbench.schema import CONVERSIONS, IDENTITY_LINKS, SPEND, TOUCHPOINTS

__all__ = [
    "ACCOUNT_COLUMNS",
    "COMMON_OPTIONS",
    "CONTACT_COLUMNS",
    "READERS",
    "READER_COLUMNS",
    "READER_OPTIONS",
    "TABULAR_FORMATS",
    "TABULAR_OPTIONS",
    "ReadResult",
    "Reader",
    "empty_accounts",
    "empty_contacts",
    "register",
]

#: Columns of :attr:`ReadResult.accounts` (one row per CRM company), with dtypes.
ACCOUNT_COLUMNS: dict[str, str] = {
    "crm_account_id": "string",
    "company_name": "string",
    "domain": "string",
    "industry": "string",
    "employees": "float64",
    "employee_band": "string",
    "country": "string",
    "created_at": "datetime64[us, UTC]",
    "source": "string",
    "source_file": "string",
    "source_row": "Int64",
}

#: Columns of :attr:`ReadResult.contacts` (one row per CRM contact), with dtypes.
#: ``email`` and ``phone`` are SHA-256 digests, like everywhere else.
CONTACT_COLUMNS: dict[str, str] = {
    "crm_contact_id": "string",
    "crm_account_id": "string",
    "email": "string",
    "phone": "string",
    "anonymous_id": "string",
    "user_id": "string",
    "lifecycle_stage": "string",
    "original_source": "string",
    "created_at": "datetime64[us, UTC]",
    "source": "string",
    "source_file": "string",
    "source_row": "Int64",
}


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def empty_accounts() -> pd.DataFrame:
    """An empty :attr:`ReadResult.accounts` frame."""
    return _empty(ACCOUNT_COLUMNS)


def empty_contacts() -> pd.DataFrame:
    """An empty :attr:`ReadResult.contacts` frame."""
    return _empty(CONTACT_COLUMNS)


def _conform_attributes(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Add missing columns, cast to the listed dtypes, keep extra columns after them."""
    out = df.copy()
    for name, dtype in columns.items():
        if name not in out.columns:
            out[name] = pd.Series([pd.NA] * len(out), index=out.index, dtype="object")
        if dtype.startswith("datetime"):
            out[name] = pd.to_datetime(out[name], utc=True, errors="coerce").astype(dtype)
        elif dtype == "float64":
            out[name] = pd.to_numeric(out[name], errors="coerce").astype(dtype)
        elif dtype == "Int64":
            out[name] = pd.to_numeric(out[name], errors="coerce").astype(dtype)
        else:
            out[name] = out[name].astype(dtype)
    extra = [c for c in out.columns if c not in columns]
    return out[list(columns) + extra].reset_index(drop=True)


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
    accounts
        CRM companies with their attributes (:data:`ACCOUNT_COLUMNS`), for
        joining on ``crm_account_id``; empty for every source but
        ``hubspot_companies``.
    contacts
        CRM contacts with their attributes (:data:`CONTACT_COLUMNS`), for
        joining on ``crm_contact_id``; empty for every source but
        ``hubspot_contacts``.
    """

    touchpoints: pd.DataFrame = field(default_factory=lambda: empty_table(TOUCHPOINTS))
    conversions: pd.DataFrame = field(default_factory=lambda: empty_table(CONVERSIONS))
    identity_links: pd.DataFrame = field(default_factory=lambda: empty_table(IDENTITY_LINKS))
    spend: pd.DataFrame = field(default_factory=lambda: empty_table(SPEND))
    quarantine: pd.DataFrame = field(default_factory=empty_quarantine)
    files: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    accounts: pd.DataFrame = field(default_factory=empty_accounts)
    contacts: pd.DataFrame = field(default_factory=empty_contacts)

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
        accounts: pd.DataFrame | None = None,
        contacts: pd.DataFrame | None = None,
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
        if accounts is not None:
            out.accounts = _conform_attributes(accounts, ACCOUNT_COLUMNS)
        if contacts is not None:
            out.contacts = _conform_attributes(contacts, CONTACT_COLUMNS)
        return out


#: A reader takes the source's config and returns its canonical tables.
Reader = Callable[[SourceConfig], ReadResult]

#: Readers by ``format`` name; filled by :func:`register` in each reader module.
READERS: dict[str, Reader] = {}

#: ``[sources.options]`` keys every reader accepts (see :mod:`workbench.ingest.readers.options`).
COMMON_OPTIONS: tuple[str, ...] = ("max_quarantine_share", "phone_region")
#: Options of every reader built on :func:`workbench.ingest.readers._tabular.read_exports`.
TABULAR_OPTIONS: tuple[str, ...] = ("keep_duplicate_rows",)
#: The ``[sources.options]`` keys each format accepts, filled by :func:`register`.
READER_OPTIONS: dict[str, frozenset[str]] = {}
#: Formats whose reader reads ``[sources.columns]`` (header aliases), filled by :func:`register`.
READER_COLUMNS: set[str] = set()
#: Formats built on ``read_exports`` / ``each_file`` (they declare :data:`TABULAR_OPTIONS`):
#: each file is read by a per-file function another engine can run. Filled by :func:`register`.
TABULAR_FORMATS: set[str] = set()


def register(
    fmt: str, *, options: Iterable[str] = (), columns: bool = True
) -> Callable[[Reader], Reader]:
    """Decorator: register a reader function for the config ``format`` name ``fmt``.

    ``options`` declares the ``[sources.options]`` keys the reader reads (besides
    :data:`COMMON_OPTIONS`); any other key is a config error with a did-you-mean.
    ``columns = False`` says the reader has no header to map (``[sources.columns]``
    is then an error).
    """

    def deco(func: Reader) -> Reader:
        READERS[fmt] = func
        declared = frozenset(options)
        READER_OPTIONS[fmt] = frozenset(COMMON_OPTIONS) | declared
        if columns:
            READER_COLUMNS.add(fmt)
        if declared >= frozenset(TABULAR_OPTIONS):
            TABULAR_FORMATS.add(fmt)
        return func

    return deco
