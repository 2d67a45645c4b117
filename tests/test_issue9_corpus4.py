"""Issue 9, corpus round 4: the real dev failures the new dev logs exposed, each mechanism on the real
file and on generated runs for both sides (the healthy side stays quiet, the faulty side is still
called)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.run import Run, Series

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _diag(rel: str):
    run = load_path(CORPUS / rel)[0]
    return diagnose(run)


def _alarms(rep) -> list[str]:
    return [f"{f.kind}: {f.summary}" for f in rep.findings if f.severity in ("warning", "critical")]


def _gap(rep):
    return next((f for f in rep.findings if f.kind == "inverted_gap"), None)


# --- inverted gap: "validation below training before any learning" needs the steps to say so ------

def test_first_validation_after_a_whole_epoch_of_step_losses_is_not_before_learning():
    # Lightning: three single-batch training losses (steps 49, 99, 149) and the validation that ends
    # epoch 0 (step 150) all sit at epoch 0; the model has dropout - not a data mismatch.
    rep = _diag("Driemann__ml-aos/version_1_metrics.csv")
    f = _gap(rep)
    assert f is not None and f.severity == "info", _alarms(rep)
    assert not f.metrics["first_point_before_learning"]
    assert not rep.causes or rep.causes[0].id != "data_mismatch", rep.causes[:2]


def _lightning_run(val_first_step: float, seed: int = 0) -> Run:
    """Step-level training loss every 10 steps (10 per epoch) and a per-epoch validation that sits
    ~3x below it from the start; the first validation is logged at ``val_first_step``."""
    rng = np.random.default_rng(seed)
    steps = np.arange(0, 800, 10, dtype=float)
    train = (0.3 * np.exp(-steps / 150) + 0.1) * np.exp(0.05 * rng.standard_normal(len(steps)))
    v_steps = np.concatenate([[val_first_step], np.arange(199, 800, 100, dtype=float)])
    val = (0.3 * np.exp(-v_steps / 150) + 0.1) / 3
    run = Run(name="generated", source="generated", format="generated")
    run.add(Series(name="train_loss", y=train, step=steps, epoch=np.floor(steps / 100)))
    run.add(Series(name="val_loss", y=val, step=v_steps, epoch=np.floor(v_steps / 100)))
    return run


def test_generated_validation_logged_after_the_first_steps_is_not_before_learning():
    f = _gap(diagnose(_lightning_run(val_first_step=99.0)))
    assert f is not None and not f.metrics["first_point_before_learning"]


def test_generated_validation_logged_at_step_zero_is_still_before_learning():
    rep = diagnose(_lightning_run(val_first_step=0.0))
    f = _gap(rep)
    assert f is not None and f.metrics["first_point_before_learning"], rep.findings
    assert f.metrics["start_rel_gap"] > 0.5
    assert any(c.id == "data_mismatch" for c in rep.causes[:2]), rep.causes[:3]


# --- oscillation: single-batch losses logged on a step schedule, read on an epoch axis -----------

def test_training_loss_logged_every_50_steps_without_validation_is_not_lr_too_high():
    # one single-batch value every 50 steps (~2.5 epochs apart): +-20% is minibatch noise
    rep = _diag("JSavree__HisToGene/version_1_metrics.csv")
    assert not _alarms(rep), _alarms(rep)
    osc = next((f for f in rep.findings if f.kind == "oscillation"), None)
    assert osc is None or osc.severity == "info"


def test_per_batch_rows_within_each_epoch_without_validation_are_not_lr_too_high():
    rep = _diag("Ayrus88__Multimodal_object_detection/training_log.csv")
    assert not _alarms(rep), _alarms(rep)


def _bouncing(epoch: np.ndarray, seed: int = 0) -> Run:
    rng = np.random.default_rng(seed)
    n = len(epoch)
    k = np.arange(n)
    y = (2.0 * np.exp(-k / 60) + 0.5) * np.exp(0.18 * np.where(k % 2 == 0, 1, -1) + 0.03 * rng.standard_normal(n))
    run = Run(name="generated", source="generated", format="generated")
    run.add(Series(name="train_loss", y=y, step=(k + 1) * 50.0, epoch=epoch))
    return run


def test_generated_step_scheduled_bounces_are_info():
    n = 40
    rep = diagnose(_bouncing(np.floor(np.arange(n) * 2.5)))
    osc = next(f for f in rep.findings if f.kind == "oscillation")
    assert osc.severity == "info" and "single-batch" in osc.summary


def test_generated_epoch_means_bouncing_the_same_way_still_warn():
    n = 40
    rep = diagnose(_bouncing(np.arange(n, dtype=float)))
    osc = next(f for f in rep.findings if f.kind == "oscillation")
    assert osc.severity == "warning", osc.summary


# --- metric disagreement: a metric on a 1/N grid must gain more than one example ------------------

def test_top1_up_by_one_validation_example_does_not_excuse_a_20_percent_loss_rise():
    run, = load_path(CORPUS / "Multimodal-Emotion-Recognition-Group__image_bind/version_23_metrics.csv")
    assert len(run.series["val_loss"].y) == 23  # per-batch validation rows do not split the file
    rep = diagnose(run)
    over = next(f for f in rep.findings if f.kind == "overfitting")
    assert over.severity == "warning", over.summary
    assert not any(f.kind == "metric_disagreement" for f in rep.findings)


def _overconfident(correct_gain: int, n_val: int = 200) -> Run:
    """Validation loss bottoms at epoch 10 and rises ~15% by epoch 24 while training keeps falling;
    validation accuracy (k of n_val right) ends ``correct_gain`` examples above its value at the best."""
    e = np.arange(25, dtype=float)
    train = 2.0 * np.exp(-e / 8) + 0.2
    val = np.where(e <= 10, 2.0 * np.exp(-e / 8) + 0.5, (2.0 * np.exp(-10 / 8) + 0.5) * (1 + 0.011 * (e - 10)))
    right = np.round(np.minimum(e, 10) * 8 + 60 + correct_gain * np.clip((e - 10) / 12, 0, 1))
    run = Run(name="generated", source="generated", format="generated")
    for name, y in (("train_loss", train), ("val_loss", val), ("val_acc", right / n_val)):
        run.add(Series(name=name, y=np.asarray(y, float), epoch=e))
    return run


def test_generated_accuracy_up_by_many_examples_is_still_metric_disagreement():
    rep = diagnose(_overconfident(correct_gain=12))
    assert any(f.kind == "metric_disagreement" for f in rep.findings), [f.kind for f in rep.findings]


def test_generated_accuracy_up_by_one_example_is_not():
    rep = diagnose(_overconfident(correct_gain=1))
    assert not any(f.kind == "metric_disagreement" for f in rep.findings), [f.summary for f in rep.findings]
    assert any(f.kind == "overfitting" for f in rep.findings)


# --- reader: YOLOv10 results.csv (one-to-many / one-to-one head losses) -------------------------

def test_yolov10_results_sum_both_heads_into_the_losses():
    run, = load_path(CORPUS / "4prince8__Object_Detection_Yolov10/results.csv")
    assert run.format == "ultralytics_csv"
    tr, va = run.series["train_loss"].y, run.series["val_loss"].y
    # epoch 0: box/cls/dfl of both heads, as logged (13.64 and 30.89 in the file's columns)
    assert abs(tr[0] - 13.641) < 0.01 and abs(va[0] - 30.894) < 0.01
    assert len(tr) == len(va) == 15


def test_yolov8_loss_names_still_read_the_same_way(tmp_path):
    p = tmp_path / "results.csv"
    p.write_text("epoch,train/box_loss,train/cls_loss,train/dfl_loss,metrics/mAP50(B),val/box_loss,val/cls_loss,val/dfl_loss\n"
                 + "".join(f"{e},{1.5 - e * 0.1},{2.0 - e * 0.1},{1.2},0.{e},{1.4},{1.9 - e * 0.1},{1.1}\n" for e in range(1, 6)))
    run, = load_path(p)
    assert run.format == "ultralytics_csv"
    assert abs(run.series["train_loss"].y[0] - (1.4 + 1.9 + 1.2)) < 1e-9
    assert not any(n.endswith(("_om", "_oo")) for n in run.series)


# --- reader: Lightning per-batch validation rows (no epoch, a validation-batch count as step) ------

def _lightning_csv(tmp_path, appended: bool):
    """Per-batch validation rows in every epoch; ``appended``: instead of those rows, a second
    training appended to the file (epoch and step start again), which must still split."""
    rows = ["epoch,step,train_loss,val_loss_step,val_loss_epoch"]
    vb = 0
    for e in range(6):
        for s in (e * 10 + 4, e * 10 + 9):
            rows.append(f"{e},{s},{2.0 - 0.2 * e - 0.01 * s:.4f},,")
        for _ in range(0 if appended else 4):
            rows.append(f",{vb},,{1.9 - 0.2 * e + 0.05 * (vb % 3):.4f},")
            vb += 1
        rows.append(f"{e},{e * 10 + 9},,,{1.95 - 0.2 * e:.4f}")
    if appended:
        rows += [f"{e},{e * 10},{2.0 - 0.1 * e:.4f},,{2.1 - 0.1 * e:.4f}" for e in range(6)]
    p = tmp_path / "metrics.csv"
    p.write_text("\n".join(rows) + "\n")
    return load_path(p)


def test_generated_per_batch_validation_rows_do_not_split_a_lightning_file(tmp_path):
    runs = _lightning_csv(tmp_path, appended=False)
    assert len(runs) == 1 and len(runs[0].series["val_loss"].y) == 6
    assert any("per-batch validation rows" in n for n in runs[0].notes)


def test_generated_appended_training_still_splits(tmp_path):
    runs = _lightning_csv(tmp_path, appended=True)
    assert len(runs) >= 2
