"""Erratic validation, round 5: the noise model behind the check.

- a swing that stays up for two evaluations is one excursion, like a one-point jump;
- beside a rough training loss, only the jumps training did not make too count (no blanket veto);
- a short run's training noise is how much its steps change, not its (steady) descent;
- +15-25% repeated jumps beside a very smooth training loss are an info finding, never an alarm;
- two jumps in a hundred evaluations are spikes, not erratic validation.
Each on generated curves (both sides) and, where one exists, a real dev file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from test_diagnose_support import epoch_run
from trueloss_dash.diagnose import diagnose
from trueloss_dash.diagnose.detectors.erratic_validation import excursion_rises
from trueloss_dash.ingest import load_path
from trueloss_dash.run import Run, Series

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _run(**curves) -> Run:
    """Epoch-level curves, epochs numbered from 1."""
    return epoch_run("generated", first_epoch=1, **curves)


def _erratic(rep):
    return [f for f in rep.findings if f.kind == "erratic_validation"]


def _alarms(rep) -> list[str]:
    return [f"{f.kind}: {f.summary}" for f in rep.findings if f.severity in ("warning", "critical")]


def test_excursion_rises_counts_one_and_two_point_swings_once():
    v = np.log(np.array([1.0, 1.5, 1.0, 1.0, 1.6, 1.55, 1.0, 0.9]))
    r = excursion_rises(v)
    assert np.isclose(r[1], np.log(1.5))  # one point up and back
    assert np.isclose(r[4], np.log(1.55))  # the pair (1.6, 1.55): rise of its lower point, credited to the higher
    assert r[5] == -np.inf  # the pair's other point is not a second jump
    assert np.all(r[[0, 2, 3, 6, 7]] < np.log(1.1))
    # a falling staircase is no excursion
    assert np.all(excursion_rises(np.log(np.array([2.0, 1.8, 1.8, 1.5, 1.5, 1.2]))) <= 0)


def test_two_epoch_swings_beside_smooth_training_are_erratic():
    n = 15
    train = 1.9 * np.exp(-np.arange(n) / 3) + 0.25
    val = 0.8 * np.exp(-np.arange(n) / 4) + 0.35
    val[[4, 5, 9, 10]] *= 1.45  # up for two evaluations, back, twice
    found = _erratic(diagnose(_run(train_loss=train, val_loss=val)))
    assert found and found[0].metrics["jumps"] == 2, [f.summary for f in found]


def test_big_validation_jumps_count_beside_a_rough_training_loss_when_training_did_not_make_them():
    n, rng = 20, np.random.default_rng(3)
    train = (1.9 * np.exp(-np.arange(n) / 4) + 0.25) * np.exp(rng.normal(0, 0.08, n))  # ~6% rough
    val = 0.8 * np.exp(-np.arange(n) / 5) + 0.35
    val[[3, 7, 12, 16]] *= 1.6
    rep = diagnose(_run(train_loss=train, val_loss=val))
    found = _erratic(rep)
    assert found and found[0].severity == "warning", [f.summary for f in rep.findings]
    # ... but the same jumps made by both curves at the same points are shared swings, not the evaluation's
    shared = train.copy()
    shared[[3, 7, 12, 16]] *= 1.6
    assert not _erratic(diagnose(_run(train_loss=shared, val_loss=val)))


def test_short_run_reversals_are_judged_against_training_noise_not_its_steady_descent():
    train = [1.2, 0.9, 0.7, 0.6, 0.5]  # a fast, steady descent: large moves, little noise
    found = _erratic(diagnose(_run(train_loss=train, val_loss=[1.0, 1.6, 0.8, 1.5, 0.7])))
    assert found and found[0].metrics.get("short_run"), found
    # validation falling along with training (small wiggles) stays quiet
    assert not _erratic(diagnose(_run(train_loss=train, val_loss=[1.0, 0.85, 0.8, 0.72, 0.7])))
    # training that turns around as much as validation: the swings are shared, nothing to call
    assert not _erratic(diagnose(_run(train_loss=[1.2, 1.9, 0.9, 1.6, 0.8], val_loss=[1.0, 1.6, 0.8, 1.5, 0.7])))


def test_repeated_moderate_jumps_beside_very_smooth_training_are_info_on_a_real_regression():
    # InquisitorNova (dev): regression validation +-20% around ~59 with no trend while the training loss
    # falls 0.5% per epoch; the jumps (+16%, +19%) are too small for a warning but are the evaluation's noise
    run, = load_path(CORPUS / "InquisitorNova__StellarRegression" / "version_1_metrics.csv")
    rep = diagnose(run)
    found = _erratic(rep)
    assert found and found[0].severity == "info", [f.summary for f in rep.findings]
    assert "noisy" in found[0].summary
    assert not _alarms(rep)


def test_moderate_jumps_rare_in_a_long_run_are_not_erratic():
    n = 100
    train = 2.0 * np.exp(-np.arange(n) / 20) + 0.2
    val = 1.6 * np.exp(-np.arange(n) / 22) + 0.3
    val[[30, 70]] *= 1.18  # two +18% bumps in a hundred evaluations
    assert not _erratic(diagnose(_run(train_loss=train, val_loss=val)))


def test_two_jumps_in_a_hundred_evaluations_are_spikes_not_erratic_validation():
    # Driemann v2 (dev, healthy): one x4 swing at epoch 4 and a single x400 blip at epoch 80 beside a
    # rough (28%) training loss - spikes at most, never "validation cannot be trusted"
    run, = load_path(CORPUS / "Driemann__ml-aos" / "version_2_metrics.csv")
    rep = diagnose(run)
    assert not _erratic(rep), [f.summary for f in rep.findings]
    assert not _alarms(rep)


# --- round 5, beside erratic validation: what a jump that stays and a NaN that recovers are -------

def test_a_jump_that_does_not_come_back_is_a_level_shift_not_a_spike():
    n, at = 20, 8
    t = np.arange(n)
    train = 1.5 * np.exp(-t / 4) + 0.2
    val = 1.3 * np.exp(-t / 5) + 0.3
    train[at:] = train[at] * 1.6 * np.exp(-(t[at:] - at) / 30)  # x1.6 at the warm-up peak, slow partial recovery
    val[at:] = val[at] * 1.6 * np.exp(-(t[at:] - at) / 30)
    rep = diagnose(_run(train_loss=train, val_loss=val))
    kinds = [f.kind for f in rep.findings]
    assert "level_shift" in kinds and "spike" not in kinds, [f.summary for f in rep.findings]
    shift = next(f for f in rep.findings if f.kind == "level_shift")
    assert shift.start == at + 1 and "not a spike" in shift.summary
    assert rep.causes and rep.causes[0].id == "lr_overshoot", [(c.id, c.confidence) for c in rep.causes]


def test_validation_nan_at_the_first_evaluations_then_finite_is_not_a_blown_up_run():
    # VikSn0w (dev, healthy): YOLOv8-seg validation losses NaN at epochs 1-2, then 98 finite epochs
    # falling to their minimum at the last one; the run recovered - info, and no learning rate is blamed
    run, = load_path(CORPUS / "VikSn0w__car-damage-detection-yolo" / "segment_train2_results.csv")
    rep = diagnose(run)
    div = [f for f in rep.findings if f.kind == "divergence"]
    assert div and all(f.severity == "info" and f.metrics["recovered"] for f in div)
    assert not _alarms(rep) and "lr_too_high" not in [c.id for c in rep.causes]


def test_a_loss_that_ends_nan_is_still_a_critical_divergence():
    train = np.r_[np.linspace(2.0, 0.5, 12), [np.nan, np.nan]]
    val = np.r_[np.linspace(2.1, 0.7, 12), [np.nan, np.nan]]
    rep = diagnose(_run(train_loss=train, val_loss=val))
    assert any(f.kind == "divergence" and f.severity == "critical" for f in rep.findings)
    # ... and a training loss that recovered from NaN is still worth a warning (the optimised loss overflowed)
    train2 = np.r_[np.linspace(2.0, 1.0, 6), [np.nan], np.linspace(0.95, 0.5, 8)]
    rep2 = diagnose(_run(train_loss=train2, val_loss=np.linspace(2.1, 0.7, 15)))
    assert [f.severity for f in rep2.findings if f.kind == "divergence"] == ["warning"]


def test_a_burst_wider_than_the_spike_window_that_comes_back_is_a_spike():
    # zeerafle (dev): training 0.299 -> 0.817, 0.862, 0.926 -> 0.621 -> 0.411 -> 0.313 (epochs 29-35):
    # the spike check's rolling median rides on a 3-point burst; the level-shift check sees the rise and
    # it came back - a transient spike, not a level shift
    run, = load_path(CORPUS / "zeerafle__bisindo-video-recognition" / "dvclive")
    rep = diagnose(run)
    spikes = [f for f in rep.findings if f.kind == "spike" and f.series == "train_loss"]
    assert spikes and spikes[0].metrics["transient"] and spikes[0].metrics["burst_points"] >= 3, [f.summary for f in rep.findings]
    assert not [f for f in rep.findings if f.kind == "level_shift" and f.series == "train_loss"]


def test_a_validation_burst_with_no_training_loss_to_compare_names_the_lr_not_batch_norm():
    # GajdaMJ (dev): full-batch regression logging its training loss twice; validation bursts x4.6 at
    # epoch 21 and comes back (a damped oscillation). "Training stayed smooth" cannot be said with two
    # training points: the batch-norm reading does not apply, and validation is the view of the weights
    run, = load_path(CORPUS / "GajdaMJ__AI-for-Chemistry-Project" / "metrics.csv")
    rep = diagnose(run)
    assert rep.causes and rep.causes[0].id == "lr_overshoot", [(c.id, c.confidence) for c in rep.causes]
    assert "batchnorm_instability" not in [c.id for c in rep.causes]
    # one event, one finding: no level shift beside the burst's spike
    assert not [f for f in rep.findings if f.kind == "level_shift"]


def test_jumps_that_are_validations_usual_bounce_are_info_not_a_warning():
    # Pranita1297 (dev, healthy): Ultralytics classify validation on a small set (top-1 in steps of
    # 1/158) bouncing ~20% per point with +47% peaks while falling overall: no jump stands out from
    # its own noise - a steadily noisy evaluation, reported as info
    run, = load_path(CORPUS / "Pranita1297__CVosteoporosis" / "results.csv")
    rep = diagnose(run)
    found = _erratic(rep)
    assert found and found[0].severity == "info" and found[0].metrics["usual_bounce"], [f.summary for f in found]
    # ... while big jumps over a moderately noisy validation stay a warning (whale-call BN CNN, x2.4 peaks)
    run, = load_path(CORPUS / "Jannik-m12__whale-call-classifier" / "baseline_training_log.csv")
    found = _erratic(diagnose(run))
    assert found and found[0].severity == "warning"


def test_oscillation_is_a_warning_only_when_validation_swings_with_training():
    n, rng = 60, np.random.default_rng(7)
    t = np.arange(n)
    trend = 1.5 * np.exp(-t / 25) + 0.45
    bounce = np.exp(rng.normal(0, 0.1, n))  # the weights bouncing: 10% epoch to epoch
    train = trend * bounce
    # an unstable LR moves the weights: the end-of-epoch validation sees at epoch k what the
    # epoch-averaged training loss shows at k+1 (averaging lag)
    val_with = (trend * 1.1) * np.r_[bounce[1:], bounce[-1]]
    with_ = [f for f in diagnose(_run(train_loss=train, val_loss=val_with)).findings if f.kind == "oscillation"]
    assert with_ and with_[0].severity == "warning" and "correlation" in with_[0].summary, [f.summary for f in with_]
    # the same training bounce beside a validation with its own, independent noise of the same size
    val_own = (trend * 1.1) * np.exp(np.random.default_rng(8).normal(0, 0.1, n))
    own = [f for f in diagnose(_run(train_loss=train, val_loss=val_own)).findings if f.kind == "oscillation"]
    assert not own or own[0].severity == "info", [f.summary for f in own]


def test_mild_overfitting_whose_validation_metric_held_is_info():
    n = 30
    t = np.arange(n)
    train = 2.0 * np.exp(-t / 6) + 0.05
    val = np.r_[1.9 * np.exp(-t[:15] / 4) + 0.4, (1.9 * np.exp(-14 / 4) + 0.4) * np.linspace(1.02, 1.15, 15)]
    rng = np.random.default_rng(3)
    held = np.r_[np.linspace(0.5, 0.9, 15), 0.9 + rng.normal(0, 0.004, 15)]  # accuracy flat after the loss's best
    rep = diagnose(_run(train_loss=train, val_loss=val, val_acc=held))
    over = [f for f in rep.findings if f.kind == "overfitting"]
    assert over and over[0].severity == "info" and "held" in over[0].summary, [f.summary for f in rep.findings]
    assert rep.causes and rep.causes[0].id == "overfitting"  # still named, just not an alarm
    # the same loss rise with the accuracy falling 0.90 -> 0.84 is the final model getting worse: a warning
    worse = np.r_[np.linspace(0.5, 0.9, 15), np.linspace(0.9, 0.84, 15) + rng.normal(0, 0.004, 15)]
    over = [f for f in diagnose(_run(train_loss=train, val_loss=val, val_acc=worse)).findings if f.kind == "overfitting"]
    assert over and over[0].severity == "warning"


def test_a_short_sawtooth_validation_is_erratic_by_its_turns():
    # O-keita (dev): 10 epochs, BN CNN, 16 validation images: validation 73.5, 75.7, 2.86, 0.68, 0.26,
    # 0.40, 11.3, 2.29, 0.72, 2.42 beside a smooth training loss - one up-and-back peak, three turns
    run, = load_path(CORPUS / "O-keita__chest-xray-classifier" / "history.json")
    found = _erratic(diagnose(run))
    assert found and found[0].metrics["short_run"] and found[0].metrics["jumps"] >= 2, [f.summary for f in found]
    # alisherizmukhan (dev): 5 epochs, validation 0.195, 0.109, 0.255, 0.153, 0.270 (x1.7-2.3 each way)
    # while training falls 0.101 -> 0.061 with a fast first step: the turns are validation's own
    run, = load_path(CORPUS / "alisherizmukhan__pneumonia-detection" / "history.json")
    found = _erratic(diagnose(run))
    assert found and found[0].severity == "warning", [f.summary for f in found]


def test_short_run_swings_before_a_best_final_point_are_info():
    # Younes-Bouchouk (dev, healthy): validation 0.99, 1.15, 0.099, 0.184, 0.118, 0.089 (its best last)
    run, = load_path(CORPUS / "Younes-Bouchouk__DeepLearningCNN_Traffic-Sign-Classification" / "train_log.csv")
    found = _erratic(diagnose(run))
    assert not found or (found[0].severity == "info" and found[0].metrics["ends_at_best"])


def test_one_log_blips_in_a_long_step_log_are_info_spikes():
    # Priyanshisharma22 (dev, healthy): HF 50-step means at ~3e-4 with 19 isolated logs of 0.05-0.34,
    # each back at the next log: blips in one logging interval, not instability
    run, = load_path(CORPUS / "Priyanshisharma22__fake-news" / "trainer_state.json")
    rep = diagnose(run)
    spikes = [f for f in rep.findings if f.kind == "spike"]
    assert spikes and all(f.severity == "info" for f in spikes if f.metrics["recovered_after"] == 1)
    assert len({f.metrics["peak_x"] for f in spikes}) == len(spikes)  # each blip once (no burst copy)


def test_a_training_jump_validation_does_not_follow_is_a_pipeline_change_not_a_divergence():
    # Rishiatweb (dev): a DANN term switched on at epoch 5 - training 0.022 -> 0.70 and flat for 16
    # epochs while validation stays 0.003-0.045 (accuracy 0.99): the reported loss changed, not the model
    run, = load_path(CORPUS / "Rishiatweb__Audio_Deepfake_Detection" / "training_history.csv")
    rep = diagnose(run)
    assert not [f for f in rep.findings if f.kind == "divergence"], [f.summary for f in rep.findings]
    shift = [f for f in rep.findings if f.kind == "level_shift" and f.series == "train_loss"]
    assert shift and shift[0].metrics["validation_followed"] is False and shift[0].severity == "info"
    assert rep.causes[0].id == "data_or_pipeline_change", [(c.id, c.confidence) for c in rep.causes]
    # the same training explosion with validation exploding too is still a divergence
    t = np.arange(20)
    train = np.r_[np.linspace(0.5, 0.1, 5), np.full(15, 2.0)]
    val = np.r_[np.linspace(0.55, 0.12, 5), np.full(15, 2.2)]
    assert any(f.kind == "divergence" for f in diagnose(_run(train_loss=train * (1 + 0.01 * np.sin(t)), val_loss=val)).findings)


def test_validation_an_order_of_magnitude_rougher_than_training_is_noted_as_noisy_without_blaming_batch_norm():
    # ktrl-Alt-Defeat (dev, healthy ResNet-50 fine-tune): validation's robust roughness ~19% per point
    # beside a 1.8%-smooth training loss, bumps +23-39% that each come back: an info 'noisy validation'
    # finding whose reading is a small/noisy evaluation, not batch norm (no context says it has any)
    run, = load_path(CORPUS / "ktrl-Alt-Defeat__ResNet50-Plant-Disease-Detection" / "metrics.csv")
    rep = diagnose(run)
    found = _erratic(rep)
    assert found and found[0].severity == "info" and found[0].metrics.get("noisy_only"), [f.summary for f in found]
    assert "batchnorm_instability" not in [c.id for c in rep.causes] and not _alarms(rep)
    # validation scattered ~25% per point around a falling trend beside a smooth training loss: noted
    n, rng = 30, np.random.default_rng(11)
    t = np.arange(n)
    train = 2.0 * np.exp(-t / 8) + 0.1
    val = (1.8 * np.exp(-t / 9) + 0.3) * np.exp(rng.normal(0, 0.25, n))
    found = _erratic(diagnose(_run(train_loss=train, val_loss=val)))
    assert found, "a validation 10x rougher than training is worth a note"


def test_a_lucky_low_of_a_long_noisy_validation_is_not_overfitting():
    n, rng = 100, np.random.default_rng(21)
    t = np.arange(n)
    train = (1.5 * np.exp(-t / 48) + 0.22) * np.exp(rng.normal(0, 0.02, n))
    trend = 1.3 * np.exp(-t / 53) + 0.25  # still falling at the end: nothing to overfit
    val = trend * np.exp(rng.normal(0, 0.1, n))
    val[83] = trend[83] * 0.72  # the luckiest point, well under the level around it
    over = [f for f in diagnose(_run(train_loss=train, val_loss=val)).findings if f.kind == "overfitting"]
    assert not over or over[0].severity == "info", [f.summary for f in over]
    # a real valley then a climb of the same noise is still overfitting
    val2 = np.r_[trend[:60], trend[59] * np.linspace(1.0, 1.6, 40)] * np.exp(rng.normal(0, 0.1, n))
    over = [f for f in diagnose(_run(train_loss=train, val_loss=val2)).findings if f.kind == "overfitting"]
    assert over and over[0].severity == "warning"


def test_a_multi_head_run_without_an_overall_training_loss_gets_a_plateau_per_head():
    # daleas0120 (dev): Lightning log with train/val_classification_loss and train/val_regression_loss
    # and no overall loss; the classification head sits at ln 200 (chance for 200 classes) all run
    run, = load_path(CORPUS / "daleas0120__cub-classification" / "metrics.csv")
    rep = diagnose(run)
    heads = [f for f in rep.findings if f.kind == "plateau" and f.series == "train_classification_loss"]
    assert heads and heads[0].metrics["from_start"], [f.summary for f in rep.findings]
    # a GAN's losses have no validation twins: no per-head plateau for them
    n = 30
    gan = _run(G_loss=np.full(n, 0.7) * np.exp(np.random.default_rng(1).normal(0, 0.01, n)),
               D_loss=np.full(n, 0.69) * np.exp(np.random.default_rng(2).normal(0, 0.01, n)))
    assert not [f for f in diagnose(gan).findings if f.kind == "plateau"]


def test_a_multi_epoch_burst_of_a_short_training_loss_is_a_spike_but_a_one_epoch_wobble_is_not():
    # DunatosCharles (dev): training 10.5 -> 0.704 (epoch 7), then 2.13, 2.38, 2.18, 1.09 and back to
    # 0.394: the rolling-median trend rode on the 3-epoch burst (robust z 2.8); above the running
    # minimum it is a x3.4 burst, twice any other rise of the curve
    run = load_path(CORPUS / "DunatosCharles__MedVisionAI" / "training_history.json")[0]
    rep = diagnose(run)
    spikes = [f for f in rep.findings if f.kind == "spike" and f.series == "train_loss"]
    assert spikes and spikes[0].metrics["burst_points"] >= 2 and spikes[0].metrics["transient"], [f.summary for f in rep.findings]
    # Abas527 (dev, healthy): 0.0057 -> 0.0127 -> 0.0025 near convergence - one epoch up and back,
    # which the rolling-median test judges (robust z 0.7): no spike
    for run in load_path(CORPUS / "Abas527__chest-cancer-classifier" / "training.log"):  # three appended runs
        assert not [f for f in diagnose(run).findings if f.kind == "spike"]


def test_a_staircase_of_a_memorised_small_set_is_not_unshuffled_data():
    # 29aitch (dev, healthy): an HF LoRA fine-tune on a small set, its loss stepping down at each epoch
    # boundary (seen again = lower) - a per-epoch pattern that is a step, not an order within the epoch
    run = load_path(CORPUS / "29aitch__AIchatbot" / "trainer_state.json")[0]
    rep = diagnose(run)
    assert not [f for f in rep.findings if f.kind == "shuffling"], [f.summary for f in rep.findings]
    assert "epoch boundary" in next(c for c in rep.checks if c["id"] == "shuffling")["detail"]


def test_a_fine_tune_converging_on_a_floor_near_its_start_is_not_an_underfitting_warning():
    # arthuribias-coder (dev, healthy): an LM fine-tune, eval loss 2.835 -> 2.722 down at each of 45
    # evaluations, slower each time; training ends at 91% of its first logged value
    run = load_path(CORPUS / "arthuribias-coder__tech-challenge-finetune" / "trainer_state.json")[0]
    rep = diagnose(run)
    under = [f for f in rep.findings if f.kind == "underfitting"]
    assert not under or (under[0].severity == "info" and under[0].metrics["converging_on_its_floor"])
    assert not _alarms(rep)


def test_a_training_loss_climbing_for_most_of_the_run_is_a_slow_divergence():
    # Ggury (dev): a LoRA loss logged per step, 2.89 (first 100 steps) climbing to 4.40 over the
    # remaining 1,300 of 1,500 steps and never coming back - below the x3 explosion test
    run = load_path(CORPUS / "Ggury__Muon_Mezo_Research" / "train_history.json")[0]
    rep = diagnose(run)
    div = [f for f in rep.findings if f.kind == "divergence"]
    assert div and div[0].severity == "warning" and div[0].metrics["creeping"], [f.summary for f in rep.findings]
    assert rep.causes[0].id == "lr_too_high"
    # a loss that rose x1.4 and came back down is not one
    t = np.arange(60)
    back = np.r_[np.linspace(1.0, 0.5, 20), np.linspace(0.5, 0.7, 20), np.linspace(0.7, 0.45, 20)]
    assert not [f for f in diagnose(_run(train_loss=back * (1 + 0.01 * np.sin(t)))).findings if f.kind == "divergence"]


def test_a_flat_training_loss_beside_a_validation_metric_that_never_moved_is_underfitting():
    # MonashAIM (dev): a segmentation net whose training loss stays within 1.40-1.60 for 20 epochs and
    # whose validation Dice is 0.0 at all 4 evaluations - no validation loss, no training accuracy
    run = load_path(CORPUS / "MonashAIM__harmonic-dense-network" / "dvclive")[0]
    under = [f for f in diagnose(run).findings if f.kind == "underfitting"]
    assert under and under[0].severity == "warning" and "never improved" in under[0].summary
    # the same flat loss beside a metric that did improve stays a plateau, not underfitting
    n = 20
    flat = 1.5 * np.exp(np.random.default_rng(4).normal(0, 0.03, n))
    run = _run(train_loss=flat)
    run.add(Series(name="val_dice", y=np.linspace(0.1, 0.6, 5), epoch=np.linspace(4, 20, 5)))
    assert not [f for f in diagnose(run).findings if f.kind == "underfitting"]
