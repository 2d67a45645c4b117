"""Histories saved with company: several prefixed histories side by side in one file
(ingest/sidebyside.py), and a JSON dict mixing run metadata with the per-epoch lists
(readers/jsonl.py ``_history_lists``) - generated input and the real corpus files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trueloss_dash.ingest import load_bytes, load_path
from trueloss_dash.roles import apply_roles

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _falling(n: int, start: float = 1.0) -> list[float]:
    return [round(start * 0.9 ** i, 5) for i in range(n)]


def _two_histories(val_first: bool = False) -> dict:
    v = (lambda p, m: f"val_{p}_{m}") if val_first else (lambda p, m: f"{p}_val_{m}")
    return {"reg_loss": _falling(30), "reg_mae": _falling(30, 0.8), v("reg", "loss"): _falling(30, 1.1),
            "reg_learning_rate": [1e-3] * 30, "cls_accuracy": [0.5 + i / 100 for i in range(19)],
            "cls_loss": _falling(19, 0.7), v("cls", "loss"): _falling(19, 0.72), v("cls", "accuracy"): [0.5] * 19}


@pytest.mark.parametrize("val_first", [False, True])
def test_prefixed_histories_side_by_side_are_one_run_each(val_first):
    runs = load_bytes("training_history.json", json.dumps(_two_histories(val_first)).encode())
    assert [r.name for r in runs] == ["training_history:reg", "training_history:cls"]
    reg, cls = runs
    assert len(reg.series["train_loss"]) == 30 and len(reg.series["val_loss"]) == 30
    assert len(cls.series["train_loss"]) == 19 and len(cls.series["val_loss"]) == 19
    assert reg.series["train_loss"].source_column == "reg_loss"  # not a regularisation penalty
    assert "penalty" not in reg.series
    assert cls.series["val_loss"].source_column == ("val_cls_loss" if val_first else "cls_val_loss")
    assert set(cls.series) == {"train_loss", "val_loss", "train_acc", "val_acc"}
    assert cls.meta["history_prefix"] == "cls"
    assert any("2 histories side by side" in n for n in cls.notes)


def test_prefixed_histories_in_a_csv_split_too():
    d = _two_histories()
    keys = list(d)
    lines = [",".join(keys)] + [",".join(str(d[k][i]) if i < len(d[k]) else "" for k in keys) for i in range(30)]
    runs = load_bytes("history.csv", ("\n".join(lines) + "\n").encode())
    assert [len(r.series["train_loss"]) for r in runs] == [30, 19]


def test_roles_are_given_by_the_files_own_column_names():
    _, cls = load_bytes("h.json", json.dumps(_two_histories()).encode())
    swapped = apply_roles(cls, {"cls_val_loss": "train_loss", "cls_loss": "val_loss"})
    assert swapped.series["train_loss"].source_column == "cls_val_loss"


@pytest.mark.parametrize("d", [
    # Keras multi-output: an overall loss beside the heads' -> one model, one run
    {"loss": _falling(5), "out1_loss": _falling(5), "out2_loss": _falling(5), "val_loss": _falling(5),
     "val_out1_loss": _falling(5), "val_out2_loss": _falling(5)},
    # GAN losses have no validation twins
    {"g_loss": _falling(5), "d_loss": _falling(5)},
    # one prefix only
    {"cls_loss": _falling(5), "cls_val_loss": _falling(5)},
    # a column outside every prefix: the prefixes are not the whole story
    {"a_loss": _falling(5), "a_val_loss": _falling(5), "b_loss": _falling(5), "b_val_loss": _falling(5),
     "grad_norm": _falling(5)},
    # phase words are not models
    {"train_loss": _falling(5), "train_val_loss": _falling(5), "test_loss": _falling(5), "test_val_loss": _falling(5)},
])
def test_no_split_unless_every_column_is_one_prefixed_history(d):
    assert len(load_bytes("h.json", json.dumps(d).encode())) == 1


def test_real_two_model_history():
    """065010-AmanMalhi/hdfc-lstm-predictor (real dev): a classifier (19 epochs) and a regressor (30)
    saved in one JSON; reg_loss used to be read as a regularisation penalty and nothing got a role."""
    runs = load_path(CORPUS / "065010-AmanMalhi__hdfc-lstm-predictor" / "training_history.json")
    assert [r.name for r in runs] == ["training_history:reg", "training_history:cls"]
    reg, cls = runs
    assert {n: len(s) for n, s in reg.series.items()} == {"train_loss": 30, "mae": 30, "val_loss": 30, "val_mae": 30, "lr": 30}
    assert {n: len(s) for n, s in cls.series.items()} == {"train_acc": 19, "train_loss": 19, "val_acc": 19, "val_loss": 19, "lr": 19}
    assert round(float(cls.series["val_loss"].y[0]), 4) == pytest.approx(0.6918, abs=2e-3)


# -- a JSON dict of run metadata beside the per-epoch lists ------------------------------------------


def test_metadata_beside_equal_length_lists_reads_the_lists():
    d = {"timestamp": "2026-04-18T17:21:59", "backbone": "b0", "img_size": 112, "classes": ["a", "b", "c"],
         "phase_starts": [0, 30, 60], "train_loss": _falling(12), "val_loss": _falling(12, 1.1),
         "train_acc": [0.5] * 12, "test_acc": 77.6}
    [run] = load_bytes("training_history.json", json.dumps(d).encode())
    assert {n: len(s) for n, s in run.series.items()} == {"train_loss": 12, "val_loss": 12, "train_acc": 12}
    assert any("as the history" in w and "phase_starts" in w for w in run.warnings)


def test_the_lists_holding_a_loss_win_over_longer_ones_without():
    d = {"classes": ["a", "b"], "lr_schedule": [0.1] * 50, "loss": _falling(10), "val_loss": _falling(10)}
    [run] = load_bytes("h.json", json.dumps(d).encode())
    assert len(run.series["train_loss"]) == 10 and "lr" not in run.series


def test_metadata_without_a_loss_list_is_still_refused():
    from trueloss_dash.errors import LogFormatError

    with pytest.raises(LogFormatError, match="no loss series found"):
        load_bytes("h.json", json.dumps({"classes": ["a", "b"], "acc": [0.1, 0.2, 0.3], "n": 3}).encode())


def test_real_history_with_run_metadata():
    """DrunkMacintosh/EFFICIENTNET_B0... (real test split; loaded only, never diagnosed here)."""
    [run] = load_path(CORPUS / "DrunkMacintosh__EFFICIENTNET_B0-for-emotion-recognition-of-FER-2013-dataset"
                      / "training_history.json")
    assert {n: len(s) for n, s in run.series.items()} == {"train_loss": 90, "train_acc": 90, "val_loss": 90, "val_acc": 90}
