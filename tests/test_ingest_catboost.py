"""CatBoost's catboost_info/ metric files (learn_error.tsv, test_error.tsv): the file name gives the split,
'iter' the x axis, CatBoost's metric name the loss; the two files of one folder are one run. Before stop
23 the 24 such corpus folders were refused, or read as two training runs of one model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS
from trueloss_dash.diagnose import diagnose
from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_real_folder_with_a_climbing_eval_loss_is_overfitting():
    """A-SHOJAEI (dev, overfitting): test Logloss 0.674 -> min 0.535 at iter 10 -> 0.962 at 99 while learn
    falls 0.640 -> 0.013. Before: two runs, the held-out curve judged as a training loss (level shift)."""
    runs = load_path(CORPUS / "A-SHOJAEI__adaptive-feature-importance-reweighting-credit-risk" / "catboost_info")
    assert len(runs) == 1 and runs[0].format == "catboost_tsv"
    assert len(runs[0].get(TRAIN_LOSS)) == len(runs[0].get(VAL_LOSS)) == 100
    assert any(f.kind == "overfitting" and f.severity == "warning" for f in diagnose(runs[0]).findings)


def test_real_folder_with_an_eval_metric_before_the_loss():
    """0425Ning (dev): 'iter TotalF1 MultiClass' - the loss is the loss-like metric, not the first column."""
    run = load_path(CORPUS / "0425Ning__AdvTabDDPM" / "catboost_info")[0]
    assert {TRAIN_LOSS, VAL_LOSS, "train/TotalF1", "val/TotalF1"} <= set(run.series)


def test_learn_only_folder(tmp_path):
    run = load_path(CORPUS / "0124Kyle__Flight-Price-Prediction" / "catboost_info")[0]
    assert list(run.series) == [TRAIN_LOSS] and len(run.get(TRAIN_LOSS)) == 1000


def _write(folder: Path, name: str, header: str, ys) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(header + "\n" + "\n".join(f"{i}\t{y:.6f}" for i, y in enumerate(ys)) + "\n")


def test_generated_files_merge_and_a_lone_test_file_is_validation(tmp_path):
    it = np.arange(200)
    _write(tmp_path / "catboost_info", "learn_error.tsv", "iter\tRMSE", 1.0 * np.exp(-it / 50) + 0.1)
    _write(tmp_path / "catboost_info", "test_error.tsv", "iter\tRMSE", 1.0 * np.exp(-it / 50) + 0.2)
    runs = load_path(tmp_path / "catboost_info")
    assert len(runs) == 1 and set(runs[0].series) == {TRAIN_LOSS, VAL_LOSS}
    lone = load_path(tmp_path / "catboost_info" / "test_error.tsv")[0]
    assert list(lone.series) == [VAL_LOSS]


def test_a_file_without_a_loss_metric_is_refused_with_the_reason(tmp_path):
    _write(tmp_path, "learn_error.tsv", "iter\tAUC", np.linspace(0.6, 0.9, 50))
    with pytest.raises(LogFormatError, match="no loss among the metrics"):
        load_path(tmp_path / "learn_error.tsv")
