"""CSV rows of a few kinds told apart by their field count (per-batch rows like the header, per-epoch
summary rows with more fields), and step counters that start again at every epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _batches_and_summaries(epochs: int = 4, batches=(1, 51, 101)) -> str:
    lines = ["epoch,batch,loss"]
    for e in range(1, epochs + 1):
        for b in batches:
            lines.append(f"{e},{b},{1.0 / e + b / 1000:.4f}")
        lines.append(f"{e},summary,{0.9 / e:.4f},{0.5 + e / 100:.4f},6986")
    return "\n".join(lines) + "\n"


def test_summary_rows_with_more_fields_are_read_into_their_own_series(tmp_path):
    runs = load_path(_write(tmp_path, _batches_and_summaries()))
    assert len(runs) == 1
    run = runs[0]
    assert len(run.series["train_loss"]) == 12
    summary = run.series["summary loss"]
    assert summary.y.tolist() == pytest.approx([0.9, 0.45, 0.3, 0.225])
    assert summary.epoch.tolist() == [1, 2, 3, 4]
    assert run.series["summary field 4"].y.tolist() == pytest.approx([0.51, 0.52, 0.53, 0.54])
    assert any("2 kinds by their number of fields" in w and "'summary' in field 2" in w for w in run.warnings)
    # the batch counter starts again each epoch: one count across epochs, not 4 appended runs
    assert run.series["train_loss"].step.tolist() == [1, 51, 101, 102, 152, 202, 203, 253, 303, 304, 354, 404]


def test_the_corpus_file_with_summary_rows_loads_as_one_run():
    runs = load_path(CORPUS / "Gardenou__TFG_IA_Model" / "training_log.csv")
    assert len(runs) == 1
    # the per-batch 'Loss' is a running sum within the epoch (test_issue9_running_total.py):
    # kept apart without a role; the per-epoch summary loss is the training loss
    assert len(runs[0].series["Loss (running total)"]) == 50
    assert len(runs[0].series["train_loss"]) == 10
    assert runs[0].series["train_loss"].source_column == "summary Loss"


def test_rows_without_a_word_naming_their_kind_are_named_by_their_field_count(tmp_path):
    text = "epoch,loss\n" + "".join(f"{e},{1 / e:.3f}\n{e},{1.1 / e:.3f},{0.5:.2f}\n" for e in range(1, 5))
    run = load_path(_write(tmp_path, text))[0]
    assert len(run.series["train_loss"]) == 4
    assert run.series["3-field rows loss"].y.tolist() == pytest.approx([1.1, 0.55, 0.367, 0.275])
    assert len(run.series["3-field rows field 3"]) == 4


@pytest.mark.parametrize("text, row", [
    ("epoch,loss\n1,0.5\n2,0.4,9\n3,0.3\n4,0.2\n", 3),  # one odd row: a broken row, not a kind of rows
    ("epoch,loss\n1,0.5\n2,0.4,9\n3,0.3,9\n4,0.2,9,9\n5,0.1,9,9\n6,0.1,9,9,9\n7,0.1,9,9,9\n", 3),  # 4 field counts
])
def test_a_broken_table_is_still_refused_at_its_first_odd_row(tmp_path, text, row):
    with pytest.raises(LogFormatError) as err:
        load_path(_write(tmp_path, text))
    assert f"row {row}" in str(err.value) and "fields, expected 2" in str(err.value)


def test_a_step_counting_within_each_epoch_counts_on_across_epochs(tmp_path):
    text = "epoch,step,loss\n" + "".join(f"{e},{s},{1 / (e + s + 1):.4f}\n" for e in range(3) for s in (0, 10, 20))
    runs = load_path(_write(tmp_path, text))
    assert len(runs) == 1
    assert runs[0].series["train_loss"].step.tolist() == [0, 10, 20, 21, 31, 41, 42, 52, 62]
    assert any("starts again at every new epoch" in n for n in runs[0].notes)


def test_appended_runs_are_still_split_when_the_epoch_falls_back_too(tmp_path):
    text = "epoch,step,loss\n" + "".join(f"{e},{s},{1 / (e + s + 1):.4f}\n" for _ in range(2) for e in range(3)
                                        for s in (e * 30, e * 30 + 10))
    runs = load_path(_write(tmp_path, text))
    assert len(runs) == 2
    assert np.array_equal(runs[1].series["train_loss"].step, [0, 10, 30, 40, 60, 70])


def test_a_line_cut_by_a_resumed_write_is_skipped_with_a_warning_naming_its_row():
    """nemakun0/GA-UNet: the log was resumed onto the same file and the row for epoch 14 lost its
    first two fields; the 64 rows around it are read, and the warning names row 15."""
    run = load_path(Path(__file__).parent / "data" / "corpus" / "nemakun0__GA-UNet" / "training_log.csv")[0]
    assert len(run.series["train_loss"]) == 64 and len(run.series["val_loss"]) == 64
    assert 14 not in run.series["train_loss"].epoch.tolist() and run.series["train_loss"].epoch.tolist()[-1] == 65
    assert any("row 15 skipped: 9 fields where the header has 11" in w for w in run.warnings), run.warnings


@pytest.mark.parametrize("cut_rows", [1, 2])
def test_cut_rows_are_skipped_only_while_they_are_a_small_share(tmp_path, cut_rows):
    rows = [f"{e},{1 / e:.4f},{1.1 / e:.4f}" for e in range(1, 101)]
    for k in range(cut_rows):
        rows[30 + 20 * k] = rows[30 + 20 * k].split(",", 1)[1]  # the epoch field lost
    run = load_path(_write(tmp_path, "epoch,loss,val_loss\n" + "\n".join(rows) + "\n"))[0]
    assert len(run.series["train_loss"]) == 100 - cut_rows
    assert sum("skipped" in w for w in run.warnings) == cut_rows


@pytest.mark.parametrize("text, row", [
    ("epoch,loss,val_loss\n" + "".join(f"{e},{1 / e:.3f},{1 / e:.3f}\n" for e in range(1, 10)) + "10,0.1\n", 11),  # 1 of 10
    ("epoch,loss,val_loss\n" + "".join(f"{e},{1 / e:.3f},{1 / e:.3f}\n" for e in range(1, 30)) + "30,0.1,0.1,7\n"
     + "".join(f"{e},0.1\n" if e == 35 else f"{e},0.1,0.1\n" for e in range(31, 60)), 31),  # a longer row too
])
def test_cut_rows_beyond_a_small_share_are_still_refused(tmp_path, text, row):
    with pytest.raises(LogFormatError) as err:
        load_path(_write(tmp_path, text))
    assert f"row {row}" in str(err.value) and "fields, expected 3" in str(err.value)
