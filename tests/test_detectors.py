"""Each detector on constructed curves: a positive case (the pattern is there and found, with the
right place and numbers) and a negative case (a similar clean curve yields nothing)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_diagnose_support import decay, epoch_run
from trueloss_dash.diagnose import diagnose
from trueloss_dash.diagnose.detectors import detector_for
from trueloss_dash.diagnose.view import RunView
from trueloss_dash.run import Run, RunContext, Series

RNG = np.random.default_rng(0)


def kinds(run):
    return [f.kind for f in diagnose(run).findings]


def detect(kind, run):
    return detector_for(kind)(RunView.of(run)).findings


# --- spike -------------------------------------------------------------------------------------


def test_transient_spike_found_where_it_is_and_recovers():
    tr = decay(40)
    tr[20] *= 3.0
    found = detect("spike", epoch_run(train_loss=tr, val_loss=decay(40, 2.1, 0.35)))
    assert len(found) == 1
    f = found[0]
    assert f.series == "train_loss" and f.start == 20
    assert f.metrics["transient"] is True and f.metrics["recovered_after"] == 1
    assert f.metrics["rise_ratio"] > 2.5


def test_persistent_spike_is_a_level_shift_that_stays():
    tr = decay(60, tau=5)
    tr[30:] *= 2.5
    found = detect("spike", epoch_run(train_loss=tr))
    # a jump that does not come back is reported as what it is: a level shift (here: to the end)
    assert [(f.kind, f.severity, f.metrics["stays_to_end"]) for f in found] == [("level_shift", "warning", True)]
    assert 29 <= found[0].start <= 31
    assert found[0].metrics["from_spike_check"] and 2.0 < found[0].metrics["rise_ratio"] < 3.0


def test_noisy_but_clean_run_has_no_spike():
    noise = np.exp(RNG.normal(0, 0.03, 80))
    assert detect("spike", epoch_run(train_loss=decay(80) * noise, val_loss=decay(80, 2.1, 0.4) * noise[::-1])) == []


def test_step_level_spike_among_minibatch_noise():
    n = 20_000
    step = np.arange(n, dtype=float)
    y = decay(n, tau=3000) * np.exp(RNG.normal(0, 0.2, n))  # minibatch noise
    y[12_000:12_150] *= 6
    run = Run("steps", {"train_loss": Series("train_loss", y, step=step)})
    found = detect("spike", run)
    assert len(found) == 1 and 11_900 <= found[0].start <= 12_200
    # single noisy minibatches are not spikes
    y2 = decay(n, tau=3000) * np.exp(RNG.normal(0, 0.2, n))
    assert detect("spike", Run("s", {"train_loss": Series("train_loss", y2, step=step)})) == []


# --- divergence -----------------------------------------------------------------------------------


def test_nan_in_the_middle_is_divergence_not_a_crash():
    tr = decay(30)
    tr[15:] = np.nan
    rep = diagnose(epoch_run(train_loss=tr, val_loss=decay(30, 2.1, 0.35)))
    div = [f for f in rep.findings if f.kind == "divergence"]
    assert div and div[0].severity == "critical" and div[0].start == 15
    assert not rep.healthy and rep.causes[0].id == "lr_too_high"
    rep.to_json()  # NaN never leaks into JSON


def test_explosion_that_stays_up_is_divergence():
    tr = np.concatenate([decay(20), decay(20)[-1] * np.geomspace(1, 200, 20)])
    assert "divergence" in kinds(epoch_run(train_loss=tr))


def test_val_rising_alone_is_not_divergence():
    val = np.concatenate([decay(15, 1.0, 0.3), np.linspace(0.31, 1.5, 15)])
    assert "divergence" not in kinds(epoch_run(train_loss=decay(30, 1.0, 0.05), val_loss=val))


# --- overfitting ----------------------------------------------------------------------------------


def test_overfitting_onset_and_best_epoch():
    tr = decay(40, 2.0, 0.05, tau=6)
    val = np.concatenate([decay(20, 2.1, 0.5, tau=5), 0.5 + 0.02 * np.arange(1, 21)])
    found = detect("overfitting", epoch_run(train_loss=tr, val_loss=val))
    assert len(found) == 1
    f = found[0]
    assert f.metrics["best_x"] == int(np.argmin(val)) and f.severity == "warning"
    assert f.metrics["generalization_loss"] > 0.5


def test_no_overfitting_when_val_keeps_improving_or_train_stalls():
    assert detect("overfitting", epoch_run(train_loss=decay(40), val_loss=decay(40, 2.1, 0.4))) == []
    val = np.concatenate([decay(20, 2.1, 0.5, tau=5), 0.5 + 0.02 * np.arange(1, 21)])
    flat_train = np.concatenate([decay(20), np.full(20, decay(20)[-1])])
    assert detect("overfitting", epoch_run(train_loss=flat_train, val_loss=val)) == []


# --- inverted gap ------------------------------------------------------------------------------


def test_inverted_gap_measures_where_and_how_much():
    val = decay(30, 1.5, 0.3)
    f = detect("inverted_gap", epoch_run(train_loss=val * 1.4, val_loss=val))[0]
    assert f.metrics["fraction"] == 1.0 and f.metrics["persists_to_end"] is True
    assert f.metrics["max_rel_gap"] == pytest.approx(1 - 1 / 1.4, abs=1e-3)


def test_no_inverted_gap_when_val_above_train():
    assert detect("inverted_gap", epoch_run(train_loss=decay(30), val_loss=decay(30) * 1.2)) == []


def test_step_level_train_is_compared_as_interval_means():
    steps = np.arange(10_000, dtype=float)
    tr = decay(10_000, 2, 0.3, tau=1500) * 1.3
    val_steps = np.arange(999, 10_000, 1000, dtype=float)
    val = decay(10_000, 2, 0.3, tau=1500)[val_steps.astype(int)]
    run = Run("s", {"train_loss": Series("train_loss", tr, step=steps),
                    "val_loss": Series("val_loss", val, step=val_steps)})
    f = detect("inverted_gap", run)[0]
    assert f.x_axis == "step" and f.metrics["points"] == 10


# --- plateau, underfitting, oscillation ----------------------------------------------------------


def test_plateau_from_the_start_is_a_warning_converged_end_is_info():
    flat = 2.3 * np.exp(RNG.normal(0, 0.001, 30))
    f = detect("plateau", epoch_run(train_loss=flat))[0]
    assert f.metrics["from_start"] and f.severity == "warning"
    g = detect("plateau", epoch_run(train_loss=decay(60, tau=4)))[0]
    assert g.metrics["at_end"] and g.severity == "info"
    assert detect("plateau", epoch_run(train_loss=np.geomspace(2, 0.02, 30))) == []


def test_underfitting_high_and_close():
    tr = decay(30, 2.3, 1.8, tau=3)
    f = detect("underfitting", epoch_run(train_loss=tr, val_loss=tr * 1.03))[0]
    assert f.metrics["remaining_fraction"] > 0.7 and not f.metrics["still_improving"]
    assert detect("underfitting", epoch_run(train_loss=decay(30), val_loss=decay(30) * 1.05)) == []


def test_oscillation_bounces_without_trend():
    tr = 1.0 * np.exp(0.25 * (-1.0) ** np.arange(30)) * np.exp(RNG.normal(0, 0.02, 30))
    assert [f.kind for f in detect("oscillation", epoch_run(train_loss=tr))] == ["oscillation"]
    assert detect("oscillation", epoch_run(train_loss=decay(30) * np.exp(RNG.normal(0, 0.01, 30)))) == []


def test_oscillation_ignores_minibatch_noise_at_step_level():
    n = 1500
    y = 1.0 * np.exp(RNG.normal(0, 0.3, n))
    run = Run("s", {"train_loss": Series("train_loss", y, step=np.arange(n, dtype=float))})
    assert detect("oscillation", run) == []


# --- shuffling ------------------------------------------------------------------------------------


def _step_run(per_epoch_pattern: bool, epochs=8, spe=50):
    n = epochs * spe
    step = np.arange(n, dtype=float)
    base = decay(n, 2.0, 0.4, tau=150)
    phase = (np.arange(n) % spe) / spe
    pattern = np.exp(0.4 * np.sin(2 * np.pi * phase)) if per_epoch_pattern else 1.0
    y = base * pattern * np.exp(RNG.normal(0, 0.1, n))
    return Run("s", {"train_loss": Series("train_loss", y, step=step, epoch=np.floor(step / spe))})


def test_shuffling_detects_epoch_periodic_step_loss():
    f = detect("shuffling", _step_run(True))
    assert f and f[0].metrics["steps_per_epoch"] == 50
    assert detect("shuffling", _step_run(False)) == []


def test_shuffling_found_while_the_pattern_fades_as_the_model_learns():
    """Class-sorted batches: the first epochs' pattern is sharp, later ones fade and drift in shape
    (first-half vs second-half profiles correlate poorly); each epoch still repeats the others."""
    epochs, spe = 8, 20
    n = epochs * spe
    step = np.arange(n, dtype=float)
    phase = (np.arange(n) % spe) / spe
    fade = np.repeat(np.linspace(1.0, 0.25, epochs), spe)
    drift = np.repeat(np.linspace(0, 0.9, epochs), spe)  # the hard classes shift a little
    y = decay(n, 2.0, 0.3, tau=40) * np.exp(fade * 0.5 * np.sin(2 * np.pi * phase + drift)) * np.exp(RNG.normal(0, 0.03, n))
    run = Run("s", {"train_loss": Series("train_loss", y, step=step, epoch=np.floor(step / spe))})
    assert [f.kind for f in detect("shuffling", run)] == ["shuffling"]
    shuffled = decay(n, 2.0, 0.3, tau=40) * np.exp(RNG.normal(0, 0.3, n))
    run = Run("s", {"train_loss": Series("train_loss", shuffled, step=step, epoch=np.floor(step / spe))})
    assert detect("shuffling", run) == []


def test_underfitting_still_improving_judged_on_validation_when_steps_are_noisy():
    """lr_too_low on a step-level log: a 2% descent drowns in minibatch noise; the epoch-level
    validation loss beside it falls steadily, so the finding says 'still improving'."""
    epochs, spe = 15, 50
    n = epochs * spe
    step = np.arange(1, n + 1, dtype=float)
    y = np.linspace(2.31, 2.26, n) * np.exp(RNG.normal(0, 0.12, n))
    val = np.linspace(2.305, 2.26, epochs)
    run = Run("s", {"train_loss": Series("train_loss", y, step=step, epoch=step / spe),
                    "val_loss": Series("val_loss", val, step=np.arange(1, epochs + 1) * spe, epoch=np.arange(1, epochs + 1.0))})
    f = detect("underfitting", run)[0]
    assert f.metrics["still_improving"] is True
    assert "lr_too_low" in diagnose(run).cause_ids()[:1]


def test_shuffling_period_from_validation_interval():
    run = _step_run(True)
    s = run.series["train_loss"]
    run.series["train_loss"] = Series("train_loss", s.y, step=s.step)  # no epoch column
    run.add(Series("val_loss", np.linspace(1, 0.5, 8), step=np.arange(49, 400, 50, dtype=float)))
    assert detect("shuffling", run)


# --- metric disagreement ---------------------------------------------------------------------------


def test_metric_disagreement_loss_up_accuracy_up():
    val = np.concatenate([decay(15, 1.0, 0.4, tau=4), 0.4 * np.geomspace(1.02, 1.6, 15)])
    acc = np.linspace(0.6, 0.9, 30)
    f = detect("metric_disagreement", epoch_run(train_loss=decay(30, 1, 0.05), val_loss=val, val_acc=acc))
    assert f and f[0].series == "val_acc"
    acc_down = np.concatenate([np.linspace(0.6, 0.85, 15), np.linspace(0.85, 0.75, 15)])
    assert detect("metric_disagreement", epoch_run(train_loss=decay(30, 1, 0.05), val_loss=val, val_acc=acc_down)) == []


# --- tiny, empty and odd inputs ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_tiny_runs_do_not_crash_or_invent_spikes(n):
    rep = diagnose(epoch_run(train_loss=decay(n) * [1.0, 1.3, 0.9, 1.2, 1.0][:n], val_loss=decay(n, 2.2, 0.4)))
    assert "spike" not in rep.kinds() and "divergence" not in rep.kinds()
    assert rep.checks and rep.verdict


def test_run_without_losses_reports_not_applicable():
    rep = diagnose(epoch_run(val_acc=[0.5, 0.6, 0.7]))
    # not applicable is not "passed": nothing was checked, so the verdict is not healthy either
    assert rep.findings == [] and all(c["status"] == "not_applicable" and not c["passed"] for c in rep.checks)
    assert rep.status == "nothing" and not rep.healthy and rep.verdict.startswith("Nothing to diagnose")


def test_negative_losses_are_handled():
    y = -np.linspace(1, 5, 30)  # e.g. an ELBO-style objective
    rep = diagnose(epoch_run(train_loss=y, val_loss=y + 0.1))
    assert "divergence" not in rep.kinds()


# --- properties ---------------------------------------------------------------------------------------

PATTERNS = ("clean", "spike", "overfit", "inverted", "nan", "plateau", "oscillate")


def _pattern_run(pattern: str, seed: int, n: int) -> Run:
    rng = np.random.default_rng(seed)
    tr = decay(n, 2.0, 0.3, tau=n / 5) * np.exp(rng.normal(0, 0.01, n))
    val = decay(n, 2.1, 0.35, tau=n / 5) * np.exp(rng.normal(0, 0.01, n))
    if pattern == "spike":
        tr[n // 2] *= 4
    elif pattern == "overfit":
        val[n // 2 :] = val[n // 2] * np.geomspace(1.0, 2.0, n - n // 2)
    elif pattern == "inverted":
        tr = val * 1.5
    elif pattern == "nan":
        tr[n // 2] = np.nan
    elif pattern == "plateau":
        tr = 2.0 * np.exp(rng.normal(0, 0.002, n))
        val = tr * 1.02
    elif pattern == "oscillate":
        tr = np.exp(0.3 * (-1.0) ** np.arange(n))
    return epoch_run(train_loss=tr, val_loss=val, context=RunContext())


def _kinds_of(run):
    return sorted({(f.kind, f.series) for f in diagnose(run).findings})


def _transform(run, scale=1.0, shift=0.0):
    out = Run(run.name, context=run.context)
    for s in run.series.values():
        y = s.y * scale if s.name.endswith("loss") else s.y
        out.add(Series(s.name, y, epoch=s.epoch + shift))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=st.sampled_from(PATTERNS), seed=st.integers(0, 10_000), n=st.integers(8, 120),
       log_scale=st.floats(-3, 3), shift=st.integers(-1000, 1000))
def test_scaling_losses_or_shifting_x_changes_no_finding(pattern, seed, n, log_scale, shift):
    run = _pattern_run(pattern, seed, n)
    base = _kinds_of(run)
    assert _kinds_of(_transform(run, scale=10.0 ** log_scale)) == base
    assert _kinds_of(_transform(run, shift=float(shift))) == base


@settings(max_examples=40, deadline=None)
@given(start=st.floats(0.05, 100), ratio=st.floats(0.01, 0.9), tau=st.floats(1, 50), n=st.integers(3, 300),
       offset=st.floats(1.0, 1.5))
def test_smooth_decreasing_curve_has_no_spike_or_divergence(start, ratio, tau, n, offset):
    tr = decay(n, start, start * ratio, tau)
    rep = diagnose(epoch_run(train_loss=tr, val_loss=tr * offset))
    assert "spike" not in rep.kinds() and "divergence" not in rep.kinds()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 200), where=st.floats(0, 1), value=st.sampled_from([np.nan, np.inf, -np.inf]),
       series=st.sampled_from(["train_loss", "val_loss"]))
def test_non_finite_value_is_divergence_never_a_crash(n, where, value, series):
    data = {"train_loss": decay(n), "val_loss": decay(n, 2.1, 0.35)}
    data[series][min(n - 1, int(where * n))] = value
    rep = diagnose(epoch_run(**data))
    assert any(f.kind == "divergence" and f.series == series for f in rep.findings)
    rep.to_json()


def test_validation_held_above_its_best_while_training_stalls_is_a_level_shift():
    """A warm-up peak that throws the model into a worse region: validation stays ~1.5x above its
    best and training makes no progress either. The same validation beside a training loss that keeps
    falling is overfitting, not a level shift."""
    rng = np.random.default_rng(3)
    n = 20
    val = np.concatenate([[1.2, 0.8, 0.7, 0.68, 0.66], 1.0 + 0.08 * rng.standard_normal(n - 5)])
    stalled = np.concatenate([[1.3, 0.9, 0.7, 0.65, 0.62], 0.72 + 0.04 * rng.standard_normal(n - 5)])
    rep = diagnose(epoch_run(train_loss=stalled, val_loss=val))
    shifts = [f for f in rep.findings if f.kind == "level_shift" and f.series == "val_loss"]
    assert shifts and shifts[0].metrics["rise_ratio"] > 1.3
    falling = decay(n, 1.3, 0.1)
    rep2 = diagnose(epoch_run(train_loss=falling, val_loss=val))
    assert not [f for f in rep2.findings if f.kind == "level_shift" and f.series == "val_loss"]
    assert "overfitting" in rep2.kinds()


def test_a_spike_back_at_the_next_point_costs_nothing_however_much_it_undid():
    """Severity follows consequence: a validation jump (x1.6, undoing most of the progress so far)
    that is back at the very next epoch lost one evaluation, not the model - info. The same jump
    taking three epochs to come back wasted them - a warning."""
    n = 30
    val = decay(n, 1.7, 0.05)
    quick, slow = val.copy(), val.copy()
    quick[5] = val[5] * 1.6
    slow[5:8] = val[5:8] * np.array([1.6, 1.55, 1.5])
    train = decay(n, 1.8, 0.05)
    spikes = lambda v: [f for f in diagnose(epoch_run(train_loss=train, val_loss=v)).findings if f.kind == "spike"]  # noqa: E731
    got = spikes(quick)
    assert got and got[0].metrics["lost_progress"] >= 0.5 and got[0].metrics["recovered_after"] == 1
    assert got[0].severity == "info"
    got = spikes(slow)
    assert got and got[0].metrics["recovered_after"] >= 2 and got[0].severity == "warning"


def test_a_run_whose_last_point_ends_far_above_its_start_diverged():
    """Six epochs, the last one blows up to far above the untrained loss: divergence, even though
    only one point is up (the run ended there). A last point merely above its trend is not."""
    train = np.array([2.3, 1.6, 1.5, 1.45, 1.4, 900.0])
    val = np.array([2.2, 1.7, 1.6, 1.55, 1.5, 5000.0])
    rep = diagnose(epoch_run(train_loss=train, val_loss=val))
    assert any(f.kind == "divergence" and f.series == "train_loss" for f in rep.findings)
    assert rep.causes[0].id == "lr_too_high"
    bump = train.copy()
    bump[-1] = 2.0  # above its trend, below where it started
    rep2 = diagnose(epoch_run(train_loss=bump, val_loss=val[:5].tolist() + [1.9]))
    assert "divergence" not in rep2.kinds()


def test_a_log_with_only_validation_is_checked_for_oscillation_on_it():
    """Full-batch regression logging validation every epoch and the training loss twice: the damped
    swings of validation are judged (oscillation on val_loss); a smooth validation-only descent is not."""
    n = 60
    ep = np.arange(n, dtype=float)
    val = 3000 * (1 + 3 * np.exp(-ep / 8)) * (1 + 0.3 * np.exp(-ep / 40) * np.sin(ep * 2 * np.pi / 5))
    run = Run(name="val-only", format="test")
    run.add(Series("train_loss", [6000.0, 2900.0], epoch=[29.0, 59.0]))
    run.add(Series("val_loss", val, epoch=ep))
    rep = diagnose(run)
    assert any(f.kind == "oscillation" and f.series == "val_loss" for f in rep.findings), rep.kinds()
    smooth = Run(name="val-only-smooth", format="test")
    smooth.add(Series("train_loss", [6000.0, 2900.0], epoch=[29.0, 59.0]))
    smooth.add(Series("val_loss", 3000 * (1 + 3 * np.exp(-ep / 8)), epoch=ep))
    assert "oscillation" not in diagnose(smooth).kinds()
