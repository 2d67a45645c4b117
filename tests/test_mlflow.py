"""MLflow as the shared backend, against a REAL local tracking server (no mock).

The fixture starts ``mlflow server`` on 127.0.0.1 with a free port, a tmp SQLite backend and a tmp
artifacts dir; runs are logged through :mod:`trueloss_dash.mlflow_sink` and read back both with
MLflow's own client and with the project's reader :func:`trueloss_dash.ingest.load_mlflow_uri`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mlflow")

from trueloss_dash.columns import EPOCH, STEP, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS, WALL_TIME  # noqa: E402
from trueloss_dash.mlflow_sink import MlflowError, log_run, run_params  # noqa: E402
from trueloss_dash.run import Run, RunContext, Series  # noqa: E402
from trueloss_dash.store import open_store  # noqa: E402

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(
        [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{root / 'backend.db'}",
         "--default-artifact-root", str(root / "artifacts"), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True,
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 50
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {(root / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server not healthy: {(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield uri
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        log.close()


def _demo_run() -> Run:
    epochs = np.arange(8, dtype=float)
    train = 1.2 * np.exp(-epochs / 3) + 0.1
    true = train - 0.15
    val = true + 0.05 * epochs
    run = Run(
        name="mlflow round trip",
        format="keras_csv",
        source="history.csv",
        context=RunContext(dropout=0.5, batch_size=32, optimizer="adam", lr=0.001, weight_decay=0.0),
        notes=["train_loss includes the L2 penalty"],
        meta={"config": {"epochs": 8, "width": 64}},
    )
    run.add(Series(TRAIN_LOSS, y=train, epoch=epochs, wall_time=epochs * 2.0))
    run.add(Series(TRUE_TRAIN_LOSS, y=true, epoch=epochs))
    run.add(Series(VAL_LOSS, y=val, epoch=epochs))
    run.add(Series("grad_norm_step", y=np.linspace(3, 1, 20), step=np.arange(0, 200, 10.0)))
    return run


def _history(client, run_id: str, key: str) -> tuple[list[int], list[float]]:
    hist = sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)
    return [m.step for m in hist], [m.value for m in hist]


def _reader():
    ingest = pytest.importorskip("trueloss_dash.ingest")
    reader = getattr(ingest, "load_mlflow_uri", None)
    if reader is None:
        pytest.skip("trueloss_dash.ingest.load_mlflow_uri has not landed yet")
    return reader


def test_log_run_then_read_back(mlflow_server):
    from mlflow.tracking import MlflowClient

    run = _demo_run()
    run_id = log_run(run, mlflow_server, experiment="roundtrip")
    client = MlflowClient(tracking_uri=mlflow_server)
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == run.name
    for name in (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS):
        steps, values = _history(client, run_id, name)
        assert steps == list(range(8))
        np.testing.assert_allclose(values, run.series[name].y)
    steps, values = _history(client, run_id, "grad_norm_step")
    assert steps == list(range(0, 200, 10))  # no epoch axis: MLflow step = the series' step
    params = got.data.params
    assert params["dropout"] == "0.5" and params["batch_size"] == "32" and params["optimizer"] == "adam"
    assert params["config.epochs"] == "8"
    assert got.data.tags["trueloss_dash.format"] == "keras_csv"
    assert "L2 penalty" in got.data.tags["mlflow.note.content"]

    load_mlflow_uri = _reader()
    runs = load_mlflow_uri(mlflow_server, run_id=run_id)
    back = runs[0] if isinstance(runs, list) else runs
    for name in (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS):
        s = back.series[name]
        np.testing.assert_allclose(s.y, run.series[name].y)
        x = s.epoch if s.epoch is not None else s.step
        np.testing.assert_array_equal(x, np.arange(8))
    assert back.context.dropout == 0.5 and back.context.batch_size == 32


def test_live_run_mirrored_epoch_by_epoch(mlflow_server, tmp_path):
    from mlflow.tracking import MlflowClient

    store = open_store(tmp_path)
    ctx = RunContext(dropout=0.2, lr=0.01, batch_size=16)
    writer = store.begin_live("live to mlflow", ctx, {"preset": "dropout"}, mlflow_uri=mlflow_server)
    assert writer.mirror is not None and writer.mirror.error is None
    client = MlflowClient(tracking_uri=mlflow_server)
    mlflow_id = store.load(writer.run_id).meta["mlflow_run_id"]
    for epoch in range(5):
        writer.append({EPOCH: epoch, STEP: (epoch + 1) * 50, WALL_TIME: epoch * 0.1,
                       TRAIN_LOSS: 2.0 / (epoch + 1), VAL_LOSS: 1.5 / (epoch + 1), "phase": "train"})
        steps, values = _history(client, mlflow_id, TRAIN_LOSS)  # visible in MLflow as it happens
        assert steps == list(range(epoch + 1))
    assert client.get_run(mlflow_id).info.status == "RUNNING"
    writer.finish("diverged")
    got = client.get_run(mlflow_id)
    assert got.info.status == "FINISHED" and got.data.tags["trueloss_dash.status"] == "diverged"
    assert got.data.params["dropout"] == "0.2" and got.data.params["preset"] == "dropout"
    assert set(got.data.metrics) == {TRAIN_LOSS, VAL_LOSS}
    _, values = _history(client, mlflow_id, VAL_LOSS)
    np.testing.assert_allclose(values, 1.5 / (np.arange(5) + 1))
    # The local copy is identical.
    local = store.load(writer.run_id)
    np.testing.assert_allclose(local.series[VAL_LOSS].y, values)

    load_mlflow_uri = _reader()
    runs = load_mlflow_uri(mlflow_server, run_id=mlflow_id)
    back = runs[0] if isinstance(runs, list) else runs
    np.testing.assert_allclose(back.series[TRAIN_LOSS].y, local.series[TRAIN_LOSS].y)


def test_env_uri_and_unreachable_server_never_stops_local_run(tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("TRUELOSS_DASH_MLFLOW_URI", dead)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    store = open_store(tmp_path)
    writer = store.begin_live("offline")  # uri from the environment
    assert writer.mirror is not None and not writer.mirror.active
    for epoch in range(3):
        writer.append({EPOCH: epoch, TRAIN_LOSS: 1.0 - epoch / 10})
    writer.finish("finished")
    run = store.load(writer.run_id)
    assert len(run.series[TRAIN_LOSS]) == 3 and store.info(writer.run_id).status == "finished"
    assert any("MLflow" in w and dead in w for w in run.warnings), run.warnings
    with pytest.raises(MlflowError, match="could not log run"):
        log_run(run, dead)


def test_run_params_flatten_context_and_meta():
    ctx = RunContext(dropout=0.1, penalty_in_loss=True, extra={"seed": 7})
    params = run_params(ctx, {"config": {"lr": 0.1, "layers": [1, 2]}, "store_id": "x", "note": None})
    assert params == {"config.lr": "0.1", "config.layers": "[1, 2]", "seed": "7", "dropout": "0.1",
                      "penalty_in_loss": "True"}
