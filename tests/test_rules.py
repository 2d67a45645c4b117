"""The rules tell the inverted-gap causes apart exactly as issue 3 asks, and attribute spikes."""

from __future__ import annotations

import numpy as np
import pytest

from test_diagnose_support import decay, epoch_run
from trueloss_dash.diagnose import diagnose
from trueloss_dash.run import Run, RunContext, Series


def _gap_run(*, true_factor=None, context=None, n=30, reported_factor=1.4, **extra):
    val = decay(n, 1.5, 0.3)
    series = {"train_loss": val * reported_factor, "val_loss": val}
    if true_factor is not None:
        series["true_train_loss"] = val * true_factor
    series.update(extra)
    return epoch_run(context=context or RunContext(), **series)


# --- with the true training loss ------------------------------------------------------------------


def test_true_above_val_is_data_mismatch_whatever_the_context_says():
    rep = diagnose(_gap_run(true_factor=1.25, context=RunContext(dropout=0.5, augmentation=True)))
    assert rep.causes[0].id == "data_mismatch" and rep.causes[0].score >= 0.85
    assert not rep.healthy
    assert next(f for f in rep.findings if f.kind == "inverted_gap").severity == "warning"


@pytest.mark.parametrize("ctx, cause", [(RunContext(dropout=0.5), "dropout"),
                                        (RunContext(penalty_in_loss=True), "weight_penalty"),
                                        (RunContext(augmentation=True), "augmentation")])
def test_true_below_val_ranks_training_time_effects_by_context(ctx, cause):
    rep = diagnose(_gap_run(true_factor=0.9, context=ctx))
    assert rep.causes[0].id == cause
    assert rep.healthy and "not a problem" in rep.verdict
    assert "data_mismatch" not in rep.cause_ids()


def test_true_below_val_with_fading_offset_is_averaging_lag():
    n = 30
    val = decay(n, 2.0, 0.3, tau=4)
    reported = decay(n, 2.0, 0.3, tau=4, shift=1.0)  # the loss one epoch earlier: lag, fading as it flattens
    rep = diagnose(epoch_run(train_loss=reported, val_loss=val, true_train_loss=val * 0.98))
    assert rep.causes[0].id == "epoch_averaging_lag"


def test_weight_decay_outside_the_loss_is_not_a_penalty_cause():
    rep = diagnose(_gap_run(true_factor=0.9, context=RunContext(weight_decay=1e-2, penalty_in_loss=False, dropout=0.3)))
    assert rep.causes[0].id == "dropout" and "weight_penalty" not in rep.cause_ids()


# --- without it --------------------------------------------------------------------------------------


def test_half_epoch_shift_explains_early_inversion_as_lag():
    n = 30
    val = decay(n, 2.0, 0.3, tau=3)
    reported = decay(n, 2.0, 0.3, tau=3, shift=0.5)  # reported(e) = val(e - 1/2)
    rep = diagnose(epoch_run(train_loss=reported, val_loss=val))
    gap = next(f for f in rep.findings if f.kind == "inverted_gap")
    assert gap.metrics["early_only"] and gap.metrics["lag_explains"]
    assert rep.causes[0].id == "epoch_averaging_lag" and rep.healthy
    assert any("true training loss" in e for e in rep.causes[0].evidence)


def test_gap_at_step_zero_is_data_mismatch():
    n = 5000
    step = np.arange(n, dtype=float)
    tr = decay(n, 2.3, 0.5, tau=800)
    vs = np.arange(0, n, 500, dtype=float)
    val = tr[vs.astype(int)] * 0.6  # already lower before any learning
    run = Run("s", {"train_loss": Series("train_loss", tr, step=step), "val_loss": Series("val_loss", val, step=vs)})
    rep = diagnose(run)
    assert rep.causes[0].id == "data_mismatch" and not rep.healthy


