"""Missed findings on real DEV logs of the corpus (issue 9; tests/data/corpus/LABELS.tsv holds each
file's source repository, commit and the label written before the engine ran). Each test pins, on
the real file, the general mechanism that missed it, and a generated curve shows the same rule does
not fire on the healthy or noisy shape next to it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.run import Run, Series

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _diag(rel: str):
    got = load_path(CORPUS / rel)
    return diagnose(got[0] if isinstance(got, list) else got)


def _run(train, val=None) -> Run:
    epochs = np.arange(len(train), dtype=float)
    series = {"train_loss": Series("train_loss", np.asarray(train, float), epoch=epochs)}
    if val is not None:
        series["val_loss"] = Series("val_loss", np.asarray(val, float), epoch=np.arange(len(val), dtype=float))
    return Run(name="generated", series=series)


def test_training_loss_that_climbed_back_to_its_early_level_is_divergence():
    # HF CTC fine-tune at a constant 3e-4: 25446 at step 0, 8560 at step 100, best ~2114, then up at
    # every log to ~8550 for the last 15% of the run - below the untrained first value, but 4x its
    # best with 72% of the (log) progress undone: the run blew up
    rep = _diag("siasio__StressDetection/trainer_state.json")
    div = [f for f in rep.findings if f.kind == "divergence" and f.series == "train_loss"]
    assert div and div[0].severity == "critical", [f"{f.kind}: {f.summary}" for f in rep.findings]
    assert div[0].metrics["progress_undone"] >= 0.6 and div[0].metrics["end_over_best"] >= 3.5
    assert rep.causes[0].id == "lr_too_high"


def test_a_rise_to_twice_the_best_that_undid_little_progress_is_not_divergence():
    # the loss fell 100x, then rose to 2.5x its best and stayed: a level shift, not a blow-up; and
    # 4x its best but only 30% of the (log) progress undone is not a climb back either
    start, best = 10.0, 0.1
    down = np.geomspace(start, best, 30)
    for end in (2.5 * best, 4 * best):
        up = np.full(10, end)
        rep = diagnose(_run(np.r_[down, up]))
        assert "divergence" not in rep.kinds(), (end, [f.summary for f in rep.findings])
    # the same descent climbing back to 20x its best (65% of the progress undone) has diverged
    rep = diagnose(_run(np.r_[down, np.geomspace(best, 20 * best, 6), np.full(8, 20 * best)]))
    div = [f for f in rep.findings if f.kind == "divergence"]
    assert div and div[0].metrics["progress_undone"] > 0.6


def test_validation_that_rose_at_every_epoch_since_its_best_is_overfitting():
    # Lightning, 6 epochs: validation best 43.36 at epoch 0, then up at each epoch (43.42 ... 43.85)
    # and 48.46 at the last while training falls 44.67 -> 40.86: a climb, the last point is its level
    rep = _diag("MridulHu__Demand-Forecasting/metrics.csv")
    over = [f for f in rep.findings if f.kind == "overfitting"]
    assert over and over[0].metrics["climbing"] and over[0].metrics["generalization_loss"] > 0.1
    assert over[0].severity == "warning" and rep.causes[0].id == "overfitting"


def test_a_noisy_validation_curve_ending_high_is_not_a_climb():
    # validation bouncing +-3% around a flat level after its best, last point high: not up at every
    # move, so the recent median stays the measure and nothing is called
    rng = np.random.default_rng(3)
    train = np.geomspace(1.0, 0.3, 20)
    val = np.r_[np.geomspace(1.0, 0.5, 10), 0.5 * np.exp(rng.normal(0, 0.03, 9)), 0.56]
    rep = diagnose(_run(train, val))
    over = [f for f in rep.findings if f.kind == "overfitting"]
    assert not over or not over[0].metrics["climbing"]
    # and a short monotone climb of 3 moves is below the 4-move minimum
    val3 = np.r_[np.geomspace(1.0, 0.5, 17), 0.505, 0.51, 0.515]
    rep3 = diagnose(_run(train, val3))
    assert not any(f.metrics.get("climbing") for f in rep3.findings if f.kind == "overfitting")


def test_a_loss_logged_as_train_loss_batch_is_the_training_loss_and_its_flat_line_a_plateau():
    # Lightning metrics.csv with one column, train_loss_batch, 16.74 at every one of 74 steps: the
    # reader takes it as the training loss (like train_loss_step) and the plateau check calls it
    run = load_path(CORPUS / "Andreus00__WSDS" / "version_5_metrics.csv")[0]
    assert "train_loss" in run.series and any("train_loss_batch" in n for n in run.notes)
    rep = diagnose(run)
    plateau = [f for f in rep.findings if f.kind == "plateau"]
    assert plateau and plateau[0].severity == "warning" and plateau[0].metrics.get("from_start")


def test_a_phase_word_with_a_count_is_not_an_epoch_and_the_resumed_run_stays_one_run():
    # Python-logging console log: "[Split] Train=3667 | Val=786 | Test=787" and "Train=115 batches | ..."
    # are data-set sizes; read as epochs 787 and 25 they split the run resumed at epoch 21 (from the
    # epoch-20 checkpoint) off as a "part 2", where the overfitting is (val 1.05 -> 1.28, train 0.93 -> 0.51)
    from trueloss_dash.ingest.textgrammar import parse_message

    sizes = parse_message("[Split] Train=3667 | Val=786 | Test=787")
    assert sizes.epoch is None and not sizes.pairs
    timm = parse_message("Train: 0 [ 100/1251 (  8%)]  Loss: 6.91 (6.91)")  # timm: a phase with its epoch
    assert timm.epoch == 0 and timm.pairs == [("Loss", 6.91)]
    runs = load_path(CORPUS / "Akash05-kr__skin_lesion_classifier" / "training.log")
    assert len(runs) == 1 and runs[0].get("val_loss").epoch.max() == 30
    rep = diagnose(runs[0])
    over = [f for f in rep.findings if f.kind == "overfitting"]
    assert over and over[0].metrics["best_x"] == 20 and over[0].severity == "warning"
