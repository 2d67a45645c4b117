"""Combining measurements across data-parallel ranks (``torch.distributed``; no-ops in one process).

Every rank measures its own shard of the subsample into a :class:`~.estimate.LossSums` vector; one
SUM all-reduce of that vector gives every rank the values over the union of the shards. Used by
``TrueLossTracker`` and the Lightning and Hugging Face callbacks (both run on torch.distributed).
"""

from __future__ import annotations

import numpy as np
import torch


def process_group():
    """``torch.distributed`` when a process group is initialised, else None."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed
    return None


def rank_and_world() -> tuple[int, int]:
    dist = process_group()
    return (dist.get_rank(), dist.get_world_size()) if dist is not None else (0, 1)


def is_rank_zero() -> bool:
    return rank_and_world()[0] == 0


def all_reduce(values: np.ndarray, op: str = "sum") -> np.ndarray:
    """Element-wise SUM (or MAX) of ``values`` over all ranks; NaN on any rank stays NaN."""
    dist = process_group()
    if dist is None:
        return values
    tensor = torch.as_tensor(np.ascontiguousarray(values, dtype=np.float64))
    if dist.get_backend() == "nccl":  # nccl reduces device tensors only
        tensor = tensor.cuda()
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM if op == "sum" else dist.ReduceOp.MAX)
    return tensor.cpu().numpy()
