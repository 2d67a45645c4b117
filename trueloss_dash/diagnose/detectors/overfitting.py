"""Overfitting: validation loss reaches its best, then rises while the training loss keeps falling.

Prechelt's generalization loss GL = val_recent / val_best - 1, with ``val_recent`` the median of the
last few points so one noisy epoch neither triggers nor hides it (the last point when validation rose
at every move since its best: a climb has no noise to average away); the training loss (true one when
logged) must have kept falling since the best validation point. The best point is where early
stopping would have kept the weights.
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import HUMAN_LABELS, TRAIN_LOSS, TRUE_TRAIN_LOSS
from .. import thresholds as T
from ..model import Finding
from ..noise import best_level, level_window, median_se, metric_change, trend_t, validation_noise
from ..signals import binned, pct, rolling_median
from . import Check, Detected

CHECK = Check("overfitting", "Overfitting", "validation loss rising after its best while training keeps falling")


def _metric_still_improves(view) -> bool:
    """A validation metric improved beyond its own noise since the loss's best (the same test as the
    metric-disagreement check)."""
    from . import metric_disagreement

    try:
        return bool(metric_disagreement.detect(view, judge_loss_noise=False).findings)
    except (ValueError, IndexError, FloatingPointError):
        return False


def detect(view) -> Detected:
    va = view.val
    if va is None or len(va) < T.OVERFIT_SHORT_MIN_POINTS:
        return Detected([], f"needs at least {T.OVERFIT_SHORT_MIN_POINTS} validation points", applicable=False)
    w = binned(va)
    v = w.scaled
    n = len(v)
    short = n < T.OVERFIT_MIN_POINTS
    b = int(np.argmin(v))  # where early stopping would have kept the weights
    after = n - 1 - b
    # a short run has no "recent median" to speak of: its last point is the model it ends with
    recent_n = max(2, min(max(T.OVERFIT_RECENT_POINTS, n // 20), after)) if after > 1 and not short else 1
    # a climb (up at every move since the best) has no noise for a median to average away
    climbing = after >= T.OVERFIT_CLIMB_MIN_MOVES and bool(np.all(np.diff(v[b:]) > 0))
    if climbing:
        recent_n = 1
    recent = float(np.median(v[-recent_n:]))
    gl = float(np.exp(recent - v[b]) - 1) if w.positive else float(recent - v[b])
    # the best point of a noisy curve is a lucky low (the minimum of many noisy points sits under the
    # level): the rise must also hold against the best of the smoothed curve (rolling median)
    ws = 1 if short else level_window(n)
    sm = rolling_median(v, ws) if ws > 1 else v
    gl_smooth = float(np.exp(recent - sm.min()) - 1) if w.positive else float(recent - sm.min())
    best_x = float(w.x[b])
    # the noise model: validation's own point-to-point scale; a rise inside it is not overfitting
    # heteroscedastic: a validation set that gets noisier as the loss falls (a few batches at a low
    # loss) is judged by the noise of the stretch since its best, not by the run-wide scale its
    # smooth early descent pulls down
    noise = validation_noise(w, b) if n >= T.OVERFIT_MIN_POINTS and w.positive else 0.0
    best_val = float(w.y[b])
    detail = (f"best validation {fmt.num(best_val)} at {fmt.at(w.axis, best_x)}, {fmt.count(after, 'point')} after it, "
              f"GL {pct(gl)}" + (f" ({fmt.count(n, 'validation point')} only)" if short else ""))
    min_after = 1 if short else T.OVERFIT_MIN_POINTS_AFTER_BEST
    min_gl = T.OVERFIT_SHORT_GL if short else T.OVERFIT_GL_MIN
    # a short run whose validation rose at every evaluation since its best (two or more) by a smaller
    # amount is an early sign worth knowing, not a verdict: info (AsimWattoo: 0.274 -> 0.278 -> 0.303
    # in the last 2 of 4 epochs while training fell 29%)
    early = (short and after >= 2 and bool(np.all(np.diff(v[b:]) > 0))
             and T.OVERFIT_SHORT_EARLY_GL <= gl < T.OVERFIT_SHORT_GL)
    if early:
        min_gl = T.OVERFIT_SHORT_EARLY_GL
    if after < min_after or gl < min_gl:
        return Detected([], detail + (f"; a run this short needs GL >= {pct(min_gl)}" if short else ""))
    # validation that never improved on its start while the training loss keeps falling is the same
    # failure to generalise, whatever the noisy best point says
    never_improved = (not short and w.positive and n >= T.OVERFIT_FLAT_MIN_POINTS
                      and float(sm[-1] - sm[: max(1, ws)].min()) >= -T.OVERFIT_FLAT_MAX_LOG_GAIN)
    if not short and after < T.OVERFIT_LATE_BEST_FRACTION * n and gl < T.OVERFIT_SHORT_GL:
        return Detected([], detail + f"; the best came in the last {pct(T.OVERFIT_LATE_BEST_FRACTION)} of the run: "
                        "too soon to tell a small rise from noise")
    from .erratic_validation import erratic_jumps

    if not short and erratic_jumps(view)[0]:
        # erratic validation jumps up and comes back: the evaluations that came out high are the
        # disturbed ones, and the last points are as likely to sit on a jump as the rest. What the
        # model itself did is the curve's lower envelope (each point or a neighbour, whichever is
        # lower): overfitting must lift that too (dev-60105: lows 2.57, 1.96, 2.12 under jumps to
        # 7.5-16.7, the last point one of them)
        low = np.minimum(v, np.minimum(np.r_[v[1:], np.inf], np.r_[np.inf, v[:-1]]))
        gl_low = float(np.exp(np.median(low[-recent_n:]) - v[b]) - 1) if w.positive else gl_smooth
        if min(gl_smooth, gl_low) < T.OVERFIT_SHORT_GL:
            return Detected([], detail + f"; validation is erratic and its smoothed curve rose only "
                            f"{pct(min(gl_smooth, gl_low))} from its best (jumps excluded)")
    if gl_smooth < min_gl and not never_improved:
        return Detected([], detail + f"; against the smoothed curve's best only {pct(gl_smooth)}: the best point was a noisy low")
    # GL compares a median of recent_n points with the best: its noise is the per-point scale / sqrt(recent_n)
    if w.positive and np.log1p(gl) < T.OVERFIT_NOISE_Z * noise / np.sqrt(recent_n):
        return Detected([], detail + f"; within validation's own noise (~{pct(float(np.expm1(noise)))} per point)")
    flat_note = ""
    # a noisy run's best point is the luckiest of many: judge the rise from the level around it
    # (noise.best_level) - a real minimum is a broad valley, a lucky low is one point under a level
    # validation then held (stalled, not getting worse: info - early stopping would still have stopped
    # there); both medians carry noise, so the rise must clear the noise of their difference
    found_level = best_level(v, b, ws) if w.positive and not climbing else None
    if found_level is not None:
        level, m, around = found_level
        spread = T.OVERFIT_NOISE_Z * float(np.hypot(median_se(noise, recent_n), median_se(noise, m)))
        if recent - level < spread:
            flat_note = (f"; only {pct(float(np.expm1(recent - level)))} above {around}, within validation's noise: "
                         "validation stalled there - the best point was a lucky low, the model is not getting worse")
            detail += flat_note

    train_name = TRUE_TRAIN_LOSS if view.true_train is not None and len(view.true_train) >= 3 else TRAIN_LOSS
    tr = view.curve(train_name)
    train_drop = None
    if tr is not None and len(tr) >= 3 and tr.positive:
        tb = binned(tr)
        # the training loss over the interval validation's best closes (from the evaluation before it):
        # read at the one x, a step-level loss that jumped right there reads the jump into 'then' and
        # makes a rise of both curves look like training still falling
        since = float(w.x[b - 1]) if b > 0 else -np.inf
        inside = (tb.x > since) & (tb.x <= best_x)
        at_best = (float(np.median(np.log(tb.y[inside]))) if np.count_nonzero(inside) >= 2
                   else float(np.log(tb.at(np.array([best_x]))[0])))
        tail = tb.x >= w.x[-recent_n]
        t_recent = float(np.median(np.log(tb.y[tail]))) if tail.any() else float(np.log(tb.y[-1]))
        train_drop = at_best - t_recent
        detail += f"; {train_name} fell {pct(1 - np.exp(-train_drop))} since"
        # still falling is measured against training's own noise: a few percent is enough when the
        # trend since the best falls far beyond its scatter (a full-batch loss falling at every one of
        # 466 epochs, 217.4 -> 216.9, while validation climbs +48%: elpis51613)
        since_best = tb.y[tb.x >= best_x]
        t_since = trend_t(since_best) if len(since_best) >= T.OVERFIT_TRAIN_STEADY_MIN_POINTS else 0.0
        steady = train_drop >= T.OVERFIT_TRAIN_STEADY_MIN_LOG_DROP and t_since <= -T.OVERFIT_TRAIN_STEADY_T
        if train_drop < T.OVERFIT_TRAIN_MIN_LOG_DROP and not steady:
            return Detected([], detail + " (not enough to call overfitting)")
        if steady and train_drop < T.OVERFIT_TRAIN_MIN_LOG_DROP:
            far = f"{abs(t_since):.0f}" if np.isfinite(t_since) else "far more than 10"
            detail += f" (a steady fall: its trend since the best is {far} standard errors below flat)"
        if gl_smooth < min_gl and never_improved and float(np.log(tb.y[0]) - t_recent) < T.OVERFIT_FLAT_TRAIN_MIN_LOG_DROP:
            return Detected([], detail + "; validation never improved, but training did not fall enough either")
    elif gl < T.OVERFIT_GL_WARNING or short:
        return Detected([], detail)

    # severity follows consequence: a steady climb since the best is a warning at GL5; a rise that went
    # up and down on its way (evaluation noise in it) at GL10, the final model clearly worse than the best
    big_enough = gl >= (T.OVERFIT_GL_WARNING if climbing else T.OVERFIT_GL_WARNING_UNEVEN)
    severity = "warning" if big_enough and not flat_note and not early else "info"
    held_note = flat_note
    if severity == "warning" and gl < T.METRIC_RISE_WARNING and _metric_still_improves(view):
        # corroborating metric: it kept improving since the loss's best, so the final model is not
        # worse at the task - a mild loss rise is info (the metric-disagreement finding explains it)
        severity = "info"
    elif severity == "warning" and gl < T.METRIC_RISE_WARNING:
        # ... or it held: no worse (beyond METRIC_HELD_Z of its own noise) at the end than at
        # the loss's best - the final model is no worse at the task; the loss rise is confidence
        # on the examples it gets wrong (severity follows consequence: info)
        mc = metric_change(view, best_x, float(w.x[-1]), local_noise=True)
        if mc is not None and mc.z > -T.METRIC_HELD_Z:
            severity = "info"
            held_note = f"; {mc.name.replace('_', ' ')} held ({'+' if mc.better >= 0 else ''}{fmt.num(mc.better)} in its better direction since), so the final model is no worse at the task"
    drop_txt = (f" while the {HUMAN_LABELS.get(train_name, train_name)} fell to {fmt.pct(float(np.exp(-train_drop)))} of its level then"
                if train_drop is not None else "")
    finding = Finding(
        kind="overfitting",
        severity=severity,
        series="val_loss",
        start=best_x,
        end=float(w.x[-1]),
        x_axis=w.axis,
        metrics={
            "best_x": best_x,
            "best_val": best_val,
            "recent_val": float(np.exp(recent)) if w.positive else recent,
            "generalization_loss": round(gl, 4),
            "points_after_best": after,
            "train_log_drop_since_best": None if train_drop is None else round(train_drop, 4),
            "train_series": train_name,
            "val_points": n,
            "val_noise": round(float(noise), 4),
            "climbing": climbing,
        },
        summary=f"validation loss bottomed at {fmt.num(best_val)} at {fmt.at(w.axis, best_x)} and is now {pct(gl)} higher "
        f"(generalization loss){drop_txt}"
        + ("; smoothed, validation never improved on its first epochs while training kept falling"
           if gl_smooth < min_gl else "")
        + (f"; it rose at every one of the {fmt.count(after, 'point')} since" if climbing else "") + held_note + (f" - only {fmt.count(n, 'validation point')}: an early sign, not yet a verdict" if early else
           f" - only {fmt.count(n, 'validation point')}, but the rise is large" if short else ""),
    )
    return Detected([finding], detail)
