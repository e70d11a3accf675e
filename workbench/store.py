"""Crash-safe storage of the prepared tables: a manifest, an atomic switch and a lock.

``workbench prepare`` never writes into the live ``processed_dir``. It writes the
whole set into a new sibling folder (``.<name>.new-<pid>``), writes
``_manifest.json`` there LAST, and then switches the folders in one atomic step
(Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, repaired by the
next run if interrupted between them). Whoever reads ``processed_dir`` sees
either the complete old set or the complete new set, never a mix.

A lock file beside the folder (``.<name>.lock``) keeps a second concurrent
``prepare`` of the same folder out with a clear message; the lock is an OS
file lock, so the lock of a process that died is taken over automatically.

The manifest records the config (absolute path and content hash) that
produced the tables, so ``workbench report`` can refuse tables prepared from
another config (:func:`check_prepared`).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as _dt
import errno
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import workbench
from workbench.errors import WorkbenchError

__all__ = [
    "MANIFEST_FILE",
    "PrepareLocked",
    "check_prepared",
    "config_fingerprint",
    "lock_path",
    "prepare_lock",
    "read_manifest",
    "read_previous_identities",
    "recover",
    "verify_manifest",
    "write_set",
]

#: Written last into every prepared set; lists the files and the config.
MANIFEST_FILE = "_manifest.json"
_FORMAT = 1


class PrepareLocked(WorkbenchError):
    """Another ``workbench prepare`` holds the lock of this processed folder."""


def lock_path(out_dir: Path) -> Path:
    """The lock file of ``out_dir``: ``.<name>.lock`` beside it."""
    out_dir = Path(out_dir).absolute()
    return out_dir.parent / f".{out_dir.name}.lock"


def _siblings(out_dir: Path, kind: str) -> list[Path]:
    return sorted(out_dir.parent.glob(f".{out_dir.name}.{kind}-*"))


@contextlib.contextmanager
def prepare_lock(out_dir: Path) -> Iterator[Path]:
    """Hold the prepare lock of ``out_dir`` for the duration of the block.

    Raises
    ------
    PrepareLocked
        When another live process holds it (naming its pid, start time and the
        lock file).
    """
    path = lock_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path)
    try:
        os.ftruncate(fd, 0)
        stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        os.write(fd, json.dumps({"pid": os.getpid(), "started": stamp}).encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # closing releases the OS lock


def _acquire(path: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _try_lock(fd, path):
                raise PrepareLocked(_locked_message(path))
            # the holder may have deleted the file between our open and our lock
            if os.path.exists(path) and os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _try_lock(fd: int, path: Path) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: a pid file is the lock
        return _pid_lock(fd, path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def _pid_lock(fd: int, path: Path) -> bool:  # pragma: no cover - Windows only
    holder = _holder(path).get("pid")
    return not (isinstance(holder, int) and holder != os.getpid() and _alive(holder))


def _alive(pid: int) -> bool:  # pragma: no cover - Windows only
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _locked_message(path: Path) -> str:
    holder = _holder(path)
    who = f" (pid {holder['pid']}, started {holder.get('started', '?')})" if holder else ""
    target = path.parent / path.name[1:].removesuffix(".lock")
    return (
        f"another `workbench prepare`{who} is writing {target}; wait for it to finish "
        f"(lock file {path})"
    )


def config_fingerprint(config_path: Path | None) -> dict[str, str] | None:
    """The absolute path and SHA-256 of a config file (``None`` without a file)."""
    if config_path is None or not Path(config_path).is_file():
        return None
    path = Path(config_path).resolve()
    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def write_set(
    out_dir: Path,
    write: Callable[[Path], list[Path]],
    *,
    config_path: Path | None = None,
    extra: dict[str, Any] | None = None,
) -> list[Path]:
    """Write a complete prepared set with ``write(folder)`` and switch it in atomically.

    ``write`` fills a new sibling folder and returns the files it wrote; the
    manifest is written after it, then the folder replaces ``out_dir``. Files
    in the old folder that ``prepare`` does not produce (``exports/``,
    ``.gitkeep``, notes) are carried over. Returns the files' final paths.
    """
    out_dir = Path(out_dir).absolute()
    if out_dir.is_symlink():  # e.g. tables on another disk: switch the folder it points to
        out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = out_dir.parent / f".{out_dir.name}.new-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    try:
        written = [Path(p) for p in write(stage)]
        for path in written:
            _fsync_file(path)
        ours = {p.relative_to(stage).parts[0] for p in written}
        _carry_over(out_dir, stage, ours | {MANIFEST_FILE})
        manifest = {
            "format": _FORMAT,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "workbench_version": workbench.__version__,
            "config": config_fingerprint(config_path),
            "files": {p.relative_to(stage).as_posix(): p.stat().st_size for p in written},
            **(extra or {}),
        }
        _write_durably(stage / MANIFEST_FILE, json.dumps(manifest, indent=2, default=str))
        _switch(stage, out_dir)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return [out_dir / p.relative_to(stage) for p in written]


def _carry_over(old: Path, new: Path, ours: set[str]) -> None:
    if not old.is_dir():
        return
    for entry in old.iterdir():
        if entry.name in ours or (new / entry.name).exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, new / entry.name, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, new / entry.name)


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _write_durably(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _switch(stage: Path, out_dir: Path) -> None:
    """Make ``stage`` the live ``out_dir`` in one step; the old set is deleted after."""
    if not out_dir.exists():
        os.rename(stage, out_dir)
    elif _exchange(stage, out_dir):
        shutil.rmtree(stage, ignore_errors=True)  # now holds the old set
    else:
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        os.rename(out_dir, old)  # interrupted here: recover() puts a complete set back
        os.rename(stage, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(out_dir.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, f"cannot switch {a} into {b}: {os.strerror(code)}")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def recover(out_dir: Path) -> list[str]:
    """Repair what an interrupted ``prepare`` left beside ``out_dir`` (call under the lock).

    When ``out_dir`` is missing but a complete set waits beside it (killed
    between the two renames of the fallback switch), that set is put back;
    leftover staging folders are deleted. Returns notes on what was done.
    """
    out_dir = Path(out_dir).absolute()
    notes = []
    if not out_dir.exists():
        for candidate in [*_siblings(out_dir, "new"), *_siblings(out_dir, "old")]:
            if not verify_manifest(candidate):
                os.rename(candidate, out_dir)
                notes.append(f"restored the complete set {candidate.name} as {out_dir}")
                break
    for leftover in [*_siblings(out_dir, "new"), *_siblings(out_dir, "old")]:
        shutil.rmtree(leftover, ignore_errors=True)
        notes.append(f"removed {leftover.name}, left by an interrupted `workbench prepare`")
    return notes


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest of a prepared folder, or None when it has none (or it is unreadable)."""
    path = Path(out_dir) / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def verify_manifest(out_dir: Path) -> list[str]:
    """Problems with a prepared folder against its manifest (empty when complete)."""
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir)
    if manifest is None:
        return [f"{out_dir / MANIFEST_FILE} is missing or unreadable"]
    problems = []
    for name, size in dict(manifest.get("files", {})).items():
        path = out_dir / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != size:
            problems.append(f"{name} has {path.stat().st_size} bytes, the manifest says {size}")
    return problems


