"""The training loop: one call trains a config and returns every epoch's measurements.

Randomness: the run owns two generators seeded from ``config.seed`` - one for training
(initialisation, shuffling, augmentation, dropout) and one for measurement. Nothing touches the
process-global RNG, so runs are reproducible, concurrent jobs do not perturb each other, and
turning measurement off leaves the trained weights bit-identical.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from .. import columns as C
from .config import TrainConfig
from .data import TaskData, augment, build_data
from .measure import batch_slices, measure
from .models import RngSlot, build_model, penalised_weights

EXPLODED = 1e6  # a batch loss above this (or non-finite) ends the run as diverged

_threads_lock = threading.Lock()
_threads_configured = False


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count once per process: ``threads`` when given (a job's own
    worker process asks for 1), else half the usable cores (at least 1).

    The count is process-global in torch, so it cannot be per job. Half the cores lets two
    concurrent jobs in one process share the machine without oversubscribing it; the demo models
    are so small that one thread per job is close to the fastest anyway.
    """
    global _threads_configured
    with _threads_lock:
        if threads is not None:
            torch.set_num_threads(max(1, int(threads)))
            _threads_configured = True
        elif not _threads_configured:
            try:
                cores = len(os.sched_getaffinity(0))
            except AttributeError:  # pragma: no cover - macOS/Windows
                cores = os.cpu_count() or 1
            torch.set_num_threads(max(1, cores // 2))
            _threads_configured = True
    return torch.get_num_threads()


@dataclass
class TrainResult:
    config: TrainConfig
    records: list[dict[str, Any]]
    step_records: list[dict[str, Any]]
    status: str  # finished | cancelled | diverged
    n_train: int
    n_val: int
    state_dict: dict[str, torch.Tensor] | None = None
    timing: dict[str, float] = field(default_factory=dict)
    message: str | None = None

    def to_run(self):
        from .convert import records_to_run

        return records_to_run(self.records, self.config, step_records=self.step_records, status=self.status,
                              n_train=self.n_train, n_val=self.n_val)


def lr_for_epoch(config: TrainConfig, epoch: int, plateau_scale: float) -> float:
    """LR during 1-based ``epoch`` (ReduceLROnPlateau's running scale is passed in)."""
    e0 = epoch - 1
    lr = config.lr
    if config.schedule == "step":
        lr *= config.step_gamma ** (e0 // config.step_every)
    elif config.schedule == "cosine":
        lr *= 0.5 * (1 + math.cos(math.pi * e0 / config.epochs))
    elif config.schedule == "warmup":
        lr *= min(1.0, epoch / max(1, config.warmup_epochs))
    elif config.schedule == "plateau":
        lr *= plateau_scale
    if config.lr_spike_epoch is not None and epoch == config.lr_spike_epoch:
        lr *= config.lr_spike_factor
    return lr


def _optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)


def _loss_fn(data: TaskData) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Per-example loss (reduction='none'): cross-entropy, or squared error for regression."""
    if data.is_regression:
        return lambda out, y: (out.squeeze(-1) - y) ** 2
    ce = nn.CrossEntropyLoss(reduction="none")
    return lambda out, y: ce(out, y)


def _penalty(model: nn.Module, config: TrainConfig) -> torch.Tensor:
    total = torch.zeros(())
    if config.l1 > 0 or config.l2 > 0:
        for w in penalised_weights(model):
            if config.l1 > 0:
                total = total + config.l1 * w.abs().sum()
            if config.l2 > 0:
                total = total + config.l2 * (w * w).sum()
    return total


class _Plateau:
    """ReduceLROnPlateau on the validation loss (patience 2 epochs, factor ``step_gamma``)."""

    def __init__(self, factor: float, patience: int = 2) -> None:
        self.factor, self.patience = factor, patience
        self.best, self.bad, self.scale = math.inf, 0, 1.0

    def update(self, val_loss: float) -> None:
        if val_loss < self.best * (1 - 1e-4):
            self.best, self.bad = val_loss, 0
        else:
            self.bad += 1
            if self.bad > self.patience:
                self.scale *= self.factor
                self.bad = 0


def train(
    config: TrainConfig,
    *,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_step: Callable[[dict[str, Any]], None] | None = None,
    on_start: Callable[[dict[str, Any]], None] | None = None,
    measure_true_loss: bool = True,
) -> TrainResult:
    """Train ``config`` to the end (blocking) and return its epoch records.

    ``should_stop`` is checked before every batch (status ``cancelled``). A non-finite or exploded
    batch loss ends the run with status ``diverged``; the finished epochs are kept and the partial
    epoch is recorded with the non-finite values it reached. ``measure_true_loss=False`` skips the
    true-loss and decomposition passes (validation still runs): used to prove measurement does not
    change training. ``on_start`` receives ``{"n_train", "n_val", "steps_per_epoch"}`` once the
    data is built.
    """
    configure_threads()
    started = time.perf_counter()
    data = build_data(config)
    train_gen = torch.Generator().manual_seed(config.seed)
    meas_gen = torch.Generator().manual_seed(config.seed + 1_000_003)
    slot = RngSlot(train_gen)
    n_inputs = int(data.x_train[0].numel())
    n_outputs = data.n_classes or 1
    model = build_model(config, n_inputs, n_outputs, slot, train_gen)
    opt = _optimizer(config, model.parameters())
    loss_fn = _loss_fn(data)
    plateau = _Plateau(config.step_gamma)
    aug = (lambda x, g: augment(x, config, data.image_shape, g)) if config.has_augmentation else None
    x_sub, y_sub = data.x_train[data.subsample_index], data.y_train[data.subsample_index]
    subsampled = len(data.subsample_index) < data.n_train

    records: list[dict[str, Any]] = []
    step_records: list[dict[str, Any]] = []
    status, message = "finished", None
    step = 0
    t_train = t_true = t_decomp = t_val = 0.0
    batches = batch_slices(data.n_train, config.batch_size)
    steps_per_epoch = len(batches)
    if on_start is not None:
        on_start({"n_train": data.n_train, "n_val": data.n_val, "steps_per_epoch": steps_per_epoch})
    for epoch in range(1, config.epochs + 1):
        lr = lr_for_epoch(config, epoch, plateau.scale)
        for group in opt.param_groups:
            group["lr"] = lr
        model.train()
        slot.generator = train_gen
        order = torch.randperm(data.n_train, generator=train_gen) if config.shuffle else torch.arange(data.n_train)
        sum_loss = sum_data = sum_pen = sum_correct = sum_grad = 0.0
        seen = 0
        t0 = time.perf_counter()
        for i, batch in enumerate(batches):
            if should_stop is not None and should_stop():
                status, message = "cancelled", f"cancelled during epoch {epoch}"
                break
            idx = order[batch]
            xb, yb = data.x_train[idx], data.y_train[idx]
            if aug is not None:
                xb = aug(xb, train_gen)
            out = model(xb)
            data_loss = loss_fn(out, yb).mean()
            penalty = _penalty(model, config)
            loss = data_loss + penalty
            loss_value = float(loss.detach())
            n = len(idx)
            if not math.isfinite(loss_value) or abs(loss_value) > EXPLODED:
                status = "diverged"
                message = f"training loss reached {loss_value:g} at epoch {epoch}, step {step + 1}"
                sum_loss += loss_value * n
                sum_data += float(data_loss.detach()) * n
                sum_pen += float(penalty.detach()) * n
                seen += n
                step += 1
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            grad_sq = sum(float((p.grad * p.grad).sum()) for p in model.parameters() if p.grad is not None)
            opt.step()
            step += 1
            seen += n
            sum_loss += loss_value * n
            sum_data += float(data_loss.detach()) * n
            sum_pen += float(penalty.detach()) * n
            sum_grad += math.sqrt(grad_sq) * n
            if out.dim() == 2 and out.shape[1] > 1:
                sum_correct += float((out.argmax(1) == yb).sum())
            if config.per_step or on_step is not None:
                srec = {C.STEP: step, C.EPOCH: epoch - 1 + (i + 1) / steps_per_epoch,
                        C.WALL_TIME: time.perf_counter() - started, C.TRAIN_LOSS: loss_value, C.LR: lr}
                if config.per_step:
                    step_records.append(srec)
                if on_step is not None:
                    on_step(srec)
        t_train += time.perf_counter() - t0
        if status == "cancelled" or seen == 0:
            break

        if measure_true_loss:
            m = measure(model, loss_fn, x_sub, y_sub, data.x_val, data.y_val, augment=aug,
                        train_batch_size=config.batch_size, slot=slot, generator=meas_gen, with_ci=subsampled)
        else:
            m = measure(model, loss_fn, x_sub[:0], y_sub[:0], data.x_val, data.y_val, augment=None,
                        train_batch_size=config.batch_size, slot=slot, generator=meas_gen, with_ci=False,
                        decompose=False)
        t_true += m.seconds_true
        t_decomp += m.seconds_decomposition
        t_val += m.seconds_val
        reported, reported_np = sum_loss / seen, sum_data / seen
        rec: dict[str, Any] = {
            C.EPOCH: epoch,
            C.STEP: step,
            C.WALL_TIME: time.perf_counter() - started,
            C.TRAIN_LOSS: reported,
            C.TRAIN_LOSS_NO_PENALTY: reported_np,
            C.PENALTY: reported - reported_np,
            C.VAL_LOSS: m.val.mean,
            C.LR: lr,
            C.GRAD_NORM: sum_grad / seen if status != "diverged" else None,  # no gradient step was taken
        }
        if not data.is_regression:
            rec[C.TRAIN_ACC] = sum_correct / seen
            rec[C.VAL_ACC] = m.val.acc
        if measure_true_loss:
            rec[C.TRUE_TRAIN_LOSS] = m.true_train.mean
            if subsampled:
                rec[C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX] = m.true_train.ci_low
                rec[C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX] = m.true_train.ci_high
            if not data.is_regression:
                rec[C.TRUE_TRAIN_ACC] = m.true_train.acc
            rec[C.GAP_PENALTY] = reported - reported_np
            rec[C.GAP_AVERAGING_LAG] = reported_np - m.trainmode_aug
            rec[C.GAP_TRAIN_MODE] = m.trainmode_aug - m.evalmode_aug
            rec[C.GAP_AUGMENTATION] = m.evalmode_aug - m.true_train.mean
            rec[C.GAP_GENERALIZATION] = m.true_train.mean - m.val.mean
        records.append(rec)
        if on_epoch is not None:
            on_epoch(rec)
        if status != "finished":
            break
        if config.schedule == "plateau":
            plateau.update(m.val.mean)

    return TrainResult(
        config=config, records=records, step_records=step_records, status=status,
        n_train=data.n_train, n_val=data.n_val,
        state_dict={k: v.detach().clone() for k, v in model.state_dict().items()},
        timing={"train_s": t_train, "true_loss_s": t_true, "decomposition_s": t_decomp, "val_s": t_val, "total_s": time.perf_counter() - started},
        message=message,
    )
