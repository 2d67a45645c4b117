"""Issue 9, round 9: the two finding kinds that generalised worst (erratic validation, level shift).

Each mechanism on generated curves (both sides: caught, and the healthy look-alike left alone) and,
where a real dev file shows it, on that file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from test_diagnose_support import epoch_run
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _run(**curves):
    return epoch_run("generated", first_epoch=1, **curves)


def _erratic(rep):
    return [f for f in rep.findings if f.kind == "erratic_validation"]


def _alarms(rep) -> list[str]:
    return [f"{f.kind}: {f.summary}" for f in rep.findings if f.severity in ("warning", "critical")]


# --- erratic validation: 'near convergence' is measured from where training started -----------------


def _wild_first_eval(jumps: bool, floor: float = 0.3):
    n = 26
    t = np.arange(n)
    train = 4.0 * np.exp(-t / 6) + floor
    val = 3.6 * np.exp(-t / 6.5) + floor * 1.15
    val[0] = 300.0  # an untrained model's first evaluation, x75 the training loss
    if jumps:
        val[[9, 15, 21]] *= 2.0  # up x2 and back, three times, training smooth
    return train, val


def test_jumps_after_a_wild_first_evaluation_are_not_excused_as_convergence_noise():
    # before: 'start' was the median of validation's first points (300 and 14): every later jump sat
    # at < 5% of it and was taken for the noise of a converged loss
    train, val = _wild_first_eval(jumps=True)
    rep = diagnose(_run(train_loss=train, val_loss=val))
    found = _erratic(rep)
    assert found and found[0].metrics["jumps"] >= 2, [f.summary for f in rep.findings]


def test_a_wild_first_evaluation_alone_is_not_erratic():
    train, val = _wild_first_eval(jumps=False)
    rng = np.random.default_rng(5)
    val = val * np.exp(rng.normal(0, 0.03, len(val)))
    rep = diagnose(_run(train_loss=train, val_loss=val))
    assert not _erratic(rep) and not _alarms(rep), _alarms(rep)


def test_jumps_of_a_loss_converged_far_below_the_training_start_stay_convergence_noise():
    # the guard itself still holds: validation at ~1% of where training started, +40% bumps
    n = 40
    t = np.arange(n)
    train = 2.0 * np.exp(-t / 3) + 0.01
    val = 1.9 * np.exp(-t / 3.2) + 0.02
    val[[20, 28, 35]] *= 1.4
    rep = diagnose(_run(train_loss=train, val_loss=val))
    assert not [f for f in _erratic(rep) if f.severity != "info"], _alarms(rep)


def test_real_keras_log_with_a_wild_first_validation_is_erratic():
    # Balupurohit23: validation 620 at epoch 0 beside a training loss of 5.4; later x1.5-2.7 jumps
    # (0.66 -> 1.21 -> 0.53, 0.39 -> 1.07 -> 0.52) while training falls smoothly
    run = load_path(CORPUS / "Balupurohit23__Book-genre-prediction-by-cover" / "train.log")[0]
    rep = diagnose(run)
    found = _erratic(rep)
    assert found and found[0].metrics["jumps"] >= 2, [f.summary for f in rep.findings]
    assert rep.causes and "batchnorm_instability" in [c.id for c in rep.causes[:2]]


# --- erratic validation: a training loss that fell at every evaluation showed no noise ------------


_STEEP = np.array([2.0, 1.9, 1.2, 0.5, 0.45, 0.2, 0.05, 0.04, 0.01, 0.008, 0.007, 0.0065])  # x300, uneven pace


def test_jumps_beside_a_steep_uneven_but_monotone_training_loss_are_erratic():
    # before: the changing pace of the descent read as ~40% roughness, so validation's x1.8 jumps had
    # to clear 3x validation's own bounce as if training were noisy
    val = 0.9 * _STEEP + 0.3
    val[[4, 8]] *= 1.8
    rep = diagnose(_run(train_loss=_STEEP, val_loss=val))
    found = _erratic(rep)
    assert found and found[0].metrics["jumps"] == 2, [f.summary for f in rep.findings]
    assert found[0].metrics["train_roughness"] < 0.05


def test_a_steep_monotone_training_loss_beside_a_quiet_validation_is_not_erratic():
    rng = np.random.default_rng(2)
    val = (0.9 * _STEEP + 0.3) * np.exp(rng.normal(0, 0.03, len(_STEEP)))
    rep = diagnose(_run(train_loss=_STEEP, val_loss=val))
    assert not _erratic(rep) and not _alarms(rep), _alarms(rep)


def test_a_training_loss_that_rose_once_keeps_its_measured_roughness():
    # one rise (x1.3 at epoch 6) is training noise: no floor, the rough-training guards apply
    train = _STEEP.copy()
    train[5] = 0.65
    val = 0.9 * train + 0.3
    val[[4, 8]] *= 1.8
    found = _erratic(diagnose(_run(train_loss=train, val_loss=val)))
    assert not found or found[0].metrics["train_roughness"] > 0.05


def test_real_resnet_log_with_a_monotone_training_loss_is_erratic():
    # 1uf3n: ResNet-50 (batch norm), 64 validation images; training 1.45 -> 0.00057 falling at every
    # epoch, validation 1.56, 9.49, 7.58, 1.52, 0.86, 1.33, 1.04 ... (accuracy flipping between class shares)
    run = load_path(CORPUS / "1uf3n__Galaxy-Morphology-and-Simulation-Bias-Analysis-Research" / "training.log")[0]
    rep = diagnose(run)
    assert _erratic(rep), [f.summary for f in rep.findings]
    assert {"batchnorm_instability", "eval_noise"} & {c.id for c in rep.causes[:2]}


# --- erratic validation: a warning needs a jump beyond what validation's own noise produces -------


def _noisy_val(seed: int, sigma: float, n: int = 30):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 1.8 * np.exp(-t / 6) + 0.3, (1.6 * np.exp(-t / 6.5) + 0.36) * np.exp(rng.normal(0, sigma, n))


def test_the_largest_bounce_of_pure_noise_validation_is_info():
    # +-15% Gaussian validation noise: over 30 points its largest up-and-back excursion is 3.4x its
    # robust scale here (> 3 in ~10% of such curves) - the usual bounce of a small validation set
    train, val = _noisy_val(3, 0.15)
    rep = diagnose(_run(train_loss=train, val_loss=val))
    found = _erratic(rep)
    assert found and found[0].severity == "info", [f"{f.kind}:{f.severity}" for f in rep.findings]
    assert not _alarms(rep), _alarms(rep)


def test_jumps_far_beyond_validations_own_noise_stay_a_warning():
    train, val = _noisy_val(3, 0.03)
    val[[8, 15, 22]] *= 2.5
    found = _erratic(diagnose(_run(train_loss=train, val_loss=val)))
    assert found and found[0].severity == "warning"


def test_real_healthy_resnet_with_a_bouncing_validation_is_not_alarmed():
    # Eric-Ristol: a healthy 80-epoch ResNet whose validation bounces (labelled healthy; erratic
    # validation acceptable as a note): the jumps are within what its own noise produces
    rep = diagnose(load_path(CORPUS / "Eric-Ristol__resnet-from-scratch" / "history.json")[0])
    assert [f.severity for f in _erratic(rep)] == ["info"], [f"{f.kind}:{f.severity}" for f in rep.findings]
    assert not _alarms(rep), _alarms(rep)


# --- level shift: validation followed when it gained the same loss, not the same factor -----------

GENERATED = Path(__file__).resolve().parent / "data" / "generated"


def _shift(val_jump: float):
    """Training converged near 0.012, validation on a gap near 0.10; at epoch 15 training gains +0.07
    and stays; validation gains ``val_jump`` (loss units)."""
    n = 22
    t = np.arange(n)
    train = 2.0 * np.exp(-t / 2.5) + 0.012
    val = 1.8 * np.exp(-t / 2.7) + 0.10
    train[14:] += 0.07
    val[14:] += val_jump
    return train, val


def _shifts(rep, series="train_loss"):
    return [f for f in rep.findings if f.kind == "level_shift" and f.series == series]


def test_a_jump_both_losses_make_by_the_same_amount_is_a_shift_of_the_model():
    # before: validation x1.7 against training x7 read as 'validation did not follow' - a changed
    # training loss (info, data/pipeline change); both gained +0.07: the model got worse
    train, val = _shift(0.07)
    rep = diagnose(_run(train_loss=train, val_loss=val))
    found = _shifts(rep)
    assert found and found[0].metrics.get("validation_followed") is not False, [f.summary for f in rep.findings]
    assert found[0].severity == "warning"
    assert "lr_overshoot" in [c.id for c in rep.causes[:2]]


def test_a_training_jump_validation_barely_shares_is_still_a_changed_training_loss():
    # validation +0.005 (x1.05): the training loss changed (a new term, other data), not the model
    train, val = _shift(0.005)
    rep = diagnose(_run(train_loss=train, val_loss=val))
    found = _shifts(rep)
    assert found and found[0].metrics.get("validation_followed") is False
    assert found[0].severity == "info"


def test_generated_warmup_overshoot_run_names_the_lr():
    # dev-61128 (extra dev-range run, AdamW warm-up to 0.014): training 0.018 -> 0.091, validation
    # 0.104 -> 0.176 at epoch 17, both staying up
    rep = diagnose(load_path(GENERATED / "warmup_overshoot" / "dev-61128" / "log.csv")[0])
    found = _shifts(rep)
    assert found and found[0].severity == "warning", [f.summary for f in rep.findings]
    assert "lr_overshoot" in [c.id for c in rep.causes[:2]]


# --- erratic validation is not overfitting because its last point sits on a jump ------------------


def _bn_like(overfit: bool):
    n = 14
    t = np.arange(n)
    train = 1.9 * np.exp(-t / 5) + 0.4  # smooth, falling throughout
    val = 1.7 * np.exp(-t / 4) + 0.6
    if overfit:
        val[7:] *= np.exp(0.15 * np.arange(1, n - 6))  # the model itself gets worse: x2.9 by the end
    val[[5, 8, 11, 13]] *= np.array([3.0, 2.5, 4.0, 3.5])  # batch-norm jumps, the last point one of them
    return train, val


def test_erratic_validation_whose_last_point_is_a_jump_is_not_overfitting():
    # issue 9 case 2: 'Overfitting (90%)' because the last point happens to sit above the minimum
    train, val = _bn_like(overfit=False)
    rep = diagnose(_run(train_loss=train, val_loss=val))
    assert _erratic(rep) and not [f for f in rep.findings if f.kind == "overfitting"], [f"{f.kind}:{f.severity}" for f in rep.findings]
    assert rep.causes[0].id in ("batchnorm_instability", "eval_noise")


def test_erratic_validation_over_a_model_that_does_overfit_still_shows_the_overfitting():
    train, val = _bn_like(overfit=True)
    rep = diagnose(_run(train_loss=train, val_loss=val))
    assert _erratic(rep) and [f for f in rep.findings if f.kind == "overfitting"], [f"{f.kind}:{f.severity}" for f in rep.findings]


def test_real_batchnorm_audio_cnn_is_erratic_not_overfitting():
    # Jannik-m12 baseline: BatchNorm CNN, training falls smoothly every epoch, validation jumps
    # 2.4 -> 6.8 -> 2.6; its lows do not rise
    rep = diagnose(load_path(CORPUS / "Jannik-m12__whale-call-classifier" / "baseline_training_log.csv")[0])
    assert _erratic(rep) and not [f for f in rep.findings if f.kind == "overfitting"], [f"{f.kind}:{f.severity}" for f in rep.findings]
    assert rep.causes[0].id in ("batchnorm_instability", "eval_noise")


# --- level shift: both curves jump at the same evaluation early in the descent and never get back --


def test_an_early_joint_jump_that_never_recovers_is_a_level_shift():
    # a warm-up peak at epoch 4 of 12: both curves jump x1.7 from their best and stay there (+-2-3%
    # noise); before, the rolling-median trend had no pre-jump level (one low point) and nothing was found
    rng = np.random.default_rng(4)
    t = np.arange(12)
    train = (1.6 * np.exp(-t / 0.6) + 0.5) * np.where(t >= 3, 1.7, 1.0) * np.exp(rng.normal(0, 0.02, 12))
    val = (1.5 * np.exp(-t / 0.65) + 0.6) * np.where(t >= 3, 1.7, 1.0) * np.exp(rng.normal(0, 0.03, 12))
    rep = diagnose(_run(train_loss=train, val_loss=val))
    found = [f for f in rep.findings if f.kind == "level_shift"]
    assert found and found[0].metrics.get("joint") and found[0].severity == "warning", [f.summary for f in rep.findings]
    assert "lr_overshoot" in [c.id for c in rep.causes[:2]]


def test_a_lucky_low_before_a_shared_bounce_is_no_joint_level_shift():
    # converged, train and validation sharing +-10% per-epoch noise (the model's state that epoch):
    # a lucky low then the usual level is no jump of 4 noise units
    rng = np.random.default_rng(11)
    n = 60
    t = np.arange(n)
    common = rng.normal(0, 0.1, n)
    train = (1.5 * np.exp(-t / 5) + 0.1) * np.exp(common + rng.normal(0, 0.01, n))
    val = (1.4 * np.exp(-t / 5.5) + 0.13) * np.exp(common + rng.normal(0, 0.05, n))
    train[40], val[40] = train[40] * 0.75, val[40] * 0.75  # a lucky low in both
    rep = diagnose(_run(train_loss=train, val_loss=val))
    assert not [f for f in rep.findings if f.kind == "level_shift" and f.metrics.get("joint")]


def test_the_first_step_of_a_steady_climb_is_no_joint_jump():
    n = 20
    t = np.arange(n)
    train = 1.5 * np.exp(-t / 2) + 0.01
    val = 1.4 * np.exp(-t / 2.2) + 0.012
    train[12:] *= np.exp(0.2 * np.arange(1, n - 11))  # both climb steadily from epoch 13
    val[12:] *= np.exp(0.2 * np.arange(1, n - 11))
    rep = diagnose(_run(train_loss=train, val_loss=val))
    assert not [f for f in rep.findings if f.kind == "level_shift" and f.metrics.get("joint")]
