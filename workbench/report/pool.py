"""A pool of warm Jupyter kernels that run report notebooks in parallel.

Starting a kernel and importing pandas, matplotlib and the workbench takes
seconds; Papermill pays that for every notebook. :class:`KernelPool` starts
one kernel per worker, imports the heavy modules once, and executes each
notebook's cells through :class:`nbclient.NotebookClient` with that kernel.
Every kernel starts booting as soon as the pool starts, while this process reads
and parameterizes the first notebooks.
Parameters are injected exactly as Papermill does
(:func:`papermill.parameterize.parameterize_notebook`: an
``injected-parameters`` cell after the ``parameters`` cell).

Between two notebooks the kernel is reset so nothing leaks from one report
into the next: the user namespace is cleared (``%reset -f``), every
matplotlib figure is closed, ``matplotlib.rcParams`` and the warning filters
are restored to their state after warm-up and so is the working directory. Imported modules
stay imported (that is the point); a kernel that timed out or died is
replaced by a fresh one before it runs the next notebook. After warm-up and after
each reset, what the kernel keeps is collected once and frozen (:func:`gc.freeze`),
so the garbage collector's full passes walk only what the running report made.

A failing cell is marked the way Papermill marks it (``metadata.papermill``
``status: failed`` / ``exception: true``) so the run's failure reporting is
the same for both engines.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from workbench.report._nbformat import nbformat

__all__ = ["KernelPool", "NotebookFailure", "default_workers"]

T = TypeVar("T")

#: Modules every report notebook imports; loaded once per kernel.
WARM_IMPORTS = (
    "numpy",
    "pandas",
    "matplotlib.pyplot",
    "workbench.notebook.workspace",
    "workbench.report.display",
)

_READY_TIMEOUT = 120.0


def default_workers(n_jobs: int) -> int:
    """Workers for ``n_jobs`` notebooks: the available cores, at most one per notebook."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, n_jobs))


@dataclass
class NotebookFailure(Exception):
    """A notebook stopped: ``ename: evalue`` as the kernel reported it."""

    ename: str
    evalue: str

    def __str__(self) -> str:
        return f"{self.ename}: {self.evalue}" if self.evalue else self.ename


#: Collect, then move every live object out of the garbage collector's sight: what a
#: warm kernel keeps (modules, the workspace and journeys caches) is never garbage, and a
#: full collection walking it costs ~0.3 s each time (several times per report).
_FREEZE = "__import__('gc').collect()\n__import__('gc').freeze()"


def _warm_code(modules: Sequence[str]) -> str:
    lines = ["import importlib as _wb_il"]
    for name in modules:
        lines.append(f"try:\n    _wb_il.import_module({name!r})\nexcept Exception:\n    pass")
    lines.append("import warnings as _wb_w\n_wb_w._workbench_pool_filters = list(_wb_w.filters)")
    lines.append(
        "try:\n"
        "    import matplotlib as _wb_mpl\n"
        "    import matplotlib.pyplot as _wb_plt\n"
        "    _wb_plt._get_backend_mod()  # load the inline backend: it sets rcParams too\n"
        "    _wb_mpl._workbench_pool_rc = {k: v for k, v in _wb_mpl.rcParams.items()"
        " if k != 'backend'}\n"
        "except Exception:\n"
        "    pass"
    )
    lines.append(_FREEZE)
    return "\n".join(lines)


def _reset_code(cwd: Path) -> str:
    return "\n".join(
        [
            "import os as _wb_os, sys as _wb_sys",
            f"_wb_os.chdir({str(cwd)!r})",
            "_wb_mpl = _wb_sys.modules.get('matplotlib')",
            "if _wb_mpl is not None:",
            "    _wb_plt = _wb_sys.modules.get('matplotlib.pyplot')",
            "    if _wb_plt is not None:",
            "        _wb_plt.close('all')",
            "    _wb_rc = getattr(_wb_mpl, '_workbench_pool_rc', None)",
            "    if _wb_rc is not None:",
            "        _wb_mpl.rcParams.update(_wb_rc)",
            "import warnings as _wb_w",
            "_wb_w.filters[:] = _wb_w._workbench_pool_filters",
            "getattr(_wb_w, '_filters_mutated', lambda: None)()",
            "get_ipython().run_line_magic('reset', '-f')",
            _FREEZE,
        ]
    )


