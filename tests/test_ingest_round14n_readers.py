"""Round-14 corpusN reader fixes, each tested on the real corpus file and on generated variants.

* A headerless two-column table whose fields are all quoted (R ``write.csv(..., col.names = FALSE)``:
  ``"1","52.58"``) has its first column read as the epoch counter, as the unquoted ``1,52.58`` already
  was; before, the quotes hid the counter and it loaded as a second role-less "loss" that
  climbed 1 -> 2047 (``qiaochloe__polylm/losses.csv``).
* A headerless file of a few long lines (``np.savetxt`` of a 2 x 2000 array) is one curve per line,
  ``loss_1``, ``loss_2`` (role-less: nothing names them); before, it was read as 2000 columns of 2
  points and refused as "fewer than 3 points" (``Spachti__pedm-ood/losses.csv``).
* Cells holding a whole history as a list (``"[0.717, 0.677, ...]"``): when every column is a list or a
  text label, each row is a run (``Lanouraf__projet-de-deep-learning-/losses.csv``: BOW, BOW_LN,
  BOW_HM_LN; ``Zackary3yin__Spike_data-_VAE/losses.csv``: 104 per-feature runs); beside numeric columns
  the list columns are left out with a warning (``IsabelJnz__From-Back-Propagation-To-Forward-Forward``).
  Before, all three were refused ("expected a number" / "unknown log format").
* A bare-number file whose first line is ``0`` above values all written with a decimal point is a pandas
  Series saved with ``to_csv(index=False)`` (header ``0``): the ``0`` is skipped, not read as a first
  loss of 0 (``Calx822__advanced_deep_learning/loss.csv`` read "a jump from about 0 to 2.22").
* Headerless ``client, round, loss`` rows (federated training, the clients of a round in completion order):
  the unordered client ids are left out as before, and the round counter ``1, 1, 1, 1, 2, ...`` is now the
  epoch (the clients' losses averaged per round) instead of a role-less "loss" that "exploded" from 1 to 20
  (``GabrielTalasso__Federated_IoT_Anomaly_Detection/loss.csv``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_quoted_headerless_step_column_is_the_x_axis():
    (run,) = load_path(CORPUS / "qiaochloe__polylm" / "losses.csv")
    assert list(run.series) == ["train_loss"]
    loss = run.series["train_loss"]
    assert len(loss.y) == 2047
    assert np.isclose(loss.y[0], 52.58781051635742)
    assert np.isclose(loss.y[-1], 0.03612394630908966)


def test_quoted_and_unquoted_headerless_tables_load_alike(tmp_path):
    rows = [(i, 2.0 / i) for i in range(1, 30)]
    quoted = tmp_path / "quoted" / "losses.csv"
    plain = tmp_path / "plain" / "losses.csv"
    quoted.parent.mkdir()
    plain.parent.mkdir()
    quoted.write_text("".join(f'"{i}","{v}"\n' for i, v in rows))
    plain.write_text("".join(f"{i},{v}\n" for i, v in rows))
    (q,) = load_path(quoted)
    (p,) = load_path(plain)
    assert list(q.series) == list(p.series) == ["train_loss"]
    assert np.allclose(q.series["train_loss"].y, p.series["train_loss"].y)
    assert np.allclose(q.series["train_loss"].epoch, p.series["train_loss"].epoch)


def test_quoted_values_that_do_not_count_stay_losses(tmp_path):
    path = tmp_path / "losses.csv"
    path.write_text("".join(f'"{0.9 - i * 0.01}","{0.8 - i * 0.01}"\n' for i in range(20)))
    (run,) = load_path(path)
    assert set(run.series) >= {"loss_1", "loss_2"}


def test_a_few_long_headerless_lines_are_one_curve_each():
    (run,) = load_path(CORPUS / "Spachti__pedm-ood" / "losses.csv")
    assert set(run.series) == {"loss_1", "loss_2"}
    first, second = run.series["loss_1"], run.series["loss_2"]
    assert len(first.y) == len(second.y) == 2000
    assert np.isclose(first.y[0], 21.984533309936523) and np.isclose(first.y[-1], -45.70984967549642)
    assert np.isclose(second.y[0], 6.5061517) and np.isclose(second.y[-1], 0.065847926)


def test_wide_rows_need_many_points_per_line(tmp_path):
    wide = tmp_path / "wide" / "losses.csv"
    wide.parent.mkdir()
    wide.write_text("\n".join(",".join(f"{k + 1 / (i + 1):.4f}" for i in range(40)) for k in range(3)) + "\n")
    (run,) = load_path(wide)
    assert set(run.series) == {"loss_1", "loss_2", "loss_3"}
    assert all(len(s.y) == 40 for s in run.series.values())
    # a short headerless table (6 rows of 3 values) stays a table of columns
    table = tmp_path / "table" / "losses.csv"
    table.parent.mkdir()
    table.write_text("".join(f"{i},{1 / i:.4f},{2 / i:.4f}\n" for i in range(1, 7)))
    (run,) = load_path(table)
    assert all(len(s.y) == 6 for s in run.series.values())


def test_one_run_per_row_of_list_cells():
    runs = load_path(CORPUS / "Lanouraf__projet-de-deep-learning-" / "losses.csv")
    assert [r.name for r in runs] == ["BOW", "BOW_LN", "BOW_HM_LN"]
    assert all(list(r.series) == ["train_loss"] and len(r.series["train_loss"].y) == 20 for r in runs)
    assert np.isclose(runs[2].series["train_loss"].y[-1], 0.11, atol=0.005)
    vae = load_path(CORPUS / "Zackary3yin__Spike_data-_VAE" / "losses.csv")
    assert len(vae) == 104 and vae[0].name == "BCI" and len(vae[0].series["train_loss"].y) == 70
    assert any(np.isnan(r.series["train_loss"].y).all() for r in vae)  # the runs NaN from their first epoch


def test_list_columns_beside_numbers_are_left_out(tmp_path):
    (run,) = load_path(CORPUS / "IsabelJnz__From-Back-Propagation-To-Forward-Forward" / "losses.csv")
    assert set(run.series) == {"ff_train_losses", "ff_test_losses", "fb_test_losses"}
    assert any("fb_train_losses" in w and "left out" in w for w in run.warnings)
    path = tmp_path / "history.csv"
    path.write_text("model,loss,val_loss\n" + "".join(
        f'm{k},"[{", ".join(f"{1 / (i + k + 1):.3f}" for i in range(8))}]","[{", ".join(f"{1.2 / (i + k + 1):.3f}" for i in range(8))}]"\n'
        for k in range(2)))
    runs = load_path(path)
    assert [r.name for r in runs] == ["m0", "m1"]
    assert all({"train_loss", "val_loss"} <= set(r.series) for r in runs)


def test_a_pandas_series_header_zero_is_not_a_value(tmp_path):
    (run,) = load_path(CORPUS / "Calx822__advanced_deep_learning" / "loss.csv")
    (loss,) = run.series.values()
    assert len(loss.y) == 15
    assert np.isclose(loss.y[0], 1.5655182006835937) and np.isclose(loss.y[-1], 0.45898300933837893)
    # a first value 0.0 written by the loop stays a value, and so does a 0 when another value is written without a point
    kept = tmp_path / "a" / "loss.csv"
    kept.parent.mkdir()
    kept.write_text("0.0\n0.5\n0.4\n0.3\n0.25\n")
    (run,) = load_path(kept)
    assert len(next(iter(run.series.values())).y) == 5
    whole = tmp_path / "b" / "loss.csv"
    whole.parent.mkdir()
    whole.write_text("0\n0.5\n1\n0.3\n0.25\n")
    (run,) = load_path(whole)
    assert len(next(iter(run.series.values())).y) == 5


def test_a_round_counter_beside_client_ids_is_the_epoch(tmp_path):
    (run,) = load_path(CORPUS / "GabrielTalasso__Federated_IoT_Anomaly_Detection" / "loss.csv")
    assert list(run.series) == ["train_loss"]
    loss = run.series["train_loss"]
    assert len(loss.y) == 20 and list(loss.epoch[:3]) == [1.0, 2.0, 3.0]
    assert np.isclose(loss.y[0], 0.422, atol=0.001) and np.isclose(loss.y[-1], 0.0626, atol=0.001)
    # ids in no order beside values, with no repeated counter, still give role-less losses in file order
    path = tmp_path / "losses.csv"
    path.write_text("".join(f"{i},{0.9 - 0.01 * k:.3f},{0.8 - 0.01 * k:.3f}\n"
                            for k, i in enumerate([17, 3, 42, 8, 29, 11, 35, 2, 20, 14])))
    (run,) = load_path(path)
    assert set(run.series) == {"loss_1", "loss_2"}
