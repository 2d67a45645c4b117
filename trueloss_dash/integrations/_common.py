"""Framework-free settings shared by the three callbacks."""

from __future__ import annotations

from dataclasses import dataclass

from .. import columns as C
from ..trainer.estimate import gap_terms, subsample_indices

__all__ = ["Settings", "gap_terms", "subsample_indices", "TRUE_KEYS"]

TRUE_KEYS = (C.TRUE_TRAIN_LOSS, C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX, C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX, C.TRUE_TRAIN_ACC)


@dataclass(frozen=True)
class Settings:
    """What to measure: ``subsample`` examples drawn once (stratified by label, seeded), or every
    training example with ``full=True`` (no interval: nothing is estimated); ``batch_size`` for the
    measurement passes (large: forward only); ``train_mode_effect`` adds the same pass in train mode
    (dropout on, BatchNorm on batch statistics) to measure ``gap_train_mode``."""

    subsample: int = 512
    seed: int = 0
    full: bool = False
    batch_size: int = 256
    train_mode_effect: bool = True

    def __post_init__(self) -> None:
        if not self.full and (not isinstance(self.subsample, int) or self.subsample < 2):
            raise ValueError(f"subsample must be an integer >= 2 (got {self.subsample!r}); use full=True for every example")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer (got {self.batch_size!r})")

    def indices(self, n: int, labels=None):
        return subsample_indices(n, None if self.full else self.subsample, self.seed, labels)
