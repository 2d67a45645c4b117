"""Level shift: a loss that jumps and stays up - distinct from a transient spike (it comes back) and
from divergence (it keeps exploding, beside this check).

Test: the median of the next m points over the median of the previous m (m = half the trend window,
at least 3) rises by at least LEVEL_SHIFT_MIN_LOG_RISE and by LEVEL_SHIFT_Z units of the curve's
local noise before the jump (noise.py). Typical causes: the LR reaching its warm-up peak or a
schedule step overshooting into a worse basin, a data or pipeline change mid-run.

Severity follows consequence: a shift still there at the end (the final model is worse than before
it) is a warning; one the loss later recovered from is info. Shapes the divergence check already
reports (the loss ending far above its best) are left to it.
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import HUMAN_LABELS, TRAIN_LOSS, VAL_LOSS
from .. import thresholds as T
from ..model import Finding
from ..noise import local_sigma, lucky_low, point_noise, validation_follows
from ..signals import Curve, binned, level_median, odd_window, robust_sigma, rolling_median, window_medians
from . import Check, Detected
from .spike import burst_finding, recovery_after, warmup_points

CHECK = Check("level_shift", "Level shifts", "a loss that jumps and stays up (not a transient spike)")


def _window_medians(v: np.ndarray, m: int) -> np.ndarray:
    """med[k] = median(v[k:k+m]) for every k (rank filters, bit for bit the sliding-window median)."""
    return window_medians(v, m)


def _step_shift(v: np.ndarray, sig: np.ndarray, m: int, k0: int) -> tuple[int, float, float, float] | None:
    """(index of the first point of the new level, log rise, z, level before) of the largest sharp
    shift: the median of the next m points over the median of up to m points before, against the
    noise known before the jump."""
    n = len(v)
    med = _window_medians(v, m)
    i = np.arange(max(1, k0), n - m + 1)
    if len(i) == 0:
        return None
    pre = np.where(i >= m, med[np.maximum(i - m, 0)], 0.0)
    for j in np.flatnonzero(i < m):  # the first few points: fewer than m points before them
        pre[j] = float(np.median(v[: i[j]]))
    rise = med[i] - pre
    z = rise / sig[i - 1]
    ok = (rise > T.LEVEL_SHIFT_MIN_LOG_RISE) & (z > T.LEVEL_SHIFT_Z)
    if not ok.any():
        return None
    k = int(np.flatnonzero(ok)[np.argmax(rise[ok])])
    return int(i[k]), float(rise[k]), float(z[k]), float(pre[k])


def _sustained_rise(v: np.ndarray, sig: np.ndarray, k0: int):
    """A training loss that climbs from its best to a level at least LEVEL_SHIFT_MIN_LOG_RISE above
    it and never comes back (a ramp, e.g. through a warm-up peak): (onset, rise, z, best level)."""
    n = len(v)
    win = odd_window(n, T.SPIKE_TREND_FRACTION, 3, T.SPIKE_TREND_MAX_WINDOW)
    trend = level_median(v, win)  # the level: a lucky first point is not the curve's best
    b = int(np.argmin(trend))
    if b >= n - 2:
        return None
    level = trend[b] + T.LEVEL_SHIFT_MIN_LOG_RISE
    high = np.concatenate([[False], trend[b:] >= level, [False]])
    d = np.diff(high.astype(np.int8))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    if len(starts) == 0:
        return None
    k = int(np.argmax(ends - starts))
    onset, stop = b + int(starts[k]), b + int(ends[k])
    if onset < k0 or stop - onset < max(3, T.LEVEL_SHIFT_MIN_STAY_FRACTION * n):
        return None
    rise = float(np.median(v[onset:stop]) - trend[b])
    # the best is the lowest of many noisy trend values: judged from where the curve's level is (the
    # best plus the luck it may owe: lucky_low), a flat noisy curve does not 'climb' away from its own low
    if rise <= lucky_low(point_noise(v), n, win):
        return None  # (the luck of a minimum over the whole curve: judged with the whole curve's noise)
    # the held level is a median of (stop - onset) points: its noise is the per-point scale over the
    # square root of that count (a climb held for hundreds of noisy steps is measured precisely)
    z = rise / (float(sig[max(b, 1) - 1]) / np.sqrt(max(1, stop - onset)))
    return (onset, rise, z, float(trend[b])) if z > T.LEVEL_SHIFT_Z else None


def _best_index(v: np.ndarray) -> int:
    """Where the curve's trend (rolling median) is lowest."""
    n = len(v)
    return int(np.argmin(rolling_median(v, odd_window(n, T.SPIKE_TREND_FRACTION, 3, T.SPIKE_TREND_MAX_WINDOW))))


