"""Vectorised helpers the detectors share: pick a series on an axis, put it on a scale-free
footing (log-loss), smooth it with a rolling median, bin long series, and align two series that were
logged at different granularities (step-level train loss, epoch-level validation).

No per-point Python loops: a 1,000,000-point series goes through these in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import fmt as _fmt
from ..columns import EPOCH, STEP, WALL_TIME, looks_like_loss
from ..run import Run, Series
from . import thresholds as T


@dataclass
class Curve:
    """A series' finite points on one x axis, sorted by x. ``n_nonfinite`` counts what was dropped."""

    name: str
    axis: str
    x: np.ndarray
    y: np.ndarray
    n_nonfinite: int = 0
    first_nonfinite_x: float | None = None
    binned_from: int | None = None  # original length when this curve is a bin average

    def __len__(self) -> int:
        return len(self.y)

    @cached_property
    def positive(self) -> bool:
        return bool(len(self.y)) and bool(np.all(self.y > 0))

    @cached_property
    def scaled(self) -> np.ndarray:
        """Log-loss when the loss is positive; else y over its median magnitude. Either way,
        multiplying the loss by a constant shifts or keeps this, never reshapes it."""
        if self.positive:
            return np.log(self.y)
        scale = np.median(np.abs(self.y)) if len(self.y) else 1.0
        return self.y / (scale if scale > 0 else 1.0)

    def at(self, xs: np.ndarray) -> np.ndarray:
        """Values interpolated (in the scaled space, so geometrically for losses) at ``xs``."""
        v = np.interp(xs, self.x, self.scaled)
        return self.unscale(v)

    def unscale(self, v: np.ndarray) -> np.ndarray:
        if self.positive:
            return np.exp(v)
        scale = np.median(np.abs(self.y)) if len(self.y) else 1.0
        return v * (scale if scale > 0 else 1.0)


def axis_for(series: Series, preferred: str) -> str | None:
    if series.x(preferred) is not None and np.isfinite(series.x(preferred)).any():
        return preferred
    for a in (STEP, EPOCH, WALL_TIME):
        arr = series.x(a)
        if arr is not None and np.isfinite(arr).any():
            return a
    return None


def curve(run: Run, name: str, axis: str | None = None) -> Curve | None:
    """The finite points of ``run.series[name]`` on ``axis`` (or the series' own best axis).

    A series without any x axis gets its index as x on the requested axis (epoch-like logs).
    """
    s = run.get(name)
    if s is None or len(s) == 0:
        return None
    use = axis_for(s, axis or run.preferred_axis())
    if use is None:
        use = axis or EPOCH
        x = np.arange(len(s), dtype=np.float64)
    else:
        x = s.x(use)
    y = s.y
    finite_y = np.isfinite(y)
    ok = finite_y & np.isfinite(x)
    nonfinite = (~finite_y) & np.isfinite(x)
    first_bad = float(x[np.argmax(nonfinite)]) if nonfinite.any() else None
    xs, ys = x[ok], y[ok]
    if len(xs) > 1 and np.any(np.diff(xs) < 0):
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
    if len(ys) > T.MIN_CURVE_POINTS and ys[0] == 0 and looks_like_loss(name) and np.all(ys[1:] > 0):
        # a loss that is exactly 0 at its first point only and positive ever after: the log's seed value
        # (a results file initialised with 0, appended to by each run), not a measurement - no model
        # starts at a loss of 0 and then gets worse. A run of leading zeros (a DQN before its replay
        # buffer fills) is a measurement and stays.
        xs, ys = xs[1:], ys[1:]
    return Curve(name, use, xs, ys, int(nonfinite.sum()), first_bad)


def binned(c: Curve, max_points: int = T.MAX_WORKING_POINTS) -> Curve:
    """Average a long curve into ``max_points`` equal-count bins (means of y and of x)."""
    n = len(c)
    if n <= max_points:
        return c
    edges = np.linspace(0, n, max_points + 1).astype(np.int64)[:-1]
    counts = np.diff(np.append(edges, n))
    ym = np.add.reduceat(c.y, edges) / counts
    xm = np.add.reduceat(c.x, edges) / counts
    return Curve(c.name, c.axis, xm, ym, c.n_nonfinite, c.first_nonfinite_x, binned_from=n)


