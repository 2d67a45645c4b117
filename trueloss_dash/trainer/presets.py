"""Presets: one small run per phenomenon the dashboard explains.

Each preset says what it shows, which findings and causes the diagnosis is expected to report,
and the config overrides that produce it. ``tests/test_presets.py`` runs every preset and checks
the phenomenon on the measured curves. Torch-free (the UI lists presets without importing torch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import TruelossError
from .config import TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str  # what it shows
    expected_findings: tuple[str, ...]  # finding kinds the diagnosis should report
    expected_causes: tuple[str, ...]  # cause ids, most likely first
    config: dict[str, Any] = field(default_factory=dict)  # TrainConfig overrides


#: One number for the lr_spike preset's config and its card (the card said ×30 while the run used ×10).
_LR_SPIKE_FACTOR = 10.0

_PRESETS = [
    Preset(
        "clean", "Clean baseline",
        "A well-tuned MLP on digits (Adam, cosine LR decay): reported, true and validation losses fall together; "
        "no spike, no gap worth explaining.",
        (), (),
        dict(task="digits_mlp", width=128, depth=2, optimizer="adam", lr=2e-3, schedule="cosine", batch_size=16, epochs=15),
    ),
    Preset(
        "dropout", "Dropout inverts the gap",
        "Heavy dropout makes the reported (train-mode) loss higher than validation; the true training loss "
        "sits below validation, so the model is not underfitting - the train-mode effect is the gap.",
        ("inverted_gap",), ("dropout",),
        dict(task="digits_mlp", width=128, depth=2, dropout=0.5, optimizer="adam", lr=3e-3, train_fraction=0.4,
             epochs=15),
    ),
    Preset(
        "l2_penalty", "L2 penalty in the loss",
        "An L2 penalty added to the loss is part of the reported loss but not of validation: a smooth, "
        "data-independent offset above validation.",
        ("inverted_gap",), ("weight_penalty",),
        dict(task="digits_mlp", width=64, depth=2, l2=3e-3, optimizer="adam", lr=3e-3, train_fraction=0.4, epochs=15),
    ),
    Preset(
        "augmentation", "Augmentation inflates the training loss",
        "Random one-pixel shifts and input noise make training batches harder than the clean validation images; "
        "measured on clean inputs the training loss is below validation again.",
        ("inverted_gap",), ("augmentation",),
        dict(task="digits_mlp", width=256, depth=2, shift=True, noise_std=0.4, optimizer="adam",
             lr=3e-3, train_fraction=0.3, epochs=15),
    ),
    Preset(
        "label_noise", "Noisy training labels (data mismatch)",
        "40% of training labels are wrong, validation labels are clean: the true training loss stays above "
        "validation - a negative generalization gap, which no regulariser can produce.",
        ("inverted_gap",), ("data_mismatch",),
        dict(task="digits_mlp", width=64, depth=2, label_noise=0.4, optimizer="adam", lr=1e-3, epochs=10),
    ),
    Preset(
        "easier_val", "Validation from an easier distribution",
        "Training inputs carry noise the validation inputs lack: validation is below the true training loss "
        "from the first epoch on.",
        ("inverted_gap",), ("data_mismatch",),
        dict(task="digits_mlp", width=64, depth=2, easier_val=True, val_shift=0.6, optimizer="adam", lr=1e-3, epochs=12),
    ),
    Preset(
        "leakage", "Train/validation leakage",
        "Most validation examples are copies of training examples: validation tracks the true training loss "
        "and never shows the overfitting the same model shows on clean validation data.",
        ("inverted_gap",), ("data_mismatch",),
        dict(task="classification", n_samples=500, train_fraction=0.5, width=256, depth=2, leakage=1.0,
             optimizer="adam", lr=3e-3, epochs=30),
    ),
    Preset(
        "lr_spike", "LR spike, then recovery",
        f"The LR is multiplied by {_LR_SPIKE_FACTOR:g} for one epoch: the losses jump, then recover once the LR is back.",
        ("spike",), ("lr_overshoot",),
        dict(task="digits_mlp", width=64, depth=2, optimizer="sgd", lr=0.02, momentum=0.9, lr_spike_epoch=8,
             lr_spike_factor=_LR_SPIKE_FACTOR, epochs=20),
    ),
    Preset(
        "diverge", "Divergence",
        "SGD with a linear warmup to an LR far too high (regression): the loss first falls, turns erratic, then explodes; the run ends "
        "as diverged and keeps every finished epoch.",
        ("divergence",), ("lr_too_high",),
        dict(task="regression", n_samples=800, width=32, depth=2, optimizer="sgd", lr=2.0, momentum=0.9,
             schedule="warmup", warmup_epochs=10, epochs=20),
    ),
    Preset(
        "bn_small_batch", "BatchNorm with tiny batches",
        "Batch size 2 and a BatchNorm momentum of 1.0: the running statistics are those of the last batch "
        "(two examples), so the eval-mode validation loss jumps from epoch to epoch while the training "
        "loss, a mean over hundreds of batches at a small LR, falls smoothly.",
        ("spike",), ("batchnorm_instability",),
        dict(task="digits_mlp", width=64, depth=2, batchnorm=True, bn_momentum=1.0, batch_size=2,
             train_fraction=0.3, optimizer="adam", lr=3e-4, epochs=10),
    ),
    Preset(
        "overfit", "Overfitting",
        "A wide network on a small noisy data set: validation reaches a minimum, then rises while the "
        "training loss keeps falling.",
        ("overfitting",), ("overfitting",),
        dict(task="classification", n_samples=500, train_fraction=0.5, width=256, depth=2, optimizer="adam",
             lr=3e-3, epochs=30),
    ),
    Preset(
        "lr_too_low", "LR too low",
        "SGD with a tiny LR: every loss falls steadily but barely moves in the whole run.",
        ("plateau", "underfitting"), ("lr_too_low",),
        dict(task="digits_mlp", width=64, depth=2, optimizer="sgd", lr=5e-3, momentum=0.0, epochs=15),
    ),
    Preset(
        "underfit", "Underfitting",
        "A two-unit bottleneck cannot separate ten digit classes: losses flatten high, train and validation together.",
        ("underfitting", "plateau"), ("underfitting",),
        dict(task="digits_mlp", width=2, depth=1, optimizer="adam", lr=2e-2, epochs=25),
    ),
    Preset(
        "oscillation", "Oscillation",
        "Full-batch SGD with heavy momentum on a linear regression, the LR set so each step turns the error "
        "a quarter circle (LR x curvature ~ 1 + momentum): the squared error - the loss - is high and low on "
        "alternate epochs, for any seed, because standardised inputs fix the curvature.",
        ("oscillation",), ("lr_too_high",),
        dict(task="regression", n_samples=800, width=32, depth=0, optimizer="sgd", lr=0.95, momentum=0.95,
             batch_size=1000, epochs=40),
    ),
    Preset(
        "no_shuffle", "Unshuffled, class-sorted batches",
        "Training data sorted by class and never shuffled: each batch holds one class, so the per-step "
        "reported loss repeats the same pattern every epoch.",
        ("shuffling",), ("unshuffled_data",),
        dict(task="digits_mlp", width=64, depth=2, shuffle=False, class_sorted=True, per_step=True,
             optimizer="adam", lr=1e-3, batch_size=64, epochs=12),
    ),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}


def preset_config(name: str, **overrides: Any) -> TrainConfig:
    """The TrainConfig of preset ``name`` (named after it), with ``overrides`` (strings allowed) applied."""
    if name not in PRESETS:
        raise TruelossError(f"unknown preset {name!r}; available: {', '.join(PRESETS)}")
    preset = PRESETS[name]
    config = TrainConfig.from_overrides(TrainConfig(name=name), preset.config)
    return TrainConfig.from_overrides(config, overrides) if overrides else config
