"""`trueloss-dash runs list|show|rm|rename`, through the real entry point (in-process and as a
subprocess without a terminal, as CI runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from trueloss_dash.cli import main
from trueloss_dash.columns import EPOCH, TRAIN_LOSS, VAL_LOSS
from trueloss_dash.run import Run, RunContext, Series
from trueloss_dash.store import open_store


def _seed(home=None) -> tuple[str, str]:
    store = open_store(home)
    run = Run("keras baseline", format="keras_csv", source="history.csv", context=RunContext(dropout=0.3),
              notes=["a reader note"], warnings=["2 NaN values in val_loss"])
    run.add(Series(TRAIN_LOSS, y=[1.0, 0.5, 0.25], epoch=[0, 1, 2]))
    run.add(Series(VAL_LOSS, y=[1.1, 0.6, np.nan], epoch=[0, 1, 2]))
    first = store.save(run)
    writer = store.begin_live("live <demo>")
    writer.append({EPOCH: 0, TRAIN_LOSS: 2.0})
    writer.finish("cancelled")
    return first, writer.run_id


def test_list_table_and_json(capsys):
    first, second = _seed()
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "FORMAT", "STATUS"]
    assert second in lines[1] and "cancelled" in lines[1] and first in lines[2] and "keras_csv" in lines[2]
    assert main(["runs", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in data] == [second, first]
    assert data[1] == {**data[1], "name": "keras baseline", "status": "saved", "n_points": 3, "source": "history.csv"}


def test_list_empty(capsys):
    assert main(["runs", "list"]) == 0
    assert capsys.readouterr().out.strip() == "no stored runs"


def test_show_by_prefix_text_and_json(capsys):
    first, _ = _seed()
    assert main(["runs", "show", first[:6]]) == 0
    out = capsys.readouterr().out
    assert f"id:       {first}" in out and "dropout=0.3" in out and "2 NaN values" in out
    assert "train_loss" in out and "3 points" in out
    assert main(["runs", "show", first, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["info"]["id"] == first and data["run"]["series"][TRAIN_LOSS]["y"] == [1.0, 0.5, 0.25]
    assert data["run"]["series"][VAL_LOSS]["nonfinite"] == {"2": "nan"}


def test_rename_and_unknown_id(capsys):
    first, _ = _seed()
    assert main(["runs", "rename", first, "tuned run"]) == 0
    assert open_store().info(first).name == "tuned run"
    assert main(["runs", "show", "ffffffffffff"]) == 2
    err = capsys.readouterr().err
    assert "no run with id 'ffffffffffff'" in err and "Traceback" not in err
    assert main(["runs", "rename", first, "  "]) == 2
    assert "cannot be empty" in capsys.readouterr().err


def test_rm_with_yes(capsys):
    first, second = _seed()
    assert main(["runs", "rm", first, "--yes"]) == 0
    assert [i.id for i in open_store().list()] == [second]


def test_rm_asks_on_a_terminal(monkeypatch, capsys):
    first, _ = _seed()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["runs", "rm", first]) == 1
    assert "not deleted" in capsys.readouterr().out and open_store().info(first)
    assert main(["runs", "rm", first]) == 0
    assert first not in [i.id for i in open_store().list()]


def test_rm_without_terminal_refuses_in_a_subprocess(tmp_path):
    home = tmp_path / "cli-home"
    first, _ = _seed(home)
    env = dict(os.environ, TRUELOSS_DASH_HOME=str(home))
    proc = subprocess.run([sys.executable, "-m", "trueloss_dash", "runs", "rm", first], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "refusing to delete" in proc.stderr and "--yes" in proc.stderr and "Traceback" not in proc.stderr
    assert open_store(home).info(first).name == "keras baseline"
    proc = subprocess.run([sys.executable, "-m", "trueloss_dash", "runs", "--home", str(home), "rm", first[:8], "--yes"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert first not in [i.id for i in open_store(home).list()]


def test_damaged_store_message_reaches_the_terminal(tmp_path, capsys):
    home = tmp_path / "h"
    home.mkdir()
    (home / "runs.sqlite").write_bytes(b"garbage" * 1000)
    assert main(["runs", "--home", str(home), "list"]) == 0
    captured = capsys.readouterr()
    assert "was damaged" in captured.err and "started a fresh store" in captured.err
    assert captured.out.strip() == "no stored runs"


def test_rediagnose_a_stored_run_matches_the_diagnose_command(tmp_path, capsys):
    """`runs diagnose ID` on a stored upload gives the report `diagnose FILE` gives for the file."""
    from trueloss_dash.ingest import load_path

    log = tmp_path / "history.csv"
    epochs = np.arange(40)
    train = 2.0 * np.exp(-epochs / 6) + 0.05
    val = np.where(epochs < 15, train + 0.1, train[15] + 0.1 + 0.04 * (epochs - 15))
    log.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{t:.6f},{v:.6f}\n" for e, t, v in zip(epochs, train, val)))
    store = open_store()
    run_id = store.save(load_path(log)[0])
    assert main(["diagnose", str(log), "--json"]) == 0
    direct = json.loads(capsys.readouterr().out)
    assert main(["runs", "diagnose", run_id[:7], "--json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert stored["findings"] == direct["findings"] and stored["causes"] == direct["causes"]
    assert any(f["kind"] == "overfitting" for f in stored["findings"])
    assert main(["runs", "diagnose", run_id, "--meta", "dropout=0.5"]) == 0
    assert capsys.readouterr().out.strip()
    assert main(["runs", "diagnose", run_id, "--meta", "dropout"]) == 2
    assert "bad --meta" in capsys.readouterr().err
