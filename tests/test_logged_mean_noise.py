"""Two readings of HF Trainer logs that used to raise false alarms on healthy fine-tunes (real dev,
corpus round 7): a logged point is the mean of batch x logging_steps examples, so its sampling
noise is known; and an ``epoch`` field that falls back while the step moves on is not an axis."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def _trainer_state(tmp_path: Path, losses, *, batch: int, every: int, epochs=None, evals=None) -> Path:
    history = []
    for i, loss in enumerate(losses, 1):
        history.append({"epoch": (epochs[i - 1] if epochs is not None else i / len(losses) * 3), "learning_rate": 4e-5,
                        "loss": float(loss), "step": i * every})
        if evals is not None:
            history.append({"epoch": history[-1]["epoch"], "eval_loss": float(evals[i - 1]), "step": i * every})
    state = {"global_step": len(losses) * every, "logging_steps": every, "train_batch_size": batch, "log_history": history}
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(state))
    return path


def _noisy_descent(seed: int, n: int = 28, examples: int = 500) -> np.ndarray:
    """A fine-tune falling from 1.8 to 1.15, each point the mean of ``examples`` exponential-ish
    per-example losses (CV 1): the moves are sampling noise, nothing else."""
    rng = np.random.default_rng(seed)
    trend = 1.15 + 0.65 * np.exp(-np.arange(n) / 10)
    return trend * (1 + rng.standard_normal(n) / np.sqrt(examples))


def _warnings(report) -> list[str]:
    return [f.kind for f in report.findings if f.severity in ("warning", "critical")]


@pytest.mark.parametrize("seed", range(6))
def test_swings_within_the_sampling_noise_of_a_logged_mean_are_not_an_unstable_lr(tmp_path, seed):
    run = load_path(_trainer_state(tmp_path, _noisy_descent(seed), batch=1, every=500))[0]
    assert run.context.batch_size == 1
    report = diagnose(run)
    assert "oscillation" not in _warnings(report), [f.summary for f in report.findings]


def test_the_same_swings_on_means_of_many_examples_are_still_an_oscillation(tmp_path):
    # 64 x 500 examples a point: chance moves ~0.6%, so a loss rising 8-12% at every other point bounces
    n = 28
    trend = 1.15 + 0.65 * np.exp(-np.arange(n) / 10)
    zigzag = trend * np.where(np.arange(n) % 2 == 0, 1.0, 1.10)
    report = diagnose(load_path(_trainer_state(tmp_path, zigzag, batch=64, every=500))[0])
    assert "oscillation" in _warnings(report)
    small = diagnose(load_path(_trainer_state(tmp_path, zigzag, batch=1, every=50))[0])  # 50 examples: ~14% by chance
    assert "oscillation" not in _warnings(small)


def test_real_hf_finetune_at_batch_1_is_quiet():
    """GulbeycanCagri/IS-584-Term-Project: batch 1, a point every 500 steps, 1.72 -> 1.09 with +-7%
    moves; it was 'Learning rate too high (85%)'."""
    report = diagnose(load_path(CORPUS / "GulbeycanCagri__IS-584-Term-Project" / "trainer_state.json")[0])
    assert _warnings(report) == []


def test_an_epoch_that_falls_back_while_the_step_moves_on_is_not_the_axis(tmp_path):
    n = 30
    losses = 2.0 * np.exp(-np.arange(n) / 12) + 0.5
    epochs = [round((i % 8) * 0.01 + i // 8, 2) for i in range(n)]  # 0.0 .. 0.07, 1.0 .. 1.07, ...
    epochs[5:8] = [0.01, 0.02, 0.03]  # and a restart inside the first pass
    run = load_path(_trainer_state(tmp_path, losses, batch=8, every=100, epochs=epochs, evals=losses * 0.9))[0]
    train = run.series["train_loss"]
    assert train.epoch is None and np.all(np.diff(train.step) > 0)
    assert "epoch" not in run.series
    assert any("falls back" in n and "step is the axis" in n for n in run.notes), run.notes


def test_real_streaming_whisper_finetune_reads_on_steps_and_is_quiet():
    """CoralReefFish/whisper-tiny-nbaiLab: HF's epoch field goes 0.05, 0.01, ... 1.08, 2.0, ... on a
    streaming dataset; read on it, a smooth eval loss looked like a jump and a swing (an LR overshoot
    and an oscillation warning). On steps: eval 1.19 -> 0.51, nothing to warn about."""
    run = load_path(CORPUS / "CoralReefFish__whisper-tiny-nbaiLab" / "trainer_state.json")[0]
    assert run.series["val_loss"].epoch is None and len(run.series["val_loss"].y) == 100
    report = diagnose(run)
    assert _warnings(report) == []
    assert not any(f.kind == "spike" for f in report.findings)



def test_real_trl_finetune_at_its_floor_is_quiet():
    """LEEDONGQUE/serverlog (real dev, round 10): HF/TRL, batch 2, a point every 50 steps, loss 1.05 ->
    0.06 then +-10% at the floor while the LR decays to 0. It was 'Learning rate too high (80%)': 120
    points were binned and the binned branch ignored the logged mean's sampling noise, and the start was
    the median of the first tenth (already 5x down). eval_num_tokens (a counter) was read as a metric
    that 'kept improving' while validation rose."""
    report = diagnose(load_path(CORPUS / "LEEDONGQUE__serverlog" / "trainer_state.json")[0])
    assert _warnings(report) == []
    assert not any(f.kind == "metric_disagreement" and "num_tokens" in f.summary for f in report.findings)


def test_counters_and_entropy_are_not_validation_metrics():
    from trueloss_dash.diagnose.detectors.metric_disagreement import validation_metrics
    from trueloss_dash.run import Run, Series

    run = Run(name="r", format="test")
    for name in ("val_loss", "eval_num_tokens", "eval_entropy", "eval_samples_per_second", "eval_accuracy", "val_f1"):
        run.add(Series(name, np.linspace(1, 2, 5), epoch=np.arange(5.0)))
    assert set(validation_metrics(run)) == {"eval_accuracy", "val_f1"}

