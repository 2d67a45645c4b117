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
from .spike import residual_sigma, residuals_at, train_curve_beside, train_roughness_beside, warmup_points

CHECK = Check("erratic_validation", "Erratic validation", "validation jumping up and down repeatedly while training is smooth")


def erratic_jumps(view) -> tuple[list[int], dict, str]:
    """(indices of jumps in the working validation curve, metrics, detail); indices empty when none.
    Computed once per view (the spike, oscillation and overfitting checks ask too)."""
    key = ("erratic_jumps",)
    if key not in view._cache:
        got = _erratic_jumps(view)
        va = view.val
        if not got[0] and got[1] and va is not None and len(va) < T.ERRATIC_TURNS_MAX_POINTS and not got[1].get("short_run"):
            # a short run whose validation swings in a sawtooth has few up-and-back peaks but many turns
            turned = _short_run_reversals(view, va)
            if turned[0]:
                got = turned
        view._cache[key] = got
    return view._cache[key]


def _short_run_reversals(view, va) -> tuple[list[int], dict, str]:
    """A run with few validation points (4-5, and up to ERRATIC_TURNS_MAX_POINTS when the jump test
    finds too few) has no trend to measure jumps against; what it can show is validation turning
    around again and again by large factors that training does not share: a turn is two consecutive
    moves in opposite directions, each >= ERRATIC_SHORT_MIN_LOG_MOVE and each either against the
    training loss's move at the same step or ERRATIC_SHORT_TRAIN_RATIO times as large as it."""
    tr = view.curve(TRAIN_LOSS)
    if tr is None or len(tr) < 3:
        tr = view.curve(TRUE_TRAIN_LOSS)
    if tr is None or len(tr) < 3 or not (tr.positive and va.positive) or tr.axis != va.axis:
        return [], {}, f"needs at least {T.ERRATIC_MIN_POINTS} validation points"
    v = np.log(va.y)
    t = np.log(np.interp(va.x, tr.x, tr.y))
    dv, dt = np.diff(v), np.diff(t)
    own = (np.abs(dv) >= T.ERRATIC_SHORT_MIN_LOG_MOVE) & (
        (np.sign(dv) != np.sign(dt)) | (np.abs(dv) >= T.ERRATIC_SHORT_TRAIN_RATIO * np.abs(dt)))
    turns = [k + 1 for k in range(len(dv) - 1) if np.sign(dv[k]) != np.sign(dv[k + 1]) and own[k] and own[k + 1]]
    rough = float(np.max(np.abs(dt)))
    metrics = {"jumps": len(turns), "val_points": int(len(va)), "train_roughness": round(rough, 4),
               "val_roughness": round(float(np.median(np.abs(dv))), 4),
               "largest_jump": round(float(np.expm1(np.max(np.abs(dv)))), 3), "jump_x": [float(va.x[k]) for k in turns],
               "short_run": True}
    detail = (f"{fmt.count(len(va), 'validation point')}: validation turned around {fmt.count(len(turns), 'time')} by "
              f">= {fmt.ratio(float(np.exp(T.ERRATIC_SHORT_MIN_LOG_MOVE)))} each way, moves training did not share "
              f"(training moved at most {fmt.pct(float(np.expm1(rough)))} per point)")
    return (turns if len(turns) >= T.ERRATIC_MIN_JUMPS else []), metrics, detail


def excursion_rises(v: np.ndarray) -> np.ndarray:
    """Per point, how far it stands above both sides of its excursion (log units; -inf: none).

    An excursion is one point above the points before and after it, or two consecutive points both
    above the point before and the point after the pair (validation that stays up for two
    evaluations and comes back is the same swing). The rise is the smaller of the two steps, so a
    falling trend cannot fake one; a pair's rise goes to its higher point, and a point keeps the
    larger of its one- and two-point readings - unless it is the other point of an already counted pair."""
    n = len(v)
    r = np.full(n, -np.inf)
    if n < 3:
        return r
    r[1:-1] = np.minimum(v[1:-1] - v[:-2], v[1:-1] - v[2:])
    if n >= 4:
        low = np.minimum(v[1:-2], v[2:-1])  # the lower point of each pair (i, i+1), i = 1 .. n-3
        pair = np.minimum(low - v[:-3], low - v[3:])
        for i in np.flatnonzero(pair > np.maximum(r[1:-2], r[2:-1])) + 1:
            top, other = (i, i + 1) if v[i] >= v[i + 1] else (i + 1, i)
            if r[other] <= pair[i - 1] or not np.isfinite(r[other]):
                r[top] = max(r[top], pair[i - 1])
                r[other] = -np.inf
    return r


