"""Gradient-boosting console logs (XGBoost, LightGBM, CatBoost): one line per boosting round, the
evaluation set's name saying the split. Generated in the libraries' own line formats; before stop 23
XGBoost and LightGBM logs were refused as 'not valid JSON' (the '[0]' round read as an array) and
CatBoost's as an unknown format."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS
from trueloss_dash.diagnose import diagnose
from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

N = 40
TR = [0.69 * math.exp(-i / 8) + 0.10 for i in range(N)]
VA = [0.69 * math.exp(-i / 8) + 0.18 for i in range(N)]


def _write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _one(path):
    runs = load_path(path)
    assert len(runs) == 1, [r.name for r in runs]
    run = runs[0]
    assert run.format == "boosting_log"
    return run


def test_xgboost_train_and_eval_sets(tmp_path):
    path = _write(tmp_path, "xgb.log", [f"[{i}]\ttrain-logloss:{TR[i]:.5f}\teval-logloss:{VA[i]:.5f}" for i in range(N)])
    run = _one(path)
    assert np.allclose(run.get(TRAIN_LOSS).y, TR, atol=1e-5) and np.allclose(run.get(VAL_LOSS).y, VA, atol=1e-5)
    assert run.get(TRAIN_LOSS).step[0] == 0 and run.get(TRAIN_LOSS).step[-1] == N - 1
    assert diagnose(run).status == "healthy"


def test_xgboost_sklearn_positional_sets_and_a_metric_listed_first(tmp_path):
    lines = [f"[{i}]\tvalidation_0-auc:{1 - TR[i]:.5f}\tvalidation_0-logloss:{TR[i]:.5f}\t"
             f"validation_1-auc:{1 - VA[i]:.5f}\tvalidation_1-logloss:{VA[i]:.5f}" for i in range(N)]
    run = _one(_write(tmp_path, "fit.txt", lines))
    # the loss is the first loss-like metric, not the first metric; validation_0 is the training set
    assert np.allclose(run.get(TRAIN_LOSS).y, TR, atol=1e-5) and np.allclose(run.get(VAL_LOSS).y, VA, atol=1e-5)
    assert {"train/auc", "val/auc"} <= set(run.series)
    assert any("validation_0 read as the training set" in n for n in run.notes)


def test_lightgbm_banner_and_best_iteration_echo(tmp_path):
    lines = (["[LightGBM] [Info] Number of positive: 500, number of negative: 500",
              "Training until validation scores don't improve for 5 rounds"]
             + [f"[{i + 1}]\ttraining's binary_logloss: {TR[i]:.6f}\tvalid_1's binary_logloss: {VA[i]:.6f}" for i in range(N)]
             + ["Early stopping, best iteration is:", f"[35]\ttraining's binary_logloss: {TR[34]:.6f}\tvalid_1's binary_logloss: {VA[34]:.6f}"])
    run = _one(_write(tmp_path, "train.log", lines))
    assert len(run.get(VAL_LOSS)) == N  # the echo of round 35 is not a 41st point
    assert any("repeating an earlier round" in n for n in run.notes)


def test_lightgbm_one_validation_set_only(tmp_path):
    run = _one(_write(tmp_path, "lgb.txt", [f"[{i + 1}]\tvalid_0's multi_logloss: {VA[i]:.6f}" for i in range(N)]))
    assert list(run.series) == [VAL_LOSS]


def test_catboost_learn_and_test(tmp_path):
    lines = [f"{i}:\tlearn: {TR[i]:.7f}\ttest: {VA[i]:.7f}\tbest: {min(VA[:i + 1]):.7f} ({i})\ttotal: {5 * i}ms\tremaining: 1s"
             for i in range(N)] + ["", "bestTest = 0.2", "bestIteration = 39"]
    run = _one(_write(tmp_path, "catboost_training.txt", lines))
    assert np.allclose(run.get(TRAIN_LOSS).y, TR, atol=1e-6) and np.allclose(run.get(VAL_LOSS).y, VA, atol=1e-6)


def test_catboost_auc_is_refused_with_the_reason(tmp_path):
    lines = [f"{i}:\tlearn: {1 - TR[i]:.7f}\ttest: {1 - VA[i]:.7f}\tbest: {max(1 - v for v in VA[:i + 1]):.7f} ({i})\t"
             f"total: 5ms\tremaining: 1s" for i in range(N)]
    with pytest.raises(LogFormatError, match="higher-is-better metric"):
        load_path(_write(tmp_path, "auc.txt", lines))


def test_appended_trainings_split_into_runs(tmp_path):
    lines = [f"[{i}]\ttrain-rmse:{TR[i]:.5f}\ttest-rmse:{VA[i]:.5f}" for i in range(N)] * 2
    runs = load_path(_write(tmp_path, "cv.txt", lines))
    assert len(runs) == 2 and all(r.format == "boosting_log" for r in runs)


def test_a_real_json_array_is_still_json(tmp_path):
    path = _write(tmp_path, "losses.json", ["[0.9, 0.7, 0.5, 0.42, 0.4]"])
    assert load_path(path)[0].format != "boosting_log"