class _Kernel:
    """One warm kernel: its manager, client and whether it needs a reset."""

    def __init__(self, kernel_name: str, cwd: Path, extra_arguments: list[str]) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.extra_arguments = extra_arguments
        self.km: Any = None
        self.kc: Any = None
        self.dirty = False
        #: The start begun when the pool starts, awaited before the first notebook.
        self.starting: asyncio.Future[None] | None = None

    async def start(self, warm: Sequence[str]) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        await self.km.start_kernel(cwd=str(self.cwd), extra_arguments=self.extra_arguments)
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=_READY_TIMEOUT)
        self.kc.allow_stdin = False
        if warm:
            await self.run_quietly(_warm_code(warm))
        self.dirty = False

    async def run_quietly(self, code: str, timeout: float = _READY_TIMEOUT) -> None:
        """Run ``code`` without history or output and wait for the kernel's reply."""
        msg_id = self.kc.execute(code, silent=True, store_history=False)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            reply = await self.kc.get_shell_msg(timeout=max(0.1, deadline - loop.time()))
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return

    async def reset(self) -> None:
        if self.dirty:
            await self.run_quietly(_reset_code(self.cwd))
            self.dirty = False

    async def alive(self) -> bool:
        return self.km is not None and bool(await self.km.is_alive())

    async def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            await self.km.shutdown_kernel(now=True)
        self.km = self.kc = None


