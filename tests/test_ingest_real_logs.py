"""Every real log in ../shared/real_logs loads with its losses recognised - or is refused for a
specific reason. Expected counts were computed from the files themselves (rows with a value in
the column, unique (step, value) rows for the duplicated DVCLive file, distinct steps for the
per-batch TensorBoard tags) and are hard-coded here.
"""

from __future__ import annotations

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_path

# file -> (format, {series: points}, [substrings expected in notes+warnings])
EXPECTED = {
    "keras_csv/BraTS2020CapstoneProject__training.log": ("keras_csv", {"train_loss": 24, "val_loss": 24, "lr": 24, "val_dice_coef": 24}, []),
    "keras_csv/Car-Prediction-CNN-Model__training.log": ("keras_csv", {"train_loss": 100, "val_loss": 100, "train_acc": 100, "val_acc": 100}, []),
    "keras_csv/Flowers_Classification_Project__transfer_learing_history.csv": ("keras_csv", {"train_loss": 20, "val_loss": 20}, []),
    "keras_csv/dogbreedai__history.csv": ("keras_csv", {"train_loss": 20, "val_loss": 20}, ["index column"]),
    "keras_csv/testeimgbirds__history.csv": ("keras_csv", {"train_loss": 10, "val_loss": 10}, ["row index used as epoch"]),
    "fastai_csv/fastai-sportsball-classifier__history.csv": ("fastai_csv", {"train_loss": 19, "val_loss": 19, "epoch_time": 19}, ["per-epoch duration"]),
    "lightning_csv/Contact-Point-Detection__hall_of_fame_metrics.csv": ("lightning_csv", {"train_loss": 1023}, ["date/time"]),
    "lightning_csv/Gaussian-Mixture-Neural-Network__version_0_metrics.csv": ("lightning_csv", {"train_loss": 140, "val_loss": 700, "val_acc": 700}, []),
    "lightning_csv/cv-image-classification__metrics.csv": (
        "lightning_csv",
        {"train_loss": 171, "val_loss": 5, "val_acc": 5, "test_loss": 1, "val_loss_after_fit": 1},
        ["after training ended", "'test_loss' kept as extra series"],
    ),
    "hf_trainer_state/lora-imdb-distilbert__trainer_state.json": ("hf_trainer_state", {"train_loss": 18, "val_loss": 3, "lr": 18, "grad_norm": 18}, []),
    "hf_trainer_state/mT5-based-azerbaijani-news-summarize__trainer_state.json": ("hf_trainer_state", {"train_loss": 700, "val_loss": 70, "lr": 700, "eval_rouge1": 70}, []),
    "hf_trainer_state/tinyLlama-finetune__trainer_state.json": ("hf_trainer_state", {"train_loss": 186, "val_loss": 14, "mean_token_accuracy": 186}, []),
    "yolo_results/HandRaisingDetector-YOLO12n__train3_results.csv": ("ultralytics_csv", {"train_loss": 200, "val_loss": 200, "train/box_loss": 200, "lr": 200}, ["train_loss = sum of train/box_loss, train/cls_loss, train/dfl_loss"]),
    "yolo_results/Weather-Classification-with-YOLOv8__classify_results.csv": ("ultralytics_csv", {"train_loss": 7, "val_loss": 7, "val_acc": 7}, []),
    "yolo_results/YOLOv8-Fire-and-Smoke-Detection__results.csv": ("ultralytics_csv", {"train_loss": 25, "val_loss": 25, "val/dfl_loss": 25}, ["sum of"]),
    "yolo_results/helmet-detection-yolov5__exp2_results.csv": ("ultralytics_csv", {"train_loss": 150, "val_loss": 150, "train/obj_loss": 150}, ["train/obj_loss"]),
    "yolo_results/yolov5-seat-belt__exp_results.csv": ("ultralytics_csv", {"train_loss": 50, "val_loss": 50}, ["sum of"]),
    "dvclive_tsv/learn2thermML__classifier_eval_loss.tsv": ("dvclive", {"val_loss": 21}, ["20 duplicated rows"]),
    "dvclive_tsv/learn2thermML__classifier_loss.tsv": ("dvclive", {"train_loss": 20}, []),
    "detectron2_metrics_json/Medical_Waste_Detection_Detectron2__metrics.json": ("detectron2_json", {"train_loss": 200, "lr": 200, "loss_cls": 200, "time": 200}, ["not used as wall time"]),
    "text_log/modded-nanogpt__2024-06-06_AdamW_f66d43d7.log": ("text_log", {"train_loss": 9536, "val_loss": 76}, []),
    "text_log/modded-nanogpt__2024-12-04_ValueEmbed_00008ea0.txt": ("text_log", {"train_loss": 1530, "val_loss": 14, "train_time": 1531}, []),
    "tfevents/Contact-Point-Detection__events.out.tfevents.1580748788.Joon-Development.21130.0": ("tensorboard", {"train_loss": 1023}, ["'epoch' tag used as the epoch axis"]),
    "tfevents/YOLOv8-Fire-and-Smoke-Detection__events.out.tfevents.1675348815.43529bab29be.37247.0": (
        "tensorboard", {"train_loss": 25, "val_loss": 25, "train/box_loss": 25}, ["1375 values at 25 distinct step values", "sum of"],
    ),
    "tfevents/cv-image-classification__mnist_cnn_v0_events.out.tfevents.1785441771.squirrels-iMac.local.1798.3": (
        "tensorboard", {"train_loss": 5, "val_loss": 5, "val_acc": 5, "hp_metric": 1}, ["hparams plugin records"],
    ),
    "tfevents/detectron_mine__events.out.tfevents.1729241278.Chang.23300.9": ("tensorboard", {"train_loss": 50, "lr": 50, "loss_mask": 50}, []),
    "mlflow/AIOPS_learning_mnist": ("mlflow", {"train_loss": 10, "train_loss_step": 10, "acc_epoch": 10}, []),
}

