"""A trainer run written the way other frameworks would have logged it.

Users rarely have the product's own log: they have a Keras ``CSVLogger`` file, a Lightning
``metrics.csv``, a Hugging Face ``trainer_state.json`` or a CSV they wrote themselves - reported
training loss and validation, no true training loss, usually no context. The evaluation scenarios
(:mod:`.scenarios`) write each run in one of these layouts so the diagnosis is judged on what
users upload. Each writer keeps the framework's own conventions (0-based epochs in Keras and
Lightning, sparse Lightning rows, HF's 4-decimal running-mean loss every ``logging_steps``).

Torch-free: input is the epoch records / per-step records of a ``TrainResult``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

from .. import columns as C
from .logfile import render_log

Records = Sequence[Mapping[str, Any]]


def _num(value: Any, digits: int = 6) -> str:
    if value is None:
        return ""
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return format(value, f".{digits}g")


def _csv(header: Sequence[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def keras_csv(records: Records, *, log_lr: bool = False) -> str:
    """``tf.keras.callbacks.CSVLogger``: ``epoch`` (0-based) then the logs' keys sorted by name."""
    keys = {"loss": C.TRAIN_LOSS, "val_loss": C.VAL_LOSS}
    if any(r.get(C.VAL_ACC) is not None for r in records):
        keys.update({"accuracy": C.TRAIN_ACC, "val_accuracy": C.VAL_ACC})
    if log_lr:
        keys["learning_rate"] = C.LR
    names = sorted(keys)
    rows = [[str(int(r[C.EPOCH]) - 1)] + [_num(r.get(keys[n])) for n in names] for r in records]
    return _csv(["epoch", *names], rows)


def lightning_csv(records: Records, steps: Records, *, log_every_n_steps: int = 50,
                  val_acc_name: str = "val_acc") -> str:
    """Lightning ``CSVLogger`` ``metrics.csv``: ``self.log("train_loss", on_step=True, on_epoch=True)``
    gives ``train_loss_step`` rows every ``log_every_n_steps`` and a ``train_loss_epoch`` row per
    epoch; validation logs its own row at the epoch's last step. Epoch and step are 0-based."""
    has_acc = any(r.get(C.VAL_ACC) is not None for r in records)
    header = ["epoch", "step", "train_loss_epoch", "train_loss_step", "val_loss"] + ([val_acc_name] if has_acc else [])
    rows: list[list[str]] = []
    by_epoch: dict[int, list[Mapping[str, Any]]] = {}
    for s in steps:
        by_epoch.setdefault(int(math.ceil(float(s[C.EPOCH]) - 1e-9)), []).append(s)
    for r in records:
        epoch = int(r[C.EPOCH])
        for s in by_epoch.get(epoch, []):
            if int(s[C.STEP]) % log_every_n_steps == 0:
                rows.append([str(epoch - 1), str(int(s[C.STEP]) - 1), "", _num(s[C.TRAIN_LOSS]), ""] + ([""] if has_acc else []))
        last = str(int(r[C.STEP]) - 1)
        rows.append([str(epoch - 1), last, "", "", _num(r.get(C.VAL_LOSS))] + ([_num(r.get(C.VAL_ACC))] if has_acc else []))
        rows.append([str(epoch - 1), last, _num(r.get(C.TRAIN_LOSS)), "", ""] + ([""] if has_acc else []))
    return _csv(header, rows)


def lightning_hparams(config: Mapping[str, Any]) -> str:
    """The ``hparams.yaml`` ``save_hyperparameters()`` writes beside ``metrics.csv``: the model's
    constructor arguments (only the ones a user would have put there)."""
    keep = {"lr": config.get("lr"), "batch_size": config.get("batch_size"), "hidden_dim": config.get("width"),
            "num_layers": config.get("depth"), "dropout": config.get("dropout"),
            "weight_decay": config.get("weight_decay"), "optimizer": config.get("optimizer"),
            "max_epochs": config.get("epochs"), "l2_lambda": config.get("l2") or None,
            "use_batchnorm": config.get("batchnorm"), "augment": bool(config.get("shift") or config.get("noise_std")) or None}
    return "".join(f"{k}: {json.dumps(v)}\n" for k, v in keep.items() if v is not None)


