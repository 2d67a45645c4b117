"""Underfitting read beside the validation metrics (real dev, corpus round 9): a bounded metric at its
ceiling means the model fits the task (the loss sits at its floor: info); a metric stuck at the bad end
of its range means nothing was learned, however far validation sits from training (warning)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
