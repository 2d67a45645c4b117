"""Divergence: non-finite losses (NaN/inf - the run blew up), or a training loss that explodes and
stays up: its last points all sit above both its starting level and DIVERGENCE_FACTOR x its best, or
they sit DIVERGENCE_FACTOR x above its best having undone most of the progress (climbed back).

Validation alone rising is overfitting, not divergence, so the explosion test looks at the training
losses (validation only when the log has no training loss).
"""

from __future__ import annotations

import math

import numpy as np

from ... import fmt
from ...columns import GAP_TERMS, HUMAN_LABELS, LR, TRAIN_LOSS, TRAIN_LOSS_STEP, TRUE_TRAIN_LOSS, VAL_LOSS, fold, looks_like_loss
from .. import thresholds as T
from ..model import Finding
from ..noise import lucky_low, point_noise, residuals, validation_follows
from ..signals import binned, level_median, odd_window, robust_sigma, rolling_median
from . import Check, Detected

CHECK = Check("divergence", "Divergence", "NaN/inf losses, or a training loss that explodes and stays up")


def _short_blowup(name: str, c) -> Finding | None:
    """A 3-point loss that rose at each point to DIVERGENCE_SHORT_FACTOR x its start (and stayed finite):
    too few points for a trend or a noise scale, but nothing else rises like that. The evidence says how
    few points it rests on."""
    y = np.asarray(c.y, float)
    if not (np.all(np.diff(y) > 0) and y[-1] >= T.DIVERGENCE_SHORT_FACTOR * y[0]):
        return None
    label = HUMAN_LABELS.get(name, name)
    return Finding(kind="divergence", severity="critical", series=name, start=float(c.x[0]), end=float(c.x[-1]), x_axis=c.axis,
                   metrics={"end_over_best": round(float(y[-1] / y[0]), 3), "best": float(y[0]), "best_x": float(c.x[0]),
                            "final": float(y[-1]), "points": 3},
                   summary=f"{label} exploded from {fmt.num(y[0])} to {fmt.num(y[1])} and {fmt.num(y[-1])} "
                   f"({fmt.ratio(float(y[-1] / y[0]))} its start) over the only 3 points logged")


def _lr_restart_after(view, axis: str, x_best: float) -> tuple[float, float] | None:
    """(x, lr) of the first point after ``x_best`` where the logged learning rate fell to at most
    DIVERGENCE_LR_RESTART_SHARE of its peak so far and then rose again (a schedule that started over),
    or None (no lr series, or no restart)."""
    lr = view.curve(LR, axis)
    if lr is None or len(lr) < 4:
        return None
    y = np.asarray(lr.y, float)
    peak = np.maximum.accumulate(y)
    # the largest lr after each point (NaN where nothing finite follows), in one backward pass
    later = np.append(np.fmax.accumulate(y[::-1])[::-1][1:], np.nan)
    low = (y <= T.DIVERGENCE_LR_RESTART_SHARE * peak) & (peak > 0) & (lr.x > x_best)
    rises = (later > np.maximum(y, 0) * 2) & (later > T.DIVERGENCE_LR_RESTART_SHARE * peak)
    hit = np.flatnonzero(low & rises)
    return (float(lr.x[hit[0]]), float(y[hit[0]])) if len(hit) else None


def _training_finite(view) -> bool:
    """Some training-side loss of the run holds a finite value."""
    return any((s := view.run.get(n)) is not None and bool(np.isfinite(np.asarray(s.y, float)).any())
               for n in (TRAIN_LOSS, TRAIN_LOSS_STEP, TRUE_TRAIN_LOSS))


def _trains(name: str) -> bool:
    """A loss of the training side (the optimised loss, its step-level twin, a train/ term)."""
    return name in (TRAIN_LOSS, TRAIN_LOSS_STEP, TRUE_TRAIN_LOSS) or fold(name).startswith(("train", "trn"))


def _finite_after_last_nonfinite(s) -> int:
    """How many points follow the series' last non-finite value (all finite by definition)."""
    bad = np.flatnonzero(~np.isfinite(np.asarray(s.y, float)))
    return int(len(s.y) - 1 - bad[-1]) if len(bad) else len(s.y)


