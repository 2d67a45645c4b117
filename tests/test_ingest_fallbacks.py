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
