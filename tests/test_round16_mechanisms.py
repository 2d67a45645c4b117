"""Round 16 (stop 20) mechanisms, each on a real dev file or a generated run (issue 9: a move counts
only against the curve's own noise; a healthy run gets a quiet verdict)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.diagnose import diagnose
from trueloss_dash.diagnose.view import RunView
from trueloss_dash.ingest import load_path
from trueloss_dash.run import Run, Series

from test_diagnose_support import epoch_run

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _alarms(rep) -> list[tuple[str, str]]:
    return [(f.kind, f.severity) for f in rep.findings if f.severity in ("warning", "critical")]


def _quiet_with_info(rel_path: str, kind: str, phrase: str):
    """Diagnose a real corpus file: no warning or critical finding, and ``kind`` there as info whose
    summary says ``phrase``. Returns the report."""
    [run] = load_path(CORPUS / rel_path)
    rep = diagnose(run)
    got = [f for f in rep.findings if f.kind == kind]
    assert got and got[0].severity == "info", rep.findings
    assert phrase in got[0].summary, got[0].summary
    assert not _alarms(rep), rep.findings
    return rep


def _training_only(y) -> Run:
    return epoch_run("swings", first_epoch=1, train_loss=y)


def test_a_lone_leading_zero_is_the_files_seed_value_not_a_loss():
    """Lightglow51 (healthy): a results file initialised with 0.0, then one test MSE appended per CI
    run (0.143 -> ~0.05, flat and noisy). The 0.0 is no measurement: read from 0 the curve 'jumped from
    about 0 and stayed' (a level-shift warning) and 'is still at 100% of its start'."""
    run = load_path(CORPUS / "Lightglow51__777" / "losses.csv")[0]
    c = RunView.of(run).train
    assert c.y[0] > 0.1 and len(c) == len(run.get("train_loss").y) - 1
    rep = diagnose(run)
    assert not _alarms(rep), rep.findings
    assert not [f for f in rep.findings if f.kind == "level_shift"]


def test_a_run_of_leading_zeros_is_a_measurement_and_stays():
    """A DQN's TD loss is 0 until its replay buffer fills: several leading zeros are real values."""
    y = [0.0] * 5 + list(0.01 + 0.02 * np.linspace(0, 1, 25))
    c = RunView.of(_training_only(y)).train
    assert len(c) == 30 and c.y[0] == 0


def test_patternless_training_only_swings_about_a_level_are_info():
    """Independent ~15% scatter about a flat level a third of the start, no validation (the shape of
    Lightglow51's appended test scores): nothing tells it from measurement noise - info, not 'LR too high'."""
    rng = np.random.default_rng(11)
    y = [0.15, 0.08] + list(0.05 * np.exp(0.15 * rng.standard_normal(14)))
    rep = diagnose(_training_only(y))
    osc = [f for f in rep.findings if f.kind == "oscillation"]
    assert osc and osc[0].severity == "info", rep.findings
    assert "as often as independent scatter" in osc[0].summary
    assert not _alarms(rep)


def test_period_two_bouncing_about_a_level_still_warns_with_its_correlation():
    """The same level, but the loss alternates up/down every epoch (an LR bouncing the weights across a
    valley): the deviations from its trend change sign at every point - a pattern, still a warning."""
    rng = np.random.default_rng(12)
    sign = np.where(np.arange(14) % 2 == 0, 1.0, -1.0)
    y = [0.15, 0.08] + list(0.05 * np.exp(0.15 * sign + 0.02 * rng.standard_normal(14)))
    rep = diagnose(_training_only(y))
    osc = [f for f in rep.findings if f.kind == "oscillation"]
    assert osc and osc[0].severity == "warning", rep.findings
    assert "alternate beyond chance" in osc[0].summary


def test_a_noisy_single_batch_loss_ending_on_one_of_its_swings_is_no_blow_up_real_file():
    """Anson-Saju-George (healthy; level_shift also ok): one single-batch loss every 500 steps, 0.02-0.06
    during an announced L1-only warm-up, then 0.05-0.37 once the full loss starts. Its last point, 0.178,
    was read as a blow-up at the end ('exploded ... x4.36 its best', critical) - but it sits within the
    scatter of the points before it. The jump at the warm-up's end is a level shift."""
    [run] = load_path(CORPUS / "Anson-Saju-George__DA-AT-VFI" / "train.log")
    rep = diagnose(run)
    assert not [f for f in rep.findings if f.kind == "divergence"], rep.findings
    assert [f for f in rep.findings if f.kind == "level_shift"]


def test_a_last_point_far_beyond_the_scatter_is_still_a_blow_up():
    """The same kind of noisy single-batch loss whose last point jumps x30 above the points before it."""
    rng = np.random.default_rng(21)
    y = list(0.5 * np.exp(-np.linspace(0, 2, 60)) * np.exp(0.4 * rng.standard_normal(60)))
    y.append(30 * float(np.median(y[-10:])))
    run = Run(name="blowup")
    run.add(Series("train_loss", np.asarray(y), step=np.arange(len(y), dtype=float) * 100))
    rep = diagnose(run)
    div = [f for f in rep.findings if f.kind == "divergence"]
    assert div and div[0].severity == "critical", rep.findings


def test_a_smooth_loss_whose_last_point_blows_up_is_still_critical():
    y = list(2.0 * np.exp(-np.linspace(0, 3, 40))) + [12.0]  # x6 the untrained loss
    rep = diagnose(_training_only(y))
    div = [f for f in rep.findings if f.kind == "divergence"]
    assert div and div[0].severity == "critical", rep.findings


