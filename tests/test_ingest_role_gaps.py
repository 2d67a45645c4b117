"""Roles the real-log corpus showed missing: a phase's only loss named after
what it measures (train/mlm_loss), and GAN logs that load role-less with the role picker offered and
get the checks that make sense for each loss (issue 10) - generated input and the real corpus files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trueloss_dash.cli import main
from trueloss_dash.columns import phase_loss_role
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_bytes, load_path
from trueloss_dash.roles import ROLELESS_WARNING, apply_roles, roleless_losses

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


@pytest.mark.parametrize("header,train,val", [
    ("epoch,lr,train_mlm_loss", "train_mlm_loss", None),
    ("epoch,train_recon_loss,val_recon_loss", "train_recon_loss", "val_recon_loss"),
    ("epoch,train_ctc_loss_epoch,val_ctc_loss", "train_ctc_loss_epoch", "val_ctc_loss"),
])
def test_a_phases_only_loss_takes_the_role(header, train, val):
    cols = header.split(",")
    rows = "".join(",".join([str(e)] + [f"{1 / (e + 1):.3f}"] * (len(cols) - 1)) + "\n" for e in range(5))
    [run] = load_bytes("metrics.csv", (header + "\n" + rows).encode())
    assert run.series["train_loss"].source_column == train
    assert (run.series["val_loss"].source_column if val else "val_loss" not in run.series) == (val or True)
    assert any("(the only training loss)" in n for n in run.notes)


@pytest.mark.parametrize("header", [
    "epoch,train_classification_loss,train_regression_loss,val_classification_loss,val_regression_loss",  # heads
    "epoch,train_mlm_loss,val_nsp_loss",  # two measures: no pairing
    "epoch,train_elbo_loss,train_recon_loss",
])
def test_several_measures_stay_roleless(header):
    cols = header.split(",")
    rows = "".join(",".join([str(e)] + [f"{1 / (e + 1):.3f}"] * (len(cols) - 1)) + "\n" for e in range(5))
    [run] = load_bytes("metrics.csv", (header + "\n" + rows).encode())
    assert "train_loss" not in run.series and "val_loss" not in run.series
    assert any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


@pytest.mark.parametrize("name", ["train_loss", "trainloss", "train_loss_step", "val_loss"])
def test_plain_role_names_are_not_measures(name):
    assert phase_loss_role(name) is None


def test_real_single_mlm_loss():
    """Dipayan26/Plant-Protein-BERT version_3 (real test split; loaded only)."""
    [run] = load_path(CORPUS / "Dipayan26__Plant-Protein-BERT" / "version_3_metrics.csv")
    assert run.series["train_loss"].source_column == "train/mlm_loss" and len(run.series["train_loss"]) == 3


# -- GAN logs: role-less by design, role picker offered, per-loss checks -----------------------------------


GAN_LOG = "".join(f"Epoch {e}: Average Loss_G: {2.0 - e / 40:.4f}, Loss_D: {0.6 + (e % 3) / 100:.4f}\n"
                  for e in range(1, 41))


def test_gan_losses_load_roleless_and_get_per_loss_checks(tmp_path, capsys):
    [run] = load_bytes("training.log", GAN_LOG.encode())
    assert set(roleless_losses(run)) == {"Average Loss_G", "Loss_D"}
    assert any(w.startswith(ROLELESS_WARNING) and "--role" in w for w in run.warnings)
    report = diagnose(run)
    assert "Partly diagnosed" in report.verdict
    ran = [c for c in report.checks if c["applicable"]]
    assert {c["id"] for c in ran} >= {"divergence", "spike"}  # the checks that need no role run on each loss
    assert all("Average Loss_G" in c["detail"] and "Loss_D" in c["detail"] for c in ran)
    path = tmp_path / "training.log"
    path.write_text(GAN_LOG)
    assert main(["diagnose", str(path), "--json", "--role", "Average Loss_G=train_loss"]) == 0
    assert "train_loss" in json.dumps(json.loads(capsys.readouterr().out))


def test_real_gan_log_roleless_then_roles_by_the_user():
    """Latinaxia/Unet training.log (real dev): 50 epochs of 'Average Loss_G: x, Loss_D: y'."""
    [run] = load_path(CORPUS / "Latinaxia__Unet" / "training.log")
    assert {n: len(s) for n, s in run.series.items()} == {"Average Loss_G": 50, "Loss_D": 50}
    assert set(roleless_losses(run)) == {"Average Loss_G", "Loss_D"}
    report = diagnose(run)
    assert "Partly diagnosed" in report.verdict and not report.findings
    given = apply_roles(run, {"Average Loss_G": "train_loss"})
    assert len(given.series["train_loss"]) == 50 and not roleless_losses(given)


def test_real_cyclegan_loss_log_loads_roleless():
    """DaisyLiu1996/style_transfer_85 loss_log.txt (real test split; loaded only, never diagnosed here)."""
    [run] = load_path(CORPUS / "DaisyLiu1996__style_transfer_85" / "loss_log.txt")
    gan = {"D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"}
    assert {n: len(run.series[n]) for n in gan} == {n: 1576 for n in gan}
    assert set(roleless_losses(run)) == gan
    assert any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


# -- one tag per file: measure roles are judged once the files are merged ----------------------------------


def _tb(tag: str) -> bytes:
    return ("Wall time,Step,Value\n" + "".join(f"16000000{i}.5,{i},{0.9 - i / 10:.2f}\n" for i in range(5))).encode()


def test_tensorboard_csv_files_get_measure_roles_after_the_merge(tmp_path):
    for tag in ("train_cross_entropy", "val_cross_entropy"):
        (tmp_path / f"run-.-tag-{tag}.csv").write_bytes(_tb(tag))
    [run] = load_path(tmp_path)
    assert run.series["train_loss"].source_column == "train_cross_entropy"
    assert run.series["val_loss"].source_column == "val_cross_entropy"


def test_a_lone_tag_file_beside_a_real_val_loss_keeps_its_name(tmp_path):
    for tag in ("loss", "val_loss", "val_head_loss"):
        (tmp_path / f"run-.-tag-{tag}.csv").write_bytes(_tb(tag))
    [run] = load_path(tmp_path)
    assert run.series["val_loss"].source_column == "val_loss" and "val_head_loss" in run.series


def test_dvclive_metric_files_get_measure_roles(tmp_path):
    for phase in ("train", "eval"):
        d = tmp_path / "dvclive" / "plots" / "metrics" / phase
        d.mkdir(parents=True)
        (d / "cross_entropy.tsv").write_text("step\tcross_entropy\n" + "".join(f"{i}\t{0.9 - i / 10:.2f}\n" for i in range(5)))
    [run] = load_path(tmp_path / "dvclive")
    assert run.series["train_loss"].source_column == "train/cross_entropy"
    assert run.series["val_loss"].source_column == "eval/cross_entropy"
    assert not any(w.startswith(ROLELESS_WARNING) for w in run.warnings)


@pytest.mark.parametrize("cols,role", [(["mse_loss"], "mse_loss"), (["recon-loss", "acc"], "recon-loss"),
                                       (["d_loss"], None), (["mse_loss", "kl_loss"], None), (["test_loss"], None)])
def test_the_logs_only_loss_without_a_phase_is_the_training_loss(cols, role):
    header = "epoch," + ",".join(cols)
    rows = "".join(",".join([str(e)] + [f"{1 / (e + 2):.3f}"] * len(cols)) + "\n" for e in range(5))
    [run] = load_bytes("metrics.csv", (header + "\n" + rows).encode())
    got = run.series["train_loss"].source_column if "train_loss" in run.series else None
    assert got == role


def test_real_autoencoder_log_with_one_mse_loss():
    """Martinmbiro/standard-autoencoder metrics.csv (real dev): 'epoch,mse_loss,step', 20 epochs."""
    [run] = load_path(CORPUS / "Martinmbiro__standard-autoencoder" / "metrics.csv")
    assert run.series["train_loss"].source_column == "mse_loss" and len(run.series["train_loss"]) == 20


def test_a_lone_component_or_unknown_objective_stays_roleless_a_lone_error_measure_does_not(tmp_path):
    """Issue 10 names `dynamics_loss` among the losses whose role only the user can give; a VAE's
    `kl_loss` alone is a component, not the objective. `mse_loss` / `recon_loss` alone measure the
    whole prediction error: the training loss, with a note."""
    from trueloss_dash.ingest import load_path

    for name, role in (("kl_loss", None), ("dynamics_loss", None), ("mse_loss", "train_loss"), ("recon_loss", "train_loss")):
        f = tmp_path / f"{name}.csv"
        f.write_text(f"epoch,{name}\n0,0.5\n1,0.4\n2,0.35\n3,0.3\n")
        run = load_path(f)[0]
        if role is None:
            assert name in run.series and "train_loss" not in run.series, (name, list(run.series))
        else:
            assert run.series[role].source_column == name


@pytest.mark.parametrize("header,role,column", [
    ("validation_epoch_average,epoch,step", "val_loss", "validation_epoch_average"),
    ("epoch,train_epoch_avg,val_epoch_mean", "train_loss", "train_epoch_avg"),
    ("epoch,train_epoch_avg,val_epoch_mean", "val_loss", "val_epoch_mean"),
])
def test_a_phases_epoch_average_is_its_loss(header, role, column):
    """``self.log("validation_epoch_average", avg_loss)``: a phase's epoch average under no measure's name."""
    cols = header.split(",")
    rows = "".join(",".join(str(e) if c in ("epoch", "step") else f"{1 / (e + 2):.4f}" for c in cols) + "\n"
                   for e in range(5))
    [run] = load_bytes("metrics.csv", (header + "\n" + rows).encode())
    assert run.series[role].source_column == column
    assert any(f"'{column}' (a loss measure) is used as {role}" in n for n in run.notes)


@pytest.mark.parametrize("name", ["val_mean", "validation_average", "epoch_average", "val_epoch_acc"])
def test_other_averages_are_not_a_loss(name):
    from trueloss_dash.columns import loss_measure_role
    assert loss_measure_role(name) is None


def test_real_validation_epoch_average_lightning_log():
    [run] = load_path(CORPUS / "Lexmidan__arameic-mishmash" / "version_6_metrics.csv")
    val = run.series["val_loss"]
    assert val.source_column == "validation_epoch_average" and len(val.y) == 5
    assert val.y[0] == pytest.approx(0.0922806) and val.y[-1] == pytest.approx(0.0670903)
