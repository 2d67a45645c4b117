"""Underfitting read beside the validation metrics (real dev, corpus round 9): a bounded metric at its
ceiling means the model fits the task (the loss sits at its floor: info); a metric stuck at the bad end
of its range means nothing was learned, however far validation sits from training (warning)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def _warnings(report) -> list[str]:
    return [f.kind for f in report.findings if f.severity in ("warning", "critical")]


def _stuck_run(val_metric_end: float):
    from test_diagnose_support import epoch_run

    n = 30
    x = np.arange(n)
    train = 2.35 - 0.2 * x / n + 0.03 * np.sin(x)  # barely moves: 91% of its start
    val = train * 0.98
    metric = np.linspace(val_metric_end - 0.15, val_metric_end, n)
    return epoch_run(train_loss=train, val_loss=val, val_accuracy=metric)


def test_a_loss_at_its_floor_beside_a_metric_at_its_ceiling_is_not_a_warning():
    fits = diagnose(_stuck_run(0.97))
    under = [f for f in fits.findings if f.kind == "underfitting"]
    assert under and under[0].severity == "info" and "fits the task" in under[0].summary
    weak = diagnose(_stuck_run(0.60))  # the same loss beside a weak model: still a warning
    assert [f.severity for f in weak.findings if f.kind == "underfitting"] == ["warning"]


def test_real_yolo_finetune_at_map50_097_is_quiet():
    """110062122domingo/CoffeeBeanQualityDetection: box+cls+dfl 2.35 -> 2.15 (91%) while mAP50 ends
    0.97 - a pre-trained detector's fine-tune; it was an underfitting warning."""
    report = diagnose(load_path(CORPUS / "110062122domingo__CoffeeBeanQualityDetection" / "train13_results.csv")[0])
    assert _warnings(report) == []


def _detr_like(error_end: float):
    from test_diagnose_support import epoch_run

    n = 12
    train = 27.5 + 2.5 * np.exp(-np.arange(n) / 1.5)  # 30 -> 27.5: 92% of its start
    val = 52.0 + 0.6 * np.sin(np.arange(n))  # flat, ~1.9x training
    error = np.linspace(99.9, error_end, n)
    return epoch_run(train_loss=train, val_loss=val, test_class_error=error)


def test_a_metric_stuck_at_its_worst_is_underfitting_even_with_validation_far_above():
    stuck = diagnose(_detr_like(99.95))
    under = [f for f in stuck.findings if f.kind == "underfitting"]
    assert under and under[0].severity == "warning" and "never improved" in under[0].summary
    learning = diagnose(_detr_like(60.0))  # the class error falls: the model learns, the gap is its own story
    assert "underfitting" not in _warnings(learning)


def test_real_detr_that_learns_nothing_is_underfitting():
    """Tanveer81/transformed_detr: train 30.07 -> 27.54 (-8%), test loss flat at ~1.9x, class error
    100% at every epoch; it was 'No problems found'."""
    report = diagnose(load_path(CORPUS / "Tanveer81__transformed_detr" / "train_log.txt")[0])
    assert "underfitting" in _warnings(report)


# -- round 10 dev false alarms: 'stopped improving' on runs still learning, and on four points ---------

def test_a_descent_that_falls_at_every_epoch_is_still_learning():
    from test_diagnose_support import epoch_run

    t = np.arange(10)
    train = 2.0 + 1.2 * np.exp(-t / 2.5)  # 3.2 -> 2.1, down at every epoch, the pace slowing
    run = epoch_run(train_loss=train, val_loss=train * 0.96, train_acc=np.linspace(0.16, 0.35, 10))
    under = [f for f in diagnose(run).findings if f.kind == "underfitting"]
    assert under and under[0].severity == "info" and "still" in under[0].summary
    flat = epoch_run(train_loss=2.3 + 0.01 * np.sin(np.arange(12)), val_loss=np.full(12, 2.35),
                     train_acc=np.full(12, 0.2))  # the same low accuracy beside a loss that never moved
    assert "underfitting" in _warnings(diagnose(flat))


def test_four_points_are_too_few_for_an_underfitting_warning():
    from test_diagnose_support import epoch_run

    run = epoch_run(train_loss=[2.069, 1.948, 1.927, 1.908], val_loss=[2.002, 1.993, 1.986, 1.988])
    assert "underfitting" not in _warnings(diagnose(run))


@pytest.mark.parametrize("name", ["FarrisFoo__ai-mini-project/training_log.csv", "joo9810__LLM/trainer_state.json"])
def test_real_runs_still_learning_or_too_short_are_quiet(name):
    """FarrisFoo: Keras, 10 epochs, loss 3.24 -> 2.01 falling every epoch, val at its min last; joo9810:
    an LLM fine-tune stopped after 4 evaluations (train 2.07 -> 1.91, eval 2.00 -> 1.99). Both were
    underfitting warnings ('it has stopped improving')."""
    assert _warnings(diagnose(load_path(CORPUS / name)[0])) == []


# -- a loss that barely moved: a model that cannot learn, or a fine-tune at its floor? -----------------

def _barely_moving(end: float, n: int = 20, **extra):
    from test_diagnose_support import epoch_run

    t = np.arange(n)
    train = end * (1 + 0.08 * np.exp(-t / 6))  # ends at ~93% of its start
    return epoch_run(train_loss=train, val_loss=train * 1.03, **extra)


def test_a_barely_moving_loss_with_nothing_beside_it_is_info():
    under = [f for f in diagnose(_barely_moving(1.27)).findings if f.kind == "underfitting"]
    assert under and under[0].severity == "info" and "fine-tuned at its floor" in under[0].summary


def test_a_barely_moving_loss_at_chance_or_beside_a_low_metric_is_a_warning():
    from test_diagnose_support import epoch_run

    flat = np.log(4) * (1 + 0.0005 * np.sin(np.arange(20)))  # pinned at a uniform guess over 4 classes
    at_chance = diagnose(epoch_run(train_loss=flat, val_loss=flat * 1.001))
    under = [f for f in at_chance.findings if f.kind == "underfitting"]
    assert under and under[0].severity == "warning" and "ln 4" in under[0].summary
    # an LR far too low (scenario dev-0165's shape): 2.42 -> 2.22 in a slow, bumpy line while validation
    # accuracy climbs only to 0.32
    rng = np.random.default_rng(0)
    train = (2.42 - 0.2 * np.arange(28) / 27) * np.exp(rng.normal(0, 0.008, 28))
    low = diagnose(epoch_run(train_loss=train, val_loss=train * 0.985, val_accuracy=np.linspace(0.10, 0.32, 28)))
    assert "underfitting" in _warnings(low)
