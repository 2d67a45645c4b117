"""Lightning: ``TrueLossCallback`` logs the true training loss at every validation epoch end.

    from trueloss_dash.integrations.lightning import TrueLossCallback
    trainer = L.Trainer(max_epochs=10, logger=CSVLogger("logs"), callbacks=[TrueLossCallback(subsample=512)])

At each validation epoch end (not during the sanity check) it measures the LightningModule in eval
mode, under no grad, on a fixed stratified subsample of the training set (``dataset=`` or the
trainer's training dataloader's dataset, collated by that dataloader's ``collate_fn``), and logs
through ``pl_module.log`` so every Lightning logger (CSV, TensorBoard, MLflow, ...) carries:

- ``true_train_loss`` with ``true_train_loss_ci_low``/``_ci_high`` (95%; none on a full pass) and
  ``true_train_acc`` for classification;
- ``gap_train_mode`` (train-mode − eval-mode loss on the same subsample: dropout/BatchNorm);
- ``gap_generalization`` (true − val) when the module logs a validation loss.

The penalty and the averaging lag are not measured by default: Lightning does not expose a penalty
term apart from the loss your ``training_step`` returns. Declare ``penalty_free_loss=True`` when
that loss has none (no L1/L2 added): then at the training epoch's end the callback also logs
``gap_penalty`` = 0 and ``gap_averaging_lag`` = reported − train-mode loss, with the reported loss
read from the epoch-level training loss you log (``train_loss`` with ``on_epoch=True``). Give ``dataset=`` with clean transforms when your
training dataset augments: the true loss is measured on what the dataset returns.

The loss is ``loss_fn(module(x), y)`` per example (``reduction="none"``); by default cross-entropy
for class scores with integer targets, else squared error. Batches must be ``(x, y, ...)``.
Under DDP every rank measures its shard of the subsample and the sums are all-reduced, so every
rank logs the value over the whole subsample.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

try:
    import lightning.pytorch as pl
except ImportError:  # the older package name
    import pytorch_lightning as pl

from .. import columns as C
from . import _torch
from ._common import Settings, gap_terms


class TrueLossCallback(pl.Callback):
    """Logs ``true_train_loss`` (+ 95% interval), ``true_train_acc``, ``gap_train_mode`` and
    ``gap_generalization`` at each validation epoch end. See the module docstring."""

    def __init__(
        self,
        dataset: Any = None,
        *,
        subsample: int = 512,
        seed: int = 0,
        full: bool = False,
        batch_size: int = 256,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        collate_fn: Callable | None = None,
        train_mode_effect: bool = True,
        penalty_free_loss: bool = False,
    ) -> None:
        super().__init__()
        self.settings = Settings(subsample, seed, full, batch_size, train_mode_effect)
        self.dataset = dataset
        self.loss_fn = loss_fn or _torch.per_example_loss
        self.collate_fn = collate_fn
        self.penalty_free_loss = penalty_free_loss
        self._train_mode: float | None = None  # this epoch's train-mode loss, for the lag
        self.records: list[dict[str, float]] = []  # what was logged, per validation epoch
        self.seconds: list[float] = []  # time spent measuring, per validation epoch
        self._indices: np.ndarray | None = None

    def _source(self, trainer) -> tuple[Any, Callable]:
        if self.dataset is not None:
            return self.dataset, self.collate_fn or torch.utils.data.default_collate
        loader = trainer.train_dataloader
        if loader is None or not hasattr(loader, "dataset"):
            raise RuntimeError("TrueLossCallback: the trainer has no single training DataLoader; pass dataset=")
        return loader.dataset, self.collate_fn or loader.collate_fn or torch.utils.data.default_collate

    def _losses_of(self, pl_module) -> _torch.LossesOf:
        def losses_of(batch):
            x, y = batch[0], batch[1]
            x, y = x.to(pl_module.device), y.to(pl_module.device)
            out = pl_module(x)
            return self.loss_fn(out, y).double().reshape(len(y), -1).mean(1).cpu().numpy(), _torch.correctness(out, y)
        return losses_of

    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking:
            return
        dataset, collate = self._source(trainer)
        if self._indices is None:
            self._indices = _torch.my_shard(self.settings.indices(len(dataset), _torch.labels_of(dataset)))

        def batches():
            for chunk in _torch.chunks(self._indices, self.settings.batch_size):
                yield collate([dataset[int(i)] for i in chunk])

        sums, seconds = _torch.measure(pl_module, batches, self._losses_of(pl_module),
                                       train_mode_effect=self.settings.train_mode_effect,
                                       seed=self.settings.seed + trainer.current_epoch)
        rec = sums.record("true", C.TRUE_TRAIN_LOSS, C.TRUE_TRAIN_ACC, with_interval=not self.settings.full)
        val = _logged(trainer, C.VAL_LOSS)
        rec.update(gap_terms(true=rec.get(C.TRUE_TRAIN_LOSS), train_mode=sums.mean("train_mode"), val=val))
        for key, value in rec.items():
            # already reduced over ranks: every rank logs the same value, no second sync needed
            pl_module.log(key, value, on_step=False, on_epoch=True, sync_dist=False, batch_size=1)
        self.records.append(rec)
        self.seconds.append(seconds)
        self._train_mode = sums.mean("train_mode")

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        """With ``penalty_free_loss``: the lag, once the epoch's reported mean exists (validation ran
        at this epoch's end on the same weights, so both refer to the same model)."""
        train_mode, self._train_mode = self._train_mode, None
        if not self.penalty_free_loss or train_mode is None or not self.records:
            return
        reported = _logged(trainer, C.TRAIN_LOSS)
        if reported is None:
            return
        terms = gap_terms(true=self.records[-1].get(C.TRUE_TRAIN_LOSS), train_mode=train_mode,
                          reported=reported, penalty=0.0)
        for key in (C.GAP_PENALTY, C.GAP_AVERAGING_LAG):
            if key in terms:
                pl_module.log(key, terms[key], on_step=False, on_epoch=True, sync_dist=False, batch_size=1)
                self.records[-1][key] = terms[key]


def _logged(trainer, canonical: str) -> float | None:
    """The epoch value the module logged for a canonical series, found by the column aliases."""
    for key, value in trainer.callback_metrics.items():
        if C.canonical_series(key) == canonical and not C.is_flagged_alias(key):
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None
