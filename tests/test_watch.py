"""The folder watcher on real files: discovery, incremental reading (partial last line, truncation,
rotation, deletion, symlink escape), parity with a full read, live alerts, and the `watch` CLI.

Every check compares what the watcher followed with what the ingest layer reads from the final
file in one go: no duplicate and no lost points.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.ingest import load_path
from trueloss_dash.watch import Watcher
from trueloss_dash.watch import followers as followers_mod

HEADER = "epoch,step,train_loss,val_loss\n"


def lightning_rows(start: int, stop: int, *, diverge_at: int | None = None) -> str:
    """Lightning CSVLogger shape: a step row per step, an epoch-end validation row every 10 steps."""
    out = []
    for step in range(start, stop):
        epoch = step // 10
        loss = 2.0 * math.exp(-step / 40) + 0.05
        if diverge_at is not None and step >= diverge_at:
            loss = loss * 10 ** ((step - diverge_at + 1) / 2)
        out.append(f"{epoch},{step},{loss:.6f},\n")
        if step % 10 == 9:
            out.append(f"{epoch},{step},,{loss * 1.1:.6f}\n")
    return "".join(out)


def write(path: Path, text: str, mode: str = "a") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode, encoding="utf-8") as fh:
        fh.write(text)


def watcher(root: Path, **kw) -> Watcher:
    w = Watcher(root, use_watchdog=False, rescan_seconds=0.0, **kw)
    w.diagnose_budget = w.discovery_budget = float("inf")  # one step() reads and diagnoses everything
    return w


def row(w: Watcher, key: str):
    w.step()
    r = w.snapshot().run(key)
    assert r is not None, [x.key for x in w.snapshot().runs]
    return r


def same_points(watched, full) -> None:
    """Every series of the watched run equals the one read from the final file in one go."""
    assert watched is not None and full is not None
    assert set(watched.series) == set(full.series)
    for name, s in full.series.items():
        got = watched.series[name]
        np.testing.assert_allclose(got.y, s.y, err_msg=name)
        for axis in s.axes:
            np.testing.assert_allclose(got.x(axis), s.x(axis), err_msg=f"{name}/{axis}")


@pytest.fixture
def quick_partial(monkeypatch):
    monkeypatch.setattr(followers_mod, "PARTIAL_LINE_GRACE", 0.3)


def test_discovers_the_layouts_training_tools_write(tmp_path):
    write(tmp_path / "lightning_logs/version_0/metrics.csv", HEADER + lightning_rows(0, 30))
    write(tmp_path / "lightning_logs/version_0/hparams.yaml", "lr: 0.1\n")
    write(tmp_path / "runs/detect/train/results.csv",
          "epoch,train/box_loss,train/cls_loss,val/box_loss,val/cls_loss\n"
          + "".join(f"{e},{1 / (e + 1):.4f},{0.5 / (e + 1):.4f},{1.1 / (e + 1):.4f},{0.6 / (e + 1):.4f}\n" for e in range(8)))
    write(tmp_path / "keras/training.log", "epoch,loss,val_loss\n" + "".join(f"{e},{1 / (e + 1)},{1.2 / (e + 1)}\n" for e in range(6)))
    write(tmp_path / "console.log", "".join(f"Epoch {e}/10, loss: {1 / (e + 1):.4f}, val_loss: {1.2 / (e + 1):.4f}\n" for e in range(6)))
    state = {"log_history": [{"loss": 1 / (s + 1), "step": s * 10, "epoch": s / 5} for s in range(1, 8)]
             + [{"eval_loss": 0.5, "step": 70, "epoch": 1.4}], "global_step": 70}
    write(tmp_path / "hf_out/checkpoint-70/trainer_state.json", json.dumps(state))
    write(tmp_path / "notes/README.txt", "just some notes, nothing to plot\n")
    w = watcher(tmp_path)
    w.step()
    snap = w.snapshot()
    by_key = {r.key: r for r in snap.runs}
    assert by_key["lightning_logs/version_0/metrics.csv"].format == "lightning_csv"
    assert by_key["lightning_logs/version_0/metrics.csv"].label == "lightning_logs/version_0"
    assert by_key["runs/detect/train/results.csv"].format == "ultralytics_csv"
    assert by_key["keras/training.log"].format == "keras_csv"
    assert by_key["console.log"].format == "text_log"
    assert by_key["hf_out"].format == "hf_trainer_state" and by_key["hf_out"].points == 7
    assert "notes/README.txt" not in by_key and any("README" in s for s in snap.skipped)
    assert all(r.status == "live" for r in snap.runs)
    for key in ("lightning_logs/version_0/metrics.csv", "runs/detect/train/results.csv", "keras/training.log", "console.log"):
        same_points(by_key[key].run, load_path(tmp_path / key)[0])


def test_csv_grows_by_appends_and_waits_for_a_partial_last_line(tmp_path, quick_partial):
    log = tmp_path / "lightning_logs/version_0/metrics.csv"
    write(log, HEADER)
    w = watcher(tmp_path)
    assert row(w, "lightning_logs/version_0/metrics.csv").status == "waiting"
    write(log, lightning_rows(0, 10))
    assert row(w, "lightning_logs/version_0/metrics.csv").points == 10
    write(log, lightning_rows(10, 20) + "2,20,0.9")  # a row cut in the middle of the write
    r = row(w, "lightning_logs/version_0/metrics.csv")
    assert len(r.run.series["train_loss"]) == 20  # the cut row waits
    write(log, "12345,\n")  # the rest of that row: train_loss 0.912345
    r = row(w, "lightning_logs/version_0/metrics.csv")
    assert len(r.run.series["train_loss"]) == 21 and r.run.series["train_loss"].y[-1] == pytest.approx(0.912345)
    write(log, lightning_rows(21, 40))
    same_points(row(w, "lightning_logs/version_0/metrics.csv").run, load_path(log)[0])


def test_a_last_line_without_newline_counts_once_the_file_is_quiet(tmp_path, quick_partial):
    log = tmp_path / "train.csv"
    write(log, "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.7,0.8")
    w = watcher(tmp_path)
    assert len(row(w, "train.csv").run.series["train_loss"]) == 2
    time.sleep(0.4)
    r = row(w, "train.csv")
    assert list(r.run.series["val_loss"].y) == [1.1, 0.9, 0.8]  # provisional last row
    write(log, "5\n3,0.6,0.7\n")  # the line was not finished after all: replaced, not duplicated
    r = row(w, "train.csv")
    same_points(r.run, load_path(log)[0])
    assert list(r.run.series["val_loss"].y) == [1.1, 0.9, 0.85, 0.7]


def test_text_log_parser_state_survives_between_reads(tmp_path, quick_partial):
    log = tmp_path / "keras_console.txt"
    lines = []
    for e in range(1, 6):
        lines += [f"Epoch {e}/5\n", f"100/100 [==============================] - 1s 5ms/step - loss: {1 / e:.4f} - val_loss: {1.1 / e:.4f}\n"]
    write(log, "".join(lines[:3]))  # ends right after an "Epoch 2/5" header
    w = watcher(tmp_path)
    assert row(w, "keras_console.txt").points == 1
    write(log, lines[3])  # the metric line of epoch 2 arrives in the next read
    write(log, lines[4] + lines[5][:30])  # and half of epoch 3's line
    r = row(w, "keras_console.txt")
    assert list(r.run.series["train_loss"].x("epoch")) == [1, 2]
    write(log, lines[5][30:] + "".join(lines[6:]))
    r = row(w, "keras_console.txt")
    same_points(r.run, load_path(log)[0])
    assert list(r.run.series["val_loss"].x("epoch")) == [1, 2, 3, 4, 5]


def test_truncation_starts_again_without_duplicates(tmp_path):
    log = tmp_path / "lightning_logs/version_1/metrics.csv"
    write(log, HEADER + lightning_rows(0, 30))
    w = watcher(tmp_path)
    assert row(w, "lightning_logs/version_1/metrics.csv").points == 30
    write(log, HEADER + lightning_rows(0, 5), mode="w")  # a restarted job truncates and rewrites
    r = row(w, "lightning_logs/version_1/metrics.csv")
    same_points(r.run, load_path(log)[0])
    assert r.points == 5
    # rewritten in place with a wider header (Lightning does this when a new metric appears)
    write(log, "epoch,step,train_loss,val_loss,lr\n" + "".join(f"0,{s},{1 - s / 100},,0.1\n" for s in range(12)), mode="w")
    r = row(w, "lightning_logs/version_1/metrics.csv")
    same_points(r.run, load_path(log)[0])
    assert "lr" in r.run.series and r.points == 12


def test_rotation_keeps_what_was_read_and_follows_the_new_file(tmp_path):
    log = tmp_path / "train.log"
    write(log, "".join(f"step:{s} train_loss:{1 / (s + 1):.5f}\n" for s in range(0, 10)))
    w = watcher(tmp_path)
    assert row(w, "train.log").points == 10
    os.rename(log, tmp_path / "train.log.1")  # logrotate: not a log suffix, so not a run of its own
    write(log, "".join(f"step:{s} train_loss:{1 / (s + 1):.5f}\n" for s in range(10, 25)))
    r = row(w, "train.log")
    steps = r.run.series["train_loss"].x("step")
    assert list(steps) == list(range(25))  # nothing lost, nothing twice
    assert r.status == "live"


def test_atomic_replace_with_more_rows_is_an_append(tmp_path):
    log = tmp_path / "history.csv"
    write(log, "epoch,loss,val_loss\n" + "".join(f"{e},{1 / (e + 1)},{1.1 / (e + 1)}\n" for e in range(5)))
    w = watcher(tmp_path)
    assert row(w, "history.csv").points == 5
    tmp = tmp_path / "history.tmp"
    tmp.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 / (e + 1)},{1.1 / (e + 1)}\n" for e in range(8)))
    os.replace(tmp, log)
    r = row(w, "history.csv")
    same_points(r.run, load_path(log)[0])
    assert r.points == 8


def test_deleted_file_is_marked_gone_and_keeps_its_points(tmp_path):
    log = tmp_path / "lightning_logs/version_0/metrics.csv"
    write(log, HEADER + lightning_rows(0, 20))
    w = watcher(tmp_path)
    assert row(w, "lightning_logs/version_0/metrics.csv").points == 20
    log.unlink()
    r = row(w, "lightning_logs/version_0/metrics.csv")
    assert r.status == "gone" and r.points == 20
    write(tmp_path / "lightning_logs/version_1/metrics.csv", HEADER + lightning_rows(0, 12))  # a new run appears
    assert row(w, "lightning_logs/version_1/metrics.csv").status == "live"


def test_symlinks_out_of_the_folder_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "secret.csv", "epoch,loss\n0,1.0\n1,0.5\n")
    write(outside / "version_9/metrics.csv", HEADER + lightning_rows(0, 10))
    root = tmp_path / "watched"
    write(root / "ok/metrics.csv", HEADER + lightning_rows(0, 10))
    (root / "link.csv").symlink_to(outside / "secret.csv")
    (root / "linked_dir").symlink_to(outside / "version_9", target_is_directory=True)
    w = watcher(root)
    w.step()
    snap = w.snapshot()
    assert [r.key for r in snap.runs] == ["ok/metrics.csv"]
    assert any("link.csv" in s and "symbolic link" in s for s in snap.refused)
    assert any("linked_dir" in s for s in snap.refused)
    # a watched file swapped for a link after discovery is refused at open, not read
    victim = root / "ok/metrics.csv"
    victim.unlink()
    victim.symlink_to(outside / "version_9/metrics.csv")
    r = row(w, "ok/metrics.csv")
    assert r.points == 10 and r.error and "symbolic link" in r.error


def test_size_cap_applies_per_file(tmp_path):
    log = tmp_path / "big.csv"
    write(log, "epoch,loss\n" + "".join(f"{e},{1 / (e + 1)}\n" for e in range(200)))
    w = watcher(tmp_path, max_bytes=1000)
    w.step()
    snap = w.snapshot()
    assert not snap.runs and any("size limit" in s for s in snap.skipped)


def test_jsonl_and_tensorboard_grow_record_by_record(tmp_path):
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.compat.proto.event_pb2 import Event

    jl = tmp_path / "det/metrics.json"
    write(jl, "".join(json.dumps({"iteration": i, "total_loss": 1 / (i + 1), "lr": 0.01}) + "\n" for i in range(5)))
    tb_dir = tmp_path / "tb/run_a"
    tb_dir.mkdir(parents=True)
    writer = EventFileWriter(str(tb_dir))

    def scalars(lo, hi):
        for s in range(lo, hi):
            for tag, v in (("train_loss", 1 / (s + 1)), ("val_loss", 1.2 / (s + 1))):
                writer.add_event(Event(step=s, wall_time=1e9 + s, summary=Summary(value=[Summary.Value(tag=tag, simple_value=v)])))
        writer.flush()

    scalars(0, 6)
    w = watcher(tmp_path)
    assert row(w, "det/metrics.json").points == 5
    assert row(w, "tb/run_a").points == 6
    write(jl, "".join(json.dumps({"iteration": i, "total_loss": 1 / (i + 1), "lr": 0.01}) + "\n" for i in range(5, 9)))
    scalars(6, 15)
    writer.close()
    same_points(row(w, "det/metrics.json").run, load_path(jl)[0])
    r = row(w, "tb/run_a")
    assert r.points == 15
    same_points(r.run, load_path(tb_dir)[0])


def test_hf_checkpoints_are_reread_and_the_final_state_marks_finished(tmp_path):
    out = tmp_path / "hf_out"

    def state(n):
        return json.dumps({"log_history": [{"loss": 2 / (s + 1), "step": s * 5, "epoch": s / 4} for s in range(1, n + 1)],
                           "global_step": n * 5})

    write(out / "checkpoint-20/trainer_state.json", state(4))
    w = watcher(tmp_path)
    assert row(w, "hf_out").points == 4
    time.sleep(0.01)
    write(out / "checkpoint-40/trainer_state.json", state(8))
    r = row(w, "hf_out")
    assert r.points == 8 and not w._sources["hf_out"].follower.finished_hint()
    write(out / "trainer_state.json", state(9))
    assert row(w, "hf_out").points == 9 and w._sources["hf_out"].follower.finished_hint()


def test_a_divergence_raises_one_alert_with_its_step(tmp_path):
    log = tmp_path / "lightning_logs/version_0/metrics.csv"
    write(log, HEADER + lightning_rows(0, 60))
    w = watcher(tmp_path)
    r = row(w, "lightning_logs/version_0/metrics.csv")
    assert r.status == "live" and not [a for a in r.alerts if a.kind == "divergence"]
    write(log, lightning_rows(60, 80, diverge_at=60) + "7,80,nan,\n7,81,nan,\n")
    r = row(w, "lightning_logs/version_0/metrics.csv")
    assert r.status == "diverged"
    div = [a for a in w.snapshot().alerts if a.kind == "divergence"]
    assert len(div) == 1 and div[0].severity == "critical" and 55 <= div[0].step <= 81
    assert div[0].where.startswith(f"step {int(div[0].step)}")
    write(log, "8,82,nan,\n")
    row(w, "lightning_logs/version_0/metrics.csv")
    assert len([a for a in w.snapshot().alerts if a.kind == "divergence"]) == 1  # not re-announced


def test_diagnosis_budget_serves_the_shown_run_first(tmp_path):
    for i in range(6):
        write(tmp_path / f"exp{i}/metrics.csv", HEADER + lightning_rows(0, 30))
    w = watcher(tmp_path)
    w.step()
    assert len(w.snapshot().runs) == 6
    for i in range(6):
        write(tmp_path / f"exp{i}/metrics.csv", lightning_rows(30, 40))
    w.diagnose_budget = 0.0  # room for one re-diagnosis per pass
    w.focus("exp4/metrics.csv")
    w.step()
    points = {r.key: r.points for r in w.snapshot().runs}
    assert points["exp4/metrics.csv"] == 40 and sorted(points.values()) == [30] * 5 + [40]
    for _ in range(5):
        w.step()
    assert all(r.points == 40 for r in w.snapshot().runs)  # the others follow, one per pass


def test_shared_watcher_runs_one_thread_per_folder(tmp_path):
    import threading

    from trueloss_dash.watch import shared_watcher

    write(tmp_path / "a.csv", "epoch,loss\n0,1\n1,0.5\n")
    before = threading.active_count()
    w1 = shared_watcher(tmp_path, use_watchdog=False)
    w2 = shared_watcher(str(tmp_path) + "/")
    try:
        assert w1 is w2
        snap = w1.wait(0, timeout=10)
        assert [r.key for r in snap.runs] == ["a.csv"]
        assert threading.active_count() == before + 1
    finally:
        from trueloss_dash.watch.watcher import _SHARED

        _SHARED.pop(os.path.realpath(tmp_path)).stop()


def _cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "trueloss_dash", "watch", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_cli_watch_fails_on_critical_and_prints_json(tmp_path):
    write(tmp_path / "lightning_logs/version_0/metrics.csv", HEADER + lightning_rows(0, 70, diverge_at=55))
    write(tmp_path / "healthy/metrics.csv", HEADER + lightning_rows(0, 70))
    res = _cli(str(tmp_path), "--fail-on", "critical", "--json", "--interval", "0.2")
    assert res.returncode == 1, res.stderr
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert lines[-1]["severity"] == "critical" and lines[-1]["kind"] in ("divergence", "spike")
    assert all(x["run"] == "lightning_logs/version_0" for x in lines if x["severity"] == "critical")
    assert lines[-1]["run"] == "lightning_logs/version_0" and 40 <= lines[-1]["step"] <= 70


def test_cli_watch_exits_zero_when_idle_and_refuses_a_missing_folder(tmp_path):
    write(tmp_path / "healthy/metrics.csv", HEADER + lightning_rows(0, 70))
    os.utime(tmp_path / "healthy/metrics.csv", (time.time() - 120, time.time() - 120))
    write(tmp_path / "old_experiment/metrics.csv", HEADER + lightning_rows(0, 70, diverge_at=55))
    os.utime(tmp_path / "old_experiment/metrics.csv", (time.time() - 120, time.time() - 120))
    res = _cli(str(tmp_path), "--only-active", "--fail-on", "critical", "--until-idle", "0.5", "--interval", "0.2")
    assert res.returncode == 0, res.stderr  # the old diverged run is not this job's
    assert "healthy" in res.stderr and "no run written" in res.stderr and res.stdout == ""
    bad = _cli(str(tmp_path / "nope"))
    assert bad.returncode == 2 and "not a folder" in bad.stderr and "Traceback" not in bad.stderr


def test_growing_table_matches_a_concatenation(tmp_path):
    """Columns that appear late or skip a piece are missing there, exactly like concat_tables."""
    from trueloss_dash.ingest.table import Table, concat_tables
    from trueloss_dash.watch.followers import GrowingTable

    rng = np.random.default_rng(1)
    pieces = []
    for i in range(40):
        t = Table(first_row=2)
        n = int(rng.integers(1, 300))
        for name in ("step", "loss", "val_loss", "lr")[: 2 + i % 3]:
            present = rng.random(n) > 0.3 if name == "val_loss" else None
            t.add(name, rng.standard_normal(n), present)
        pieces.append(t)
    grow = GrowingTable(2, "row")
    for p in pieces:
        grow.append(p)
    got, want = grow.view(), concat_tables(pieces)
    assert set(got.columns) == set(want.columns) and got.nrows == want.nrows
    for name in want.columns:
        np.testing.assert_array_equal(got.mask(name), want.mask(name))
        m = want.mask(name)
        np.testing.assert_array_equal(got.columns[name][m], want.columns[name][m])


def test_runs_page_shows_the_watched_folder_and_opens_a_run_for_analysis(tmp_path, monkeypatch):
    """The app under AppTest with ``serve --logdir``'s environment: the watch view, then one click
    copies the watched run into the session's runs (the full analysis below it)."""
    from streamlit.testing.v1 import AppTest

    from trueloss_dash.commands.serve import LOGDIR_ENV

    logdir = tmp_path / "logs"
    write(logdir / "lightning_logs/version_0/metrics.csv", HEADER + lightning_rows(0, 60))
    monkeypatch.setenv(LOGDIR_ENV, str(logdir))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    for _ in range(20):  # the shared watcher reads in its own thread; the first snapshot lands shortly
        at.run()
        assert not at.exception, at.exception
        if any("lightning_logs/version_0" in m.value for m in at.markdown):
            break
        time.sleep(0.3)
    page = " ".join(m.value for m in at.markdown)
    assert "Watching a folder" in page and "tl-watch-row" in page and ">live<" in page
    at.button(key="watch_open").click().run()
    assert not at.exception, at.exception
    assert any("watched folder" in m.value for m in at.markdown)  # the analysis header names the origin
    from trueloss_dash.watch.watcher import _SHARED

    for key, w in list(_SHARED.items()):
        if str(w.root).startswith(str(tmp_path)):
            _SHARED.pop(key).stop()


