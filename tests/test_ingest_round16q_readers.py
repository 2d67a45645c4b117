"""Round-16 corpusQ reader fixes, each tested on the real corpus file and on generated variants.

* A cell holding a list of numbers joined with ', ' and no brackets (``"0.62, 0.55, 0.53"``: the epoch's
  per-interval training losses) is a list cell like the bracketed ``"[0.62, 0.55]"`` the round-14 reader
  already left out beside scalar columns; before, the whole file was refused ("column 'Interval Loss':
  expected a number") although its 'Train Loss' / 'Test Loss' were readable
  (``DFGANDP__Rotnet-Captcha-Solver/training_results.csv``). A thousands separator (``"1,234"``, no space)
  is no list.
* A true-training-loss column (``Base Loss``) holding one value on every row while the training loss moves
  is a reference repeated on each row (there: the untrained model's test loss, measured once before
  training), not a true training loss measured every epoch: it loses the ``true_train_loss`` role and is kept
  as an extra series under its own name. Before, the constant 10.4 was read as the true training loss of a
  run whose losses are ~0.35 (a flat "true training loss" from the start, and a true loss far above
  validation).
* An Ultralytics ``results.csv`` row on which every validation loss and every metric is exactly 0 is an epoch
  Ultralytics did not validate (``val=False`` validates only after the last epoch); its validation values are
  now missing instead of read as a validation loss of 0 (``1katana__yolo_motion_prediction/results.csv``: 39 of
  40 rows, which made the validation loss "up to 100% lower" than training). A row with any nonzero validation
  value (``AlisaMamikova__veikala_plaukti``: box and dfl 0, cls 176) keeps all of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_unbracketed_list_column_is_left_out_and_constant_base_loss_has_no_role():
    (run,) = load_path(CORPUS / "DFGANDP__Rotnet-Captcha-Solver" / "training_results.csv")
    assert {"train_loss", "val_loss"} <= set(run.series)
    assert "true_train_loss" not in run.series
    assert "Base Loss" in run.series
    assert len(run.series["train_loss"].y) == 15
    assert np.isclose(run.series["train_loss"].y[0], 0.44072998237948047)
    assert np.isclose(run.series["val_loss"].y[8], 0.596854, atol=1e-6)
    assert any("Interval Loss" in w and "left out" in w for w in run.warnings)
    assert any("'Base Loss' is 10.3989 on every row" in n for n in run.notes)


def _rows(n: int = 12) -> list[tuple[float, float]]:
    return [(1.0 / (i + 1), 1.1 / (i + 1)) for i in range(n)]


def test_unbracketed_and_bracketed_list_cells_load_alike(tmp_path):
    for name, wrap in (("plain", lambda s: s), ("brackets", lambda s: f"[{s}]")):
        path = tmp_path / name / "history.csv"
        path.parent.mkdir()
        lines = ["epoch,train_loss,val_loss,batch_losses"]
        for i, (t, v) in enumerate(_rows()):
            lines.append(f'{i},{t},{v},"{wrap(", ".join(str(t * k) for k in (1.2, 1.1, 1.0)))}"')
        path.write_text("\n".join(lines) + "\n")
        (run,) = load_path(path)
        assert set(run.series) >= {"train_loss", "val_loss"}
        assert "batch_losses" not in run.series
        assert any("batch_losses" in w for w in run.warnings)


def test_thousands_separator_is_no_list(tmp_path):
    path = tmp_path / "history.csv"
    lines = ["epoch,train_loss,val_loss"] + [f'{i},"1,{200 - i:03d}",{v}' for i, (_, v) in enumerate(_rows())]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogFormatError, match="expected a number"):
        load_path(path)


def test_moving_base_loss_keeps_the_true_training_loss_role(tmp_path):
    path = tmp_path / "history.csv"
    lines = ["epoch,train_loss,val_loss,base_loss"]
    lines += [f"{i},{t},{v},{t * 0.9}" for i, (t, v) in enumerate(_rows())]
    path.write_text("\n".join(lines) + "\n")
    (run,) = load_path(path)
    assert "true_train_loss" in run.series


def test_constant_base_loss_loses_the_role_only_beside_a_moving_training_loss(tmp_path):
    path = tmp_path / "history.csv"
    lines = ["epoch,train_loss,val_loss,base_loss"]
    lines += [f"{i},{t},{v},2.5" for i, (t, v) in enumerate(_rows())]
    path.write_text("\n".join(lines) + "\n")
    (run,) = load_path(path)
    assert "true_train_loss" not in run.series
    assert np.allclose(run.series["base_loss"].y, 2.5)


def test_ultralytics_rows_without_validation_have_no_validation_loss():
    (run,) = load_path(CORPUS / "1katana__yolo_motion_prediction" / "results.csv")
    val = run.series["val_loss"]
    assert len(val.y) == 1
    assert np.isclose(val.y[0], 1.03817 + 0.46284 + 1.14256)
    assert len(run.series["train_loss"].y) == 40
    assert any("39 of 40 rows hold 0 for every validation loss and metric" in n for n in run.notes)


def test_ultralytics_row_with_some_nonzero_validation_keeps_it():
    (run,) = load_path(CORPUS / "AlisaMamikova__veikala_plaukti" / "results.csv")
    assert len(run.series["val_loss"].y) == 10
    assert np.isclose(run.series["val_loss"].y[0], 175.891)


def test_ultralytics_zero_validation_rows_generated(tmp_path):
    path = tmp_path / "results.csv"
    head = "epoch,train/box_loss,train/cls_loss,train/dfl_loss,metrics/mAP50(B),val/box_loss,val/cls_loss,val/dfl_loss"
    rows = [f"{e},{1.5 - e * 0.05},{2.0 - e * 0.1},{1.2 - e * 0.02},0,0,0,0" for e in range(1, 10)]
    rows.append("10,1.0,1.0,1.0,0.5,1.1,0.9,1.2")
    path.write_text("\n".join([head, *rows]) + "\n")
    (run,) = load_path(path)
    assert len(run.series["val_loss"].y) == 1
    assert len(run.series["train_loss"].y) == 10