def hf_trainer_state(records: Records, steps: Records, *, logging_steps: int = 10, batch_size: int = 32) -> str:
    """``trainer_state.json`` of ``transformers.Trainer`` with ``eval_strategy="epoch"``: the mean
    training loss since the last log every ``logging_steps`` (rounded to 4 decimals, as HF does),
    an eval entry per epoch, and the final summary entry."""
    history: list[dict[str, Any]] = []
    window: list[float] = []
    epochs = {int(r[C.EPOCH]): r for r in records}
    steps_per_epoch = max((int(s[C.STEP]) for s in steps), default=0) / max(len(records), 1)
    step_iter = list(steps)
    total, n_total = 0.0, 0
    for s in step_iter:
        loss = float(s[C.TRAIN_LOSS])
        window.append(loss)
        total, n_total = total + loss, n_total + 1
        step = int(s[C.STEP])
        if step % logging_steps == 0:
            mean = sum(window) / len(window)
            history.append({"epoch": round(float(s[C.EPOCH]), 4), "learning_rate": float(f"{s[C.LR]:.6g}"),
                            "loss": round(mean, 4) if math.isfinite(mean) else mean, "step": step})
            window = []
        end_epoch = round(float(s[C.EPOCH]), 6)
        if end_epoch == int(end_epoch) and int(end_epoch) in epochs:
            r = epochs[int(end_epoch)]
            entry = {"epoch": float(int(end_epoch)), "eval_loss": float(f"{r[C.VAL_LOSS]:.6g}") if r.get(C.VAL_LOSS) is not None else None}
            if r.get(C.VAL_ACC) is not None:
                entry["eval_accuracy"] = float(f"{r[C.VAL_ACC]:.6g}")
            entry.update({"eval_runtime": 0.05, "eval_samples_per_second": 4000.0, "eval_steps_per_second": 40.0, "step": step})
            history.append(entry)
    last = records[-1] if records else {}
    evaluated = {int(e["epoch"]) for e in history if "eval_loss" in e}
    if last and int(last[C.EPOCH]) not in evaluated:
        # the run stopped inside an epoch (diverged): HF logs the blown-up loss and eval at that step
        at = {"epoch": round(float(step_iter[-1][C.EPOCH]), 4) if step_iter else float(last[C.EPOCH]), "step": int(last[C.STEP])}
        history.append({**at, "loss": float(last[C.TRAIN_LOSS])})
        if last.get(C.VAL_LOSS) is not None:
            history.append({**at, "eval_loss": float(last[C.VAL_LOSS])})
    history.append({"epoch": float(last.get(C.EPOCH, 0)), "step": int(last.get(C.STEP, 0)), "total_flos": 0,
                    "train_loss": total / n_total if n_total else None, "train_runtime": round(0.004 * n_total, 2),
                    "train_samples_per_second": 1000.0, "train_steps_per_second": 30.0})
    state = {"best_metric": None, "best_model_checkpoint": None, "epoch": float(last.get(C.EPOCH, 0)),
             "eval_steps": None, "global_step": int(last.get(C.STEP, 0)), "is_hyper_param_search": False,
             "is_local_process_zero": True, "is_world_process_zero": True, "log_history": history,
             "logging_steps": logging_steps, "max_steps": int(round(steps_per_epoch * len(records))),
             "num_train_epochs": len(records), "save_steps": 500, "total_flos": 0, "train_batch_size": batch_size,
             "trial_name": None, "trial_params": None}
    # one log entry per line: HF indents by 2; this keeps the file small and the same to a JSON reader
    body = ",\n    ".join(json.dumps(e) for e in history)
    head = json.dumps({k: v for k, v in state.items() if k != "log_history"}, indent=2)[:-2]
    return head + ',\n  "log_history": [\n    ' + body + "\n  ]\n}\n"


def generic_csv(records: Records, *, names: Sequence[str] = ("epoch", "train_loss", "val_loss"),
                delimiter: str = ",", with_acc: bool = False) -> str:
    """A CSV a user wrote by hand from their loop: 1-based epochs, their own column names."""
    epoch_name, train_name, val_name = names
    header = [epoch_name, train_name, val_name]
    has_acc = with_acc and any(r.get(C.VAL_ACC) is not None for r in records)
    if has_acc:
        header += [train_name.replace("loss", "acc").replace("Loss", "Acc"), val_name.replace("loss", "acc").replace("Loss", "Acc")]
    rows = []
    for r in records:
        row = [str(int(r[C.EPOCH])), _num(r.get(C.TRAIN_LOSS)), _num(r.get(C.VAL_LOSS))]
        if has_acc:
            row += [_num(r.get(C.TRAIN_ACC)), _num(r.get(C.VAL_ACC))]
        rows.append(row)
    return _csv(header, rows, delimiter)


def write_layout(folder: str | Path, layout: str, options: Mapping[str, Any], result) -> Path:
    """Write ``result`` (a ``TrainResult``) into ``folder`` as ``layout``; returns the log's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records, steps, config = result.records, result.step_records, result.config
    if layout == "trueloss":
        meta = {"generator": "trueloss-dash trainer", "name": config.name, "status": result.status, "config": config.to_dict()}
        # wall time is the one column a seed does not fix: left out, so the same seed writes the same file
        timeless = [{k: v for k, v in r.items() if k != C.WALL_TIME} for r in records]
        timeless_steps = [{k: v for k, v in r.items() if k != C.WALL_TIME} for r in steps] if options.get("per_step") else None
        text = render_log(timeless, context=config.run_context(n_train=result.n_train, n_val=result.n_val), meta=meta,
                          step_records=timeless_steps)
        path = folder / "run.csv"
    elif layout == "keras":
        text, path = keras_csv(records, log_lr=bool(options.get("log_lr"))), folder / options.get("file", "training.log")
    elif layout == "lightning":
        text = lightning_csv(records, steps, log_every_n_steps=int(options.get("log_every_n_steps", 50)),
                             val_acc_name=options.get("val_acc_name", "val_acc"))
        path = folder / "metrics.csv"
        if options.get("hparams"):
            (folder / "hparams.yaml").write_text(lightning_hparams(config.to_dict()), encoding="utf-8")
    elif layout == "hf":
        text = hf_trainer_state(records, steps, logging_steps=int(options.get("logging_steps", 10)), batch_size=config.batch_size)
        path = folder / "trainer_state.json"
    elif layout == "generic":
        delim = options.get("delimiter", ",")
        text = generic_csv(records, names=tuple(options.get("names", ("epoch", "train_loss", "val_loss"))),
                           delimiter=delim, with_acc=bool(options.get("with_acc")))
        path = folder / ("log.tsv" if delim == "\t" else "log.csv")
    else:
        raise ValueError(f"layout: found {layout!r}, expected trueloss, keras, lightning, hf or generic")
    path.write_text(text, encoding="utf-8")
    return path
