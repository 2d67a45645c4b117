"""The x axes a chart draws, and round ticks: which axis a run opens on, fractional epochs, elapsed
wall time, LR tick values. Pure numpy (no Plotly), shared by every figure in :mod:`.plots` and by
the pages that offer an axis choice.

Why fractional epochs: a step-logged training loss in a Lightning ``metrics.csv`` carries epoch
0, 0, 0, 1, 1 ...; drawn on those values it becomes vertical bars. Why elapsed time: wall-clock
ticks read as raw Unix seconds ("1.7292413B").
"""

from __future__ import annotations

import numpy as np

from ..columns import EPOCH, LOSS_SERIES, STEP, WALL_TIME
from ..fmt import num
from ..run import Run, Series


def _resolves(x: np.ndarray | None) -> bool:
    """True when ``x`` tells (nearly) every point apart: no stack of points on one x value."""
    if x is None:
        return False
    fx = x[np.isfinite(x)]
    return len(fx) > 0 and len(np.unique(fx)) >= 0.95 * len(fx)


def _epoch_map(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(epoch, first step, next epoch's first step) for runs logging several steps per epoch."""
    pairs = [(s.epoch, s.step) for s in run.series.values() if s.epoch is not None and s.step is not None]
    if not pairs:
        return None
    ep = np.concatenate([p[0] for p in pairs])
    st = np.concatenate([p[1] for p in pairs])
    ok = np.isfinite(ep) & np.isfinite(st)
    ep, st = ep[ok], st[ok]
    if len(ep) < 2:
        return None
    epochs = np.unique(ep)
    first = np.array([st[ep == e].min() for e in epochs])
    last = np.array([st[ep == e].max() for e in epochs])
    if np.any(np.diff(first) <= 0):  # steps do not grow with epochs (restarts, resets): no mapping
        return None
    spacing = np.median(np.diff(np.unique(st))) if len(np.unique(st)) > 1 else 1.0
    nxt = np.append(first[1:], last[-1] + spacing)
    return epochs, first, nxt


def _steps_within_epochs(run: Run) -> bool:
    """Some series logs several steps per epoch: then every series with steps is placed by step."""
    return any(s.epoch is not None and s.step is not None and not _resolves(s.epoch) for s in run.series.values())


def fractional_epochs(run: Run, s: Series) -> np.ndarray | None:
    """Epochs with a fraction when several steps share one epoch number.

    A step-logged training loss in a Lightning ``metrics.csv`` carries epoch 0, 0, 0, 1, 1 …;
    drawn on those values it becomes vertical bars. Each step is placed at
    ``epoch + (step − epoch's first step) / (steps in that epoch)``, so epoch e spans [e, e + 1);
    the validation loss logged at an epoch's last step lands near e + 1, where it was measured.
    """
    if s.epoch is None or s.step is None or not _steps_within_epochs(run):
        return s.epoch
    m = _epoch_map(run)
    if m is None:
        return s.epoch
    epochs, first, nxt = m
    out = s.epoch.astype(np.float64).copy()
    ok = np.isfinite(s.epoch) & np.isfinite(s.step)
    pos = np.clip(np.searchsorted(epochs, s.epoch[ok]), 0, len(epochs) - 1)
    known = epochs[pos] == s.epoch[ok]
    frac = (s.step[ok] - first[pos]) / np.maximum(nxt[pos] - first[pos], 1e-12)
    vals = out[ok]
    vals[known] = s.epoch[ok][known] + np.clip(frac[known], 0.0, 0.999)
    out[ok] = vals
    return out


def run_start_time(run: Run) -> float | None:
    """The earliest wall-clock time of any series: elapsed time is measured from it."""
    starts = [np.nanmin(s.wall_time) for s in run.series.values()
              if s.wall_time is not None and np.isfinite(s.wall_time).any()]
    return float(min(starts)) if starts else None


def axis_values(run: Run | None, s: Series, axis: str) -> np.ndarray | None:
    """The x values a chart draws: fractional epochs, elapsed seconds for wall time."""
    if run is None:
        return s.x(axis)
    if axis == EPOCH:
        return fractional_epochs(run, s)
    if axis == WALL_TIME and s.wall_time is not None:
        t0 = run_start_time(run)
        return s.wall_time - t0 if t0 is not None else s.wall_time
    return s.x(axis)


def default_axis(run: Run) -> str:
    """The x axis on which the most loss series are densest.

    Each axis scores the loss series whose every point it tells apart (raw values: an epoch column
    repeated over many logged steps does not count). Step-logged files therefore open on step;
    epoch-level logs on epoch. Ties go to epoch, then step, then wall time.
    """
    axes = available_axes(run)
    if not axes:
        return STEP
    pool = [run.get(n) for n in LOSS_SERIES if run.get(n) is not None] or list(run.series.values())
    scores = {a: sum(_resolves(s.x(a)) for s in pool) for a in axes}
    best = max(scores.values())
    return next(a for a in axes if scores[a] == best)


def available_axes(run: Run) -> list[str]:
    """Axes the chart can offer: those at least one loss series has, in (epoch, step, wall) order."""
    pool = [run.get(n) for n in LOSS_SERIES if run.get(n) is not None] or list(run.series.values())
    have = [a for a in (EPOCH, STEP, WALL_TIME) if any(s.x(a) is not None for s in pool)]
    return have


def elapsed_label(seconds: float) -> str:
    """Elapsed time as h:mm:ss (or m:ss under an hour)."""
    total = int(round(max(float(seconds), 0.0)))
    h, rem = divmod(total, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def elapsed_ticks(x_max: float, n: int = 6) -> tuple[list[float], list[str]]:
    """Round tick positions (1 s … 1 day apart) with h:mm:ss labels for an elapsed-time axis."""
    x_max = max(float(x_max), 1.0)
    step = next((t for t in _TIME_STEPS if x_max / t <= n), 86400 * max(1, int(np.ceil(x_max / 86400 / n))))
    vals = [float(v) for v in np.arange(0.0, x_max + step, step)]
    return vals, [elapsed_label(v) for v in vals]


def lr_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Round ticks for a log LR axis: every power of ten, plus 2× and 5× when the range is short."""
    lo_e, hi_e = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
    mults = (1,) if hi_e - lo_e >= 3 else (1, 2, 5)
    vals = [m * 10.0 ** e for e in range(lo_e, hi_e + 1) for m in mults]
    vals = [v for v in vals if lo / 1.0001 <= v <= hi * 1.0001] or [10.0 ** lo_e]
    return vals, [num(v) for v in vals]


def linear_ticks(top: float, n: int = 5) -> list[float]:
    """0 and round multiples (1, 2, 2.5 or 5 × 10^k) up to ``top``: about ``n`` ticks."""
    if not top > 0:
        return [0.0]
    raw = top / n
    mag = 10.0 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    count = int(np.floor(top / step + 1e-9))
    return [round(i * step, 12) for i in range(count + 1)]
