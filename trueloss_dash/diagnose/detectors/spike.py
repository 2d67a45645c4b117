"""Spikes: a loss that jumps well above its own trend.

Test: residuals of the (log-)loss from a centered *leave-one-out* rolling-median trend (the median
of each point's neighbours, not counting the point itself), robust z = (r - median) / (1.4826 MAD).
Leaving the point out matters: with the point in its own window a noisy curve has many residuals of
exactly zero, which deflates the MAD and turns ordinary minibatch noise into "spikes". A smooth
monotone curve still has residuals near zero (only its curvature), so it has no spikes. Points in
the first SPIKE_WARMUP_FRACTION of the run are not judged: the trend is not established yet (fast
initial descent, warm-up, YOLO-style early validation swings). A jump that recovers within a few points is *transient* (typical LR
overshoot); a level shift that stays (median of the next m points over the previous m) is
*persistent*.
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import HUMAN_LABELS, TRAIN_LOSS, VAL_LOSS
from .. import thresholds as T
from ..model import Finding
from ..signals import Curve, binned, interval_means, loo_rolling_median, odd_window, overlap, pct, robust_sigma, xfmt
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
    return robust_sigma(v - loo_rolling_median(v, win))


def warmup_points(n: int) -> int:
    """Leading points a spike cannot be called in (the trend is not established yet)."""
    return max(1, int(np.ceil(T.SPIKE_WARMUP_FRACTION * n)))


def spikes_in(c: Curve, reference_sigma: float | None = None, min_log_rise: float | None = None,
              z_threshold: float = T.SPIKE_Z, joint: bool = False) -> tuple[list[Finding], float, str]:
    """Spike findings in one curve, the largest z seen, and - when that point is above the z
    threshold but was not called a spike - why not (for the check's detail).

    ``reference_sigma``: the roughness of a companion curve measured on the same points (the
    training loss, for validation). An erratic validation loss has a large MAD of its own, which
    would hide its jumps; judged against how smooth training is, they stand out - the batch-norm
    signature. Jumps judged that way must also exceed SPIKE_REFERENCE_MIN_LOG_RISE."""
    w = binned(c, T.SPIKE_MAX_POINTS)
    n = len(w)
    if n < T.SPIKE_MIN_POINTS:
        return [], 0.0, ""
    v = w.scaled
    win = odd_window(n, T.SPIKE_TREND_FRACTION, T.SPIKE_TREND_MIN_WINDOW, T.SPIKE_TREND_MAX_WINDOW)
    trend = loo_rolling_median(v, win)
    r = v - trend
    sigma = robust_sigma(r, T.SPIKE_SIGMA_FLOOR)
    own_sigma = sigma
    min_rise = T.SPIKE_MIN_LOG_RISE if min_log_rise is None else min_log_rise
    if reference_sigma is not None and max(reference_sigma, T.SPIKE_SIGMA_FLOOR) < sigma:
        sigma = max(reference_sigma, T.SPIKE_SIGMA_FLOOR)
        min_rise = T.SPIKE_REFERENCE_MIN_LOG_RISE
    z = (r - np.median(r)) / sigma
    k0 = warmup_points(n)
    max_z = float(z.max())
    at_max = int(np.argmax(z))
    label = HUMAN_LABELS.get(c.name, c.name)
    unit = c.axis
    found: list[Finding] = []
    why_not: dict[int, str] = {}

    # transient spikes: points far above the trend
    for s, e in _groups(z > z_threshold):
        p = s + int(np.argmax(r[s : e + 1]))
        if p < k0 and not (p > 0 and v[p] - v[0] >= T.SPIKE_WARMUP_OVERRIDE_LOG_RISE):
            # early swings are common while the trend forms; a jump far above where the run started is not one
            why_not[p] = f"within the first {k0} point(s), before the trend is established (warm-up)"
            continue
        if r[p] <= min_rise:
            why_not[p] = f"only {pct(float(np.expm1(r[p])))} above its trend (a spike needs > {pct(float(np.expm1(min_rise)))})"
            continue
        m = max(2, win // 2)
        pre = float(np.median(v[max(0, s - m) : s])) if s > 0 else float(trend[s])
        rise = float(v[p] - pre)
        if rise < min_rise:
            why_not[p] = "not above the level just before it (a fall that paused, not a jump)"
            continue  # above a falling trend but not above where the loss just was: not a jump
        recovered = recovery_after(v, p, pre)
        stop = p + recovered if recovered is not None else e
        lost, peak_level = progress_lost(w, k0, p, pre)
        own_z = float((r[p] - np.median(r)) / own_sigma)
        found.append(_finding(c, w, s, stop, p, float(z[p]), rise, recovered, label, unit, lost,
                              None if joint else own_z, joint, peak_level))

    note = ""
    if max_z > T.SPIKE_Z and not found:
        note = why_not.get(at_max) or next(iter(why_not.values()), "")
        if note:
            note = f"at {unit} {xfmt(float(w.x[at_max]))}: {note}"
    return found, max_z, note


def recovery_after(v: np.ndarray, p: int, pre: float) -> int | None:
    """Points after the peak ``p`` until the loss is back within SPIKE_RECOVERY_FRACTION of its rise
    above ``pre`` (the level before the jump), looking at most SPIKE_RECOVERY_POINTS ahead; None when
    it did not come back that soon (a level shift, not a spike). The one recovery rule every spike
    reading uses."""
    rise = max(float(v[p] - pre), 0.0)
    back = np.flatnonzero(v[p + 1 : p + 1 + T.SPIKE_RECOVERY_POINTS] <= pre + T.SPIKE_RECOVERY_FRACTION * rise)
    return int(back[0]) + 1 if len(back) else None


def progress_lost(w, k0: int, p: int, pre: float) -> tuple[float, float | None]:
    """(share of the log progress made before the jump that the peak ``p`` undid, peak over the
    loss's start or None for a loss that can go negative): what a spike's severity weighs."""
    v = w.scaled
    start = float(np.median(v[: max(1, k0)]))
    made = start - pre
    return (float(v[p] - pre) / made if made > 0 else 0.0), (float(np.exp(v[p] - start)) if w.positive else None)


def burst_finding(c, w, start: int, stop: int, p: int, pre: float, z: float, k0: int, where: str = "") -> Finding:
    """A rise several points wide that came back as a spike recovers (found by the level-shift check's
    step test or by the running-minimum test below), reported as the transient spike it is."""
    lost, peak_level = progress_lost(w, k0, p, pre)
    f = _finding(c, w, start, stop, p, z, float(w.scaled[p] - pre), stop - p, HUMAN_LABELS.get(c.name, c.name), w.axis,
                 lost, peak_level=peak_level)
    f.metrics["burst_points"] = int(stop - start)
    f.summary += f" (a burst {fmt.count(stop - start, 'point')} wide{where})"
    return f


def _size(w, rise: float, ratio: float) -> str:
    """How far above its trend: a multiplier for a positive loss; for a loss that touches zero (a test
    loss printed as 0.0000 at half its epochs) an amount - a ratio to a trend at ~0 means nothing."""
    if w.positive:
        return f"{fmt.ratio(ratio)} its trend"
    return f"{fmt.num(float(w.unscale(np.array([rise]))[0]))} above its trend"


def _finding(c, w, s, e, p, z, rise, recovered, label, unit, lost: float = 0.0, own_z: float | None = None,
             joint: bool = False, peak_level: float | None = None) -> Finding:
    ratio = float(np.exp(rise)) if c.positive else 1.0 + rise
    x0, x1, xp = float(w.x[s]), float(w.x[min(e, len(w) - 1)]), float(w.x[p])
    transient = recovered is not None
    if not transient:
        return _persistent_jump(c, w, s, p, z, rise, label, unit)
    dx = float(w.x[min(p + recovered, len(w) - 1)] - w.x[p])
    tail = f"recovered within {fmt.x_value(dx, unit)} {fmt.axis_noun(unit, many=dx != 1)}"
    # severity follows consequence: a bump that came back within a few points costs nothing unless it
    # is large enough (x SPIKE_WARNING_RATIO) to threaten the run. One raw single-batch loss that is
    # back at the next log is a hard batch, not instability; a loss that can go negative has no ratio
    # to judge by - both are info.
    # (one point: the peak opens its group and the very next point is back; ``e`` is where it ended)
    single_batch = transient and recovered == 1 and c.axis == "step" and w.binned_from is None and p == s
    # one logged point out of hundreds, back at the next: a blip in one logging interval (a hard batch
    # inside a 50-step mean) that the weights did not keep - not the instability of an epoch-level jump
    blip = transient and recovered == 1 and p == s and len(w) >= T.SPIKE_BLIP_MIN_POINTS
    # a binned step-level loss: a few outlier batches inside the peak's bins lift their means, not their
    # medians - hard batches, as a single raw one is, not a jump of the loss
    outlier_batches = transient and _few_batches(c, w, p, recovered, rise)
    # undoing progress costs the points it takes to win it back: none to speak of when the very next
    # point is back (the run lost one evaluation interval, the final model nothing)
    slow_back = recovered is None or recovered >= T.SPIKE_WARNING_MIN_RECOVERY_POINTS
    # near convergence a few examples double a tiny loss: a recovered jump that stays far below where
    # the loss began is not big by its ratio alone
    low = transient and c.positive and peak_level is not None and peak_level < T.SPIKE_WARNING_MIN_PEAK_LEVEL
    # undone progress costs the share of the run spent winning it back: 2-4 epochs of a 150-epoch run
    # is not a costly event, however much of the (small) progress just before it a x1.2 bump undid
    long_back = recovered is None or recovered >= max(T.SPIKE_WARNING_MIN_RECOVERY_POINTS,
                                                      T.SPIKE_WARNING_RECOVERY_SHARE * len(w))
    costly = ((ratio >= T.SPIKE_WARNING_RATIO and not low)
              or (lost >= T.SPIKE_WARNING_LOST_PROGRESS and long_back))  # big, or undid the progress
    # a validation loss only measures the model: one evaluation off and back at the next (however
    # big) cost the weights nothing - the training loss, which moves them, is judged by its size
    if c.name == VAL_LOSS and not slow_back:
        costly = False
    # a jump found against a smoother companion's noise (validation beside training) that is within
    # the curve's own usual bounce (its own robust z below SPIKE_Z) is that curve's ordinary noise:
    # a recovered one costs nothing beyond what the curve does every few points
    usual = transient and own_z is not None and own_z < T.SPIKE_Z
    severity = "warning" if costly and c.positive and not single_batch and not blip and not usual and not outlier_batches else "info"
    if lost >= T.SPIKE_WARNING_LOST_PROGRESS:
        tail += f", undoing {fmt.pct(min(lost, 1.0))} of the progress made before it"
    if usual:
        tail += f"; against its own noise only z={fmt.num(own_z, 2)} (its usual bounce)"
    if outlier_batches:
        tail += (f"; a few outlier batches inside {fmt.count(w.binned_from // len(w), 'logged point')}-wide bins: "
                 "the bins' medians stayed at the trend (hard batches, not a jump of the loss)")
    if joint:
        tail += f"; the {'validation' if c.name != VAL_LOSS else 'training'} loss jumped at the same point"
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
            "lost_progress": round(float(lost), 3),
            "recovered_after": recovered,
            "own_z": None if own_z is None else round(own_z, 2),
            "joint": joint,
            "points": int(len(c)),
        },
        summary=f"{label} jumped to {fmt.num(w.y[p])} at {fmt.at(unit, xp)} ({_size(w, rise, ratio)}, robust z={fmt.num(z, 2)}), {tail}",
    )


def _few_batches(c, w, p: int, recovered: int, rise: float) -> bool:
    """The peak of a binned positive curve (bins ``p`` .. ``p + recovered - 1``) is outlier batches
    averaged into the bins: the median of their raw values rose less than SPIKE_BATCH_MEDIAN_SHARE of
    the rise of their mean (``rise``, log units) over the trend before them."""
    if w.binned_from is None or not c.positive or rise <= 0:
        return False
    n, m = int(w.binned_from), len(w)
    edges = np.append(np.linspace(0, n, m + 1).astype(np.int64)[:-1], n)  # signals.binned's bins
    lo, hi = edges[p], edges[min(p + max(recovered, 1), m)]
    mean_rise = float(np.log(np.mean(c.y[lo:hi]))) - (float(w.scaled[p]) - rise)
    median_rise = float(np.log(np.median(c.y[lo:hi]))) - (float(w.scaled[p]) - rise)
    return bool(mean_rise > 0 and median_rise < T.SPIKE_BATCH_MEDIAN_SHARE * mean_rise)


def _persistent_jump(c, w, s, p, z, rise, label, unit) -> Finding:
    """A jump that did not come back within SPIKE_RECOVERY_POINTS is not a spike but a level shift
    (the loss jumped and stayed), reported as one with the level-shift check's metrics. Severity
    follows consequence as there: a warning when the loss is still at least LEVEL_SHIFT_STAYS_SHARE of
    the jump above the level before it at the end and the jump was at least
    LEVEL_SHIFT_HELD_MIN_LOG_RISE (the final model is worse than before it), info otherwise."""
    v = w.scaled
    n = len(v)
    pre = float(v[p] - rise)
    tail_n = max(1, min(T.SPIKE_RECOVERY_POINTS, n // 10))
    end_level = float(np.median(v[-tail_n:]))
    stays = end_level - pre >= T.LEVEL_SHIFT_STAYS_SHARE * rise
    ratio = float(np.exp(rise)) if c.positive else 1.0 + rise
    before, after = float(w.unscale(np.array([pre]))[0]), float(w.y[p])
    xp = float(w.x[p])
    if stays:
        tail_txt = "and stayed up to the end"
    else:
        back = np.flatnonzero(v[p:] <= pre + (1 - T.LEVEL_SHIFT_STAYS_SHARE) * rise)
        tail_txt = f"and stayed up until {fmt.at(unit, float(w.x[p + int(back[0])]) if len(back) else float(w.x[-1]))}"
    warning = stays and c.positive and rise >= T.LEVEL_SHIFT_HELD_MIN_LOG_RISE
    return Finding(
        kind="level_shift",
        severity="warning" if warning else "info",
        series=c.name,
        start=xp,
        end=float(w.x[-1]) if stays else float(w.x[min(p + T.SPIKE_RECOVERY_POINTS, n - 1)]),
        x_axis=unit,
        metrics={"rise_ratio": round(ratio, 3), "from_x": float(w.x[max(0, s - 1)]), "z": round(z, 2),
                 "level_before": before, "level_after": after, "stays_to_end": bool(stays), "sharp": True,
                 "window_points": 1, "points": int(len(c)), "from_spike_check": True, "peak_x": xp,
                 "peak_value": float(w.y[p])},
        summary=(f"{label} jumped from about {fmt.num(before)} to {fmt.num(after)} "
                 f"({fmt.ratio(ratio) if c.positive else '+' + fmt.num(after - before)}, robust z={fmt.num(z, 2)}) "
                 f"at {fmt.at(unit, xp)} and did not come back within {fmt.count(T.SPIKE_RECOVERY_POINTS, 'point')}: "
                 f"a level shift, not a spike - {tail_txt}"),
    )


def train_roughness_beside(tr, val) -> float | None:
    """Residual sigma of the training loss at the validation's cadence: the epoch-level training loss
    itself, or - for a step-level one - its per-validation-interval means (what a framework reports
    per epoch). Erratic validation is judged against it (smooth training + erratic val = the batch
    norm signature). None when there is no comparable training loss."""
    if tr is None or val is None or tr.axis != val.axis or len(val) < T.SPIKE_MIN_POINTS:
        return None
    cache = tr.__dict__.setdefault("_roughness_beside", {})  # asked by several checks per diagnosis
    key = (id(val), len(val))
    if key not in cache:
        cache[key] = _train_roughness_beside(tr, val)
    return cache[key]


def _train_roughness_beside(tr, val) -> float | None:
    c = train_curve_beside(tr, val)
    return None if c is None else residual_sigma(c)


def train_curve_beside(tr, val) -> Curve | None:
    """The training loss at the validation's cadence: itself when it has about as many points, its
    per-validation-interval means when it is step-level; None when not comparable."""
    if tr is None or val is None or tr.axis != val.axis:
        return None
    if T.SPIKE_MIN_POINTS <= len(tr) <= 3 * len(val):
        return tr
    if len(tr) > 3 * len(val):
        idx = overlap(tr, val)
        if len(idx) >= T.SPIKE_MIN_POINTS:
            ym = interval_means(tr, val.x[idx])
            if np.all(np.isfinite(ym)) and (not tr.positive or np.all(ym > 0)):
                return Curve(tr.name, val.axis, val.x[idx], ym)
    return None


def residuals_at(c: Curve, xs) -> np.ndarray:
    """Log residuals of a curve from its rolling-median trend, read at the nearest point to each x."""
    w = binned(c, T.SPIKE_MAX_POINTS)
    xs = np.asarray(xs, float)
    if len(w) < 3 or not len(xs):
        return np.zeros(len(xs))
    v = w.scaled
    win = odd_window(len(v), T.SPIKE_TREND_FRACTION, T.SPIKE_TREND_MIN_WINDOW, T.SPIKE_TREND_MAX_WINDOW)
    resid = v - loo_rolling_median(v, win)
    pos = np.clip(np.searchsorted(w.x, xs), 1, len(w.x) - 1)
    nearest = np.where(np.abs(w.x[pos - 1] - xs) <= np.abs(w.x[pos] - xs), pos - 1, pos)
    return resid[nearest]


def bursts_over_running_min(c: Curve) -> list[Finding]:
    """Bursts of a short (epoch-level) training loss that a rolling-median trend rides on: the loss
    climbs to >= SPIKE_BURST_MIN_LOG_RISE above its running minimum, stays up a few points and comes
    back as a spike recovers (within SPIKE_RECOVERY_FRACTION of the rise, <= SPIKE_RECOVERY_POINTS
    after the peak). Noise guard: the rise is at least SPIKE_BURST_OVER_OTHER_UPS times the largest
    upward move of the curve outside the burst (a loss that bounces that much has no burst), and the
    burst is at least 2 points wide (one point up and back is what the rolling-median test judges)."""
    w = binned(c, T.SPIKE_MAX_POINTS)
    n = len(w)
    if not c.positive or n < T.SPIKE_MIN_POINTS or n > T.SPIKE_BURST_MAX_POINTS:
        return []
    v = w.scaled
    runmin = np.minimum.accumulate(v)
    k0 = max(1, warmup_points(n))
    found, i = [], k0
    while i < n:
        pre = float(runmin[i - 1])
        if v[i] - pre < T.SPIKE_BURST_MIN_LOG_RISE:
            i += 1
            continue
        peak, stop = i, None
        for k in range(i, min(n, i + 2 * T.SPIKE_RECOVERY_POINTS + 1)):
            if v[k] > v[peak]:
                peak = k
            if k > peak and v[k] <= pre + T.SPIKE_RECOVERY_FRACTION * (v[peak] - pre):
                stop = k if k - peak <= T.SPIKE_RECOVERY_POINTS else None
                break
        if stop is None:
            i += 1
            continue
        rise = float(v[peak] - pre)
        outside = np.concatenate([np.diff(v[:i]), np.diff(v[stop:])])
        other_up = float(max(outside.max(initial=0.0), 0.0))
        # one point up and back is the rolling-median test's case (it judged it already)
        if stop - i >= 2 and rise >= T.SPIKE_BURST_OVER_OTHER_UPS * other_up:
            z = rise / max(robust_sigma(np.diff(v)), T.SPIKE_SIGMA_FLOOR)
            found.append(burst_finding(c, w, i, stop, peak, pre, z, k0, " above its running minimum"))
        i = stop + 1
    return found


def relapses(c: Curve) -> list[Finding]:
    """A training loss that converged far below its start and then jumped back most of the way before
    recovering (K-rot: 1.10 -> 0.009, then 0.92 at epoch 21, back to 0.013 four epochs later). In log
    space the converged loss swings by orders of magnitude near zero, which hides the jump from the
    z tests; on the loss itself (SPIKE_RELAPSE_*) it is the one excursion that undid the run's progress."""
    w = binned(c, T.SPIKE_MAX_POINTS)
    n = len(w)
    if not c.positive or n < T.SPIKE_MIN_POINTS:
        return []
    y, v = np.asarray(w.y, float), w.scaled
    k0 = max(1, warmup_points(n))
    start = float(np.max(y[:k0]))  # where training began: the highest level of its first points
    low = np.flatnonzero(y < T.SPIKE_RELAPSE_FALL * start)
    if not len(low) or low[0] >= n - 2:
        return []
    after = int(low[0])
    p = after + int(np.argmax(y[after:]))
    if y[p] < T.SPIKE_RELAPSE_SHARE * start or p == after:
        return []
    # the level it relapsed from: the converged loss's typical value before the jump (its median - the
    # minimum of a loss at its floor is one lucky batch orders of magnitude lower)
    pre = float(np.median(v[after:p]))
    recovered = recovery_after(v, p, pre)
    if recovered is None:
        return []
    # the burst: from where it left that level to where it came back
    s0 = p
    while s0 > after and v[s0 - 1] > pre + T.SPIKE_RECOVERY_FRACTION * (v[p] - pre):
        s0 -= 1
    stop = p + recovered
    others = np.concatenate([y[after:s0], y[stop + 1:]])
    if len(others) and y[p] < T.SPIKE_RELAPSE_OVER_OTHER * float(others.max()):
        return []
    z = float(v[p] - pre) / max(robust_sigma(np.diff(v)), T.SPIKE_SIGMA_FLOOR)
    return [burst_finding(c, w, s0, stop, p, pre, z, k0, f"; back to {fmt.pct(y[p] / start)} of its start")]


def detect(view) -> Detected:
    from .erratic_validation import erratic_jumps

    findings: list[Finding] = []
    parts = []
    for name in view.checked_losses:
        c = view.curve(name)
        if c is None:
            continue
        if name == VAL_LOSS and erratic_jumps(view)[0]:
            parts.append(f"{name}: repeated jumps, reported by the erratic-validation check")
            continue
        if len(c) < T.SPIKE_MIN_POINTS:
            parts.append(f"{name}: {len(c)} points, too few to judge")
            continue
        tr = view.curve(TRAIN_LOSS)
        ref = train_roughness_beside(tr, c) if name == VAL_LOSS else None
        # a loss measured on a fixed set (validation, true training loss) at a low level moves by a
        # few confidently wrong examples; beside the optimised training loss, a jump it does not
        # share must be a large one (the erratic-validation size) to be called a spike
        measured = name != TRAIN_LOSS and tr is not None and len(tr) >= T.SPIKE_MIN_POINTS
        f, max_z, note = spikes_in(c, ref, T.SPIKE_REFERENCE_MIN_LOG_RISE if measured else None)
        findings += f
        part = f"{name}: max robust z {max_z:.1f} (threshold {T.SPIKE_Z:g})"
        if f:
            part += f", {len(f)} spike(s)"
        elif max_z > T.SPIKE_Z:
            part += f", not a spike - {note}" if note else ", not a spike"
        parts.append(part)
    if not parts:
        return Detected([], "no loss series", applicable=False)
    joint = _joint_spikes(view, findings)
    if joint:
        findings += joint
        parts.append(f"{fmt.count(len(joint), 'spike')} that training and validation made at the same point "
                     f"(robust z > {T.SPIKE_JOINT_Z:g} in both)")
    tr = view.curve(TRAIN_LOSS)
    if tr is not None and TRAIN_LOSS in view.checked_losses and not any(f.series == TRAIN_LOSS for f in findings):
        bursts = bursts_over_running_min(tr) or relapses(tr)
        if bursts:
            findings += bursts
            parts.append(f"{fmt.count(len(bursts), 'burst')} of the training loss above its running minimum "
                         "(the trend window rode on it)")
    return Detected(findings, "; ".join(parts))


def _joint_spikes(view, found: list[Finding]) -> list[Finding]:
    """Jumps the training and the validation loss make at the same x, each beyond SPIKE_JOINT_Z of
    its own noise (two independent noises rarely jump together) - when neither curve already has a
    spike there. Epoch-level curves on one axis only; erratic validation keeps its own check."""
    from .erratic_validation import erratic_jumps

    tr, va = view.curve(TRAIN_LOSS), view.val
    if (tr is None or va is None or tr.axis != va.axis or len(tr) != len(va) or len(va) < T.SPIKE_MIN_POINTS
            or not np.array_equal(tr.x, va.x) or erratic_jumps(view)[0]):
        return []
    taken = {f.metrics["peak_x"] for f in found}
    got = {}
    for c, rise in ((tr, T.SPIKE_MIN_LOG_RISE), (va, T.SPIKE_REFERENCE_MIN_LOG_RISE)):
        f, _, _ = spikes_in(c, None, rise, z_threshold=T.SPIKE_JOINT_Z, joint=True)
        got[c.name] = {g.metrics["peak_x"]: g for g in f if g.metrics["peak_x"] not in taken}
    both = sorted(set(got[TRAIN_LOSS]) & set(got[va.name]))
    return [got[name][x] for x in both for name in (TRAIN_LOSS, va.name)]