class KernelPool:
    """``workers`` warm kernels executing notebooks concurrently.

    Parameters
    ----------
    workers
        Number of kernels (each runs one notebook at a time).
    kernel_name
        The Jupyter kernel to start.
    cwd
        Working directory of every notebook.
    timeout
        Seconds any single cell may run.
    extra_arguments
        Extra kernel command-line arguments.
    warm
        Modules imported once in every kernel before the first notebook.
    """

    def __init__(
        self,
        workers: int,
        *,
        kernel_name: str = "python3",
        cwd: str | Path = ".",
        timeout: float = 600,
        extra_arguments: Sequence[str] = (),
        warm: Sequence[str] = WARM_IMPORTS,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.kernel_name = kernel_name
        self.cwd = Path(cwd).resolve()
        self.timeout = timeout
        self.extra_arguments = list(extra_arguments)
        self.warm = tuple(warm)

    def map(
        self,
        items: Sequence[T],
        execute: Callable[[Callable[..., Awaitable[nbformat.NotebookNode]], T], Awaitable[Any]],
    ) -> None:
        """Call ``await execute(run, item)`` for every item, ``workers`` at a time.

        ``run(nb, parameters, language)`` executes one notebook in a warm kernel
        and returns it (raising :class:`NotebookFailure` or another exception
        on failure; the partly executed notebook is then the ``nb`` passed in,
        parameterized and mutated in place). ``execute`` may return an
        awaitable (e.g. writing the report): it is awaited in the background
        while the kernel already runs the next item, so a kernel never waits
        for work that does not need it. Returns when all items and their
        awaitables are done; each kernel is shut down as soon as no item is
        left for it, and every kernel also on interruption.
        """
        asyncio.run(self._map(list(items), execute))

    async def _map(self, items: list[T], execute: Callable[..., Awaitable[Any]]) -> None:
        queue: asyncio.Queue[T] = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)
        kernels = [
            _Kernel(self.kernel_name, self.cwd, self.extra_arguments)
            for _ in range(min(self.workers, len(items)))
        ]
        tails: list[asyncio.Future[Any]] = []
        # every kernel starts booting now, while this process reads and parameterizes the
        # first notebooks (and imports nbclient and Papermill for them)
        starts = []
        for k in kernels:
            k.starting = asyncio.ensure_future(k.start(self.warm))
            starts.append(k.starting)
        try:
            await asyncio.gather(*(self._worker(k, queue, execute, tails) for k in kernels))
            await asyncio.gather(*tails)
        finally:
            for task in (*starts, *tails):
                task.cancel()
            await asyncio.gather(*starts, *tails, return_exceptions=True)
            await asyncio.gather(*(k.shutdown() for k in kernels), return_exceptions=True)

    async def _worker(
        self,
        kernel: _Kernel,
        queue: asyncio.Queue[T],
        execute: Callable[..., Awaitable[Any]],
        tails: list[asyncio.Future[Any]],
    ) -> None:
        while not queue.empty():
            item = queue.get_nowait()

            async def run(
                nb: nbformat.NotebookNode, parameters: dict[str, Any], language: str | None
            ) -> nbformat.NotebookNode:
                return await self._run(kernel, nb, parameters, language)

            tail = await execute(run, item)
            if inspect.isawaitable(tail):
                tails.append(asyncio.ensure_future(tail))
        if kernel.starting is not None:  # never used (no item was left for it)
            kernel.starting.cancel()
            await asyncio.gather(kernel.starting, return_exceptions=True)
        await kernel.shutdown()  # nothing left for it: free its memory while others work

    async def _ready(self, kernel: _Kernel) -> None:
        starting, kernel.starting = kernel.starting, None
        if starting is not None:  # the start begun with the pool
            try:
                await starting
            except Exception:  # noqa: BLE001 - started again below, which raises the error
                await kernel.shutdown()
        if kernel.km is not None and not await kernel.alive():
            await kernel.shutdown()
        if kernel.km is None:
            await kernel.start(self.warm)
        await kernel.reset()

    async def _run(
        self,
        kernel: _Kernel,
        nb: nbformat.NotebookNode,
        parameters: dict[str, Any],
        language: str | None,
    ) -> nbformat.NotebookNode:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from papermill.parameterize import parameterize_notebook

        _papermill_metadata(nb)
        if parameters:  # as papermill: no injected cell when nothing is set
            injected = parameterize_notebook(
                nb, parameters, kernel_name=self.kernel_name, language=language
            )
            nb.cells[:] = injected.cells  # keep the caller's object as the partial result
            nb.metadata = injected.metadata
        await self._ready(kernel)
        current: dict[str, int] = {}

        def on_cell_execute(cell: Any, cell_index: int) -> None:
            current["index"] = cell_index

        client = NotebookClient(
            nb,
            km=kernel.km,
            kernel_name=self.kernel_name,
            timeout=self.timeout,
            allow_errors=False,
            interrupt_on_timeout=False,
            on_cell_execute=on_cell_execute,
        )
        client.kc = kernel.kc
        kernel.dirty = True
        try:
            await client.async_execute()
        except CellExecutionError as exc:
            _mark_failed(nb, current.get("index"))
            raise NotebookFailure(exc.ename, exc.evalue) from None
        except BaseException:
            _mark_failed(nb, current.get("index"))
            await kernel.shutdown()  # timed out or died: the next notebook gets a fresh kernel
            raise
        return nb


def _papermill_metadata(nb: nbformat.NotebookNode) -> None:
    """Add the metadata papermill's loader adds (``parameterize_notebook`` reads it)."""
    from papermill import __version__

    nb.metadata.setdefault(
        "papermill",
        {"default_parameters": {}, "parameters": {}, "environment_variables": {}},
    )
    nb.metadata.papermill.setdefault("version", __version__)
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])


def _mark_failed(nb: nbformat.NotebookNode, index: int | None) -> None:
    """Mark the failing cell as Papermill does, so the run finds it the same way."""
    if index is None or index >= len(nb.cells):
        return
    meta = nb.cells[index].metadata.setdefault("papermill", {})
    meta["status"] = "failed"
    meta["exception"] = True
