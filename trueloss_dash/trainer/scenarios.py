"""Randomised training scenarios: the evaluation set nobody tuned the diagnosis on.

A scenario is a pure function of its generator seed: the seed draws a practitioner's ordinary
set-up (task, model, optimizer, schedule, batch size, data size, epochs - from ranges people use,
not from the presets), then at most one *fault knob* (LR far too high or low, an L2 penalty in the
loss, heavy dropout, augmentation, batch norm with tiny batches, noisy labels, an easier or leaked
validation set, unshuffled data, an LR spike, a warm-up to an LR that overshoots, too little
capacity, too little data), and the log layout the run is written in.

The label comes from the knobs (:func:`label_from_knobs`: what the fault causes, and which causes
the written log can still tell apart); :mod:`.phenomena` then verifies it on the measured curves
(:func:`~trueloss_dash.trainer.phenomena.check_scenario`). The diagnosis engine is never consulted.

Torch-free: sampling and labelling are plain Python; :mod:`.scenario_gen` trains and writes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

#: Fault knob -> relative frequency. ``healthy`` runs (no fault) are the largest share on purpose:
#: a false alarm costs the user more than a miss, and most real runs are fine.
FAMILIES: dict[str, float] = {
    "healthy": 0.42,
    "lr_far_too_high": 0.05,
    "lr_unstable": 0.04,
    "lr_far_too_low": 0.05,
    "too_little_capacity": 0.03,
    "overfit": 0.06,
    "heavy_dropout": 0.04,
    "l2_in_loss": 0.04,
    "augmentation": 0.04,
    "label_noise": 0.04,
    "easier_val": 0.03,
    "leakage": 0.03,
    "bn_tiny_batch": 0.04,
    "unshuffled": 0.03,
    "lr_spike": 0.04,
    "warmup_overshoot": 0.03,
}

#: Layout -> share. Most users have a framework log without the true training loss or context.
LAYOUTS: dict[str, float] = {
    "trueloss": 0.15,  # the product's own trainer log: true loss, decomposition, context header
    "keras": 0.25,  # CSVLogger: epoch,accuracy,loss,val_accuracy,val_loss (+learning_rate)
    "lightning": 0.25,  # metrics.csv: step rows + epoch rows (some with hparams.yaml beside)
    "hf": 0.15,  # trainer_state.json: loss every logging_steps, eval at epoch ends
    "generic": 0.20,  # a hand-written CSV/TSV with the user's own column names
}
#: Layouts that carry step-level training losses (an unshuffled run is only visible in those).
STEP_LAYOUTS = ("trueloss", "lightning", "hf")

#: Inverted-gap causes that leave the same two curves (reported train above validation):
#: without the true training loss and without the knob in the context they cannot be told apart.
BENIGN_GAP_CAUSES = ("dropout", "augmentation", "weight_penalty", "epoch_averaging_lag")

#: Finding kinds the labels use (the engine's vocabulary, including issue 9's new kinds).
HEALTHY = "healthy"

IMAGE_TASKS = ("digits_mlp", "digits_cnn", "shapes_mlp", "shapes_cnn")

# Budget: optimizer steps per run, so one run costs about a second on one core.
MAX_STEPS = {"mlp": 1000, "cnn": 600}


@dataclass
class Scenario:
    """One sampled run: its id, split, fault family, TrainConfig overrides and log layout."""

    id: str
    split: str
    seed: int
    family: str
    config: dict[str, Any]
    layout: str
    layout_options: dict[str, Any] = field(default_factory=dict)

    def train_config(self):
        from .config import TrainConfig

        return TrainConfig.from_overrides(TrainConfig(name=self.id), self.config)


@dataclass
class Label:
    """What the knobs cause, in the corpus label vocabulary (``LABELS.tsv`` semantics).

    ``expected_finding``: a finding kind, or ``healthy`` (no warning/critical finding);
    ``acceptable_causes``: one of them must be in the top 2 causes (empty: no requirement);
    ``also_ok``: finding kinds that may also appear (at any severity) without being wrong.
    """

    expected_finding: str
    acceptable_causes: tuple[str, ...] = ()
    also_ok: tuple[str, ...] = ()
    reason: str = ""


# --------------------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------------------

SPLIT_SEEDS = {"dev": 1_000_000, "test": 2_000_000}


def scenario_seed(split: str, index: int) -> int:
    """Generator seed of run ``index`` in ``split``: disjoint ranges, so dev and test never share a run."""
    if split not in SPLIT_SEEDS:
        raise ValueError(f"split: found {split!r}, expected one of {', '.join(SPLIT_SEEDS)}")
    return SPLIT_SEEDS[split] + index


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _sig(x: float, digits: int = 2) -> float:
    """Round to ``digits`` significant digits (knobs people type: 3e-3, 0.05, not 0.0031416)."""
    return float(f"{x:.{digits}g}")


def good_lr(optimizer: str, momentum: float, task: str, batchnorm: bool, rng: random.Random) -> float:
    """An LR a practitioner would pick for this optimizer and model: the ranges tutorials use,
    checked on these tasks (every one learns within a dozen epochs at both ends of its range)."""
    conv = task.endswith("_cnn")
    if optimizer == "sgd":
        if momentum == 0:
            lo, hi = (0.2, 0.6) if conv else (0.01, 0.05) if task == "regression" else (0.05, 0.3)
        else:
            lo, hi = (0.03, 0.1) if conv else (0.005, 0.03) if task == "regression" else (0.01, 0.05)
        if batchnorm:
            hi *= 1.5
    else:
        lo, hi = (1e-3, 5e-3) if conv else (5e-4, 3e-3)
    return _sig(_log_uniform(rng, lo, hi))


def _base(rng: random.Random) -> dict[str, Any]:
    """An ordinary set-up: what people train, with the knobs they usually turn."""
    task = _pick(rng, {"digits_mlp": 0.24, "digits_cnn": 0.13, "shapes_mlp": 0.06, "shapes_cnn": 0.15,
                       "classification": 0.24, "regression": 0.18})
    conv = task.endswith("_cnn")
    cfg: dict[str, Any] = {"task": task}
    if not task.startswith("digits"):
        cfg["n_samples"] = int(round(_log_uniform(rng, 600, 3000), -1))
    cfg["val_fraction"] = rng.choice([0.1, 0.15, 0.2, 0.2, 0.25, 0.3])
    if conv:
        # two or three conv blocks: one block and global pooling cannot place a stroke
        cfg["width"], cfg["depth"] = rng.choice([16, 16, 32, 32]), rng.choice([2, 2, 3])
    else:
        cfg["width"], cfg["depth"] = rng.choice([32, 64, 64, 128, 256]), rng.choice([1, 2, 2, 3])
    cfg["batchnorm"] = rng.random() < 0.25
    cfg["dropout"] = 0.0 if rng.random() < 0.65 else rng.choice([0.1, 0.1, 0.2, 0.25])
    opt = _pick(rng, {"sgd_constant": 0.22, "sgd_momentum": 0.23, "adam": 0.35, "adamw": 0.2})
    cfg["optimizer"] = "sgd" if opt.startswith("sgd") else opt
    cfg["momentum"] = 0.0 if opt == "sgd_constant" else 0.9
    cfg["lr"] = good_lr(cfg["optimizer"], cfg["momentum"], task, cfg["batchnorm"], rng)
    if opt == "adamw":
        cfg["weight_decay"] = rng.choice([1e-4, 1e-3, 1e-2, 0.05])
    elif opt == "sgd_momentum" and rng.random() < 0.4:
        cfg["weight_decay"] = rng.choice([1e-4, 5e-4])
    # SGD without momentum is usually run at a constant LR (the case issue 9 is about)
    sched_w = {"constant": 0.6, "step": 0.15, "cosine": 0.15, "warmup": 0.1} if opt == "sgd_constant" else \
        {"constant": 0.35, "step": 0.2, "cosine": 0.3, "warmup": 0.15}
    cfg["schedule"] = _pick(rng, sched_w)
    cfg["batch_size"] = rng.choice([16, 32, 32, 64, 64, 128])
    # epochs: mostly long enough to converge, sometimes far past it, sometimes a short run
    r = rng.random()
    cfg["epochs"] = rng.randint(3, 6) if r < 0.08 else rng.randint(8, 25) if r < 0.6 else rng.randint(26, 70)
    if cfg["schedule"] == "step":
        cfg["step_every"] = max(2, int(cfg["epochs"] * rng.choice([0.3, 0.4, 0.5])))
        cfg["step_gamma"] = rng.choice([0.1, 0.2, 0.5])
    elif cfg["schedule"] == "warmup":
        cfg["warmup_epochs"] = max(1, min(cfg["epochs"] // 3, rng.randint(2, 5)))
    if rng.random() < 0.12:  # a validation set from a slightly different distribution
        cfg["val_shift"] = rng.choice([0.05, 0.1, 0.15])
    return cfg


def _n_train(cfg: dict[str, Any]) -> int:
    n = 1797 if cfg["task"].startswith("digits") else cfg.get("n_samples", 1000)
    return int(n * (1 - cfg.get("val_fraction", 0.25)) * cfg.get("train_fraction", 1.0))


def _fit_budget(cfg: dict[str, Any]) -> None:
    """Keep a run near a second: shrink epochs (never below 3), then data, to the step budget."""
    budget = MAX_STEPS["cnn" if cfg["task"].endswith("_cnn") else "mlp"]
    if cfg.get("batchnorm") or cfg.get("dropout"):
        budget = int(budget * 0.8)
    if cfg.get("shift") or cfg.get("noise_std"):
        budget = int(budget * 0.6)  # augmentation costs about as much as the step itself
    steps_per_epoch = max(1, math.ceil(_n_train(cfg) / cfg["batch_size"]))
    if steps_per_epoch * cfg["epochs"] > budget:
        cfg["epochs"] = max(3, budget // steps_per_epoch)
    if steps_per_epoch * cfg["epochs"] > budget * 1.5:  # tiny batches: train on less data instead
        cfg["train_fraction"] = round(max(0.05, min(1.0, budget * 1.5 / (cfg["epochs"] * steps_per_epoch))
                                          * cfg.get("train_fraction", 1.0)), 3)
    if cfg["schedule"] == "step":
        cfg["step_every"] = max(1, min(cfg["step_every"], cfg["epochs"] - 1))
    if cfg["schedule"] == "warmup":
        cfg["warmup_epochs"] = max(1, min(cfg["warmup_epochs"], cfg["epochs"] - 2))
    if cfg.get("lr_spike_epoch") is not None and cfg["lr_spike_epoch"] > cfg["epochs"] - 3:
        cfg["lr_spike_epoch"] = max(2, cfg["epochs"] - 3)


def _apply_fault(family: str, cfg: dict[str, Any], rng: random.Random) -> None:
    """Turn the one knob that produces ``family`` (on top of an ordinary set-up)."""
    task = cfg["task"]
    if family == "healthy":
        if rng.random() < 0.45:  # trained well past convergence, at a constant LR (issue 9, case 1)
            cfg["schedule"] = "constant"
            cfg["epochs"] = rng.randint(30, 80)
            cfg["batch_size"] = rng.choice([64, 128, 128])  # many epochs within the step budget
            if rng.random() < 0.5:
                cfg["optimizer"], cfg["momentum"] = "sgd", 0.0
                cfg["lr"] = good_lr("sgd", 0.0, task, cfg["batchnorm"], rng)
                cfg.pop("weight_decay", None)
            else:
                cfg["optimizer"], cfg["momentum"] = "adam", 0.9
                cfg["lr"] = good_lr("adam", 0.9, task, cfg["batchnorm"], rng)
                cfg.pop("weight_decay", None)
    elif family == "lr_far_too_high":
        cfg["optimizer"], cfg["momentum"] = "sgd", rng.choice([0.0, 0.9])
        good = good_lr("sgd", cfg["momentum"], task, cfg["batchnorm"], rng)
        cfg["epochs"] = rng.randint(10, 30)
        if rng.random() < 0.7:  # a warm-up ramps into an LR the model cannot take
            cfg["schedule"], cfg["warmup_epochs"] = "warmup", rng.randint(3, 8)
            cfg["lr"] = _sig(good * _log_uniform(rng, 30, 300))
        else:
            cfg["schedule"] = "constant"
            cfg["lr"] = _sig(good * _log_uniform(rng, 20, 100))
    elif family == "lr_unstable":
        # SGD + momentum 6-15x above its range: it bounces without settling. (Adam at 10x keeps
        # converging - it rescales its steps - and beyond that its ReLUs die: stuck, not unstable.)
        cfg["optimizer"], cfg["momentum"] = "sgd", 0.9
        cfg["lr"] = _sig(good_lr("sgd", 0.9, task, False, rng) * _log_uniform(rng, 6, 15))
        cfg["schedule"], cfg["epochs"] = "constant", rng.randint(12, 40)
        cfg["batchnorm"] = False
    elif family == "lr_far_too_low":
        if rng.random() < 0.6:
            cfg["optimizer"], cfg["momentum"] = "sgd", rng.choice([0.0, 0.0, 0.9])
            cfg["lr"] = _sig(good_lr("sgd", cfg["momentum"], task, cfg["batchnorm"], rng) / _log_uniform(rng, 30, 300))
        else:
            cfg["optimizer"] = rng.choice(["adam", "adamw"])
            cfg["lr"] = _sig(_log_uniform(rng, 1e-6, 1e-5))
        cfg["schedule"], cfg["epochs"] = rng.choice(["constant", "constant", "cosine"]), rng.randint(8, 30)
    elif family == "too_little_capacity":
        cfg["task"] = task = rng.choice(["digits_mlp", "shapes_mlp", "classification", "regression"])
        if not task.startswith("digits"):
            cfg.setdefault("n_samples", 1200)
        cfg["width"], cfg["depth"] = rng.choice([1, 2, 2]), 1
        cfg["batchnorm"], cfg["dropout"] = False, 0.0
        cfg["optimizer"], cfg["lr"] = "adam", _sig(_log_uniform(rng, 3e-3, 2e-2))
        cfg["schedule"], cfg["epochs"] = "constant", rng.randint(20, 50)
    elif family == "overfit":
        cfg["task"] = task = rng.choice(["classification", "classification", "digits_mlp", "shapes_mlp", "regression"])
        cfg["n_samples"] = rng.choice([400, 600, 800]) if not task.startswith("digits") else None
        cfg["train_fraction"] = rng.choice([0.1, 0.15, 0.25])
        cfg["width"], cfg["depth"] = rng.choice([256, 512]), rng.choice([2, 3])
        cfg["dropout"], cfg["batchnorm"] = 0.0, False
        cfg["optimizer"], cfg["lr"] = "adam", _sig(_log_uniform(rng, 1e-3, 5e-3))
        cfg.pop("weight_decay", None)
        cfg["schedule"], cfg["epochs"] = "constant", rng.randint(30, 80)
        cfg["batch_size"] = rng.choice([16, 32])
    elif family == "heavy_dropout":
        cfg["dropout"] = rng.choice([0.4, 0.5, 0.5, 0.6])
        cfg["width"] = max(cfg["width"], 64)
        cfg["epochs"] = max(cfg["epochs"], rng.randint(10, 25))
    elif family == "l2_in_loss":
        cfg["l2"] = _sig(_log_uniform(rng, 1e-3, 1e-2))
        cfg["epochs"] = max(cfg["epochs"], rng.randint(10, 25))
        cfg.pop("weight_decay", None)
        cfg["dropout"] = 0.0  # one fault per run: its label names one cause
    elif family == "augmentation":
        if task not in IMAGE_TASKS:
            cfg["task"] = task = rng.choice(IMAGE_TASKS)
            cfg.pop("n_samples", None)
            if task.startswith("shapes"):
                cfg["n_samples"] = 1500
            if task.endswith("_cnn"):
                cfg["width"], cfg["depth"] = 16, 2
        cfg["shift"] = rng.random() < 0.7
        cfg["noise_std"] = rng.choice([0.0, 0.2, 0.3, 0.5]) if cfg["shift"] else rng.choice([0.3, 0.5])
        cfg["flip"] = task.startswith("shapes") and rng.random() < 0.3
        cfg["epochs"] = max(cfg["epochs"], rng.randint(10, 25))
        cfg["dropout"] = 0.0
    elif family == "label_noise":
        if task == "regression":
            cfg["task"], cfg["n_samples"] = "classification", cfg.get("n_samples", 1200)
        cfg["label_noise"] = rng.choice([0.2, 0.3, 0.4, 0.5])
        cfg["epochs"] = max(cfg["epochs"], rng.randint(8, 20))
    elif family == "easier_val":
        cfg["easier_val"], cfg["val_shift"] = True, rng.choice([0.4, 0.5, 0.7, 0.9])
        cfg["epochs"] = max(cfg["epochs"], rng.randint(8, 20))
    elif family == "leakage":
        cfg["leakage"] = rng.choice([0.9, 1.0, 1.0])
        cfg["epochs"] = max(cfg["epochs"], rng.randint(15, 40))
        cfg["dropout"] = 0.0
    elif family == "bn_tiny_batch":
        cfg["batchnorm"], cfg["batch_size"] = True, rng.choice([2, 2, 3, 4])
        cfg["bn_momentum"] = rng.choice([0.1, 0.3, 0.5, 1.0])
        cfg["dropout"] = 0.0
        cfg["optimizer"] = rng.choice(["adam", "adamw", "sgd"])
        cfg["momentum"] = 0.9
        cfg["lr"] = _sig(_log_uniform(rng, 1e-4, 1e-3) if cfg["optimizer"] != "sgd" else _log_uniform(rng, 1e-3, 1e-2))
        cfg["epochs"] = rng.randint(8, 20)
        cfg["train_fraction"] = rng.choice([0.2, 0.3])
    elif family == "unshuffled":
        if task == "regression":
            cfg["task"], cfg["n_samples"] = "classification", cfg.get("n_samples", 1200)
        cfg["shuffle"], cfg["class_sorted"] = False, True
        cfg["batch_size"] = rng.choice([32, 64])
        cfg["epochs"] = rng.randint(8, 20)
        cfg["batchnorm"] = False
    elif family == "lr_spike":
        cfg["epochs"] = rng.randint(14, 35)
        cfg["schedule"] = rng.choice(["constant", "constant", "cosine"])
        cfg["lr_spike_epoch"] = int(cfg["epochs"] * rng.uniform(0.35, 0.6))
        cfg["lr_spike_factor"] = _sig(_log_uniform(rng, 10, 40) if cfg["optimizer"] == "sgd" else _log_uniform(rng, 20, 80))
    elif family == "warmup_overshoot":
        cfg["schedule"], cfg["warmup_epochs"] = "warmup", rng.randint(4, 8)
        cfg["epochs"] = rng.randint(cfg["warmup_epochs"] + 8, cfg["warmup_epochs"] + 25)
        if cfg["optimizer"] == "sgd":
            cfg["lr"] = _sig(good_lr("sgd", cfg["momentum"], task, cfg["batchnorm"], rng) * _log_uniform(rng, 5, 20))
        else:
            cfg["lr"] = _sig(_log_uniform(rng, 0.01, 0.05))
    else:  # pragma: no cover - FAMILIES and this function are written together
        raise ValueError(f"unknown family {family!r}")
    if cfg.get("n_samples") is None:
        cfg.pop("n_samples", None)


def _layout(family: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    weights = dict(LAYOUTS)
    if family == "unshuffled":  # only a step-level log can show it
        weights = {k: v for k, v in LAYOUTS.items() if k in STEP_LAYOUTS}
    layout = _pick(rng, weights)
    opts: dict[str, Any] = {}
    if layout == "trueloss":
        opts["per_step"] = family == "unshuffled" or rng.random() < 0.2
    elif layout == "keras":
        opts["log_lr"] = rng.random() < 0.4
        opts["file"] = rng.choice(["training.log", "history.csv", "log.csv"])
    elif layout == "lightning":
        # an unshuffled run is only visible step by step: its user logs every step (small data sets do)
        opts["log_every_n_steps"] = 1 if family == "unshuffled" else rng.choice([5, 10, 50])
        opts["hparams"] = rng.random() < 0.35
        opts["val_acc_name"] = rng.choice(["val_acc", "val_accuracy"])
    elif layout == "hf":
        opts["logging_steps"] = 1 if family == "unshuffled" else rng.choice([5, 10, 25, 50])
    else:
        opts["names"] = rng.choice([
            ("epoch", "train_loss", "val_loss"), ("Epoch", "Train Loss", "Val Loss"),
            ("epoch", "loss", "val_loss"), ("ep", "training_loss", "validation_loss"),
            ("epoch", "trn_loss", "valid_loss"),
        ])
        opts["delimiter"] = "\t" if rng.random() < 0.2 else ","
        opts["with_acc"] = rng.random() < 0.5
    return layout, opts


def sample_scenario(split: str, index: int) -> Scenario:
    """The scenario of run ``index`` in ``split`` (same arguments -> the same scenario, always)."""
    seed = scenario_seed(split, index)
    rng = random.Random(seed)
    family = _pick(rng, FAMILIES)
    cfg = _base(rng)
    _apply_fault(family, cfg, rng)
    layout, opts = _layout(family, rng)
    cfg["per_step"] = layout in ("lightning", "hf") or bool(opts.get("per_step"))
    cfg["seed"] = seed % 100_000
    _fit_budget(cfg)
    return Scenario(f"{split}-{index:04d}", split, seed, family, cfg, layout, opts)


# --------------------------------------------------------------------------------------------------
# Labels from knobs
# --------------------------------------------------------------------------------------------------

#: family -> (expected finding, causes of which one must be in the top 2, also-ok kinds, why).
KNOB_EFFECTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], str]] = {
    "lr_far_too_high": ("divergence", ("lr_too_high", "lr_overshoot"), ("spike", "oscillation", "level_shift"),
                        "LR far above what the optimizer takes: the loss blows up (or collapses back to chance and stays)"),
    "lr_unstable": ("oscillation", ("lr_too_high",), ("spike", "plateau", "underfitting", "level_shift", "erratic_validation"),
                    "LR too high to settle: the training loss keeps going up and down"),
    "lr_far_too_low": ("underfitting", ("lr_too_low",), ("plateau",),
                       "LR 30-300x too small: every loss falls steadily but barely moves"),
    "too_little_capacity": ("underfitting", ("underfitting",), ("plateau",),
                            "one or two hidden units: train and validation flatten together, high"),
    "overfit": ("overfitting", ("overfitting",), ("inverted_gap",),
                "a wide net on a few hundred examples for many epochs: validation turns up while training falls"),
    "heavy_dropout": ("inverted_gap", ("dropout",), (),
                      "dropout >= 0.4 inflates the train-mode loss above validation"),
    "l2_in_loss": ("inverted_gap", ("weight_penalty",), (),
                   "an L2 term inside the loss is in the reported loss but not in validation"),
    "augmentation": ("inverted_gap", ("augmentation",), (),
                     "augmented training inputs are harder than clean validation inputs"),
    "label_noise": ("inverted_gap", ("data_mismatch",), (),
                    "noisy training labels, clean validation: the true training loss stays above validation"),
    "easier_val": ("inverted_gap", ("data_mismatch",), (),
                   "validation drawn from an easier distribution than training"),
    "leakage": ("inverted_gap", ("data_mismatch",), (),
                "validation examples are copies of training examples"),
    "bn_tiny_batch": ("erratic_validation", ("batchnorm_instability",), ("spike", "level_shift"),
                      "batch norm with batches of 2-4: running statistics jump, eval-mode validation with them"),
    "unshuffled": ("shuffling", ("unshuffled_data",), ("erratic_validation", "spike", "oscillation", "inverted_gap"),
                   "class-sorted data never shuffled: every batch one class, a per-epoch pattern in the step loss"),
    "lr_spike": ("spike", ("lr_overshoot", "lr_too_high"), (),
                 "the LR is multiplied 10-80x for one epoch: the losses jump, then recover"),
    "warmup_overshoot": ("level_shift", ("lr_overshoot", "lr_too_high"), ("spike", "oscillation"),
                         "a warm-up ramps to an LR 5-20x too high: the loss jumps at the peak and stays up"),
}

_CONTEXT_SHOWS = {  # inverted-gap family -> RunContext field that names its cause
    "heavy_dropout": "dropout",
    "l2_in_loss": "penalty_in_loss",
    "augmentation": "augmentation",
}
_MISMATCH = ("label_noise", "easier_val", "leakage")


def label_from_knobs(family: str, *, has_true_loss: bool, context: dict[str, Any] | None = None,
                     collapsed: bool = False) -> Label:
    """The label a run of ``family`` deserves, given what its log carries.

    ``has_true_loss``: the log holds the true training loss; ``context``: the RunContext fields the
    log provides (header, hparams.yaml). An inverted gap's cause is only asked for when the log can
    tell it: a benign training-time effect without the true loss and without its knob in the
    context may be named as any benign effect; a data mismatch without the true loss may be named
    as mismatch or as any benign effect (the two curves are the same - only the true loss settles it).
    ``collapsed``: a far-too-high LR whose loss stayed finite but went back up and stayed (either a
    divergence or a level shift is then a right finding).
    """
    if family == "healthy":
        return Label(HEALTHY, (), (), "ordinary set-up, well-tuned LR, no fault knob")
    finding, causes, also_ok, why = KNOB_EFFECTS[family]
    if family == "lr_far_too_high" and collapsed:
        finding = "divergence|level_shift"  # finite: the loss went back up to chance and stayed there
    context = context or {}
    if family in _CONTEXT_SHOWS and not has_true_loss:
        known = context.get(_CONTEXT_SHOWS[family])
        if not (known and known is not False):
            causes = BENIGN_GAP_CAUSES
            why += "; without the true loss or the knob in the context, any training-time effect is accepted"
    elif family in _MISMATCH and not has_true_loss:
        causes = ("data_mismatch", *BENIGN_GAP_CAUSES)
        why += "; without the true loss a mismatch looks like a regulariser: mismatch or a training-time effect accepted"
    return Label(finding, tuple(causes), tuple(also_ok), why)
