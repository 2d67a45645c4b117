"""Round-19 corpusZ reader fix, tested on the real corpus files and generated variants.

Ludwig writes ``results/experiment_run/training_statistics.json``: phases (``training`` - ``train`` in older
versions -, ``validation``, ``test``) holding one dict per output feature plus ``combined``, each a dict of
per-epoch metric lists: ``{"training": {"combined": {"loss": [...]}, "label": {"loss": [...], "accuracy":
[...]}}, "validation": {...}, "test": {...}}``. Before, the phase -> feature -> metric nesting was not read
and every such file was refused ("only x-axis columns"). Now each phase's ``combined`` loss is its loss and
the single output feature's other measures (accuracy, ...) stand beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_ludwig_training_statistics_real_file():
    path = CORPUS / "xxivk__ludwig-client" / "training_statistics.json"
    (run,) = load_path(path)
    stats = json.loads(path.read_text())
    assert {"train_loss", "val_loss", "test_loss", "val_acc"} <= set(run.series)
    assert np.allclose(run.series["train_loss"].y, stats["training"]["combined"]["loss"])
    assert np.allclose(run.series["val_loss"].y, stats["validation"]["combined"]["loss"])
    assert np.allclose(run.series["val_acc"].y, stats["validation"]["airline_sentiment"]["accuracy"])
    assert any("Ludwig" in w for w in run.warnings)


def test_ludwig_train_key_and_empty_phases():
    # 'train' (older Ludwig) instead of 'training'
    (run,) = load_path(CORPUS / "arpit__QTypes" / "training_statistics.json")
    assert {"train_loss", "val_loss"} <= set(run.series) and len(run.series["train_loss"].y) == 19
    # validation and test never evaluated: their lists are empty, the training loss alone loads
    (run,) = load_path(CORPUS / "arunkumar629__hand_recognition" / "training_statistics.json")
    assert "train_loss" in run.series and "val_loss" not in run.series
    assert len(run.series["train_loss"].y) == 100


def test_ludwig_generated_two_outputs_reads_combined_only(tmp_path):
    loss = [1.0, 0.8, 0.6, 0.5]
    phase = {"combined": {"loss": loss}, "a": {"loss": [0.5, 0.4, 0.3, 0.2], "accuracy": [0.5, 0.6, 0.7, 0.8]},
             "b": {"loss": [0.5, 0.4, 0.3, 0.3], "accuracy": [0.4, 0.5, 0.6, 0.6]}}
    path = tmp_path / "training_statistics.json"
    path.write_text(json.dumps({"training": phase, "validation": phase}))
    (run,) = load_path(path)
    assert np.allclose(run.series["train_loss"].y, loss) and np.allclose(run.series["val_loss"].y, loss)
    assert not any(name.endswith("accuracy") or name.endswith("acc") for name in run.series)  # two features: whose?


def test_phase_dict_of_feature_dicts_without_combined_is_not_ludwig(tmp_path):
    path = tmp_path / "stats.json"
    path.write_text(json.dumps({"train": {"a": {"loss": [1.0, 0.5, 0.3]}}, "val": {"a": {"loss": [1.1, 0.6, 0.4]}}}))
    try:
        runs = load_path(path)
    except Exception:  # refused, as before - the nesting is only read when Ludwig's 'combined' says what it is
        return
    assert not any("Ludwig" in w for run in runs for w in run.warnings)


def test_joeynmt2_evaluation_duration_is_not_an_epoch():
    # Joey NMT 2.x: 'Evaluation result (greedy) loss: 3.78, ppl: 43.93, acc: 0.12, generation: 335.8109[sec],
    # evaluation: 0.0000[sec]' - 'evaluation: 0.0000[sec]' was read as a phase with its epoch (timm's
    # 'Train: 0 [ 100/1251]'), epoch 0 after epoch 1, so every evaluation started a new appended run (20 runs
    # of 5 batch losses and 1 validation). It is how long the evaluation took.
    runs = load_path(CORPUS / "Laura-Christoph__mt-exercise-4" / "train.log")
    assert len(runs) == 1
    (run,) = runs
    assert len(run.series["val_loss"].y) == 19 and len(run.series["Batch Loss"].y) == 99
    assert np.isclose(run.series["val_loss"].y[0], 3.78) and np.isclose(run.series["val_loss"].y[-1], 2.33)

