"""The shared table normaliser's x-axis handling on the shortcuts a million-row log takes.

A column present on every row, an x axis finite on every row and steps already in order skip
masks, copies and sorts in ``table_to_runs``; these tests pin that the results are the same as
the general path gives: rows without a finite x dropped, a series logged only against the epoch
kept on the epoch, rows out of order sorted with a warning, repeated steps resolved.
"""

from __future__ import annotations

import numpy as np

from trueloss_dash.ingest.table import Table, table_to_runs

NAN = np.nan


def _run(table: Table):
    runs = table_to_runs(table, name="t", source="t.csv", format="csv")
    assert len(runs) == 1
    return runs[0]


def test_dense_columns_with_finite_steps_are_taken_whole():
    table = Table()
    table.add("step", np.arange(5.0))
    table.add("train_loss", [1.0, 0.9, 0.8, 0.7, 0.6])
    run = _run(table)
    s = run.series["train_loss"]
    assert s.y.tolist() == [1.0, 0.9, 0.8, 0.7, 0.6]
    assert s.step.tolist() == [0, 1, 2, 3, 4]
    assert not run.warnings


def test_rows_without_a_finite_step_are_dropped_from_a_dense_column():
    table = Table()
    table.add("step", [0.0, 1.0, NAN, 3.0, 4.0])
    table.add("train_loss", [1.0, 0.9, 5.0, 0.7, 0.6])
    s = _run(table).series["train_loss"]
    assert s.y.tolist() == [1.0, 0.9, 0.7, 0.6]
    assert s.step.tolist() == [0, 1, 3, 4]


def test_a_series_logged_only_against_the_epoch_keeps_its_points():
    # train_loss on step rows; val_loss on epoch summary rows that carry no step
    table = Table()
    table.add("step", [1.0, 2.0, NAN, 3.0, 4.0, NAN], np.array([True, True, False, True, True, False]))
    table.add("epoch", [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    table.add("train_loss", [1.0, 0.9, NAN, 0.8, 0.7, NAN], np.array([True, True, False, True, True, False]))
    table.add("val_loss", [NAN, NAN, 0.95, NAN, NAN, 0.85], np.array([False, False, True, False, False, True]))
    run = _run(table)
    assert run.series["train_loss"].step.tolist() == [1, 2, 3, 4]
    val = run.series["val_loss"]
    assert val.y.tolist() == [0.95, 0.85]
    assert val.epoch.tolist() == [0, 1]
    assert val.step is None


def test_rows_out_of_step_order_are_sorted_and_repeats_resolved():
    table = Table()
    table.add("step", [0.0, 2.0, 1.0, 3.0, 3.0, 4.0])
    table.add("train_loss", [1.0, 0.8, 0.9, 0.7, 0.7, 0.6])
    run = _run(table)
    s = run.series["train_loss"]
    assert s.step.tolist() == [0, 1, 2, 3, 4]
    assert s.y.tolist() == [1.0, 0.9, 0.8, 0.7, 0.6]
    assert any("out of step order" in w for w in run.warnings), run.warnings
    assert any("duplicated rows" in w for w in run.warnings), run.warnings


def test_repeated_steps_with_other_values_keep_the_last():
    table = Table()
    table.add("step", [0.0, 1.0, 1.0, 2.0])
    table.add("train_loss", [1.0, 0.9, 0.85, 0.8])
    run = _run(table)
    s = run.series["train_loss"]
    assert s.step.tolist() == [0, 1, 2]
    assert s.y.tolist() == [1.0, 0.85, 0.8]
    assert any("repeated step values" in w for w in run.warnings), run.warnings


def _same_runs_packed_and_full(columns: dict, n: int):
    """table_to_runs of ``columns`` ({name: (values, present)}) added full, and with every column
    some rows lack added packed (the values of the rows holding it): the same series and messages."""
    full, packed = Table(), Table()
    packed.n = n
    for name, (values, present) in columns.items():
        values, present = np.asarray(values, dtype=float), np.asarray(present, dtype=bool)
        full.add(name, values, present)
        if present.all():
            packed.add(name, values)
        else:
            packed.add_packed(name, values[present], present)
    a, b = _run(full), _run(packed)
    assert list(a.series) == list(b.series)
    for name in a.series:
        for axis in ("y", "step", "epoch", "wall_time"):
            x, y = getattr(a.series[name], axis), getattr(b.series[name], axis)
            assert (x is None) == (y is None) and (x is None or x.tobytes() == y.tobytes()), (name, axis)
    assert (a.notes, a.warnings) == (b.notes, b.warnings)
    return b


def test_a_packed_column_is_taken_as_it_is_when_every_row_holding_it_has_a_step():
    run = _same_runs_packed_and_full({
        "step": ([0, 1, 1, 2, 3, 3], [True] * 6),
        "train_loss": ([1.0, 0.9, NAN, 0.8, 0.7, NAN], [True, True, False, True, True, False]),
        "val_loss": ([NAN, NAN, 1.1, NAN, NAN, 1.0], [False, False, True, False, False, True]),
    }, 6)
    assert run.series["val_loss"].y.tolist() == [1.1, 1.0]


def test_a_packed_column_whose_rows_lack_a_step_is_spread_and_picked_like_a_full_one():
    # the first two rows hold no step: the general path drops them (or keeps them on the epoch)
    _same_runs_packed_and_full({
        "step": ([NAN, NAN, 2, 3, 4, 5], [False, False, True, True, True, True]),
        "train_loss": ([1.0, 0.9, NAN, 0.8, 0.7, NAN], [True, True, False, True, True, False]),
        "val_loss": ([NAN, 1.5, 1.1, NAN, NAN, 1.0], [False, True, True, False, False, True]),
    }, 6)
    _same_runs_packed_and_full({
        "epoch": ([0, 0, 1, 1, 2, 2], [True] * 6),
        "step": ([NAN, 1, NAN, 3, NAN, 5], [False, True, False, True, False, True]),
        "loss": ([1.0, 0.9, 0.95, 0.8, 0.7, NAN], [True, True, True, True, True, False]),
        "val_loss": ([1.2, NAN, 1.1, NAN, 1.0, NAN], [True, False, True, False, True, False]),
    }, 6)
    _same_runs_packed_and_full({  # a NaN value written in the log is kept (present), a gap is not
        "step": ([0, 1, 2, 3], [True] * 4),
        "loss": ([1.0, NAN, NAN, 0.8], [True, True, False, True]),
    }, 4)
