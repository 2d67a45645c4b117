"""Roles chosen by the user (core, CLI, run store) and the dashboard-export readers
(W&B CSV, TensorBoard per-tag CSV merged across files, long-format CSV, YOLOv5 results.txt,
mmengine scalars.json)."""

from __future__ import annotations

import json

import pytest

from trueloss_dash.cli import main
from trueloss_dash.ingest import load_bytes, load_path
from trueloss_dash.ingest.readers.exported_csv import merge_tensorboard_csv
from trueloss_dash.roles import ROLELESS_WARNING, RoleError, apply_roles, parse_role_args, roles_key
from trueloss_dash.store import open_store

LOSSES_CSV = "epoch,loss0,loss1\n" + "".join(f"{e},{1 / (e + 1):.4f},{1.2 / (e + 1) + 0.1:.4f}\n" for e in range(6))


def test_roleless_losses_load_as_they_are_and_say_so():
    run = load_bytes("losses.csv", LOSSES_CSV.encode())[0]
    assert {"loss0", "loss1"} <= set(run.series) and "train_loss" not in run.series
    assert any(w.startswith(ROLELESS_WARNING) and "--role loss0=train_loss" in w for w in run.warnings)


def test_apply_roles_renames_moves_and_clears_the_warning():
    run = load_bytes("losses.csv", LOSSES_CSV.encode())[0]
    out = apply_roles(run, parse_role_args(["loss0=train_loss", "loss1=val_loss"]))
    assert out.series["train_loss"].y.tolist() == run.series["loss0"].y.tolist()
    assert out.series["val_loss"].source_column == "loss1" and "loss0" not in out.series
    assert not any(w.startswith(ROLELESS_WARNING) for w in out.warnings) and "loss0" in run.series  # a copy
    swapped = apply_roles(out, {"loss1": "train_loss"})  # the old holder steps back to its own name
    assert swapped.series["train_loss"].source_column == "loss1" and "loss0" in swapped.series
    with pytest.raises(RoleError, match="no series 'loss9'"):
        apply_roles(run, {"loss9": "train_loss"})
    with pytest.raises(RoleError, match="unknown role 'training'"):
        parse_role_args(["loss0=training"])


