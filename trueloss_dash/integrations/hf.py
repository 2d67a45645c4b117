"""Hugging Face ``Trainer``: ``TrueLossCallback`` adds the true training loss at every evaluation.

    from trueloss_dash.integrations.hf import TrueLossCallback
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=val, data_collator=collate)
    trainer.add_callback(TrueLossCallback(trainer, subsample=512))

On ``on_evaluate`` it measures the model in eval mode, under no grad, on a fixed subsample of
``trainer.train_dataset`` (stratified when the examples carry a scalar ``labels``/``label``),
batched by ``trainer.data_collator`` and scored by ``trainer.compute_loss`` - the trainer's own
collator and loss. The values go through ``trainer.log``, so they land in ``state.log_history``
(hence ``trainer_state.json``) and every reporting callback (TensorBoard, W&B, MLflow) sees them:

- ``true_train_loss`` with ``true_train_loss_ci_low``/``_ci_high`` (95%; none on a full pass);
- ``gap_train_mode`` (train-mode − eval-mode loss on the same subsample: dropout);
- ``gap_generalization`` (true − ``eval_loss``);
- ``gap_penalty`` = 0 and ``gap_averaging_lag`` (reported ``loss`` − train-mode loss) when the
  Trainer trains on the model's own loss (stock ``compute_loss``: weight decay is decoupled, not in
  the loss) and a ``loss`` was logged at the same step (``logging_strategy`` = ``eval_strategy``).

Per-example losses come from the head's logits (classification: cross-entropy, regression:
squared error) in batches of ``batch_size``, used only after checking on the first batch that
their mean equals ``trainer.compute_loss``; otherwise (token-level heads, a custom loss) the
interval is built over units of ``unit_size`` examples, each unit's trainer loss one draw. With a
custom loss the penalty and the lag stay unmeasured. Under DDP each rank measures its shard and
the sums are all-reduced.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from transformers import Trainer, TrainerCallback

from .. import columns as C
from . import _torch
from ._common import Settings, gap_terms


class TrueLossCallback(TrainerCallback):
    """Logs ``true_train_loss`` (+ 95% interval), ``gap_train_mode`` and ``gap_generalization``
    after every evaluation of ``trainer``. See the module docstring."""

    def __init__(self, trainer: Any, *, subsample: int = 512, seed: int = 0, full: bool = False,
                 batch_size: int = 128, unit_size: int = 8, train_mode_effect: bool = True) -> None:
        self.trainer = trainer
        self.settings = Settings(subsample, seed, full, batch_size, train_mode_effect)
        self.unit_size = unit_size
        self.records: list[dict[str, float]] = []
        self.seconds: list[float] = []
        self._indices: np.ndarray | None = None
        self._per_example: bool | None = None  # decided on the first batch

    def _losses_of(self, model):
        trainer = self.trainer

        def loss_of(features, **kw):
            return trainer.compute_loss(model, trainer._prepare_inputs(trainer.data_collator(features)), **kw)

        def losses_of(features):
            if self._per_example is not False:
                inputs = trainer._prepare_inputs(trainer.data_collator(features))
                labels = inputs.get("labels")
                loss, outputs = trainer.compute_loss(model, inputs, return_outputs=True)
                per, correct = _per_example(outputs, labels)
                if self._per_example is None:  # the trainer's loss must be the mean of ours, or we do not use ours
                    self._per_example = per is not None and bool(np.isclose(per.mean(), float(loss), rtol=1e-4, atol=1e-6))
                if self._per_example:
                    return per, correct
            # the trainer's loss per unit of ``unit_size`` examples: each unit's mean is one draw
            units = [float(loss_of(features[i:i + self.unit_size]).detach()) for i in range(0, len(features), self.unit_size)]
            return np.array(units), None
        return losses_of

    def on_evaluate(self, args, state, control, model=None, metrics=None, **kwargs):
        dataset = self.trainer.train_dataset
        if dataset is None:
            raise RuntimeError("TrueLossCallback: the trainer has no train_dataset to measure")
        model = model if model is not None else self.trainer.model
        if self._indices is None:
            self._indices = _torch.my_shard(self.settings.indices(len(dataset), _torch.labels_of(dataset)))

        def batches():
            for chunk in _torch.chunks(self._indices, self.settings.batch_size):
                yield [dataset[int(i)] for i in chunk]

        sums, seconds = _torch.measure(model, batches, self._losses_of(model),
                                       train_mode_effect=self.settings.train_mode_effect,
                                       seed=self.settings.seed + state.global_step)
        rec = sums.record("true", C.TRUE_TRAIN_LOSS, C.TRUE_TRAIN_ACC, with_interval=not self.settings.full)
        val = (metrics or {}).get("eval_loss")
        penalty = 0.0 if _loss_has_no_penalty(self.trainer) else None
        rec.update(gap_terms(true=rec.get(C.TRUE_TRAIN_LOSS), train_mode=sums.mean("train_mode"),
                             val=float(val) if val is not None else None,
                             reported=_reported_at(state), penalty=penalty))
        self.records.append(rec)
        self.seconds.append(seconds)
        self._busy = True
        try:
            self.trainer.log(dict(rec))  # log_history + on_log of every reporting callback
        finally:
            return control



def _per_example(outputs: Any, labels: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-example losses (and correctness) from a classification or regression head's logits,
    or (None, None) for anything else (token-level heads, custom outputs)."""
    logits = outputs.get("logits") if hasattr(outputs, "get") else None
    if logits is None or labels is None or not isinstance(labels, torch.Tensor) or len(labels) != len(logits):
        return None, None
    logits = logits.detach()
    if logits.dim() == 2 and logits.shape[1] > 1 and labels.dim() == 1 and not torch.is_floating_point(labels):
        per = torch.nn.functional.cross_entropy(logits.float(), labels, reduction="none")
        return per.double().cpu().numpy(), (logits.argmax(1) == labels).cpu().numpy()
    if logits.dim() == 2 and logits.shape[1] == 1 and torch.is_floating_point(labels) and labels.numel() == len(logits):
        per = (logits.float().reshape(-1) - labels.float().reshape(-1)) ** 2
        return per.double().cpu().numpy(), None
    return None, None


def _loss_has_no_penalty(trainer) -> bool:
    """The stock Trainer trains on the model's own loss: weight decay is decoupled (applied by the
    optimizer, not added to the loss), so the penalty term is exactly zero. A custom
    ``compute_loss``/``compute_loss_func`` may add one we cannot see: then it stays unmeasured."""
    return type(trainer).compute_loss is Trainer.compute_loss and getattr(trainer, "compute_loss_func", None) is None


def _reported_at(state) -> float | None:
    """The reported ``loss`` logged at this very step (a mean over the logging window that ends
    with these weights: ``logging_strategy`` and ``eval_strategy`` aligned), else None."""
    for entry in reversed(state.log_history):
        if entry.get("step") != state.global_step:
            return None
        if "loss" in entry:
            return float(entry["loss"])
    return None
