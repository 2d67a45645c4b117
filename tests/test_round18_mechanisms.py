"""Stop 21 mechanisms: a plateau is "training made no progress" only when the log shows where training
started and nothing logged says the model kept learning (issue 9: the corroborating metric, where
logged; a healthy run gets a quiet verdict). Each on a real dev file and a generated variant."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

from test_diagnose_support import epoch_run

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _plateau(rep):
    [p] = [f for f in rep.findings if f.kind == "plateau"]
    return p


def _flat_from_the_start(n=40, seed=0):
    """A loss that falls 5% in 3 epochs and then sits within ~0.2% of 1.9: the 'never got going' shape."""
    rng = np.random.default_rng(seed)
    y = 1.9 * (1 + 0.05 * np.exp(-np.arange(n) / 1.0)) * (1 + 0.001 * rng.standard_normal(n))
    return y


def test_a_flat_start_is_still_a_warning():
    """The control: nothing else logged, the log starts at epoch 0 - training never got going."""
    rep = diagnose(epoch_run(train_loss=_flat_from_the_start()))
    p = _plateau(rep)
    assert p.severity == "warning" and p.metrics["from_start"], p
    assert "made no progress" in p.summary


def test_a_log_that_begins_late_in_training_says_nothing_of_its_start():
    """ChristianPE1 (healthy): a Colab output cut to its last 5000 lines keeps epochs 143-150 of 150;
    the loss falls ~0.1% an epoch. Read from its first line, that was 'flat from the start: training made
    no progress' - a WARNING about a start the file does not contain."""
    runs = load_path(CORPUS / "ChristianPE1__transformer-test" / "loss.txt")
    p = _plateau(diagnose(runs[0]))
    assert p.severity == "info" and p.metrics["late_fragment"] and not p.metrics["from_start"]
    # generated: the same flat curve numbered from epoch 143 instead of 0
    flat = 1.9 * (1 + 0.001 * np.random.default_rng(1).standard_normal(8))
    late = _plateau(diagnose(epoch_run(train_loss=flat, first_epoch=143)))
    assert late.severity == "info" and late.metrics["late_fragment"]
    early = _plateau(diagnose(epoch_run(train_loss=flat, first_epoch=0)))
    assert early.severity == "warning"


def test_a_flat_loss_beside_a_rising_validation_metric_is_a_model_that_kept_learning():
    """ADHITHYAN9 (healthy): a segmentation loss within 1% of 0.70 for 450 of 500 epochs while val_iou
    climbs 0.23 -> 0.65. The metric the task is measured by says the model learned: plateau as info,
    with the metric's numbers."""
    [run] = load_path(CORPUS / "ADHITHYAN9__deforestation" / "training_log.json")
    rep = diagnose(run)
    p = _plateau(rep)
    assert p.severity == "info" and "val_iou went from" in p.summary and p.metrics["metric_still_improving"]
    assert not [f for f in rep.findings if f.severity in ("warning", "critical")], rep.findings
    # generated: the flat curve with a validation accuracy that rises 0.30 -> 0.60 ...
    y = _flat_from_the_start()
    rising = diagnose(epoch_run(train_loss=y, val_acc=np.linspace(0.30, 0.60, len(y))))
    assert _plateau(rising).severity == "info"
    # ... and with one that only wanders within its noise: still a plateau from the start
    rng = np.random.default_rng(3)
    wandering = diagnose(epoch_run(train_loss=y, val_acc=0.30 + 0.01 * rng.standard_normal(len(y))))
    assert _plateau(wandering).severity == "warning"


def _staircase_run(epochs=3, spe=80, sawtooth=0.0, seed=0):
    """A multi-epoch fine-tune: the step loss falls through each epoch (LR decaying) and steps down at
    each boundary (the set seen again); ``sawtooth``: plus the within-epoch shape a class-sorted order
    leaves (blocks of one class: a rise and fall repeated 4 times an epoch)."""
    from trueloss_dash.run import Run, Series

    rng = np.random.default_rng(seed)
    n = epochs * spe
    step = np.arange(n, dtype=float)
    epoch = np.floor(step / spe)
    phase = (step % spe) / spe
    y = 1.7 * np.exp(-0.25 * epoch - 0.12 * phase) * np.exp(rng.normal(0, 0.05, n))
    y *= np.exp(sawtooth * np.sin(2 * np.pi * 4 * phase))
    return Run("ft", {"train_loss": Series("train_loss", y, step=step, epoch=epoch + phase)})


