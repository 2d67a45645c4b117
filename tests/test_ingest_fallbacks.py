"""Reader fallbacks for logs the real-log corpus showed: a validation error metric standing in for
a validation loss, and an epoch column that never advances."""

from __future__ import annotations

import pytest

from trueloss_dash.ingest import load_bytes


def test_val_mse_stands_in_for_a_missing_validation_loss():
    data = b"epoch,train_loss,val_mse,val_rmse\n0,0.80,0.72,0.85\n1,0.51,0.65,0.81\n2,0.42,0.68,0.83\n"
    [run] = load_bytes("training_history.csv", data)
    assert list(run.series["val_loss"].y) == [0.72, 0.65, 0.68]
    assert "val_rmse" in run.series
    assert any("'val_mse' is used as the validation loss" in n for n in run.notes)


@pytest.mark.parametrize("header", ["loss,val_loss,val_mse", "train_loss,val_loss,Valid MSE"])
def test_a_real_validation_loss_wins_over_the_stand_in(header):
    data = f"{header}\n0.9,0.8,0.7\n0.5,0.6,0.5\n0.4,0.5,0.45\n".encode()
    [run] = load_bytes("h.csv", data)
    assert list(run.series["val_loss"].y) == [0.8, 0.6, 0.5]
    assert not any("used as the validation loss" in n for n in run.notes)


def test_no_stand_in_without_a_training_loss():
    [run] = load_bytes("h.csv", b"epoch,val_mse,accuracy_loss\n0,0.7,1\n1,0.6,1\n2,0.5,1\n")
    assert "val_loss" not in run.series


def test_an_epoch_column_stuck_at_zero_gives_way_to_row_order():
    rows = "".join(f"0,{0.9 - 0.1 * i:.2f},{0.95 - 0.1 * i:.2f}\n" for i in range(8))
    [run] = load_bytes("history.csv", ("epoch,loss,val_loss\n" + rows).encode())
    assert len(run.series["val_loss"]) == 8
    assert list(run.series["train_loss"].epoch) == list(range(8))
    assert "epoch" not in run.series
    assert any("0 on every row" in n for n in run.notes)


def test_a_stuck_epoch_is_kept_when_steps_exist():
    rows = "".join(f"0,{s},{1 / (s + 1):.3f}\n" for s in range(6))
    [run] = load_bytes("metrics.csv", ("epoch,step,loss\n" + rows).encode())
    assert list(run.series["train_loss"].step) == list(range(6))
    assert set(run.series["train_loss"].epoch) == {0.0}


# -- a loss measure under its own name (cross-entropy, NLL, BCE) is the loss of its phase ---------------------


@pytest.mark.parametrize("train_col,val_col", [
    ("train_cross_entropy", "val_cross_entropy"), ("xent", "val_xent"), ("train_nll", "valid_nll"),
    ("ce_loss", "val_ce"), ("bce", "val/bce"), ("cross_entropy/train", "cross_entropy/val"),
])
def test_a_cross_entropy_column_is_the_loss_when_none_is_named_loss(train_col, val_col):
    data = f"epoch,{train_col},{val_col},val_accuracy\n0,0.9,0.95,0.5\n1,0.6,0.7,0.6\n2,0.4,0.6,0.7\n".encode()
    [run] = load_bytes("metrics.csv", data)
    assert list(run.series["train_loss"].y) == [0.9, 0.6, 0.4]
    assert list(run.series["val_loss"].y) == [0.95, 0.7, 0.6]
    assert run.series["train_loss"].source_column == train_col
    assert sum("(a loss measure) is used as" in n for n in run.notes) == 2


def test_lightning_cross_entropy_twins_take_the_epoch_level_column():
    rows = []
    for e in range(4):
        rows += [f"{e},{10 * e + 5},,,,{1 - e / 10:.2f}", f"{e},{10 * e + 9},{0.9 - e / 10:.2f},,{0.8 - e / 10:.2f},",
                 f"{e},{10 * e + 9},,{0.7 - e / 20:.2f},,"]
    data = ("epoch,step,train_cross_entropy_epoch,val_cross_entropy,train_accuracy_epoch,train_cross_entropy_step\n"
            + "\n".join(rows) + "\n").encode()
    [run] = load_bytes("metrics.csv", data)
    assert run.series["train_loss"].source_column == "train_cross_entropy_epoch"
    assert len(run.series["train_loss"]) == 4 and len(run.series["val_loss"]) == 4
    assert len(run.series["train_cross_entropy_step"]) == 4  # the step twin stays an extra series


def test_a_column_named_loss_wins_over_a_loss_measure():
    data = b"epoch,loss,nll,val_loss,val_nll\n0,1.0,0.9,1.1,1.0\n1,0.8,0.7,0.9,0.8\n2,0.7,0.6,0.8,0.7\n"
    [run] = load_bytes("h.csv", data)
    assert run.series["train_loss"].source_column == "loss"
    assert run.series["val_loss"].source_column == "val_loss"
    assert {"nll", "val_nll"} <= set(run.series)
    assert not any("a loss measure" in n for n in run.notes)


