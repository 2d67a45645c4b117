"""Round trip per reader: write a small log the way the tool writes it, load it, get the values back."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from trueloss_dash.ingest import load_bytes, load_path
from trueloss_dash.provenance import format_header
from trueloss_dash.run import RunContext

TRAIN = [1.0, 0.7, 0.5, 0.42]
VAL = [1.1, 0.8, 0.65, 0.6]


def test_keras_csvlogger_with_trueloss_columns_and_header(tmp_path):
    header = format_header(RunContext(dropout=0.3, batch_size=16), {"script": "t.py"})
    rows = [f"{e},{0.5 + e / 10},{t},{t * 0.9},0.001,{v},{0.4 + e / 10}" for e, (t, v) in enumerate(zip(TRAIN, VAL))]
    path = tmp_path / "training.log"
    path.write_text(header + "\nepoch,acc,loss,base_loss,lr,val_loss,val_acc\n" + "\n".join(rows) + "\n")
    run = load_path(path)[0]
    assert run.format == "keras_csv"
    assert run.series["train_loss"].y.tolist() == TRAIN
    assert run.series["true_train_loss"].y.tolist() == pytest.approx([t * 0.9 for t in TRAIN])
    assert run.series["val_loss"].y.tolist() == VAL and run.series["val_acc"].epoch.tolist() == [0, 1, 2, 3]
    assert run.series["train_acc"].source_column == "acc" and "lr" in run.series
    assert run.context.dropout == 0.3 and run.context.batch_size == 16 and run.meta["script"] == "t.py"


def test_pandas_history_dump(tmp_path):
    import pandas as pd

    path = tmp_path / "history.csv"
    pd.DataFrame({"loss": TRAIN, "val_loss": VAL}).to_csv(path)
    run = load_path(path)[0]
    assert run.series["train_loss"].epoch.tolist() == [0, 1, 2, 3] and run.series["val_loss"].y.tolist() == VAL
    assert run.name == tmp_path.name  # generic file name -> folder name


def test_lightning_metrics_with_hparams_and_twins(tmp_path):
    lines = ["epoch,step,train_loss_step,train_loss_epoch,val_loss,val_acc"]
    step = 0
    for e, (t, v) in enumerate(zip(TRAIN, VAL)):
        for _ in range(3):
            lines.append(f"{e},{step},{t + 0.01},,,")
            step += 1
        lines.append(f"{e},{step - 1},,,{v},0.9")
        lines.append(f"{e},{step - 1},,{t},,")
    d = tmp_path / "version_3"
    d.mkdir()
    (d / "metrics.csv").write_text("\n".join(lines) + "\n")
    (d / "hparams.yaml").write_text(
        "lr: 0.05\ndropout: 0.2\noptimizer: AdamW\nbatch_size: 8\nmodel:\n  width: 64\n"
        "loss_fn: !!python/object:torch.nn.CrossEntropyLoss {}\n"
    )
    run = load_path(d)[0]
    assert run.format == "lightning_csv" and run.name == "version_3"
    assert run.series["train_loss"].y.tolist() == TRAIN and run.series["train_loss"].source_column == "train_loss_epoch"
    assert len(run.series["train_loss_step"]) == 12 and run.series["val_loss"].y.tolist() == VAL
    assert run.context.lr == 0.05 and run.context.dropout == 0.2 and run.context.optimizer == "AdamW"
    assert run.context.batch_size == 8 and run.context.extra["hparam.model.width"] == 64
    assert run.context.extra["hparam.loss_fn"] == "tag:yaml.org,2002:python/object:torch.nn.CrossEntropyLoss"


def test_hf_trainer_state_with_several_eval_sets(tmp_path):
    history = []
    for i, (t, v) in enumerate(zip(TRAIN, VAL)):
        step = (i + 1) * 10
        history.append({"loss": t, "learning_rate": 1e-4, "grad_norm": 1.5, "epoch": i + 1.0, "step": step})
        history.append({"eval_clean_loss": v, "eval_clean_runtime": 1.0, "epoch": i + 1.0, "step": step})
        history.append({"eval_noisy_loss": v + 1, "epoch": i + 1.0, "step": step})
    history.append({"train_runtime": 12.0, "train_loss": 0.6, "total_flos": 1.0, "epoch": 4.0, "step": 40})
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": history, "train_batch_size": 32, "global_step": 40}))
    run = load_path(path)[0]
    assert run.format == "hf_trainer_state"
    assert run.series["train_loss"].y.tolist() == TRAIN and run.series["train_loss"].step.tolist() == [10, 20, 30, 40]
    assert run.series["val_loss"].y.tolist() == VAL and run.series["val_loss"].source_column == "val_loss"
    assert run.series["eval_noisy_loss"].y.tolist() == [v + 1 for v in VAL]
    assert run.meta["summary"]["train_loss"] == 0.6 and run.context.batch_size == 32
    assert any("val_loss = eval_clean_loss" in n and "eval_noisy_loss kept" in n for n in run.notes)


def test_ultralytics_results(tmp_path):
    cols = ["epoch", "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/mAP50(B)",
            "val/box_loss", "val/cls_loss", "val/dfl_loss", "lr/pg0"]
    rows = [[e + 1, 1.0 - e * 0.1, 2.0 - e * 0.1, 1.5, 0.1 * e, 1.1, 2.1, 1.6, 0.01] for e in range(3)]
    text = ",".join(f"{c:>20}" for c in cols) + "\n" + "\n".join(",".join(f"{v:>20}" for v in r) for r in rows) + "\n"
    path = tmp_path / "results.csv"
    path.write_text(text)
    run = load_path(path)[0]
    assert run.format == "ultralytics_csv"
    assert run.series["train_loss"].y.tolist() == pytest.approx([4.5, 4.3, 4.1])
    assert run.series["val_loss"].y.tolist() == pytest.approx([4.8] * 3)
    assert run.series["train/box_loss"].epoch.tolist() == [1, 2, 3] and run.series["lr"].y[0] == 0.01


def test_fastai_csv(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,train_loss,valid_loss,accuracy,time\n0,1.0,1.1,0.5,01:05\n1,0.7,0.8,0.6,00:59\n")
    run = load_path(path, require_curve=False)[0]
    assert run.format == "fastai_csv" and run.series["val_loss"].y.tolist() == [1.1, 0.8]
    assert run.series["epoch_time"].y.tolist() == [65, 59] and run.series["train_loss"].wall_time.tolist() == [65, 124]


def _scalar_event(tag, value, step, wall):
    from tensorboard.compat.proto import event_pb2, summary_pb2

    return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]))


def test_tensorboard_event_file_simple_values_and_epoch_tag(tmp_path):
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    d = tmp_path / "lightning_logs" / "version_0"
    writer = EventFileWriter(str(d))
    for e, (t, v) in enumerate(zip(TRAIN, VAL)):
        step = (e + 1) * 100 - 1
        writer.add_event(_scalar_event("train_loss", t, step, 1000.0 + e))
        writer.add_event(_scalar_event("val_loss", v, step, 1000.0 + e))
        writer.add_event(_scalar_event("epoch", float(e), step, 1000.0 + e))
    writer.close()
    runs = load_path(d)
    assert len(runs) == 1 and runs[0].format == "tensorboard" and runs[0].name == "version_0"
    run = runs[0]
    assert run.series["train_loss"].y.tolist() == pytest.approx(TRAIN)
    assert run.series["val_loss"].epoch.tolist() == [0, 1, 2, 3] and run.series["val_loss"].step[0] == 99
    assert "epoch" not in run.series
    # The same file as an upload (bytes, no path).
    event_file = next(d.iterdir())
    up = load_bytes(event_file.name, event_file.read_bytes())[0]
    assert up.series["train_loss"].y.tolist() == pytest.approx(TRAIN)


def test_tensorboard_tf2_tensor_scalars_in_keras_subdirs(tmp_path):
    """TF2 writes scalars as tensors (plugin 'scalars', metadata on the first event only)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.scalar import metadata
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    for sub, values in (("train", TRAIN), ("validation", VAL)):
        writer = EventFileWriter(str(tmp_path / "logs" / sub))
        for e, value in enumerate(values):
            val = summary_pb2.Summary.Value(tag="epoch_loss", tensor=tensor_util.make_tensor_proto(np.float32(value)))
            if e == 0:
                val.metadata.CopyFrom(metadata.create_summary_metadata(display_name="", description=""))
            writer.add_event(event_pb2.Event(wall_time=10.0 + e, step=e, summary=summary_pb2.Summary(value=[val])))
        writer.close()
    run = load_path(tmp_path / "logs")[0]
    assert run.name == "logs"
    assert run.series["train_loss"].y.tolist() == pytest.approx(TRAIN)
    assert run.series["val_loss"].y.tolist() == pytest.approx(VAL) and run.series["val_loss"].step.tolist() == [0, 1, 2, 3]