def check_prepared(
    out_dir: Path,
    config_path: Path | None,
    *,
    table_files: tuple[str, ...],
    allow_other_config: bool = False,
) -> list[str]:
    """Check, before any report runs, that ``out_dir`` holds tables of this config.

    Returns warnings (the config changed since ``prepare``; tables from an
    older version without a manifest).

    Raises
    ------
    WorkbenchError
        One line: no prepared tables (naming the command to run), an
        incomplete set, or tables prepared from another config (naming both),
        unless ``allow_other_config``.
    """
    from workbench.partitioned import table_exists

    out_dir = Path(out_dir)
    rerun = (
        f"run `workbench prepare --config {config_path}` first"
        if config_path
        else ("run `workbench prepare` first")
    )
    manifest = read_manifest(out_dir)
    if manifest is None:
        if all(table_exists(out_dir / f"{n}.parquet") for n in table_files):
            return [
                f"{out_dir} has no {MANIFEST_FILE} (prepared by an older version): "
                "cannot tell which config produced its tables"
            ]
        raise WorkbenchError(f"no prepared tables in {out_dir}: {rerun}")
    problems = verify_manifest(out_dir)
    if problems:
        raise WorkbenchError(
            f"the prepared tables in {out_dir} are incomplete ({'; '.join(problems[:3])}): {rerun}"
        )
    return _config_match(out_dir, manifest, config_path, allow_other_config)


def _config_match(
    out_dir: Path, manifest: dict[str, Any], config_path: Path | None, allow: bool
) -> list[str]:
    used = manifest.get("config") or None
    now = config_fingerprint(config_path)
    if used is None or now is None:
        return []
    if used.get("sha256") == now["sha256"]:
        return []
    if used.get("path") == now["path"]:
        return [
            f"{now['path']} changed since `workbench prepare` ran "
            f"({manifest.get('created', '?')}); run prepare again if you changed "
            "[[sources]], [identity] or [[channel_rules]]"
        ]
    if allow:
        return [
            f"using tables in {out_dir} prepared from {used.get('path')}, "
            f"not from {now['path']} (--allow-other-config)"
        ]
    raise WorkbenchError(
        f"the tables in {out_dir} were prepared from {used.get('path')}, not from "
        f"{now['path']}: run `workbench prepare --config {now['path']}` (give it its own "
        "processed_dir), or pass --allow-other-config"
    )


def read_previous_identities(out_dir: Path) -> tuple[Any, str | None]:
    """The previous run's ``identities`` table (for stable person ids), or None.

    A corrupt or malformed file is not fatal: it is moved aside (beside the
    folder, ``<name>-identities.corrupt-<time>.parquet``) and a warning returned;
    person ids then start afresh.
    """
    from workbench.partitioned import read_table, table_exists

    path = Path(out_dir) / "identities.parquet"
    if not table_exists(path):
        return None, None
    try:
        frame = read_table(path)
        missing = {"id_type", "id_value", "person_id"} - set(frame.columns)
        if missing:
            raise ValueError(f"missing column(s) {', '.join(sorted(missing))}")
    except Exception as exc:  # noqa: BLE001 - any failure means "unusable"
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = path.parent.parent / f"{path.parent.name}-identities.corrupt-{stamp}.parquet"
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return None, (
            f"the previous {path} is unreadable ({reason}); it was moved to {aside} and "
            "person ids start afresh in this run"
        )
    return frame, None
