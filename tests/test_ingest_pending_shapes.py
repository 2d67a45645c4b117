"""Log shapes that were refused or misread in the real-log corpus (tests/test_corpus_labels.py
PENDING_READERS): each reader rule is tested on its real corpus file and on generated logs of the
same family (other numbers, spacing, order, extra lines), so the rule is not fitted to one file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def _load(text: str, name: str = "train.log"):
    return load_bytes(name, text.encode(), require_curve=False)


def _one(runs):
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0]


# -- an epoch header line heads passes whose counter restarts below it -----------------------------
def test_enoch_epoch_header_wins_over_pass_counters():
    run = _one(load_path(CORPUS / "Enoch-H-Kang__DDC-DPT/train_output.log"))
    train = run.series["train_loss"]
    assert len(train) == 22 and train.step is None
    assert train.epoch.tolist() == list(range(1, 23))
    assert train.y[0] == pytest.approx(0.7522530609130861)
    assert len(run.series["entropy test loss"]) == 22


def _passes(epochs, header, *, glued, first_val=True, tensors=False, train_batches=13, val_batches=4):
    sep = "" if glued else "\r"
    out = ["Args: {'lr': 0.001, 'num_epochs': 9}", f"Num train batches: {train_batches}"]
    for e in range(1, epochs + 1):
        out.append(header.format(e=e))
        val = sep.join(f"Batch {b} of {val_batches}" for b in range(val_batches))
        if tensors:
            out += ["Batch 0 of 4tensor([[2.63, 0.00],", "        [0.93, 0.00]])"]
        val_line = f"{val}{sep}\tValidation loss: {1.0 / e + 0.3:.4f}"
        train = sep.join(f"Batch {b} of {train_batches}" for b in range(train_batches))
        train_line = f"{train}{sep}\tTrain loss: {0.9 / e + 0.2:.4f}"
        out += [val_line, "\tEval time: 0.05", train_line, "\tTrain time: 0.3"] if first_val else \
               [train_line, "\tTrain time: 0.3", val_line]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("header", ["Epoch: {e}", "Epoch {e}", "=== epoch {e} ===", "----- Epoch {e} -----"])
@pytest.mark.parametrize("glued", [True, False])
@pytest.mark.parametrize("first_val", [True, False])
def test_epoch_header_wins_generated(header, glued, first_val):
    run = _one(_load(_passes(7, header, glued=glued, first_val=first_val, train_batches=9, val_batches=3)))
    train = run.series["train_loss"]
    assert train.epoch.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert np.allclose(train.y, [round(0.9 / e + 0.2, 4) for e in range(1, 8)])
    val = run.series["val_loss"]
    assert np.allclose(val.y, [round(1.0 / e + 0.3, 4) for e in range(1, 8)])


def test_epoch_header_appended_run_still_splits():
    """A second run that starts again at 'Epoch: 1' is still an appended run."""
    text = _passes(5, "Epoch: {e}", glued=False) + _passes(4, "Epoch: {e}", glued=False, tensors=True)
    runs = _load(text)
    assert [len(r.series["train_loss"]) for r in runs] == [5, 4]


def test_epoch_header_one_pass_keeps_counters():
    """One counter line per header (no second pass): the counter restarts only at the next header,
    as before (CycleGAN-like), and the curve keeps one point per epoch."""
    lines = []
    for e in range(1, 6):
        lines += [f"Epoch {e}", f"iter 50 loss: {1.0 / e:.3f}", f"iter 100 loss: {0.9 / e:.3f}"]
    run = _one(_load("\n".join(lines) + "\n"))
    assert len(run.series["train_loss"]) == 10
    assert np.all(np.diff(run.series["train_loss"].step) > 0)
