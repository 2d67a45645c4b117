"""Spikes: a loss that jumps well above its own trend.

Test: residuals of the (log-)loss from a centered rolling-median trend, robust z = (r - median) /
(1.4826 MAD). A rolling median of a monotone curve is the curve itself, so smooth runs have zero
residuals and no spikes. A jump that recovers within a few points is *transient* (typical LR
overshoot); a level shift that stays (median of the next m points over the previous m) is
*persistent*.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...columns import HUMAN_LABELS, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS
from .. import thresholds as T
from ..model import Finding
from ..signals import Curve, binned, odd_window, robust_sigma, rolling_median, xfmt
from . import Check, Detected

CHECK = Check("spike", "Spikes", "losses jumping far above their own trend (robust z on log-loss residuals)")


def _groups(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) inclusive index ranges of consecutive True values."""
    if not mask.any():
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist()))


def residual_sigma(c: Curve) -> float:
    """Robust roughness of a curve: sigma of log residuals from its rolling-median trend."""
    w = binned(c, T.SPIKE_MAX_POINTS)
    if len(w) < 3:
        return 0.0
    v = w.scaled
    win = odd_window(len(v), T.SPIKE_TREND_FRACTION, T.SPIKE_TREND_MIN_WINDOW, T.SPIKE_TREND_MAX_WINDOW)
    return robust_sigma(v - rolling_median(v, win))


def spikes_in(c: Curve) -> tuple[list[Finding], float]:
    """Spike findings in one curve, and the largest z seen (for the check's detail)."""
    w = binned(c, T.SPIKE_MAX_POINTS)
    n = len(w)
    if n < T.SPIKE_MIN_POINTS:
        return [], 0.0
    v = w.scaled
    win = odd_window(n, T.SPIKE_TREND_FRACTION, T.SPIKE_TREND_MIN_WINDOW, T.SPIKE_TREND_MAX_WINDOW)
    trend = rolling_median(v, win)
    r = v - trend
    sigma = robust_sigma(r, T.SPIKE_SIGMA_FLOOR)
    z = (r - np.median(r)) / sigma
    max_z = float(z.max())
    label = HUMAN_LABELS.get(c.name, c.name)
    unit = c.axis
    found: list[Finding] = []
    taken = np.zeros(n, dtype=bool)

    # transient spikes: points far above the trend
    for s, e in _groups((z > T.SPIKE_Z) & (r > T.SPIKE_MIN_LOG_RISE)):
        p = s + int(np.argmax(r[s : e + 1]))
        m = max(2, win // 2)
        pre = float(np.median(v[max(0, s - m) : s])) if s > 0 else float(trend[s])
        rise = float(v[p] - pre)
        if rise < T.SPIKE_MIN_LOG_RISE:
            continue  # above a falling trend but not above where the loss just was: not a jump
        after = v[p + 1 : p + 1 + T.SPIKE_RECOVERY_POINTS]
        back = np.flatnonzero(after <= pre + T.SPIKE_RECOVERY_FRACTION * max(rise, 0.0))
        recovered = int(back[0]) + 1 if len(back) else None
        stop = p + recovered if recovered is not None else e
        taken[max(0, s - 1) : stop + 2] = True
        found.append(_finding(c, w, s, stop, p, float(z[p]), rise, recovered, label, unit))

    # persistent spikes: level shifts up that stay
    m = max(3, win // 2)
    if n >= 2 * m + 1:
        med_m = np.median(sliding_window_view(v, m), axis=1)  # med_m[k] = median(v[k:k+m])
        i = np.arange(m, n - m + 1)
        shift = med_m[i] - med_m[i - m]
        zs = shift / sigma
        for s, e in _groups((shift > T.LEVEL_SHIFT_MIN_LOG_RISE) & (zs > T.LEVEL_SHIFT_Z)):
            k = s + int(np.argmax(shift[s : e + 1]))
            at = int(i[k])
            if taken[max(0, at - m) : at + m].any():
                continue
            taken[at : at + m] = True
            found.append(_finding(c, w, at, at + m - 1, at, float(zs[k]), float(shift[k]), None, label, unit))
            max_z = max(max_z, float(zs[k]))
    return found, max_z


def _finding(c, w, s, e, p, z, rise, recovered, label, unit) -> Finding:
    ratio = float(np.exp(rise)) if c.positive else 1.0 + rise
    x0, x1, xp = float(w.x[s]), float(w.x[min(e, len(w) - 1)]), float(w.x[p])
    transient = recovered is not None
    if transient:
        dx = float(w.x[min(p + recovered, len(w) - 1)] - w.x[p])
        tail = f"recovered within {xfmt(dx)} {unit}{'s' if dx != 1 else ''}"
    else:
        tail = "and stayed up (persistent)"
    severity = "critical" if (not transient and ratio >= 3.0) or z >= T.SPIKE_CRITICAL_Z and not transient else "warning"
    return Finding(
        kind="spike",
        severity=severity,
        series=c.name,
        start=x0,
        end=x1,
        x_axis=unit,
        metrics={
            "z": round(z, 2),
            "rise_ratio": round(ratio, 3),
            "peak_x": xp,
            "peak_value": float(w.y[p]),
            "transient": transient,
            "recovered_after": recovered,
            "points": int(len(c)),
        },
        summary=f"{label} jumped to {w.y[p]:.3g} at {unit} {xfmt(xp)} ({ratio:.2f}x its trend, robust z={z:.1f}), {tail}",
    )


def detect(view) -> Detected:
    findings: list[Finding] = []
    parts = []
    for name in (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS):
        c = view.curve(name)
        if c is None:
            continue
        if len(c) < T.SPIKE_MIN_POINTS:
            parts.append(f"{name}: {len(c)} points, too few to judge")
            continue
        f, max_z = spikes_in(c)
        findings += f
        parts.append(f"{name}: max robust z {max_z:.1f} (threshold {T.SPIKE_Z:g})")
    if not parts:
        return Detected([], "no loss series", applicable=False)
    return Detected(findings, "; ".join(parts))