def test_mlflow_run_folder_is_reread_when_a_metric_file_grows(tmp_path):
    run = tmp_path / "mlruns" / "0" / "abc123"
    write(run / "meta.yaml", "run_id: abc123\nrun_name: sweep-1\n")
    write(run / "metrics/train_loss", "".join(f"{1700000000000 + s} {1 / (s + 1)} {s}\n" for s in range(5)))
    write(run / "metrics/val_loss", "".join(f"{1700000000000 + s} {1.1 / (s + 1)} {s}\n" for s in range(5)))
    w = watcher(tmp_path)
    r = row(w, "mlruns/0/abc123")
    assert r.format == "mlflow" and r.points == 5
    time.sleep(0.01)
    write(run / "metrics/train_loss", "".join(f"{1700000000000 + s} {1 / (s + 1)} {s}\n" for s in range(5, 9)))
    assert row(w, "mlruns/0/abc123").points == 9


def test_silent_runs_turn_stale_then_finished(tmp_path):
    old = time.time() - 5 * 60
    ancient = time.time() - 2 * 3600
    for name, t in (("recent", None), ("silent", old), ("done", ancient)):
        write(tmp_path / f"{name}/metrics.csv", HEADER + lightning_rows(0, 30))
        if t is not None:
            os.utime(tmp_path / f"{name}/metrics.csv", (t, t))
    w = watcher(tmp_path)
    w.step()
    status = {r.label: r.status for r in w.snapshot().runs}
    assert status == {"recent": "live", "silent": "stale", "done": "finished"}


