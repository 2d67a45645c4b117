"""TrueLossTracker: the three curves for your own PyTorch loop (what ``trueloss`` does for Keras).

    tracker = TrueLossTracker(model, train_subset_loader, val_loader, nn.CrossEntropyLoss(reduction="none"),
                              path="run.csv", context={"dropout": 0.3})
    for epoch in range(epochs):
        for x, y in train_loader:
            loss = criterion(model(x), y) + penalty
            ...
            tracker.log_batch(loss, batch_size=len(x))     # the reported loss, as your loop sees it
        tracker.end_epoch(lr=optimizer.param_groups[0]["lr"])  # true train loss + val loss, then write

``end_epoch`` measures the true training loss (eval mode, no grad, clean inputs, no penalty) on the
train-subset loader and the validation loss, restoring the model's mode and buffers afterwards.
With a loss function that returns per-example losses (``reduction="none"``) it also writes a 95%
CI. Under ``torch.distributed`` every rank measures its own shard; the sums are all-reduced, so
the values are those of the union of the shards, and rank 0 writes the log.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import torch
from torch import nn

from .. import columns as C
from ..run import RunContext
from .estimate import LossSums
from .logfile import write_log
from .measure import preserved_state
from .reduce import all_reduce, is_rank_zero


class TrueLossTracker:
    """Records reported, true and validation loss per epoch and writes a log the dashboard reads."""

    def __init__(
        self,
        model: nn.Module,
        train_loader: Iterable,
        val_loader: Iterable | None,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        *,
        path: str | Path | None = None,
        fmt: str | None = None,
        context: RunContext | Mapping[str, Any] | None = None,
        name: str | None = None,
        device: torch.device | str | None = None,
        max_batches: int | None = None,
    ) -> None:
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.loss_fn = loss_fn
        self.path = Path(path) if path is not None else None
        self.fmt = fmt
        self.context = context if isinstance(context, RunContext) else RunContext.from_mapping(context or {}, strict=False)
        self.name = name or (self.path.stem if self.path else "run")
        self.device = torch.device(device) if device is not None else None
        self.max_batches = max_batches
        self.records: list[dict[str, Any]] = []
        self.step = 0
        self.epoch = 0
        self._started = time.time()
        self._sum = 0.0
        self._n = 0.0

    # -- during the epoch ----------------------------------------------------------------------
    def log_batch(self, loss: torch.Tensor | float, batch_size: int | None = None) -> None:
        """Add one batch's reported loss (the mean over the batch, as your loop computed it)."""
        value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        weight = float(batch_size) if batch_size is not None else 1.0
        self._sum += value * weight
        self._n += weight
        self.step += 1

    # -- end of epoch --------------------------------------------------------------------------
    def _device(self) -> torch.device:
        if self.device is not None:
            return self.device
        try:
            return next(self.model.parameters()).device
        except StopIteration:
            return torch.device("cpu")

    def _measure(self, loader: Iterable | None, sums: LossSums, name: str) -> None:
        """Add the per-example losses (and correctness) of ``loader`` to ``sums[name]``."""
        if loader is None:
            return
        dev = self._device()
        for i, batch in enumerate(loader):
            if self.max_batches is not None and i >= self.max_batches:
                break
            x, y = batch[0], batch[1]
            x, y = x.to(dev), y.to(dev)
            out = self.model(x)
            losses = self.loss_fn(out, y).double().reshape(-1)
            n = len(y)
            correct = None
            if out.dim() == 2 and out.shape[1] > 1 and not torch.is_floating_point(y):
                correct = (out.argmax(1) == y).cpu().numpy()
            if losses.numel() == 1 and n > 1:  # a batch-mean loss: no per-example spread available
                sums.add_mean(name, float(losses), n)
                if correct is not None:
                    sums.add(name, [], correct)
            else:
                sums.add(name, losses.cpu().numpy(), correct)

    def end_epoch(self, **extra: Any) -> dict[str, Any]:
        """Measure, all-reduce (under DDP), append the epoch record, write the log (rank 0); return the record."""
        self.epoch += 1
        sums = LossSums(("reported", "true", "val"))
        sums.add_mean("reported", self._sum / self._n if self._n else 0.0, self._n)
        with torch.no_grad(), preserved_state(self.model):
            self.model.eval()
            self._measure(self.train_loader, sums, "true")
            self._measure(self.val_loader, sums, "val")
        sums.values = all_reduce(sums.values)
        step_total = int(all_reduce(np.array([float(self.step)]), op="max")[0])
        rec: dict[str, Any] = {C.EPOCH: self.epoch, C.STEP: step_total, C.WALL_TIME: time.time() - self._started}
        rec.update(sums.record("reported", C.TRAIN_LOSS, with_interval=False))
        rec.update(sums.record("true", C.TRUE_TRAIN_LOSS, C.TRUE_TRAIN_ACC))
        rec.update(sums.record("val", C.VAL_LOSS, C.VAL_ACC, with_interval=False))
        if C.TRAIN_LOSS in rec and C.TRUE_TRAIN_LOSS in rec and C.VAL_LOSS in rec:
            # Without the trainer's extra passes only the generalization term is separable; the
            # rest (reported - true) is penalty, dropout/BN, augmentation and averaging lag together.
            rec[C.GAP_GENERALIZATION] = rec[C.TRUE_TRAIN_LOSS] - rec[C.VAL_LOSS]
        for key, value in extra.items():
            rec[key] = float(value) if isinstance(value, torch.Tensor) else value
        self.records.append(rec)
        self._sum, self._n = 0.0, 0.0
        if self.path is not None and is_rank_zero():
            self.write()
        return rec

    def write(self, path: str | Path | None = None) -> Path | None:
        """Write every record so far (the same writer the trainer uses); returns the path."""
        target = Path(path) if path is not None else self.path
        if target is None:
            return None
        meta = {"generator": "trueloss-dash TrueLossTracker", "name": self.name}
        return write_log(target, self.records, context=self.context, meta=meta, fmt=self.fmt)
