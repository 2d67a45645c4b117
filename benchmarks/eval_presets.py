"""The two older labelled groups of ``eval_diagnosis.py``, both tuned on (reported as such):

- ``presets``: every trainer preset x seeds 1-4, plus -30% / +30% epochs (seeds 11, 12) and the
  CNN task for the image presets (seed 13), as full trainer logs. A run is scored only when the
  preset's criterion (:mod:`trueloss_dash.trainer.phenomena`) verifies its phenomenon on the curves
  (with the twin run where the criterion compares against one).
- ``shared``: public logs from ``../shared/real_logs`` with hand labels (one line each).

Trained runs are cached as ``Run.to_dict`` JSON (``cache`` dir), at most 2 training workers.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from trueloss_dash.run import Run

REAL_LOGS = Path(os.environ.get("TRUELOSS_REAL_LOGS", "/work/shared/real_logs"))

# (relative path, expected findings (any), expected causes (one in top 2), clean?, not_top, justification).
# "clean" runs are scored as healthy when they expect no finding.
SHARED_REAL_LABELS = [
    ("keras_csv/Car-Prediction-CNN-Model__training.log", ("overfitting",), ("overfitting",), False, (),
     "val_loss bottoms at epoch 42 (0.71) then drifts up while loss keeps falling"),
    ("keras_csv/dogbreedai__history.csv", ("overfitting",), ("overfitting",), False, (),
     "val_loss minimum at row 9 then rising, training loss falling"),
    ("fastai_csv/fastai-sportsball-classifier__history.csv", ("overfitting",), ("overfitting",), False, (),
     "valid_loss min 0.23 at epoch 6 then up to 0.69 while train_loss falls"),
    ("keras_csv/Flowers_Classification_Project__transfer_learing_history.csv", ("inverted_gap",),
     ("dropout", "augmentation", "epoch_averaging_lag", "weight_penalty"), True, ("data_mismatch",),
     "val < train all 20 epochs on a transfer-learning model with augmentation/dropout: a training-time effect, not a bug"),
    ("keras_csv/BraTS2020CapstoneProject__training.log", (), (), True, (),
     "segmentation run that converges; val above train; nothing alarming"),
    ("keras_csv/testeimgbirds__history.csv", (), (), True, (),
     "10 epochs, both losses fall: no spike or divergence to report"),
    ("hf_trainer_state/tinyLlama-finetune__trainer_state.json", (), (), True, (),
     "SFT fine-tune, eval_loss monotonically decreasing"),
    ("hf_trainer_state/lora-imdb-distilbert__trainer_state.json", (), (), True, (),
     "LoRA fine-tune, minibatch-noisy loss every 20 steps, 3 evals: normal noise, no real spike"),
    ("hf_trainer_state/mT5-based-azerbaijani-news-summarize__trainer_state.json", (), (), True, (),
     "loss falls from 25.5 (warm-up drop) and keeps falling; evals every 100 steps decrease"),
    ("lightning_csv/cv-image-classification__metrics.csv", (), (), True, (),
     "MNIST CNN, train every 50 steps, val per epoch; ordinary descent"),
    ("lightning_csv/Contact-Point-Detection__hall_of_fame_metrics.csv", ("plateau",), (), True, ("underfitting",),
     "train_loss 85.09 -> 85.03 over 1023 epochs: a plateau; with no validation, underfitting is not established"),
    ("yolo_results/helmet-detection-yolov5__exp2_results.csv", ("overfitting",), ("overfitting", "overconfidence"), True, (),
     "val loss +7% after epoch 77 while train loss -29% (overfitting) yet mAP0.5:0.95 +10%: both readings are fair; "
     "precision alone (threshold trade-off) must not be the evidence"),
    ("yolo_results/yolov5-seat-belt__exp_results.csv", (), (), True, (),
     "YOLOv5: val/box_loss < train/box_loss most epochs (augmentation-heavy training), nothing broken"),
    ("yolo_results/YOLOv8-Fire-and-Smoke-Detection__results.csv", (), (), True, (),
     "25-epoch YOLOv8 run, losses fall"),
    ("yolo_results/HandRaisingDetector-YOLO12n__train3_results.csv", (), (), True, (),
     "200 epochs YOLO12n, val losses below train (mosaic augmentation), converges"),
    ("yolo_results/Weather-Classification-with-YOLOv8__classify_results.csv", (), (), True, (),
     "7-epoch classifier run, losses fall"),
    ("text_log/modded-nanogpt__2024-06-06_AdamW_f66d43d7.log", (), (), True, (),
     "GPT-2 speedrun, train every step + val every 128: smooth descent"),
    ("text_log/modded-nanogpt__2024-12-04_ValueEmbed_00008ea0.txt", (), (), True, (),
     "GPT-2 speedrun record, smooth descent"),
    ("tfevents/cv-image-classification__mnist_cnn_v0_events.out.tfevents.1785441771.squirrels-iMac.local.1798.3", (), (), True, (),
     "same MNIST CNN as the Lightning CSV, TensorBoard copy"),
    ("tfevents/YOLOv8-Fire-and-Smoke-Detection__events.out.tfevents.1675348815.43529bab29be.37247.0", (), (), True, (),
     "same run as the YOLOv8 results.csv, per-batch train losses"),
    ("detectron2_metrics_json/Medical_Waste_Detection_Detectron2__metrics.json", (), (), True, (),
     "detectron2 total_loss falling with LR warm-up; no eval rows"),
]



def variants(seeds: int) -> list[tuple[str, dict]]:
    from trueloss_dash.trainer import PRESETS

    out = []
    for name, p in PRESETS.items():
        epochs = int(p.config.get("epochs", 20))
        for s in range(1, seeds + 1):
            out.append((name, {"seed": s}))
        out.append((name, {"seed": 11, "epochs": max(6, int(round(epochs * 0.7)))}))
        out.append((name, {"seed": 12, "epochs": int(round(epochs * 1.3))}))
        if p.config.get("task") == "digits_mlp" and name in ("clean", "dropout", "augmentation", "l2_penalty", "bn_small_batch"):
            out.append((name, {"seed": 13, "task": "digits_cnn"}))
    return out


def grid_variants(seeds=range(6), factors=(0.7, 1.0, 1.3)) -> list[tuple[str, dict]]:
    """The robustness grid: every preset x seeds x epoch factors (x1.0 = the preset's own length)."""
    from trueloss_dash.trainer import PRESETS

    out = []
    for name, p in PRESETS.items():
        epochs = int(p.config.get("epochs", 20))
        for f in factors:
            for s in seeds:
                over = {"seed": s} if f == 1.0 else {"seed": s, "epochs": max(6, int(round(epochs * f)))}
                out.append((name, over))
    return out


def with_twins(todo: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """``todo`` plus the twin run each twin-compared criterion needs (same overrides)."""
    from trueloss_dash.trainer.phenomena import TWINS

    out = list(todo)
    for name, over in todo:
        if name in TWINS and (TWINS[name], over) not in out:
            out.append((TWINS[name], over))
    return out


def _label(name: str, over: dict) -> str:
    return name + "".join(f"_{k}{v}" for k, v in sorted(over.items()))


def _key(name: str, over: dict) -> str:
    """Cache key: the variant's label plus a hash of its full config (a changed preset retrains)."""
    import hashlib

    from trueloss_dash.trainer import preset_config

    digest = hashlib.sha1(json.dumps(preset_config(name, **over).to_dict(), sort_keys=True).encode()).hexdigest()[:8]
    return _label(name, over) + "_" + digest


def _train_one(args) -> tuple[str, dict]:
    name, over, cache = args
    path = Path(cache) / f"{_key(name, over)}.json"
    if path.exists():
        return str(path), {}
    import torch

    torch.set_num_threads(1)
    from trueloss_dash.trainer import preset_config, train

    cfg = preset_config(name, **over)
    if "lr_spike_epoch" in cfg.__dict__ and cfg.lr_spike_epoch is not None and cfg.lr_spike_epoch > cfg.epochs:
        return str(path), {"error": "lr spike after the end"}
    t = time.time()
    run = train(cfg).to_run()
    run.meta["eval_train_seconds"] = time.time() - t
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(run.to_dict()))
    tmp.replace(path)
    return str(path), {}


def trained_runs(todo: list[tuple[str, dict]], workers: int, cache: Path, train: bool = True) -> list[tuple[str, dict, Run]]:
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(n, o, str(cache)) for n, o in todo]
    missing = [j for j in jobs if not (cache / f"{_key(j[0], j[1])}.json").exists()]
    if missing and train:
        print(f"training {len(missing)} runs with {workers} worker(s) (cache {cache}) ...", file=sys.stderr)
        with ProcessPoolExecutor(max_workers=workers) as ex:
            list(ex.map(_train_one, missing))
    out = []
    for n, o in todo:
        p = cache / f"{_key(n, o)}.json"
        if p.exists():
            out.append((n, o, Run.from_dict(json.loads(p.read_text()))))
    return out