def test_without_watchdog_the_folder_is_polled(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_watchdog(name, *args, **kwargs):
        if name.startswith("watchdog"):
            raise ImportError("no watchdog here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_watchdog)
    write(tmp_path / "a/metrics.csv", HEADER + lightning_rows(0, 10))
    w = Watcher(tmp_path, poll_seconds=0.2).start()
    try:
        snap = w.wait(0, timeout=10)
        assert w.mode == "polling" and snap.runs[0].points == 10
        write(tmp_path / "a/metrics.csv", lightning_rows(10, 20))
        deadline = time.time() + 10
        while w.snapshot().runs[0].points < 20 and time.time() < deadline:
            time.sleep(0.05)
        assert w.snapshot().runs[0].points == 20
    finally:
        w.stop()


def test_growing_event_file_with_a_damaged_record_keeps_going_and_says_where(tmp_path):
    """Event files are checked record by record while they grow, as a whole file is: a record that
    fails its checksum is skipped and named (with its file offset) in the run's warnings."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    from trueloss_dash.ingest.tfrecord import frame

    def record(step: int) -> bytes:
        ev = Event(step=step, wall_time=1e9 + step, summary=Summary(value=[Summary.Value(tag="train_loss",
                                                                                          simple_value=1 / (step + 1))]))
        return frame(ev.SerializeToString())

    path = tmp_path / "tb/run_b/events.out.tfevents.1.host"
    path.parent.mkdir(parents=True)
    first = b"".join(record(s) for s in range(5))
    path.write_bytes(first)
    w = watcher(tmp_path)
    assert row(w, "tb/run_b").points == 5
    damaged = bytearray(record(5))
    damaged[14] ^= 0xFF  # a payload byte: the checksum fails
    later = bytes(damaged) + b"".join(record(s) for s in range(6, 9))
    with open(path, "ab") as fh:
        fh.write(later[:-3])  # the last record is still being written
    r = row(w, "tb/run_b")
    assert r.points == 7
    with open(path, "ab") as fh:
        fh.write(later[-3:])
    r = row(w, "tb/run_b")
    assert r.points == 8
    assert any(f"byte {len(first)} fails its checksum" in x for x in r.run.warnings), r.run.warnings
