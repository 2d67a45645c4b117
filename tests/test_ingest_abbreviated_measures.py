"""A log with no 'loss' column whose objective is named by its abbreviation (``mse`` / ``val_mse``):
the pair takes the loss roles, with a note; beside a named loss the abbreviations stay metrics."""

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


def test_mse_is_preferred_over_mae_when_both_are_logged_without_a_loss():
    rows = "".join(f"{i},{0.9 / (i + 1):.3f},{0.8 / (i + 1):.3f},{1.0 / (i + 1):.3f},{0.95 / (i + 1):.3f}\n" for i in range(6))
    [run] = load_bytes("history.csv", ("epoch,mae,mse,val_mae,val_mse\n" + rows).encode())
    assert run.series["train_loss"].source_column == "mse"
    assert run.series["val_loss"].source_column == "val_mse"
    assert "mae" in run.series and "val_mae" in run.series


def test_keras_mae_metric_beside_a_named_loss_stays_a_metric():
    rows = "".join(f"{i},{0.9 / (i + 1):.3f},{0.8 / (i + 1):.3f},{1.0 / (i + 1):.3f},{0.95 / (i + 1):.3f}\n" for i in range(6))
    [run] = load_bytes("history.csv", ("epoch,loss,mae,val_loss,val_mae\n" + rows).encode())
    assert run.series["train_loss"].source_column == "loss"
    assert run.series["val_loss"].source_column == "val_loss"
    assert "mae" in run.series and "val_mae" in run.series


def test_a_lone_validation_abbreviation_needs_a_training_curve():
    """'val_mse' alone (no training loss of any name) does not become the validation loss: the
    abbreviations take the roles only as a training/validation pair (or beside a named training loss)."""
    [run] = load_bytes("h.csv", b"epoch,val_mse,accuracy_loss\n0,0.7,1\n1,0.6,1\n2,0.5,1\n")
    assert "val_loss" not in run.series
