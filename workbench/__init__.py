"""Journey Workbench: customer journey maps and honest multi-touch attribution."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
