"""Oscillation: the training loss swings up and down by LR-sized amounts with no trend. A log with
no training curve (fewer than OSCILLATION_MIN_POINTS points) is judged on its validation loss.

On epoch means (or bins of a step-level loss): consecutive differences alternate in sign, the typical
swing is large (relative, on log-loss) and exceeds both the net trend per point and, for binned
step-level logs, the noise expected from averaging minibatches (within-bin spread / sqrt(count)).
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import HUMAN_LABELS, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS
from .. import thresholds as T
from ..model import Finding
from ..noise import metric_change, trend_t, typical_swing
from ..signals import Curve, overlap, pct
from . import Check, Detected

CHECK = Check("oscillation", "Oscillation", "sign-alternating swings of the training loss with no trend")

_MAX_POINTS = 100


def _bin_stats(x, v, bins):
    n = len(v)
    edges = np.linspace(0, n, bins + 1).astype(np.int64)[:-1]
    cnt = np.diff(np.append(edges, n))
    m = np.add.reduceat(v, edges) / cnt
    m2 = np.add.reduceat(v * v, edges) / cnt
    sd = np.sqrt(np.maximum(m2 - m * m, 0))
    return np.add.reduceat(x, edges) / cnt, m, sd / np.sqrt(cnt)


def _logged_on_steps(view, name: str) -> bool:
    """The loss was logged on a step schedule even though the report reads it on epochs: several
    points share an epoch (per-batch rows) or consecutive points are more than one epoch apart
    (Lightning's ``log_every_n_steps``). Such points are single-batch values, not epoch means."""
    s = view.run.get(name)
    if s is None or s.epoch is None or s.step is None:
        return False
    e = s.epoch[np.isfinite(s.epoch) & np.isfinite(s.y)]
    if len(e) < T.OSCILLATION_MIN_POINTS:
        return False
    d = np.diff(np.sort(e))
    return bool(np.mean(d == 0) >= T.OSCILLATION_STEP_LOGGED_SHARE or np.median(d) > 1)


def _sampling_noise(view, name: str, n_points: int) -> float:
    """The chance move of a logged point (log units) when the log says how many examples it
    averages: batch size (context) x training steps per point. A fine-tune logging the mean of 500
    single-example steps moves ~4.5% between points by sampling alone. Means over the whole
    training set (full-batch, or one point per epoch) have no such noise - the same examples every
    time (finite-population factor 1 - n/N, N from n_train or from steps per epoch); 0 when the
    batch size or the step axis is unknown."""
    batch = view.run.context.batch_size
    s = view.run.get(name)
    if not batch or s is None or s.step is None or n_points < 2:
        return 0.0
    ok = np.isfinite(s.step)
    steps = s.step[ok]
    if len(steps) < 2 or steps[-1] <= steps[0]:
        return 0.0
    per_point = batch * float(steps[-1] - steps[0]) / (n_points - 1)
    dataset = view.run.context.n_train
    if dataset is None and s.epoch is not None:
        epochs = s.epoch[ok]
        if np.all(np.isfinite(epochs)) and epochs[-1] > epochs[0]:
            dataset = batch * float(steps[-1] - steps[0]) / float(epochs[-1] - epochs[0])
    unseen = 1.0 - per_point / dataset if dataset else 1.0
    if unseen <= 0:
        return 0.0
    return T.OSCILLATION_EXAMPLE_CV * float(np.sqrt(unseen / max(per_point, 1.0)))


def _consequence(view, c, x, m, lo, swing: float) -> tuple[str, str]:
    """Warning only when the bouncing costs something (docs/diagnosis.md, "Severity"): the loss is
    still far from where it could get, and - when validation is logged - the evaluated model swings
    too (or a validation metric gets worse). Otherwise the swings are the noise of a loss near
    convergence, and the finding is info. ``swing``: the typical rise of ``m[lo:]`` (:func:`_moves`)."""
    # the start is the first few points (a loss that falls 15x in its first tenth has a median there
    # far below where it started: LEEDONGQUE 1.05 -> 0.06 read as 'still at 20% of its start')
    end_m, start_m = m[-max(2, len(m) // 5):], m[: max(1, min(3, len(m) // 10))]
    if c.positive:
        level = float(np.exp(np.median(end_m) - np.median(start_m)))
    else:
        # a loss that touches zero or dips below it (a memorised fine-tune logging -0.0003 .. 0.02):
        # its level against the start by magnitude - relative moves of a loss at ~0 are not LR swings
        y = np.asarray(c.y, float)
        k_end, k_start = max(2, len(y) // 5), max(1, min(3, len(y) // 10))
        start_mag = float(np.median(np.abs(y[:k_start])))
        level = float(np.median(np.abs(y[-k_end:])) / start_mag) if start_mag > 0 else 1.0
    if level < T.OSCILLATION_HARM_MIN_REMAINING and (not c.positive or swing < T.OSCILLATION_CONVERGED_MAX_LOG_RISE):
        return "info", (f"at {fmt.pct(level)} of its start these moves are the noise of a loss near convergence, "
                        "not an unstable learning rate")
    # (the rate raised on purpose first: a warm-restart schedule also 'fell' over the stretch, but its
    # rises are its restarts, not noise that outlasted the rate)
    restarts = _rises_at_lr_restarts(view, c, x, m, lo, swing) or _sawtooth(m, lo, swing)
    if restarts is not None:
        return "info", restarts
    decayed = _swings_outlast_the_lr(view, c, x, m, lo)
    if decayed is not None:
        return "info", decayed
    va = view.val
    if va is not None and c.name != VAL_LOSS and len(va) >= 3:
        # however few the evaluations, validation that improved at every one of them since the swings
        # began shows an evaluated model that is not unstable (DarkStarStrix: 7 evaluations falling
        # 0.620 -> 0.563 beside single-batch training losses bouncing 0.44-0.71)
        # (steadily: no rise between evaluations as large as a visible bounce, OSCILLATION_BOUNCE_MIN_LOG_SWING,
        # so a 2% evaluation wobble on a falling curve does not undo the reading)
        # - unless a validation metric got worse meanwhile (the loss hides what the task sees)
        sub = va.x >= x[lo]
        seg = va.y[sub] if sub.sum() >= 3 else va.y
        mc0 = metric_change(view, float(x[lo]), float(x[-1]))
        if (va.positive and seg[-1] < seg[0] and np.all(np.diff(np.log(seg)) < T.OSCILLATION_BOUNCE_MIN_LOG_SWING)
                and not (mc0 is not None and mc0.z <= -T.METRIC_CORROBORATE_Z)):
            return "info", (f"validation kept improving over its {len(seg)} evaluations meanwhile (never up by "
                            f"{fmt.pct(float(np.expm1(T.OSCILLATION_BOUNCE_MIN_LOG_SWING)))} or more): the model that is "
                            "evaluated is not unstable")
    if va is not None and c.name != VAL_LOSS and len(va) >= T.OSCILLATION_MIN_POINTS and va.positive:
        sub = va.x >= x[lo]
        vseg = Curve(va.name, va.axis, va.x[sub], va.y[sub]) if sub.sum() >= 5 else va
        tseg = Curve(c.name, c.axis, x[lo:], np.exp(m[lo:]) if c.positive else m[lo:])
        v_sw, t_sw = typical_swing(vseg), typical_swing(tseg)
        mc = metric_change(view, float(x[lo]), float(x[-1]))
        worse = mc is not None and mc.z <= -T.METRIC_CORROBORATE_Z
        from .erratic_validation import erratic_jumps

        if erratic_jumps(view)[0] and not worse:
            return "info", ("validation jumps on its own (erratic validation), so its swings do not show the training "
                            "instability reaching the evaluated model")
        if v_sw < T.OSCILLATION_VAL_SHARE * t_sw and not worse:
            tail = f" and {mc.name.replace('_', ' ')} did not get worse" if mc is not None else ""
            return "info", (f"validation stays steady (moves ~{fmt.pct(float(np.expm1(v_sw)))} against training's "
                            f"~{fmt.pct(float(np.expm1(t_sw)))}){tail}: the model that is evaluated is not unstable")
        together, n_moves = _shared_moves(vseg, tseg)
        # beyond what independent noises reach by chance over n moves (one-sided, ~5%)
        need = max(T.OSCILLATION_MIN_SHARED_CORR, T.OSCILLATION_SHARED_CORR_Z / np.sqrt(max(n_moves, 1)))
        if together is not None and n_moves >= T.OSCILLATION_SHARED_MIN_MOVES and together < need and not worse:
            # an unstable LR moves the weights, so the evaluated model gets worse at the same points as
            # the training loss; validation swinging at other points is its own evaluation noise
            return "info", (f"validation swings (~{fmt.pct(float(np.expm1(v_sw)))}) but not with training (correlation of "
                            f"their moves {together:.2f}): its own evaluation noise, not the training instability reaching the model")
        return "warning", (f"validation swings too (~{fmt.pct(float(np.expm1(v_sw)))})" +
                           (f", with training (correlation of their moves {together:.2f})" if together is not None else "") +
                           (f" and {mc.name.replace('_', ' ')} got worse" if worse else ""))
    if (c.axis == "step" or _logged_on_steps(view, c.name)) and c.binned_from is None and len(c) <= _MAX_POINTS:
        return "info", ("single-batch step losses without validation: these swings cannot be told from minibatch noise; "
                        "log validation to judge stability") if c.name != VAL_LOSS else (
            "step-logged validation with no training loss beside it: these swings cannot be told from evaluation noise; "
            "log the training loss to judge stability")
    # no validation to judge the evaluated model by: what the swings cost is learning stopped. A loss
    # whose trend still falls far beyond its own scatter through them has not stopped (a training-only
    # log whose start was not logged reads 'still at 30% of its start' after a fast descent it missed)
    # (and by more than a few of its typical rises: ±18% period-2 bounces on a slow descent are an LR
    # too high even though the trend still falls)
    # (validation standing in for a missing training curve is itself what was evaluated: what would settle
    # it is the training loss beside it)
    other = ("log validation to judge whether the evaluated model is unstable" if c.name != VAL_LOSS else
             "log the training loss beside it to tell evaluation noise from unstable training")
    seg = m[lo:]
    falling = trend_t(np.exp(seg)) if c.positive else 0.0
    rises = np.diff(seg)[np.diff(seg) > 0]
    progress = float(seg[0] - seg[-1]) / float(np.median(rises)) if c.positive and len(rises) else 0.0
    if falling <= -T.OSCILLATION_STILL_FALLING_T and progress >= T.OSCILLATION_PROGRESS_OVER_RISE:
        return "info", (f"the loss still falls on its trend through the swings ({_t_phrase(falling)} standard errors below "
                        f"flat, {progress:.1f}x its typical rise over the stretch): they have not stopped learning; {other}")
    z = _sign_alternation_z(seg) if c.positive else None
    if z is not None and abs(z) < T.OSCILLATION_STRUCTURE_Z:
        return "info", (f"the swings have no pattern - deviations from the trend change sign as often as independent "
                        f"scatter does ({z:+.1f} standard errors from chance over {len(seg)} points) - so "
                        + ("without validation " if c.name != VAL_LOSS else "on their own ")
                        + f"they cannot be told from measurement noise; {other}")
    return "warning", f"the loss is still at {fmt.pct(level)} of its start" + (
        f"; its deviations from the trend {'alternate' if z > 0 else 'run in waves'} beyond chance ({z:+.1f} standard errors): "
        "a pattern, not independent scatter" if z is not None else "")


def _sign_alternation_z(seg: np.ndarray) -> float | None:
    """How far the sign changes of the residuals about a robust (Theil-Sen) line through ``seg`` sit from
    independent scatter, in standard errors: each consecutive pair changes sign with chance 1/2, so the
    count is binomial. Period-2 bouncing changes sign at every point (z > 0); slow ringing rarely (z < 0).
    Signs, not sizes: a fast first descent does not swamp the statistic. None when too short."""
    n = len(seg)
    if n < T.OSCILLATION_MIN_POINTS:
        return None
    t = np.arange(n, dtype=float)
    i, j = np.triu_indices(n, 1)
    slope = float(np.median((seg[j] - seg[i]) / (t[j] - t[i])))
    res = seg - slope * t
    res = res - np.median(res)
    sg = np.sign(res[res != 0])
    if len(sg) < T.OSCILLATION_MIN_POINTS:
        return None
    pairs = len(sg) - 1
    changes = float(np.sum(sg[1:] != sg[:-1]))
    return (changes - 0.5 * pairs) / (0.5 * np.sqrt(pairs))


def _swings_outlast_the_lr(view, c, x, m, lo) -> str | None:
    """Why the swings are not the learning rate's doing, when the log says so: the logged LR fell at least
    OSCILLATION_LR_DECAY x over the swinging stretch, yet the moves at the lower half of its LR are as
    large (OSCILLATION_LR_SWING_SHARE or more) as those at the upper half. Steps too large for the
    curvature shrink with the step size; the noise of the objective itself (a diffusion model's random
    timesteps, minibatch sampling) does not (dhagwu: cosine 1e-4 -> 0, +-6% moves to the last epoch).
    None when no LR is logged over the stretch or it did not decay."""
    lr = view.lr
    if lr is None or lr.axis != c.axis or len(lr) < 3 or not c.positive:
        return None
    xs, seg = x[lo:], m[lo:]
    if len(seg) < T.OSCILLATION_MIN_POINTS:
        return None
    at = np.interp(xs, lr.x, lr.y)
    top = float(np.max(at[: max(2, len(at) // 4)]))
    if top <= 0 or not np.all(np.isfinite(at)) or float(np.min(at[-max(2, len(at) // 4):])) > top / T.OSCILLATION_LR_DECAY:
        return None
    moves = np.abs(np.diff(seg))
    lr_move = np.sqrt(at[1:] * at[:-1])  # the LR over each move
    low = lr_move <= np.median(lr_move)
    if low.sum() < 3 or (~low).sum() < 3:
        return None
    hi_sw, lo_sw = float(np.median(moves[~low])), float(np.median(moves[low]))
    if hi_sw <= 0 or lo_sw < T.OSCILLATION_LR_SWING_SHARE * hi_sw:
        return None
    end = float(at[-1])
    fell = f"from {fmt.num(top)} to 0" if end <= top * 1e-6 else f"{fmt.ratio(top / end)} (from {fmt.num(top)} to {fmt.num(end)})"
    return (f"the logged learning rate fell {fell} over the swings, yet they kept "
            f"their size (~{fmt.pct(_ratio_of(lo_sw))} per move at the lower rates, ~{fmt.pct(_ratio_of(hi_sw))} at the "
            "higher): steps too large would shrink with the rate - this is the loss's own noise")


def _rises_at_lr_restarts(view, c, x, m, lo, swing: float) -> str | None:
    """The loss's rises are the schedule's: at least OSCILLATION_RESTART_SHARE of the loss's total climb
    (the sum of its up-moves) comes in moves where the logged learning rate went up (over the move or the
    one before it: warm restarts, a cyclic schedule, a new phase's warm-up), with at least two such
    moves of half a typical rise (``swing``) or more. A rate raised on purpose makes the loss climb for a
    while; the swings follow the plan, not an unstable rate - the noise's small rises elsewhere do not
    change that. None without a logged LR on the same axis."""
    lr = view.lr
    if lr is None or lr.axis != c.axis or len(lr) < 3:
        return None
    xs, seg = x[lo:], m[lo:]
    at = np.interp(xs, lr.x, lr.y)
    if not np.all(np.isfinite(at)):
        return None
    d = np.diff(seg)
    lr_up = np.diff(at) > 0  # the rate rose over move i
    at_restart = lr_up | np.r_[False, lr_up[:-1]]
    up = d > 0
    climb = float(d[up].sum())
    big = up & at_restart & (d >= 0.5 * swing)
    if climb <= 0 or big.sum() < 2 or float(d[up & at_restart].sum()) < T.OSCILLATION_RESTART_SHARE * climb:
        return None
    share = float(d[up & at_restart].sum()) / climb
    return (f"{fmt.pct(share)} of its climb came in {fmt.count(int(big.sum()), 'rise')} where the logged learning rate went "
            "up (warm restarts, a cyclic schedule or a range test): the rate was raised on purpose, and the loss climbing after it is "
            "the schedule's doing")


def _sawtooth(m, lo, swing: float) -> str | None:
    """Rises that are restarts, with no LR logged to say so: at least OSCILLATION_RESTART_SHARE of the
    climb beyond noise (rises over 3x the median move) comes in a few sharp rises (at least half the
    largest one, at least two), each followed by at least
    OSCILLATION_SAWTOOTH_MIN_FALL points before the next, and every cycle reaches a lower low than the one
    before it (the last, which the run's end may cut short, at least falls) - the run makes progress
    across the rises. That is warm restarts' (SGDR) or a cyclic
    schedule's shape; an unstable LR bounces at every few points and gains nothing from it. None otherwise."""
    seg = m[lo:]
    d = np.diff(seg)
    if swing <= 0 or len(d) < 3 or float(np.max(d)) <= 0:
        return None
    scale = float(np.median(np.abs(d)))  # the size of an ordinary move: rises below 3x it are noise
    big = np.flatnonzero(d >= max(0.5 * float(np.max(d)), 3 * scale))
    climb = float(d[d > 3 * scale].sum())
    if len(big) < 2 or climb <= 0 or float(d[big].sum()) < T.OSCILLATION_RESTART_SHARE * climb:
        return None
    if np.min(np.diff(big)) < T.OSCILLATION_SAWTOOTH_MIN_FALL or len(d) - 1 - big[-1] < T.OSCILLATION_SAWTOOTH_MIN_FALL:
        return None
    cycles = np.split(seg, big + 1)
    lows = [float(np.min(part)) for part in cycles[:-1]]  # the last cycle may be cut short by the run's end ...
    if not all(b < a for a, b in zip(lows, lows[1:])) or not cycles[-1][-1] < cycles[-1][0]:  # ... but it falls
        return None
    return (f"its {len(big)} sharp rises are each followed by a steady descent to a lower low than the cycle before (a "
            "sawtooth that makes progress): the shape of warm restarts or a cyclic schedule - log the learning rate "
            "to confirm")


def _ratio_of(log_move: float) -> float:
    """A move in log units as a relative change, finite however large (a loss that blew up to 1e31 moves
    by e^70 in one step; float64 overflows past e^709)."""
    return float(np.expm1(min(log_move, 700.0)))


def _t_phrase(t: float) -> str:
    return "far" if not np.isfinite(t) else f"{abs(t):.1f}"


def _shared_moves(va: Curve, tr: Curve) -> tuple[float | None, int]:
    """Correlation of validation's and training's point-to-point log moves at the points both have,
    the larger of the same point and training one point later (an epoch-averaged training loss
    shows at epoch k+1 what the end-of-epoch validation saw at k: the averaging lag). None when
    fewer than OSCILLATION_MIN_POINTS shared points, or either is constant; and the number of moves."""
    if not (va.positive and tr.positive):
        return None, 0
    common, iv, it = np.intersect1d(va.x, tr.x, return_indices=True)
    if len(common) < T.OSCILLATION_MIN_POINTS:
        return None, 0
    dv, dt = np.diff(np.log(va.y[iv])), np.diff(np.log(tr.y[it]))

    def corr(a, b) -> float | None:
        return None if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0 else float(np.corrcoef(a, b)[0, 1])

    got = [c for c in (corr(dv, dt), corr(dv[:-1], dt[1:])) if c is not None]
    return (max(got) if got else None), len(dv)


def _moves(m: np.ndarray, lo: int) -> dict | None:
    """Statistics of the moves of ``m[lo:]`` (log units): None when too short or too flat to judge."""
    seg = m[lo:]
    if len(seg) < T.OSCILLATION_MIN_POINTS:
        return None
    d = np.diff(seg)
    nz = d[d != 0]
    if len(nz) < 3:
        return None
    ups = nz[nz > 0]
    return dict(
        lo=lo,
        # how much of the ground covered was climbing: total rise over the net change (0 for a
        # descent that never goes up)
        climb=float(ups.sum()) / max(abs(float(seg[-1] - seg[0])), float(ups.sum()), 1e-12),
        alternation=float(np.mean(np.sign(nz[1:]) != np.sign(nz[:-1]))),
        net=float(seg[-1] - seg[0]),
        up_fraction=len(ups) / len(nz),
        swing=float(np.median(ups)) if len(ups) else 0.0,
        trend=abs(float(np.median(seg[: max(2, len(seg) // 4)]) - np.median(seg[-max(2, len(seg) // 4):]))) / len(seg),
        bounce_rises=int(np.sum(ups >= T.OSCILLATION_BOUNCE_MIN_LOG_SWING)),
        swing_rises=int(np.sum(ups >= T.OSCILLATION_MIN_LOG_SWING)),
    )


def _bouncing(c: dict, noise: float) -> bool:
    """A falling loss that keeps bouncing up by LR-sized amounts, or swings with no trend at all.
    Momentum ringing has a period of several points, so a bouncing descent need not alternate every
    point: rising at >= 30% of its moves by a visible amount - or climbing back >= 30% of the ground
    it covered - is already abnormal for a descent whose epoch means average out minibatch noise.
    Either way repeatedly (OSCILLATION_MIN_RISES visible rises): a couple of bumps among small moves
    are bumps, not swings."""
    a, s, tr, up = c["alternation"], c["swing"], c["trend"], c["up_fraction"]
    if s < 3 * noise:
        return False
    # a swing comes back down between its rises: a loss that ends far above where it started while
    # rising at nearly every move is a divergence or a level shift (their own checks), not a swing
    # (a damped ringing of period 13 reverses at only ~15% of its moves, but it ends lower)
    climbs_through = c["net"] > 0 and c["alternation"] < T.OSCILLATION_MIN_REVERSALS
    repeated = c["bounce_rises"] >= T.OSCILLATION_MIN_RISES and not climbs_through
    bouncing = (up >= T.OSCILLATION_MIN_UP_FRACTION and s >= T.OSCILLATION_BOUNCE_MIN_LOG_SWING
                and s >= T.OSCILLATION_BOUNCE_OVER_TREND * tr and repeated)
    # the climb share is a magnitude, not a count of moves: one more or one fewer small up-move on a
    # short run does not flip it (4 of 14 moves is 29%)
    climbing = repeated and s >= T.OSCILLATION_BOUNCE_MIN_LOG_SWING and c["climb"] >= T.OSCILLATION_MIN_CLIMB_SHARE
    flat_swings = (a >= T.OSCILLATION_MIN_ALTERNATION and s >= T.OSCILLATION_SWING_OVER_TREND * tr and s >= T.OSCILLATION_MIN_LOG_SWING
                   and c["swing_rises"] >= T.OSCILLATION_MIN_RISES)
    return bouncing or climbing or flat_swings


def detect(view) -> Detected:
    name = TRAIN_LOSS if view.train is not None else TRUE_TRAIN_LOSS
    c = view.curve(name)
    va = view.val
    if (c is None or len(c) < T.OSCILLATION_MIN_POINTS) and va is not None and len(va) >= T.OSCILLATION_MIN_POINTS:
        name, c = VAL_LOSS, va  # no training curve to judge: validation stands in (as for divergence)
    if c is None or len(c) < T.OSCILLATION_MIN_POINTS:
        return Detected([], f"needs at least {T.OSCILLATION_MIN_POINTS} training-loss points", applicable=False)
    if va is not None and c is not va and len(va) >= T.OSCILLATION_MIN_POINTS and len(c) >= 3 * len(va):
        # step-level minibatch losses are noisy by nature: judge the per-interval means a framework
        # would report (one per validation point), not single batches
        from ..signals import interval_means

        idx = overlap(c, va)
        ym = interval_means(c, va.x[idx])
        c = Curve(c.name, va.axis, va.x[idx], ym)
        if len(c) < T.OSCILLATION_MIN_POINTS or not np.all(ym > 0) and c.positive:
            return Detected([], "too few validation intervals", applicable=False)
    elif va is not None and len(c) >= 3 * max(len(va), 1) or (c.axis == "step" and len(c) < 10 * _MAX_POINTS and len(c) > _MAX_POINTS):
        return Detected([], f"{name} is step-level without enough validation intervals to average it", applicable=False)
    v = c.scaled
    chance = _sampling_noise(view, name, len(c))  # per logged point, when the log says what it averages
    if len(v) > _MAX_POINTS:
        x, m, se = _bin_stats(c.x, v, _MAX_POINTS)
        noise = max(float(np.median(se)), chance / float(np.sqrt(len(v) / _MAX_POINTS)))
    else:
        x, m, noise = c.x, v, chance
    # look at the second half too: oscillation often starts once the easy descent is over
    cands = [c_ for c_ in (_moves(m, lo) for lo in (0, len(m) // 2)) if c_ is not None]
    if not cands:
        return Detected([], "too few distinct points", applicable=False)
    for c_ in cands:
        c_["ok"] = _bouncing(c_, noise)
    hits = [c_ for c_ in cands if c_["ok"]]
    best = max(hits or cands, key=lambda c_: c_["swing"] * c_["up_fraction"])
    a, s, tr, up = best["alternation"], best["swing"], best["trend"], best["up_fraction"]
    detail = (f"{name}: {pct(up)} of moves go up (typical rise {pct(_ratio_of(s))}; {best['bounce_rises']} rises of "
              f"{pct(np.expm1(T.OSCILLATION_BOUNCE_MIN_LOG_SWING))} or more), sign alternation {pct(a)}, "
              f"trend {pct(np.expm1(tr))} per point")
    if not best["ok"]:
        return Detected([], detail)
    lo = best["lo"]
    severity, why = _consequence(view, c, x, m, lo, best["swing"])
    detail += f"; {why}"
    finding = Finding(
        kind="oscillation",
        severity=severity,
        series=name,
        start=float(x[lo]),
        end=float(x[-1]),
        x_axis=c.axis,
        metrics={"alternation": round(a, 3), "up_fraction": round(up, 3), "swing_ratio": round(float(_ratio_of(s)), 4),
                 "trend_per_point": round(float(np.expm1(tr)), 5), "noise": round(noise, 5)},
        summary=f"{HUMAN_LABELS.get(name, name)} swings up and down: {pct(up)} of moves go up, by ~{pct(_ratio_of(s))} "
        f"({pct(a)} of moves reverse direction; net trend {pct(np.expm1(tr))} per point); {why}",
    )
    return Detected([finding], detail)
