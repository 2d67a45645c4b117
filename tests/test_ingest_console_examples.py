"""Console output of the examples people start from, generated in their print format: each must load
with its curves in their roles (stop 23 format probe)."""

from __future__ import annotations

import math

import pytest

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS, canonical_series, is_flagged_alias
from trueloss_dash.ingest import load_path


def test_a_qualifier_between_phase_and_loss_is_set_aside():
    assert canonical_series("test/Average loss") == VAL_LOSS and is_flagged_alias("test/Average loss")
    assert canonical_series("train_avg_loss") == TRAIN_LOSS and not is_flagged_alias("train_avg_loss")
    assert canonical_series("val_mean_loss") == VAL_LOSS and not is_flagged_alias("val_mean_loss")
    assert canonical_series("val/avg_acc") is None  # an averaged metric is not a loss


def test_pytorch_mnist_example_console(tmp_path):
    """pytorch/examples mnist/main.py prints 'Train Epoch: 1 [0/60000 (0%)]\\tLoss: 2.30' every
    log_interval batches and 'Test set: Average loss: 0.05, Accuracy: 9837/10000 (98%)' after each
    epoch. Before: the test loss loaded as a role-less 'test/Average loss', so only the training curve
    was diagnosed."""
    lines = []
    for e in range(1, 11):
        for k, seen in enumerate((0, 20000, 40000)):
            lines.append(f"Train Epoch: {e} [{seen}/60000 ({seen // 600}%)]\tLoss: {0.3 * math.exp(-e / 4) + 0.05 / (k + 1):.6f}")
        lines += ["", f"Test set: Average loss: {0.2 * math.exp(-e / 4) + 0.03:.4f}, Accuracy: {9500 + 40 * e}/10000 "
                  f"({95 + e // 3}%)", ""]
    path = tmp_path / "mnist_output.txt"
    path.write_text("\n".join(lines) + "\n")
    run = load_path(path)[0]
    assert len(run.get(VAL_LOSS)) == 10 and len(run.get(TRAIN_LOSS)) == 10
    assert any("may be a test set" in w for w in run.warnings)


def _hf_console(n=12, banners=True):
    lines = []
    for i in range(n):
        lines.append(f"{{'loss': {0.3 + 2 * math.exp(-i / 4):.4f}, 'learning_rate': 2e-05, 'epoch': {i + 0.5}}}")
        if banners:
            lines += ["***** eval metrics *****", f"  epoch                   =        {i + 1}.0",
                      f"  eval_loss               =     {0.4 + 2 * math.exp(-i / 4):.4f}", "  eval_runtime            = 0:00:01.23",
                      "  eval_samples            =        408"]
        else:
            lines.append(f"{{'eval_loss': {0.4 + 2 * math.exp(-i / 4):.4f}, 'eval_runtime': 1.2, 'epoch': {i + 1.0}}}")
    return "\n".join(lines) + "\n"


def test_hf_trainer_console_with_eval_metric_blocks(tmp_path):
    """transformers' example scripts print the training dicts and, after each evaluation, a
    '***** eval metrics *****' block of 'eval_loss = 0.35' lines. Before: the first line (a Python dict)
    made the file JSON lines, and 72 non-JSON lines refused it."""
    path = tmp_path / "train_output.txt"
    path.write_text(_hf_console())
    run = load_path(path)[0]
    assert run.format == "text_log" and len(run.get(TRAIN_LOSS)) == 12 and len(run.get(VAL_LOSS)) == 12


def test_dict_lines_alone_stay_json_lines(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text(_hf_console(banners=False))
    run = load_path(path)[0]
    assert run.format == "jsonl" and len(run.get(VAL_LOSS)) == 12


def test_kaggle_output_log_prefix_is_not_part_of_the_key():
    """387daksh (dev, healthy): a Kaggle notebook's output log prefixes every line with the elapsed
    seconds and the line number ('106.0s 49 2026-06-28 23:16:09,912  INFO  Epoch 018 | Step 0050/1943 |
    Loss 0.1012'). Before: 'INFO Epoch' was read as a metric, the step counter that restarts every epoch
    cut the log into 32 one-epoch runs, and three fragments raised WARNINGs."""
    from pathlib import Path

    run = load_path(Path(__file__).resolve().parent / "data" / "corpus" / "387daksh__ISRO-BAH" / "training_log.log")
    assert len(run) == 1
    assert not any("INFO" in name for name in run[0].series) and len(run[0].get(TRAIN_LOSS)) > 1000


def _keras_backspace_log(epochs: int, updates: int) -> str:
    """Keras' verbose=1 output redirected to a file: each epoch's bar redrawn with backspaces."""
    out = []
    for e in range(epochs):
        tr, va = 2.0 * math.exp(-e / 8) + 0.3, 2.1 * math.exp(-e / 8) + 0.4
        out.append(f"Epoch {e + 1}/{epochs}\n")
        bar = ""
        for k in range(1, updates + 1):
            seg = f"{k:4d}/{updates} [{'=' * (k * 30 // updates):<30}] - ETA: 1s - loss: {tr * 1.1:.4f} - accuracy: 0.5000"
            out.append("\b" * len(bar) + seg)
            bar = seg
        out.append("\b" * len(bar) + f"{updates}/{updates} [==============================] - 2s 20ms/step - loss: {tr:.4f} - "
                   f"accuracy: 0.8000 - val_loss: {va:.4f} - val_accuracy: 0.7900\n")
    return "".join(out)


@pytest.mark.parametrize("epochs,updates", [(10, 3), (60, 400)])  # a small file, and one of ~3 MB read from a memory map
def test_keras_progress_bar_redrawn_with_backspaces(tmp_path, epochs, updates):
    """Before: refused ('unknown log format') - the backspaces kept every epoch's bar on one line."""
    path = tmp_path / "nohup.out"
    path.write_text(_keras_backspace_log(epochs, updates))
    run = load_path(path)[0]
    assert len(run.get(TRAIN_LOSS)) == epochs and len(run.get(VAL_LOSS)) == epochs
    assert abs(run.get(TRAIN_LOSS).y[0] - 2.3) < 1e-3  # the epoch's final value, not a running update
