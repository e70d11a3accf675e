"""``nbformat``, imported without the grammar jsonschema compiles for IRI format checks.

``nbformat`` loads ``jsonschema``, whose format checkers import
``rfc3987_syntax`` when it is installed (it comes with JupyterLab): that builds a
Lark grammar at import time, about 1.6 s of CPU, paid by every ``workbench
report`` before it runs anything. Notebook schemas use no ``iri`` format, so
the report modules import ``nbformat`` through this module, which hides
``rfc3987_syntax`` while ``jsonschema`` is first imported (its IRI checks are
then left out, as when the package is not installed) and restores it after.
"""

from __future__ import annotations

import sys


def _import_nbformat() -> None:
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import nbformat  # noqa: F401 - already paid for (or already hidden)

        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # ImportError on import
    try:
        import nbformat  # noqa: F401
    finally:
        if "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None:
            del sys.modules["rfc3987_syntax"]


_import_nbformat()

import nbformat  # noqa: E402

__all__ = ["nbformat"]
