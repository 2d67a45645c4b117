"""JSON dicts of parallel lists with their own x lists (round-20 first-sight miss, dev):
``{"train_steps": [...], "train_losses": [...], "valid_steps": [...], "valid_losses": [...]}``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_real_log_reads_each_group_on_its_own_steps():
    """BMIHALKO (dev, healthy): 120 training losses every 100 steps and 30 validation losses every 400.
    Before: both read on the row index, so validation at step 12,000 sat beside training at step 3,000
    and the report raised a WARNING inverted gap (data mismatch 80%)."""
    run = load_path(CORPUS / "BMIHALKO__tiny-transformer-final" / "loss_log.json")[0]
    tr, va = run.get(TRAIN_LOSS), run.get(VAL_LOSS)
    assert tr.step[0] == 100 and tr.step[-1] == 12000 and va.step[0] == 400 and va.step[-1] == 12000
    assert "train_steps" not in run.series
    assert diagnose(run).status == "healthy"


def test_generated_parallel_lists(tmp_path):
    steps = list(range(50, 5001, 50))
    ev = list(range(500, 5001, 500))
    doc = {"train_step": steps, "train_loss": [2.0 * np.exp(-s / 1500) + 0.5 for s in steps],
           "eval_step": ev, "eval_loss": [2.0 * np.exp(-s / 1500) + 0.6 for s in ev], "eval_acc": [0.5 + s / 20000 for s in ev]}
    path = tmp_path / "history.json"
    path.write_text(json.dumps(doc))
    run = load_path(path)[0]
    assert list(run.get(VAL_LOSS).step) == ev and len(run.get(TRAIN_LOSS)) == 100


def test_lists_of_one_length_stay_a_plain_table(tmp_path):
    doc = {"loss": [1.0, 0.8, 0.7, 0.65], "val_loss": [1.1, 0.9, 0.85, 0.8], "epochs": [1, 2, 3, 4]}
    path = tmp_path / "h.json"
    path.write_text(json.dumps(doc))
    run = load_path(path)[0]
    assert len(run.get(TRAIN_LOSS)) == 4 and len(run.get(VAL_LOSS)) == 4
