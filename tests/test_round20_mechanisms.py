"""Round-20 mechanisms (stop 23). A binary classifier stuck at chance prints ln 2 = 0.693 give or take a
little, not to four digits: a training loss pinned within 1% of ln 2 over its second half is 'a uniform
guess', not 'LR too low'; a noisy loss whose median merely passes 0.69 is not. A log of the validation
loss alone still gets the plateau check."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from test_diagnose_support import epoch_run
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _underfit(rep):
    return [f for f in rep.findings if f.kind == "underfitting"]


def test_real_stock_classifier_at_ln2_is_a_uniform_guess():
    """LE-WH (dev, underfitting): 0.6938 -> 0.6888 over 50 epochs. Before: 'Plateau ... Possible cause:
    Learning rate too low (20%)' and no underfitting finding."""
    run = load_path(CORPUS / "LE-WH__LSTM-Attention-in-Stock" / "train_log.txt")[-1]
    found = _underfit(diagnose(run))
    assert found and found[0].severity == "warning" and "ln 2" in found[0].summary


def test_noisy_loss_whose_median_passes_ln2_is_not_at_chance():
    """josephdutoit (dev, healthy): single-batch regression losses 0.22-1.29, median ~0.69."""
    run = load_path(CORPUS / "josephdutoit__generalized-aliasing" / "metrics.csv")[0]
    assert not any(f.severity == "warning" for f in _underfit(diagnose(run)))


def test_generated_flat_binary_loss_and_noisy_one():
    rng = np.random.default_rng(0)
    pinned = np.log(2) * (1 + 0.003 * rng.standard_normal(40))
    assert any("ln 2" in f.summary for f in _underfit(diagnose(epoch_run(train_loss=pinned))))
    noisy = np.log(2) * np.exp(0.4 * rng.standard_normal(40))
    assert not any("ln 2" in f.summary for f in _underfit(diagnose(epoch_run(train_loss=noisy))))


def test_a_validation_only_log_that_never_fell_is_a_plateau():
    """benjaminsinzore (dev): a LoRA fine-tune that logs only its validation loss, 11.8649 -> 11.8565 over 10
    epochs. Before: 'No problems found: 5 checks passed, 6 not applicable' - the plateau check needed a
    training loss."""
    import glob

    run = load_path(glob.glob(str(CORPUS / "benjaminsinzore__streaming_gpu" / "*"))[0])[0]
    found = [f for f in diagnose(run).findings if f.kind == "plateau"]
    assert found and found[0].severity == "warning" and found[0].series == "val_loss"


def test_a_validation_only_log_that_converged_stays_quiet():
    y = 0.4 + 2.0 * np.exp(-np.arange(30) / 4.0)
    rep = diagnose(epoch_run(val_loss=y))
    assert not [f for f in rep.findings if f.severity in ("warning", "critical")]
