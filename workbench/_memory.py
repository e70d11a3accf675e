"""Which allocator Arrow uses for the buffers the package creates.

pyarrow's default pool is mimalloc (jemalloc on some builds). Measured on the
pipeline (``benchmarks/bench_e2e.py``, 2 cores, 2026-12-04): right after
stitching, the first numpy and Arrow work of the next step ran about twice as
slowly as the same work a moment later -- the mimalloc pool holding and then
returning the memory stitching freed -- and switching Arrow to the system
allocator took the whole path from canonical touchpoints to credits from 6.4 s to
4.4 s at 10M rows and from 0.44 s to 0.32 s at 1M (the GA4 reader had already
moved its parsing to the system pool for the same reason, see
:data:`workbench.ingest.readers._jsonl.PARSE_POOL`).

So importing :mod:`workbench` makes the system allocator Arrow's default pool,
unless the user chose one with Arrow's own ``ARROW_DEFAULT_MEMORY_POOL``
environment variable (``system``, ``mimalloc`` or ``jemalloc``), which is then
left alone. The pool changes speed and memory returned to the system, never
results.
"""

from __future__ import annotations

import os

#: Arrow's environment variable that picks the default pool; when set we keep out.
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def use_system_pool() -> bool:
    """Make the system allocator pyarrow's default pool, unless the user chose one.

    Returns
    -------
    bool
        True when the pool was set here, False when ``ARROW_DEFAULT_MEMORY_POOL``
        is set (the user's choice is kept).
    """
    if os.environ.get(POOL_VARIABLE):
        return False
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    return True
