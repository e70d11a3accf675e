"""Source readers: one per export format, each turning files into canonical tables.

Importing this package registers every reader in
:data:`workbench.ingest.readers.base.READERS`; :func:`read_source` dispatches a
configured source to its reader by ``format``.

Conventions shared by all readers (see each module for what it emits):

* ``source_file`` is the file's path relative to the data dir and
  ``source_row`` the 1-based physical line of the row in that file, counting
  from the file's first line (title/preamble lines and the header included);
  for Parquet files it is the 1-based row number.
* Naive timestamps are local time in the source's ``timezone``.
* Emails and phones are stored only as SHA-256 digests of their normalized form;
  e-mails and phones inside other text (URLs, free text, attributes) and
  e-mail-shaped identifiers become digests too (:mod:`workbench.ingest.privacy`).
* Rows dated before the source's ``min_date`` or more than ``max_future_days``
  after now are quarantined (:mod:`workbench.ingest.readers._guards`); damaged files
  (quote storms, unterminated quotes, truncated ``.gz``, NUL bytes) keep the
  rows before the damage and quarantine the rest (:mod:`workbench.ingest.readers._damage`).
* Source paths must resolve inside the data dir unless the source sets
  ``allow_outside_data_dir = true``; numbers use the source's ``decimal``.
* Rows that cannot be used go to ``ReadResult.quarantine`` with a reason; a
  file that cannot be used at all (missing required column, no header row)
  raises :class:`~workbench.errors.ValidationError`.
"""

from __future__ import annotations

from workbench.config import SourceConfig
from workbench.errors import ConfigError
from workbench.ingest.readers import (  # noqa: F401 - imported to register the readers
    activity,
    ads,
    ga4,
    generic,
    hubspot,
    segment,
    spend,
)
from workbench.ingest.readers._common import source_files
from workbench.ingest.readers.base import READERS, ReadResult, register
from workbench.ingest.readers.options import check_options

__all__ = ["READERS", "ReadResult", "read_source", "register"]


def read_source(source: SourceConfig) -> ReadResult:
    """Read one configured source with the reader registered for its ``format``.

    Raises
    ------
    ConfigError
        When no reader exists for the format, or the source's ``path`` glob
        matches no file (naming the source, the glob and the folder).
    ValidationError
        When a file is structurally unusable.
    """
    reader = READERS.get(source.format)
    if reader is None:
        raise ConfigError(
            f"source {source.name!r}: no reader for format {source.format!r}; "
            f"available: {', '.join(sorted(READERS))}"
        )
    check_options([source], context=f"source {source.name!r}")
    source_files(source)
    return reader(source)
