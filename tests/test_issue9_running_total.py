"""A loss column that sums the batch losses within each epoch (``running_loss += loss.item()``
printed without dividing) is not the training loss: it is kept under its own name with no role,
and the per-epoch loss the file also holds becomes the training loss (issue 9, Gardenou)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.ingest.running_total import is_running_total

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_real_running_sum_loses_the_loss_role_and_the_summary_loss_takes_it():
    run, = load_path(CORPUS / "Gardenou__TFG_IA_Model" / "training_log.csv")
    assert "Loss (running total)" in run.series
    assert run.series["train_loss"].source_column == "summary Loss"
    assert len(run.series["train_loss"]) == 10
    assert any("running sum" in n for n in run.notes)
    report = diagnose(run)
    assert report.healthy, report.verdict
    assert not any(f.kind in ("divergence", "oscillation") for f in report.findings)


def _batch_log(tmp_path: Path, cumulative: bool, epochs: int = 6, batches=(1, 101, 201, 301)) -> Path:
    rng = np.random.default_rng(3)
    lines = ["epoch,batch,loss"]
    for e in range(1, epochs + 1):
        level = 2.0 * 0.8 ** e
        total = 0.0
        for b in batches:
            batch_loss = level * (1 + 0.1 * rng.standard_normal())
            if cumulative:
                total = level * b * (1 + 0.02 * rng.standard_normal())
                lines.append(f"{e},{b},{total:.5f}")
            else:
                lines.append(f"{e},{b},{batch_loss:.5f}")
        lines.append(f"{e},summary,{level:.5f},{0.5 + e / 20:.4f},6986")
    path = tmp_path / ("cumulative.csv" if cumulative else "mean.csv")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_generated_running_sum_is_set_apart(tmp_path):
    run, = load_path(_batch_log(tmp_path, cumulative=True))
    assert "loss (running total)" in run.series
    assert run.series["train_loss"].source_column == "summary loss"
    assert diagnose(run).healthy


def test_a_per_batch_loss_keeps_its_role(tmp_path):
    run, = load_path(_batch_log(tmp_path, cumulative=False))
    assert run.series["train_loss"].source_column == "loss"
    assert not any("running" in name for name in run.series)


def test_a_loss_that_creeps_up_within_each_epoch_is_not_a_sum():
    # a sawtooth (e.g. an lr restarted each epoch): rises within every epoch, resets, but x1.3 not x4+
    epoch = np.repeat(np.arange(1, 6), 4).astype(float)
    y = np.concatenate([np.linspace(1.0, 1.3, 4) / e for e in range(1, 6)])
    assert not is_running_total(y, epoch, np.tile([1, 101, 201, 301], 5).astype(float))
    assert not is_running_total(y, epoch)


def test_a_sum_that_does_not_start_near_one_batch_is_not_a_running_total():
    # grows x10 within each epoch but its first value is already 50 batches' worth
    epoch = np.repeat(np.arange(1, 4), 4).astype(float)
    batch = np.tile([1, 101, 201, 301], 3).astype(float)
    y = np.concatenate([[50.0, 150.0, 250.0, 350.0]] * 3)
    assert not is_running_total(y, epoch, batch)
    assert is_running_total(y - 49.0, epoch, batch)


def test_a_loss_falling_anywhere_within_an_epoch_is_not_a_sum():
    epoch = np.repeat(np.arange(1, 4), 4).astype(float)
    y = np.concatenate([[0.2, 20.0, 19.0, 60.0]] + [[0.2, 20.0, 40.0, 60.0]] * 2)
    assert not is_running_total(y, epoch)
