"""Store errors in words (issue 14, D9-D10), on real failing filesystems.

The disk-full and read-only cases mount a real 2 MB tmpfs (root only; skipped elsewhere), fill it
or remount it read-only, and drive the store through the CLI exactly as a user would.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.cli import main
from trueloss_dash.columns import EPOCH, TRAIN_LOSS, VAL_LOSS
from trueloss_dash.run import Run, Series
from trueloss_dash.store import StoreError, open_store


def _run(name: str = "keras baseline", n: int = 3) -> Run:
    run = Run(name, format="keras_csv", source="history.csv")
    run.add(Series(TRAIN_LOSS, y=np.linspace(1, 0.1, n), epoch=np.arange(n)))
    run.add(Series(VAL_LOSS, y=np.linspace(1.1, 0.2, n), epoch=np.arange(n)))
    return run


@pytest.fixture
def tmpfs(tmp_path):
    """A real 2 MB tmpfs mounted under tmp_path (needs root and mount permission)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()[:200]}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(folder: Path) -> None:
    """Fill the filesystem to the last byte (unbuffered: nothing is left to flush at close)."""
    for name, chunk in (("filler", 4096), ("filler2", 1)):
        try:
            with open(folder / name, "wb", buffering=0) as fh:
                while True:
                    fh.write(b"\0" * chunk)
        except OSError:
            pass


def test_full_disk_rm_works_and_other_writes_give_sentences(tmpfs, monkeypatch, capsys):
    home = tmpfs / "home"
    monkeypatch.setenv("TRUELOSS_DASH_HOME", str(home))
    store = open_store()
    keep = store.save(_run("keep me"))
    doomed = store.save(_run("big one", n=20_000))
    store.close()
    _fill(tmpfs)

    # the CLI says the disk is full; a rename rewrites a page in place, so it still works
    assert main(["runs", "rename", keep, "keep me"]) == 0
    err = capsys.readouterr().err
    assert "disk holding" in err and "is full" in err and "Traceback" not in err
    # saving through the API: a StoreError sentence, not sqlite3.OperationalError
    store = open_store()
    with pytest.raises(StoreError, match="full"):
        store.save(_run("no room", n=50_000))
    store.close()
    # rm works, so the user can free space
    assert main(["runs", "rm", doomed, "--yes"]) == 0
    capsys.readouterr()
    store = open_store()
    assert [r.name for r in store.list()] == ["keep me"]
    assert store.integrity_check() == "ok"
    store.close()


def test_read_only_filesystem_gives_a_read_only_view_of_existing_runs(tmpfs, monkeypatch, capsys):
    home = tmpfs / "home"
    monkeypatch.setenv("TRUELOSS_DASH_HOME", str(home))
    store = open_store()
    kept = store.save(_run("saved before"))
    store.close()
    proc = subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot remount read-only: {proc.stderr.decode()[:200]}")
    store = open_store()
    assert store.read_only and not store.temporary, store.status_message
    assert "read-only" in store.status_message
    assert [r.id for r in store.list()] == [kept]
    assert len(store.load(kept).series[TRAIN_LOSS]) == 3
    with pytest.raises(StoreError, match="cannot save the run"):
        store.save(_run())
    store.close()
    assert main(["runs", "list"]) == 0 and "saved before" in capsys.readouterr().out
    assert main(["runs", "rm", kept, "--yes"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_immutable_store_file_rename_and_rm_are_sentences(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("TRUELOSS_DASH_HOME", str(home))
    store = open_store()
    run_id = store.save(_run())
    store.close()
    db = home / "runs.sqlite"
    for companion in home.glob("runs.sqlite-*"):
        companion.unlink()
    proc = subprocess.run(["chattr", "+i", str(db)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"chattr +i is not available here: {proc.stderr.decode()[:200]}")
    try:
        assert main(["runs", "rename", run_id, "x"]) == 2
        assert main(["runs", "rm", run_id, "--yes"]) == 2
        err = capsys.readouterr().err
        assert "cannot" in err and "Traceback" not in err and "OperationalError" not in err
    finally:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True)


def test_every_sqlite_error_becomes_a_store_error(tmp_path):
    """A write that fails inside SQLite (here: a dropped table) reaches the caller as a sentence."""
    store = open_store(tmp_path / "home")
    run_id = store.save(_run())
    conn = sqlite3.connect(str(tmp_path / "home" / "runs.sqlite"))
    conn.execute("DROP TABLE chunks")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="cannot load the run"):
        store.load(run_id)
    with pytest.raises(StoreError, match="cannot save the run"):
        store.save(_run())
    writer = None
    with pytest.raises(StoreError):
        writer = store.begin_live("live")
        writer.append({EPOCH: 0, TRAIN_LOSS: 1.0})
    store.close()


def test_lock_at_open_is_retried_before_a_write(tmp_path):
    home = tmp_path / "home"
    open_store(home).close()
    holder = sqlite3.connect(str(home / "runs.sqlite"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock while we open
    import trueloss_dash.store as store_mod

    old = store_mod.LOCK_PROBE_TIMEOUT_S
    store_mod.LOCK_PROBE_TIMEOUT_S = 0.2
    try:
        store = open_store(home)
    finally:
        store_mod.LOCK_PROBE_TIMEOUT_S = old
    assert store.read_only and "locked" in store.status_message
    holder.execute("ROLLBACK")
    holder.close()
    run_id = store.save(_run())  # no restart needed: the lock is gone, the store is writable again
    assert not store.read_only and store.status_message is None
    assert store.load(run_id).name == "keras baseline"
    store.close()


def test_temporary_store_folder_is_removed_at_exit(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data folder should be")
    script = textwrap.dedent(f"""
        from trueloss_dash.store import open_store
        s = open_store({str(blocker / "home")!r})
        assert s.temporary, s.status_message
        s.save(__import__("tests.test_store_failures", fromlist=["_run"])._run())
        print(s.path.parent)
    """)
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(repo)})
    assert out.returncode == 0, out.stderr
    folder = Path(out.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("trueloss-dash-store-") and not folder.exists()
