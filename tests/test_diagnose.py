"""The diagnosis end to end: Report shape and JSON round trip, healthy runs show their checks, real
logs from public projects, the trainer's sample runs as a labelled set, the CLI, import hygiene."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from test_diagnose_support import decay, epoch_run, load_real
from trueloss_dash.cli import main as cli_main
from trueloss_dash.diagnose import CHECKS, RULES, Report, diagnose
from trueloss_dash.diagnose.model import CAUSE_IDS, FINDING_KINDS
from trueloss_dash.run import RunContext

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_runs"


def _one(path) -> Report:
    runs = load_real(path)
    assert len(runs) == 1
    return diagnose(runs[0])


# --- report ------------------------------------------------------------------------------------------


def test_healthy_run_says_so_and_lists_passed_checks_with_numbers():
    rep = diagnose(epoch_run(train_loss=decay(30), val_loss=decay(30, 2.1, 0.4)))
    assert rep.healthy and rep.verdict.startswith("No problems found")
    assert [c["id"] for c in rep.checks] == [c.id for c in CHECKS]
    applicable = [c for c in rep.checks if c["applicable"]]
    assert applicable and all(c["passed"] for c in applicable)
    assert all(any(ch.isdigit() for ch in c["detail"]) for c in applicable)  # numbers, not just "ok"


def test_report_json_schema_and_round_trip():
    tr = decay(40)
    tr[20] *= 3
    lr = np.full(40, 1e-3)
    lr[19:] = 1e-2
    rep = diagnose(epoch_run(train_loss=tr, val_loss=decay(40, 2.1, 0.4), lr=lr))
    d = json.loads(rep.to_json())
    assert set(d) >= {"run", "findings", "causes", "checks", "verdict", "healthy"}
    assert d["run"]["name"] == "run" and d["run"]["x_axis"] == "epoch" and "train_loss" in d["run"]["series"]
    f = d["findings"][0]
    assert set(f) == {"kind", "severity", "series", "start", "end", "x_axis", "metrics", "summary"}
    assert f["kind"] in FINDING_KINDS and f["severity"] in ("info", "warning", "critical")
    c = d["causes"][0]
    assert {"id", "title", "confidence", "evidence", "actions", "findings"} <= set(c)
    assert c["id"] == "lr_overshoot" and c["findings"] and all(0 <= i < len(d["findings"]) for i in c["findings"])
    assert [x["confidence"] for x in d["causes"]] == sorted((x["confidence"] for x in d["causes"]), reverse=True)
    starts = [x["start"] for x in d["findings"]]
    assert starts == sorted(starts)
    back = Report.from_dict(d)
    assert back.to_dict() == d
    assert "lr_overshoot" in rep.to_text() and "| severity |" in rep.to_markdown()


def test_context_argument_overrides_run_context():
    val = decay(30, 1.5, 0.3)
    run = epoch_run(train_loss=val * 1.4, val_loss=val, context=RunContext(dropout=0.0))
    assert diagnose(run, context=RunContext(penalty_in_loss=True)).causes[0].id == "weight_penalty"
    assert run.context.penalty_in_loss is None  # the run is not modified


def test_catalog_covers_every_cause_and_is_described():
    assert {r.cause for r in RULES} == set(CAUSE_IDS)
    for r in RULES:
        d = r.describe()
        assert d["why"] and d["actions"] and d["looks_at"] and d["confidence"]
    assert len({r.id for r in RULES}) == len(RULES)


def test_one_million_points_diagnose_without_error():
    n = 1_000_000
    rng = np.random.default_rng(1)
    from trueloss_dash.run import Run, Series

    step = np.arange(n, dtype=float)
    y = decay(n, 2.0, 0.3, tau=150_000) * np.exp(rng.normal(0, 0.1, n))
    y[500_000:500_500] *= 5
    vs = np.arange(999, n, 1000, dtype=float)
    run = Run("big", {"train_loss": Series("train_loss", y, step=step, epoch=step / 1000),
                      "val_loss": Series("val_loss", decay(n, 2.1, 0.35, tau=150_000)[vs.astype(int)], step=vs, epoch=(vs + 1) / 1000)})
    rep = diagnose(run)
    assert any(f.kind == "spike" and f.series == "train_loss" for f in rep.findings)
    assert "divergence" not in rep.kinds()


# --- real logs from public projects ------------------------------------------------------------------


def test_car_cnn_overfits_with_best_epoch_42(real_logs):
    rep = _one(real_logs / "keras_csv/Car-Prediction-CNN-Model__training.log")
    f = next(f for f in rep.findings if f.kind == "overfitting")
    assert f.metrics["best_x"] == 42
    # the last points sit 5% above the best point but <1% above the level around it: severity follows
    # consequence (issue 9), so the finding is info and the verdict quiet, but the cause is still named.
    # (Until stop 23 a metric_disagreement INFO said the loss 'rose' while accuracy improved; the loss
    # never rose beyond its noise, and that check now measures from the same level: none.)
    assert f.severity == "info" and "lucky low" in f.summary
    assert not any(m.kind == "metric_disagreement" for m in rep.findings)
    assert "overfitting" in rep.cause_ids()[:2] and "Overfitting" in rep.verdict


def test_flowers_transfer_learning_is_not_called_a_bug(real_logs):
    rep = _one(real_logs / "keras_csv/Flowers_Classification_Project__transfer_learing_history.csv")
    gap = next(f for f in rep.findings if f.kind == "inverted_gap")
    assert gap.severity == "info" and gap.metrics["fraction"] == 1.0
    assert rep.healthy and "not a bug" in rep.verdict
    assert rep.causes[0].id in ("dropout", "augmentation")
    assert any("true training loss" in e for e in rep.causes[0].evidence)  # says what would settle it


@pytest.mark.parametrize("rel, best", [("keras_csv/dogbreedai__history.csv", 9),
                                       ("fastai_csv/fastai-sportsball-classifier__history.csv", 6)])
def test_real_overfitting_runs(real_logs, rel, best):
    rep = _one(real_logs / rel)
    f = next(f for f in rep.findings if f.kind == "overfitting")
    assert f.metrics["best_x"] == best
    assert rep.causes[0].id == "overfitting"


def test_converged_segmentation_run_is_healthy(real_logs):
    rep = _one(real_logs / "keras_csv/BraTS2020CapstoneProject__training.log")
    assert rep.healthy and not {"spike", "divergence", "overfitting"} & set(rep.kinds())


def test_every_real_log_diagnoses_without_error(real_logs):
    try:
        from trueloss_dash.ingest import load_path
    except ImportError:
        pytest.skip("ingest not available")
    from trueloss_dash.errors import LogFormatError

    done = 0
    for path in sorted(real_logs.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".tsv") or path.name.endswith(".context.json"):
            continue
        try:
            runs = load_path(path)
        except LogFormatError:
            continue
        for run in runs:
            rep = diagnose(run)
            json.loads(rep.to_json())
            assert rep.verdict
            done += 1
    assert done >= 20


# --- the trainer's sample runs: a labelled set ---------------------------------------------------------

LABELS = {
    "clean": (None, None),
    "dropout": ("inverted_gap", "dropout"),
    "l2_penalty": ("inverted_gap", "weight_penalty"),
    "augmentation": ("inverted_gap", "augmentation"),
    "label_noise": ("inverted_gap", "data_mismatch"),
    "easier_val": ("inverted_gap", "data_mismatch"),
    "leakage": ("inverted_gap", "data_mismatch"),
    "lr_spike": ("spike", "lr_overshoot"),
    "diverge": ("divergence", "lr_too_high"),
    "bn_small_batch": ("erratic_validation", "batchnorm_instability"),
    "overfit": ("overfitting", "overfitting"),
    "lr_too_low": ("plateau", "lr_too_low"),
    "underfit": ("underfitting", "underfitting"),
    "oscillation": ("oscillation", "lr_too_high"),
    "no_shuffle": ("shuffling", "unshuffled_data"),
}


@pytest.mark.parametrize("preset", sorted(LABELS))
def test_sample_run_labelled(preset):
    path = SAMPLES / f"{preset}.csv"
    if not path.exists():
        pytest.skip(f"{path.name} not produced yet")
    rep = _one(path)
    finding, cause = LABELS[preset]
    if finding is None:
        assert rep.healthy, rep.verdict
        assert not {"spike", "divergence"} & set(rep.kinds())
        return
    assert finding in rep.kinds(), rep.to_text()
    assert cause in rep.cause_ids()[:2], rep.to_text()
    if cause in ("dropout", "weight_penalty", "augmentation"):
        assert rep.healthy and "not a problem" in rep.verdict  # regularization is not a bug
    if cause == "data_mismatch":
        assert not rep.healthy


def test_without_true_loss_regularization_presets_rank_lower_but_say_how_to_settle():
    path = SAMPLES / "dropout.csv"
    if not path.exists():
        pytest.skip("sample runs not produced yet")
    run = load_real(path)[0]
    measured = diagnose(run).cause("dropout").score
    for name in [n for n in run.series if n.startswith(("true_", "gap_"))]:
        del run.series[name]
    rep = diagnose(run)
    top = rep.causes[0]
    assert top.id == "dropout" and top.score < measured
    assert any("true training loss" in e for e in top.evidence)


# --- CLI ---------------------------------------------------------------------------------------------------


def _write_csv(path, tr, val):
    path.write_text("epoch,loss,val_loss\n" + "".join(f"{i},{a},{b}\n" for i, (a, b) in enumerate(zip(tr, val))))
    return path


def test_cli_text_json_and_meta(tmp_path, capsys):
    pytest.importorskip("trueloss_dash.ingest")
    val = decay(20, 1.5, 0.3)
    p = _write_csv(tmp_path / "log.csv", val * 1.4, val)
    assert cli_main(["diagnose", str(p)]) == 0
    out = capsys.readouterr().out
    assert "Verdict:" in out and "Checks:" in out
    assert cli_main(["diagnose", str(p), "--json", "--meta", "penalty_in_loss=true", "dropout=0"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["causes"][0]["id"] == "weight_penalty" and d["run"]["context"]["penalty_in_loss"] is True


def test_cli_exit_2_on_bad_input_and_bad_meta(tmp_path, capsys):
    pytest.importorskip("trueloss_dash.ingest")
    bad = tmp_path / "nothing.csv"
    bad.write_text("a,b\nx,y\n")
    assert cli_main(["diagnose", str(bad)]) == 2
    assert "nothing.csv" in capsys.readouterr().err
    assert cli_main(["diagnose", str(tmp_path / "missing.csv")]) == 2
    capsys.readouterr()
    good = _write_csv(tmp_path / "log.csv", decay(10), decay(10))
    assert cli_main(["diagnose", str(good), "--meta", "dropout=lots"]) == 2
    err = capsys.readouterr().err
    assert "dropout" in err and "Traceback" not in err
    assert cli_main(["diagnose", str(good), "--meta", "novalue"]) == 2


def test_cli_json_several_runs_is_a_reports_list(tmp_path, capsys, monkeypatch):
    import trueloss_dash.ingest as ingest

    runs = [epoch_run("a", train_loss=decay(10), val_loss=decay(10)), epoch_run("b", train_loss=decay(10), val_loss=decay(10))]
    monkeypatch.setattr(ingest, "load_path", lambda path, **kwargs: runs)
    assert cli_main(["diagnose", str(tmp_path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["run"]["name"] for r in d["reports"]] == ["a", "b"]


def test_import_does_not_pull_torch_streamlit_plotly():
    code = ("import sys, trueloss_dash.diagnose, trueloss_dash.commands.diagnose; "
            "bad = [m for m in ('torch', 'streamlit', 'plotly') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stdout + res.stderr


# --- honesty fixes (eval_diagnosis.py findings) -----------------------------------------------------


def test_flowers_verdict_does_not_call_data_mismatch_regularization(real_logs):
    rep = _one(real_logs / "keras_csv/Flowers_Classification_Project__transfer_learing_history.csv")
    head = rep.verdict.split(" - not a bug")[0]
    assert "mismatch" not in head and "not a bug" in rep.verdict
    assert all(c.score >= 0.2 for c in rep.causes) and "batchnorm_instability" not in rep.cause_ids()


def test_flat_run_without_validation_is_a_plateau_not_underfitting(real_logs):
    rep = _one(real_logs / "lightning_csv/Contact-Point-Detection__hall_of_fame_metrics.csv")
    assert "plateau" in rep.kinds() and "underfitting" not in rep.kinds()


def test_precision_alone_is_not_compared_with_the_loss(real_logs):
    rep = _one(real_logs / "yolo_results/helmet-detection-yolov5__exp2_results.csv")
    series = [f.series for f in rep.findings if f.kind == "metric_disagreement"]
    assert not any("precision" in s or "recall" in s for s in series)
    assert "overfitting" in rep.cause_ids()[:2]


def test_minibatch_noise_in_a_short_hf_log_is_not_a_spike(real_logs):
    rep = _one(real_logs / "hf_trainer_state/lora-imdb-distilbert__trainer_state.json")
    assert "spike" not in rep.kinds() and "lr_overshoot" not in rep.cause_ids()


def test_spike_check_says_why_a_high_z_point_is_not_a_spike(real_logs):
    rep = _one(real_logs / "yolo_results/HandRaisingDetector-YOLO12n__train3_results.csv")
    spike = next(c for c in rep.checks if c["id"] == "spike")
    assert "spike" not in rep.kinds()
    for part in spike["detail"].split("; "):
        if "max robust z" in part and float(part.split("max robust z ")[1].split()[0]) > 6:
            assert "not a spike - " in part, part


def test_divergence_after_warmup_is_lr_too_high_first():
    rep = _one(SAMPLES / "diverge.csv")
    assert rep.cause_ids()[0] == "lr_too_high"
