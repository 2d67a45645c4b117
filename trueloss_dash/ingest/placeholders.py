"""Values a log writes for "not measured": a validation loss logged as 0.0 on the epochs that skipped
evaluation (an SSD tutorial's ``epoch_loss.csv`` evaluates every 10th epoch and writes 0.0 between).

A loss that really reaches 0 gets there gradually - its smallest positive values are a sliver of its
typical ones (a hinge loss at 0.01 before it hits 0.0). A 0.0 between values that never come near zero,
with measured values after it again, is a placeholder: read as such, the curve would dive to zero and
jump back every few epochs (an erratic-validation WARNING on a run that evaluated five times).
"""

from __future__ import annotations

import numpy as np

from ..columns import LOSS_SERIES
from ..run import Run

#: A loss's exact zeros are placeholders when its smallest positive value is at least this share of its
#: median positive value (the curve never comes near zero by itself) ...
PLACEHOLDER_MIN_SHARE = 0.1
#: ... and there are at least this many of them, some followed by measured values again.
PLACEHOLDER_MIN_ZEROS = 2


def drop_placeholder_zeros(run: Run) -> None:
    """Remove the placeholder zeros of the run's loss series (in place), with a note saying so."""
    for name in LOSS_SERIES:
        s = run.get(name)
        if s is None:
            continue
        y = np.asarray(s.y, float)
        zero = y == 0.0
        pos = np.isfinite(y) & (y > 0)
        if zero.sum() < PLACEHOLDER_MIN_ZEROS or pos.sum() < 2:
            continue
        typical, smallest = float(np.median(y[pos])), float(np.min(y[pos]))
        if smallest < PLACEHOLDER_MIN_SHARE * typical or not zero[: np.flatnonzero(pos)[-1]].any():
            continue  # the curve comes near zero by itself, or its zeros only end it: measured
        run.series[name] = s.take(np.flatnonzero(~zero))
        run.note(f"{name} ({s.source_column or name}): {int(zero.sum())} rows of exactly 0 between values of "
                 f"{smallest:.4g}-{float(np.max(y[pos])):.4g} read as 'not measured' (a loss does not drop to 0 and "
                 "jump back)")
