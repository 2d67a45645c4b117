"""Files of bare numbers (``np.savetxt`` / ``json.dump(list)`` / a hand-written loop): each is one
curve named after its file, several in one folder or one upload merge into one run, an unnamed lone
curve that plainly is a loss is read as the training loss (with a note), and the sniffer leaves
headered CSVs, YOLOv5 results.txt, text logs and headerless tables to their readers."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trueloss_dash.cli import main
from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes, load_path
from trueloss_dash.ingest.onecurve import merge_one_curve_files
from trueloss_dash.ingest.readers.bare_numbers import layout
from trueloss_dash.roles import ROLELESS_WARNING, apply_roles
from trueloss_dash.run import Run

CORPUS = Path(__file__).parent / "data" / "corpus"
TRAIN = [0.9 / (e + 1) + 0.1 for e in range(8)]
VAL = [1.0 / (e + 1) + 0.15 for e in range(8)]


def _column(values) -> str:
    return "".join(f"{float(v):.18e}\n" for v in values)  # np.savetxt's default


def _row(values, sep=",") -> str:
    return sep.join(repr(float(v)) for v in values) + "\n"


def _series(run: Run) -> dict[str, int]:
    return {name: len(s) for name, s in run.series.items()}


@pytest.mark.parametrize("name, text, how", [
    ("train_loss.csv", _column(TRAIN), "one number per line"),
    ("train_loss.txt", _row(TRAIN), "one line of separated numbers"),
    ("train_loss.txt", _row(TRAIN, " "), "one line of separated numbers"),
    ("train_loss.tsv", _row(TRAIN, "\t"), "one line of separated numbers"),
    ("train_loss.txt", _row(TRAIN, ";") .rstrip("\n") + ";\n", "one line of separated numbers"),  # trailing separator
    ("train_loss.json", json.dumps(TRAIN), "a bracketed list"),
    ("train_loss.json", json.dumps(TRAIN, indent=2), "a bracketed list"),
    ("train_loss.txt", "[" + " ".join(f"{v:.4f}" for v in TRAIN) + "]", "a bracketed list"),  # print(np.array)
    ("train_loss.csv", "# train loss per epoch\n" + _column(TRAIN).replace("\n", "\r\n"), "one number per line"),
])
def test_each_layout_is_one_curve_on_its_position(name, text, how):
    run = load_bytes(name, text.encode())[0]
    assert run.format == "bare_numbers" and _series(run) == {"train_loss": 8}
    s = run.series["train_loss"]
    assert s.y.tolist() == pytest.approx(TRAIN, rel=1e-3) and s.epoch.tolist() == list(range(8))
    assert s.source_column == "train_loss" and s.step is None
    note = next(n for n in run.notes if n.startswith("a file of bare numbers"))
    assert how in note and "position in the file" in note and "no epoch or step numbers" in note
    assert not any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


def test_the_file_stem_gives_the_role_through_the_aliases():
    assert set(load_bytes("val_loss.txt", _column(VAL).encode())[0].series) == {"val_loss"}
    assert set(load_bytes("losses.csv", _column(TRAIN).encode())[0].series) == {"train_loss"}
    run = load_bytes("gen_loss.txt", _column(TRAIN).encode())[0]  # a loss without a role: the role machinery
    assert set(run.series) == {"gen_loss"} and any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


def test_nan_and_inf_are_kept_as_points():
    run = load_bytes("train_loss.txt", b"0.7\n0.5\nnan\ninf\n")[0]
    assert len(run.series["train_loss"]) == 4 and run.series["train_loss"].n_nonfinite == 2


def test_json_nulls_are_gaps_not_numbers():
    run = load_bytes("val_loss.json", b"[0.5, null, 0.4, 0.3]")[0]
    s = run.series["val_loss"]
    assert s.y.tolist() == [0.5, 0.4, 0.3] and s.epoch.tolist() == [0, 2, 3] and s.n_nonfinite == 0


# -- several files: one run -------------------------------------------------------------------------
def test_a_folder_of_bare_number_files_is_one_run(tmp_path):
    (tmp_path / "train_loss.csv").write_text(_column(TRAIN))
    (tmp_path / "val_loss.csv").write_text(_row(VAL))
    runs = load_path(tmp_path)
    assert len(runs) == 1 and runs[0].name == tmp_path.name and runs[0].format == "bare_numbers"
    assert _series(runs[0]) == {"train_loss": 8, "val_loss": 8}
    assert any("merged 2 files of bare numbers" in n for n in runs[0].notes)
    assert not runs[0].warnings


def test_subfolders_are_runs_of_their_own(tmp_path):
    for sub in ("seed1", "seed2"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "train_loss.txt").write_text(_column(TRAIN))
        (tmp_path / sub / "val_loss.txt").write_text(_column(VAL))
    runs = load_path(tmp_path)
    assert sorted(r.name for r in runs) == ["seed1", "seed2"]
    assert all(_series(r) == {"train_loss": 8, "val_loss": 8} for r in runs)


def test_a_multi_file_upload_merges_like_the_page_does():
    uploaded = [run for name, text in (("train_loss.csv", _column(TRAIN)), ("val_loss.csv", _column(VAL)))
                for run in load_bytes(name, text.encode())]
    merged = merge_one_curve_files(uploaded)
    assert len(merged) == 1 and merged[0].name == "train_loss+val_loss"
    assert _series(merged[0]) == {"train_loss": 8, "val_loss": 8}


def test_a_zip_upload_of_the_files_is_one_run():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("myrun/train_loss.csv", _column(TRAIN))
        zf.writestr("myrun/val_loss.csv", _column(VAL))
    runs = load_bytes("myrun.zip", buf.getvalue())
    assert len(runs) == 1 and runs[0].name == "myrun" and _series(runs[0]) == {"train_loss": 8, "val_loss": 8}
    assert runs[0].source.startswith("myrun.zip")


def test_files_of_different_lengths_are_merged_with_a_warning(tmp_path):
    (tmp_path / "train_loss.txt").write_text(_column(np.linspace(1, 0.2, 40)))
    (tmp_path / "val_loss.txt").write_text(_column(VAL))
    run = load_path(tmp_path)[0]
    assert any("lined up by position only" in w and "train_loss 40" in w and "val_loss 8" in w for w in run.warnings)


def test_tensorboard_and_bare_number_files_do_not_mix(tmp_path):
    tb = "Wall time,Step,Value\n" + "".join(f"{1.7e9 + i},{i},{v}\n" for i, v in enumerate(TRAIN))
    (tmp_path / "run-a-tag-train_loss.csv").write_text(tb)
    (tmp_path / "run-a-tag-val_loss.csv").write_text(tb)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "train_loss.txt").write_text(_column(TRAIN))
    runs = load_path(tmp_path)
    assert sorted((r.format, r.name) for r in runs) == [("bare_numbers", "sub"), ("tensorboard_csv", "a")]


def test_a_lossless_numbers_file_beside_a_real_log_is_set_aside(tmp_path):
    (tmp_path / "metrics.csv").write_text("epoch,loss,val_loss\n" + "".join(f"{e},{t},{v}\n" for e, (t, v) in enumerate(zip(TRAIN, VAL))))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "class_ids.txt").write_text("".join(f"{i % 7}\n" for i in range(50)))
    runs = load_path(tmp_path)
    assert [r.format for r in runs] == ["keras_csv"]
    assert any("class_ids.txt" in s and "holding no loss" in s for s in runs[0].meta["skipped_files"])


# -- a curve whose file name names no role --------------------------------------------------------------
def test_a_lone_unnamed_falling_curve_is_read_as_the_training_loss_with_a_note(tmp_path, capsys):
    path = tmp_path / "cost.txt"
    path.write_text(_column(TRAIN))
    run = load_path(path)[0]
    assert set(run.series) == {"train_loss"} and run.series["train_loss"].source_column == "cost"
    note = next(n for n in run.notes if n.startswith("one unnamed curve"))
    assert "read as the training loss" in note and "--role cost=val_loss" in note
    assert not any(w.startswith(ROLELESS_WARNING) for w in run.warnings)
    moved = apply_roles(run, {"cost": "val_loss"})  # the user's say goes
    assert set(moved.series) == {"val_loss"}
    assert main(["diagnose", str(path), "--role", "cost=val_loss"]) == 0
    capsys.readouterr()


def test_a_lone_unnamed_curve_that_is_no_loss_asks_for_a_role(tmp_path, capsys):
    path = tmp_path / "history.csv"
    path.write_text(_row(np.linspace(0.1, 0.9, 12)))  # rising: an accuracy, not a loss
    run = load_path(path)[0]
    assert set(run.series) == {"history"} and run.name == tmp_path.name
    warning = next(w for w in run.warnings if w.startswith(ROLELESS_WARNING))
    assert "1 unnamed curve" in warning and "--role history=train_loss" in warning and "loaded as it is" in warning
    assert main(["diagnose", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Nothing to diagnose" in out and "--role history=train_loss" in out
    negative = load_bytes("cost.txt", _column([-0.5, -0.7, -0.9, -1.1]).encode())[0]
    assert set(negative.series) == {"cost"}  # a loss is > 0 here: a negative curve is not guessed


def test_the_guess_is_made_again_after_a_merge():
    files = [("history.csv", _column(TRAIN)), ("cost.txt", _column(VAL))]
    lone = [load_bytes(n, t.encode())[0] for n, t in files]
    assert all(set(r.series) == {"train_loss"} for r in lone)  # each on its own: the training loss
    merged = merge_one_curve_files(lone)[0]
    assert set(merged.series) == {"history", "cost"}  # together: two unnamed curves, no guess
    assert not any(n.startswith("one unnamed curve") for n in merged.notes)
    assert any(w.startswith(ROLELESS_WARNING) and "2 unnamed curves" in w for w in merged.warnings)
    beside = merge_one_curve_files([load_bytes("history.csv", _column(TRAIN).encode())[0],
                                    load_bytes("val_loss.csv", _column(VAL).encode())[0]])[0]
    assert set(beside.series) == {"history", "val_loss"}  # not the only curve: kept, and the note says how
    assert any("'history': the file name names no role" in n for n in beside.notes)


# -- refusals ------------------------------------------------------------------------------------------
def test_a_non_number_line_is_named_with_what_was_expected():
    text = _column(TRAIN) + "training finished\n" + _column(VAL)
    with pytest.raises(LogFormatError) as err:
        load_bytes("train_loss.txt", text.encode())
    msg = str(err.value)
    assert msg.startswith("train_loss.txt, row 9: found 'training finished'") and "expected one number per line" in msg


def test_a_forced_format_names_the_bad_value_or_item():
    with pytest.raises(LogFormatError, match=r"loss.txt, row 1: value 3 of the line is 'x'; expected a number"):
        load_bytes("loss.txt", b"0.7,0.5,x,0.3\n", format="bare_numbers")
    with pytest.raises(LogFormatError, match=r"item 2 of the list is '\"a\"'"):
        load_bytes("loss.json", b'[0.7, "a", 0.5]', format="bare_numbers")
    with pytest.raises(LogFormatError, match="row 2: found 2 numbers on one line"):
        load_bytes("loss.txt", b"0.7\n0.5 0.4\n", format="bare_numbers")


def test_too_few_values_is_no_curve():
    with pytest.raises(LogFormatError, match="fewer than 3 points"):
        load_bytes("train_loss.txt", b"0.7\n0.5\n")


# -- sniffing leaves other files alone ----------------------------------------------------------------------
YOLO = "".join(f"{e}/29 1.86G 0.098 0.093 0.01 {0.2 - e / 100} 24 416 0.1 0.2 0.3 0.1 0.09 0.05 0.01\n" for e in range(3))


@pytest.mark.parametrize("name, text, fmt", [
    ("history.csv", "loss,val_loss\n0.5,0.6\n0.4,0.5\n0.3,0.45\n", "keras_csv"),
    ("metrics.csv", "epoch,train_loss\n0,0.5\n1,0.4\n2,0.3\n", "generic_csv"),
    ("results.txt", YOLO, "yolov5_txt"),
    ("train.log", "epoch 1, loss: 0.5\nepoch 2, loss: 0.4\nepoch 3, loss: 0.3\n", "text_log"),
    ("train.log", "0.5\nepoch 2, loss: 0.4\nepoch 3, loss: 0.3\nepoch 4, loss: 0.2\n", "text_log"),
    ("loss.txt", "0 0.5 0.6\n1 0.4 0.5\n2 0.3 0.45\n", None),  # a headerless table: not one curve
    ("hist.json", json.dumps([{"loss": 0.5}, {"loss": 0.4}, {"loss": 0.3}]), "jsonl"),
    ("train_loss", "1700000000000 0.5 1\n1700000000100 0.4 2\n1700000000200 0.3 3\n", "mlflow"),
])
def test_other_formats_keep_their_readers(name, text, fmt):
    assert layout(text) is None
    if fmt is None:
        with pytest.raises(LogFormatError):
            runs = load_bytes(name, text.encode())
            assert runs[0].format != "bare_numbers"
        return
    assert load_bytes(name, text.encode())[0].format == fmt


@pytest.mark.parametrize("text", ["", "#\n", "[]", "[[1, 2], [3, 4]]", "1,2\n3,4\n", "0x10\n", "1_000\n", "١\n"])
def test_layout_refuses_what_is_not_bare_numbers(text):
    assert layout(text) is None


# -- the three real corpus items --------------------------------------------------------------------------
@pytest.mark.parametrize("item, series, name", [
    ("raphalencar__signature-verification", {"train_loss": 20, "val_loss": 20}, "raphalencar__signature-verification"),
    ("nosyarlin__CNN-SG", {"train_loss": 10, "val_loss": 10}, "nosyarlin__CNN-SG"),
    ("enriquemondragon__nebulae-nn/history.csv", {"train_loss": 2500}, "enriquemondragon__nebulae-nn"),
])
def test_real_bare_number_files(item, series, name):
    runs = load_path(CORPUS / item)
    assert len(runs) == 1 and runs[0].format == "bare_numbers" and runs[0].name == name
    assert _series(runs[0]) == series
    assert all(s.epoch is not None and s.epoch[0] == 0 for s in runs[0].series.values())


def test_the_unnamed_real_curve_says_it_was_read_as_the_training_loss():
    run = load_path(CORPUS / "enriquemondragon__nebulae-nn" / "history.csv")[0]
    assert run.series["train_loss"].source_column == "history"
    assert any(n.startswith("one unnamed curve ('history', 2,500 values") for n in run.notes)


# -- fuzz: any list of number-like tokens loads or is refused with a sentence ---------------------------------
TOKEN = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**20, 10**20).map(str),
                  st.sampled_from(["nan", "-inf", "Infinity", "1e999", "", "null", "x", "#", "[", "]", "1,5", "0x1"]))


@given(tokens=st.lists(TOKEN, max_size=40), sep=st.sampled_from(["\n", ",", " ", "\t", ";", ",\n", "\r\n"]),
       wrap=st.booleans(), name=st.sampled_from(["train_loss.csv", "history.txt", "val_loss.json", "upload"]))
@settings(max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_fuzzed_number_files_load_or_are_refused(tokens, sep, wrap, name):
    text = sep.join(tokens)
    if wrap:
        text = "[" + text + "]"
    try:
        runs = load_bytes(name, text.encode())
    except LogFormatError as err:
        assert str(err).strip()
        return
    assert runs and all(isinstance(r, Run) for r in runs)
    for run in runs:
        json.dumps(run.to_dict())


def test_a_short_headerless_row_of_mixed_metrics_is_not_guessed_to_be_a_loss():
    run = load_bytes("metrics.csv", b"1,0.52,0.61,0.85\n", require_curve=False)[0]
    assert set(run.series) == {"metrics"} and any(w.startswith(ROLELESS_WARNING) for w in run.warnings)
