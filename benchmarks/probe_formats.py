"""Format probe: console output and log files of common training libraries, generated in each
library's own line format (written from the formats as the libraries print them, with a decaying
loss), loaded with ``load_path``. For each: the format detected, whether the training and the held-out
loss got their roles, or the refusal. Nobody labelled these; what a mature tool should read, it must.

    .venv/bin/python benchmarks/probe_formats.py
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS  # noqa: E402
from trueloss_dash.errors import LogFormatError  # noqa: E402
from trueloss_dash.ingest import load_path  # noqa: E402

N = 12
TR = [2.0 * math.exp(-i / 4) + 0.3 for i in range(N)]
VA = [2.1 * math.exp(-i / 4) + 0.4 for i in range(N)]
ACC = [0.5 + 0.4 * (1 - math.exp(-i / 4)) for i in range(N)]


def _each(fn):
    return [line for i in range(N) for line in fn(i)]


#: name -> (file name, lines, held-out loss expected)
SAMPLES = {
    "Keras fit, verbose=1": ("keras.txt", _each(lambda i: [f"Epoch {i + 1}/{N}", f"1875/1875 [==============================] - 5s 2ms/step - loss: {TR[i]:.4f} - accuracy: {ACC[i]:.4f} - val_loss: {VA[i]:.4f} - val_accuracy: {ACC[i]:.4f}"]), True),
    "Keras 3 fit (ANSI bar)": ("keras3.txt", _each(lambda i: [f"Epoch {i + 1}/{N}", f"\x1b[1m1875/1875\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m4s\x1b[0m 2ms/step - accuracy: {ACC[i]:.4f} - loss: {TR[i]:.4f} - val_accuracy: {ACC[i]:.4f} - val_loss: {VA[i]:.4f}"]), True),
    "Keras fit redirected to a file (backspace redraws)": ("keras_nohup.txt", [
        f"Epoch {i + 1}/{N}\n" + "".join(("\b" * 60 if k else "") + f"{k + 1:4d}/3 [{'=' * (10 * k):<30}] - ETA: 1s - loss: {TR[i] * 1.1:.4f}"
                                        for k in range(3)) + "\b" * 60 + f"3/3 [==============================] - 1s 20ms/step - loss: {TR[i]:.4f} - val_loss: {VA[i]:.4f}"
        for i in range(N)], True),
    "Keras fit, verbose=2": ("keras_v2.txt", _each(lambda i: [f"Epoch {i + 1}/{N}", f"1875/1875 - 3s - loss: {TR[i]:.4f} - accuracy: {ACC[i]:.4f} - val_loss: {VA[i]:.4f} - val_accuracy: {ACC[i]:.4f} - 3s/epoch - 2ms/step"]), True),
    "PyTorch MNIST example": ("mnist.txt", _each(lambda i: [f"Train Epoch: {i + 1} [0/60000 (0%)]\tLoss: {TR[i] * 1.1:.6f}", f"Train Epoch: {i + 1} [30000/60000 (50%)]\tLoss: {TR[i]:.6f}", "", f"Test set: Average loss: {VA[i]:.4f}, Accuracy: {int(ACC[i] * 10000)}/10000 ({int(ACC[i] * 100)}%)", ""]), True),
    "PyTorch loop print": ("plain.txt", [f"Epoch [{i + 1}/{N}], Step [600/600], Loss: {TR[i]:.4f}" for i in range(N)], False),
    "Lightning progress bar": ("lightning.txt", [f"Epoch {i}: 100%|██████████| 938/938 [00:12<00:00, 75.1it/s, v_num=0, train_loss={TR[i]:.3f}, val_loss={VA[i]:.3f}]" for i in range(N)], True),
    "HF Trainer dicts": ("hf.txt", _each(lambda i: [f"{{'loss': {TR[i]:.4f}, 'grad_norm': 1.2, 'learning_rate': 2e-05, 'epoch': {i + 0.5}}}", f"{{'eval_loss': {VA[i]:.4f}, 'eval_runtime': 1.2, 'epoch': {i + 1.0}}}"]), True),
    "HF example + eval metrics block": ("hf_glue.txt", _each(lambda i: [f"{{'loss': {TR[i]:.4f}, 'learning_rate': 2e-05, 'epoch': {i + 0.5}}}", "***** eval metrics *****", f"  epoch                   =        {i + 1}.0", f"  eval_loss               =     {VA[i]:.4f}", "  eval_runtime            = 0:00:01.23"]), True),
    "TRL SFT dicts (no eval)": ("trl.txt", [f"{{'loss': {TR[i]:.4f}, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'mean_token_accuracy': {ACC[i]:.3f}, 'epoch': {(i + 1) / N:.2f}}}" for i in range(N)], False),
    "fastai fit table": ("fastai.txt", ["epoch     train_loss  valid_loss  accuracy  time    "] + [f"{i:<10}{TR[i]:<12.6f}{VA[i]:<12.6f}{ACC[i]:<10.6f}00:12   " for i in range(N)], True),
    "nanoGPT": ("nanogpt.txt", _each(lambda i: [f"step {i * 250}: train loss {TR[i]:.4f}, val loss {VA[i]:.4f}"] + [f"iter {i * 250 + k * 10}: loss {TR[i] * 1.02:.4f}, time 45.67ms, mfu 12.34%" for k in range(1, 25)]), True),
    "llm.c": ("llmc.txt", _each(lambda i: [f"val loss {VA[i]:.6f}"] + [f"step {i * 20 + k:4d}/240 | train loss {TR[i]:.6f} | norm 1.2345 | lr 6.00e-04 | (100.00 ms | 5000 tok/s)" for k in range(1, 21)]), True),
    "timm train.py": ("timm.txt", _each(lambda i: [f"Train: {i} [1250/1251 (100%)]  Loss: {TR[i]:.3f} ({TR[i]:.3f})  Time: 1.0s,  100/s  LR: 1.000e-03  Data: 0.5 (0.5)", f"Test: [  48/48]  Time: 0.100 (0.150)  Loss:  {VA[i]:.4f} ({VA[i]:.4f})  Acc@1: {ACC[i] * 100:.4f} ({ACC[i] * 100:.4f})  Acc@5: 90.0 (90.0)"]), True),
    "PyTorch Ignite": ("ignite.txt", _each(lambda i: [f"Epoch[{i + 1}] Iteration[{(i + 1) * 469}/{N * 469}] Loss: {TR[i]:.2f}", f"Training Results - Epoch: {i + 1}  Avg accuracy: {ACC[i]:.2f} Avg loss: {TR[i]:.2f}", f"Validation Results - Epoch: {i + 1}  Avg accuracy: {ACC[i]:.2f} Avg loss: {VA[i]:.2f}"]), True),
    "PaddleClas": ("paddle.txt", _each(lambda i: [f"[2023/01/01 12:00:{i:02d}] ppcls INFO: [Train][Epoch {i + 1}/{N}][Iter: 99/100]lr(LinearWarmup): 0.10000000, top1: {ACC[i]:.5f}, CELoss: {TR[i]:.5f}, loss: {TR[i]:.5f}, batch_cost: 0.1s, ips: 100 samples/s", f"[2023/01/01 12:00:{i:02d}] ppcls INFO: [Eval][Epoch {i + 1}][Avg]CELoss: {VA[i]:.5f}, loss: {VA[i]:.5f}, top1: {ACC[i]:.5f}"]), True),
    "mmdetection 2.x": ("mmdet.txt", [f"2023-01-01 10:00:{i:02d},000 - mmdet - INFO - Epoch [{i + 1}][50/500]\tlr: 2.000e-02, eta: 1:00:00, time: 0.5, data_time: 0.01, memory: 3000, loss_cls: {TR[i] * 0.5:.4f}, loss_bbox: {TR[i] * 0.3:.4f}, loss: {TR[i]:.4f}" for i in range(N)], False),
    "detectron2": ("d2.txt", [f"[01/01 12:00:00 d2.utils.events]:  eta: 0:10:00  iter: {20 * (i + 1) - 1}  total_loss: {TR[i]:.3f}  loss_cls: {TR[i] * 0.4:.3f}  loss_box_reg: {TR[i] * 0.3:.3f}  time: 0.3  lr: 0.00025  max_mem: 2000M" for i in range(N)], False),
    "fairseq": ("fairseq.txt", _each(lambda i: [f"2021-01-01 00:00:00 | INFO | train | epoch {i + 1:03d} | loss {TR[i]:.3f} | nll_loss {TR[i] * 0.9:.3f} | ppl 12.3 | wps 5000 | lr 0.0005", f"2021-01-01 00:00:00 | INFO | valid | epoch {i + 1:03d} | valid on 'valid' subset | loss {VA[i]:.3f} | nll_loss {VA[i] * 0.9:.3f} | ppl 13.1"]), True),
    "OpenNMT-py": ("onmt.txt", [f"[2020-01-01 12:00:00,000 INFO] Step {100 * (i + 1)}/1200; acc:  {ACC[i] * 100:.2f}; ppl: {math.exp(TR[i]):.2f}; xent: {TR[i]:.2f}; lr: 1.00000; 3000/3000 tok/s;     10 sec" for i in range(N)], False),
    "TF Estimator": ("tf_est.txt", [f"INFO:tensorflow:loss = {TR[i]:.5f}, step = {i * 100 + 1} (0.500 sec)" for i in range(N)], False),
    "TF2 custom loop print": ("tf2.txt", [f"Epoch {i + 1}, Loss: {TR[i]:.4f}, Accuracy: {ACC[i] * 100:.2f}, Test Loss: {VA[i]:.4f}, Test Accuracy: {ACC[i] * 100:.2f}" for i in range(N)], True),
    "scikit-learn MLP verbose": ("mlp.txt", [f"Iteration {i + 1}, loss = {TR[i]:.8f}" for i in range(N)], False),
    "scikit-learn SGD verbose": ("sgd.txt", _each(lambda i: [f"-- Epoch {i + 1}", f"Norm: 0.5{i}, NNZs: 10, Bias: 0.1, T: {100 * (i + 1)}, Avg. loss: {TR[i]:.6f}", "Total training time: 0.01 seconds."]), False),
    "XGBoost": ("xgb.txt", [f"[{i}]\ttrain-logloss:{TR[i]:.5f}\teval-logloss:{VA[i]:.5f}" for i in range(N)], True),
    "XGBoost scikit-learn API": ("xgb_sk.txt", [f"[{i}]\tvalidation_0-mlogloss:{TR[i]:.5f}\tvalidation_1-mlogloss:{VA[i]:.5f}" for i in range(N)], True),
    "LightGBM": ("lgb.txt", [f"[{i + 1}]\ttraining's binary_logloss: {TR[i]:.6f}\tvalid_1's binary_logloss: {VA[i]:.6f}" for i in range(N)], True),
    "CatBoost": ("catboost.txt", [f"{i}:\tlearn: {TR[i]:.7f}\ttest: {VA[i]:.7f}\tbest: {VA[i]:.7f} ({i})\ttotal: {50 * (i + 1)}ms\tremaining: 5s" for i in range(N)], True),
    "Ultralytics YOLOv5 console": ("yolo.txt", ["      Epoch    GPU_mem   box_loss   obj_loss   cls_loss  Instances       Size"] + _each(lambda i: [f"      {i}/{N - 1}      3.5G    {TR[i] * 0.05:.5f}    {TR[i] * 0.03:.5f}    {TR[i] * 0.02:.5f}         40        640: 100%|██████████| 100/100 [00:30<00:00,  3.3it/s]", "                 Class     Images  Instances          P          R      mAP50   mAP50-95: 100%|██████████| 10/10 [00:02<00:00,  4.1it/s]", f"                   all        128        929      0.7      0.6      {ACC[i] - 0.2:.3f}      0.4"]), False),
    "torchtune": ("torchtune.txt", [f"Step {i + 1} | loss:{TR[i]:.4f} lr:2e-05 tokens_per_second_per_gpu:1000.0" for i in range(N)], False),
}


def probe() -> list[tuple[str, str, str]]:
    """(library, format or 'REFUSED', what loaded / why) per sample."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (fname, lines, held_out) in SAMPLES.items():
            path = Path(tmp) / fname
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            try:
                run = load_path(path)[0]
            except LogFormatError as err:
                out.append((name, "REFUSED", str(err).split(": ", 1)[-1][:90]))
                continue
            missing = [r for r, want in ((TRAIN_LOSS, True), (VAL_LOSS, held_out)) if want and r not in run.series]
            out.append((name, run.format, ("MISSING " + ", ".join(missing)) if missing else
                        "train_loss" + (" + val_loss" if held_out else "")))
    return out


def main() -> None:
    rows = probe()
    ok = sum(1 for _, f, what in rows if f != "REFUSED" and not what.startswith("MISSING"))
    print(f"{'library':34} {'format':14} roles")
    for name, fmt, what in rows:
        print(f"{name:34} {fmt:14} {what}")
    print(f"{ok}/{len(rows)} read with their loss roles")


if __name__ == "__main__":
    main()
