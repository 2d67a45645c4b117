"""The noise model under the detectors: how much a curve moves on its own at each point, and what a
corroborating metric says.

Why: a loss near convergence moves by a larger *relative* amount than the same loss early on (the
few examples still wrong dominate the mean), and a step-level loss carries minibatch noise. A move
counts only against the curve's own noise at that point:

- :func:`local_sigma` - a causal, heteroscedastic scale: the robust spread (1.4826 MAD) of the
  log-loss residuals from a leave-one-out trend, over the trailing window up to each point (what
  was known as the run went), floored by the run-wide scale so one quiet stretch cannot make the
  next wiggle look huge;
- :func:`metric_change` - where a validation metric (accuracy, WER, mAP ...) is logged, whether it
  got better or worse over a stretch, in units of its own point-to-point noise;
- :func:`point_noise`, :func:`median_se` and :func:`lucky_low` - a curve's per-point scatter, the
  standard error of a median of m points, and how far the lowest of a curve's trend values sits below
  its level by chance (a rise from "the best" is judged from the level, not from that luck);
- :func:`validation_noise` and :func:`best_level` - a validation curve's noise since its best and the
  level around that best, which the overfitting and loss-vs-metric checks both measure a rise from.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import fmt
from . import thresholds as T
from .signals import Curve, binned, loo_rolling_median, odd_window, robust_sigma, rolling_median, window_medians


def residuals(c: Curve) -> np.ndarray:
    """Log-loss residuals from the leave-one-out rolling-median trend."""
    v = c.scaled
    win = odd_window(len(v), T.SPIKE_TREND_FRACTION, T.SPIKE_TREND_MIN_WINDOW, T.SPIKE_TREND_MAX_WINDOW)
    return v - loo_rolling_median(v, win)


def point_noise(y: np.ndarray) -> float:
    """A curve's per-point scatter from its moves: the robust spread of successive differences over
    sqrt(2) (a difference carries two points' noise; a trend barely moves it)."""
    return float(robust_sigma(np.diff(y)) / np.sqrt(2))


def median_se(noise: float, m: int) -> float:
    """Standard error of the median of ``m`` points with per-point noise ``noise``: sqrt(pi/2) times
    that of a mean (a median of 3 or more points is that much less efficient), the point itself for one."""
    return noise * (np.sqrt(np.pi / 2) if m >= 3 else 1.0) / np.sqrt(max(m, 1))


def lucky_low(noise: float, n: int, win: int) -> float:
    """How far below the curve's level the lowest value of its rolling-median trend (window ``win``,
    ``n`` points, per-point noise ``noise`` in log units) can sit by chance alone: each trend value
    (a median of ``win`` points) spreads by :func:`median_se`, and the lowest of the n trend values
    falls that many spreads below the level with probability LEVEL_SHIFT_LUCK_ALPHA (a Bonferroni
    bound on the normal tail over every position; simulated on pure noise, the 99th percentile of
    level-minus-lowest is 3.7-4.1 spreads for 80-500 points, the bound 3.7-4.1). A rise measured from
    the raw minimum of a long noisy plateau is that luck, not a climb (pure noise around a flat level
    read as 'climbed x1.6 and stayed' in a quarter to a third of generated curves); a curve that truly
    moved to a worse level clears it. Used by the level-shift and slow-divergence checks."""
    from statistics import NormalDist

    if noise <= 0 or n <= 0:
        return 0.0
    return float(median_se(noise, win) * NormalDist().inv_cdf(1 - T.LEVEL_SHIFT_LUCK_ALPHA / max(n, 1)))


def validation_noise(w: Curve, b: int) -> float:
    """Per-point noise (log units) of a validation curve judged from its best point ``b``: the run-wide
    scale of its residuals, or - heteroscedastic - the local scale of the stretch since the best when that
    stretch is long enough and noisier (a validation set that gets noisier as the loss falls)."""
    noise = robust_sigma(residuals(w))
    if len(w) - 1 - b >= T.OVERFIT_LOCAL_NOISE_MIN_POINTS:
        noise = max(noise, float(np.median(local_sigma(w)[b:])))
    return float(noise)


def level_window(n: int) -> int:
    """The rolling-median window that smooths a validation curve of ``n`` points before its best is read
    (the overfitting and loss-vs-metric checks' shared choice)."""
    return odd_window(n, T.SPIKE_TREND_FRACTION, 3, 21)


def end_over_lowest_level(y: np.ndarray) -> float:
    """Where a (positive) loss ends - the median of its last tenth - over the lowest of its level (a rolling
    median over a tenth of the run): how far a curve that once fitted has been thrown back from it."""
    k = max(1, len(y) // 10)
    return float(np.median(y[-k:])) / float(rolling_median(y, max(3, k) | 1).min())


def best_level(v: np.ndarray, b: int, ws: int) -> tuple[float, int, str] | None:
    """The level of a (log) curve ``v`` around its best point ``b``, what a rise "since the best" is
    measured from, with the number of points it is a median of and how to say it: a long run's best
    point is the luckiest of many, so the median of the OVERFIT_LEVEL_FRACTION of the points centred
    on it; a shorter run's, the best of its rolling-median trend (window ``ws``). None for a run too
    short for either (its best point is all there is)."""
    n = len(v)
    if n >= T.OVERFIT_LEVEL_MIN_POINTS:
        h = max(2, int(round(T.OVERFIT_LEVEL_FRACTION * n / 2)))
        window = v[max(0, b - h): b + h + 1]
        return float(np.median(window)), len(window), f"the level around its best (median of {fmt.count(2 * h + 1, 'point')})"
    if n >= T.OVERFIT_FLAT_MIN_POINTS and ws > 1:
        return float(rolling_median(v, ws).min()), ws, f"the smoothed curve's best (rolling median of {fmt.count(ws, 'point')})"
    return None


def trend_t(y: np.ndarray) -> float:
    """The least-squares slope of the log loss over these points in standard errors of itself (negative:
    falling). Noise breaks a count of down-moves, not a trend: 2% scatter on a slow descent is still a
    descent. 0 when there are fewer than 4 points or a non-positive value; -inf for an exact fall."""
    y = np.asarray(y, float)
    if len(y) < 4 or np.any(y <= 0):
        return 0.0
    t = np.arange(len(y), dtype=float)
    v = np.log(y)
    slope, icpt = np.polyfit(t, v, 1)
    resid = v - (slope * t + icpt)
    se = float(np.sqrt(np.sum(resid ** 2) / (len(y) - 2) / np.sum((t - t.mean()) ** 2)))
    if se == 0:
        return float(-np.inf if slope < 0 else (np.inf if slope > 0 else 0.0))
    return float(slope / se)


def local_sigma(c: Curve, window: int | None = None, floor: float = T.SPIKE_SIGMA_FLOOR) -> np.ndarray:
    """Per-point noise scale (log units), estimated causally over the trailing ``window`` points.

    The first points (before a window has filled) use the scale of what exists so far, at least
    the run-wide scale's half. Vectorised: a sliding window over padded absolute deviations."""
    r = residuals(c)
    n = len(r)
    if n == 0:
        return np.zeros(0)
    glob = robust_sigma(r, floor)
    w = window or max(T.NOISE_WINDOW_MIN, int(round(T.NOISE_WINDOW_FRACTION * n)))
    w = min(w, n)
    dev = np.abs(r - np.median(r))
    # full windows hold no NaN: a plain (rank-filter) median - nanmedian's masked path costs ~10x; only the first
    # w - 1 points, whose windows reach before the run, need nanmedian over the NaN padding
    med = np.empty(n)
    med[w - 1:] = window_medians(dev, w)
    if w > 1:
        padded = np.concatenate([np.full(w - 1, np.nan), dev[: w - 1]])
        with np.errstate(all="ignore"):
            med[: w - 1] = np.nanmedian(sliding_window_view(padded, w), axis=1)
    sig = 1.4826 * np.nan_to_num(med, nan=glob)
    return np.maximum(sig, max(floor, T.NOISE_GLOBAL_SHARE * glob))


def typical_swing(c: Curve) -> float:
    """Median absolute log residual of a curve: how much it moves around its own trend (0 = smooth)."""
    if len(c) < 3:
        return 0.0
    return float(np.median(np.abs(residuals(c))))


class MetricChange(NamedTuple):
    name: str
    better: float  # change in the metric's "better" direction over the stretch (same units as the metric)
    z: float  # ... in units of its point-to-point noise


def metric_change(view, x0: float, x1: float, local_noise: bool = False) -> MetricChange | None:
    """How the first logged validation metric moved between ``x0`` and ``x1`` (medians of the points
    around each end), signed so that positive = better. None when no metric is logged there.
    ``local_noise``: its noise measured on the stretch from ``x0`` on (>= 4 points), so the trend
    that brought it to ``x0`` (accuracy climbing every epoch) is not read as noise."""
    from .detectors.metric_disagreement import validation_metrics, higher_is_better

    for name in validation_metrics(view.run):
        m = view.curve(name)
        if m is None or len(m) < 3:
            continue
        m = binned(m)
        before = m.y[m.x <= x0]
        after = m.y[m.x >= x1]
        if len(before) == 0 or len(after) == 0:
            continue
        k = max(1, min(3, len(m) // 10))
        a, b = float(np.median(before[-k:])), float(np.median(after[:k] if x1 < m.x[-1] else after[-k:]))
        sign = 1.0 if higher_is_better(name) else -1.0
        ys = m.y[m.x >= x0] if local_noise and np.count_nonzero(m.x >= x0) >= 4 else m.y
        noise = robust_sigma(np.diff(ys), 1e-12) / np.sqrt(2)
        return MetricChange(name, sign * (b - a), sign * (b - a) / max(noise, 1e-12))
    return None


def validation_follows(view, x_onset: float, log_rise: float, level_before: float | None = None) -> tuple[bool, float] | None:
    """Did the evaluated model follow a training-loss jump that started at ``x_onset``? Compares the
    validation loss after it (median) with its last points before it (median of up to 3), in log
    units, against the training jump ``log_rise``: (followed, validation's log change), followed when
    validation rose at least LEVEL_SHIFT_VAL_FOLLOW_SHARE of the training jump. None when validation
    has fewer than 2 points on either side (nothing to tell).

    With the training loss's ``level_before`` the jump (loss units), also followed when validation
    rose at least that share of the training loss's rise *in loss units* (and by the joint-shift
    minimum in log units): a model that got worse adds about the same loss per example to both sets,
    which is a far smaller factor on a validation loss sitting on a generalisation gap (x1.7 on 0.10)
    than on a near-zero training loss (x5 on 0.018) - a changed training loss moves training alone."""
    va = view.val
    if va is None or not va.positive or log_rise <= 0:
        return None
    before, after = va.y[va.x < x_onset], va.y[va.x >= x_onset]
    if len(before) < 2 or len(after) < 2:
        return None
    v0, v1 = float(np.median(before[-3:])), float(np.median(after))
    change = float(np.log(v1) - np.log(v0))
    followed = change >= T.LEVEL_SHIFT_VAL_FOLLOW_SHARE * log_rise
    if not followed and level_before is not None and level_before > 0 and change >= T.LEVEL_SHIFT_JOINT_MIN_LOG_RISE:
        followed = v1 - v0 >= T.LEVEL_SHIFT_VAL_FOLLOW_SHARE * level_before * float(np.expm1(log_rise))
    return followed, change
