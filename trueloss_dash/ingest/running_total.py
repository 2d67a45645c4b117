"""Cumulative loss counters: a column that sums the batch losses within each epoch.

Some training scripts print ``running_loss += loss.item()`` every N batches without dividing by
the batch count: the column climbs through each epoch (0.24, 22.7, 43.3, 62.7, 80.8) and starts
again at the next one. Read as a training loss it looks like a divergence that recovers every
epoch. Such a column is kept under its own name with no role; an epoch-level loss the file also
holds then takes the training-loss role when it is the only loss left. Pure numpy.
"""

from __future__ import annotations

import numpy as np

MIN_POINTS_PER_EPOCH = 3  # rises over fewer points could be a noisy loss, not a sum
MIN_EPOCHS = 2  # a reset at an epoch boundary must be seen at least once
MIN_TOTAL_GROWTH = 4.0  # the last value of each epoch >= 4x its first: a sum, not a loss drifting up
FIRST_BATCH_RATIO = (0.2, 5.0)  # first value / mean increment per batch: it starts near one batch's size
RUNNING_TOTAL_SUFFIX = " (running total)"


def is_running_total(y: np.ndarray, epoch: np.ndarray, batch: np.ndarray | None = None) -> bool:
    """True when ``y`` never falls within an epoch, grows >= x4 through each epoch that holds
    >= 3 of its points (at least 2 such epochs), falls back at every epoch boundary, and starts
    each epoch near one batch's size. ``batch`` (the count within the epoch, when the log has
    one) sets the scale of one batch: the first value over the mean increment per batch is
    within x5 of 1. The arrays are the column's rows in file order."""
    keep = np.isfinite(y) & np.isfinite(epoch)
    y, epoch = y[keep], epoch[keep]
    if batch is not None:
        batch = batch[keep]
        if not np.isfinite(batch).all():
            batch = None
    if len(y) < MIN_POINTS_PER_EPOCH * MIN_EPOCHS or (y < 0).any() or (np.diff(epoch) < 0).any():
        return False
    starts = np.flatnonzero(np.concatenate(([True], np.diff(epoch) > 0)))
    ends = np.concatenate((starts[1:], [len(y)]))
    full = 0
    for lo, hi in zip(starts, ends):
        part = y[lo:hi]
        if (np.diff(part) < 0).any():
            return False
        if hi - lo < MIN_POINTS_PER_EPOCH:
            continue
        first, last = part[0], part[-1]
        if not first > 0 or last < MIN_TOTAL_GROWTH * first:
            return False
        if batch is not None:
            b = batch[lo:hi]
            if b[0] <= 0:  # a counter from 0: the row after batch 0 holds one batch
                b = b - b[0] + 1
            steps = b[-1] - b[0]
            if not b[0] > 0 or not steps > 0:
                return False
            ratio = first / (b[0] * (last - first) / steps)
            if not FIRST_BATCH_RATIO[0] <= ratio <= FIRST_BATCH_RATIO[1]:
                return False
        full += 1
    if full < MIN_EPOCHS:
        return False
    # Every boundary is a reset: the next epoch starts below where the last one ended.
    return bool((y[starts[1:]] < y[ends[:-1] - 1]).all())
