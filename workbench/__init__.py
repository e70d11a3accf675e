"""Journey Workbench: customer journey maps and honest multi-touch attribution."""

from __future__ import annotations

from workbench._memory import use_system_pool

__version__ = "0.1.0"

__all__ = ["__version__"]

use_system_pool()  # Arrow on the system allocator (see workbench._memory for why)
