"""Issue 9, second round of real dev failures: the mechanisms behind them, each on the real file
and on generated runs that stand for the healthy side (stays quiet) and the faulty side (still
called)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from test_diagnose_support import epoch_run
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.run import Run

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _diag(rel: str):
    run, = load_path(CORPUS / rel)
    return diagnose(run)


def _alarms(rep) -> list[str]:
    return [f"{f.kind}: {f.summary}" for f in rep.findings if f.severity in ("warning", "critical")]


def _run(**curves) -> Run:
    """Epoch-level curves, epochs numbered from 1."""
    return epoch_run("generated", first_epoch=1, **curves)


# --- overfitting: validation noise that grows as the loss falls ----------------------------------

def test_noisy_small_validation_set_wandering_after_convergence_is_not_overfitting():
    rep = _diag("JosephHuang913__mmAlphabet-Air-Writing-Alphabet-Recognition-System/train_history.csv")
    assert not any(f.kind == "overfitting" and f.severity != "info" for f in rep.findings), _alarms(rep)
    check = next(c for c in rep.checks if c["id"] == "overfitting")
    assert "noise" in check["detail"]


SIGMA_LATE = 0.15


def _heteroscedastic_val(seed: int, late_rise: float) -> Run:
    rng = np.random.default_rng(seed)
    n = 130
    e = np.arange(n)
    train = 3.0 * np.exp(-e / 25) + 0.1 + 0.02 * rng.standard_normal(n) * np.exp(-e / 60)
    level = 3.0 * np.exp(-e / 20) + 0.09
    level = level * np.exp(late_rise * np.clip((e - 90) / 40, 0, 1))
    sigma = 0.03 + SIGMA_LATE * np.clip((e - 40) / 40, 0, 1)  # a few validation batches: noisier at a low loss
    # a few validation batches: a bad batch lifts the loss, nothing lowers it below the level much
    val = level * np.exp(sigma * np.abs(rng.standard_normal(n)))
    return _run(train_loss=train, val_loss=val)


def test_generated_validation_that_only_gets_noisier_stays_quiet():
    for seed in range(8):
        rep = diagnose(_heteroscedastic_val(seed, late_rise=0.0))
        assert not any(f.kind == "overfitting" and f.severity != "info" for f in rep.findings), (seed, _alarms(rep))


def test_generated_validation_that_rises_well_beyond_that_noise_is_still_overfitting():
    called = [any(f.kind == "overfitting" and f.severity == "warning" for f in diagnose(_heteroscedastic_val(s, 0.6)).findings)
              for s in range(8)]
    assert sum(called) >= 7, called


# --- oscillation: evaluation bookkeeping is not a validation metric ------------------------------

def test_hf_fine_tune_with_a_slower_evaluation_is_not_lr_too_high():
    rep = _diag("selvxhini-10__Finetuned-Sentiment-Analysis/trainer_state.json")
    assert rep.healthy, _alarms(rep)
    assert not any(c.id == "lr_too_high" for c in rep.causes)


def _bouncing_fine_tune(seed: int, **extra) -> Run:
    rng = np.random.default_rng(seed)
    n = 120
    t = np.arange(n)
    train = (0.3 + 0.4 * np.exp(-t / 5)) * np.exp(0.12 * rng.standard_normal(n))  # 50-step means of a small batch
    val = (0.29 + 0.38 * np.exp(-t / 4)) * np.exp(0.01 * rng.standard_normal(n))
    return _run(train_loss=train, val_loss=val, **{k: v(t, rng) for k, v in extra.items()})


def test_generated_fine_tune_with_rising_eval_runtime_stays_quiet():
    for seed in range(4):
        rep = diagnose(_bouncing_fine_tune(
            seed, eval_runtime=lambda t, rng: 20 + 0.05 * t + rng.standard_normal(len(t)),
            eval_samples_per_second=lambda t, rng: 900 - 2 * t + rng.standard_normal(len(t))))
        assert not any(f.kind == "oscillation" and f.severity != "info" for f in rep.findings), (seed, _alarms(rep))


def test_generated_fine_tune_whose_validation_accuracy_falls_still_warns():
    warned = 0
    for seed in range(4):
        rep = diagnose(_bouncing_fine_tune(
            seed, eval_accuracy=lambda t, rng: 0.9 - 0.002 * t + 0.003 * rng.standard_normal(len(t))))
        warned += any(f.kind == "oscillation" and f.severity == "warning" for f in rep.findings)
    assert warned >= 3


# --- erratic validation: jumps back to the start level are not convergence noise -----------------

def test_tiny_validation_set_jumping_back_to_its_start_is_erratic_validation_from_eval_noise():
    rep = _diag("vraj590__chest-xray-classifier/training_log.csv")
    erratic = [f for f in rep.findings if f.kind == "erratic_validation"]
    assert erratic and erratic[0].severity == "warning" and erratic[0].metrics["jumps"] == 3
    assert not any(f.kind == "spike" for f in rep.findings)  # repeated jumps are one erratic finding
    assert rep.causes[0].id == "eval_noise" and rep.causes[0].basis == "measured"
    assert any("steps of 1/8" in e for e in rep.causes[0].evidence)


def _settled_validation(seed: int, peaks: dict[int, float]) -> Run:
    rng = np.random.default_rng(seed)
    n = 14
    e = np.arange(n)
    train = 0.5 * np.exp(-e / 4) * np.exp(0.01 * rng.standard_normal(n))
    sigma = np.where(e >= 8, 0.3, 0.03)  # a few examples: +-30% once validation is below ~5% of its start
    val = 0.45 * np.exp(-e / 2.5) * np.exp(sigma * rng.standard_normal(n))
    for at, level in peaks.items():
        val[at] = level
    return _run(train_loss=train, val_loss=val)


def test_generated_wiggles_near_convergence_stay_quiet():
    for seed in range(6):
        rep = diagnose(_settled_validation(seed, {}))
        assert not any(f.kind == "erratic_validation" for f in rep.findings), (seed, _alarms(rep))


def test_generated_jumps_back_to_the_start_level_near_convergence_are_erratic():
    for seed in range(6):
        rep = diagnose(_settled_validation(seed, {9: 0.4, 12: 1.5}))
        assert any(f.kind == "erratic_validation" for f in rep.findings), (seed, [f.kind for f in rep.findings])


def test_validation_set_size_read_from_the_accuracy_steps():
    from trueloss_dash.diagnose.rules.instability import validation_set_size
    from trueloss_dash.diagnose.view import RunView

    def size(acc):
        run = _run(train_loss=np.linspace(1, 0.1, len(acc)), val_loss=np.linspace(1, 0.2, len(acc)), val_acc=acc)
        return validation_set_size(RunView.of(run, None))

    assert size(np.array([0.75, 0.875, 0.875, 0.625, 1.0, 1.0], dtype=np.float32)) == 8
    assert size([62.5, 87.5, 100.0, 75.0]) == 8  # percent
    assert size([0.9123, 0.9311, 0.9402, 0.9388, 0.9415]) is None  # thousands of examples
    assert size([1.0, 1.0, 1.0, 1.0]) is None  # one value says nothing


# --- spikes: a jump both losses make at the same point -------------------------------------------

def test_training_and_validation_jumping_together_is_a_spike():
    rep = _diag("SriHarshaBoyina__vehicle-classification/training_log.csv")
    spikes = [f for f in rep.findings if f.kind == "spike"]
    assert {f.series for f in spikes} == {"train_loss", "val_loss"}
    assert all(f.metrics["joint"] and f.metrics["peak_x"] == 16 for f in spikes)


def _rough_fine_tune(seed: int, jump_at: int | None) -> Run:
    rng = np.random.default_rng(seed)
    n = 20
    e = np.arange(n)
    train = (0.6 * np.exp(-e / 3) + 0.02) * np.exp(0.2 * rng.standard_normal(n))  # rough, like a small fine-tune
    val = (1.4 * np.exp(-e / 3) + 0.5) * np.exp(0.08 * rng.standard_normal(n))
    if jump_at is not None:
        train[jump_at] *= 2.6
        val[jump_at] *= 1.7
    return _run(train_loss=train, val_loss=val)


def test_generated_rough_runs_without_a_shared_jump_get_no_joint_spike():
    for seed in range(20):
        rep = diagnose(_rough_fine_tune(seed, None))
        assert not any(f.kind == "spike" and f.metrics.get("joint") for f in rep.findings), seed
        assert not any(f.kind == "spike" and f.severity != "info" for f in rep.findings), (seed, _alarms(rep))


def test_generated_shared_jump_is_found():
    found = sum(any(f.kind == "spike" for f in diagnose(_rough_fine_tune(seed, 15)).findings) for seed in range(10))
    assert found >= 8, found


# --- spike severity follows consequence -----------------------------------------------------------

def test_one_validation_evaluation_off_and_back_at_the_next_is_info():
    rep = _diag("DomenicoVillari3__Remote-sensing-satellite-/training_metrics.csv")
    spikes = [f for f in rep.findings if f.kind == "spike" and f.series == "val_loss"]
    assert spikes and all(f.severity == "info" for f in spikes)
    assert rep.healthy, _alarms(rep)


def test_a_tiny_converged_loss_doubling_for_one_log_is_info():
    rep = _diag("SaiSwarna__ML-NLP-Project/trainer_state.json")
    assert rep.healthy, _alarms(rep)


def _converging(n=60, seed=0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    e = np.arange(n)
    train = (2.0 * np.exp(-e / 10) + 0.3) * np.exp(0.01 * rng.standard_normal(n))
    val = (2.0 * np.exp(-e / 10) + 0.35) * np.exp(0.01 * rng.standard_normal(n))
    return train, val


def test_generated_validation_spikes_warn_only_when_they_stay():
    train, val = _converging()
    one = val.copy()
    one[40] *= 2.5
    f = [f for f in diagnose(_run(train_loss=train, val_loss=one)).findings if f.kind == "spike"]
    assert f and f[0].severity == "info"
    stays = val.copy()
    stays[40:43] *= 2.5  # three evaluations up: the run lost epochs of progress
    rep = diagnose(_run(train_loss=train, val_loss=stays))
    assert any(f.kind in ("spike", "level_shift") and f.severity == "warning" for f in rep.findings), _alarms(rep)


def test_generated_training_spike_keeps_its_ratio_rule_above_a_tiny_level():
    train, val = _converging()
    tr = train.copy()
    tr[40] *= 2.5  # at ~17% of its start: a x2.5 jump threatens the run
    assert any(f.kind == "spike" and f.series == "train_loss" and f.severity == "warning"
               for f in diagnose(_run(train_loss=tr, val_loss=val)).findings)
    tiny = 13.6 * np.exp(-np.arange(60) / 6) + 0.004  # a fine-tune down to 0.03% of its start
    tiny = tiny * np.exp(0.1 * np.random.default_rng(1).standard_normal(60))
    tiny[50] *= 2.3
    rep = diagnose(_run(train_loss=tiny))
    assert not any(f.kind == "spike" and f.severity != "info" for f in rep.findings), _alarms(rep)


# --- underfitting: a model that never fitted its training set -------------------------------------

def test_training_stuck_at_chance_is_underfitting_however_far_validation_jumps():
    rep = _diag("AlisaSujyan__Face_Recognition_and_Emotion_Detection/training_history.csv")
    under = [f for f in rep.findings if f.kind == "underfitting"]
    assert under and under[0].severity == "warning"
    assert rep.causes[0].id == "underfitting"


def _chance_run(seed: int, learns: bool) -> Run:
    rng = np.random.default_rng(seed)
    n = 21
    e = np.arange(n)
    if learns:  # learns its training set, validation far above: not underfitting
        train = 1.95 * np.exp(-e / 8) * np.exp(0.01 * rng.standard_normal(n))
        acc = np.clip(0.14 + 0.8 * (1 - np.exp(-e / 6)), 0, 1)
    else:  # stuck at ln 7 with chance accuracy
        train = 1.97 * np.exp(0.01 * rng.standard_normal(n))
        acc = 0.12 + 0.02 * rng.random(n)
    val = 5.0 * np.exp(0.3 * rng.standard_normal(n))
    return _run(train_loss=train, val_loss=val, train_acc=acc)


def test_generated_runs_stuck_at_chance_are_underfitting():
    for seed in range(4):
        rep = diagnose(_chance_run(seed, learns=False))
        assert any(f.kind == "underfitting" and f.severity == "warning" for f in rep.findings), seed


def test_generated_runs_that_fit_their_training_set_are_not_underfitting():
    for seed in range(4):
        rep = diagnose(_chance_run(seed, learns=True))
        assert not any(f.kind == "underfitting" for f in rep.findings), seed
