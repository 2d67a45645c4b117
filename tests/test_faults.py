"""Faults: a writer killed with SIGKILL, a damaged store file, a locked store file.

In every case the store opens, says what happened in one sentence, and loses nothing the user had:
finished epochs survive a kill, a damaged file is moved aside (never overwritten).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.columns import TRAIN_LOSS
from trueloss_dash.run import Run, Series
from trueloss_dash.store import STORE_FILENAME, StoreError, open_store

HERE = Path(__file__).resolve().parent


def _kill_after(home: Path, mode: str, min_epochs: int, total: int, timeout: float = 90) -> int:
    """Start the writer subprocess, SIGKILL it once it reports ``min_epochs``; epochs reported."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_live_writer_proc.py"), str(home), mode, str(total)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    reported = 0
    deadline = time.monotonic() + timeout
    try:
        while reported < min_epochs:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"writer exited early (rc={proc.wait()}): {proc.stderr.read()[-2000:]}")
            reported = int(line)
            assert time.monotonic() < deadline, "writer too slow"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # Epochs it committed and reported between our read and the kill count too.
        for line in proc.stdout.read().split():
            reported = max(reported, int(line))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return reported


def _assert_recovered(home: Path, reported: int, total: int) -> None:
    store = open_store(home)
    assert store.status_message is None
    (info,) = store.list()
    assert info.status == "interrupted"
    run = store.load(info.id)
    n = len(run.series[TRAIN_LOSS])
    # Every epoch the writer reported as written is there; at most one more was committed and not
    # yet reported when the kill landed. Nothing is half-written: all series agree on the epochs they hold.
    assert reported <= n <= min(reported + 1, total)
    np.testing.assert_array_equal(run.series[TRAIN_LOSS].epoch[: n], np.arange(n) + run.series[TRAIN_LOSS].epoch[0])
    assert np.isfinite(run.series[TRAIN_LOSS].y).all()
    assert info.n_points == n
    assert store.integrity_check() == "ok"
    # The recovered store keeps working.
    store.rename(info.id, "recovered")
    assert store.load(info.id).name == "recovered"


def test_sigkill_synthetic_writer_keeps_finished_epochs(tmp_path):
    reported = _kill_after(tmp_path, "synthetic", min_epochs=3, total=200)
    _assert_recovered(tmp_path, reported, 200)
    run = open_store(tmp_path).load(open_store(tmp_path).list()[0].id)
    assert len(run.series["val_loss"]) == len(run.series[TRAIN_LOSS])


def test_sigkill_live_trainer_keeps_finished_epochs(tmp_path):
    trainer = pytest.importorskip("trueloss_dash.trainer")
    if not (hasattr(trainer, "start") and hasattr(trainer, "preset_config")):
        pytest.skip("trueloss_dash.trainer has no start()/preset_config() yet")
    reported = _kill_after(tmp_path, "trainer", min_epochs=2, total=40, timeout=120)
    _assert_recovered(tmp_path, reported, 40)
    store = open_store(tmp_path)
    run = store.load(store.list()[0].id)
    n = len(run.series[TRAIN_LOSS])
    for name in ("true_train_loss", "val_loss"):  # the three curves, epoch for epoch
        assert len(run.series[name]) == n, name
    assert run.context.batch_size is not None and run.meta["config"]["epochs"] == 40


def _write_run(home: Path) -> str:
    store = open_store(home)
    run_id = store.save(Run("precious", series={TRAIN_LOSS: Series(TRAIN_LOSS, y=[3.0, 2.0, 1.0], epoch=[0, 1, 2])}))
    store.close()
    return run_id


@pytest.mark.parametrize("damage", ["garbage", "truncated_header", "zeroed_pages"])
def test_damaged_store_is_kept_aside_and_a_fresh_one_started(tmp_path, damage):
    _write_run(tmp_path)
    path = tmp_path / STORE_FILENAME
    # checkpoint so the whole database lives in the main file, then damage it
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    if damage == "garbage":
        data = bytearray(np.random.default_rng(0).integers(0, 256, len(data), dtype=np.uint8).tobytes())
    elif damage == "truncated_header":
        data = data[:50]
    else:  # header intact, every page after the first overwritten: sqlite reads it as malformed
        page = int.from_bytes(data[16:18], "big") or 65536
        data[page:] = b"\xff" * (len(data) - page)
    path.write_bytes(bytes(data))
    damaged_bytes = bytes(data)

    store = open_store(tmp_path)
    msg = store.status_message
    assert msg and "damaged" in msg and "started a fresh store" in msg, msg
    assert not store.read_only and not store.temporary
    kept = [p for p in tmp_path.iterdir() if p.name.startswith(STORE_FILENAME + ".damaged-") and not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].name in msg
    assert kept[0].read_bytes() == damaged_bytes  # kept byte for byte, never overwritten
    assert store.list() == []
    new_id = store.save(Run("after", series={TRAIN_LOSS: Series(TRAIN_LOSS, y=[1.0])}))
    assert store.load(new_id).name == "after"
    store.close()
    # A second damage later never overwrites the first kept file.
    path.write_bytes(b"not a database at all" * 100)
    second = open_store(tmp_path)
    kept2 = sorted(p for p in tmp_path.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm")))
    assert len(kept2) == 2 and kept[0].read_bytes() == damaged_bytes
    assert "started a fresh store" in second.status_message


def test_write_locked_store_opens_read_only(tmp_path):
    run_id = _write_run(tmp_path)
    holder = sqlite3.connect(str(tmp_path / STORE_FILENAME), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # in WAL mode: writers wait, readers still read
    try:
        started = time.monotonic()
        store = open_store(tmp_path)
        assert time.monotonic() - started < 30  # falls back instead of hanging on the lock
        assert store.read_only and not store.temporary
        assert "locked" in store.status_message and "read-only" in store.status_message
        assert store.load(run_id).name == "precious"  # the user's runs are still viewable
        with pytest.raises(StoreError, match="read-only"):
            store.save(Run("x", series={}))
        with pytest.raises(StoreError, match="read-only"):
            store.begin_live("x")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert open_store(tmp_path).status_message is None  # lock released: back to normal


def test_fully_locked_store_uses_a_temporary_store_and_leaves_the_file(tmp_path):
    _write_run(tmp_path)
    path = tmp_path / STORE_FILENAME
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")  # rollback journal + exclusive locking: no readers
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE runs SET name=name")
    try:
        before = path.read_bytes()
        store = open_store(tmp_path)
        assert store.temporary and store.path != path
        msg = store.status_message
        assert "cannot be opened" in msg and "left untouched" in msg and "temporary store" in msg, msg
        assert path.read_bytes() == before
        run_id = store.save(Run("session only", series={TRAIN_LOSS: Series(TRAIN_LOSS, y=[1.0])}))
        assert store.load(run_id).name == "session only"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    normal = open_store(tmp_path)
    assert normal.status_message is None and [i.name for i in normal.list()] == ["precious"]


def test_unwritable_data_dir_falls_back_to_temporary(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    store = open_store(blocker / "home")
    assert store.temporary and "cannot create the data directory" in store.status_message
    run_id = store.save(Run("r", series={}))
    assert store.load(run_id).name == "r"
