"""The estimate behind every true-loss measurement, framework-free (numpy only).

One copy for everything that measures the true training loss: the live trainer's data
(stratified subsample), :class:`~trueloss_dash.trainer.TrueLossTracker` and the Lightning, Hugging
Face and Keras callbacks (``trueloss_dash.integrations``). Each of those computes per-example (or
per-batch) losses in its own framework and hands numpy arrays to :class:`LossSums`; the sums are
laid out as one float64 vector so that under data parallelism one all-reduce of that vector gives
the values over the union of the ranks' shards (see ``reduce.py``).

The 95% interval is mean ± 1.96·s/√n over the measured units. Drawn without replacement from a
finite training set, it is conservative (no finite-population correction).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np

from .. import columns as C

Z95 = 1.959963984540054

# Slots of one series inside the vector: loss sum, squared sum, count, correct, accuracy count.
_SUM, _SQ, _N, _OK, _ACCN = range(5)
WIDTH = 5


def stratified_split(strata: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (picked, rest): ``fraction`` of every stratum, at least one per stratum when possible."""
    picked, rest = [], []
    for value in np.unique(strata):
        idx = np.flatnonzero(strata == value)
        idx = idx[rng.permutation(len(idx))]
        k = int(round(fraction * len(idx)))
        k = min(max(k, 1 if len(idx) > 1 else 0), len(idx))
        picked.append(idx[:k])
        rest.append(idx[k:])
    return np.sort(np.concatenate(picked)), np.sort(np.concatenate(rest))


def regression_strata(y: np.ndarray, bins: int = 10) -> np.ndarray:
    """Quantile bins of a continuous target, so a subsample covers its whole range."""
    edges = np.quantile(y, np.linspace(0, 1, bins + 1)[1:-1])
    return np.searchsorted(edges, y)


def strata_of(labels: Sequence[Any] | np.ndarray | None) -> np.ndarray | None:
    """Strata for per-example labels: class labels as they are, continuous targets binned; None when
    the labels are not one scalar per example (token sequences, images) - then the draw is uniform."""
    if labels is None:
        return None
    try:
        arr = np.asarray(labels)
    except (ValueError, TypeError):  # ragged sequences
        return None
    if arr.ndim != 1 or arr.dtype == object or len(arr) == 0:
        return None
    if np.issubdtype(arr.dtype, np.floating):
        if np.all(arr == np.round(arr)) and len(np.unique(arr)) <= 100:
            return arr.astype(np.int64)  # class ids stored as floats
        return regression_strata(arr)
    return arr


def subsample_indices(n: int, size: int | None, seed: int = 0, labels: Sequence[Any] | np.ndarray | None = None) -> np.ndarray:
    """A fixed subsample of ``range(n)``: stratified by ``labels`` when they are per-example scalars,
    the whole range when ``size`` is None or ≥ ``n`` (a full pass). Sorted; the same for every call."""
    if size is None or size >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    strata = strata_of(labels)
    if strata is None or len(strata) != n:
        return np.sort(rng.choice(n, size=size, replace=False))
    picked, _ = stratified_split(strata, size / n, rng)
    return picked


def shard(indices: np.ndarray, rank: int, world: int) -> np.ndarray:
    """This rank's share of the subsample (rank-strided, so every shard is spread over the strata)."""
    return indices[rank::world]


class LossSums:
    """Float64 sums of named series (loss sum, squared sum, count, correct, accuracy count), one
    vector so that a single all-reduce combines ranks. A series fed batch means only (``add_mean``)
    has no spread and gets no interval."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        self.values = np.zeros(WIDTH * len(self.names), dtype=np.float64)

    def _base(self, name: str) -> int:
        return WIDTH * self.names.index(name)

    def add(self, name: str, losses: Any, correct: Any = None) -> None:
        """Add per-unit losses (per example, or per batch when only batch means exist)."""
        b = self._base(name)
        losses = np.asarray(losses, dtype=np.float64).reshape(-1)
        self.values[b + _SUM] += losses.sum()
        self.values[b + _SQ] += (losses * losses).sum()
        self.values[b + _N] += len(losses)
        if correct is not None:
            correct = np.asarray(correct, dtype=np.float64).reshape(-1)
            self.values[b + _OK] += correct.sum()
            self.values[b + _ACCN] += len(correct)

    def add_mean(self, name: str, mean: float, n: float) -> None:
        """Add a batch's mean loss over ``n`` examples: the mean stays exact, the spread is unknown."""
        b = self._base(name)
        self.values[b + _SUM] += float(mean) * n
        self.values[b + _SQ] = math.nan
        self.values[b + _N] += n

    def count(self, name: str) -> float:
        return float(self.values[self._base(name) + _N])

    def mean(self, name: str) -> float | None:
        b = self._base(name)
        n = self.values[b + _N]
        return float(self.values[b + _SUM] / n) if n > 0 else None

    def interval(self, name: str) -> tuple[float, float] | None:
        """95% interval of the mean, or None (one unit, or batch means only)."""
        b = self._base(name)
        n, sq = self.values[b + _N], self.values[b + _SQ]
        if n < 2 or not math.isfinite(sq):
            return None
        mean = self.values[b + _SUM] / n
        var = max(0.0, (sq - n * mean * mean) / (n - 1))
        half = Z95 * math.sqrt(var / n)
        return float(mean - half), float(mean + half)

    def accuracy(self, name: str) -> float | None:
        b = self._base(name)
        n = self.values[b + _ACCN]
        return float(self.values[b + _OK] / n) if n > 0 else None

    def record(self, name: str, key: str, acc_key: str | None = None, *, with_interval: bool = True) -> dict[str, float]:
        """Columns for one series: ``key`` (+ ``key_ci_low``/``key_ci_high``) and ``acc_key``."""
        rec: dict[str, float] = {}
        mean = self.mean(name)
        if mean is None:
            return rec
        rec[key] = mean
        ci = self.interval(name) if with_interval else None
        if ci is not None:
            rec[key + C.CI_LOW_SUFFIX], rec[key + C.CI_HIGH_SUFFIX] = ci
        acc = self.accuracy(name)
        if acc_key is not None and acc is not None:
            rec[acc_key] = acc
        return rec


def gap_terms(*, true: float | None, train_mode: float | None = None, val: float | None = None,
              reported: float | None = None, penalty: float | None = None) -> dict[str, float]:
    """The terms of ``reported − val`` that the given measurements determine (see ``measure.py``):

    - ``gap_train_mode`` = train-mode − eval-mode loss on the same clean subsample;
    - ``gap_generalization`` = true − val;
    - ``gap_penalty`` = the penalty, when the framework exposes it;
    - ``gap_averaging_lag`` = reported − penalty − train-mode loss, only when both the reported
      epoch mean and the penalty are known (otherwise the remainder mixes the two).

    A term that cannot be measured is left out rather than guessed; ``missing_terms`` names them.
    """
    out: dict[str, float] = {}
    if true is None:
        return out
    if train_mode is not None:
        out[C.GAP_TRAIN_MODE] = train_mode - true
    if val is not None:
        out[C.GAP_GENERALIZATION] = true - val
    if penalty is not None:
        out[C.GAP_PENALTY] = penalty
    if reported is not None and penalty is not None and train_mode is not None:
        out[C.GAP_AVERAGING_LAG] = reported - penalty - train_mode
    return out


def missing_terms(record: dict[str, Any]) -> list[str]:
    """Gap terms absent from a record (named in the diagnosis evidence)."""
    return [t for t in C.GAP_TERMS if t not in record]
