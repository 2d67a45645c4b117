"""False alarms on healthy DEV logs of the grown real corpus (issue 9; tests/data/corpus/LABELS.tsv
holds each file's source repository, commit and the label written before the engine ran). Each test
pins the mechanism that raised the alarm, on the real file."""

from __future__ import annotations

from pathlib import Path

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _diag(rel: str):
    got = load_path(CORPUS / rel)
    return diagnose(got[0] if isinstance(got, list) else got)


def _kinds(rep, severities=("warning", "critical")) -> set[str]:
    return {f.kind for f in rep.findings if f.severity in severities}


def test_underfitting_still_improving_steadily_is_info():
    # 20 epochs, training accuracy only 0.50 but loss and validation still falling steadily (val acc
    # 0.27 -> 0.56): the run was stopped while learning - "train longer", not a model that cannot fit
    rep = _diag("EdwinIniguez__Human-Activity-Recognition_UCF101/training_history_10cls.csv")
    under = [f for f in rep.findings if f.kind == "underfitting"]
    assert under and all(f.metrics["still_improving"] for f in under)
    assert all(f.severity == "info" for f in under), [f.summary for f in under]


def test_three_epoch_run_gap_and_training_shift_within_noise_are_not_alarms():
    # 3 epochs, a step-level training loss bouncing 0.05-0.38 after its first drop, validation falling
    # 0.254 -> 0.203 -> 0.168. A window mean of a few minibatch losses is too noisy to call validation
    # "below training" (and one point is no gap); a training-loss "shift" while validation keeps
    # improving to its best leaves the evaluated model no worse.
    rep = _diag("Aamer98__MedUncertainty/version_1_metrics.csv")
    assert not _kinds(rep), [f"{f.kind}: {f.summary}" for f in rep.findings]
    gaps = [f for f in rep.findings if f.kind == "inverted_gap"]
    assert not gaps or gaps[0].metrics["inverted_points"] >= 2
    shifts = [f for f in rep.findings if f.kind == "level_shift" and f.series == "train_loss"]
    assert all(f.severity == "info" and f.metrics.get("validation_kept_improving") for f in shifts)


def test_validation_bump_within_its_own_bounce_is_not_a_warning_spike():
    # 41 epochs, validation bouncing 0.25-0.36 before the first LR cut (robust sigma ~0.20 in log
    # units, about 3x the training loss's): the bump to 0.364 at epoch 17 stands out only against the
    # smoother training loss; against validation's own noise it is z~2, its usual bounce
    rep = _diag("GalexyBrain__CNN-For-Blood-Group-Detection-using-fingerprint/training_log.csv")
    assert not _kinds(rep), [f"{f.kind}: {f.summary}" for f in rep.findings]
    spikes = [f for f in rep.findings if f.kind == "spike" and f.series == "val_loss"]
    assert spikes and all(f.metrics["own_z"] < 6 and "usual bounce" in f.summary for f in spikes)


def test_hf_step_loss_whose_epochs_do_not_repeat_a_profile_is_not_unshuffled_data():
    # HF fine-tune, 1000 logged steps over 38 epochs of ~26: averaged over half the run the profile
    # looks alike (a shared ramp from the loss's slow drift), but one epoch's profile does not repeat
    # in the next (correlation ~0.24; each epoch against the mean of the others ~0.4) - no evidence
    # of a fixed data order
    rep = _diag("MattthiasSchedel__DAT55-Project4/trainer_state.json")
    assert "shuffling" not in rep.kinds(), rep.verdict
    assert not _kinds(rep), [f"{f.kind}: {f.summary}" for f in rep.findings]
    check = next(c for c in rep.checks if (c["id"] if isinstance(c, dict) else c.id) == "shuffling")
    detail = check["detail"] if isinstance(check, dict) else check.detail
    import re

    from trueloss_dash.diagnose import thresholds as T

    corr = float(re.search(r"repeat correlation (\S+)$", detail).group(1).replace("\u2212", "-"))
    assert corr < T.SHUFFLE_MIN_REPEAT_CORR, detail


def test_two_bumps_in_a_falling_loss_are_not_oscillation():
    # Keras multi-output run, 15 epochs at lr 3e-5 -> 4.8e-6: the summed loss falls 0.758 -> 0.42 with
    # two visible rises (+5.0% at epoch 9, +17% at epoch 12) among small moves; swinging means
    # repeatedly (OSCILLATION_MIN_RISES), so no oscillation warning and no "LR too high"
    rep = _diag("AVINASHGK16__Multimodal-deepfake-detector/training_log.csv")
    assert not [f for f in rep.findings if f.kind == "oscillation"], [f.summary for f in rep.findings]
    assert "lr_too_high" not in rep.cause_ids()
    detail = next(c["detail"] for c in rep.checks if c["id"] == "oscillation")
    assert "2 rises of" in detail


def test_a_loss_bouncing_up_again_and_again_is_still_oscillation():
    # the same descent with a ~+11% rise every other epoch (7 rises) beside a validation curve that
    # swings with it: repeated bouncing, a warning with the LR cause
    import numpy as np

    from trueloss_dash.run import Run, Series

    k = np.arange(16)
    train = 0.76 * np.exp(-0.04 * k) * np.where(k % 2 == 1, 1.15, 1.0)
    val = 0.46 * np.exp(-0.03 * k) * np.where(k % 2 == 1, 1.15, 1.0)
    ep = k.astype(float)
    run = Run(name="bouncing", series={"train_loss": Series("train_loss", train, epoch=ep), "val_loss": Series("val_loss", val, epoch=ep)})
    rep = diagnose(run)
    osc = [f for f in rep.findings if f.kind == "oscillation"]
    assert osc and osc[0].severity == "warning" and "lr_too_high" in rep.cause_ids()[:2]
