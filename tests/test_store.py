"""Run store: round trips, live runs, schema migration, threads and processes."""

from __future__ import annotations

import json
import math
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.columns import EPOCH, STEP, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS, WALL_TIME, GAP_PENALTY
from trueloss_dash.run import Run, RunContext, Series
from trueloss_dash.store import STORE_FILENAME, LiveRunWriter, RunInfo, StoreError, default_home, open_store
from trueloss_dash.store import schema


def _sample_run(name="sample", n=50) -> Run:
    rng = np.random.default_rng(0)
    steps = np.arange(n) * 10.0
    y = np.exp(-steps / 200) + rng.normal(0, 0.01, n)
    y[7] = np.nan
    y[9] = np.inf
    run = Run(
        name=name,
        source="metrics.csv",
        format="lightning_csv",
        context=RunContext(dropout=0.3, batch_size=32, optimizer="adam", extra={"seed": 3}),
        notes=["train_loss is the epoch mean"],
        warnings=["1 NaN in train_loss"],
        meta={"hparams": {"lr": 0.01, "layers": [64, 64]}},
    )
    run.add(Series(TRAIN_LOSS, y=y, step=steps, source_column="train/loss"))
    run.add(Series(VAL_LOSS, y=y[::5] + 0.1, step=steps[::5], epoch=np.arange(n // 5), source_column="val/loss"))
    run.add(Series("empty_metric", y=np.empty(0)))
    return run


def _assert_same_series(a: Series, b: Series) -> None:
    np.testing.assert_array_equal(a.y, b.y)  # NaN/inf compare equal position-wise
    for axis in (STEP, EPOCH, WALL_TIME):
        xa, xb = getattr(a, axis), getattr(b, axis)
        assert (xa is None) == (xb is None), axis
        if xa is not None:
            np.testing.assert_array_equal(xa, xb)
    assert a.source_column == b.source_column


def test_default_home_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUELOSS_DASH_HOME", str(tmp_path / "h"))
    store = open_store()
    assert default_home() == tmp_path / "h"
    assert store.path == tmp_path / "h" / STORE_FILENAME
    assert store.path.exists() and store.status_message is None and not store.read_only
    mode = store.conn().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert store.conn().execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION


def test_save_load_round_trip_keeps_everything(tmp_path):
    store = open_store(tmp_path)
    run = _sample_run()
    run_id = store.save(run)
    back = open_store(tmp_path).load(run_id)  # a second store object: read from disk, not memory
    assert back.name == run.name and back.source == run.source and back.format == run.format
    assert back.context == run.context
    assert back.notes == run.notes and back.warnings == run.warnings
    assert back.meta["hparams"] == run.meta["hparams"] and back.meta["store_id"] == run_id
    assert list(back.series) == list(run.series)
    for name in run.series:
        _assert_same_series(run.series[name], back.series[name])
    assert math.isnan(back.series[TRAIN_LOSS].y[7]) and back.series[TRAIN_LOSS].y[9] == np.inf


def test_list_rename_delete(tmp_path):
    store = open_store(tmp_path)
    first = store.save(_sample_run("first", n=10))
    second = store.save(_sample_run("second", n=30))
    infos = store.list()
    assert [i.id for i in infos] == [second, first]  # newest first
    info = store.info(first)
    assert isinstance(info, RunInfo)
    assert (info.name, info.format, info.status, info.n_points, info.source) == (
        "first", "lightning_csv", "saved", 10, "metrics.csv")
    store.rename(first, "  renamed  ")
    assert store.info(first).name == "renamed"
    with pytest.raises(StoreError, match="empty"):
        store.rename(first, "   ")
    store.delete(second)
    assert [i.id for i in store.list()] == [first]
    assert store.conn().execute("SELECT count(*) FROM chunks WHERE run_id=?", (second,)).fetchone()[0] == 0
    for action in (lambda: store.load(second), lambda: store.delete(second), lambda: store.rename(second, "x")):
        with pytest.raises(StoreError, match=second):
            action()


def test_resolve_prefix(tmp_path):
    store = open_store(tmp_path)
    run_id = store.save(_sample_run())
    assert store.resolve(run_id[:5]) == run_id
    with pytest.raises(StoreError, match="no run"):
        store.resolve("zzzz")


def test_large_series_is_split_into_chunks_and_loads_back(tmp_path, monkeypatch):
    from trueloss_dash.store import runstore

    monkeypatch.setattr(runstore, "CHUNK_POINTS", 1000)
    store = open_store(tmp_path)
    y = np.random.default_rng(1).random(4500)
    run = Run("big", series={TRAIN_LOSS: Series(TRAIN_LOSS, y=y, step=np.arange(4500))})
    run_id = store.save(run)
    assert store.conn().execute("SELECT count(*) FROM chunks WHERE run_id=?", (run_id,)).fetchone()[0] == 5
    back = store.load(run_id)
    np.testing.assert_array_equal(back.series[TRAIN_LOSS].y, y)
    assert store.info(run_id).n_points == 4500


def test_live_run_epoch_by_epoch_then_compacted(tmp_path):
    store = open_store(tmp_path)
    ctx = RunContext(dropout=0.5, lr=0.1)
    writer = store.begin_live("live demo", ctx, {"preset": "dropout", "epochs": 4})
    assert isinstance(writer, LiveRunWriter)
    assert store.info(writer.run_id).status == "running"
    for epoch in range(4):
        record = {EPOCH: epoch, STEP: 100 * (epoch + 1), WALL_TIME: 1.5 * epoch, TRAIN_LOSS: 1 / (epoch + 1),
                  TRUE_TRAIN_LOSS: 0.8 / (epoch + 1), GAP_PENALTY: 0.0, "phase": "train"}
        if epoch % 2 == 1:
            record[VAL_LOSS] = 0.9 / (epoch + 1)
        writer.append(record)
        # Every epoch is readable right away, from another connection.
        seen = open_store(tmp_path).load(writer.run_id)
        assert len(seen.series[TRAIN_LOSS]) == epoch + 1
    writer.append_steps([{STEP: 401 + k, TRAIN_LOSS + "_step": 0.2 - k * 0.01} for k in range(3)])
    info = store.info(writer.run_id)
    assert info.n_points == 4 and info.status == "running"
    chunks_before = store.conn().execute("SELECT count(*) FROM chunks").fetchone()[0]
    writer.finish("finished")
    chunks_after = store.conn().execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert chunks_before > chunks_after == 5  # one chunk per series after compaction
    run = store.load(writer.run_id)
    assert store.info(writer.run_id).status == "finished"
    assert run.format == "live" and run.context == ctx and run.meta["preset"] == "dropout"
    np.testing.assert_array_equal(run.series[TRAIN_LOSS].epoch, [0, 1, 2, 3])
    np.testing.assert_allclose(run.series[TRAIN_LOSS].y, [1, 1 / 2, 1 / 3, 1 / 4])
    np.testing.assert_array_equal(run.series[VAL_LOSS].epoch, [1, 3])
    np.testing.assert_array_equal(run.series[VAL_LOSS].step, [200, 400])
    assert "phase" not in run.series  # labels are not series
    steps = run.series[TRAIN_LOSS + "_step"]
    assert steps.epoch is None and list(steps.step) == [401, 402, 403]
    with pytest.raises(StoreError, match="already ended"):
        writer.append({EPOCH: 5, TRAIN_LOSS: 0.1})
    with pytest.raises(StoreError, match="final status"):
        store.begin_live("x").finish("done")


def test_live_finish_statuses_and_message(tmp_path):
    store = open_store(tmp_path)
    writer = store.begin_live("boom")
    writer.append({EPOCH: 0, TRAIN_LOSS: 1.0})
    writer.append({EPOCH: 1, TRAIN_LOSS: float("nan")})
    writer.finish("diverged", message="loss became NaN at epoch 1")
    run = store.load(writer.run_id)
    assert store.info(writer.run_id).status == "diverged"
    assert run.warnings == ["loss became NaN at epoch 1"]
    assert math.isnan(run.series[TRAIN_LOSS].y[1])


def test_mark_interrupted_only_touches_dead_owners(tmp_path):
    store = open_store(tmp_path)
    mine = store.begin_live("mine")
    mine.append({EPOCH: 0, TRAIN_LOSS: 1.0})
    ghost = store.begin_live("ghost")
    ghost.append({EPOCH: 0, TRAIN_LOSS: 1.0})
    # A process that has exited: take a real pid that no longer exists.
    proc = multiprocessing.get_context("spawn").Process(target=int)
    proc.start()
    proc.join()
    import socket

    with store._transaction() as conn:
        conn.execute("UPDATE runs SET owner=? WHERE id=?", (f"{socket.gethostname()}:{proc.pid}:1", ghost.run_id))
    assert store.mark_interrupted() == [ghost.run_id]
    assert store.info(ghost.run_id).status == "interrupted"
    assert store.info(mine.run_id).status == "running"  # this process is alive
    # open_store runs the same sweep
    assert open_store(tmp_path).info(mine.run_id).status == "running"


def _build_v1(path: Path) -> None:
    conn = sqlite3.connect(str(path))
    conn.executescript(schema.V1_DDL)
    conn.execute(
        "INSERT INTO runs VALUES ('old1', 'keras run', 'keras_csv', 'log.csv', 'saved', 1.0, 2.0, "
        "'{\"dropout\": 0.2}', '[\"a note\"]', '[]', '{}')")
    conn.execute(
        "INSERT INTO runs VALUES ('old2', 'half live', 'live', NULL, 'running', 3.0, 4.0, '{}', '[]', '[]', "
        "'{\"preset\": \"spike\"}')")
    for i in range(5):
        conn.execute("INSERT INTO points VALUES ('old1', 'train_loss', ?, NULL, ?, NULL, ?)", (i, i, 1.0 / (i + 1)))
    for i in range(2):
        conn.execute("INSERT INTO points VALUES ('old1', 'val_loss', ?, NULL, ?, NULL, ?)", (i, 2 * i, 0.5 + i))
    conn.execute("INSERT INTO points VALUES ('old2', 'train_loss', 0, 10, 0, 0.5, 3.0)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_v1_database_migrates_on_open(tmp_path):
    _build_v1(tmp_path / STORE_FILENAME)
    store = open_store(tmp_path)
    assert store.status_message is None
    assert store.conn().execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    tables = {r[0] for r in store.conn().execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"runs", "series", "chunks"}
    infos = {i.id: i for i in store.list()}
    assert infos["old1"].n_points == 5 and infos["old1"].name == "keras run"
    assert infos["old2"].status == "interrupted"  # a v1 'running' run cannot still be running
    old1 = store.load("old1")
    np.testing.assert_allclose(old1.series[TRAIN_LOSS].y, [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    np.testing.assert_array_equal(old1.series[VAL_LOSS].epoch, [0, 2])
    assert old1.series[VAL_LOSS].step is None
    assert old1.context.dropout == 0.2 and old1.notes == ["a note"]
    old2 = store.load("old2")
    assert old2.series[TRAIN_LOSS].wall_time.tolist() == [0.5] and old2.meta["preset"] == "spike"
    assert store.integrity_check() == "ok"
    # and the migrated store works like any other
    new_id = store.save(_sample_run())
    assert len(store.list()) == 3 and store.load(new_id).name == "sample"


def test_v0_empty_file_is_initialised(tmp_path):
    (tmp_path / STORE_FILENAME).touch()  # a 0-byte file is a valid, empty v0 database
    store = open_store(tmp_path)
    assert store.status_message is None and store.list() == []
    assert store.conn().execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION


def test_newer_schema_opens_read_only_and_is_not_touched(tmp_path):
    path = tmp_path / STORE_FILENAME
    conn = sqlite3.connect(str(path))
    conn.executescript(schema.V2_DDL)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    store = open_store(tmp_path)
    assert store.read_only and "newer" in store.status_message and "read-only" in store.status_message
    assert store.list() == []
    with pytest.raises(StoreError, match="newer"):
        store.save(_sample_run())
    store.close()
    assert path.read_bytes() == before


def test_threads_write_concurrently(tmp_path):
    store = open_store(tmp_path)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            writer = store.begin_live(f"thread {k}")
            for epoch in range(15):
                writer.append({EPOCH: epoch, TRAIN_LOSS: k + epoch / 100})
                store.list()
            writer.finish("finished")
            store.save(_sample_run(f"saved {k}", n=20))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    infos = store.list()
    assert len(infos) == 8
    for info in infos:
        if info.name.startswith("thread"):
            k = int(info.name.split()[1])
            run = store.load(info.id)
            np.testing.assert_allclose(run.series[TRAIN_LOSS].y, k + np.arange(15) / 100)
    assert store.integrity_check() == "ok"


def _process_writer(home: str, k: int) -> None:
    store = open_store(home)
    writer = store.begin_live(f"proc {k}")
    for epoch in range(20):
        writer.append({EPOCH: epoch, TRAIN_LOSS: float(k * 100 + epoch)})
    writer.finish("finished")


def test_processes_write_concurrently(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(str(tmp_path), k)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    store = open_store(tmp_path)
    by_name = {i.name: i for i in store.list()}
    assert sorted(by_name) == ["proc 0", "proc 1", "proc 2"]
    for k in range(3):
        info = by_name[f"proc {k}"]
        assert info.status == "finished" and info.n_points == 20
        np.testing.assert_array_equal(store.load(info.id).series[TRAIN_LOSS].y, k * 100 + np.arange(20))
    assert store.integrity_check() == "ok"


def test_json_safe_meta(tmp_path):
    store = open_store(tmp_path)
    run = _sample_run()
    run.meta = {"np": np.float32(1.5), "arr": np.arange(3), "path": Path("/x"), "nan": float("nan")}
    back = store.load(store.save(run))
    assert back.meta["np"] == 1.5 and back.meta["arr"] == [0, 1, 2] and back.meta["path"] == "/x"
    assert math.isnan(back.meta["nan"])
    json.dumps(back.to_dict())  # still serialisable for export