def test_a_loss_falling_through_every_epoch_of_a_staircase_is_not_unshuffled_data():
    """ShubhamHaraniya (healthy): a TRL SFT log, 3 epochs of ~83 logged steps, the loss stepping down at
    each epoch boundary and falling on within each epoch as the LR decays to 0. Demeaned per epoch, the
    within-epoch descent repeated every epoch ('position explains 36%'): a shuffling WARNING. Each
    epoch's own line removed, nothing of an order is left."""
    [run] = load_path(CORPUS / "ShubhamHaraniya__Persona-Modeling" / "training_loss.json")
    rep = diagnose(run)
    assert not [f for f in rep.findings if f.kind == "shuffling"], rep.findings
    assert "level and slope" in next(c for c in rep.checks if c["id"] == "shuffling")["detail"]
    assert not [f for f in diagnose(_staircase_run()).findings if f.kind == "shuffling"]
    # the same staircase with a class-sorted order's shape inside each epoch is still unshuffled data
    assert [f.kind for f in diagnose(_staircase_run(sawtooth=0.3)).findings if f.kind == "shuffling"] == ["shuffling"]


def _lm_fine_tune(val_learns: bool, n=40, seed=0):
    """Training 3.30 -> 3.02 falling steadily beside a low (token) accuracy; validation falls 2% and
    stops (``val_learns``) or sits at its first level throughout."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    train = 3.30 * np.exp(-0.0023 * t) * (1 + 0.0005 * rng.standard_normal(n))
    val = (3.18 - 0.06 * np.minimum(t, 15) / 15 if val_learns else np.full(n, 3.18)) * (1 + 0.0003 * rng.standard_normal(n))
    return epoch_run(train_loss=train, val_loss=val, train_acc=np.full(n, 0.40) + 0.001 * rng.standard_normal(n))


def test_a_widening_gap_after_validation_learned_is_not_an_underfitting_warning():
    """Ansarill (healthy): an LM LoRA fine-tune, training 3.32 -> 3.00 (90% of its start, token
    accuracy ~0.4) still falling beyond its noise while eval loss fell 3.178 -> 3.117 and then stayed
    flat: the model keeps fitting its training set, so capacity is not what limits it - the summary
    said so, yet the 'barely moved + low accuracy' branch made it a WARNING."""
    [run] = load_path(CORPUS / "Ansarill__poetry" / "trainer_state.json")
    rep = diagnose(run)
    [u] = [f for f in rep.findings if f.kind == "underfitting"]
    assert u.severity == "info" and "keeps fitting its training set" in u.summary
    assert not [f for f in rep.findings if f.severity in ("warning", "critical")], rep.findings
    quiet = [f for f in diagnose(_lm_fine_tune(True)).findings if f.kind == "underfitting"]
    assert quiet and quiet[0].severity == "info", quiet


def test_a_widening_gap_beside_a_validation_that_never_learned_stays_a_warning():
    """flyant407 (underfitting): a 10-class classifier whose validation sits at ln 10 from first to last
    (val_acc 0.05-0.14) while its training loss dips below it - memorising, nothing learned: the
    widening gap excuses nothing when validation never improved."""
    [run] = load_path(CORPUS / "flyant407__distracted_driver_detection" / "training.log")
    [u] = [f for f in diagnose(run).findings if f.kind == "underfitting"]
    assert u.severity == "warning", u
    [g] = [f for f in diagnose(_lm_fine_tune(False)).findings if f.kind == "underfitting"]
    assert g.severity == "warning", g


def test_chainer_dcgan_losses_are_the_adversarial_game():
    """aidiary (healthy): Chainer's DCGAN example logs 'gen/loss' and 'dis/loss'; the generator's loss
    climbing as its discriminator improves is the game, not 'the model lost what it had learned' (a
    level-shift WARNING before '/'-separated names were read as GAN terms)."""
    from trueloss_dash.columns import looks_like_adversarial_loss

    assert looks_like_adversarial_loss("gen/loss") and looks_like_adversarial_loss("dis/loss")
    assert not looks_like_adversarial_loss("main/loss") and not looks_like_adversarial_loss("dist_loss")
    [run] = load_path(CORPUS / "aidiary__chainer-dcgan" / "log")
    rep = diagnose(run)
    assert not [f for f in rep.findings if f.severity in ("warning", "critical")], rep.findings
    shift = [f for f in rep.findings if f.kind == "level_shift"]
    assert shift and shift[0].metrics["not_a_progress_measure"] == "adversarial"
    # generated: a generator loss that jumps up and stays while the discriminator's falls
    n = 30
    gen = np.where(np.arange(n) < 12, 1.0, 3.0) * (1 + 0.02 * np.random.default_rng(2).standard_normal(n))
    dis = np.where(np.arange(n) < 12, 1.2, 0.3)
    gan = diagnose(epoch_run(**{"gen/loss": gen, "dis/loss": dis}))
    assert not [f for f in gan.findings if f.severity in ("warning", "critical")], gan.findings


def test_a_training_loss_that_never_changed_is_nothing_learning_not_a_slow_lr():
    """keepdevops (underfitting): 0.49999999999969813 at each of 1000 epochs, no validation - no weight
    that matters moved (a slow LR still moves the loss). Read as a plateau only, its cause was 'LR too
    low'. A frozen loss beside a validation metric that kept improving is a loss not logged from the
    model (DAIDASEN, healthy) and stays quiet."""
    [run] = load_path(CORPUS / "keepdevops__greenline_neuralnet" / "loss_curve.csv")
    rep = diagnose(run)
    [u] = [f for f in rep.findings if f.kind == "underfitting"]
    assert u.severity == "warning" and u.metrics["frozen"] and "never changed" in u.summary
    assert rep.causes[0].id == "underfitting"
    frozen = np.full(30, 0.5123)
    assert [f.severity for f in diagnose(epoch_run(train_loss=frozen)).findings if f.kind == "underfitting"] == ["warning"]
    learning = diagnose(epoch_run(train_loss=frozen, val_acc=np.linspace(0.5, 0.8, 30)))
    assert not [f for f in learning.findings if f.severity in ("warning", "critical")], learning.findings
    [daidasen] = load_path(CORPUS / "DAIDASEN__Foundation-Model" / "training_results.csv")
    assert not [f for f in diagnose(daidasen).findings if f.severity in ("warning", "critical")]


def test_a_per_iteration_loss_with_a_completed_epoch_counter_is_read_on_its_steps():
    """clementsiegrist (healthy): a Chainer log with one row per iteration (3000) whose 'epoch' column is
    the completed-epoch counter (15 values). On the epoch axis 200 points piled up on each whole epoch and
    their binned means swung like an oscillation WARNING; on the iteration axis the curve is what it is."""
    from trueloss_dash.diagnose.view import RunView
    from trueloss_dash.run import Run, Series

    [run] = load_path(CORPUS / "clementsiegrist__NucleiSegBayesiaNeuralNet" / "log.csv")
    assert RunView.of(run).axis == "step"
    assert not [f for f in diagnose(run).findings if f.kind == "oscillation" and f.severity != "info"]
    n, spe = 400, 40
    step = np.arange(n, dtype=float)
    y = 2.0 * np.exp(-step / 150) + 0.3
    counter = Run("it", {"train_loss": Series("train_loss", y, step=step, epoch=np.floor(step / spe))})
    assert RunView.of(counter).axis == "step"
    placed = Run("it", {"train_loss": Series("train_loss", y, step=step, epoch=step / spe)})
    assert RunView.of(placed).axis == "epoch"  # fractional epochs already place every row
    per_epoch = epoch_run(train_loss=y[::spe], val_loss=y[::spe] * 1.1)
    assert RunView.of(per_epoch).axis == "epoch"


def test_a_loss_flat_at_zero_has_nothing_left_to_learn():
    """Keyfingers (healthy): 0.0091 in epoch 1, then exactly 0.0000 for nine epochs - 'flat from the start:
    training made no progress' (a WARNING read as LR too low) about a loss at its floor."""
    [run] = load_path(CORPUS / "Keyfingers__MUVO" / "training_output.log")
    p = _plateau(diagnose(run))
    assert p.severity == "info" and "at zero" in p.summary
    zeros = epoch_run(train_loss=np.array([0.02] + [0.0] * 15))
    assert _plateau(diagnose(zeros)).severity == "info"
    # a loss flat well above zero from the start is still 'never got going'
    assert _plateau(diagnose(epoch_run(train_loss=np.array([0.52] + [0.5] * 15)))).severity == "warning"


