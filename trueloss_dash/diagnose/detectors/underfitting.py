"""Underfitting: the training loss (true one when logged) stays high and validation stays close to it.
Needs a validation loss or a training accuracy: without either, a flat training loss is a plateau.

"High" is relative (the run is scale-free): the loss ends above UNDERFIT_MIN_REMAINING of where it
started, or the training accuracy ends below UNDERFIT_MAX_TRAIN_ACC. The finding carries whether
the loss is still improving at the end at a steady rate (the ``lr_too_low`` signature) or has
converged (capacity).
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import HUMAN_LABELS, TRAIN_ACC, TRAIN_LOSS, TRUE_TRAIN_ACC, TRUE_TRAIN_LOSS, VAL_LOSS
from .. import thresholds as T
from ..model import Finding
from ..noise import end_over_lowest_level, point_noise, trend_t
from ..signals import Curve, interval_means, overlap, pct
from . import Check, Detected
from .plateau import metric_still_improving, progress_profile

CHECK = Check("underfitting", "Underfitting", "training loss staying high and close to validation")


def _metric_never_improved(view) -> tuple[str, float] | None:
    """(name, first value) of a validation metric (accuracy, Dice, F1, ...) logged at least
    UNDERFIT_METRIC_MIN_POINTS times that never got better than its first value by more than
    UNDERFIT_METRIC_MIN_GAIN of its scale; None otherwise. Evidence, without a validation loss, that
    a flat training loss is a model that learns nothing the task measures."""
    from .metric_disagreement import validation_metrics, higher_is_better

    for name in validation_metrics(view.run):
        s = view.run.get(name)
        if s is None:
            continue
        y = np.asarray(s.y, float)
        y = y[np.isfinite(y)]
        if len(y) < T.UNDERFIT_METRIC_MIN_POINTS:
            continue
        better = y if higher_is_better(name) else -y
        gain = float(np.max(better) - better[0])  # the most it ever improved on its first value
        scale = max(float(np.max(np.abs(y))), 1e-12)
        if gain <= T.UNDERFIT_METRIC_MIN_GAIN * scale:
            return name, float(y[0])
    return None


def _stuck_at_worst(stuck: tuple[str, float] | None) -> bool:
    """A metric that never improved (:func:`_metric_never_improved`) sits at the bad end of its range
    ([0, 1] or percent): class error 100%, accuracy or Dice ~0 - the model learned nothing, not a
    model that was good from its first evaluation."""
    if stuck is None:
        return False
    from .metric_disagreement import higher_is_better

    name, first = stuck
    bound = 1.0 if 0 <= first <= 1 else 100.0 if 0 <= first <= 100 else None
    if bound is None:
        return False
    worst = T.UNDERFIT_METRIC_WORST_SHARE * bound
    return first <= worst if higher_is_better(name) else first >= bound - worst


def _plateau_found(view) -> bool:
    from . import plateau

    try:
        return bool(plateau.detect(view).findings)
    except (ValueError, IndexError, FloatingPointError):
        return False


def _falling_trend(y: np.ndarray) -> bool:
    """The log loss's least-squares slope over these points is at least UNDERFIT_STILL_TREND_T standard
    errors below zero."""
    return trend_t(y) <= -T.UNDERFIT_STILL_TREND_T


def _late_validation(va) -> np.ndarray | None:
    """Validation's second half, when it has at least UNDERFIT_STILL_FALLING_MIN_MOVES points and is positive."""
    if va is None or not va.positive or len(va) < 2 * T.UNDERFIT_STILL_FALLING_MIN_MOVES:
        return None
    return np.asarray(va.y[len(va) // 2:], float)


def _validation_improved(va) -> bool:
    """Validation's best stands below its first points beyond its own move-to-move scatter
    (UNDERFIT_VAL_IMPROVED_Z) and by at least UNDERFIT_VAL_IMPROVED_MIN_LOG_DROP: the evaluated model
    learned something before it stopped."""
    if va is None or len(va) < 4 or not va.positive:
        return False
    y = np.log(np.asarray(va.y, float))
    start = float(np.median(y[: max(1, min(3, len(y) // 5))]))
    drop = start - float(y.min())
    scatter = point_noise(y)
    return drop >= max(T.UNDERFIT_VAL_IMPROVED_MIN_LOG_DROP, T.UNDERFIT_VAL_IMPROVED_Z * scatter)


def _widening_gap(late_train: np.ndarray, va, late_drop: float) -> bool:
    """Training's second half still falls on its own noise - at least OVERFIT_TRAIN_STEADY_MIN_LOG_DROP on a
    trend OVERFIT_TRAIN_STEADY_T standard errors below flat over OVERFIT_TRAIN_STEADY_MIN_POINTS points or
    more, the measure of 'still fitting' the overfitting check uses - while validation's second half
    does not: the model keeps fitting its training set beyond what it generalises, which is what a model
    with capacity to spare does (adai183: a near-random binary task, training 0.635 -> 0.605 over 1000
    epochs beside a flat validation)."""
    late = _late_validation(va)
    if late is None or len(late_train) < T.OVERFIT_TRAIN_STEADY_MIN_POINTS or late_drop < T.OVERFIT_TRAIN_STEADY_MIN_LOG_DROP:
        return False
    return trend_t(late_train) <= -T.OVERFIT_TRAIN_STEADY_T and trend_t(late) > -T.OVERFIT_TRAIN_STEADY_T


def _validation_still_falls(va) -> bool:
    """Validation's second half (at least UNDERFIT_STILL_FALLING_MIN_MOVES points) falls by at least
    UNDERFIT_STILL_MIN_LOG_DROP with a least-squares trend UNDERFIT_STILL_TREND_T standard errors below flat."""
    late = _late_validation(va)
    return late is not None and bool(np.log(late[0] / late[-1]) >= T.UNDERFIT_STILL_MIN_LOG_DROP and _falling_trend(late))


def _frozen(va) -> bool:
    """A loss that did not move (validation, or a training loss with nothing beside it): at least
    UNDERFIT_FROZEN_MIN_POINTS points spanning less than UNDERFIT_FROZEN_MAX_SPAN of their level."""
    if va is None or len(va) < T.UNDERFIT_FROZEN_MIN_POINTS or not va.positive:
        return False
    y = np.asarray(va.y, float)
    return bool(np.ptp(y) < T.UNDERFIT_FROZEN_MAX_SPAN * float(np.median(y)))


def _chance_level(values: np.ndarray) -> int | None:
    """k when a (cross-entropy) loss is pinned at ln k for a small class count k (2..UNDERFIT_CHANCE_MAX_CLASSES):
    the loss of predicting every class with probability 1/k. Its median within UNDERFIT_CHANCE_TOLERANCE
    of ln k (a stuck model sits there to 4+ digits); for ln 2, within the wider binary tolerance and with
    at least UNDERFIT_CHANCE_PINNED_SHARE of its values there too - a noisy loss whose median passes ln 2
    on its way between 0.2 and 1.3 sits nowhere (josephdutoit: a regression's single-batch losses,
    median 0.69)."""
    y = np.asarray(values, float)
    y = y[np.isfinite(y)]
    if not len(y) or np.median(y) <= 0:
        return None
    loss = float(np.median(y))
    for k in range(2, T.UNDERFIT_CHANCE_MAX_CLASSES + 1):
        tol = T.UNDERFIT_CHANCE_BINARY_TOLERANCE if k == 2 else T.UNDERFIT_CHANCE_TOLERANCE
        if abs(loss / np.log(k) - 1) <= tol:
            if k == 2 and float(np.mean(np.abs(y / np.log(k) - 1) <= tol)) < T.UNDERFIT_CHANCE_PINNED_SHARE:
                return None
            return k
    return None


def _best_bounded_metric(view) -> tuple[str, float] | None:
    """(name, end value) of the best-ending bounded validation metric (in [0, 1], higher is better):
    at the ceiling the evaluated model fits the task (mAP50 0.97 beside mAP50-95 0.70: the detector
    finds the objects); low, it shows a model that has not learned the task. None without one."""
    from .metric_disagreement import validation_metrics, higher_is_better

    ends, names = [], []
    for name in validation_metrics(view.run):
        s = view.run.get(name)
        if s is None or not higher_is_better(name):
            continue
        y = np.asarray(s.y, float)
        y = y[np.isfinite(y)]
        if len(y) < T.UNDERFIT_METRIC_MIN_POINTS or y.min() < 0 or y.max() > 1:
            continue
        ends.append(float(np.median(y[-max(1, len(y) // 10):])))
        names.append(name)
    if not ends:
        return None
    best = int(np.argmax(ends))
    return names[best], ends[best]


def detect(view) -> Detected:
    name = TRUE_TRAIN_LOSS if view.true_train is not None and len(view.true_train) >= 3 else TRAIN_LOSS
    tr = view.curve(name)
    if tr is None or len(tr) < 3 or not tr.positive:
        return Detected([], "needs a positive training loss with at least 3 points", applicable=False)
    va = view.val
    if va is not None and len(va) >= 3 and len(tr) >= 3 * len(va):
        # a step-level loss carries minibatch noise that can hide a slow, steady descent: judge the
        # per-validation-interval means (what a framework reports per epoch) instead
        idx = overlap(tr, va)
        if len(idx) >= 3:
            ym = interval_means(tr, va.x[idx])
            if np.all(np.isfinite(ym)) and np.all(ym > 0):
                tr = Curve(tr.name, va.axis, va.x[idx], ym)
    prof = progress_profile(tr)
    remaining = prof["remaining_fraction"]
    k = max(1, len(tr) // 10)
    t_end = float(np.median(tr.y[-k:]))
    rel_gap = None
    if va is not None and len(va):
        kv = max(1, len(va) // 10)
        v_end = float(np.median(va.y[-kv:]))
        rel_gap = abs(v_end - t_end) / t_end
    acc = None
    for acc_name in (TRUE_TRAIN_ACC, TRAIN_ACC):
        a = view.curve(acc_name)
        if a is not None and len(a) and 0 <= np.nanmin(a.y) and np.nanmax(a.y) <= 1:
            acc = float(np.median(a.y[-max(1, len(a) // 10):]))
            break
    detail = f"{name} ends at {fmt.of_start(remaining)}" + (f", validation within {pct(rel_gap)}" if rel_gap is not None else "")
    if acc is not None:
        detail += f", training accuracy {fmt.num(acc)}"
    never_improved = _metric_never_improved(view) if acc is None else None
    stuck_metric = never_improved if rel_gap is None else None
    # beside a validation loss too: a validation metric stuck at the bad end of its range (DETR's class
    # error 100% at every epoch) says nothing was learned, however far validation sits from training
    worst_metric = never_improved if _stuck_at_worst(never_improved) else None
    if worst_metric is None and _frozen(va):
        # a validation loss that never moved at all (its span a sliver of its level over many
        # evaluations): the model's outputs on the validation set never changed - nothing was learned
        # that the task measures (YutingYao: 1.3576178e15 -> 1.3576162e15 over 200 epochs)
        worst_metric = (f"{HUMAN_LABELS.get(VAL_LOSS, VAL_LOSS)} (frozen)", float(va.y[-1]))
    late_train = tr.y[len(tr) // 2:]
    chance = _chance_level(late_train)  # pinned at ln k for the second half
    if rel_gap is None and acc is None and stuck_metric is None:
        # "high" is relative to what the model could reach; with neither validation nor accuracy a flat
        # training loss is a plateau (its own finding), not evidence that the model cannot fit - with two
        # exceptions, both over a run long enough to judge that barely moved:
        barely = remaining >= T.UNDERFIT_STUCK_REMAINING and len(tr) >= T.UNDERFIT_WARNING_MIN_POINTS
        label = HUMAN_LABELS.get(name, name)

        def training_only(severity: str, extra: dict, summary: str, why: str) -> Detected:
            metrics = {"remaining_fraction": round(remaining, 4), "val_rel_gap": None, "train_acc_end": None,
                       "final": t_end, **extra}
            return Detected([Finding(kind="underfitting", severity=severity, series=name, start=float(tr.x[0]),
                                     end=float(tr.x[-1]), x_axis=tr.axis, metrics=metrics, summary=summary)],
                            detail + why)

        # a loss pinned at ln k for the whole run is a model that outputs the uniform prior: nothing
        # learned, whatever validation would say (Darejkal: 1.3863 = ln 4 in every launch of a 4-class model)
        if chance is not None and barely:
            return training_only(
                "warning", {"chance_classes": chance},
                f"{label} sits at ln {chance} = {fmt.num(float(np.log(chance)))} for the whole run ({fmt.num(t_end)} at "
                f"the end, {fmt.of_start(remaining)}): a uniform guess over {chance} classes - the model has learned nothing",
                f"; pinned at ln {chance} (a uniform guess)")
        # a loss that never changed at all (its span a sliver of its level over the whole run) is not a slow
        # descent an LR too low makes: no weight that matters moved - zero gradients, a saturated output, an
        # optimiser that never steps (keepdevops: 0.49999999999969813 at each of 1000 epochs) - unless a
        # validation metric kept improving, which makes it a loss that is not logged from the model
        # (DAIDASEN: one value repeated while accuracy rose)
        if barely and _frozen(tr) and metric_still_improving(view, tr.axis, float(tr.x[0]), float(tr.x[-1])) is None:
            return training_only(
                "warning", {"frozen": True},
                f"{label} never changed over {fmt.count(len(tr), 'point')} ({fmt.num(t_end)} at every one, to "
                f"{fmt.pct(T.UNDERFIT_FROZEN_MAX_SPAN)} of its level): nothing the loss sees is learning - look for zero "
                "gradients, a saturated output, frozen weights or an optimiser that never steps",
                "; frozen: the loss never changed")
        # a loss that crept down too steadily to look flat in any window is worth saying, as info
        # (tanojkumar05: MSE -4.8% over 100 epochs, ~1.2% a quarter) - unless the plateau check already
        # reports the flatness: that finding is the reading, no second one
        if barely and remaining <= 1.0 and not _plateau_found(view):
            return training_only(
                "info", {"unconfirmed": True},
                f"{label} only fell to {fmt.of_start(remaining)} ({fmt.num(t_end)}) over {fmt.count(len(tr), 'point')}; "
                "with no validation loss or accuracy beside it, a model that cannot fit cannot be told from a slow "
                "learning rate or a task at its floor",
                "; barely moved over the whole run, with nothing beside it to say why")
        return Detected([], detail + "; no validation loss or accuracy to compare with: a flat loss is reported as a plateau")
    shown = stuck_metric or worst_metric
    if shown is not None:
        detail += f"; {shown[0]} never improved ({fmt.num(shown[1])} at every evaluation)"
    if remaining > 1.0 + T.UNDERFIT_MAX_REL_GAP:
        # the loss ended above where it started: that is divergence or a level shift, not a model too small
        return Detected([], detail + "; it rose overall, which the divergence and level-shift checks judge")
    relapse = end_over_lowest_level(tr.y)
    if len(tr) >= T.UNDERFIT_WARNING_MIN_POINTS and relapse >= T.UNDERFIT_RELAPSE_RATIO:
        # it once fitted far better than it ends (a warm-up peak or an LR too high threw it back): the
        # model can fit; what undid it is the divergence and level-shift checks' to name
        return Detected([], detail + f"; its level once reached {fmt.num(t_end / relapse)} "
                        f"(it ends {fmt.ratio(relapse)} above that): it fitted, then lost it")
    # a run that resumed a trained model (ingest: meta "continues") started near where it ends: its
    # progress from that start says nothing about fitting - only a low training accuracy does
    resumed = bool(view.run.meta.get("continues"))
    if resumed:
        detail += "; the run resumed a trained model (it starts where the part before it ended)"
    high = ((remaining >= T.UNDERFIT_MIN_REMAINING and not resumed)
            or (acc is not None and acc < T.UNDERFIT_MAX_TRAIN_ACC))
    # a training loss that barely moved beside a low training accuracy never fitted its training set:
    # however far validation sits from it (jumping, or well above), there was nothing to overfit
    never_fitted = remaining >= T.UNDERFIT_STUCK_REMAINING and (
        (acc is not None and acc < T.UNDERFIT_MAX_TRAIN_ACC) or worst_metric is not None)
    close = rel_gap is None or rel_gap <= T.UNDERFIT_MAX_REL_GAP or never_fitted
    if not (high and close):
        return Detected([], detail)
    still = prof["late_rate"] > 0 and prof["slope_ratio"] >= T.LR_LOW_MIN_SLOPE_RATIO
    # a training loss that fell at (nearly) every point of its second half is still learning, however
    # much its pace slowed ('train longer'): not 'stopped improving' - a low accuracy there is no
    # warning (FarrisFoo: 3.24 -> 2.01 in 10 epochs, down at every one, accuracy 0.35 and rising)
    late_moves = np.diff(late_train)
    # (or, for a noisy loss whose small up-moves break that count, a second-half trend that falls
    # clearly beyond its own scatter: the least-squares slope of the log loss at least
    # UNDERFIT_STILL_TREND_T standard errors below zero - 2% noise on a slow descent is still a descent)
    late_drop = float(np.log(late_train[0] / late_train[-1])) if late_train[-1] > 0 else 0.0
    learning = (len(late_moves) >= T.UNDERFIT_STILL_FALLING_MIN_MOVES - 1
                and ((bool(np.mean(late_moves < 0) >= T.UNDERFIT_STILL_FALLING_SHARE) and late_drop >= T.UNDERFIT_STILL_MIN_LOG_DROP)
                     or (_falling_trend(late_train) and late_drop >= T.UNDERFIT_STILL_TREND_MIN_LOG_DROP)))
    gap_widens = _widening_gap(late_train, va, late_drop)
    widening = gap_widens and not learning  # (the summary words it so only when the late moves did not show a fall)
    learning = learning or gap_widens
    if not still and va is not None and len(va) >= 3 and va.positive:
        # validation is measured on a fixed set without minibatch noise: when it sits next to the
        # training loss (underfitting), its steady descent is the clearer sign the LR is too low
        vprof = progress_profile(va)
        still = vprof["late_rate"] > 0 and vprof["slope_ratio"] >= T.LR_LOW_MIN_SLOPE_RATIO
    # a validation loss that still falls at (nearly) every evaluation of the second half while its
    # rate slows (not the steady descent above) is converging on a floor close to where it started
    # (a fine-tune of a pre-trained model): not a model that cannot fit
    converging = False
    if not still and va is not None and len(va) >= 3 and va.positive:
        late = np.diff(va.y[len(va) // 2:])
        converging = len(late) >= T.UNDERFIT_STILL_FALLING_MIN_MOVES and bool(np.mean(late < 0) >= T.UNDERFIT_STILL_FALLING_SHARE)
    # severity follows consequence: a loss that barely moved, or a low training accuracy that has
    # stopped improving, is a model that cannot fit (warning); a loss still falling at a steady rate
    # (the run was stopped while learning: train longer), or settled at a level that may be the
    # task's floor (language models, detection sums), is info
    low_acc = acc is not None and acc < T.UNDERFIT_MAX_TRAIN_ACC
    # barely moved over the whole run: it never really learned - unless the run resumed a trained model
    stuck = remaining >= T.UNDERFIT_STUCK_REMAINING and not resumed
    # without validation, "train and validation high and close" cannot be confirmed (an accuracy column
    # of a regression model says nothing): info
    # a validation metric that never moved off its first value beside a training loss that barely moved:
    # the model never learned anything the task measures (MonashAIM: Dice 0.0 at every evaluation)
    never = (stuck_metric is not None or worst_metric is not None) and stuck
    # the best-ending bounded validation metric: near its ceiling the model fits the task and the loss
    # sits at the task's floor; low, it shows a model that has not learned the task
    metric = _best_bounded_metric(view)
    fits = metric if not never and metric is not None and metric[1] >= T.UNDERFIT_METRIC_CEILING else None
    # a run of a few points shows too little to call a model unable to fit (joo9810: an LLM fine-tune
    # stopped after 4 evaluations, 2.07 -> 1.91) - unless a metric says nothing was learned
    few = len(tr) < T.UNDERFIT_WARNING_MIN_POINTS
    # a loss that barely moved is a model that cannot learn only with something beside it saying so - a
    # low training accuracy, a low best validation metric, or the loss pinned at chance (ln k of a
    # uniform guess over k classes); without any it is as likely a pre-trained model fine-tuned at its
    # floor (synthetic fine-tunes starting 5-60% above their floor: 72 of 400 were underfitting warnings)
    low_metric = metric is not None and metric[1] < T.UNDERFIT_MAX_TRAIN_ACC  # even the best metric ends low
    stuck_shown = stuck and (low_acc or low_metric or chance is not None)
    # a validation loss whose second half falls beyond its own scatter: the evaluated model is still
    # learning what the task measures, whatever the training loss shows (AlanYuzhe: a YOLO training sum
    # noisy 5.8-8.2 with no trend beside validation 7.42 -> 6.57 and mAP rising) - not 'cannot learn'
    # (and only while the training loss itself does not fall: beside a training loss falling slowly with it,
    # validation falling is an LR too low - the underfitting warning's own case)
    val_learning = _validation_still_falls(va) and not _falling_trend(late_train)
    # a widening gap (training still falling beyond its noise while validation stopped) is a model that
    # keeps fitting its training set: whatever the loss level or a low training (token) accuracy say,
    # capacity is not what limits it (Ansarill: an LM fine-tune at 90% of its start, token accuracy ~0.4) -
    # as long as the evaluated model did learn before it stopped (flyant407: validation at ln 10 from first
    # to last while the training loss dips below it - memorising, nothing learned) and is not at chance
    # (whether or not training's late moves already counted as 'still falling': a steady fall beside a
    # validation that stopped is the same widening gap)
    fitting_on = gap_widens and _validation_improved(va) and chance is None
    severity = ("warning" if (((low_acc and not still and not learning) or stuck_shown) and not converging and not val_learning
                              and not fitting_on
                              and rel_gap is not None and fits is None and not few)
                or never else "info")
    finding = Finding(
        kind="underfitting",
        severity=severity,
        series=name,
        start=float(tr.x[0]),
        end=float(tr.x[-1]),
        x_axis=tr.axis,
        metrics={
            "remaining_fraction": round(remaining, 4),
            "val_rel_gap": None if rel_gap is None else round(rel_gap, 4),
            "train_acc_end": acc,
            "still_improving": bool(still),
            "still_falling": bool(learning),
            "converging_on_its_floor": converging,
            "slope_ratio": round(prof["slope_ratio"], 4) if np.isfinite(prof["slope_ratio"]) else None,
            "final": t_end,
        },
        summary=f"{HUMAN_LABELS.get(name, name)} only fell to {fmt.of_start(remaining)} ({fmt.num(t_end)})"
        + ((f" with a training accuracy of {fmt.num(acc)}" if acc is not None else "") + ": it never fitted its training set"
           if never_fitted and rel_gap is not None and rel_gap > T.UNDERFIT_MAX_REL_GAP else
           (f" and validation stays within {pct(rel_gap)} of it" if rel_gap is not None else ""))
        + (f"; {shown[0]} never improved on {fmt.num(shown[1])}" if shown is not None else "")
        + ("; still improving at a steady rate" if still else
           "; training still falls beyond its noise over its second half while validation has stopped: the model "
           "keeps fitting its training set, so capacity is not what limits it" if widening else
           "; still falling at every epoch of its second half, more slowly each time" if learning else
           "; validation still falls at nearly every evaluation, more slowly each time: converging on a floor near its start "
           "(a pre-trained model's fine-tune?)" if converging else
           "; validation still falls beyond its noise over its second half: the evaluated model is still learning"
           if val_learning else "; it has stopped improving")
        + (f"; but {fits[0].replace('_', ' ')} ends at {fmt.num(fits[1])}: the model fits the task and the loss sits "
           "at its floor" if fits is not None else "")
        + (f"; the loss sits at ln {chance} = {fmt.num(float(np.log(chance)))}, a uniform guess over {chance} classes"
           if chance is not None and stuck else "")
        + ("; nothing beside the loss (accuracy, a metric) shows whether this is a model that cannot learn or a "
           "pre-trained model fine-tuned at its floor" if stuck and not stuck_shown and not never and fits is None else ""),
    )
    return Detected([finding], detail)
