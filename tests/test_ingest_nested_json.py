"""A JSON object that keeps its per-epoch records in a nested list (a hand-written history.json
beside final test scores) is read as its records, with the summary scalars named in a warning."""

from __future__ import annotations

import json

import numpy as np
from pathlib import Path

from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_real_history_json_with_nested_records_loads_every_epoch():
    # AleksaVukadinovic (dev, healthy): {"history": [20 x {epoch, train_loss, train_acc, val_loss, val_acc}],
    # "test_acc": ..., "test_loss": ...}
    run, = load_path(CORPUS / "AleksaVukadinovic__Vehicle-Detection" / "history.json")
    assert {k: len(s.y) for k, s in run.series.items()} == {"train_loss": 20, "train_acc": 20, "val_loss": 20, "val_acc": 20}
    assert run.series["val_loss"].epoch[0] == 1 and run.series["val_loss"].epoch[-1] == 20
    assert any("'history'" in w and "test_acc" in w for w in run.warnings)


def test_the_longest_record_list_wins_and_scalar_lists_still_read_as_columns(tmp_path):
    p = tmp_path / "log.json"
    p.write_text(json.dumps({"config": [{"lr": 0.1}], "epochs": [{"epoch": e, "loss": 1.0 / e, "val_loss": 1.2 / e} for e in range(1, 6)],
                             "best": 0.24}))
    run, = load_path(p)
    assert len(run.series["train_loss"].y) == 5 and len(run.series["val_loss"].y) == 5
    q = tmp_path / "history.json"  # Keras json.dump(history.history): a dict of lists, unchanged
    q.write_text(json.dumps({"loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.8, 0.7]}))
    run, = load_path(q)
    assert len(run.series["val_loss"].y) == 3


def test_history_nested_as_a_dict_of_lists_beside_hyperparameters():
    # matt-balda (dev): {"hyperparams": {...}, "best_epoch": 7, "history": {"train_loss": [...], "val_loss": [...], ...}}
    run = load_path(CORPUS / "matt-balda__fewshot-bert-ensemble-hatespeech" / "scenario_A_GroNLP_hateBERT_training_meta.json")[0]
    assert len(run.series["train_loss"].y) == 19 and len(run.series["val_loss"].y) == 19
    # hoidn (dev): {"epochs": [0..4], "metrics": {"loss": [...], "val_loss": [..., NaN, NaN]}} - the epochs list is the x
    run = load_path(CORPUS / "hoidn__PtychoPINN" / "history.json")[0]
    assert list(run.series["val_loss"].epoch) == [0, 1, 2, 3, 4]
    assert int(np.count_nonzero(~np.isfinite(run.series["val_loss"].y))) == 2  # the NaN divergence is kept


def test_plural_history_keys_are_the_losses():
    # Amber016020 (dev): {"train_losses": [...], "val_losses": [...]}
    run = load_path(CORPUS / "Amber016020__EmotionTrack-CNNLSTM" / "train_history.json")[0]
    assert len(run.series["train_loss"].y) == 8 and len(run.series["val_loss"].y) == 8
