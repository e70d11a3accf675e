"""The ``workbench`` command line: a leaf that parses and calls the package.

Nothing in the package imports ``workbench.cli.main``.
"""

from workbench.cli.main import main

__all__ = ["main"]