def test_torch_summary_writer_with_hparams(tmp_path):
    pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "runs" / "exp1"))
    for e, (t, v) in enumerate(zip(TRAIN, VAL)):
        writer.add_scalar("Loss/train", t, e)
        writer.add_scalar("Loss/val", v, e)
    writer.add_hparams({"lr": 0.01, "batch_size": 64, "optimizer": "sgd"}, {"hp/val": 0.6}, run_name=".")
    writer.close()
    run = load_path(tmp_path / "runs" / "exp1")[0]
    # 'Loss/train' / 'Loss/val' (the PyTorch SummaryWriter tutorial's tags) are aliases of the losses
    assert run.series["train_loss"].y.tolist() == pytest.approx(TRAIN)
    assert run.series["val_loss"].y.tolist() == pytest.approx(VAL) and run.series["val_loss"].source_column == "Loss/val"
    assert run.context.lr == 0.01 and run.context.batch_size == 64 and run.context.optimizer == "sgd"


def _write_mlflow_run(root, run_id, name):
    run = root / "mlruns" / "1" / run_id
    (run / "metrics" / "train").mkdir(parents=True)
    (run / "params").mkdir()
    (run / "tags").mkdir()
    for key, values in (("train/loss", TRAIN), ("val_loss", VAL)):
        (run / "metrics" / key).write_text("".join(f"{1700000000000 + i * 1000} {v} {i}\n" for i, v in enumerate(values)))
    (run / "params" / "learning_rate").write_text("0.003")
    (run / "params" / "dropout").write_text("0.1")
    (run / "tags" / "mlflow.runName").write_text(name)
    return run