# --------------------------------------------------------------------------------------------------
# Degradations


def reproduction(runs) -> dict[str, "object"]:
    """label -> Phenomenon: the preset's criterion (``trainer.phenomena``, the one the tests assert)
    measured on each run, with its twin when the criterion compares against one."""
    from trueloss_dash.trainer.phenomena import TWINS, check_phenomenon

    by_label = {_label(n, o): r for n, o, r in runs}
    return {_label(n, o): check_phenomenon(n, r, by_label.get(_label(TWINS[n], o)) if n in TWINS else None)
            for n, o, r in runs}



def print_reproduction(todo, verified, verbose: bool) -> None:
    per: dict[str, list[bool]] = defaultdict(list)
    for name, over in todo:
        ph = verified.get(_label(name, over))
        if ph is None:
            continue
        per[name].append(ph.ok)
        if verbose or not ph.ok:
            print(f"  {_label(name, over):40} {ph}")
    print(f"\n{'preset':16} {'runs':>5} {'phenomenon reproduced':>22}")
    for name, v in per.items():
        print(f"{name:16} {len(v):5d} {sum(v):12d} ({100 * sum(v) / len(v):5.1f}%)")
    allv = [x for v in per.values() for x in v]
    if allv:
        print(f"{'ALL':16} {len(allv):5d} {sum(allv):12d} ({100 * sum(allv) / len(allv):5.1f}%)\n")