REFUSED = {
    # two epochs only: no curve to diagnose
    "keras_csv/Deteksi-Huruf-Hijaiyah---CNN__history.csv": ["no curve to diagnose", "train_loss: 2 points", "at least 3 times"],
    "wandb_history/spaceinvaders-wandb-challenge__wandb-history.jsonl": ["no loss series found", "episodic_reward", "accepted names for training loss"],
    "lightning_csv/Contact-Point-Detection__hall_of_fame_meta_tags.csv": ["hyper-parameter file", "metrics.csv"],
    "lightning_csv/Gaussian-Mixture-Neural-Network__version_0_hparams.yaml": ["hyper-parameter file", "metrics.csv"],
}


def test_every_real_log_is_covered(real_logs):
    on_disk = {str(p.relative_to(real_logs)) for p in real_logs.glob("*/*") if p.is_file()}
    on_disk.add("mlflow/AIOPS_learning_mnist")
    covered = set(EXPECTED) | set(REFUSED)
    assert on_disk <= covered, sorted(on_disk - covered)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_real_log_loads(real_logs, rel):
    fmt, counts, phrases = EXPECTED[rel]
    runs = load_path(real_logs / rel)
    assert len(runs) == 1
    run = runs[0]
    assert run.format == fmt
    assert {k: len(run.series[k]) for k in counts if k in run.series} == counts
    for name in ("train_loss", "val_loss"):
        if name in counts:
            s = run.series[name]
            assert s.axes, name
            assert np.isfinite(s.y).all(), name
            x = s.x(s.axes[0])
            assert np.all(np.diff(x) >= 0), f"{name} not sorted by {s.axes[0]}"
    text = " | ".join(run.notes + run.warnings)
    for phrase in phrases:
        assert phrase in text, (phrase, text)


@pytest.mark.parametrize("rel", sorted(REFUSED))
def test_real_log_refused_with_reason(real_logs, rel):
    with pytest.raises(LogFormatError) as info:
        load_path(real_logs / rel)
    message = str(info.value)
    assert rel.split("/")[-1] in message
    for phrase in REFUSED[rel]:
        assert phrase in message


def test_values_match_the_file(real_logs):
    """Spot-check values, not only counts: first/last Keras rows and the YOLO component sum."""
    run = load_path(real_logs / "keras_csv/Car-Prediction-CNN-Model__training.log")[0]
    assert run.series["train_loss"].y[0] == pytest.approx(1.7800995111465454)
    assert run.series["val_loss"].y[0] == pytest.approx(1.8974509239196777)
    assert run.series["train_loss"].epoch[:3].tolist() == [0, 1, 2]
    yolo = load_path(real_logs / "yolo_results/YOLOv8-Fire-and-Smoke-Detection__results.csv")[0]
    assert yolo.series["train_loss"].y[0] == pytest.approx(1.6878 + 3.3859 + 2.143)
    assert yolo.series["train_loss"].epoch[0] == 0
    fastai = load_path(real_logs / "fastai_csv/fastai-sportsball-classifier__history.csv")[0]
    assert fastai.series["epoch_time"].y[0] == 4 * 60 + 39
    hf = load_path(real_logs / "hf_trainer_state/lora-imdb-distilbert__trainer_state.json")[0]
    assert hf.series["train_loss"].step[0] == 20 and hf.series["train_loss"].y[0] == pytest.approx(0.6899)
    assert hf.series["val_loss"].y[-1] == pytest.approx(0.3891691565513611)
    assert "summary" not in hf.meta or "train_loss" not in hf.series["train_loss"].source_column
    nano = load_path(real_logs / "text_log/modded-nanogpt__2024-06-06_AdamW_f66d43d7.log")[0]
    assert nano.series["train_loss"].y[0] == pytest.approx(10.965596)
    assert nano.series["val_loss"].y[0] == pytest.approx(10.968871)


def test_lightning_folder_reads_hparams(real_logs, tmp_path):
    """The legacy metrics.csv with meta_tags.csv beside it: hparams go into the context."""
    run_dir = tmp_path / "version_0"
    run_dir.mkdir()
    (run_dir / "metrics.csv").write_bytes((real_logs / "lightning_csv/Contact-Point-Detection__hall_of_fame_metrics.csv").read_bytes())
    (run_dir / "meta_tags.csv").write_bytes((real_logs / "lightning_csv/Contact-Point-Detection__hall_of_fame_meta_tags.csv").read_bytes())
    runs = load_path(run_dir)
    assert len(runs) == 1
    run = runs[0]
    assert run.name == "version_0"
    assert run.context.lr == pytest.approx(0.02)
    assert run.context.batch_size == 40
    assert run.context.extra["hparam.train_dataset"].startswith("<cp_detection")
    assert run.context.extra["hparam.hidden_nodes"] == "[10, 10]"


def test_ultralytics_runs_assume_default_augmentation(real_logs):
    (run,) = load_path(real_logs / "yolo_results" / "yolov5-seat-belt__exp_results.csv")
    assert run.context.augmentation is True
    assert any("augmentation assumed on" in n for n in run.notes)
