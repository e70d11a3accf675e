"""`workbench prepare` is atomic and locked: kills, concurrent runs, a corrupt identities file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from workbench.cli.demo import with_project_paths
from workbench.cli.main import main
from workbench.errors import WorkbenchError
from workbench.paths import PROJECT_ROOT, default_config_path
from workbench.prepare import load_prepared
from workbench.store import (
    MANIFEST_FILE,
    PrepareLocked,
    lock_path,
    prepare_lock,
    read_manifest,
    verify_manifest,
)

pytestmark = pytest.mark.slow


def _config(folder: Path, data: Path, processed: Path) -> Path:
    text = with_project_paths(
        default_config_path().read_text(encoding="utf-8"),
        data_dir=data,
        processed_dir=processed,
        truth_dir=data / "_truth",
        reports_dir=folder / "reports",
    )
    path = folder / f"{data.name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_projects(tmp_path_factory):
    """Two small samples (old data, new data) with configs sharing one processed folder."""
    from workbench.sample import generate_sample

    folder = tmp_path_factory.mktemp("store")
    processed = folder / "processed"
    configs = []
    for name, seed in (("old", 1), ("new", 2)):
        generate_sample(folder / name, people=120, seed=seed)
        configs.append(_config(folder, folder / name, processed))
    return folder, processed, configs[0], configs[1]


@pytest.fixture(scope="module")
def old_set(two_projects, tmp_path_factory):
    """The old project prepared once; tests copy it."""
    _, _, old, _ = two_projects
    out = tmp_path_factory.mktemp("old-set") / "p"
    assert _prepare(old, out) == 0
    return out


@pytest.fixture
def prepared_copy(old_set, tmp_path):
    out = tmp_path / "p"
    shutil.copytree(old_set, out)
    return out


def _fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a prepared set except the manifest (which holds a time)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    }


def _prepare(config: Path, out: Path | None = None) -> int:
    extra = ["--out", str(out)] if out is not None else []
    return main(["prepare", "--config", str(config), "--quiet", *extra])


def _subprocess_prepare(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench.cli.main", "prepare", "--config", str(config), "--quiet"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_the_set_carries_a_manifest_naming_the_config(two_projects, old_set):
    _, _, old, _ = two_projects
    out = old_set
    manifest = read_manifest(out)
    assert manifest["config"]["path"] == str(old.resolve())
    assert manifest["config"]["sha256"] == hashlib.sha256(old.read_bytes()).hexdigest()
    assert "touchpoints.parquet" in manifest["files"]
    assert set(manifest["files"]) == set(_fingerprint(out))
    assert verify_manifest(out) == []
    assert not lock_path(out).exists(), "the lock file is removed after the run"


def test_files_prepare_does_not_write_survive_the_switch(two_projects, tmp_path):
    _, _, old, _ = two_projects
    out = tmp_path / "p"
    out.mkdir()
    (out / ".gitkeep").write_text("")
    (out / "exports").mkdir()
    (out / "exports" / "google_ads.csv").write_text("gclid\n")
    assert _prepare(old, out) == 0
    assert (out / ".gitkeep").is_file()
    assert (out / "exports" / "google_ads.csv").read_text() == "gclid\n"


def test_a_truncated_table_is_refused_by_load_prepared(prepared_copy):
    out = prepared_copy
    path = out / "conversions.parquet"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(WorkbenchError, match="incomplete.*conversions.parquet"):
        load_prepared(out)


def test_killed_at_random_points_leaves_the_old_or_the_new_set(two_projects, tmp_path):
    folder, processed, old, new = two_projects
    # the complete old set, and the complete new set prepared over it (both deterministic)
    if processed.exists():
        shutil.rmtree(processed)
    assert _prepare(old) == 0
    pristine = tmp_path / "pristine"
    shutil.copytree(processed, pristine)
    old_set = _fingerprint(processed)
    started = time.perf_counter()
    proc = _subprocess_prepare(new)
    assert proc.wait(timeout=120) == 0
    full_run = time.perf_counter() - started  # only to spread the kill points
    new_set = _fingerprint(processed)
    assert new_set != old_set

    rng = np.random.default_rng(20261203)
    seen = []
    for trial in range(5):
        shutil.rmtree(processed)
        shutil.copytree(pristine, processed)
        proc = _subprocess_prepare(new)
        if trial % 2:  # a random point of the whole run
            time.sleep(float(rng.uniform(0.3, 1.05)) * full_run)
        else:  # a random point after the new set started to be written
            while proc.poll() is None and not list(folder.glob(".processed.new-*")):
                time.sleep(0.002)
            time.sleep(float(rng.uniform(0.0, 0.8)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        now = _fingerprint(processed)
        assert now in (old_set, new_set), f"trial {trial}: a mixed set after the kill"
        assert verify_manifest(processed) == [], f"trial {trial}"
        seen.append("new" if now == new_set else "old")
        # the next run takes over the dead run's lock and cleans its leftovers
        assert _prepare(new) == 0, f"trial {trial}: the next prepare failed"
        assert verify_manifest(processed) == []
        assert not list(folder.glob(".processed.new-*")), "leftover staging folder"
    print("sets found after the kills:", seen)


def _hold_lock(out: Path) -> subprocess.Popen:
    code = (
        "import sys, time\n"
        "from workbench.store import prepare_lock\n"
        "cm = prepare_lock(sys.argv[1]); cm.__enter__()\n"
        "print('locked', flush=True); time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_concurrent_run_gets_the_lock_error_and_a_dead_holder_is_taken_over(
    two_projects, tmp_path, capsys
):
    _, _, old, _ = two_projects
    out = tmp_path / "p"
    holder = _hold_lock(out)
    try:
        assert _prepare(old, out) == 2
        err = capsys.readouterr().err
        assert f"another `workbench prepare` (pid {holder.pid}" in err
        assert str(lock_path(out)) in err
        assert not out.exists(), "nothing was written"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    # the lock file of the dead process is still there; the next run takes it over
    assert json.loads(lock_path(out).read_text())["pid"] == holder.pid
    assert _prepare(old, out) == 0
    assert verify_manifest(out) == []


def test_the_lock_refuses_a_second_holder_in_the_same_process(tmp_path):
    out = tmp_path / "p"
    with prepare_lock(out):
        with pytest.raises(PrepareLocked, match="wait for it to finish"):
            with prepare_lock(out):
                pass
    with prepare_lock(out):  # released: free again
        pass


def test_a_corrupt_previous_identities_file_is_set_aside_with_a_warning(
    two_projects, prepared_copy, tmp_path, capsys
):
    _, _, old, _ = two_projects
    out = prepared_copy
    (out / "identities.parquet").write_bytes(b"PAR1 this is not parquet")
    capsys.readouterr()
    assert _prepare(old, out) == 0, "a corrupt previous identities file is not fatal"
    err = capsys.readouterr().err
    assert "warning:" in err and "identities.parquet is unreadable" in err
    aside = list(tmp_path.glob("p-identities.corrupt-*.parquet"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"PAR1 this is not parquet"
    assert len(load_prepared(out).identities) > 0


def test_a_symlinked_processed_folder_stays_a_symlink(two_projects, old_set, tmp_path):
    _, _, old, _ = two_projects
    target = tmp_path / "other_disk" / "tables"
    shutil.copytree(old_set, target)
    link = tmp_path / "p"
    link.symlink_to(target, target_is_directory=True)
    assert _prepare(old, link) == 0
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert verify_manifest(link) == []
    assert not list(target.parent.glob(".tables.new-*"))