def test_swings_of_a_loss_that_blew_up_to_1e31_stay_finite_numbers():
    """KAMDEMJERRY (dev): appended launches, three of which blow up to 1e11-6e31. The oscillation check's
    typical rise (e^70 in one step) overflowed float64 in expm1: an 'inf' metric and a RuntimeWarning."""
    import json
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        reps = [diagnose(r) for r in load_path(CORPUS / "KAMDEMJERRY__CNN2" / "training_log.txt")]
    for rep in reps:
        json.dumps(rep.to_dict(), allow_nan=False, default=str)


def test_a_flat_training_sum_beside_validation_still_falling_is_no_model_that_cannot_learn_real_file():
    """AlanYuzhe (healthy): a YOLO results.csv whose training box+cls+dfl sum is noisy 5.8-8.2 with no
    trend (105% of its start) while validation falls 7.42 -> 6.57 and mAP50-95 rises 0.19 -> 0.25. The
    underfitting check read 'barely moved + a low metric' as a model that cannot learn (warning); the
    evaluated model is still learning - info."""
    _quiet_with_info("AlanYuzhe__yolo8-transformer-drown/results.csv", "underfitting", "still improving")


def test_a_flat_training_loss_beside_flat_validation_and_low_accuracy_still_warns():
    """Both curves stuck near ln 3 with a training accuracy of 0.4: a model that cannot fit - warning."""
    rng = np.random.default_rng(5)
    n = 20
    run = epoch_run("stuck", first_epoch=1,
                    train_loss=1.10 * np.exp(0.01 * rng.standard_normal(n)),
                    val_loss=1.11 * np.exp(0.01 * rng.standard_normal(n)),
                    train_acc=0.40 + 0.01 * rng.standard_normal(n))
    rep = diagnose(run)
    under = [f for f in rep.findings if f.kind == "underfitting"]
    assert under and under[0].severity == "warning", rep.findings


def test_the_verdict_headlines_a_cause_of_a_warning_not_a_surer_cause_of_an_info_finding_real_file():
    """kmsiapps (dev; overfitting with erratic_validation and spike also ok): the verdict led with
    'Overfitting (81%)' - a cause of an INFO finding that itself says 'the best point was a lucky low, the
    model is not getting worse' - over a WARNING of validation jumping up and back 55 times. The headline
    now names the top cause among those of a warning/critical finding; the causes list keeps its order."""
    [run] = load_path(next((CORPUS / "kmsiapps__Semantic-Communications-with-a-Vision-Transformer").iterdir()))
    rep = diagnose(run)
    assert rep.causes[0].id == "overfitting"  # still the most confident cause in the list
    head = rep.verdict.split(":")[0]
    assert "Overfitting" not in head, rep.verdict
    assert "validation loss jumped up and came back" in rep.verdict
    serious = {i for i, f in enumerate(rep.findings) if f.severity in ("warning", "critical")}
    # the cause named first: the headline's, or - below 50% calibrated, since stop 21 - the one given after
    # "Possible cause:" (the headline is then the finding)
    said = rep.verdict.split("Possible cause: ", 1)[1] if "Possible cause: " in rep.verdict else head
    named = [c for c in rep.causes if c.title.lower() in said.lower()]
    assert named and all(set(c.findings) & serious for c in named)


def test_swings_that_keep_their_size_while_the_logged_lr_decays_to_zero_are_noise_real_file():
    """dhagwu (round 17 dev, healthy): a DDPM with cosine LR 1e-4 -> 0; its training loss moves +-6% from
    epoch to epoch to the very end (random diffusion timesteps), validation +-9%. An LR too high would
    bounce less as the rate falls; these swings kept their size - info, not 'LR too high (79%)'."""
    _quiet_with_info("dhagwu__Easy_DDPM/train_log.txt", "oscillation", "kept their size")


def test_bounces_that_shrink_with_the_decaying_lr_are_not_called_noise():
    """Period-2 bounces whose size follows the LR (x10 decay): the LR-decay reading does not apply."""
    n = 40
    lr = 1e-2 * np.linspace(1.0, 0.1, n)
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    y = 1.0 * np.exp(-np.linspace(0, 0.3, n)) * np.exp(20 * lr * sign)
    run = epoch_run("bounce", first_epoch=1, train_loss=y, lr=lr)
    rep = diagnose(run)
    assert not [f for f in rep.findings if f.kind == "oscillation" and "kept their size" in f.summary], rep.findings
    assert [f for f in rep.findings if f.kind == "oscillation"]


def test_training_still_falling_on_its_noise_beside_a_flat_validation_is_no_underfitting_warning_real_file():
    """adai183 numerai (round 16 dev, healthy): a near-random binary task, 2070 epochs; training 0.693 ->
    0.605 still falling slowly (accuracy 0.67 and rising) beside a validation flat at ~0.676. 'Low
    accuracy that stopped improving' was an underfitting WARNING; the gap widening on training's own noise
    says the model has capacity to spare - info."""
    _quiet_with_info("adai183__numerai/train_stats.csv", "underfitting", "capacity is not what limits it")


def test_validation_standing_in_for_training_is_not_told_to_log_validation_real_file():
    """ML-Ops-...grape_vine (round 17 dev): a validation-only Lightning file; its oscillation info told the
    user to 'log validation' about the series that is the validation loss."""
    [run] = load_path(CORPUS / "ML-Ops-Burnsides-Bitches-Group-51__grape_vine_classification_group_51" / "metrics.csv")
    rep = diagnose(run)
    osc = [f for f in rep.findings if f.kind == "oscillation"]
    assert osc and osc[0].series == "val_loss"
    assert "log validation" not in osc[0].summary and "log the training loss" in osc[0].summary