def _converged_near_zero(n=100, relapse_at=None, seed=4):
    """1.1 -> ~1e-3 in 8 epochs, then a converged loss swinging by orders of magnitude near zero
    (log-uniform 1e-5 .. 2e-2); ``relapse_at``: a burst back to ~0.9 there, gone 4 epochs later."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([1.1 * np.exp(-np.arange(8) * 0.9), 10 ** rng.uniform(-5, -1.7, n - 8)])
    if relapse_at is not None:
        y[relapse_at:relapse_at + 4] = [0.09, 0.9, 0.6, 0.13]
    return y


def test_a_relapse_to_the_start_after_convergence_is_a_spike_whatever_the_log_noise():
    """K-rot (spike): a Chainer AlexNet 1.10 -> 0.009, then 0.92 at epoch 21 and back to 0.013 four epochs
    later. Near zero its log swings by orders of magnitude, so the z tests saw z 3.3: missed. On the loss
    itself it is the one excursion that undid the run's progress."""
    [run] = load_path(CORPUS / "K-rot-0615__classifier2Web" / "log")
    spikes = [f for f in diagnose(run).findings if f.kind == "spike"]
    assert spikes and spikes[0].metrics["peak_x"] == 21 and "of its start" in spikes[0].summary
    got = [f for f in diagnose(epoch_run(train_loss=_converged_near_zero(relapse_at=40))).findings if f.kind == "spike"]
    assert got and got[0].severity == "warning"
    # the same converged noise without the relapse: nothing
    assert not [f for f in diagnose(epoch_run(train_loss=_converged_near_zero())).findings if f.kind == "spike"]