def test_mlflow_file_store(tmp_path):
    _write_mlflow_run(tmp_path, "a" * 32, "baseline")
    _write_mlflow_run(tmp_path, "b" * 32, "wider")
    runs = load_path(tmp_path / "mlruns")
    assert sorted(r.name for r in runs) == ["baseline", "wider"]
    run = runs[0]
    assert run.format == "mlflow" and run.series["train_loss"].y.tolist() == TRAIN
    assert run.series["val_loss"].step.tolist() == [0, 1, 2, 3] and run.series["val_loss"].wall_time[1] == 1700000001.0
    assert run.context.lr == 0.003 and run.context.dropout == 0.1
    one = load_path(tmp_path / "mlruns" / "1" / ("a" * 32))
    assert [r.name for r in one] == ["baseline"]


def test_mlflow_tracking_uri(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    from trueloss_dash.ingest import load_mlflow_uri

    _write_mlflow_run(tmp_path, "c" * 32, "via-client")
    # A file-store URI goes through the real mlflow client (needs meta.yaml files it writes itself).
    import mlflow

    uri = (tmp_path / "store").as_uri()
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("demo")
    r = client.create_run(exp, run_name="client-run")
    for i, (t, v) in enumerate(zip(TRAIN, VAL)):
        client.log_metric(r.info.run_id, "train_loss", t, step=i)
        client.log_metric(r.info.run_id, "val_loss", v, step=i)
    client.log_param(r.info.run_id, "batch_size", "128")
    client.set_terminated(r.info.run_id)
    runs = load_mlflow_uri(uri, experiment="demo")
    assert [x.name for x in runs] == ["client-run"]
    assert runs[0].series["val_loss"].y.tolist() == VAL and runs[0].context.batch_size == 128
    assert load_mlflow_uri(uri, run_id=r.info.run_id)[0].series["train_loss"].y.tolist() == TRAIN


def test_dvclive_directory(tmp_path):
    metrics = tmp_path / "dvclive" / "plots" / "metrics"
    (metrics / "train").mkdir(parents=True)
    (metrics / "eval").mkdir(parents=True)
    (metrics / "train" / "loss.tsv").write_text("timestamp\tstep\tloss\n" + "".join(
        f"{1700000000000 + i}\t{i}\t{t}\n" for i, t in enumerate(TRAIN)))
    (metrics / "eval" / "loss.tsv").write_text("step\tloss\n" + "".join(f"{i}\t{v}\n{i}\t{v}\n" for i, v in enumerate(VAL)))
    (tmp_path / "dvclive" / "params.yaml").write_text("lr: 0.02\n")
    runs = load_path(tmp_path / "dvclive")
    assert len(runs) == 1
    run = runs[0]
    assert run.format == "dvclive" and run.series["train_loss"].y.tolist() == TRAIN
    assert run.series["val_loss"].y.tolist() == VAL and run.context.lr == 0.02
    assert any("duplicated rows" in w for w in run.warnings)


def test_jsonl_generic_and_wandb(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"epoch": e, "train_loss": t, "val_loss": v}) + "\n" for e, (t, v) in enumerate(zip(TRAIN, VAL))))
    run = load_path(path)[0]
    assert run.format == "jsonl" and run.series["val_loss"].y.tolist() == VAL
    hist = tmp_path / "wandb-history.jsonl"
    recs = []
    for i, (t, v) in enumerate(zip(TRAIN, VAL)):
        recs.append({"train/loss": t, "_step": 2 * i, "_runtime": 1.0 + i, "media": {"_type": "image-file", "path": "x.png"}})
        recs.append({"val/loss": v, "_step": 2 * i + 1, "_runtime": 1.5 + i})
    hist.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    run = load_path(hist)[0]
    assert run.format == "wandb_jsonl" and run.series["train_loss"].y.tolist() == TRAIN
    assert run.series["val_loss"].step.tolist() == [1, 3, 5, 7]
    assert any("media" in n for n in run.notes)


