"""`trueloss-dash inspect`: text and JSON output, exit codes, refusal on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

from trueloss_dash.cli import main


def _log(tmp_path):
    path = tmp_path / "resnet.log"
    path.write_text("epoch,loss,val_loss,lr\n0,1.0,1.1,0.1\n1,0.7,nan,0.1\n2,0.5,0.6,0.01\n")
    return path


def test_inspect_json_shape(tmp_path, capsys):
    assert main(["inspect", str(_log(tmp_path)), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["runs"] and len(out["runs"]) == 1
    run = out["runs"][0]
    assert run["name"] == "resnet" and run["format"] == "keras_csv" and run["source"].endswith("resnet.log")
    assert run["series"]["train_loss"] == {"points": 3, "x": "epoch", "axes": ["epoch"], "nonfinite": 0, "source_column": "loss"}
    assert run["series"]["val_loss"]["points"] == 3 and run["series"]["val_loss"]["nonfinite"] == 1
    assert any("non-finite" in w for w in run["warnings"]) and isinstance(run["notes"], list) and run["context"] == {}


def test_inspect_text(tmp_path, capsys):
    assert main(["inspect", str(_log(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "1 run found" in out and "format: keras_csv" in out
    assert "train_loss" in out and "3 points" in out and "WARNING: val_loss" in out


def test_inspect_format_override_and_refusal(tmp_path, capsys):
    path = _log(tmp_path)
    assert main(["inspect", str(path), "--format", "generic_csv", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"][0]["format"] == "generic_csv"
    bad = tmp_path / "acc.csv"
    bad.write_text("epoch,accuracy\n0,0.5\n")
    assert main(["inspect", str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no loss series found" in captured.err and "acc.csv" in captured.err


def test_inspect_subprocess_exit_codes(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "trueloss_dash", "inspect", str(_log(tmp_path)), "--json"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["runs"][0]["series"]["lr"]["points"] == 3
    missing = subprocess.run([sys.executable, "-m", "trueloss_dash", "inspect", str(tmp_path / "nope.csv")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