def test_a_json_object_of_several_model_histories_loads_one_run_each(tmp_path):
    """Seanachan (overfitting): {"mlp": [50 records], "text": [50 records]} - two models' histories side by
    side. Only the first was read (the second, whose validation climbs +52%, silently dropped)."""
    runs = load_path(CORPUS / "Seanachan__deep-work-secretary" / "train_metrics.json")
    assert [r.name.split(":")[-1] for r in runs] == ["mlp", "text"]
    assert all("histories side by side" in " ".join(r.warnings) for r in runs)
    text = diagnose(runs[1])
    assert [f.severity for f in text.findings if f.kind == "overfitting"] == ["warning"]
    # a train/val pair of one run's halves is not two models; a lone history stays one run
    import json

    halves = tmp_path / "halves.json"
    halves.write_text(json.dumps({"train": [{"epoch": e, "loss": 1.0 / (e + 1)} for e in range(6)],
                                  "val": [{"epoch": e, "loss": 1.2 / (e + 1)} for e in range(6)]}))
    assert len(load_path(halves)) == 1
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"history": [{"epoch": e, "loss": 1.0 / (e + 1), "val_loss": 1.1 / (e + 1)} for e in range(6)],
                               "test_acc": 0.9}))
    assert len(load_path(one)) == 1


def test_a_json_array_of_folds_each_with_its_records_loads_one_run_per_fold(tmp_path):
    """AloolXO (healthy): [{"fold": 1, "metrics": [15 epoch records]}, ... 7 folds] was refused ('no loss
    series found; columns are [fold]'): each fold is a run."""
    import json

    runs = load_path(CORPUS / "AloolXO__Final_qualifying_work" / "training_metrics.json")
    assert [r.name.split(":")[-1] for r in runs] == [f"fold {k}" for k in range(1, 8)]
    assert all(len(r.get("train_loss").y) == 15 for r in runs)
    folds = tmp_path / "cv.json"
    folds.write_text(json.dumps([{"fold": k, "history": [{"epoch": e, "loss": 1.0 / (e + k), "val_loss": 1.1 / (e + k)}
                                                         for e in range(1, 7)]} for k in (1, 2, 3)]))
    assert len(load_path(folds)) == 3
    plain = tmp_path / "records.json"
    plain.write_text(json.dumps([{"epoch": e, "loss": 1.0 / e} for e in range(1, 7)]))
    assert len(load_path(plain)) == 1


def test_joey_nmt_total_training_loss_is_the_training_loss():
    """shania3322 (overfitting): Joey NMT prints 'Epoch N: total training loss 813.21' (the epoch's summed
    batch losses) - no alias had it, so the run had a validation loss only and no check compared the two:
    'No problems found' beside a validation loss +40% over 3 evaluations."""
    from trueloss_dash.columns import TRAIN_LOSS, canonical_series

    assert canonical_series("total training loss") == TRAIN_LOSS
    [run] = load_path(CORPUS / "shania3322__joeynmt" / "train.log")
    assert len(run.get(TRAIN_LOSS).y) == 100
    over = [f for f in diagnose(run).findings if f.kind == "overfitting"]
    assert over and over[0].severity == "warning" and "only 3 validation points" in over[0].summary


def test_a_cause_more_likely_wrong_than_right_does_not_head_the_verdict():
    """A training-only loss that explodes x1,200: the divergence is certain, its reading 'LR too high' rests
    on one curve (calibrated ~17%: at first sight such leads were right 1 time in 27). The headline says
    what was seen and names the cause as a possibility; a confident cause still leads."""
    t = np.arange(40, dtype=float)
    y = np.where(t < 30, 0.7 * np.exp(-t / 10) + 0.1, 0.2 * np.exp((t - 29) * 0.9))
    rep = diagnose(epoch_run(train_loss=y))
    assert rep.causes and rep.causes[0].confidence < 0.5
    assert rep.verdict.startswith("Divergence: ") and f"Possible cause: {rep.causes[0].title}" in rep.verdict
    [run] = load_path(CORPUS / "Seanachan__deep-work-secretary" / "train_metrics.json")[1:]
    sure = diagnose(run)
    assert sure.causes[0].confidence >= 0.5 and sure.verdict.startswith(sure.causes[0].title)
