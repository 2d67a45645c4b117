"""End-of-epoch measurement: true training loss with its confidence interval, validation loss, and
the exact decomposition of ``reported − val`` (see ``docs/trainer.md``).

On the fixed training subsample S, with the weights at the end of the epoch::

    reported − val = penalty            (reported − reported_without_penalty)
                   + averaging lag      (reported_without_penalty − A)
                   + train-mode effect  (A − B)
                   + augmentation       (B − T)
                   + generalization     (T − val)

    A = train-mode loss on augmented S   (dropout on, BatchNorm on batch statistics)
    B = eval-mode loss on the same augmented S
    T = eval-mode loss on clean S        (the true training loss)

The sum telescopes, so the identity holds to floating-point rounding. Measurement never changes
the model: everything runs under ``torch.no_grad()``, buffers (BatchNorm running statistics) are
snapshotted and restored around the train-mode pass, the train/eval flag is restored, and every
random draw comes from the measurement generator, never the training one.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch import nn

from .models import RngSlot, has_batchnorm, has_train_mode_effect

from .estimate import Z95


@contextlib.contextmanager
def preserved_state(model: nn.Module) -> Iterator[None]:
    """Restore buffers (BatchNorm running stats, counters) and train/eval flags on exit."""
    buffers = {name: buf.detach().clone() for name, buf in model.named_buffers()}
    modes = {name: m.training for name, m in model.named_modules()}
    try:
        yield
    finally:
        with torch.no_grad():
            for name, buf in model.named_buffers():
                buf.copy_(buffers[name])
        for name, m in model.named_modules():
            m.training = modes[name]


@contextlib.contextmanager
def using_generator(slot: RngSlot, generator: torch.Generator) -> Iterator[None]:
    saved = slot.generator
    slot.generator = generator
    try:
        yield
    finally:
        slot.generator = saved


def batch_slices(n: int, batch_size: int) -> list[slice]:
    """Consecutive slices of ``batch_size``; a last batch of one example joins the previous one
    (BatchNorm cannot compute batch statistics from a single example)."""
    bounds = list(range(0, n, batch_size)) + [n]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < 2:
        del bounds[-2]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


@dataclass
class LossStats:
    mean: float
    ci_low: float
    ci_high: float
    acc: float | None
    n: int


def per_example(model: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-example losses (float64) and correctness (None for regression), in the model's current mode."""
    losses, correct = [], []
    for batch in batch_slices(len(x), batch_size):
        out = model(x[batch])
        yb = y[batch]
        losses.append(loss_fn(out, yb).double())
        if out.dim() == 2 and out.shape[1] > 1:
            correct.append((out.argmax(1) == yb).double())
    if not losses:  # nothing to measure (measurement switched off)
        return torch.zeros(0, dtype=torch.float64), None
    return torch.cat(losses), (torch.cat(correct) if correct else None)


def summarise(losses: torch.Tensor, correct: torch.Tensor | None, *, with_ci: bool) -> LossStats:
    n = len(losses)
    mean = float(losses.mean())
    if with_ci and n > 1:
        half = Z95 * float(losses.std(unbiased=True)) / math.sqrt(n)
    else:
        half = 0.0
    acc = None if correct is None else float(correct.mean())
    return LossStats(mean, mean - half, mean + half, acc, n)


@dataclass
class EpochMeasurement:
    true_train: LossStats
    val: LossStats
    trainmode_aug: float  # A
    evalmode_aug: float  # B
    seconds_true: float  # time spent on the true-loss pass
    seconds_decomposition: float  # time spent on the extra passes of the decomposition (A, B)
    seconds_val: float


def measure(
    model: nn.Module,
    loss_fn: Callable,
    x_sub: torch.Tensor,
    y_sub: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    *,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None,
    train_batch_size: int,
    slot: RngSlot,
    generator: torch.Generator,
    with_ci: bool,
    decompose: bool = True,
    eval_batch_size: int = 4096,
) -> EpochMeasurement:
    """All end-of-epoch measurements; the model (weights, buffers, mode) is unchanged afterwards."""
    import time

    t0 = time.perf_counter()
    with torch.no_grad(), preserved_state(model), using_generator(slot, generator):
        model.eval()
        t_losses, t_correct = per_example(model, loss_fn, x_sub, y_sub, eval_batch_size)
        true_train = summarise(t_losses, t_correct, with_ci=with_ci)
        t_true = time.perf_counter()
        if decompose and augment is not None:
            x_aug = augment(x_sub, generator)
            evalmode_aug = float(per_example(model, loss_fn, x_aug, y_sub, eval_batch_size)[0].mean())
        else:
            x_aug, evalmode_aug = x_sub, true_train.mean
        if decompose and has_train_mode_effect(model):
            # With BatchNorm: batches of the training size, so batch statistics are as noisy as in training.
            with preserved_state(model):  # restore BatchNorm statistics before validation runs
                model.train()
                bs = train_batch_size if has_batchnorm(model) else eval_batch_size
                trainmode_aug = float(per_example(model, loss_fn, x_aug, y_sub, bs)[0].mean())
        else:
            trainmode_aug = evalmode_aug
        t1 = time.perf_counter()
        v_losses, v_correct = per_example(model, loss_fn, x_val, y_val, eval_batch_size)
        val = summarise(v_losses, v_correct, with_ci=False)
    t2 = time.perf_counter()
    return EpochMeasurement(true_train, val, trainmode_aug, evalmode_aug, t_true - t0, t1 - t_true, t2 - t1)
