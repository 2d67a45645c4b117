"""Erratic validation: validation jumps up and back down again and again while the training loss
is smooth.

Test, on the validation loss at working resolution: a *jump* is a point at least
ERRATIC_MIN_LOG_JUMP above both the point before and the point after it (up, then back down) and ERRATIC_Z times the
training loss's roughness at the same cadence (per-interval means for a step-level training loss).
Two or more jumps are a finding. One jump is a spike (its own check).

Why it matters: validation that swings this much cannot pick a checkpoint or drive early stopping,
and the swings say the evaluated model itself is unstable (a warning) - unless the jumps stopped (none
in the last quarter) and validation ends at its best: they came on the way down and the final model is
the best one evaluated (info). Causes: batch norm with small batches
(running statistics that do not match any batch), a tiny validation set, an eval-mode bug
(dropout/BN left in train mode, a different preprocessing at evaluation).
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS
from .. import thresholds as T
from ..model import Finding
from ..signals import binned, loo_rolling_median, odd_window, robust_sigma
from . import Check, Detected
from .spike import residual_sigma, train_roughness_beside

CHECK = Check("erratic_validation", "Erratic validation", "validation jumping up and down repeatedly while training is smooth")


def erratic_jumps(view) -> tuple[list[int], dict, str]:
    """(indices of jumps in the working validation curve, metrics, detail); indices empty when none.
    Computed once per view (the spike, oscillation and overfitting checks ask too)."""
    key = ("erratic_jumps",)
    if key not in view._cache:
        view._cache[key] = _erratic_jumps(view)
    return view._cache[key]


def _short_run_reversals(view, va) -> tuple[list[int], dict, str]:
    """A run with only 4-5 validation points has no trend to measure jumps against; what it can show
    is validation turning around twice by large factors while training barely moves: each turn's
    moves both >= ERRATIC_SHORT_MIN_LOG_MOVE and ERRATIC_Z times the training loss's largest move at
    the same points (one epoch each)."""
    tr = view.curve(TRAIN_LOSS)
    if tr is None or len(tr) < 3:
        tr = view.curve(TRUE_TRAIN_LOSS)
    if tr is None or len(tr) < 3 or not (tr.positive and va.positive) or tr.axis != va.axis:
        return [], {}, f"needs at least {T.ERRATIC_MIN_POINTS} validation points"
    v = np.log(va.y)
    t = np.log(np.interp(va.x, tr.x, tr.y))
    dv, dt = np.diff(v), np.diff(t)
    big = max(T.ERRATIC_SHORT_MIN_LOG_MOVE, T.ERRATIC_Z * float(np.max(np.abs(dt))))
    turns = [k + 1 for k in range(len(dv) - 1)
             if np.sign(dv[k]) != np.sign(dv[k + 1]) and min(abs(dv[k]), abs(dv[k + 1])) >= big]
    rough = float(np.max(np.abs(dt)))
    metrics = {"jumps": len(turns), "val_points": int(len(va)), "train_roughness": round(rough, 4),
               "val_roughness": round(float(np.median(np.abs(dv))), 4),
               "largest_jump": round(float(np.expm1(np.max(np.abs(dv)))), 3), "jump_x": [float(va.x[k]) for k in turns],
               "short_run": True}
    detail = (f"only {fmt.count(len(va), 'validation point')}: validation turned around {fmt.count(len(turns), 'time')} by "
              f">= {fmt.ratio(float(np.exp(big)))} each way while the training loss moved at most {fmt.pct(float(np.expm1(rough)))} "
              f"per point")
    return (turns if len(turns) >= T.ERRATIC_MIN_JUMPS else []), metrics, detail


def _erratic_jumps(view) -> tuple[list[int], dict, str]:
    va = view.val
    if va is not None and T.ERRATIC_SHORT_MIN_POINTS <= len(va) < T.ERRATIC_MIN_POINTS:
        return _short_run_reversals(view, va)
    if va is None or len(va) < T.ERRATIC_MIN_POINTS:
        return [], {}, f"needs at least {T.ERRATIC_SHORT_MIN_POINTS} validation points"
    tr = view.curve(TRAIN_LOSS)
    if tr is None or len(tr) < 3:
        tr = view.curve(TRUE_TRAIN_LOSS)
    if tr is None or len(tr) < T.ERRATIC_MIN_POINTS:
        return [], {}, "needs a training loss beside validation to tell erratic validation from a noisy task"
    w = binned(va, T.SPIKE_MAX_POINTS)
    v = w.scaled
    # a jump goes up from the point before AND comes back down at the point after (a pause in a fast
    # descent is neither): the smaller of the two steps, so a falling trend cannot fake one
    r = np.full(len(v), -np.inf)
    if len(v) >= 3:
        r[1:-1] = np.minimum(v[1:-1] - v[:-2], v[1:-1] - v[2:])
    win = odd_window(len(v), T.SPIKE_TREND_FRACTION, T.SPIKE_TREND_MIN_WINDOW, T.SPIKE_TREND_MAX_WINDOW)
    resid = v - loo_rolling_median(v, win)
    rough = train_roughness_beside(tr, va)
    if rough is None:
        rough = residual_sigma(tr)
    rough = max(rough, T.SPIKE_SIGMA_FLOOR)
    val_sigma = robust_sigma(resid)
    # heteroscedastic noise: near convergence (validation at a few % of its start) a handful of
    # examples moves the loss by tens of percent; jumps there are that noise, not an unstable model
    start = float(np.median(v[: max(1, len(v) // 10)]))
    base = np.full(len(v), -np.inf)
    if len(v) >= 3:
        base[1:-1] = np.minimum(v[:-2], v[2:])
    settled = ((base - start < np.log(T.ERRATIC_MIN_LEVEL)) & (v - start < np.log(T.ERRATIC_SETTLED_MAX_PEAK))
               if w.positive else np.zeros(len(v), bool))
    jumps = np.flatnonzero((r >= T.ERRATIC_MIN_LOG_JUMP) & (r >= T.ERRATIC_Z * rough) & ~settled)
    metrics = {"jumps": int(len(jumps)), "val_points": int(len(va)), "train_roughness": round(float(rough), 4),
               "val_roughness": round(float(val_sigma), 4),
               "largest_jump": round(float(np.expm1(r[jumps].max())), 3) if len(jumps) else 0.0,
               "jump_x": [float(w.x[j]) for j in jumps]}
    detail = (f"validation jumps up and back by >= {fmt.pct(float(np.expm1(T.ERRATIC_MIN_LOG_JUMP)))}: "
              f"{fmt.count(len(jumps), 'time')} in {fmt.count(len(va), 'point')}; "
              f"training roughness {fmt.pct(float(np.expm1(rough)))}")
    if rough > T.SMOOTH_TRAIN_MAX_SIGMA and val_sigma < T.ERRATIC_ROUGHER * rough:
        return [], metrics, detail + " (training is not smooth: the swings are shared)"
    return (jumps.tolist() if len(jumps) >= T.ERRATIC_MIN_JUMPS else []), metrics, detail


def detect(view) -> Detected:
    jumps, metrics, detail = erratic_jumps(view)
    if not metrics:
        return Detected([], detail, applicable=False)
    if not jumps:
        return Detected([], detail)
    w = binned(view.val, T.SPIKE_MAX_POINTS)
    xs = metrics["jump_x"]
    if metrics.get("short_run"):
        finding = Finding(
            kind="erratic_validation", severity="warning", series=VAL_LOSS, start=float(xs[0]), end=float(xs[-1]),
            x_axis=w.axis, metrics=metrics,
            summary=(f"validation loss turned around {fmt.count(len(jumps), 'time')} in only "
                     f"{fmt.count(metrics['val_points'], 'point')} (moves up to {fmt.ratio(1 + metrics['largest_jump'])}, "
                     f"between {fmt.num(float(np.min(w.y)))} and {fmt.num(float(np.max(w.y)))}) while the training loss moved "
                     f"at most {fmt.pct(float(np.expm1(metrics['train_roughness'])))} per point"))
        return Detected([finding], detail)
    # severity follows consequence: such a curve cannot pick a checkpoint - unless the jumps stopped
    # (none in the last ERRATIC_SETTLED_FRACTION of the points) and it ends at its best: they came on
    # the way down, and the final model is the best one evaluated
    calm = float(w.x[-1] - T.ERRATIC_SETTLED_FRACTION * (w.x[-1] - w.x[0]))
    settled = bool(w.positive and xs[-1] < calm and w.y[-1] <= float(np.min(w.y)) * (1 + T.ERRATIC_ENDS_AT_BEST_MARGIN))
    metrics["ends_at_best"] = settled
    tail = ("; the jumps stopped and validation ends at its best, so they did not cost the final model" if settled else "")
    finding = Finding(
        kind="erratic_validation",
        severity="info" if settled else "warning",
        series=VAL_LOSS,
        start=float(xs[0]),
        end=float(xs[-1]),
        x_axis=w.axis,
        metrics=metrics,
        summary=(f"validation loss jumped up and came back {fmt.count(len(jumps), 'time')} "
                 f"({fmt.span(w.axis, xs[0], xs[-1])}; largest {fmt.change(metrics['largest_jump'])} above its neighbours, "
                 f"between {fmt.num(float(np.min(w.y)))} and {fmt.num(float(np.max(w.y)))}) while the training loss moved "
                 f"only ~{fmt.pct(float(np.expm1(metrics['train_roughness'])))} around its trend{tail}"),
    )
    return Detected([finding], detail)