def preset_items(cache: Path, *, seeds: int = 4, grid: bool = False, workers: int = 2, train: bool = True,
                 verbose: bool = False) -> list:
    """Labelled items of the ``presets`` group (split ``tuned``): runs whose phenomenon is verified.

    A preset expecting no finding is labelled ``healthy``; several expected findings mean any one.
    Runs whose phenomenon is not reproduced are returned as ``undecidable``. ``grid``: the robustness
    grid (every preset x seeds 0-5 x epochs x0.7/x1.0/x1.3) instead of the default variants.
    """
    from eval_scoring import Item, Label

    from trueloss_dash.trainer import PRESETS

    todo = grid_variants() if grid else variants(seeds)
    runs = trained_runs(with_twins(todo), min(2, workers), cache, train)
    verified = reproduction(runs)
    if verbose:
        print_reproduction(todo, verified, verbose)
    scored = {_label(n, o) for n, o in todo}
    out = []
    for name, over, run in runs:
        label_id = _label(name, over)
        if label_id not in scored:
            continue  # a twin trained only for a criterion
        p = PRESETS[name]
        label = Label("|".join(p.expected_findings) or "healthy", tuple(p.expected_causes))
        ok = verified[label_id].ok
        out.append(Item("presets", "tuned", label_id, label, run=run, family=name,
                        status="labelled" if ok else "undecidable",
                        reason=p.title if ok else str(verified[label_id])))
    return out


def shared_items() -> list:
    """Labelled items of the ``shared`` group (split ``tuned``): hand-labelled ``real_logs`` files."""
    from eval_scoring import Item, Label

    out = []
    for rel, finds, causes, clean, _not_top, why in SHARED_REAL_LABELS:
        path = REAL_LOGS / rel
        if not path.exists():
            continue
        label = Label("|".join(finds) or ("healthy" if clean else "nothing_to_diagnose"), tuple(causes))
        out.append(Item("shared", "tuned", rel.split("/")[-1][:60], label, path=path, reason=why))
    return out
