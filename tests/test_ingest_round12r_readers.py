"""Reader gaps of the real-log corpus (round 12, table/JSON/bare-number shapes), each rule checked on the
real file and on generated variants of its family (other numbers, column order, extra columns):

* a loss measure named in words ('Mean Squared Error', 'Mean Absolute Error', 'Cross Entropy',
  'Log Loss', 'Negative Log Likelihood', Keras' 'categorical_crossentropy') stands in for the loss of
  its phase when no column is named 'loss';
* 'tot_loss' (total loss, also 'train/tot_loss' from a long-form TensorBoard export) is the training loss;
* one line of numbers with a leading empty field (a pandas Series written as a row) is one curve.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS, loss_measure_role
from trueloss_dash.ingest import load_bytes, load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


# --- error measures in words ------------------------------------------------------------------

@pytest.mark.parametrize("name, role", [
    ("Mean Squared Error", TRAIN_LOSS), ("mean_squared_error", TRAIN_LOSS), ("val_mean_squared_error", VAL_LOSS),
    ("Mean Absolute Error", TRAIN_LOSS), ("Validation Mean Absolute Error", VAL_LOSS),
    ("Cross Entropy", TRAIN_LOSS), ("val categorical_crossentropy", VAL_LOSS), ("Log Loss", TRAIN_LOSS),
    ("Negative Log Likelihood", TRAIN_LOSS), ("Root Mean Squared Error", TRAIN_LOSS),
])
def test_error_measure_in_words_is_a_loss_measure(name, role):
    assert loss_measure_role(name)[0] == role


@pytest.mark.parametrize("name", ["Percent Good", "mean", "squared", "error", "mean_error", "Accuracy"])
def test_other_words_are_not_loss_measures(name):
    assert loss_measure_role(name) is None


def test_mean_squared_error_column_real_file():
    run = load_path(CORPUS / "Accusmus__NeuralNetQT" / "epoch_log.csv")[0]
    assert "train_loss" in run.series and len(run.series["train_loss"]) == 20
    assert run.series["train_loss"].source_column == "Mean Squared Error"
    assert any("Mean Squared Error" in n and "loss measure" in n for n in run.notes)


def test_error_measure_in_words_variants():
    rows = "".join(f"{e},{0.5 + e / 100:.3f},{1.0 / e:.4f},{1.2 / e:.4f}\n" for e in range(1, 11))
    run = load_bytes("history.csv", ("Epoch,Accuracy,Mean Absolute Error,Validation Mean Absolute Error\n" + rows).encode())[0]
    assert run.series["train_loss"].source_column == "Mean Absolute Error"
    assert run.series["val_loss"].source_column == "Validation Mean Absolute Error"
    assert run.series["train_loss"].y[-1] == pytest.approx(0.1)
    swapped = "".join(f"{1.1 / e:.4f},{e},{1.0 / e:.4f}\n" for e in range(1, 11))
    run = load_bytes("log.csv", ("Validation Cross Entropy,epoch,Cross Entropy\n" + swapped).encode())[0]
    assert run.series["train_loss"].source_column == "Cross Entropy" and run.series["val_loss"].y[0] == pytest.approx(1.1)
    # a column named 'loss' keeps its role: the measure stays an extra series
    both = "".join(f"{e},{1.0 / e:.4f},{0.9 / e:.4f}\n" for e in range(1, 11))
    run = load_bytes("log.csv", ("epoch,loss,Mean Squared Error\n" + both).encode())[0]
    assert run.series["train_loss"].source_column == "loss" and "Mean Squared Error" in run.series


# --- tot_loss and long-form TensorBoard exports -------------------------------------------------

def test_tensorboard_long_form_real_file():
    run = load_path(CORPUS / "EonSJeon__ECE6255_VALLEX" / "loss_history.csv")[0]
    assert run.series["train_loss"].source_column == "train/tot_loss"
    assert "train/current_loss" in run.series  # a single batch's loss: an extra series
    assert len(run.series["train_loss"]) == 60


def _long(rows, header):
    return (header + "\n" + "".join(rows)).encode()


@pytest.mark.parametrize("header, fmt", [
    ("filename,tag,step,value", "events.out,{tag},{step},{v}\n"),
    ("tag,step,value", "{tag},{step},{v}\n"),
    ("Wall time,Step,Value,tag", "{w},{step},{v},{tag}\n"),
])
def test_tensorboard_long_form_variants(header, fmt):
    rows = []
    for i, step in enumerate(range(50, 1050, 50)):
        for tag, v in (("val/loss", 2.0 / (i + 1) + 0.1), ("train/loss", 1.8 / (i + 1)), ("train/lr", 1e-3),
                       ("train/tot_loss", 1.9 / (i + 1))):
            rows.append(fmt.format(tag=tag, step=step, v=v, w=1.7e9 + step))
    run = load_bytes("scalars.csv", _long(rows, header))[0]
    assert run.series["train_loss"].source_column == "train/loss"  # the plain name wins over tot_loss
    assert run.series["val_loss"].source_column == "val/loss"
    assert len(run.series["train_loss"]) == 20 and list(run.series["train_loss"].step[:2]) == [50, 100]
    only_tot = [r for r in rows if "train/loss" not in r and "val/loss" not in r]
    run = load_bytes("loss_history.csv", _long(only_tot, header))[0]
    assert run.series["train_loss"].source_column == "train/tot_loss"


# --- one row of numbers with a leading empty field ------------------------------------------------

def test_series_written_as_a_row_real_file():
    run = load_path(CORPUS / "chimano__CystSegmentation" / "losses.csv")[0]
    y = run.series["train_loss"].y
    assert len(y) == 67 and y[0] == pytest.approx(0.724270815650622) and y[-1] == pytest.approx(0.13542135432362556)
    assert any("leading empty field" in n for n in run.notes)


@pytest.mark.parametrize("name, sep, tail", [("losses.csv", ",", ""), ("train_loss.csv", ",", "\n"),
                                             ("loss.txt", ";", "\n"), ("val_loss.csv", "\t", "")])
def test_series_written_as_a_row_variants(name, sep, tail):
    y = 2.0 / np.arange(1, 31) + 0.05
    run = load_bytes(name, (sep + sep.join(f"{v:.6f}" for v in y) + tail).encode())[0]
    role = "val_loss" if name.startswith("val") else "train_loss"
    assert list(run.series) == [role] and np.allclose(run.series[role].y, y, atol=1e-6)


def test_two_leading_empty_fields_are_not_a_row_of_numbers():
    with pytest.raises(Exception) as err:
        load_bytes("losses.csv", b",,0.7,0.5,0.4")
    assert type(err.value).__name__ == "LogFormatError" and "losses.csv" in str(err.value)


# --- JSON dicts keyed by phase, pandas columns named by phase -------------------------------------

def _json(name, obj):
    return load_bytes(name, json.dumps(obj).encode())


def test_phase_keyed_lists_real_file():
    run = load_path(CORPUS / "ARUN18-lang__Archon-SLM" / "loss_history.json")[0]
    assert set(run.series) == {"train_loss", "val_loss"} and len(run.series["val_loss"]) == 49
    assert run.series["train_loss"].y[0] == pytest.approx(5.750702381134033)
    assert any("only by their phase" in n for n in run.notes)


@pytest.mark.parametrize("name, obj, expect", [
    ("loss_history.json", {"val": [2.0, 1.5, 1.2, 1.1], "train": [1.9, 1.4, 1.0, 0.8]}, {"train_loss", "val_loss"}),
    ("losses.json", {"train": [1.9, 1.4, 1.0], "validation": [2.0, 1.5, 1.2], "test": [2.1, 1.6, 1.3]},
     {"train_loss", "val_loss"}),
    ("history.json", {"epoch": [1, 2, 3, 4], "training": [1.9, 1.4, 1.0, 0.8], "valid": [2.0, 1.5, 1.2, 1.1]},
     {"train_loss", "val_loss"}),
    ("losses.json", {"train": [1.9, 1.4, 1.0, 0.8], "eval": [2.0, 1.5, 1.2, 1.1], "meta": "run 3"},
     {"train_loss", "val_loss"}),
])
def test_phase_keyed_lists_variants(name, obj, expect):
    run = _json(name, obj)[0]
    assert expect <= set(run.series)
    assert run.series["train_loss"].y[1] == pytest.approx(1.4)


def test_phase_keyed_lists_named_accuracy_are_not_losses():
    with pytest.raises(Exception) as err:
        _json("accuracy.json", {"train": [0.5, 0.7, 0.8], "val": [0.4, 0.6, 0.7]})
    assert type(err.value).__name__ == "LogFormatError" and "accuracy.json" in str(err.value)


def test_nested_phase_error_measure_real_file():
    run = load_path(CORPUS / "20070316lbw-netizen__quant-with-myself" / "train_history.json")[0]
    assert set(run.series) == {"train_loss", "val_loss"} and len(run.series["train_loss"]) == 65
    assert run.series["train_loss"].y[0] == pytest.approx(0.002228340105000521)
    assert any("'l2'" in w for w in run.warnings)


@pytest.mark.parametrize("obj, expect", [
    ({"train": {"loss": [1.0, 0.8, 0.7], "acc": [0.5, 0.6, 0.7]}, "valid": {"loss": [1.1, 0.9, 0.85], "acc": [0.4, 0.5, 0.6]}},
     {"train_loss", "train_acc", "val_loss", "val_acc"}),
    ({"valid": {"mse": [1.1, 0.9, 0.85]}, "train": {"mse": [1.0, 0.8, 0.7], "epoch_time": [3.0, 3.1, 3.0]}},
     {"train_loss", "val_loss"}),
    ({"train": {"nll": [1.0, 0.8, 0.7]}, "val": {"nll": [1.1, 0.9, 0.85]}, "test": {"nll": [1.2, 1.0, 0.9]}},
     {"train_loss", "val_loss"}),
    ({"loss": {"train": [1.0, 0.8, 0.7], "val": [1.1, 0.9, 0.85]}, "acc": {"train": [0.5, 0.6, 0.7], "val": [0.4, 0.5, 0.6]}},
     {"train_loss", "train_acc", "val_loss", "val_acc"}),
])
def test_nested_phase_variants(obj, expect):
    run = _json("train_history.json", obj)[0]
    assert expect <= set(run.series)
    assert run.series["train_loss"].y[-1] == pytest.approx(0.7) and run.series["val_loss"].y[0] == pytest.approx(1.1)


def test_two_error_measures_in_a_phase_stay_apart():
    run = _json("history.json", {"train": {"l1": [1.0, 0.8, 0.7], "l2": [2.0, 1.6, 1.4]},
                                 "val": {"l1": [1.1, 0.9, 0.8], "l2": [2.1, 1.7, 1.5]}})[0]
    assert {"train_l1_loss", "train_l2_loss", "val_l1_loss", "val_l2_loss"} <= set(run.series)
    assert "train_loss" not in run.series and any("pick their roles" in w for w in run.warnings)


def test_pandas_phase_columns_real_file():
    run = load_path(CORPUS / "Nasseredd__Spoken_Language_Identification" / "training_losses.csv")[0]
    assert set(run.series) == {"train_loss", "val_loss"} and len(run.series["train_loss"]) == 10
    assert run.series["val_loss"].y[0] == pytest.approx(1.118713140487671)


@pytest.mark.parametrize("name, header", [
    ("training_losses.csv", ",Training,Validation"), ("loss.csv", "Train,Val"), ("loss.csv", "epoch,valid,train"),
    ("history.csv", "epoch,train,valid"), ("losses.tsv", "\tTraining\tValidation"),
])
def test_pandas_phase_columns_variants(name, header):
    sep = "\t" if "\t" in header else ","
    cols = header.split(sep)
    rows = []
    for e in range(8):
        vals = {"train": 2.0 / (e + 1), "val": 2.2 / (e + 1)}
        cells = [str(e) if (c == "" or c == "epoch") else
                 f"{vals['val' if c.lower().startswith('v') else 'train']:.5f}" for c in cols]
        rows.append(sep.join(cells))
    run = load_bytes(name, (header + "\n" + "\n".join(rows) + "\n").encode())[0]
    assert {"train_loss", "val_loss"} <= set(run.series)
    assert run.series["val_loss"].y[1] == pytest.approx(1.1) and run.series["train_loss"].y[1] == pytest.approx(1.0)


def test_phase_columns_beside_other_metrics_need_a_loss_file_name():
    rows = "".join(f"{e},{0.5 + e / 20:.3f},{0.4 + e / 20:.3f},{e * 3}\n" for e in range(6))
    with pytest.raises(Exception) as err:
        load_bytes("results.csv", ("epoch,train,val,seconds\n" + rows).encode())
    assert type(err.value).__name__ == "LogFormatError"


# --- JSON lists of headerless rows -----------------------------------------------------------------

def test_headerless_rows_real_file():
    run = load_path(CORPUS / "CollinPhipps__llm" / "loss_history.json")[0]
    assert set(run.series) == {"train_loss", "val_loss"} and len(run.series["val_loss"]) == 25
    assert list(run.series["train_loss"].step[:2]) == [200, 400]
    assert any("a guess" in w for w in run.warnings)


def test_headerless_rows_variants():
    rows = [[s, 3.0 / (i + 1), 3.3 / (i + 1)] for i, s in enumerate(range(100, 1100, 100))]
    run = _json("val_loss_history.json", rows)[0]
    assert run.series["val_loss"].y[0] == pytest.approx(3.3) and list(run.series["val_loss"].step[:2]) == [100, 200]
    run = _json("losses.json", [[e, 2.0 / e] for e in range(1, 9)])[0]
    assert list(run.series) == ["train_loss"] and list(run.series["train_loss"].epoch[:2]) == [1, 2]
    run = _json("loss_log.json", [[e, 2.0 / e, 1.0 / e, 0.5 / e] for e in range(1, 9)])[0]
    assert "train_loss" not in run.series and {"loss_1", "loss_2", "loss_3"} <= set(run.series)
    with pytest.raises(Exception) as err:  # no file name saying loss: not guessed
        _json("history.json", rows)
    assert type(err.value).__name__ == "LogFormatError"
    with pytest.raises(Exception) as err:  # a first column that does not count up is no counter
        _json("loss.json", [[3, 1.0, 1.1], [1, 0.9, 1.0], [2, 0.8, 0.9]])
    assert type(err.value).__name__ == "LogFormatError"


# --- headerless tables: space-separated rows, sample ids, step counters ---------------------------

def test_headerless_ids_and_losses_real_file():
    run = load_path(CORPUS / "18150167970__example-mining-incremental-learning" / "loss.txt")[0]
    assert list(run.series) == ["train_loss"] and len(run.series["train_loss"]) == 600
    y = run.series["train_loss"].y
    assert y[0] == pytest.approx(1.0250916481018066) and y[1] == pytest.approx(0.9702917337417603)
    assert any("sample ids" in n for n in run.notes)


def _ids(n, seed):
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(1, 5 * n))[:n]


@pytest.mark.parametrize("name, sep, padded", [("loss.txt", " ", True), ("train_loss.txt", "  ", False),
                                               ("losses.csv", ",", True), ("loss.tsv", "\t", False)])
def test_headerless_ids_and_losses_variants(name, sep, padded):
    ids = _ids(40, 3)
    y = 1.5 * np.exp(-np.arange(40) / 12) + 0.05
    rows = "".join(f"{(f'{i:06d}' if padded else str(i))}{sep}{v:.6f}\n" for i, v in zip(ids, y))
    run = load_bytes(name, rows.encode())[0]
    assert list(run.series) == ["train_loss"] and np.allclose(run.series["train_loss"].y, y, atol=1e-6)


def test_headerless_step_counter_and_two_terms():
    rows = "".join(f"{s} {2.0 / (i + 1):.5f} {0.1 / (i + 1):.5f}\n" for i, s in enumerate(range(100, 2100, 100)))
    run = load_bytes("loss_log.txt", rows.encode())[0]
    assert {"loss_1", "loss_2"} <= set(run.series) and list(run.series["loss_1"].step[:2]) == [100, 200]
    one = "".join(f"{s},{2.0 / (i + 1):.5f}\n" for i, s in enumerate(range(50, 1050, 50)))
    run = load_bytes("loss.csv", one.encode())[0]
    assert list(run.series) == ["train_loss"] and list(run.series["train_loss"].step[:2]) == [50, 100]


def test_spaced_numbers_not_named_loss_are_not_claimed():
    rows = "".join(f"{i:06d} {1.0 / (i + 1):.5f}\n" for i in range(20))
    with pytest.raises(Exception) as err:
        load_bytes("values.txt", rows.encode())
    assert type(err.value).__name__ == "LogFormatError"


def test_chinese_epoch_alias():
    rows = "".join(f"{e},{2.0 / e:.4f}\n" for e in range(1, 9))
    run = load_bytes("log.csv", ("周期,损失\n" + rows).encode())[0]
    assert list(run.series["train_loss"].epoch[:2]) == [1, 2]


# --- grid logs: '[settings]: loss, loss, ...' one configuration per line ----------------------------

def test_grid_log_real_file():
    runs = load_path(CORPUS / "BoyangGu1__M4R" / "train_loss.txt")
    assert len(runs) == 192 and all(set(r.series) == {"train_loss"} for r in runs)
    assert all(len(r.series["train_loss"]) == 20 for r in runs)
    assert runs[0].series["train_loss"].y[0] == pytest.approx(13.324831261765212)
    assert sum(int(np.isnan(r.series["train_loss"].y).sum()) for r in runs) > 0  # the diverged runs keep their NaN
    assert runs[0].meta["grid_settings"].startswith("[64, 16,")


@pytest.mark.parametrize("name, labels, role", [
    ("val_loss.txt", ["{'lr': 0.01, 'bs': 32}", "{'lr': 0.001, 'bs': 32}", "{'lr': 0.01, 'bs': 64}"], "val_loss"),
    ("losses.log", ["[0.1, 'adam']", "[0.01, 'sgd']"], "train_loss"),
    ("train_loss.txt", ["[1]", "[2]", "[1]"], "train_loss"),
])
def test_grid_log_variants(name, labels, role):
    lines = [f"{lab}: " + ", ".join(f"{(k + 2) / (e + 1):.4f}" for e in range(6 + k)) for k, lab in enumerate(labels)]
    runs = load_bytes(name, ("\n".join(lines) + "\n").encode())
    assert len(runs) == len(labels) and len({r.name for r in runs}) == len(labels)
    assert all(list(r.series) == [role] for r in runs)
    assert [len(r.series[role]) for r in runs] == [6 + k for k in range(len(labels))]


def test_grid_log_not_named_for_a_loss_loads_role_less():
    text = "[1, 2]: 0.9, 0.7, 0.6, 0.55\n[1, 3]: 0.8, 0.6, 0.5, 0.45\n"
    runs = load_bytes("results.txt", text.encode())
    assert len(runs) == 2 and all("results" in r.series for r in runs)


def test_broken_json_that_is_no_grid_log_is_still_refused_clearly():
    with pytest.raises(Exception) as err:
        load_bytes("loss.json", b'[{"loss": 1.0}, {"loss": 0.5}\n[1, 2]: 0.5\n')
    assert type(err.value).__name__ == "LogFormatError" and "loss.json" in str(err.value)


def test_trailing_delimiter_column_is_called_empty_not_an_index():
    run = load_path(CORPUS / "Accusmus__NeuralNetQT" / "epoch_log.csv")[0]
    assert any("every line ends with a delimiter" in n for n in run.notes)
    assert not any("pandas index" in n for n in run.notes)
    rows = "".join(f"{e},{1.0 / (e + 1):.4f},\n" for e in range(6))
    run = load_bytes("log.csv", ("epoch,loss,\n" + rows).encode())[0]
    assert any("every line ends with a delimiter" in n for n in run.notes)
    indexed = "".join(f"{e},{1.0 / (e + 1):.4f}\n" for e in range(6))
    run = load_bytes("log.csv", (",loss\n" + indexed).encode())[0]
    assert any("index column" in n for n in run.notes)


def test_phase_key_beside_named_losses_keeps_them():
    run = _json("history.json", {"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.8], "test": [0.5, 0.6, 0.7]})[0]
    assert run.series["train_loss"].source_column == "loss" and run.series["val_loss"].source_column == "val_loss"
    assert "test" in run.series  # a bare 'test' beside named losses is not renamed


# --- an unnamed best-so-far record is a minimised objective -------------------------------------------

def test_best_so_far_record_real_file():
    run = load_path(CORPUS / "climateintelligence__DDHWSF" / "fit_history.csv")[0]
    assert list(run.series) == ["train_loss"] and len(run.series["train_loss"]) == 55
    assert run.series["train_loss"].source_column == "fit_history"


@pytest.mark.parametrize("seed, n", [(1, 40), (2, 80), (3, 25)])
def test_best_so_far_record_variants(seed, n):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = np.minimum.accumulate(2.0 * (1 - 0.03 * t / n) + rng.normal(0, 0.01, n))  # a search that keeps improving
    assert np.median(y[-(n // 3):]) > 0.95 * np.median(y[: n // 3])  # under the 5% fall rule
    text = "\n".join(f"{v:.10e}" for v in y) + "\n"
    run = load_bytes("history.txt", text.encode())[0]
    assert list(run.series) == ["train_loss"]


def test_a_curve_that_rises_or_barely_steps_is_not_a_best_so_far_record():
    rises = np.array([1.0, 0.99, 0.995, 0.98, 0.985, 0.975, 0.97, 0.972])
    run = load_bytes("history.txt", ("\n".join(map(str, rises)) + "\n").encode())[0]
    assert "train_loss" not in run.series
    two_steps = np.array([1.0, 1.0, 0.99, 0.99, 0.99, 0.985, 0.985, 0.985])
    run = load_bytes("history.txt", ("\n".join(map(str, two_steps)) + "\n").encode())[0]
    assert "train_loss" not in run.series


def test_rising_phase_columns_without_a_loss_file_name_are_not_losses():
    rows = "".join(f"{e},{0.5 + e / 20:.3f},{0.45 + e / 20:.3f}\n" for e in range(8))
    with pytest.raises(Exception) as err:
        load_bytes("log.csv", ("epoch,train,val\n" + rows).encode())
    assert type(err.value).__name__ == "LogFormatError"
    with pytest.raises(Exception):
        _json("history.json", {"train": [0.5, 0.6, 0.7, 0.8], "val": [0.4, 0.5, 0.6, 0.7]})
    falling = "".join(f"{e},{1.5 / (e + 1):.3f},{1.6 / (e + 1):.3f}\n" for e in range(8))
    run = load_bytes("log.csv", ("epoch,train,val\n" + falling).encode())[0]
    assert {"train_loss", "val_loss"} <= set(run.series)


# --- dicts printed by Python, one per line (HF Trainer's on_log print) --------------------------------

def test_python_printed_dicts_real_file():
    run = load_path(CORPUS / "AakashGnanavelu__tedAI" / "training.log")[0]
    assert {"train_loss", "lr"} <= set(run.series) and len(run.series["train_loss"]) == 15
    assert 2.007118341576962 not in set(run.series["train_loss"].y)  # the run-average summary is no point
    assert any("printed by Python" in w for w in run.warnings)


def _printed(records):
    return "\n".join(repr(r) for r in records) + "\n"


@pytest.mark.parametrize("extra", [{}, {"grad_norm": 1.5, "flag": True, "note": None}, {"step": 0}])
def test_python_printed_dicts_variants(extra):
    recs = []
    for i in range(1, 13):
        recs.append({"loss": round(2.0 / i, 4), "learning_rate": 1e-4 * (1 - i / 13), "epoch": i / 4, **extra})
        if i % 4 == 0:
            recs.append({"eval_loss": round(2.2 / i, 4), "eval_runtime": 3.2, "epoch": i / 4})
    recs.append({"train_runtime": 100.0, "train_loss": 0.9, "epoch": 3.0})
    run = load_bytes("train.log", _printed(recs).encode())[0]
    assert len(run.series["train_loss"]) == 12 and run.series["train_loss"].y[-1] == pytest.approx(2.0 / 12, abs=1e-4)
    assert len(run.series["val_loss"]) == 3


def test_python_printed_nan_and_inf():
    text = "{'loss': 1.0, 'epoch': 1}\n{'loss': nan, 'epoch': 2}\n{'loss': 0.8, 'epoch': 3}\n{'loss': inf, 'epoch': 4}\n"
    run = load_bytes("log.txt", text.encode())[0]
    y = run.series["train_loss"].y
    assert len(y) == 4 and np.isnan(y[1]) and np.isinf(y[3])


def test_python_code_in_a_line_is_not_evaluated():
    text = "{'loss': __import__('os').getpid()}\n{'loss': 1.0}\n"
    with pytest.raises(Exception) as err:
        load_bytes("log.jsonl", text.encode())
    assert type(err.value).__name__ == "LogFormatError"


def test_grid_log_with_a_bad_line_names_it():
    with pytest.raises(Exception) as err:
        load_bytes("train_loss.txt", b"[1]: 1.0, 0.9, 0.8\n[2]: 1.0, x, 0.8\n[3]: 1.1, 0.9, 0.7\n")
    assert type(err.value).__name__ == "LogFormatError" and "2" in str(err.value) and "[2]: 1.0, x" in str(err.value)


def test_grid_log_of_one_configuration():
    runs = load_bytes("train_loss.txt", b"[64, 16, 0.01]: 13.3, 7.5, 7.4, 7.3\n")
    assert len(runs) == 1 and len(runs[0].series["train_loss"]) == 4