def test_json_dict_of_lists(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"loss": TRAIN, "val_loss": VAL, "lr": [0.1] * 4}))
    run = load_path(path)[0]
    assert run.series["train_loss"].y.tolist() == TRAIN and run.series["train_loss"].epoch.tolist() == [0, 1, 2, 3]


def test_detectron2_metrics(tmp_path):
    path = tmp_path / "metrics.json"
    recs = [{"iteration": 19 + 20 * i, "total_loss": t, "loss_cls": t / 2, "lr": 0.01, "time": 0.5 - 0.1 * (i % 2)}
            for i, t in enumerate(TRAIN)]
    recs.append({"iteration": 79, "bbox/AP": 40.0})
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    run = load_path(path)[0]
    assert run.format == "detectron2_json" and run.series["train_loss"].step.tolist() == [19, 39, 59, 79]
    assert run.series["bbox/AP"].y.tolist() == [40.0] and "wall_time" not in run.series["train_loss"].axes


@pytest.mark.parametrize(
    "lines, expect",
    [
        ([f"Epoch [{e + 1}/4], Train Loss: {t}, Val Loss: {v}" for e, (t, v) in enumerate(zip(TRAIN, VAL))], "epoch"),
        ([f"2024-05-01 10:00:0{e},123 - INFO - epoch={e} loss={t} val_loss={v}" for e, (t, v) in enumerate(zip(TRAIN, VAL))], "epoch"),
        ([f"step:{(e + 1) * 10}/40 train_loss:{t} val_loss:{v} train_time:{e}ms" for e, (t, v) in enumerate(zip(TRAIN, VAL))], "step"),
        ([f"s:{e} trl:{t}\ns:{e} tel:{v}" for e, (t, v) in enumerate(zip(TRAIN, VAL))], "step"),
        ([f"Epoch {e + 1}/4\n32/32 [==============================] - 1s 5ms/step - loss: {t} - accuracy: 0.5 - val_loss: {v}"
          for e, (t, v) in enumerate(zip(TRAIN, VAL))], "epoch"),
    ],
)
def test_text_logs(tmp_path, lines, expect):
    path = tmp_path / "train.log"
    path.write_text("Loading data from /data with 4 workers\n" + "\n".join(lines) + "\nDone. Best val 0.6 at epoch 4\n")
    run = load_path(path)[0]
    assert run.format == "text_log"
    assert run.series["train_loss"].y.tolist() == TRAIN and run.series["val_loss"].y.tolist() == VAL
    assert run.series["train_loss"].axes[0] == expect