def _held_above_best(v: np.ndarray, k0: int, min_rise: float = T.LEVEL_SHIFT_HELD_MIN_LOG_RISE,
                     min_z: float = T.LEVEL_SHIFT_HELD_Z, uncorroborated: bool = False):
    """A training loss whose whole remainder after its best stays well above that best (a warm-up
    peak that pushed it into a worse region it never left): the median of every point after the
    best (at least LEVEL_SHIFT_HELD_MIN_FRACTION of the run) >= LEVEL_SHIFT_HELD_MIN_LOG_RISE above
    it, by LEVEL_SHIFT_HELD_Z standard errors of the curve's noise; the best itself still far from
    convergence (above OSCILLATION_HARM_MIN_REMAINING of the start: near convergence, wiggles of a
    tiny loss are noise). ``uncorroborated``: nothing else backs the rise (a training loss on its
    own), so it is measured from the best plus its expected luck (:func:`lucky_low`); validation's
    readings are backed by the training loss (stalled or climbed with it). (onset, rise, z, best level) or None."""
    n = len(v)
    win = odd_window(n, T.SPIKE_TREND_FRACTION, 3, T.SPIKE_TREND_MAX_WINDOW)
    trend = level_median(v, win) if uncorroborated else rolling_median(v, win)
    b = int(np.argmin(trend))
    rest = v[b + 1 :]
    if b < k0 or len(rest) < max(3, T.LEVEL_SHIFT_HELD_MIN_FRACTION * n):
        return None
    if trend[b] - float(np.median(v[: max(1, n // 10)])) < np.log(T.OSCILLATION_HARM_MIN_REMAINING):
        return None
    noise = point_noise(v)
    rise = float(np.median(rest) - trend[b])
    z = rise / max(noise / np.sqrt(len(rest)), 1e-12)
    if rise < min_rise or z < min_z or (uncorroborated and rise <= lucky_low(noise, n, win)):
        return None  # (a rise within the luck of the lowest trend value is no climb from the curve's level)
    above = np.flatnonzero(trend[b:] >= trend[b] + 0.5 * rise)
    onset = b + int(above[0]) if len(above) else b + 1
    return onset, rise, z, float(trend[b])


def _largest_step(v: np.ndarray, m: int) -> float:
    """The largest rise of a median of m points over the m before it (for the check's detail)."""
    if len(v) < 2 * m:
        return 0.0
    med = _window_medians(v, m)
    return float(max(0.0, np.max(med[m:] - med[:-m]))) if len(med) > m else 0.0


def shifts_in(c: Curve, ramps: bool = False, held_if=None, climbed_if=None) -> tuple[list[Finding], float]:
    """Level-shift findings in one curve and the largest shift seen (log units). ``ramps``: also
    report a sustained climb from the best (training losses; a slowly rising validation loss is
    overfitting, its own check). ``held_if(x_best, x_onset)``: also report a curve held well above
    its best for the rest of the run when this says so for the best's x and the x where the rise got
    under way (validation, when the training loss did not keep falling either: the model got worse,
    it did not overfit). ``climbed_if(x_onset)``: also report a smaller rise held to the end when this
    says the training loss climbed and stayed up too from ``x_onset`` on (both curves got worse)."""
    w = binned(c, T.SPIKE_MAX_POINTS)
    n = len(w)
    if n < T.LEVEL_SHIFT_MIN_POINTS:
        return [], 0.0
    v = w.scaled
    win = odd_window(n, T.SPIKE_TREND_FRACTION, T.SPIKE_TREND_MIN_WINDOW, T.SPIKE_TREND_MAX_WINDOW)
    m = max(1, min(max(3, win // 2), (n - 1) // 2))
    sig = local_sigma(w)
    k0 = warmup_points(n)
    got = _step_shift(v, sig, m, k0)
    sharp = got is not None
    if got is None and ramps:
        got = _sustained_rise(v, sig, k0) or _held_above_best(v, k0, uncorroborated=True)
    elif got is None and held_if is not None:
        # the best is a rolling median (>= 3 points), so a best at the second point is already a
        # level, not the untrained start: the warm-up guard of spikes does not apply here
        got = _held_above_best(v, 1)
        if got is not None and not held_if(float(w.x[_best_index(v)]), float(w.x[got[0]])):
            got = None
        if got is None and climbed_if is not None:
            # a smaller rise, seen in both curves: validation and the training loss each held above
            # their best for the rest of the run - the model got worse, no overfitting makes that
            got = _held_above_best(v, 1, T.LEVEL_SHIFT_JOINT_MIN_LOG_RISE, T.LEVEL_SHIFT_JOINT_Z)
            if got is not None and not climbed_if(float(w.x[got[0]])):
                got = None
    if got is None:
        return [], _largest_step(v, m)
    at, rise, z, pre = got
    tail = max(1, min(m, n // 10))
    end_level = float(np.median(v[-tail:]))
    stays = end_level - pre >= T.LEVEL_SHIFT_STAYS_SHARE * rise
    label = HUMAN_LABELS.get(c.name, c.name)
    ratio = float(np.exp(rise)) if w.positive else 1.0 + rise
    before, after = (float(v_) for v_ in w.unscale(np.array([pre, pre + rise])))
    x_at = float(w.x[at])
    if stays:
        tail_txt = "and stayed there to the end"
    else:
        back = np.flatnonzero(v[at:] <= pre + (1 - T.LEVEL_SHIFT_STAYS_SHARE) * rise)
        burst = _burst_end(v, at, pre) if sharp else None
        if burst is not None:
            # up for a few points and back as a spike recovers: a burst wider than the spike check's
            # window (its rolling median rides on the burst) - a transient spike, not a level that stayed
            return [burst_finding(c, w, at, burst, at + int(np.argmax(v[at:burst])), pre, z, k0)], rise
        x_back = float(w.x[at + int(back[0])]) if len(back) else float(w.x[-1])
        tail_txt = f"and stayed there until {fmt.at(w.axis, x_back)}"
    how = "jumped" if sharp else "climbed"
    few = f" (only {fmt.count(len(c), 'point')})" if len(c) < T.SPIKE_MIN_POINTS else ""
    # heteroscedastic noise: a slow climb from a best already at a few percent of where the loss began
    # is a handful of examples moving a tiny loss (a 99%-accuracy classifier drifting 0.008 -> 0.013),
    # as _held_above_best already says - worth knowing, not a worse model by that alone (info)
    start = float(np.median(v[: max(1, min(3, n // 10))]))  # the first points (a fast first descent)
    tiny = not sharp and w.positive and pre - start < np.log(T.OSCILLATION_HARM_MIN_REMAINING)
    if tiny and stays:
        tail_txt += (f"; from a level at {fmt.pct(float(np.exp(pre - start)))} of its start, where a few examples move "
                     "the loss by tens of percent")
    finding = Finding(
        kind="level_shift",
        severity="warning" if stays else "info",
        series=c.name,
        start=x_at,
        end=float(w.x[-1]) if stays else float(w.x[min(at + m - 1, n - 1)]),
        x_axis=w.axis,
        metrics={"rise_ratio": round(ratio, 3), "from_x": float(w.x[max(0, at - m)]), "z": round(float(z), 2),
                 "near_convergence": bool(tiny and stays), "level_before": before,
                 "level_after": after, "stays_to_end": bool(stays), "sharp": sharp, "window_points": m,
                 "points": int(len(c))},
        summary=f"{label} {how} from about {fmt.num(before)} to {fmt.num(after)} "
        f"({fmt.ratio(ratio) if w.positive else '+' + fmt.num(after - before)}) by "
        f"{fmt.at(w.axis, x_at)} {tail_txt}{few}",
    )
    return [finding], rise


def _burst_end(v: np.ndarray, at: int, pre: float) -> int | None:
    """Index where a rise starting at ``at`` is back as a spike recovers (``spike.recovery_after``,
    from its highest point within 2 x SPIKE_RECOVERY_POINTS), or None when it did not come back that soon."""
    p = at + int(np.argmax(v[at:min(len(v), at + 2 * T.SPIKE_RECOVERY_POINTS + 1)]))
    back = recovery_after(v, p, pre)
    return p + back if back is not None else None


def detect(view) -> Detected:
    findings: list[Finding] = []
    parts = []
    diverged = {f.series for f in _divergence_findings(view)}
    for name in view.checked_losses:
        c = view.curve(name)
        if c is None:
            continue
        if len(c) < T.LEVEL_SHIFT_MIN_POINTS:
            parts.append(f"{name}: {fmt.count(len(c), 'point')}, too few to judge")
            continue
        if diverged:
            parts.append(f"{name}: the run diverged (the divergence check reports it)")
            continue
        held_if = (lambda xb, xo: _training_stalled_after(view, xb, xo)) if name == VAL_LOSS else None
        climbed_if = (lambda xo: _training_climbed_after(view, xo)) if name == VAL_LOSS else None
        got, rise = shifts_in(c, ramps=name != VAL_LOSS, held_if=held_if, climbed_if=climbed_if)
        if name != VAL_LOSS:
            got = [_near_convergence(_judged_by_validation(view, _followed_by_validation(view, f))) for f in got]
        if name == VAL_LOSS and not got and not any(f.kind == "level_shift" for f in findings):
            got = _joint_jump(view, c)
            rise = max(rise, float(np.log(got[0].metrics["rise_ratio"]))) if got else rise
        findings += got
        # (a loss that touches zero has no ratio: its rise is an amount)
        size = fmt.ratio(float(np.exp(rise))) if c.positive else "+" + fmt.num(float(c.unscale(np.array([rise]))[0]))
        parts.append(f"{name}: " + (f"a level shift ({size})" if got else f"largest rise of the level {size}, none that stays"))
    if not parts:
        return Detected([], "no loss series", applicable=False)
    return Detected(findings, "; ".join(parts))


def _followed_by_validation(view, f: Finding) -> Finding:
    """A training-loss shift validation did not follow (LEVEL_SHIFT_VAL_FOLLOW_SHARE) changed the
    reported loss, not the model: info, marked for the rules (a data/pipeline change, not the LR)."""
    before, after = f.metrics.get("level_before"), f.metrics.get("level_after")
    if f.kind != "level_shift" or not before or not after or before <= 0 or after <= 0:
        return f  # (a loss that can go negative has no ratio to compare with validation's)
    rise = float(np.log(after / before))
    follows = validation_follows(view, float(f.start), rise, float(before))
    if follows is None or follows[0]:
        return f
    f.severity = "info"
    f.metrics["validation_followed"] = False
    f.summary += (f"; validation did not follow ({fmt.ratio(float(np.exp(follows[1])))} against {fmt.ratio(float(np.exp(rise)))}): "
                  "the reported loss changed - a new loss term or other data mid-run - not the model")
    return f


def _near_convergence(f: Finding) -> Finding:
    """A slow climb from a best at a few percent of the loss's start that is still a warning after the
    validation checks: a handful of examples moving a tiny loss, not a worse model by that alone (info)."""
    if f.severity == "warning" and f.metrics.get("near_convergence"):
        f.severity = "info"
    return f


def _judged_by_validation(view, f: Finding) -> Finding:
    """Severity follows consequence: a training-loss shift that stays is a warning because the final
    model is worse than before it. When validation (the model that is evaluated) kept improving
    through and after the shift and ends at its best, the final model is not worse: info."""
    va = view.val
    if f.severity != "warning" or va is None or len(va) < 2 or va.axis != f.x_axis:
        return f
    before = va.y[va.x < f.start]
    if len(before) == 0 or not np.any(va.x >= f.start):
        return f
    last = float(va.y[-1])
    if last > float(np.min(va.y)) or last >= float(before[-1]):
        return f
    f.severity = "info"
    f.metrics["validation_kept_improving"] = True
    f.summary += (f"; validation kept improving ({fmt.num(float(before[-1]))} before it, {fmt.num(last)} at the end, its best): "
                  "the evaluated model is not worse")
    return f


def _training_trend(view):
    """The training loss as the spike check bins it - (x, scaled values, rolling-median trend) -
    or None when it is missing or too short to judge a shift against."""
    tr = view.curve(TRAIN_LOSS)
    if tr is None or len(tr) < T.LEVEL_SHIFT_MIN_POINTS:
        return None
    w = binned(tr, T.SPIKE_MAX_POINTS)
    v = w.scaled
    return w.x, v, rolling_median(v, odd_window(len(v), T.SPIKE_TREND_FRACTION, 3, T.SPIKE_TREND_MAX_WINDOW))


def _training_stalled_after(view, x_best: float, x_onset: float) -> bool:
    """The training loss did not keep falling while validation was held above its best: the median
    of its points after validation's rise (``x_onset``) is not OVERFIT_TRAIN_MIN_LOG_DROP below its
    trend's level at validation's best (``x_best``). Overfitting is the complement - training still
    falling by that much while validation climbs; a warm-up peak that throws the model into a
    worse region shows in both curves (training climbs too, or stalls)."""
    training = _training_trend(view)
    if training is None:
        return False
    x, v, trend = training
    before, after = trend[x <= x_best], v[x > x_onset]
    if len(before) == 0 or len(after) < 3:
        return False
    return float(np.median(after)) > float(before[-1]) - T.OVERFIT_TRAIN_MIN_LOG_DROP


def _training_climbed_after(view, x_onset: float) -> bool:
    """The training loss is held above its own best (trend) by LEVEL_SHIFT_JOINT_MIN_LOG_RISE, at
    LEVEL_SHIFT_JOINT_Z standard errors, over its points after ``x_onset``, the best taken before it."""
    training = _training_trend(view)
    if training is None:
        return False
    x, v, trend = training
    before, after = trend[x <= x_onset], v[x > x_onset]
    if len(before) == 0 or len(after) < 3:
        return False
    rise = float(np.median(after)) - float(np.min(before))
    noise = point_noise(v)
    return rise >= T.LEVEL_SHIFT_JOINT_MIN_LOG_RISE and rise >= T.LEVEL_SHIFT_JOINT_Z * noise / np.sqrt(len(after))


def _joint_jump(view, c: Curve) -> list[Finding]:
    """Validation and the training loss (at validation's cadence) jump up at the same evaluation and
    neither ever gets back to its best before the jump: the model itself got worse there and stayed
    worse - a level shift even when it came early, during the descent, where a rolling-median trend
    has no pre-jump level to compare with (one low point before a warm-up peak). Each curve's jump
    >= LEVEL_SHIFT_JOINT_MIN_LOG_RISE and LEVEL_SHIFT_HELD_Z times its own point-to-point noise (a
    shared noise, the model's state that epoch, moves both curves together - but rarely by 4 sigma);
    the rest of the run (>= LEVEL_SHIFT_HELD_MIN_FRACTION of it, >= 3 points) never back to that best
    and held (median) >= LEVEL_SHIFT_JOINT_MIN_LOG_RISE and LEVEL_SHIFT_HELD_Z point-noises above it in both. Two independent curves making the same
    step on the same evaluation is not noise; one curve alone is the other checks' business."""
    from .spike import train_curve_beside

    va = binned(c, T.SPIKE_MAX_POINTS)
    tr = view.curve(TRAIN_LOSS)
    beside = train_curve_beside(tr, va) if tr is not None else None
    if beside is None or not (va.positive and beside.positive) or len(beside) < T.LEVEL_SHIFT_MIN_POINTS:
        return []
    x = beside.x
    v = np.interp(x, va.x, va.scaled)
    t = np.log(beside.y)
    n = len(x)
    rest_min = max(3, int(np.ceil(T.LEVEL_SHIFT_HELD_MIN_FRACTION * n)))
    for j in range(1, n - rest_min + 1):
        # the noise of the level held after the jump: the spread of its points around their median (a
        # descent before the jump is trend, not noise; a steady climb after it spreads wide, so its
        # first step is no jump); with fewer than 5 points after it, the curve's point-to-point scale
        noise_v, noise_t = (max(robust_sigma(u[j:] - np.median(u[j:])) if n - j >= 5 else point_noise(u),
                                T.SPIKE_SIGMA_FLOOR) for u in (v, t))
        jumps = [(u[j] - u[j - 1], noise) for u, noise in ((v, noise_v), (t, noise_t))]
        if not all(d >= T.LEVEL_SHIFT_JOINT_MIN_LOG_RISE and d >= T.LEVEL_SHIFT_HELD_Z * noise for d, noise in jumps):
            continue
        # held against the best before the jump - the lowest point, maybe a lucky low: the level
        # after it must clear that best by LEVEL_SHIFT_HELD_Z of the curve's per-point noise
        held = all(float(np.min(u[j:])) > float(np.min(u[:j])) and
                   float(np.median(u[j:]) - np.min(u[:j])) >= max(T.LEVEL_SHIFT_JOINT_MIN_LOG_RISE, T.LEVEL_SHIFT_HELD_Z * noise)
                   for u, noise in ((v, noise_v), (t, noise_t)))
        if not held:
            continue
        best_v, after_v = float(np.exp(np.min(v[:j]))), float(np.exp(np.median(v[j:])))
        best_t, after_t = float(np.exp(np.min(t[:j]))), float(np.exp(np.median(t[j:])))
        ratio = after_v / best_v
        return [Finding(
            kind="level_shift", severity="warning", series=VAL_LOSS, start=float(x[j]), end=float(x[-1]), x_axis=va.axis,
            metrics={"rise_ratio": round(ratio, 3), "from_x": float(x[j - 1]), "z": round(float(jumps[0][0] / max(noise_v, 1e-12)), 2),
                     "level_before": best_v, "level_after": after_v, "stays_to_end": True, "sharp": True, "joint": True,
                     "train_level_before": best_t, "train_level_after": after_t, "window_points": 1, "points": int(len(c))},
            summary=(f"validation loss and the training loss jumped together at {fmt.at(va.axis, float(x[j]))} and neither got "
                     f"back to its best before it: validation {fmt.num(best_v)} -> ~{fmt.num(after_v)} ({fmt.ratio(ratio)}), "
                     f"training {fmt.num(best_t)} -> ~{fmt.num(after_t)} ({fmt.ratio(after_t / best_t)}) for the rest of the run"),
        )]
    return []


def _divergence_findings(view) -> list[Finding]:
    from . import divergence

    try:
        return divergence.detect(view).findings
    except (ValueError, IndexError, FloatingPointError):
        return []
