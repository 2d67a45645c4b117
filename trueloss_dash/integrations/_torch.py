"""The measurement passes for frameworks whose models are ``torch.nn.Module`` (Lightning, HF).

Eval mode under no grad for the true loss; the same batches in train mode for the train-mode
effect, with BatchNorm buffers restored afterwards and dropout drawing from a forked, seeded RNG,
so measuring never changes the model or the training's random stream. Each rank measures its
shard of the subsample; one all-reduce gives every rank the values over all shards.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

import numpy as np
import torch

from ..trainer.estimate import LossSums, shard
from ..trainer.measure import preserved_state
from ..trainer.reduce import all_reduce, rank_and_world

# (losses per unit, correct per example or None) for one batch
LossesOf = Callable[[Any], tuple[np.ndarray, "np.ndarray | None"]]


def my_shard(indices: np.ndarray) -> np.ndarray:
    rank, world = rank_and_world()
    return shard(indices, rank, world)


def chunks(indices: np.ndarray, size: int) -> list[np.ndarray]:
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def _fork_rng():
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    return torch.random.fork_rng(devices=devices)


def measure(module: torch.nn.Module, batches: Callable[[], Iterable[Any]], losses_of: LossesOf, *,
            train_mode_effect: bool, seed: int) -> tuple[LossSums, float]:
    """Sums over all ranks for ``true`` (eval mode) and ``train_mode``; returns (sums, seconds)."""
    t0 = time.perf_counter()
    sums = LossSums(("true", "train_mode"))
    with torch.no_grad(), preserved_state(module):
        module.eval()
        for batch in batches():
            losses, correct = losses_of(batch)
            sums.add("true", losses, correct)
        if train_mode_effect:
            with _fork_rng():
                torch.manual_seed(seed)
                module.train()
                for batch in batches():
                    sums.add("train_mode", losses_of(batch)[0])
    sums.values = all_reduce(sums.values)
    return sums, time.perf_counter() - t0


def per_example_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy for class scores with integer targets, else squared error averaged per example."""
    if out.dim() >= 2 and not torch.is_floating_point(y) and out.shape[0] == y.shape[0] and y.dim() == out.dim() - 1:
        return torch.nn.functional.cross_entropy(out, y, reduction="none").reshape(len(y), -1).mean(1)
    diff = (out.reshape(y.shape) if out.numel() == y.numel() else out) - y
    return (diff * diff).reshape(len(y), -1).mean(1)


def correctness(out: torch.Tensor, y: torch.Tensor) -> np.ndarray | None:
    if out.dim() == 2 and out.shape[1] > 1 and not torch.is_floating_point(y) and y.dim() == 1:
        return (out.argmax(1) == y).cpu().numpy()
    return None


def labels_of(dataset: Any) -> Any:
    """Per-example labels for stratifying, when the dataset exposes them cheaply; else None."""
    tensors = getattr(dataset, "tensors", None)  # TensorDataset
    if tensors is not None and len(tensors) >= 2:
        return tensors[-1].cpu().numpy()
    for attr in ("targets", "labels"):
        value = getattr(dataset, attr, None)
        if value is not None and not callable(value):
            return np.asarray(value.cpu() if isinstance(value, torch.Tensor) else value)
    names = getattr(dataset, "column_names", None)  # Hugging Face datasets.Dataset
    if names:
        for name in ("labels", "label"):
            if name in names:
                return dataset[name]
        return None
    try:  # a map-style dataset of dicts or (x, y) pairs: read each label once
        n = len(dataset)
        if n > 100_000:
            return None
        first = dataset[0]
        if isinstance(first, dict):
            key = "labels" if "labels" in first else "label" if "label" in first else None
            return None if key is None else [_scalar(dataset[i][key]) for i in range(n)]
        if isinstance(first, (tuple, list)) and len(first) >= 2:
            return [_scalar(dataset[i][-1]) for i in range(n)]
    except (TypeError, KeyError, IndexError, AttributeError):
        return None
    return None


def _scalar(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else None
    return value