def _never_rose(c) -> bool:
    """A curve (at validation's cadence) that fell or held at every point: it showed no noise."""
    return c is not None and len(c) >= T.ERRATIC_MIN_POINTS and bool(np.all(np.diff(c.y) <= 0))


def _start_level(v: np.ndarray, tr) -> float:
    """The loss level training started from (log), the yardstick of 'validation near convergence':
    validation's first points, but never above the training loss's first point at validation's cadence
    (an average over the first interval) - both measure the same barely trained model on the same
    loss, and one wild first evaluation (Balupurohit23: validation 620 beside a training loss of 5.4)
    would otherwise make every later jump look like noise at a few percent of the start."""
    start = float(np.median(v[: max(1, len(v) // 10)]))
    if tr is not None and tr.positive and len(tr):
        start = min(start, float(np.log(tr.y[0])))
    return start


def _relative(w, rise: float) -> float:
    """A jump (scaled units) as a relative change; for a loss that touches zero, where the scaled units
    are multiples of its typical magnitude, that multiple (expm1 of it would overflow on a test loss
    printed as 0.0000 at half its epochs)."""
    return round(float(np.expm1(rise)) if w.positive else float(rise), 3)


def _jump_text(w, jump: float) -> str:
    """+54% for a positive loss; for a loss that touches zero, the amount (jumps from ~0 have no ratio)."""
    return fmt.change(jump) if w.positive else "+" + fmt.num(float(w.unscale(np.array([jump]))[0]))


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
    r = excursion_rises(v)
    win = odd_window(len(v), T.SPIKE_TREND_FRACTION, T.SPIKE_TREND_MIN_WINDOW, T.SPIKE_TREND_MAX_WINDOW)
    resid = v - loo_rolling_median(v, win)
    rough = train_roughness_beside(tr, va)
    if rough is None:
        rough = residual_sigma(tr)
    beside = train_curve_beside(tr, va)
    if _never_rose(beside) and (view.true_train is None or _never_rose(train_curve_beside(view.true_train, va))):
        # a training loss that fell at every evaluation showed no noise at all: its residuals from a
        # rolling median are the changing pace of a steep descent (1uf3n: x2500 in 10 epochs read
        # as '49% rough'), not bounce - validation's jumps are judged against the noise floor (the
        # true training loss, when logged, must not have moved up either: it sees what the average hides)
        rough = T.SPIKE_SIGMA_FLOOR
    rough = max(rough, T.SPIKE_SIGMA_FLOOR)
    val_sigma = robust_sigma(resid)
    # heteroscedastic noise: near convergence (validation at a few % of its start) a handful of
    # examples moves the loss by tens of percent; jumps there are that noise, not an unstable model
    start = _start_level(v, tr if beside is None else beside) if w.positive else 0.0
    base = np.full(len(v), -np.inf)
    if len(v) >= 3:
        base[1:-1] = np.minimum(v[:-2], v[2:])
    settled = ((base - start < np.log(T.ERRATIC_MIN_LEVEL)) & (v - start < np.log(T.ERRATIC_SETTLED_MAX_PEAK))
               if w.positive else np.zeros(len(v), bool))
    candidate = (r >= T.ERRATIC_Z * rough) & ~settled
    candidate[: warmup_points(len(v))] = False  # early swings: the trend is not established yet (as for spikes)
    jumps = np.flatnonzero(candidate & (r >= T.ERRATIC_MIN_LOG_JUMP))
    small = np.flatnonzero(candidate & (r >= T.ERRATIC_INFO_MIN_LOG_JUMP))
    shared_note = ""
    if rough > T.SMOOTH_TRAIN_MAX_SIGMA:
        # a rough training loss is no smooth reference: a jump counts only when training did not make
        # it too (a swing both curves make is the task's noise or a shared event) and - unless
        # validation as a whole is ERRATIC_ROUGHER times as rough as training - it stands out from
        # validation's own usual bounce as well (a few big jumps hardly move validation's robust scale)
        much_rougher = val_sigma >= T.ERRATIC_ROUGHER * rough
        if beside is None and not much_rougher:
            jumps = small = np.array([], int)
            shared_note = " (training is not smooth: the swings may be shared)"
        elif beside is not None:
            def own(idx):
                keep = residuals_at(beside, w.x[idx]) < T.ERRATIC_SHARED_SHARE * r[idx]
                return idx[keep if much_rougher else keep & (r[idx] >= T.ERRATIC_Z * val_sigma)]

            jumps, small = own(jumps), own(small)
            shared_note = " (training is rough: jumps it made too" + (
                "" if much_rougher else f", or within {T.ERRATIC_Z:g}x validation's own bounce of {fmt.pct(float(np.expm1(val_sigma)))},") + " are not counted)"
    metrics = {"jumps": int(len(jumps)), "val_points": int(len(va)), "train_roughness": round(float(rough), 4),
               "val_roughness": round(float(val_sigma), 4),
               "largest_jump": _relative(w, r[jumps].max()) if len(jumps) else 0.0,
               "jump_x": [float(w.x[j]) for j in jumps]}
    detail = (f"validation jumps up and back by >= {fmt.pct(float(np.expm1(T.ERRATIC_MIN_LOG_JUMP)))}: "
              f"{fmt.count(len(jumps), 'time')} in {fmt.count(len(va), 'point')}; "
              f"training roughness {fmt.pct(float(np.expm1(rough)))}{shared_note}")
    if len(small) >= max(T.ERRATIC_MIN_JUMPS, T.ERRATIC_INFO_MIN_SHARE * len(v)):
        metrics["small_jump_x"] = [float(w.x[j]) for j in small]
        metrics["largest_small_jump"] = _relative(w, r[small].max())
    elif (len(v) >= T.ERRATIC_NOISY_MIN_POINTS and val_sigma >= T.ERRATIC_NOISY_MIN_SIGMA
          and val_sigma >= T.ERRATIC_NOISY_RATIO * rough):
        # no clean up-and-back peaks, but validation as a whole is an order of magnitude rougher than
        # training (a random walk around its trend): the same 'noisy validation' reading
        up = np.flatnonzero((resid >= val_sigma) & np.isfinite(r))
        up = up[up >= warmup_points(len(v))]
        if len(up) >= T.ERRATIC_MIN_JUMPS:
            metrics["small_jump_x"] = [float(w.x[j]) for j in up]
            metrics["largest_small_jump"] = _relative(w, resid[up].max())
            metrics["rough_only"] = True
    repeated = len(jumps) >= max(T.ERRATIC_MIN_JUMPS, T.ERRATIC_MIN_SHARE * len(v))
    return (jumps.tolist() if repeated else []), metrics, detail


def detect(view) -> Detected:
    jumps, metrics, detail = erratic_jumps(view)
    if not metrics:
        return Detected([], detail, applicable=False)
    w = binned(view.val, T.SPIKE_MAX_POINTS)
    if not jumps and metrics.get("small_jump_x"):
        return Detected([_noisy_validation(w, metrics)], detail)
    if not jumps:
        return Detected([], detail)
    xs = metrics["jump_x"]
    if metrics.get("short_run"):
        # severity follows consequence: validation ending at its best means the final model is the best
        # one evaluated, whatever the swings before
        at_best = _ends_at_best(w)
        metrics["ends_at_best"] = at_best
        finding = Finding(
            kind="erratic_validation", severity="info" if at_best else "warning", series=VAL_LOSS, start=float(xs[0]), end=float(xs[-1]),
            x_axis=w.axis, metrics=metrics,
            summary=(f"validation loss turned around {fmt.count(len(jumps), 'time')} in only "
                     f"{fmt.count(metrics['val_points'], 'point')} (moves up to {fmt.ratio(1 + metrics['largest_jump'])}, "
                     f"between {fmt.num(float(np.min(w.y)))} and {fmt.num(float(np.max(w.y)))}) while the training loss "
                     f"moved at most {fmt.pct(float(np.expm1(metrics['train_roughness'])))} per point"
                     + ("; validation ends at its best, so the swings did not cost the final model" if at_best else "")))
        return Detected([finding], detail)
    # severity follows consequence: such a curve cannot pick a checkpoint - unless the jumps stopped
    # (none in the last ERRATIC_SETTLED_FRACTION of the points) and it ends at its best: they came on
    # the way down, and the final model is the best one evaluated
    calm = float(w.x[-1] - T.ERRATIC_SETTLED_FRACTION * (w.x[-1] - w.x[0]))
    settled = bool(xs[-1] < calm and _ends_at_best(w))
    metrics["ends_at_best"] = settled
    tail = ("; the jumps stopped and validation ends at its best, so they did not cost the final model" if settled else "")
    # ... or the jumps are validation's usual bounce: no larger than ERRATIC_WARNING_OWN_Z x its own
    # noise, and that noise itself moderate (below ERRATIC_WARNING_MIN_SIGMA): a steadily noisy
    # evaluation (a small validation set) - worth knowing, not a model that turns unstable
    val_sigma = float(metrics.get("val_roughness", 0.0))
    usual = (not settled and val_sigma < T.ERRATIC_WARNING_MIN_SIGMA
             and np.log1p(metrics["largest_jump"]) < T.ERRATIC_WARNING_OWN_Z * val_sigma)
    metrics["usual_bounce"] = bool(usual)
    if usual:
        tail = (f"; no jump stands out from validation's own bounce (~{fmt.pct(float(np.expm1(val_sigma)))} per point): "
                "a steadily noisy evaluation (a small validation set?) rather than an unstable model")
    finding = Finding(
        kind="erratic_validation",
        severity="info" if settled or usual else "warning",
        series=VAL_LOSS,
        start=float(xs[0]),
        end=float(xs[-1]),
        x_axis=w.axis,
        metrics=metrics,
        summary=(f"validation loss jumped up and came back {fmt.count(len(jumps), 'time')} "
                 f"({fmt.span(w.axis, xs[0], xs[-1])}; largest {_jump_text(w, metrics['largest_jump'])} above its neighbours, "
                 f"between {fmt.num(float(np.min(w.y)))} and {fmt.num(float(np.max(w.y)))}) while the training loss moved "
                 f"only ~{fmt.pct(float(np.expm1(metrics['train_roughness'])))} around its trend{tail}"),
    )
    return Detected([finding], detail)


def _ends_at_best(w) -> bool:
    """Validation ends within ERRATIC_ENDS_AT_BEST_MARGIN of its best: the final model is the best one evaluated."""
    return bool(w.positive and w.y[-1] <= float(np.min(w.y)) * (1 + T.ERRATIC_ENDS_AT_BEST_MARGIN))


def _noisy_validation(w, metrics) -> Finding:
    """Repeated jumps of +15-25% beside a smooth training loss: worth knowing (checkpoints closer than
    that cannot be told apart), not an alarm by itself (info)."""
    xs = metrics["small_jump_x"]
    return Finding(
        kind="erratic_validation", severity="info", series=VAL_LOSS, start=float(xs[0]), end=float(xs[-1]),
        x_axis=w.axis, metrics=dict(metrics, jumps=len(xs), largest_jump=metrics["largest_small_jump"], jump_x=xs, noisy_only=True),
        summary=(f"validation loss is noisy: it jumped up and came back {fmt.count(len(xs), 'time')} "
                 f"({fmt.span(w.axis, xs[0], xs[-1])}; up to {fmt.change(metrics['largest_small_jump'])} above its "
                 f"neighbours) while the training loss moved only ~{fmt.pct(float(np.expm1(metrics['train_roughness'])))} "
                 f"around its trend; differences between checkpoints smaller than that are noise"))