@pytest.mark.parametrize("col", ["trainval_ce", "lce", "center", "cell", "test_ce_weight"])
def test_names_that_only_contain_the_letters_are_not_loss_measures(col):
    from trueloss_dash.columns import loss_measure_role

    assert loss_measure_role(col) is None


def test_real_lightning_log_with_cross_entropy_columns():
    """dager23/VideoClassifier_X3Dnet version_5 (real dev): was refused as 'no loss series found'."""
    from pathlib import Path

    from trueloss_dash.ingest import load_path

    [run] = load_path(Path(__file__).parent / "data" / "corpus" / "dager23__VideoClassifier_X3Dnet" / "version_5_metrics.csv")
    assert run.series["train_loss"].source_column == "train_cross_entropy_epoch"
    assert run.series["val_loss"].source_column == "val_cross_entropy"
    assert len(run.series["train_loss"]) == 3 and len(run.series["val_loss"]) == 3
    assert run.series["val_loss"].y.round(4).tolist()[:2] == [0.96, 1.0827]
    assert "train_cross_entropy_step" in run.series


# -- a step column that never advances -------------------------------------------------------------------


def test_a_step_column_stuck_at_zero_gives_way_to_row_order():
    rows = "".join(f"0\t{0.9 - 0.05 * i:.3f}\n" for i in range(10))
    [run] = load_bytes("loss.tsv", ("step\tloss\n" + rows).encode())
    assert len(run.series["train_loss"]) == 10
    assert list(run.series["train_loss"].step) == list(range(10))
    assert run.series["train_loss"].epoch is None
    assert any("'step' is 0 on every row, so the row order is used as the step" in n for n in run.notes)


def test_a_stuck_step_gives_way_to_a_moving_epoch():
    rows = "".join(f"{i},5,{0.9 - 0.05 * i:.3f}\n" for i in range(6))
    [run] = load_bytes("metrics.csv", ("epoch,step,loss\n" + rows).encode())
    assert list(run.series["train_loss"].epoch) == list(range(6))
    assert any("'epoch' is the axis" in n for n in run.notes)


def test_a_moving_step_is_kept():
    [run] = load_bytes("loss.tsv", b"step\tloss\n0\t0.9\n0\t0.8\n1\t0.7\n2\t0.6\n")
    assert list(run.series["train_loss"].step) == [0, 1, 2]  # a repeated step, not a stuck one


def test_real_dvclive_folder_whose_step_never_advanced(tmp_path):
    """PartyPenguin/Thesis dvclive (real test split; loaded only): 195 rows all at step 0 were folded into
    one point and refused as 'fewer than 3 points'."""
    from pathlib import Path

    from trueloss_dash.ingest import load_path

    [run] = load_path(Path(__file__).parent / "data" / "corpus" / "PartyPenguin__Thesis" / "dvclive")
    assert {n: len(s) for n, s in run.series.items()} == {"train_loss": 195}
    assert run.series["train_loss"].source_column == "train/loss"
    assert list(run.series["train_loss"].step[:3]) == [0, 1, 2]


# -- the energy of an energy-based / predictive-coding model is its loss, beside a phase word -------------


def test_train_and_val_energy_lines_load_as_the_losses():
    lines = "".join(f"2025-11-20 13:45:{e:02d},427 - INFO - Epoch {e}/6 | Train Energy: {1.4 - e / 50:.4f} | "
                    f"Train Perplexity: {980 - e:.4f} | Val Energy: {1.45 - e / 60:.4f} | Val Perplexity: {1100 - e:.4f}\n"
                    for e in range(1, 7))
    [run] = load_bytes("training.log", lines.encode())
    assert run.series["train_loss"].source_column == "Train Energy" and len(run.series["train_loss"]) == 6
    assert run.series["val_loss"].source_column == "Val Energy" and len(run.series["val_loss"]) == 6
    assert "Val Perplexity" in run.series


@pytest.mark.parametrize("col", ["energy", "energy_mae", "val_energy_rmse"])
def test_an_energy_without_a_phase_or_as_an_error_is_not_a_loss(col):
    from trueloss_dash.columns import loss_measure_role

    assert loss_measure_role(col) is None


def test_real_predictive_coding_log():
    """Cheralia/PC-Transformers training.log (real test split; loaded only): was refused as 'unknown log
    format'. Six appended runs; the first (an aborted start, batch lines only) holds no epoch energy."""
    from pathlib import Path

    from trueloss_dash.ingest import load_path

    runs = load_path(Path(__file__).parent / "data" / "corpus" / "Cheralia__PC-Transformers" / "training.log")
    assert [(len(r.series["train_loss"]), len(r.series["val_loss"])) for r in runs] == [(20, 20), (11, 11), (10, 10), (20, 20), (20, 20)]
    assert all(r.series["train_loss"].source_column == "Train Energy" for r in runs)
