"""Reader fixes found by corpus round 19 (helper corpusX), tested on the real files and generated variants."""

from __future__ import annotations

from pathlib import Path

from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_two_models_with_epoch_train_and_val_columns_load_as_two_runs():
    # shuuchen/floorplan_similarity: a UNet and a siamese network trained together, saved as one pandas-index CSV
    # ',unet_epoch_train_loss,sia_epoch_train_loss,unet_epoch_val_loss,sia_epoch_val_loss' (100 epochs).
    runs = load_path(CORPUS / "shuuchen__floorplan_similarity" / "epoch_losses.csv")
    assert [r.name for r in runs] == ["epoch_losses:unet", "epoch_losses:sia"]
    for run in runs:
        assert sorted(run.series) == ["train_loss", "val_loss"]
        assert len(run.series["train_loss"].y) == 100 and len(run.series["val_loss"].y) == 100
    unet, sia = runs
    assert unet.series["val_loss"].source_column == "unet_epoch_val_loss"
    assert round(float(sia.series["val_loss"].y[0]), 4) == 0.4848  # the file's first sia_epoch_val_loss


def test_epoch_train_loss_word_order_is_the_training_loss():
    # ggaoshen/graph_wavenet: ',epoch_train_loss' (50 epochs, training only) had no role ('train_epoch_loss' had).
    runs = load_path(CORPUS / "ggaoshen__graph_wavenet" / "training_curve.csv")
    assert len(runs) == 1 and sorted(runs[0].series) == ["train_loss"]
    assert len(runs[0].series["train_loss"].y) == 50


def _history(tmp_path, scales: dict[str, float]):
    """A 12-epoch history.csv whose column ``name`` holds ``scale / (epoch + 1)``, loaded."""
    path = tmp_path / "history.csv"
    rows = ["epoch," + ",".join(scales)]
    rows += [f"{e}," + ",".join(f"{s / (e + 1):.4f}" for s in scales.values()) for e in range(12)]
    path.write_text("\n".join(rows) + "\n")
    return load_path(path)


def test_prefixed_train_and_val_columns_of_two_models_split(tmp_path):
    runs = _history(tmp_path, {"gen_train_loss": 1, "gen_val_loss": 1.1, "disc_train_loss": 2, "disc_val_loss": 2.2})
    assert [r.name.split(":")[-1] for r in runs] == ["gen", "disc"]
    assert all(sorted(r.series) == ["train_loss", "val_loss"] for r in runs)


def test_one_model_with_plain_train_and_val_columns_stays_one_run(tmp_path):
    runs = _history(tmp_path, {"epoch_train_loss": 1, "epoch_val_loss": 1.1})
    assert len(runs) == 1 and sorted(runs[0].series) == ["train_loss", "val_loss"]
