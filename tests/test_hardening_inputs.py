"""Hostile and odd inputs from the hardening round two (issue 14, D1-D3 and D11-D14).

Each test reproduces a reported attack or defect with a real file and checks the fixed behaviour:
a sentence instead of a hang, a traceback or silent loss, and everything legitimate still read.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes, load_path
from trueloss_dash.ingest.limits import MAX_COLUMNS, MAX_NESTING, MAX_YAML_NODES
from trueloss_dash.ingest.tfrecord import frame, read_records

METRICS_CSV = "epoch,step,train_loss,val_loss\n" + "".join(
    f"{e},{(e + 1) * 10},{1 / (e + 1):.4f},{1.1 / (e + 1):.4f}\n" for e in range(8)
)
# Lightning CSVLogger layout (sparse rows), the format that reads hparams.yaml beside it.
LIGHTNING_CSV = "epoch,step,train_loss_step,train_loss_epoch,val_loss\n" + "".join(
    f"{e},{(e + 1) * 10 - 1},{1.2 / (e + 1):.4f},,\n{e},{(e + 1) * 10 - 1},,,{1.1 / (e + 1):.4f}\n"
    f"{e},{(e + 1) * 10 - 1},,{1 / (e + 1):.4f},\n"
    for e in range(8)
)

# Nine nested levels of nine aliases: 9**9 (387 million) strings once expanded, in ~500 bytes.
BILLION_LAUGHS = "\n".join(
    ["a0: &a0 [lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    + ["dropout: 0.5", "lr: *a9"]
) + "\n"


# -- D1: YAML alias expansion ------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_billion_laughs_hparams_beside_metrics_is_ignored_with_a_warning(tmp_path):
    run_dir = tmp_path / "version_0"
    run_dir.mkdir()
    (run_dir / "metrics.csv").write_text(LIGHTNING_CSV)
    (run_dir / "hparams.yaml").write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 600
    tracemalloc.start()
    [run] = load_path(run_dir / "metrics.csv")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6, f"peak {peak / 1e6:.0f} MB"
    assert len(run.series["val_loss"]) == 8
    assert any("hparams.yaml" in w and "aliases" in w for w in run.warnings), run.warnings
    assert run.context.dropout is None  # nothing from the hostile file was used


@pytest.mark.timeout(60)
def test_billion_laughs_in_a_zip_upload(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("run/metrics.csv", LIGHTNING_CSV)
        zf.writestr("run/hparams.yaml", BILLION_LAUGHS)
    [run] = load_bytes("run.zip", buf.getvalue())
    assert len(run.series["val_loss"]) == 8
    assert any("hparams.yaml" in w for w in run.warnings)


@pytest.mark.timeout(60)
def test_mlflow_meta_yaml_alias_bomb_keeps_the_run(tmp_path):
    run_dir = tmp_path / "mlruns" / "0" / "abc123"
    (run_dir / "metrics").mkdir(parents=True)
    (run_dir / "metrics" / "train_loss").write_text("".join(f"1700000000{i} {1 / (i + 1)} {i}\n" for i in range(5)))
    (run_dir / "meta.yaml").write_text(BILLION_LAUGHS.replace("lr: *a9", "run_name: *a9"))
    [run] = load_path(tmp_path / "mlruns")
    assert run.name == "abc123" and len(run.series["train_loss"]) == 5
    assert any("run name not read" in w for w in run.warnings)


def test_yaml_limits_refuse_recursion_and_depth_but_read_normal_aliases():
    from trueloss_dash.ingest.hparams import parse_yaml

    assert parse_yaml("base: &b {lr: 0.1}\nrun: *b\n") == {"base": {"lr": 0.1}, "run": {"lr": 0.1}}
    with pytest.raises(LogFormatError, match="expands to more than"):
        parse_yaml(BILLION_LAUGHS, "hparams.yaml")
    with pytest.raises(LogFormatError, match="own ancestor"):
        parse_yaml("a: &a [1, *a]\n")
    deep = "x: " + "[" * (MAX_NESTING + 5) + "1" + "]" * (MAX_NESTING + 5) + "\n"
    with pytest.raises(LogFormatError, match="nested more than"):
        parse_yaml(deep)
    assert MAX_YAML_NODES >= 10_000  # a real hparams.yaml is far below


# -- D2/D3: keys and columns ---------------------------------------------------------------------
def _every_line_a_new_key(n: int) -> bytes:
    return "".join(json.dumps({"step": i, "loss": 1 / (i + 1), f"key_{i}": i}) + "\n" for i in range(n)).encode()


def test_jsonl_with_a_new_key_per_line_is_refused_past_the_cap():
    with pytest.raises(LogFormatError, match=f"more than {MAX_COLUMNS} distinct keys"):
        load_bytes("metrics.jsonl", _every_line_a_new_key(30_000))


def test_jsonl_sparse_keys_stay_linear_in_memory():
    """Under the cap, 4,000 one-off keys over 4,000 lines: sparse columns, not 16M dense cells."""
    data = _every_line_a_new_key(4_000)
    tracemalloc.start()
    [run] = load_bytes("metrics.jsonl", data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(run.series["train_loss"]) == 4_000
    assert len(run.series["key_17"]) == 1 and run.series["key_17"].step[0] == 17
    assert peak < 60e6, f"peak {peak / 1e6:.0f} MB (dense would be ~130 MB)"


def test_sparse_eval_rows_in_trainer_state_keep_their_steps():
    history = [{"step": s, "loss": 2 / s, "epoch": s / 100} for s in range(1, 1001)]
    history += [{"step": s, "eval_loss": 2.2 / s, "epoch": s / 100} for s in range(100, 1001, 100)]
    state = {"log_history": sorted(history, key=lambda r: r["step"]), "global_step": 1000}
    [run] = load_bytes("trainer_state.json", json.dumps(state).encode())
    val = run.series["val_loss"]
    assert len(val) == 10 and list(val.step) == list(range(100, 1001, 100))
    assert np.allclose(val.y, [2.2 / s for s in range(100, 1001, 100)])


def test_csv_with_too_many_columns_is_refused_with_the_limit():
    header = ",".join(["step", "loss"] + [f"c{i}" for i in range(40_000)])
    row = ",".join(["1", "0.5"] + ["0"] * 40_000)
    with pytest.raises(LogFormatError, match=f"more than the limit of {MAX_COLUMNS}"):
        load_bytes("wide.csv", f"{header}\n{row}\n".encode())


def test_many_columns_under_the_cap_load():
    names = ["step", "loss"] + [f"train_loss_{i}" for i in range(3_000)]
    body = "\n".join(",".join(str(v) for v in [s, 1 / s] + [0.1] * 3_000) for s in range(1, 4))
    [run] = load_bytes("wide.csv", (",".join(names) + "\n" + body + "\n").encode())
    assert len(run.series) >= 3_000


# -- D11: damaged TensorBoard files ---------------------------------------------------------------
def _event(step: int, tag: str, value: float) -> bytes:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    ev = event_pb2.Event(wall_time=1_700_000_000 + step, step=step)
    ev.summary.CopyFrom(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]))
    return ev.SerializeToString()


def _tb_file(n: int = 20) -> tuple[bytes, list[int]]:
    records = [frame(_event(0, "header", 0.0))]
    records += [frame(_event(s, "train_loss", 1 / (s + 1))) for s in range(n)]
    offsets = np.cumsum([0] + [len(r) for r in records])[:-1].tolist()
    return b"".join(records), offsets


def test_tensorboard_crc_error_mid_file_keeps_the_rest_and_says_where(tmp_path):
    data, offsets = _tb_file()
    bad = bytearray(data)
    bad[offsets[10] + 14] ^= 0xFF  # a payload byte of the 10th loss record
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(bytes(bad))
    [run] = load_path(path)
    assert len(run.series["train_loss"]) == 19  # one record lost, everything after it kept
    assert any(f"byte {offsets[10]}" in w and "checksum" in w for w in run.warnings), run.warnings


def test_tensorboard_damaged_length_resyncs_and_truncation_is_reported(tmp_path):
    data, offsets = _tb_file()
    bad = bytearray(data)
    bad[offsets[5]] ^= 0xFF  # the length field: framing lost until the next good header
    bad = bytes(bad[:-7])  # and the last record cut short
    path = tmp_path / "events.out.tfevents.2.host"
    path.write_bytes(bad)
    [run] = load_path(path)
    assert len(run.series["train_loss"]) == 18
    text = " ".join(run.warnings)
    assert f"damaged record header at byte {offsets[5]}; resumed at byte {offsets[6]}" in text
    assert "truncated" in text


def test_tensorboard_corrupt_first_record_names_the_damage(tmp_path):
    data, _ = _tb_file(2)
    path = tmp_path / "events.out.tfevents.3.host"
    path.write_bytes(b"\x00" * 4 + data[4:20])  # nothing readable
    with pytest.raises(LogFormatError) as err:
        load_path(path)
    assert "damaged record header at byte 0" in str(err.value) or "truncated" in str(err.value)


def test_tfrecord_growing_file_stops_before_a_partial_record():
    data, offsets = _tb_file(3)
    part = read_records(data[:-5], final=False)
    assert part.problems == [] and part.end == offsets[-1]
    rest = read_records(data, start=part.end)
    assert len(rest.payloads) == 1 and rest.end == len(data)
    assert struct.unpack("<Q", data[:8])[0] == len(_event(0, "header", 0.0))


# -- D12: only regular files, size cap while reading ------------------------------------------------
def test_dev_zero_is_refused_not_read():
    with pytest.raises(LogFormatError, match="character device"):
        load_path("/dev/zero")


@pytest.mark.timeout(30)
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "metrics.csv"
    os.mkfifo(fifo)
    with pytest.raises(LogFormatError, match="FIFO"):
        load_path(fifo)
    with pytest.raises(LogFormatError):  # inside a folder: skipped, and the folder has nothing else
        load_path(tmp_path)


def test_size_cap_applies_while_reading(tmp_path):
    from trueloss_dash.ingest.safe_read import read_capped

    big = tmp_path / "metrics.csv"
    big.write_text(METRICS_CSV * 50)
    with pytest.raises(LogFormatError, match="over the size limit"):
        load_path(big, max_bytes=1000)
    with pytest.raises(LogFormatError, match="over the size limit"):
        read_capped(big, 1000)


# -- D13: MLflow / sidecar reads: no symlinks out, size caps ---------------------------------------
def test_mlflow_param_symlink_out_of_the_run_is_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    run_dir = tmp_path / "mlruns" / "0" / "run1"
    (run_dir / "metrics").mkdir(parents=True)
    (run_dir / "params").mkdir()
    (run_dir / "metrics" / "loss").write_text("".join(f"17000000000{i} {1 / (i + 1)} {i}\n" for i in range(4)))
    (run_dir / "params" / "lr").symlink_to(secret)
    (run_dir / "params" / "dropout").write_text("0.3")
    (run_dir / "metrics" / "val_loss").symlink_to(secret)
    [run] = load_path(tmp_path / "mlruns")
    assert "root:x" not in json.dumps(run.context.to_dict()) and run.context.dropout == 0.3
    assert "val_loss" not in run.series
    assert any("link out of the run folder" in w for w in run.warnings)


def test_oversized_sidecar_and_hparams_are_ignored(tmp_path):
    log = tmp_path / "metrics.csv"
    log.write_text(LIGHTNING_CSV)
    (tmp_path / "hparams.yaml").write_text("dropout: 0.5\n" + "# pad\n" * 400_000)
    [run] = load_path(log)
    assert run.context.dropout is None
    assert any("hparams.yaml" in w and "size limit" in w for w in run.warnings)


# -- D14: zips and encodings ------------------------------------------------------------------------
def _zip(members: list[tuple[str, str]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in members:
            zf.writestr(zipfile.ZipInfo(name), text)
    return buf.getvalue()


def test_zip_with_duplicate_member_names_is_refused():
    data = _zip([("run/metrics.csv", METRICS_CSV), ("run/metrics.csv", "epoch,loss\n0,99\n")])
    with pytest.raises(LogFormatError, match="twice"):
        load_bytes("run.zip", data)


def test_zip_with_case_colliding_names_is_refused():
    data = _zip([("run/metrics.csv", METRICS_CSV), ("run/Metrics.csv", METRICS_CSV)])
    with pytest.raises(LogFormatError, match="twice"):
        load_bytes("run.zip", data)


def test_deep_zip_folders_give_a_sentence_not_a_recursion_error():
    deep = "/".join(["d"] * 3000) + "/metrics.csv"
    with pytest.raises(LogFormatError) as err:
        load_bytes("deep.zip", _zip([(deep, METRICS_CSV)]))
    assert "folders deep" in str(err.value) and "Recursion" not in str(err.value)


@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_utf16_csv_with_bom_loads(tmp_path, codec, bom):
    data = bom + METRICS_CSV.replace("\n", "\r\n").encode(codec)
    [run] = load_bytes("history.csv", data)
    assert len(run.series["val_loss"]) == 8
    assert any("UTF-16" in n for n in run.notes)
    path = tmp_path / "history.csv"
    path.write_bytes(data)
    [run] = load_path(path)
    assert np.allclose(run.series["train_loss"].y[:2], [1.0, 0.5])


def test_pathological_restarts_are_refused():
    rows = "".join(f"{s % 2},{1.0 / (s + 1)}\n" for s in range(5_000))
    with pytest.raises(LogFormatError, match="appended runs"):
        load_bytes("metrics.csv", ("step,loss\n" + rows).encode())


def test_json_nesting_is_bounded():
    doc = {"step": 1, "loss": 0.5}
    node = doc
    for _ in range(MAX_NESTING + 20):
        node["deeper"] = {}
        node = node["deeper"]
    data = "".join(json.dumps(dict(doc, step=s, loss=1 / s)) + "\n" for s in range(1, 5)).encode()
    [run] = load_bytes("metrics.jsonl", data)
    assert len(run.series["train_loss"]) == 4


def test_docs_list_every_limit():
    """docs/hardening.md states every cap of ingest/limits.py with its number."""
    from trueloss_dash.ingest import limits

    doc = (Path(__file__).resolve().parents[1] / "docs" / "hardening.md").read_text()
    caps = {k: v for k, v in vars(limits).items() if k.startswith("MAX_") and isinstance(v, int)}
    assert len(caps) >= 10
    for name, value in caps.items():
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} missing from docs/hardening.md"
        assert f"{value:,}" in row or f"{value}x" in row, f"{name}: {value:,} not stated in {row!r}"


def test_overlong_json_line_is_refused_with_its_line_number():
    from trueloss_dash.ingest.limits import MAX_LINE_BYTES

    pad = "x" * (MAX_LINE_BYTES + 10)
    data = ('{"step": 1, "loss": 0.5}\n' + json.dumps({"step": 2, "loss": 0.4, "note": pad}) + "\n").encode()
    with pytest.raises(LogFormatError, match="row 2.*over the limit"):
        load_bytes("metrics.jsonl", data)


def test_points_per_series_cap(monkeypatch):
    import trueloss_dash.ingest.table as table

    monkeypatch.setattr(table, "MAX_POINTS_PER_SERIES", 1_000)
    rows = "".join(f"{s},{1 / (s + 1)}\n" for s in range(1_001))
    with pytest.raises(LogFormatError, match="more than the limit of 1,000 per series"):
        load_bytes("metrics.csv", ("step,loss\n" + rows).encode())
    load_bytes("metrics.csv", ("step,loss\n" + "".join(f"{s},{1 / (s + 1)}\n" for s in range(1_000))).encode())


def test_deep_json_brackets_are_a_sentence():
    with pytest.raises(LogFormatError, match="nested too deeply"):
        load_bytes("metrics.json", b"[" * 200_000)