def test_persistent_inversion_with_context_ruling_out_regularization_is_mismatch():
    ctx = RunContext(dropout=0.0, penalty_in_loss=False, augmentation=False, batchnorm=False)
    rep = diagnose(_gap_run(context=ctx))
    assert rep.causes[0].id == "data_mismatch"


def test_persistent_inversion_without_context_is_regularization_at_low_confidence():
    rep = diagnose(_gap_run())
    top = rep.causes[0]
    assert top.id == "dropout" and top.score < 0.6
    assert "data_mismatch" in rep.cause_ids()  # still listed: only a measurement settles it
    assert rep.healthy


# --- the trainer's gap decomposition ---------------------------------------------------------------


@pytest.mark.parametrize("term, cause", [("gap_penalty", "weight_penalty"), ("gap_augmentation", "augmentation"),
                                         ("gap_train_mode", "dropout"), ("gap_averaging_lag", "epoch_averaging_lag"),
                                         ("gap_generalization", "data_mismatch")])
def test_largest_decomposition_term_names_the_cause(term, cause):
    n = 20
    val = decay(n, 1.5, 0.3)
    terms = {t: np.full(n, 0.02) for t in ("gap_penalty", "gap_averaging_lag", "gap_train_mode", "gap_augmentation")}
    terms["gap_generalization"] = np.full(n, -0.05)
    terms[term] = np.full(n, 0.4)
    reported = val + sum(terms.values())
    true = val + terms["gap_generalization"]
    rep = diagnose(epoch_run(train_loss=reported, val_loss=val, true_train_loss=true, **terms))
    assert rep.causes[0].id == cause and rep.causes[0].score >= 0.8
    assert "decomposition" in rep.causes[0].evidence[0]


# --- spikes ----------------------------------------------------------------------------------------------


def test_spike_after_lr_increase_is_overshoot_with_the_numbers():
    tr = decay(40)
    tr[21] *= 3
    lr = np.full(40, 1e-3)
    lr[20:23] = 3e-2
    rep = diagnose(epoch_run(train_loss=tr, val_loss=decay(40, 2.1, 0.4), lr=lr))
    top = rep.causes[0]
    assert top.id == "lr_overshoot" and top.score >= 0.85
    assert any("\u00d730" in e for e in top.evidence)  # the shared formatter writes ratios as ×30


def test_val_only_spikes_with_batchnorm_and_small_batch():
    val = decay(40, 2.1, 0.4)
    val[[12, 25, 33]] *= 1.8
    ctx = RunContext(batchnorm=True, batch_size=4)
    rep = diagnose(epoch_run(train_loss=decay(40), val_loss=val, context=ctx))
    assert rep.causes[0].id == "batchnorm_instability" and rep.causes[0].score >= 0.8
    # the same curves without batch norm: low confidence
    rep2 = diagnose(epoch_run(train_loss=decay(40), val_loss=val, context=RunContext(batchnorm=False)))
    assert rep2.cause("batchnorm_instability") is None or rep2.cause("batchnorm_instability").score < 0.3


def test_metric_disagreement_is_overconfidence_not_just_overfitting():
    val = np.concatenate([decay(15, 1.0, 0.4, tau=4), 0.4 * np.geomspace(1.02, 1.6, 15)])
    rep = diagnose(epoch_run(train_loss=decay(30, 1, 0.05), val_loss=val, val_acc=np.linspace(0.6, 0.9, 30)))
    assert rep.cause_ids()[:2] == ["overconfidence", "overfitting"] or rep.cause_ids()[:2] == ["overfitting", "overconfidence"]


def test_a_context_that_rules_out_dropout_leaves_augmentation_possible():
    """Lightning hparams say dropout 0 and nothing about augmentation: unknown is not absent, so a
    persistent inverted gap still names augmentation (and says what the context ruled out)."""
    rep = diagnose(_gap_run(context=RunContext(dropout=0.0)))
    assert "dropout" not in rep.cause_ids() and "augmentation" in rep.cause_ids()[:2]
    aug = rep.cause("augmentation")
    assert any("rules out dropout" in e for e in aug.evidence)
