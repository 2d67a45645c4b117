"""Keras 3: ``TrueLossCallback`` adds the true training loss to each epoch's ``logs``.

    from trueloss_dash.integrations.keras import TrueLossCallback
    model.fit(x, y, validation_data=(xv, yv), epochs=10,
              callbacks=[TrueLossCallback(x, y, subsample=512), keras.callbacks.CSVLogger("run.csv")])

Keras callbacks never see the training data, so the callback takes the training arrays. At
``on_epoch_end`` it measures ``model(x, training=False)`` on a fixed stratified subsample with the
compiled loss per example - WITHOUT the regularization penalty (the ``trueloss`` library's
``base_loss`` comes from ``model.evaluate``, which adds it) - and writes into ``logs``, so
``History`` and any ``CSVLogger`` placed after it carry:

- ``true_train_loss`` with ``true_train_loss_ci_low``/``_ci_high`` (95%; none on a full pass) and
  ``true_train_acc`` for classification;
- ``penalty`` (the sum of ``model.losses`` at the epoch's end) and ``gap_penalty`` (= that penalty);
- ``gap_train_mode`` (``training=True`` − ``training=False`` loss on the same subsample: dropout,
  BatchNorm and any augmentation layers inside the model);
- ``gap_averaging_lag`` (reported ``loss`` − penalty − train-mode loss) and ``gap_generalization``
  (true − ``val_loss``).

Measuring changes nothing: the non-trainable state (BatchNorm moving statistics, dropout seed
state) is restored after the train-mode pass, and on torch that pass draws from a forked RNG. Works on every Keras
backend; under torch the passes run under ``torch.no_grad()``.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import keras
import numpy as np

from .. import columns as C
from ..trainer.estimate import LossSums
from ._common import Settings, gap_terms


def _no_grad():
    if keras.backend.backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


def _own_rng():
    """On torch, an unseeded Dropout draws from torch's global RNG: fork it, so the train-mode pass
    leaves training's random stream where it was (seeded layers' states are restored as variables)."""
    if keras.backend.backend() == "torch":
        import torch

        devices = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
        return torch.random.fork_rng(devices=devices)
    return contextlib.nullcontext()


class TrueLossCallback(keras.callbacks.Callback):
    """Adds ``true_train_loss`` (+ interval), ``true_train_acc``, ``penalty`` and the gap terms to
    each epoch's ``logs``. Place it before ``CSVLogger`` in ``callbacks``. See the module docstring."""

    def __init__(self, x: Any, y: Any, *, subsample: int = 512, seed: int = 0, full: bool = False,
                 batch_size: int = 256, train_mode_effect: bool = True) -> None:
        super().__init__()
        self.x, self.y = np.asarray(x), np.asarray(y)
        if len(self.x) != len(self.y):
            raise ValueError(f"TrueLossCallback: x has {len(self.x)} examples but y has {len(self.y)}")
        self.settings = Settings(subsample, seed, full, batch_size, train_mode_effect)
        self.indices = self.settings.indices(len(self.y), self.y if self.y.ndim == 1 else None)
        self.records: list[dict[str, float]] = []
        self.seconds: list[float] = []

    def _loss_fn(self):
        loss = self.model.loss
        if isinstance(loss, (dict, list, tuple)):
            raise ValueError("TrueLossCallback supports a model compiled with one loss (got several outputs' losses)")
        if isinstance(loss, keras.losses.Loss):
            return loss.call  # unreduced: one value per example
        return keras.losses.get(loss)

    def _pass(self, sums: LossSums, name: str, training: bool) -> None:
        loss_fn = self._loss_fn()
        for start in range(0, len(self.indices), self.settings.batch_size):
            idx = self.indices[start:start + self.settings.batch_size]
            xb, yb = self.x[idx], self.y[idx]
            pred = self.model(xb, training=training)
            losses = keras.ops.convert_to_numpy(loss_fn(keras.ops.convert_to_tensor(yb), pred))
            losses = np.asarray(losses, dtype=np.float64).reshape(len(idx), -1).mean(1)
            correct = None
            pred_np = keras.ops.convert_to_numpy(pred)
            if not training and pred_np.ndim == 2 and pred_np.shape[1] > 1 and yb.ndim == 1 and np.issubdtype(yb.dtype, np.integer):
                correct = pred_np.argmax(1) == yb
            sums.add(name, losses, correct)

    def measure(self) -> tuple[dict[str, float], float | None, float]:
        """(true-loss columns, train-mode loss or None, penalty) for the model as it is now."""
        sums = LossSums(("true", "train_mode"))
        with _no_grad():
            self._pass(sums, "true", training=False)
            train_mode = None
            if self.settings.train_mode_effect:
                state = [v.numpy() if hasattr(v, "numpy") else keras.ops.convert_to_numpy(v)
                         for v in self.model.non_trainable_variables]
                try:
                    with _own_rng():
                        self._pass(sums, "train_mode", training=True)
                finally:
                    for v, value in zip(self.model.non_trainable_variables, state):
                        v.assign(value)
                train_mode = sums.mean("train_mode")
            penalty = float(sum(float(keras.ops.convert_to_numpy(w)) for w in self.model.losses))
        rec = sums.record("true", C.TRUE_TRAIN_LOSS, C.TRUE_TRAIN_ACC, with_interval=not self.settings.full)
        return rec, train_mode, penalty

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        t0 = time.perf_counter()
        rec, train_mode, penalty = self.measure()
        logs = logs if logs is not None else {}
        reported = logs.get("loss")
        val = logs.get("val_loss")
        rec[C.PENALTY] = penalty
        rec.update(gap_terms(true=rec.get(C.TRUE_TRAIN_LOSS), train_mode=train_mode,
                             val=float(val) if val is not None else None,
                             reported=float(reported) if reported is not None else None, penalty=penalty))
        logs.update(rec)
        self.records.append(rec)
        self.seconds.append(time.perf_counter() - t0)
