"""Every knob of a live training run, in one dataclass the CLI, the UI form and presets share.

This module does not import torch: the UI can list fields, help texts and presets without paying
for it. String values (``--set lr=0.1``, form fields) go through :meth:`TrainConfig.from_overrides`,
which names the field and what it expected when a value is wrong.
"""

from __future__ import annotations

import math
import typing
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping

from ..errors import ContextError
from ..run import RunContext

TASKS = ("digits_mlp", "digits_cnn", "shapes_mlp", "shapes_cnn", "classification", "regression")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "warmup", "plateau")
TRUE_LOSS_MODES = ("subsample", "full")
CHOICES: dict[str, tuple[str, ...]] = {
    "task": TASKS,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "true_loss": TRUE_LOSS_MODES,
}

# field -> (lower bound, upper bound) for numeric knobs (None = open).
_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "width": (1, 4096),
    "depth": (0, 16),
    "dropout": (0.0, 0.95),
    "bn_momentum": (0.0, 1.0),
    "lr": (0.0, 100.0),
    "momentum": (0.0, 0.999),
    "step_every": (1, None),
    "step_gamma": (0.0, 1.0),
    "warmup_epochs": (0, None),
    "lr_spike_factor": (0.0, 1e6),
    "batch_size": (1, 100_000),
    "epochs": (1, 10_000),
    "l1": (0.0, None),
    "l2": (0.0, None),
    "weight_decay": (0.0, None),
    "noise_std": (0.0, None),
    "label_noise": (0.0, 1.0),
    "val_shift": (0.0, None),
    "leakage": (0.0, 1.0),
    "subsample": (2, None),
    "n_samples": (20, 1_000_000),
    "val_fraction": (0.05, 0.9),
    "train_fraction": (0.01, 1.0),
}


