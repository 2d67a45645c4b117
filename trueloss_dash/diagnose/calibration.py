"""From the rules' raw cause scores to calibrated probabilities ("of the causes given ~70%, ~70% are right").

The rules score each cause by hand (strongest rule + a little per supporter). Those scores rank
causes well but are not probabilities. What a cause's chance of being the run's explanation depends
on, on the dev splits, is where it stands in the report and what its reading rests on.

Position:

- ``leading``: the top cause, or one tied with it within ``CAUSE_TIE_MARGIN`` (the verdict names it);
- ``rival``: a lower cause that explains one of the findings the leading cause explains (a competing
  explanation of the same thing: dropout or augmentation for one inverted gap);
- ``side``: a lower cause that only explains other findings (an inverted gap noted beside a
  divergence) - rarely what the run's problem is about.

Basis (``Cause.basis``, set by the rules: ``rules.base.BASES``):

- ``measured``: a supporting rule read something beyond the finding's shape - the true training loss,
  a gap decomposition, a context knob, the logged learning rate, a validation metric;
- ``shape``: the finding itself names the cause (validation rising after its best is overfitting);
- ``prior``: one of several explanations of one finding that nothing in the log tells apart (without
  context, dropout is a common reason for an inverted gap). Generated runs carry the context real
  logs lack, so a table fitted without the basis was as sure of a guess as of a measurement.

The map has one row per (position, basis), each monotone in the raw score, read off at grid points
and interpolated linearly between them (held at the end values outside). Every leading row lies on
or above every lower row, so calibration never changes which cause leads; below the lead, causes are
listed by their calibrated probability, then by raw score.

The table is fitted on the dev splits only (scenario dev + real-log dev, each group the same total
weight) by ``benchmarks/fit_calibration.py``: logit p = a[position] + b[position] * (raw - 0.5) +
c[basis], with a small ridge on the slopes and offsets; a slope that comes out negative is dropped (the
raw score said nothing there). The design was chosen among candidates by grouped cross-validation
inside dev (``benchmarks/cv_calibration.py``: folds by repository and by generator seed). Regenerate
with ``python benchmarks/fit_calibration.py --write``; ``tests/test_calibration.py`` checks that the
shipped table is what the script produces from dev. The test splits are never read here: they report
how well the map holds on runs it was not fitted to.
"""

from __future__ import annotations

import numpy as np

from .rules.base import BASES, MEASURED, PRIOR, SHAPE

LEADING = "leading"
RIVAL = "rival"
SIDE = "side"
POSITIONS = (LEADING, RIVAL, SIDE)
__all__ = ["BASES", "LEADING", "MEASURED", "POSITIONS", "PRIOR", "RIVAL", "SHAPE", "SIDE", "calibrate", "position", "read_table"]

# BEGIN FITTED TABLE (benchmarks/fit_calibration.py --write; do not edit by hand)
#: Raw rule score at which each row is read off.
RAW_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1)
#: Calibrated probability per (position, basis) at each grid point.
CALIBRATION_TABLE = {
    (LEADING, MEASURED): (0.704, 0.735, 0.764, 0.791, 0.816, 0.838, 0.858, 0.876, 0.892),
    (LEADING, SHAPE): (0.704, 0.735, 0.764, 0.791, 0.816, 0.838, 0.858, 0.876, 0.892),
    (LEADING, PRIOR): (0.704, 0.735, 0.764, 0.791, 0.816, 0.838, 0.858, 0.876, 0.892),
    (RIVAL, MEASURED): (0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615),
    (RIVAL, SHAPE): (0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615),
    (RIVAL, PRIOR): (0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615, 0.615),
    (SIDE, MEASURED): (0.09, 0.106, 0.124, 0.145, 0.169, 0.196, 0.225, 0.258, 0.294),
    (SIDE, SHAPE): (0.09, 0.106, 0.124, 0.145, 0.169, 0.196, 0.225, 0.258, 0.294),
    (SIDE, PRIOR): (0.09, 0.106, 0.124, 0.145, 0.169, 0.196, 0.225, 0.258, 0.294),
}
#: What the fit saw: scored causes per position and per basis, and the share of them that were right.
FIT_SUMMARY = {
    LEADING: (117, 0.803),
    RIVAL: (74, 0.622),
    SIDE: (92, 0.109),
    MEASURED: (53, 0.396),
    SHAPE: (97, 0.588),
    PRIOR: (133, 0.541),
}
# END FITTED TABLE


def position(score: float, findings, top_score: float, top_findings, tie_margin: float) -> str:
    """Where a cause (raw ``score``, the finding indices it explains) stands against the top cause."""
    if score >= top_score - tie_margin:
        return LEADING
    return RIVAL if set(findings) & set(top_findings) else SIDE


def read_table(table, score: float, where: str, basis: str | None) -> float:
    """Row (``where``, ``basis``) of ``table`` read off at raw ``score`` (an unknown basis reads as shape)."""
    return float(np.interp(score, RAW_GRID, table[(where, basis if basis in BASES else SHAPE)]))


def calibrate(score: float, where: str, basis: str | None = SHAPE) -> float:
    """The calibrated probability of a cause with raw rule score ``score`` at position ``where``,
    whose reading rests on ``basis``."""
    return read_table(CALIBRATION_TABLE, score, where, basis)
