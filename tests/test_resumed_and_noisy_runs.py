"""Two mechanisms the multi-run evaluation exposed on DEV files (every run of a file is judged):

* a later part of a file that starts where the part before it ended is a resumed training, not a
  fresh model: "barely moved from its start" (underfitting) and "flat from the start" (plateau) do
  not apply to it (ingest marks ``meta["continues"]``);
* divergence is judged against the curve's own scatter: a loss logged as single batches that swings
  x10 between points has a "best" that is one lucky batch, not a level it climbed away from.

Real files: tests/data/corpus (LABELS.tsv gives repository and commit); generated variants beside them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _alarms(report) -> list[str]:
    return [f"{f.kind}({f.severity}): {f.summary}" for f in report.findings if f.severity in ("warning", "critical")]


def test_second_stage_that_resumes_the_first_is_marked_and_not_called_underfitting():
    # stage 1: 0.428 -> 0.333 in 5 epochs; stage 2 starts at 0.334 and settles 0.298-0.304, validation
    # 0.321 -> 0.305 still falling: a second stage of one training, labelled healthy
    runs = load_path(CORPUS / "Fatima-Siddiqa__diabetic-retinopathy-project" / "training_log.csv")
    assert len(runs) == 2
    assert "continues" not in runs[0].meta and runs[1].meta["continues"] == runs[0].name
    assert any("continuation" in n for n in runs[1].notes)
    rep = diagnose(runs[1])
    assert not _alarms(rep), _alarms(rep)
    # its progress from a trained start says nothing about fitting: no underfitting finding at all
    assert not [f for f in rep.findings if f.kind == "underfitting"], rep.findings
    assert "resumed a trained model" in " ".join(c["detail"] for c in rep.checks if c["id"] == "underfitting")


def test_resumed_part_flat_from_its_start_is_not_no_progress():
    runs = load_path(CORPUS / "BlackPool25__AI-Detector-Text" / "training.log")
    assert len(runs) == 2 and runs[1].meta.get("continues")
    rep = diagnose(runs[1])
    assert not [f for f in rep.findings if f.kind == "plateau" and f.severity != "info"], _alarms(rep)


def _appended_csv(second_start: float, rng) -> bytes:
    rows = ["epoch,loss,val_loss"]
    first = 2.0 * np.exp(-0.25 * np.arange(12)) + 0.3  # 2.3 -> ~0.4
    for e, y in enumerate(first, 1):
        rows.append(f"{e},{y:.5f},{y * 1.05:.5f}")
    second = second_start + (first[-1] * 0.97 - second_start) * (1 - np.exp(-0.4 * np.arange(12)))
    second = second * (1 + 0.002 * rng.standard_normal(12))
    for e, y in enumerate(second, 1):
        rows.append(f"{e},{y:.5f},{y * 1.05:.5f}")
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("seed", [0, 1])
def test_generated_resume_is_marked_but_a_fresh_restart_is_not(seed):
    rng = np.random.default_rng(seed)
    first_end = 2.0 * np.exp(-0.25 * 11) + 0.3
    resumed = load_bytes("history.csv", _appended_csv(first_end * 1.01, rng))
    assert len(resumed) == 2 and resumed[1].meta.get("continues")
    # resumed at its previous level and barely moving: no "underfitting"/"no progress" alarm
    assert not _alarms(diagnose(resumed[1])), _alarms(diagnose(resumed[1]))
    fresh = load_bytes("history.csv", _appended_csv(2.3, rng))  # a new model: starts untrained again
    assert len(fresh) == 2 and "continues" not in fresh[1].meta


def test_last_batch_loss_swinging_x10_is_not_divergence():
    # each row is the LAST batch's loss of the epoch: 4e-6 .. 0.32 with no trend in either of the two
    # appended runs (labelled healthy); the second run's "x73 its best" is its own bounce
    runs = load_path(CORPUS / "HarelAmezcua__resnet-pytorch" / "training_loss.csv")
    for run in runs:
        rep = diagnose(run)
        assert not [f for f in rep.findings if f.kind == "divergence"], _alarms(rep)


def _csv(y) -> bytes:
    return ("epoch,loss\n" + "\n".join(f"{i},{v:.6g}" for i, v in enumerate(y, 1)) + "\n").encode()


@pytest.mark.parametrize("seed", range(6))
def test_generated_single_batch_noise_gives_no_divergence_but_a_real_blowup_still_does(seed):
    rng = np.random.default_rng(seed)
    level = 1e-3 * np.exp(2.0 * rng.standard_normal(60))  # converged, last-batch losses x7 scatter
    rep = diagnose(load_bytes("loss.csv", _csv(np.concatenate([[0.7, 0.3, 0.1], level])))[0])
    assert not [f for f in rep.findings if f.kind == "divergence"], _alarms(rep)
    # the same scatter, then the loss explodes x1000 and stays: still a critical divergence
    blown = np.concatenate([[0.7, 0.3, 0.1], level[:45], 1.0 * np.exp(0.3 * rng.standard_normal(15))])
    rep = diagnose(load_bytes("loss.csv", _csv(blown))[0])
    assert [f for f in rep.findings if f.kind == "divergence" and f.severity == "critical"], rep.findings
