"""From the rules' raw cause scores to calibrated probabilities ("of the causes given ~70%, ~70% are right").

The rules score each cause by hand (strongest rule + a little per supporter). Those scores rank
causes well but are not probabilities. What a cause's chance of being the run's explanation depends
on most, on the dev splits, is where it stands in the report:

- ``leading``: the top cause, or one tied with it within ``CAUSE_TIE_MARGIN`` (the verdict names it);
- ``rival``: a lower cause that explains one of the findings the leading cause explains (a competing
  explanation of the same thing: dropout or augmentation for one inverted gap);
- ``side``: a lower cause that only explains other findings (an inverted gap noted beside a
  divergence) - rarely what the run's problem is about.

So the map has one row per position, each monotone in the raw score, read off at grid points and
interpolated linearly between them (held at the end values outside). The leading row lies on or
above the other rows everywhere, so calibration never changes which cause leads; below the lead,
causes are listed by their calibrated probability (a rival above a side note), then by raw score.

The table is fitted on the dev splits only (scenario dev + real-log dev) by
``benchmarks/fit_calibration.py``: per position, a logistic curve p = 1 / (1 + exp(-(a + b * (raw - 0.5))))
fitted to (raw score, right or wrong) of every scored cause, with a small ridge on the slope; a row
whose slope comes out negative is a constant (the raw score said nothing there). Regenerate with
``python benchmarks/fit_calibration.py --write``; ``tests/test_calibration.py`` checks that the shipped
table is what the script produces from dev. The test splits are never read here: they report how
well the map holds on runs it was not fitted to.
"""

from __future__ import annotations

import numpy as np

LEADING = "leading"
RIVAL = "rival"
SIDE = "side"
POSITIONS = (LEADING, RIVAL, SIDE)

# BEGIN FITTED TABLE (benchmarks/fit_calibration.py --write; do not edit by hand)
#: Raw rule score at which each row is read off.
RAW_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1)
#: Calibrated probability per position at each grid point.
CALIBRATION_TABLE = {
    LEADING: (0.705, 0.729, 0.752, 0.774, 0.794, 0.813, 0.831, 0.847, 0.862),
    RIVAL: (0.622, 0.622, 0.622, 0.622, 0.622, 0.622, 0.622, 0.622, 0.622),
    SIDE: (0.075, 0.085, 0.096, 0.108, 0.122, 0.138, 0.155, 0.173, 0.194),
}
#: What the fit saw: scored causes per position, and the share of them that were right.
FIT_SUMMARY = {
    LEADING: (117, 0.803),
    RIVAL: (74, 0.622),
    SIDE: (93, 0.097),
}
# END FITTED TABLE


def position(score: float, findings, top_score: float, top_findings, tie_margin: float) -> str:
    """Where a cause (raw ``score``, the finding indices it explains) stands against the top cause."""
    if score >= top_score - tie_margin:
        return LEADING
    return RIVAL if set(findings) & set(top_findings) else SIDE


def calibrate(score: float, where: str) -> float:
    """The calibrated probability of a cause with raw rule score ``score`` at position ``where``."""
    return float(np.interp(score, RAW_GRID, CALIBRATION_TABLE[where]))
