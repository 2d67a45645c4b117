"""A loss written as 0.0 on the rows that were not measured (ingest/placeholders.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _csv(tmp_path: Path, rows: list[tuple]) -> Path:
    p = tmp_path / "epoch_loss.csv"
    p.write_text("epoch,train_loss,val_loss\n" + "".join(f"{e},{t},{v}\n" for e, t, v in rows), encoding="utf-8")
    return p


def test_ssd_tutorial_val_loss_written_as_zero_between_evaluations():
    # dev corpus file: 50 epochs, val_loss 0.0 except every 10th epoch (2582 ... 2609); read as a curve
    # it dived to 0 and jumped back five times - an erratic-validation WARNING before this rule
    run = load_path(CORPUS / "KashimaSho__object_detection" / "epoch_loss.csv")[0]
    val = run.series["val_loss"]
    assert len(val) == 5 and float(val.y.min()) > 2000
    assert len(run.series["train_loss"]) == 50
    assert any("not measured" in n for n in run.notes)
    assert "erratic_validation" not in diagnose(run).kinds()


def test_generated_placeholder_zeros_are_dropped_with_their_epochs(tmp_path):
    rows = [(e, 2.0 * np.exp(-e / 10) + 0.3, (1.9 * np.exp(-e / 10) + 0.35) if e % 5 == 4 else 0.0) for e in range(30)]
    run = load_path(_csv(tmp_path, rows))[0]
    val = run.series["val_loss"]
    assert list(val.epoch) == [4, 9, 14, 19, 24, 29]
    assert np.all(val.y > 0.3)


def test_a_loss_that_reaches_zero_by_itself_keeps_its_zeros(tmp_path):
    # a hinge loss creeping down to exactly 0 (and touching 0.004 between): measured values
    tr = [1.2, 0.6, 0.3, 0.1, 0.03, 0.0, 0.004, 0.0, 0.0, 0.0]
    rows = [(e, t, t * 1.1 + 0.01) for e, t in enumerate(tr)]
    run = load_path(_csv(tmp_path, rows))[0]
    assert len(run.series["train_loss"]) == 10 and int(np.sum(run.series["train_loss"].y == 0)) == 4


def test_zeros_only_at_the_end_are_kept(tmp_path):
    # a run whose validation stopped being logged as 0.0 after a crash: no measured value after the zeros
    rows = [(e, 1.0 / (e + 1) + 0.5, (1.0 / (e + 1) + 0.6) if e < 7 else 0.0) for e in range(10)]
    run = load_path(_csv(tmp_path, rows))[0]
    assert len(run.series["val_loss"]) == 10
