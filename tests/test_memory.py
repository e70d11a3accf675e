"""workbench._memory: Arrow's default pool after ``import workbench``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench._memory import POOL_VARIABLE

PROBE = "import pyarrow as pa, workbench; print(pa.default_memory_pool().backend_name)"


def _backend(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != POOL_VARIABLE}
    if value is not None:
        env[POOL_VARIABLE] = value
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_import_makes_the_system_allocator_the_default() -> None:
    assert _backend(None) == "system"


@pytest.mark.parametrize("chosen", ["mimalloc", "jemalloc"])
def test_a_pool_the_user_chose_is_kept(chosen: str) -> None:
    import pyarrow as pa

    try:  # a pyarrow build without this allocator cannot be asked for it
        getattr(pa, f"{chosen}_memory_pool")()
    except NotImplementedError:
        pytest.skip(f"pyarrow built without {chosen}")
    assert _backend(chosen) == chosen
