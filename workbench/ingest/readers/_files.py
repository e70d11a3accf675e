"""How the tabular readers visit a source's files: locally, or through another engine.

:func:`each_file` runs a reader's per-file function (``read_one(data, file,
quarantine)``) on every file of a source, in order. By default it reads the
files locally (``data`` is the file's path); inside :func:`files_read_by` another
engine reads them: the Spark engine hands each file's bytes to ``read_one`` in
a task (:mod:`workbench.spark.tabular`), so the parsing is the local reader's.
The rules across files (repeated rows, columns missing in some files) stay in
the readers, after :func:`each_file`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from workbench.config import SourceConfig
from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import relative_name, source_files

__all__ = ["FileMapper", "FileReader", "each_file", "files_read_by"]

#: A reader's per-file function: ``(path or bytes, file name, quarantine) -> result``.
FileReader = Callable[[Path | bytes, str, Quarantine], Any]
#: Runs a :data:`FileReader` on every file of a source: ``[(result, its quarantine), ...]``.
FileMapper = Callable[[SourceConfig, FileReader], list[tuple[Any, Quarantine]]]

_MAPPER: ContextVar[FileMapper | None] = ContextVar("workbench_file_mapper", default=None)


def each_file(source: SourceConfig, read_one: FileReader, quarantine: Quarantine) -> list[Any]:
    """``read_one`` on every file of ``source`` in order; quarantined rows go to ``quarantine``.

    Raises
    ------
    ConfigError
        When the source's path matches no file.
    WorkbenchError
        What ``read_one`` raises (for the first file that fails, in file order).
    """
    mapper = _MAPPER.get()
    if mapper is None:
        return [
            read_one(path, relative_name(path, source.base_dir), quarantine)
            for path in source_files(source)
        ]
    out = []
    for result, rows in mapper(source, read_one):
        quarantine.extend(rows)
        out.append(result)
    return out


@contextmanager
def files_read_by(mapper: FileMapper) -> Iterator[None]:
    """Within this block, :func:`each_file` reads files with ``mapper``."""
    token = _MAPPER.set(mapper)
    try:
        yield
    finally:
        _MAPPER.reset(token)