def _creeping(w, trend: np.ndarray, best_i: int, win: int) -> tuple[int, float] | None:
    """A training loss that has been climbing slowly since its best and never came back: over at least
    DIVERGENCE_CREEP_MIN_FRACTION of the run its trend rose at >= DIVERGENCE_CREEP_RISING_SHARE of its
    moves and ends >= DIVERGENCE_CREEP_MIN_LOG_RISE above the best - the best's level, not its luckiest
    value (noise.lucky_low: the lowest of a long noisy trend sits below it by chance) - the last
    point of it near its top (no recovery). (onset index, log rise) or None."""
    n = len(trend)
    after = n - 1 - best_i
    if after < max(3, T.DIVERGENCE_CREEP_MIN_FRACTION * n):
        return None
    seg = trend[best_i:]
    # measured between levels (windows cut at the edges: a padded edge is the lucky first or last point
    # itself), and beyond the luck the lowest of a long noisy trend may owe (noise.lucky_low)
    level = level_median(w.scaled, win)
    rise = float(min(float(seg[-1]), float(level[-1])) - max(float(seg[0]), float(level[best_i])))
    if rise <= lucky_low(point_noise(w.scaled), n, win):
        return None
    # judged on up to 10 block medians: a rolling median's point-to-point moves are mostly ties and noise
    blocks = np.array([np.median(b) for b in np.array_split(seg, min(10, len(seg)))])
    d = np.diff(blocks)
    if rise < T.DIVERGENCE_CREEP_MIN_LOG_RISE or len(d) < 2 or np.mean(d > 0) < T.DIVERGENCE_CREEP_RISING_SHARE:
        return None
    if float(seg.max() - seg[-1]) > 0.25 * rise:  # it came back down a good part of the way
        return None
    return best_i, rise