def test_keras_progress_lines_that_are_unfinished_are_ignored(tmp_path):
    path = tmp_path / "console.txt"
    path.write_text("Epoch 1/2\n 1/32 [>....] - ETA: 3s - loss: 9.9\n32/32 [======] - 1s 5ms/step - loss: 1.0 - val_loss: 1.1\n"
                    "Epoch 2/2\n 5/32 [==>...] - ETA: 1s - loss: 8.8\n32/32 [======] - 1s 5ms/step - loss: 0.7 - val_loss: 0.8\n")
    run = load_path(path, require_curve=False)[0]
    assert run.series["train_loss"].y.tolist() == [1.0, 0.7] and run.series["train_loss"].epoch.tolist() == [1, 2]


def test_zip_upload_of_a_lightning_folder(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("version_0/metrics.csv", "epoch,step,train_loss,val_loss\n0,9,1.0,\n0,9,,1.1\n1,19,0.7,\n1,19,,0.8\n")
        zf.writestr("version_0/hparams.yaml", "lr: 0.5\n")
        zf.writestr("__MACOSX/version_0/._metrics.csv", "junk")
    runs = load_bytes("my-run.zip", buf.getvalue(), require_curve=False)
    assert len(runs) == 1
    run = runs[0]
    assert run.name == "version_0" and run.source.startswith("my-run.zip")
    assert run.series["val_loss"].y.tolist() == [1.1, 0.8] and run.context.lr == 0.5


def test_sidecar_context(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("epoch,loss,val_loss\n0,1,1.1\n1,0.5,0.6\n")
    (tmp_path / "run.csv.context.json").write_text(json.dumps({"context": {"augmentation": True, "batchnorm": "yes"}}))
    run = load_path(path, require_curve=False)[0]
    assert run.context.augmentation is True and run.context.batchnorm is True


def test_format_override(tmp_path):
    path = tmp_path / "weird.dat"
    path.write_text("epoch,loss,val_loss\n0,1,1.1\n1,0.5,0.6\n")
    assert load_path(path, format="keras_csv", require_curve=False)[0].format == "keras_csv"
    assert load_path(path, format="generic_csv", require_curve=False)[0].format == "generic_csv"


def test_logs_written_by_trueloss_dash_are_named_as_such_and_keep_their_context():
    from pathlib import Path

    (run,) = load_path(Path(__file__).resolve().parents[1] / "sample_runs" / "dropout.csv")
    assert run.format == "trueloss_csv"
    assert run.context.dropout == 0.5 and run.context.batch_size == 32
    assert {"train_loss", "true_train_loss", "val_loss", "gap_train_mode"} <= set(run.series)


def test_step_indexed_table_is_generic_not_keras(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("step,loss,val_loss,lr\n" + "".join(f"{i * 10},{1 / (i + 1)},,0.1\n" for i in range(30)))
    (run,) = load_path(path)
    assert run.format == "generic_csv" and run.series["train_loss"].step[-1] == 290
