"""Loss roles from what a table holds: an objective named by its abbreviation (``mse`` / ``val_mse``) in a
log with no 'loss' column, and a loss column that repeats a final summary beside its per-epoch twin:
each takes or gives up the loss role with a note; beside a named loss the abbreviations stay metrics."""

from __future__ import annotations

from pathlib import Path

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_a_diffusion_log_of_mse_and_val_mse_is_read_as_its_losses_real_file():
    """EwanpenfoldPlymouth (dev, healthy): DDPM JSON lines {epoch, mse, val_mse, fid, lpips, image}."""
    [run] = load_path(CORPUS / "EwanpenfoldPlymouth__Project" / "training_log.json")
    assert run.series["train_loss"].source_column == "mse"
    assert run.series["val_loss"].source_column == "val_mse"
    assert {"fid", "lpips"} <= set(run.series)
    assert any("'mse' (a loss measure) is used as train_loss" in n for n in run.notes)
    rep = diagnose(run)
    assert not [f for f in rep.findings if f.severity in ("warning", "critical")], rep.findings


def _four_falling_columns() -> str:
    """Six rows of an epoch and four falling values (the header names what they are)."""
    return "".join(f"{i},{0.9 / (i + 1):.3f},{0.8 / (i + 1):.3f},{1.0 / (i + 1):.3f},{0.95 / (i + 1):.3f}\n" for i in range(6))


def test_mse_is_preferred_over_mae_when_both_are_logged_without_a_loss():
    rows = _four_falling_columns()
    [run] = load_bytes("history.csv", ("epoch,mae,mse,val_mae,val_mse\n" + rows).encode())
    assert run.series["train_loss"].source_column == "mse"
    assert run.series["val_loss"].source_column == "val_mse"
    assert "mae" in run.series and "val_mae" in run.series


def test_keras_mae_metric_beside_a_named_loss_stays_a_metric():
    rows = _four_falling_columns()
    [run] = load_bytes("history.csv", ("epoch,loss,mae,val_loss,val_mae\n" + rows).encode())
    assert run.series["train_loss"].source_column == "loss"
    assert run.series["val_loss"].source_column == "val_loss"
    assert "mae" in run.series and "val_mae" in run.series


def test_a_lone_validation_abbreviation_needs_a_training_curve():
    """'val_mse' alone (no training loss of any name) does not become the validation loss: the
    abbreviations take the roles only as a training/validation pair (or beside a named training loss)."""
    [run] = load_bytes("h.csv", b"epoch,val_mse,accuracy_loss\n0,0.7,1\n1,0.6,1\n2,0.5,1\n")
    assert "val_loss" not in run.series


def test_a_final_summary_repeated_on_every_row_gives_the_role_to_its_moving_twin_real_file():
    """bperosa (round 17 dev, healthy): 'test_loss' is the final value 0.02476 on all 15 rows beside the
    per-epoch 'test_loss_epochs' 0.0348 -> 0.02476; the constant was read as the validation loss (every
    check ran on a flat line). The moving twin takes the role; the constant stays as an extra series."""
    [run] = load_path(CORPUS / "bperosa__Spotify" / "training_stats.csv")
    assert run.series["val_loss"].source_column == "test_loss_epochs"
    assert "test_loss" in run.series
    assert any("a final summary repeated" in n for n in run.notes)


def test_a_constant_validation_loss_without_a_named_twin_keeps_its_role():
    rows = "".join(f"{i},{0.9 / (i + 1):.3f},0.5,{0.7 / (i + 1):.3f}\n" for i in range(6))
    [run] = load_bytes("history.csv", ("epoch,loss,val_loss,other_loss\n" + rows).encode())
    assert run.series["val_loss"].source_column == "val_loss"