def test_cli_role_on_inspect_and_diagnose(tmp_path, capsys):
    path = tmp_path / "losses.csv"
    path.write_text(LOSSES_CSV)
    assert main(["inspect", str(path), "--json", "--role", "loss0=train_loss", "--role", "loss1=val_loss"]) == 0
    series = json.loads(capsys.readouterr().out)["runs"][0]["series"]
    assert series["train_loss"]["source_column"] == "loss0" and series["val_loss"]["points"] == 6
    assert main(["diagnose", str(path), "--json", "--role", "loss0=train_loss", "--role", "loss1=val_loss"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "val_loss" in json.dumps(report)
    assert main(["inspect", str(path), "--role", "lossX=train_loss"]) == 2
    assert "no series 'lossX'" in capsys.readouterr().err


def test_store_remembers_roles_per_source(tmp_path):
    store = open_store(tmp_path)
    run = load_bytes("losses.csv", LOSSES_CSV.encode())[0]
    assert store.roles_for(roles_key(run)) == {}
    store.remember_roles(roles_key(run), {"loss0": "train_loss"})
    again = open_store(tmp_path)
    assert again.roles_for(roles_key(load_bytes("losses.csv", LOSSES_CSV.encode())[0])) == {"loss0": "train_loss"}
    again.remember_roles(roles_key(run), {})
    assert again.roles_for(roles_key(run)) == {}


def test_wandb_csv_export_one_run_per_prefix_without_band_columns():
    text = "Step,run-a - train/loss,run-a - train/loss__MIN,run-a - train/loss__MAX,run-b - train/loss,run-b - train/loss__MIN,run-b - train/loss__MAX\n"
    text += "".join(f"{s},{1 / (s + 1)},{1 / (s + 1)},{1 / (s + 1)},{2 / (s + 1)},,\n" for s in range(5))
    runs = load_bytes("wandb_export.csv", text.encode())
    assert [r.name for r in runs] == ["run-a", "run-b"] and runs[0].format == "wandb_csv"
    assert runs[1].series["train_loss"].y.tolist() == [2 / (s + 1) for s in range(5)]
    assert any("__MIN/__MAX" in n for n in runs[0].notes)


def _tb_csv(values):
    return "Wall time,Step,Value\n" + "".join(f"{1.7e9 + i},{i * 10},{v}\n" for i, v in enumerate(values))


def test_tensorboard_csv_files_of_one_run_merge(tmp_path):
    (tmp_path / "run-version_0-tag-train_loss.csv").write_text(_tb_csv([1.0, 0.8, 0.6]))
    (tmp_path / "run-version_0-tag-val_loss.csv").write_text(_tb_csv([1.1, 0.9, 0.85]))
    runs = load_path(tmp_path)
    assert len(runs) == 1 and runs[0].name == "version_0" and runs[0].format == "tensorboard_csv"
    assert runs[0].series["val_loss"].step.tolist() == [0, 10, 20]
    uploaded = [load_bytes(n, _tb_csv(v).encode(), require_curve=False)[0] for n, v in (("Loss_train.csv", [1.0, 0.5]), ("Loss_val.csv", [1.2, 0.9]))]
    merged = merge_tensorboard_csv(uploaded)
    assert len(merged) == 1 and {"train_loss", "val_loss"} <= set(merged[0].series)


def test_long_format_csv_is_pivoted():
    text = "step,metric,split,value\n" + "".join(f"{s},loss,{sp},{v}\n" for s in range(4) for sp, v in (("train", 1 - s / 10), ("val", 1.1 - s / 20)))
    run = load_bytes("metrics_long.csv", text.encode())[0]
    assert run.format == "long_csv" and run.series["val_loss"].y.tolist() == pytest.approx([1.1, 1.05, 1.0, 0.95])
    assert run.series["train_loss"].step.tolist() == [0, 1, 2, 3]


def test_yolov5_results_txt_and_a_bad_line_named():
    line = "{e}/29 1.86G 0.098 0.093 0.01 {t} 24 416 0.1 0.2 0.3 0.1 0.09 0.05 0.01\n"
    text = "".join(line.format(e=e, t=(0.2, 0.19, 0.18)[e]) for e in range(3))
    run = load_bytes("results.txt", text.encode())[0]
    assert run.format == "yolov5_txt" and run.series["train_loss"].y.tolist() == [0.2, 0.19, 0.18]
    assert run.series["val_loss"].y.tolist() == pytest.approx([0.15] * 3)
    with pytest.raises(Exception) as err:
        load_bytes("results.txt", (text + "3/29 1.86G oops\n").encode(), format="yolov5_txt")
    assert "results.txt, row 4" in str(err.value) and "expected a YOLOv5 results.txt line" in str(err.value)


def test_mmengine_scalars_json_keeps_validation_rows():
    rows = [{"lr": 1e-3, "loss": 2.0 - i / 10, "epoch": 1 + i // 2, "iter": 50 * (i + 1), "step": 50 * (i + 1)} for i in range(4)]
    rows.insert(2, {"accuracy/top1": 40.0, "loss": 1.9, "step": 1})
    rows.append({"accuracy/top1": 50.0, "loss": 1.7, "step": 2})
    run = load_bytes("scalars.json", "\n".join(json.dumps(r) for r in rows).encode())[0]
    assert run.format == "mmengine_json"
    assert run.series["val_loss"].y.tolist() == [1.9, 1.7] and run.series["val_loss"].epoch.tolist() == [1, 2]
    assert run.series["val_loss"].step.tolist() == [100, 200]


def _variant_line(e: int, terms: list[float], evaluated: bool) -> str:
    tail = "0.22 0.06 0.23 0.19 0.014 0.003 0.002" if evaluated else "0 0 0 0 0 0 0"
    return f"  {e}/9  0.168G " + " ".join(f"{t:.5f}" for t in terms) + f" {sum(terms):.5f}  4  416  {tail}\n"


def test_yolov5_fork_results_txt_read_by_its_shape():
    text = "".join(_variant_line(e, [0.08 - e / 200, 0.015, 0.05 - e / 400, 0.06, 0.065, 0.12], e == 9) for e in range(10))
    [run] = load_bytes("results.txt", text.encode())
    assert run.format == "yolov5_txt"
    assert len(run.series["train_loss"]) == 10 and run.series["train_loss"].source_column == "train/total_loss"
    assert [f"train/term{i}_loss" in run.series for i in range(1, 7)] == [True] * 6
    assert len(run.series["val_loss"]) == 1 and run.series["val_loss"].y[0] == pytest.approx(0.019)
    assert any("9 of 10 lines hold zeros" in n for n in run.notes)


def test_a_wide_results_txt_whose_total_is_not_the_sum_is_refused():
    line = "  {e}/9  0.168G 0.08 0.015 0.05 0.06 0.065 0.12 0.9  4  416  0 0 0 0 0 0 0\n"
    with pytest.raises(Exception, match="unknown log format|expected"):
        load_bytes("results.txt", "".join(line.format(e=e) for e in range(10)).encode())


def test_real_yolov5_fork_results_txt():
    """cxnaive/yolov5-RM results.txt (real dev): 18 fields, 6 loss terms + total; evaluated at the last epoch only."""
    from pathlib import Path

    [run] = load_path(Path(__file__).parent / "data" / "corpus" / "cxnaive__yolov5-RM" / "results.txt")
    assert len(run.series["train_loss"]) == 300 and run.series["train_loss"].y[0] == pytest.approx(0.4011)
    assert len(run.series["val_loss"]) == 1 and len(run.series["metrics/mAP_0.5"]) == 1
