"""One test per bad-input class: a typed LogFormatError naming file / row / column, or a load
that keeps the data and says what it did (NaN kept, rows sorted, encodings fixed)."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import FORMATS, load_bytes, load_path


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def refused(path_or_name, data=None, **kw) -> LogFormatError:
    with pytest.raises(LogFormatError) as info:
        if data is None:
            load_path(path_or_name, **kw)
        else:
            load_bytes(path_or_name, data, **kw)
    return info.value


def test_empty_file(tmp_path):
    err = refused(write(tmp_path, "empty.csv", b""))
    assert "empty.csv" in str(err) and "empty file" in str(err)
    assert "empty file" in str(refused("blank.csv", b"  \r\n\n"))


def test_header_only(tmp_path):
    err = refused(write(tmp_path, "h.csv", "epoch,loss,val_loss\n"))
    assert "h.csv" in str(err) and "header only" in str(err) and "epoch, loss, val_loss" in str(err)


def test_binary_garbage(tmp_path):
    rng = np.random.default_rng(0)
    err = refused(write(tmp_path, "weights.bin", rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()))
    assert "weights.bin" in str(err) and "binary data" in str(err)


def test_unknown_format(tmp_path):
    err = refused(write(tmp_path, "notes.txt", "Dear diary,\nthe model trained well today.\n"))
    assert "notes.txt" in str(err) and "unknown log format" in str(err) and "Dear diary" in str(err)


def test_unknown_format_name_is_refused(tmp_path):
    err = refused(write(tmp_path, "a.csv", "loss\n1\n"), format="excel")
    assert "unknown format 'excel'" in str(err) and all(f in str(err) for f in FORMATS)


def test_forced_wrong_format_is_a_clean_error(tmp_path):
    path = write(tmp_path, "history.csv", "epoch,loss\n0,1.0\n1,0.5\n")
    err = refused(path, format="hf_trainer_state")
    assert "history.csv" in str(err)


def test_non_numeric_loss_column_names_row_and_column(tmp_path):
    path = write(tmp_path, "bad.csv", "epoch,loss,val_loss\n0,high,0.5\n1,low,0.4\n2,lower,0.3\n")
    err = refused(path)
    assert err.column == "loss" and err.row == 2
    assert "bad.csv, row 2, column 'loss'" in str(err) and "'high'" in str(err) and "expected a number" in str(err)


def test_stray_non_numeric_cells_become_missing_with_warning(tmp_path):
    rows = "\n".join(f"{i},{1 / (i + 1):.4f},{1.1 / (i + 1):.4f}" for i in range(10))
    rows = rows.replace("4,0.2000", "4,oops")
    run = load_path(write(tmp_path, "stray.csv", "epoch,loss,val_loss\n" + rows + "\n"))[0]
    assert len(run.series["train_loss"]) == 9 and len(run.series["val_loss"]) == 10
    assert any("column 'loss'" in w and "row 6: 'oops'" in w for w in run.warnings), run.warnings


def test_nan_and_inf_are_kept_and_flagged(tmp_path):
    run = load_path(write(tmp_path, "div.csv", "epoch,loss,val_loss\n0,1.0,1.1\n1,nan,1.0\n2,inf,NaN\n3,-Infinity,0.9\n"))[0]
    y = run.series["train_loss"].y
    assert len(y) == 4 and math.isnan(y[1]) and y[2] == math.inf and y[3] == -math.inf
    assert run.series["train_loss"].n_nonfinite == 3 and run.series["val_loss"].n_nonfinite == 1
    assert any("3 non-finite" in w and "epoch 1" in w for w in run.warnings)


def test_nan_tokens_in_json(tmp_path):
    text = '{"log_history": [{"loss": NaN, "step": 1, "epoch": 0.1}, {"loss": Infinity, "step": 2, "epoch": 0.2},' \
           ' {"loss": 0.5, "step": 3, "epoch": 0.3}, {"eval_loss": 0.7, "step": 3, "epoch": 0.3}]}'
    run = load_path(write(tmp_path, "trainer_state.json", text))[0]
    assert run.series["train_loss"].n_nonfinite == 2 and len(run.series["val_loss"]) == 1


def test_out_of_order_steps_are_sorted_and_warned(tmp_path):
    run = load_path(write(tmp_path, "o.csv", "step,loss\n1,0.9\n2,0.8\n4,0.6\n3,0.7\n5,0.5\n"))[0]
    s = run.series["train_loss"]
    assert s.step.tolist() == [1, 2, 3, 4, 5] and s.y.tolist() == [0.9, 0.8, 0.7, 0.6, 0.5]
    assert any("out of step order; sorted" in w for w in run.warnings)


def test_duplicate_steps_are_resolved_and_warned(tmp_path):
    run = load_path(write(tmp_path, "d.csv", "step,loss\n1,0.9\n2,0.8\n2,0.8\n3,0.7\n3,0.65\n"))[0]
    s = run.series["train_loss"]
    assert s.step.tolist() == [1, 2, 3] and s.y.tolist() == [0.9, 0.8, 0.65]
    assert any("repeated step values" in w and "kept the last" in w for w in run.warnings)


def test_restarted_epochs_are_split_into_runs(tmp_path):
    body = "epoch,loss,val_loss\n" + "".join(f"{e},{1 - e / 10},{1.1 - e / 10}\n" for e in range(5)) * 2
    body += "".join(f"{e},{2 - e / 10},{2.1 - e / 10}\n" for e in range(3))
    runs = load_path(write(tmp_path, "appended.csv", body))
    assert [r.name for r in runs] == ["appended", "appended (part 2)", "appended (part 3)"]
    assert [len(r.series["train_loss"]) for r in runs] == [5, 5, 3]
    assert runs[2].series["train_loss"].y[0] == 2
    assert all(any("3 appended runs" in w for w in r.warnings) for r in runs)


def test_utf8_bom(tmp_path):
    run = load_path(write(tmp_path, "bom.csv", b"\xef\xbb\xbfepoch,loss,val_loss\n0,1.0,1.2\n1,0.8,1.0\n"), require_curve=False)[0]
    assert len(run.series["train_loss"]) == 2 and "val_loss" in run.series


def test_latin1(tmp_path):
    data = "epoch;loss;val_loss;métrique\n0;1.0;1.2;5\n1;0.8;1.0;6\n".encode("latin-1")
    run = load_path(write(tmp_path, "latin.csv", data), require_curve=False)[0]
    assert len(run.series["val_loss"]) == 2 and "métrique" in run.series
    assert any("latin-1" in n for n in run.notes)


def test_crlf_and_cr_cr_lf(tmp_path):
    for eol in ("\r\n", "\r\r\n"):
        data = eol.join(["epoch,loss,val_loss", "0,1.0,1.2", "1,0.8,1.0", "2,0.7,0.9"]) + eol
        run = load_path(write(tmp_path, "crlf.csv", data))[0]
        assert len(run.series["train_loss"]) == 3 and run.series["val_loss"].y[-1] == 0.9


def test_file_over_size_limit(tmp_path):
    path = write(tmp_path, "big.csv", "epoch,loss\n" + "0,1.0\n" * 1000)
    err = refused(path, max_bytes=1000)
    assert "big.csv" in str(err) and "over the size limit" in str(err)
    assert "over the size limit" in str(refused("up.csv", path.read_bytes(), max_bytes=1000))


def test_no_loss_column(tmp_path):
    err = refused(write(tmp_path, "acc.csv", "epoch,accuracy,val_accuracy\n0,0.5,0.4\n"))
    message = str(err)
    assert "acc.csv" in message and "no loss series found" in message
    assert "columns are [epoch, accuracy, val_accuracy]" in message and "accepted names for training loss: loss" in message


def test_ragged_rows_name_the_row(tmp_path):
    err = refused(write(tmp_path, "ragged.csv", "epoch,loss\n0,1.0\n1,0.9,extra,fields\n2,0.8\n"))
    assert err.row == 3 and "found 4 fields, expected 2" in str(err)


def test_truncated_json_lines_skip_last_line(tmp_path):
    lines = "".join(f'{{"iteration": {i}, "total_loss": {1 / (i + 1)}}}\n' for i in range(20)) + '{"iteration": 20, "tot'
    run = load_path(write(tmp_path, "metrics.json", lines))[0]
    assert len(run.series["train_loss"]) == 20 and any("unreadable lines skipped" in w for w in run.warnings)


def test_garbage_json(tmp_path):
    err = refused(write(tmp_path, "x.jsonl", "{not json\n{also not\n{nope\n"))
    assert "x.jsonl" in str(err)


def test_hparams_alone(tmp_path):
    err = refused(write(tmp_path, "hparams.yaml", "lr: 0.1\nbatch_size: 32\n"))
    assert "hyper-parameter file" in str(err) and "metrics.csv" in str(err)


def test_upload_name_is_never_a_path(tmp_path):
    secret = write(tmp_path, "secret.csv", "epoch,loss\n0,123\n")
    runs = load_bytes(str(secret), b"epoch,loss\n0,1.0\n1,0.5\n", require_curve=False)
    assert runs[0].series["train_loss"].y.tolist() == [1.0, 0.5]


def _zip(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


@pytest.mark.parametrize("name", ["../evil.csv", "/abs/evil.csv", "a/../../evil.csv"])
def test_zip_with_unsafe_paths_is_refused(name):
    err = refused("run.zip", _zip({name: b"epoch,loss\n0,1\n"}))
    assert "unsafe path" in str(err) and "run.zip" in str(err)


def test_zip_with_symlink_is_refused():
    err = refused("run.zip", _zip({"a.csv": b"epoch,loss\n0,1\n"}, symlink="link.csv"))
    assert "symbolic link" in str(err)


def test_zip_bomb_is_refused():
    err = refused("bomb.zip", _zip({"metrics.csv": b"epoch,loss\n" + b"0" * 20_000_000}))
    assert "zip bomb" in str(err)


def test_zip_over_total_limit_is_refused():
    data = _zip({f"m{i}.csv": (b"epoch,loss\n" + b"0,1.0\n" * 2000) for i in range(5)})
    err = refused("many.zip", data, max_bytes=30_000)
    assert "size limit" in str(err)


def test_corrupt_event_file(tmp_path):
    err = refused(write(tmp_path, "events.out.tfevents.123.host", b"\x18\x00\x00\x00\x00\x00\x00\x00garbagegarbage" * 3))
    assert "events.out.tfevents.123.host" in str(err)