def odd_window(n: int, fraction: float, lo: int, hi: int) -> int:
    w = int(round(n * fraction))
    w = max(lo, min(hi, w))
    if w % 2 == 0:
        w += 1
    return max(1, min(w, n if n % 2 else n - 1))


def _ranks(v: np.ndarray, window: int, ranks: tuple[int, ...]) -> list[np.ndarray]:
    """The given order statistics of every ``window``-long stretch of ``v`` (output k: the stretch
    ``v[k:k + window]``). scipy's rank filter keeps its window sorted as it slides: O(n log w) in C,
    where a sliding-window median partitions every window again - same numbers, several times cheaper."""
    from scipy.ndimage import rank_filter

    lo, m = window // 2, len(v) - window + 1
    return [rank_filter(v, r, size=window, mode="nearest")[lo:lo + m] for r in ranks]


def window_medians(v: np.ndarray, window: int) -> np.ndarray:
    """``median(v[k:k + window])`` for every k: ``np.median(sliding_window_view(v, window), axis=1)``,
    bit for bit (the mean of the two middle values for an even window, as numpy's median)."""
    if window <= 2 or len(v) < window or not np.isfinite(v).all():
        return np.median(sliding_window_view(v, window), axis=1)
    if window % 2:
        return _ranks(v, window, (window // 2,))[0]
    a, b = _ranks(v, window, (window // 2 - 1, window // 2))
    return (a + b) / 2


def rolling_median(v: np.ndarray, window: int) -> np.ndarray:
    """Centered rolling median, edges padded with the edge value (a monotone curve is its own trend)."""
    if window <= 1 or len(v) < 3:
        return v.copy()
    h = window // 2
    padded = np.concatenate([np.full(h, v[0]), v, np.full(h, v[-1])])
    return window_medians(padded, window)


def level_median(v: np.ndarray, window: int) -> np.ndarray:
    """Centered rolling median whose windows are cut short at the edges (only real points, at least
    half a window): the curve's *level* at each point. Padding with the edge value (rolling_median)
    makes a lucky first or last point its own trend - right for following a monotone curve, wrong for
    asking where the curve's lowest level is (a flat noisy loss 'at its best' on its first point)."""
    n = len(v)
    out = rolling_median(v, window)
    h = min(window // 2, n - 1)
    if window <= 1 or n < 3 or h < 1:
        return out
    for i in range(min(h, n)):
        out[i] = float(np.median(v[: i + h + 1]))
        out[n - 1 - i] = float(np.median(v[max(0, n - 1 - i - h):]))
    return out


def loo_rolling_median(v: np.ndarray, window: int) -> np.ndarray:
    """Centered rolling median of each point's neighbours, the point itself left out (edges padded
    by reflection about the edge value, so a monotone curve continues its slope). Residuals from it
    measure how far a point sits from its surroundings without the point pulling its own trend."""
    n = len(v)
    if window <= 1 or n < 3:
        return v.copy()
    h = min(window // 2, n - 1)
    # odd reflection: 2*v[0] - v[h..1] continues a straight line through the edge
    padded = np.concatenate([2 * v[0] - v[h:0:-1], v, 2 * v[-1] - v[-2 : -h - 2 : -1]])
    if h >= 2 and np.isfinite(padded).all():
        # the 2h neighbours' middle pair, from ranks h-1, h, h+1 of the whole window: the point
        # below the window's median takes out a low rank, above it a high one, at it the middle
        lo, mid, hi = _ranks(padded, 2 * h + 1, (h - 1, h, h + 1))
        return np.where(v < mid, (mid + hi) / 2, np.where(v > mid, (lo + mid) / 2, (lo + hi) / 2))
    win = sliding_window_view(padded, 2 * h + 1)
    neighbours = np.delete(win, h, axis=1)
    return np.median(neighbours, axis=1)


def robust_sigma(r: np.ndarray, floor: float = 0.0) -> float:
    """1.4826 * MAD (the standard deviation for Gaussian noise), floored."""
    if len(r) == 0:
        return floor
    mad = float(np.median(np.abs(r - np.median(r))))
    return max(1.4826 * mad, floor)


def interval_means(src: Curve, edges_x: np.ndarray) -> np.ndarray:
    """Mean of ``src.y`` over (edges_x[i-1], edges_x[i]] - what a framework reports as the
    epoch's training loss when ``src`` is the per-step loss and ``edges_x`` the validation points.
    The first interval starts at the beginning of ``src``. Empty intervals get interpolated values.
    """
    hi = np.searchsorted(src.x, edges_x, side="right")
    lo = np.concatenate([[0], hi[:-1]])
    return _range_means(src, lo, hi, edges_x)


def last_window_bounds(src: Curve, edges_x: np.ndarray, fraction: float, min_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Index ranges [lo, hi) of the last ``fraction`` of each interval (edges_x[i-1], edges_x[i]] (at
    least the last ``min_points`` points before edges_x[i])."""
    prev = np.concatenate([[src.x[0] if len(src) else 0.0], edges_x[:-1]])
    start_x = edges_x - fraction * (edges_x - prev)
    hi = np.searchsorted(src.x, edges_x, side="right")
    lo = np.minimum(np.searchsorted(src.x, start_x, side="right"), np.maximum(hi - min_points, 0))
    return lo, hi


def last_window_means(src: Curve, edges_x: np.ndarray, fraction: float, min_points: int) -> np.ndarray:
    """Mean of ``src.y`` over the last ``fraction`` of each interval (edges_x[i-1], edges_x[i]] (at
    least the last ``min_points`` points before edges_x[i]): the training loss of the weights that
    were evaluated, not the epoch mean that lags half an epoch behind them."""
    lo, hi = last_window_bounds(src, edges_x, fraction, min_points)
    return _range_means(src, lo, hi, edges_x)


def _range_means(src: Curve, lo: np.ndarray, hi: np.ndarray, edges_x: np.ndarray) -> np.ndarray:
    """Mean of ``src.y[lo:hi]`` per interval (one cumulative sum for all); an empty interval gets
    ``src`` interpolated at its edge."""
    csum = np.concatenate([[0.0], np.cumsum(src.y)])
    cnt = hi - lo
    out = np.where(cnt > 0, (csum[hi] - csum[lo]) / np.maximum(cnt, 1), np.nan)
    empty = cnt == 0
    if empty.any():
        out[empty] = src.at(edges_x[empty])
    return out


def align(train: Curve, target_x: np.ndarray) -> np.ndarray:
    """Training values at the validation points: interval means when the training series is much
    denser (step-level vs epoch-level), plain interpolation otherwise."""
    if len(train) >= 3 * max(1, len(target_x)) and len(target_x) >= 1:
        return interval_means(train, target_x)
    return train.at(target_x)


def overlap(a: Curve, b: Curve) -> np.ndarray:
    """Indices of ``b.x`` that lie within ``a``'s x range (no extrapolation)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = a.x[0], a.x[-1]
    # step-level training that ends before the last validation point is common; allow a little slack
    span = hi - lo
    return np.flatnonzero((b.x >= lo - 1e-9 * abs(span)) & (b.x <= hi + 0.5 * (span / max(len(a) - 1, 1)) + 1e-9))


def fmt(v: float, digits: int = 3) -> str:
    """Numbers in sentences (the shared formatter, :mod:`trueloss_dash.fmt`)."""
    return _fmt.num(v, digits)


def pct(v: float) -> str:
    """A fraction as a percentage; past x10 a multiplier ("x4.11e6"), never "411414603%"."""
    return _fmt.pct(v)


def xfmt(x: float, axis: str = "") -> str:
    return _fmt.x_value(x, axis)
