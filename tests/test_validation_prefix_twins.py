"""Validation marked by a 'v_' prefix: 'loss' beside 'v_loss' in a log that prefixes every validation
metric is the validation loss; in an RL log 'v_loss' is the value function's loss and stays role-less."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.columns import validation_twin
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_tmr_console_log_reads_v_loss_as_validation_and_finds_the_overfitting():
    """MukundShankar-dev__TMR (round-14 dev, overfitting): a Lightning console of a VAE, 500 epochs, with
    loss/v_loss, recons/v_recons, kl/v_kl, latent/v_latent, dtw/v_dtw. v_loss bottoms at 1.865 (epoch 113)
    and creeps to 2.13 while the training loss keeps falling: it was 'No problems found'."""
    run = load_path(CORPUS / "MukundShankar-dev__TMR" / "train.out")[0]
    assert run.get("val_loss").source_column == "v_loss"
    assert any("'v_' prefix" in n for n in run.notes)
    over = [f for f in diagnose(run).findings if f.kind == "overfitting"]
    assert over and over[0].severity == "warning"


def test_the_prefix_must_be_a_phase():
    assert validation_twin("loss", ["loss", "v_loss", "acc", "v_acc", "f1", "v_f1"]) == "v_loss"
    assert validation_twin("t_loss", ["t_loss", "v_loss"]) == "v_loss"
    # one v_ column alone is no phase marker
    assert validation_twin("loss", ["loss", "v_loss", "acc"]) is None
    # PPO: v_loss is the value loss
    assert validation_twin("loss", ["loss", "pg_loss", "v_loss", "entropy", "v_acc", "acc", "v_kl", "kl"]) is None
    assert validation_twin("loss", ["loss", "v_loss", "episode_reward", "v_a", "a", "v_b", "b"]) is None


def test_an_rl_table_keeps_v_loss_roleless(tmp_path):
    p = tmp_path / "progress.csv"
    rows = "\n".join(f"{i},{1.0 / (i + 1):.4f},{0.5 / (i + 1):.4f},{0.3:.3f},{0.9:.3f}" for i in range(12))
    p.write_text("epoch,loss,v_loss,pg_loss,entropy\n" + rows + "\n", encoding="utf-8")
    run = load_path(p)[0]
    assert run.get("val_loss") is None and run.get("v_loss") is not None
    assert np.isfinite(run.get("train_loss").y).all()