@dataclass
class TrainConfig:
    """A complete, reproducible description of one demo training run (same config + seed → same curves)."""

    name: str = "run"
    task: str = "digits_mlp"
    # model
    width: int = 64
    depth: int = 2
    dropout: float = 0.0
    batchnorm: bool = False
    bn_momentum: float = 0.1
    # optimisation
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    schedule: str = "constant"
    step_every: int = 10
    step_gamma: float = 0.3
    warmup_epochs: int = 5
    lr_spike_epoch: int | None = None
    lr_spike_factor: float = 20.0
    batch_size: int = 32
    epochs: int = 20
    # regularisation
    l1: float = 0.0
    l2: float = 0.0
    weight_decay: float = 0.0
    # augmentation
    noise_std: float = 0.0
    shift: bool = False
    flip: bool = False
    # data
    n_samples: int = 1000
    val_fraction: float = 0.25
    train_fraction: float = 1.0
    label_noise: float = 0.0
    easier_val: bool = False
    val_shift: float = 0.0
    leakage: float = 0.0
    shuffle: bool = True
    class_sorted: bool = False
    # measurement
    true_loss: str = "subsample"
    subsample: int = 256
    per_step: bool = False
    seed: int = 0

    # -- validation ---------------------------------------------------------------------------
    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ContextError` naming the first field that is out of range."""
        for key, options in CHOICES.items():
            value = getattr(self, key)
            if value not in options:
                raise ContextError(f"{key}: found {value!r}, expected one of {', '.join(options)}")
        for key, (lo, hi) in _BOUNDS.items():
            value = getattr(self, key)
            if isinstance(value, float) and not math.isfinite(value):
                raise ContextError(f"{key}: found {value!r}, expected a finite number")
            if lo is not None and value < lo or hi is not None and value > hi:
                rng = f"[{lo:g}, {'∞' if hi is None else format(hi, 'g')}]"
                raise ContextError(f"{key}: found {value!r}, expected a value in {rng}")
        if self.lr_spike_epoch is not None and not 1 <= self.lr_spike_epoch <= self.epochs:
            raise ContextError(
                f"lr_spike_epoch: found {self.lr_spike_epoch}, expected an epoch in [1, {self.epochs}] or none"
            )
        if self.depth < 1 and self.is_conv:
            raise ContextError(f"depth: found {self.depth}, expected at least 1 conv block for {self.task}")
        if (self.shift or self.flip) and not self.is_image_task:
            raise ContextError(f"shift/flip: only image tasks (digits_*, shapes_*) can be shifted or flipped, not {self.task}")

    # -- parsing ------------------------------------------------------------------------------
    @classmethod
    def from_overrides(cls, base: "TrainConfig | None" = None, overrides: Mapping[str, Any] | None = None) -> "TrainConfig":
        """A copy of ``base`` with string or typed values applied (``{"lr": "0.1", "batchnorm": "yes"}``).

        Unknown keys and unparsable values raise :class:`ContextError` with the field, the value
        found and what was expected.
        """
        base = base or cls()
        known = {f.name: f for f in fields(cls)}
        hints = typing.get_type_hints(cls)
        changes: dict[str, Any] = {}
        for raw_key, raw_value in (overrides or {}).items():
            key = str(raw_key).strip().replace("-", "_")
            if key not in known:
                close = [k for k in known if k.startswith(key[:3])]
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ContextError(f"unknown training setting {raw_key!r}{hint}; known: {', '.join(known)}")
            changes[key] = _parse_value(key, hints[key], raw_value)
        try:
            return replace(base, **changes)
        except ContextError:
            raise

    @classmethod
    def field_help(cls) -> dict[str, str]:
        """Field → one-line description, in declaration order (the UI shows it as help text)."""
        return dict(FIELD_HELP)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TrainConfig":
        return cls.from_overrides(cls(), {k: v for k, v in data.items() if k in {f.name for f in fields(cls)}})

    # -- facts for diagnosis -----------------------------------------------------------------
    @property
    def is_image_task(self) -> bool:
        return self.task.startswith(("digits", "shapes"))

    @property
    def is_conv(self) -> bool:
        """A CNN on 8x8 images (``*_cnn``); every other task uses an MLP on flat inputs."""
        return self.task.endswith("_cnn")

    @property
    def has_augmentation(self) -> bool:
        return self.noise_std > 0 or self.shift or self.flip

    def run_context(self, *, n_train: int | None = None, n_val: int | None = None) -> RunContext:
        """What the diagnosis needs to know about these settings (the log header carries it)."""
        penalty = self.l1 > 0 or self.l2 > 0
        return RunContext(
            dropout=self.dropout,
            weight_decay=self.weight_decay if self.weight_decay > 0 else (self.l2 if self.l2 > 0 else 0.0),
            penalty_in_loss=penalty,
            augmentation=self.has_augmentation,
            batchnorm=self.batchnorm,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            lr=self.lr,
            n_train=n_train,
            n_val=n_val,
            extra={
                k: v
                for k, v in {
                    "task": self.task,
                    "schedule": self.schedule,
                    "l1": self.l1 or None,
                    "l2": self.l2 or None,
                    "decoupled_weight_decay": self.weight_decay or None,
                    "label_noise": self.label_noise or None,
                    "easier_val": self.easier_val or None,
                    "val_shift": self.val_shift or None,
                    "leakage": self.leakage or None,
                    "shuffle": self.shuffle,
                    "class_sorted": self.class_sorted or None,
                    "lr_spike_epoch": self.lr_spike_epoch,
                    "lr_spike_factor": self.lr_spike_factor if self.lr_spike_epoch is not None else None,
                    "bn_momentum": self.bn_momentum if self.batchnorm else None,
                    "true_loss": self.true_loss,
                    "seed": self.seed,
                }.items()
                if v is not None
            },
        )


FIELD_HELP: dict[str, str] = {
    "name": "Run name (shown in the dashboard and used for the log file).",
    "task": "Data and model: digits as vectors (MLP) or 8×8 images (CNN), synthetic 8×8 shapes (MLP/CNN), make_classification, or synthetic regression.",
    "width": "Hidden units per layer (MLP) or channels (CNN).",
    "depth": "Number of hidden layers (MLP; 0 = a linear model) or conv blocks (CNN, at least 1).",
    "dropout": "Dropout probability after each hidden layer; active only in train mode, so it inflates the reported loss.",
    "batchnorm": "Batch normalisation after each hidden layer (batch statistics in train mode, running ones in eval).",
    "bn_momentum": "Weight of the newest batch in BatchNorm running statistics (PyTorch convention; high = noisy eval).",
    "optimizer": "sgd (with momentum), adam or adamw.",
    "lr": "Base learning rate.",
    "momentum": "SGD momentum.",
    "schedule": "LR schedule: constant, step, cosine, warmup (linear ramp), plateau (ReduceLROnPlateau on val loss).",
    "step_every": "Step schedule: epochs between LR drops.",
    "step_gamma": "Step/plateau schedule: factor applied at each drop.",
    "warmup_epochs": "Warmup schedule: epochs of linear ramp from lr/epochs to lr.",
    "lr_spike_epoch": "Inject an LR spike during this epoch (1-based like the epoch column; empty = none).",
    "lr_spike_factor": "LR multiplier during the spike epoch.",
    "batch_size": "Training batch size.",
    "epochs": "Number of epochs.",
    "l1": "L1 penalty coefficient added to the loss (shows up in the reported loss).",
    "l2": "L2 penalty coefficient added to the loss, λ·Σw² (shows up in the reported loss).",
    "weight_decay": "Decoupled weight decay in the optimizer (never appears in the loss).",
    "noise_std": "Augmentation: std of Gaussian noise added to training inputs.",
    "shift": "Augmentation (images): random shift by up to one pixel.",
    "flip": "Augmentation (images): random horizontal flip.",
    "n_samples": "Generated tasks (shapes, classification, regression): number of samples (digits has 1797).",
    "val_fraction": "Fraction of the data held out for validation.",
    "train_fraction": "Fraction of the remaining data used for training (small = overfits).",
    "label_noise": "Fraction of training labels replaced by random ones (validation stays clean).",
    "easier_val": "Validation drawn from an easier distribution: training inputs carry fixed noise of std val_shift, validation inputs none.",
    "val_shift": "Size of the train/validation distribution difference (noise std with easier_val, else an input offset that makes validation harder).",
    "leakage": "Fraction of validation examples replaced by copies of training examples.",
    "shuffle": "Reshuffle training batches every epoch.",
    "class_sorted": "Order training data by class (with shuffle off: batches of one class).",
    "true_loss": "True training loss on a fixed stratified subsample (cheap, with 95% CI) or the full training set.",
    "subsample": "Subsample size for the true training loss and the gap decomposition.",
    "per_step": "Also log the reported loss of every batch.",
    "seed": "Random seed (data split, init, shuffling, augmentation, dropout).",
}


def _parse_value(key: str, hint: Any, value: Any) -> Any:
    """Parse one override according to the field's annotation."""
    optional = type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint) if optional else hint
    if isinstance(value, str):
        text = value.strip()
        if optional and text.lower() in ("", "none", "null", "off"):
            return None
        value = text
    elif value is None:
        if optional:
            return None
        raise ContextError(f"{key}: found nothing, expected a value")
    if base is bool:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("1", "true", "yes", "y", "on", "t"):
            return True
        if text in ("0", "false", "no", "n", "off", "f"):
            return False
        raise ContextError(f"{key}: found {value!r}, expected true or false")
    if base is int:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ContextError(f"{key}: found {value!r}, expected a whole number") from None
        if not math.isfinite(number) or number != int(number):
            raise ContextError(f"{key}: found {value!r}, expected a whole number")
        return int(number)
    if base is float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ContextError(f"{key}: found {value!r}, expected a number") from None
        if not math.isfinite(number):
            raise ContextError(f"{key}: found {value!r}, expected a finite number")
        return number
    if base is str:
        text = str(value)
        if key in CHOICES and text.lower() in CHOICES[key]:
            return text.lower()
        return text
    return value  # pragma: no cover - every field is one of the above