def _creep_finding(name: str, w, best: float, best_i: int, onset: int, rise: float) -> Finding:
    """A slow divergence; info when its best was already at a few percent of where the loss began
    (below OSCILLATION_HARM_MIN_REMAINING of the start, as level_shift's 'near convergence'): a handful
    of examples moving a tiny loss by tens of percent, not a model getting worse by that alone."""
    label = HUMAN_LABELS.get(name, name)
    v = w.scaled
    start_level = float(np.median(v[: max(1, min(3, len(v) // 10))]))  # the first points (a fast first descent)
    tiny = best - start_level < math.log(T.OSCILLATION_HARM_MIN_REMAINING)
    note = (f"; from a best at {fmt.pct(float(np.exp(best - start_level)))} of its start, where a few examples move "
            "the loss by tens of percent" if tiny else "")
    return Finding(
        kind="divergence",
        severity="info" if tiny else "warning",
        series=name,
        start=float(w.x[onset]),
        end=float(w.x[-1]),
        x_axis=w.axis,
        metrics={"end_over_best": round(float(np.exp(rise)), 3), "best": float(np.exp(best)),
                 "best_x": float(w.x[best_i]), "final": float(w.y[-1]), "creeping": True, "near_convergence": bool(tiny)},
        summary=(f"{label} has been climbing since its best {fmt.num(np.exp(best))} ({fmt.at(w.axis, w.x[best_i])}): "
                 f"{fmt.ratio(float(np.exp(rise)))} by the end, rising at most points and not coming back - a slow divergence{note}"),
    )


def detect(view) -> Detected:
    findings: list[Finding] = []
    parts = []
    names = [n for n in view.checked_losses if view.run.get(n) is not None]
    # NaN/inf in any loss the file holds means the run blew up (nanoGPT logs its per-iteration loss
    # beside the periodic train/val estimates)
    extra = [n for n in view.run.series if n not in names and looks_like_loss(n) and n not in GAP_TERMS
             and n != TRAIN_LOSS_STEP and not n.endswith(("_ci_low", "_ci_high")) and view.run.get(n).n_nonfinite]
    for name in names + extra:
        s = view.run.get(name)
        c = view.curve(name)
        bad = s.n_nonfinite
        if bad and bad == len(s.y) and not _trains(name) and _training_finite(view):
            # an evaluation-side loss that is NaN at every point beside a finite training loss never ran
            # (YOLO writes nan for every val loss when validation is off): nothing blew up
            parts.append(f"{name}: no finite value at all beside a finite training loss - not computed, not a blow-up")
            continue
        if bad:
            label = HUMAN_LABELS.get(name, name)
            first = c.first_nonfinite_x if c is not None else None
            last_x = float(np.nanmax(s.x(c.axis))) if c is not None and s.x(c.axis) is not None else first
            after = _finite_after_last_nonfinite(s)
            # severity follows consequence: a loss that went NaN and stayed so (or ended so) blew the run
            # up; one that came back to finite values for DIVERGENCE_RECOVERED_POINTS points did not -
            # an evaluation that returned NaN before the model produced usable outputs (YOLO's first
            # validations), or a skipped fp16 overflow. Still worth a look when it hit the optimised loss.
            recovered = after >= T.DIVERGENCE_RECOVERED_POINTS
            severity = "critical" if not recovered else ("warning" if name in (TRAIN_LOSS, TRAIN_LOSS_STEP) else "info")
            tail = (f"; finite again for the {fmt.count(after, 'point')} after it: the run recovered" if recovered else "")
            findings.append(
                Finding(
                    kind="divergence",
                    severity=severity,
                    series=name,
                    start=first,
                    end=last_x,
                    x_axis=c.axis if c is not None else view.axis,
                    metrics={"nonfinite": bad, "first_nonfinite_x": first, "finite_points": len(c) if c else 0,
                             "last_finite": float(c.y[-1]) if c is not None and len(c) else None,
                             "finite_after": after, "recovered": recovered},
                    summary=f"{label} became non-finite (NaN/inf) at {fmt.at(c.axis if c else view.axis, first)}: "
                    f"{fmt.count(bad, 'non-finite value')}{tail}",
                )
            )
    canonical = [n for n in (TRAIN_LOSS, TRUE_TRAIN_LOSS) if n in names] or ([VAL_LOSS] if VAL_LOSS in names else [])
    explode_names = canonical or names  # a run with only other losses (GAN): each of them
    for name in explode_names:
        c = view.curve(name)
        if c is not None and len(c) == 3 and c.positive:
            short = _short_blowup(name, c)
            if short is not None:
                findings.append(short)
                parts.append(f"{name}: 3 points, rising at each to {fmt.ratio(float(c.y[-1] / c.y[0]))} its start")
            continue
        if c is None or len(c) < 4 or not c.positive:
            continue
        w = binned(c)
        v = w.scaled
        n = len(v)
        win = odd_window(n, T.SPIKE_TREND_FRACTION, 3, T.SPIKE_TREND_MAX_WINDOW)
        trend = rolling_median(v, win)
        k0 = max(1, int(round(0.05 * n)))
        start_level = float(np.median(v[:k0]))
        best_i = int(np.argmin(trend))
        best = float(trend[best_i])
        thr = max(start_level, best + math.log(T.DIVERGENCE_FACTOR))
        tail = max(2, int(math.ceil(T.DIVERGENCE_TAIL_FRACTION * n)))
        ratio_end = float(np.exp(np.median(v[-tail:]) - best))
        parts.append(f"{name}: ends at {fmt.ratio(ratio_end)} its best (limit {T.DIVERGENCE_FACTOR:g}x and above its start)")
        # the last points all above the limit; or the very last one DIVERGENCE_FACTOR x above where
        # the run started (the run ends far worse than untrained: no noise reaches that)
        final_blowup = best_i < n - 1 and v[-1] > max(start_level, best) + math.log(T.DIVERGENCE_FACTOR)
        # or it climbed back: far above its best for the whole tail, most of the progress undone
        # (the first logged value is often an untrained loss far above where learning began)
        undone = (float(np.median(v[-tail:])) - best) / (start_level - best) if start_level > best else 0.0
        climbed_back = (best_i < n - tail and undone >= T.DIVERGENCE_UNDONE_FRACTION
                        and np.all(v[-tail:] > best + math.log(T.DIVERGENCE_FACTOR)))
        tail_above = best_i < n - tail and bool(np.all(v[-tail:] > thr))
        above_start = tail_above or final_blowup
        # noise model: the end must stand above the best by more than the curve's own scatter - a loss
        # logged as single batches swings x10 from point to point, and its best is one lucky batch
        # (HarelAmezcua: last-batch losses 4e-6 .. 0.3 for 50 epochs, 'x73 its best' is its bounce)
        noise = robust_sigma(residuals(w))
        if final_blowup and not tail_above and n > tail + 1:
            # the last point alone decides only when it departs from the points just before it by more than
            # the curve's own scatter: a single-batch loss that swings x3 from point to point ends on one of
            # its swings (Anson-Saju-George: 0.05-0.37 for 90 logged batches, the last one 0.178)
            recent = float(np.median(v[-tail - 1:-1]))
            if v[-1] - recent < T.DIVERGENCE_NOISE_Z * noise:
                parts[-1] += (f"; its last point is within {T.DIVERGENCE_NOISE_Z:g}x its own scatter of the points "
                              "before it: no blow-up at the end")
                final_blowup = above_start = False
        rise = float(max(np.median(v[-tail:]), v[-1]) - best)
        if rise < T.DIVERGENCE_NOISE_Z * noise:
            if above_start or climbed_back:
                parts[-1] += f"; within {T.DIVERGENCE_NOISE_Z:g}x its own scatter ({fmt.ratio(float(np.exp(noise)))} per point)"
            above_start = climbed_back = False
        restart = _lr_restart_after(view, c.axis, float(w.x[best_i])) if (above_start or climbed_back) else None
        if restart is not None and not final_blowup:
            # the learning-rate schedule started over after the best (a new session, a warm restart): the
            # loss jumping there is the restart's doing, not an explosion of one run - the level-shift and
            # spike checks judge it (ishanwa: six restarts from lr 0, the loss back up and falling after each)
            parts[-1] += f"; the learning rate restarted from {fmt.num(restart[1])} at {fmt.at(c.axis, restart[0])} after the best"
            above_start = climbed_back = False
        climbed_back = climbed_back and not above_start  # said only when it is what decided
        if climbed_back:
            thr = best + math.log(T.DIVERGENCE_FACTOR)
        if not (above_start or climbed_back) and name != VAL_LOSS:
            creep = _creeping(w, trend, best_i, win)
            if creep is not None:
                from .level_shift import shifts_in

                if creep[1] < math.log(T.DIVERGENCE_FACTOR) and shifts_in(c, ramps=True)[0]:
                    creep = None  # a climb to a level held for a good part of the run: the level-shift check's
                    # (a climb to DIVERGENCE_FACTOR x its best and beyond stays a divergence, as the end test says)
            if creep is not None:
                onset, rise = creep
                follows = validation_follows(view, float(w.x[onset]), rise)
                if follows is None or follows[0]:
                    findings.append(_creep_finding(name, w, best, best_i, onset, rise))
                    parts[-1] += f"; it has been climbing since {fmt.at(w.axis, w.x[onset])} ({fmt.ratio(float(np.exp(rise)))})"
            continue
        if above_start or climbed_back:
            above = v > thr
            # first point after the best from which the loss stays above the threshold
            below_after = np.flatnonzero(~above[best_i:]) + best_i
            onset = int(below_after[-1]) + 1 if len(below_after) else best_i
            label = HUMAN_LABELS.get(name, name)
            follows = validation_follows(view, float(w.x[onset]), float(np.median(v[onset:]) - best)) if name != VAL_LOSS else None
            if follows is not None and not follows[0]:
                # the evaluated model did not get worse: the reported loss changed (a new term, other
                # data), the level-shift check reports it
                parts[-1] += (f"; validation did not follow ({fmt.ratio(float(np.exp(follows[1])))}): not a divergence "
                              "of the model")
                continue
            findings.append(
                Finding(
                    kind="divergence",
                    severity="critical",
                    series=name,
                    start=float(w.x[onset]),
                    end=float(w.x[-1]),
                    x_axis=w.axis,
                    metrics={"end_over_best": round(ratio_end, 3), "best": float(np.exp(best)),
                             "progress_undone": round(float(undone), 3),
                             "best_x": float(w.x[best_i]), "final": float(w.y[-1])},
                    summary=f"{label} exploded from its best {fmt.num(np.exp(best))} ({fmt.at(w.axis, w.x[best_i])}) "
                    f"to {fmt.num(w.y[-1])}" + (f" ({fmt.ratio(float(w.y[-1]) / float(np.exp(best)))} its best)" if w.positive else "")
                    + " and stayed up from "
                    f"{fmt.at(w.axis, w.x[onset])}"
                    # the ratio beside a number is that number's: the end test's median of the last points
                    # (ratio_end, in the metrics and the check) sat beside the last value (x1.85 beside 110 -> 569)
                    + (f" ({fmt.pct(undone)} of the progress from its start undone)" if climbed_back else ""),
                )
            )
    if not names:
        return Detected([], "no loss series", applicable=False)
    nf = ", ".join(f"{n}: {view.run.get(n).n_nonfinite}" for n in names)
    return Detected(findings, f"non-finite values ({nf}); " + ("; ".join(parts) if parts else "explosion test not applicable"))
