"""The verdict rule (docs/diagnosis.md, "The verdict"), check statuses and "nothing to diagnose"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "sample_runs").glob("*.csv"))


def _load(p):
    got = load_path(p)
    return got[0] if isinstance(got, list) else got


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_verdict_and_top_cause_agree_on_every_sample_run(path):
    rep = diagnose(_load(path))
    counts = rep.check_counts
    assert sum(counts.values()) == len(rep.checks)
    if rep.causes:
        top = rep.causes[0]
        assert top.title in rep.verdict, (rep.verdict, rep.cause_ids())
        if len(rep.causes) > 1 and top.score - rep.causes[1].score <= 0.05:
            assert rep.causes[1].title.lower() in rep.verdict.lower() and "tell them apart" in rep.verdict
    # numbers in sentences are for humans: no float noise, no 9-digit percentages
    for text in [rep.verdict] + [f.summary for f in rep.findings]:
        assert "e+0" not in text and not any(len(tok) > 8 and tok.endswith("%") for tok in text.split()), text


def test_statuses_are_counted_the_same_in_every_rendering():
    rep = diagnose(_load(SAMPLES[0]))
    c = rep.check_counts
    line = f"{c['passed']} passed, {c['failed']} failed, {c['not_applicable']} not applicable"
    assert line in rep.to_text() and line in rep.to_markdown()
    assert rep.to_dict()["check_counts"] == c and rep.to_dict()["status"] == rep.status
    assert all(ch["status"] in ("passed", "failed", "not_applicable") for ch in rep.checks)


def test_nothing_to_diagnose_names_the_fix_for_unmapped_columns():
    from trueloss_dash.run import Run, Series

    run = Run(name="acc-only", format="test")
    run.add(Series("val_acc", [0.5, 0.6, 0.7, 0.72], epoch=np.arange(4, dtype=float)))
    rep = diagnose(run)
    assert rep.status == "nothing" and "map the loss columns" in rep.verdict


def test_losses_without_a_role_are_not_called_healthy():
    """Issue 10: a real losses.csv with loss0/loss1 loaded role-less and the page said 'healthy'.
    Only the per-curve checks can run on it: the verdict says so (neutral), and names the fix."""
    from pathlib import Path

    from trueloss_dash.diagnose import diagnose
    from trueloss_dash.ingest import load_path
    from trueloss_dash.roles import apply_roles

    run = load_path(Path(__file__).parent / "data" / "corpus" / "andyz422__CIFAR_CNN" / "losses.csv")[0]
    report = diagnose(run)
    assert report.status == "nothing", report.verdict
    assert report.verdict.startswith("Partly diagnosed: no series has the training or validation loss role")
    assert "loss0, loss1" in report.verdict and "give the losses their roles" in report.verdict
    given = diagnose(apply_roles(run, {"loss0": "train_loss", "loss1": "val_loss"}))
    assert given.status == "healthy" and given.verdict.startswith("No problems found"), given.verdict
