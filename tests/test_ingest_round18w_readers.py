"""Round-18 corpusW reader fix, tested on the real corpus files.

Chainer's ``LogReport`` extension (and ESPnet1, built on it) writes ``result/log``: a JSON list of records
``{epoch, iteration, main/loss, validation/main/loss, main/accuracy, ...}``. ``main/loss`` is the loss the
'main' optimizer's model reports - the training loss - and ``validation/main/loss`` is the same loss from
the ``Evaluator`` extension, whose default name 'validation' prefixes every key it reports. Before, only
the validation loss got its role (as "the only validation loss"); ``main/loss`` stayed role-less, so a run
logging training loss alone loaded with no loss role (``DataForces__cv-surveillance/log``) and the others
were diagnosed on validation alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_chainer_logreport_main_loss_is_the_training_loss():
    (run,) = load_path(CORPUS / "1024er__cbert_aug" / "log")
    assert {"train_loss", "val_loss"} <= set(run.series)
    assert "main/loss" not in run.series and "validation/main/loss" not in run.series
    assert len(run.series["train_loss"].y) == 100
    assert np.isclose(run.series["train_loss"].y[0], 0.6562386155128479)
    assert np.isclose(run.series["val_loss"].y[0], 0.6239945292472839)
    assert "test/main/loss" in run.series  # a test-set loss beside validation keeps its own name


def test_chainer_training_only_log_gets_the_training_loss_role():
    (run,) = load_path(CORPUS / "DataForces__cv-surveillance" / "log")
    assert "train_loss" in run.series and "val_loss" not in run.series
    assert len(run.series["train_loss"].y) == 1000
    assert np.isclose(run.series["train_loss"].y[0], 14.449923)
    assert {"main/loss/conf", "main/loss/loc"} <= set(run.series)  # the SSD loss terms stay extra series
