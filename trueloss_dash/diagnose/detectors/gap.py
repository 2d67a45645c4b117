"""Inverted gap: validation loss below the reported training loss.

The finding carries every measurement the rules need to tell its causes apart:
- where and how much (share of points inverted, largest relative gap, early-only or to the end);
- the half-interval shift test (reported(e) ~ true(e - 1/2): compare the reported loss with
  validation half an interval earlier; what stays inverted is not averaging lag);
- the gap at the first point when validation was measured before learning (step 0);
- with ``true_train_loss``: how often true > val (data mismatch) and the reported - true offset;
- with the trainer's ``gap_*`` series: the mean of each term of the exact decomposition.
Step-level training is compared with epoch-level validation through interval means (what a
framework would have reported for that interval).
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import GAP_TERMS, HUMAN_LABELS
from .. import thresholds as T
from ..model import Finding
from ..signals import align, last_window_bounds, last_window_means, overlap, pct, robust_sigma
from . import Check, Detected

CHECK = Check("inverted_gap", "Validation vs training", "validation loss below the reported training loss")


def _rel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a - b) / |a|: how much lower b is than a, as a share of a."""
    return (a - b) / np.maximum(np.abs(a), 1e-300)


def _evaluated_after_steps(view, k0: int) -> bool:
    """True when the logged steps show the first validation came after the first ``k0`` logged
    training points, or after the training loss had already fallen by GAP_LEARNED_BEFORE_VAL_LOG_DROP. On an epoch axis a Lightning file puts the first epoch's step losses and the
    validation that ends that epoch at the same x (epoch 0); only the step column says that
    validation was measured after the whole epoch of learning, not before it."""
    from ...columns import TRAIN_LOSS, VAL_LOSS

    tr_s, va_s = view.run.get(TRAIN_LOSS), view.run.get(VAL_LOSS)
    if tr_s is None or va_s is None or tr_s.step is None or va_s.step is None:
        return False
    ts = np.sort(tr_s.step[np.isfinite(tr_s.step) & np.isfinite(tr_s.y)])
    vs = va_s.step[np.isfinite(va_s.step) & np.isfinite(va_s.y)]
    if len(vs) == 0:
        return False
    if len(ts) >= k0 and np.min(vs) > ts[k0 - 1]:
        return True
    # however densely training was logged: the training loss already fell clearly before the first
    # validation - learning had happened (Driemann: a validation at step 150 after training went
    # 0.129 -> 0.044 over steps 49-149 read 'before learning' once every second step row was missing)
    ok = np.isfinite(tr_s.step) & np.isfinite(tr_s.y) & (tr_s.y > 0)
    order = np.argsort(tr_s.step[ok], kind="stable")
    steps, ys = tr_s.step[ok][order], tr_s.y[ok][order]
    upto = ys[steps <= np.min(vs)]
    return bool(len(upto) >= 2 and np.log(upto[0] / np.min(upto[1:])) >= T.GAP_LEARNED_BEFORE_VAL_LOG_DROP)


def detect(view) -> Detected:
    tr, va = view.train, view.val
    if tr is None or va is None or len(tr) == 0 or len(va) == 0:
        return Detected([], "needs both training and validation loss", applicable=False)
    idx = overlap(tr, va)
    if len(idx) < T.INVERTED_MIN_POINTS:
        return Detected([], f"only {len(idx)} validation point(s) inside the training range", applicable=False)
    xs = va.x[idx]
    v = va.y[idx]
    # compare like with like: the training loss of the weights that were evaluated
    step_tr = view.step_train
    if step_tr is not None and len(overlap(step_tr, va)) >= T.INVERTED_MIN_POINTS:
        j = overlap(step_tr, va)
        idx = idx[np.isin(idx, j)]
        xs, v = va.x[idx], va.y[idx]
        t = last_window_means(step_tr, xs, T.LIKE_WINDOW_FRACTION, T.LIKE_MIN_STEPS)
        comparison = (f"validation compared with the step-level training loss over the last {fmt.pct(T.LIKE_WINDOW_FRACTION)} "
                      "of each interval before it was measured (the weights that were evaluated, no averaging lag)")
        like_for_like = True
        # a mean of a few noisy minibatch losses is itself uncertain: a gap counts only beyond
        # INVERTED_NOISE_Z standard errors of that window mean (noise model, log units)
        lo, hi = last_window_bounds(step_tr, xs, T.LIKE_WINDOW_FRACTION, T.LIKE_MIN_STEPS)
        # point-to-point scale (O(n): a million steps cost ~30 ms, a rolling-median trend ~0.6 s)
        sigma = robust_sigma(np.diff(step_tr.scaled)) / np.sqrt(2) if step_tr.positive else 0.0
        window_se = sigma / np.sqrt(np.maximum(hi - lo, 1))
    else:
        t = align(tr, xs)
        comparison = ("validation compared with the epoch-averaged training loss, which lags half an interval behind; "
                      "the half-interval shift test corrects for it")
        like_for_like = False
        window_se = np.zeros(len(xs))
    rel = _rel(t, v)
    with np.errstate(all="ignore"):
        log_gap = np.where((t > 0) & (v > 0), np.log(np.maximum(t, 1e-300) / np.maximum(v, 1e-300)), np.inf)
    inverted = (rel > T.INVERTED_MARGIN) & (log_gap > T.INVERTED_NOISE_Z * window_se)
    n = len(xs)
    k = int(inverted.sum())
    frac = k / n
    detail = (f"validation below reported training loss at {k}/{n} points (margin {pct(T.INVERTED_MARGIN)}); "
              + ("step-level, last window before each evaluation" if like_for_like else "epoch-averaged training loss"))
    if k < min(T.INVERTED_MIN_INVERTED, n) or (frac < T.INVERTED_MIN_FRACTION and not inverted[-1]):
        return Detected([], detail)

    late_n = max(1, int(np.ceil(T.INVERTED_LATE_FRACTION * n)))
    late_frac = float(inverted[-late_n:].mean())
    early_only = late_frac == 0.0
    first_inv, last_inv = int(np.argmax(inverted)), int(n - 1 - np.argmax(inverted[::-1]))

    metrics: dict = {
        "points": n,
        "inverted_points": k,
        "fraction": round(frac, 3),
        "late_fraction": round(late_frac, 3),
        "early_only": early_only,
        "persists_to_end": bool(inverted[-1]),
        "max_rel_gap": round(float(rel.max()), 4),
        "mean_rel_gap": round(float(rel[inverted].mean()), 4),
        "end_rel_gap": round(float(rel[-1]), 4),
        "first_rel_gap": round(float(rel[0]), 4),
        "comparison": comparison,
        "like_for_like": like_for_like,
    }

    # half-interval shift test (averaging lag)
    if len(va) >= 2:
        dx = float(np.median(np.diff(va.x)))
        shifted_x = xs - dx / 2
        v_half = va.at(shifted_x)  # np.interp clamps before the first point: extrapolate instead
        before = shifted_x < va.x[0]
        if before.any() and va.positive:
            slope = (np.log(va.y[1]) - np.log(va.y[0])) / max(va.x[1] - va.x[0], 1e-300)
            v_half[before] = np.exp(np.log(va.y[0]) + slope * (shifted_x[before] - va.x[0]))
        still = _rel(t, v_half) > T.INVERTED_MARGIN
        remaining = float(still[inverted].mean())
        metrics["lag_remaining_fraction"] = round(remaining, 3)
        metrics["lag_explains"] = bool(remaining <= T.LAG_EXPLAINED_MAX_REMAINING)

    # first measurement before learning (step-0 validation) - a gap there is data, not training
    span = tr.x[-1] - tr.x[0]
    k0 = 3  # validation no later than the third logged training point: nothing learned yet
    before_learning = bool(span > 0 and xs[0] - tr.x[0] <= T.EARLY_X_FRACTION * span and len(tr) >= 3 * n
                           and xs[0] <= tr.x[min(k0 - 1, len(tr) - 1)] and not _evaluated_after_steps(view, k0))
    metrics["first_point_before_learning"] = before_learning
    if before_learning:
        t0 = float(np.median(tr.y[:k0]))
        metrics["start_rel_gap"] = round(float((t0 - v[0]) / abs(t0)), 4)

    # with the true training loss: is the model really worse on its training data than on val?
    tt = view.true_train
    if tt is not None and len(tt) >= 1:
        j = overlap(tt, va)
        if len(j):
            true_at = tt.at(va.x[j])
            vj = va.y[j]
            above = _rel(vj, true_at) < -T.INVERTED_MARGIN  # true > val by the margin
            late_j = max(1, int(np.ceil(T.INVERTED_LATE_FRACTION * len(j))))
            t_on = align(tr, va.x[j])
            offset = _rel(t_on, true_at)  # (reported - true) / reported
            metrics.update(
                {
                    "true_points": int(len(j)),
                    "true_above_val_fraction": round(float(above.mean()), 3),
                    "true_above_val_late_fraction": round(float(above[-late_j:].mean()), 3),
                    "true_val_rel_end": round(float((true_at[-1] - vj[-1]) / abs(vj[-1])), 4),
                    "reported_true_offset_early": round(float(offset[: max(1, len(j) // 3)].mean()), 4),
                    "reported_true_offset_late": round(float(offset[-late_j:].mean()), 4),
                }
            )

    # the trainer's exact decomposition, when logged
    terms = {}
    for name in GAP_TERMS:
        c = view.curve(name)
        if c is not None and len(c):
            vals = c.at(xs[inverted]) if len(c) > 1 else np.full(k, c.y[0])
            terms[name] = round(float(np.mean(vals)), 6)
    if terms:
        metrics["decomposition"] = terms

    where = fmt.span(va.axis, xs[first_inv], xs[last_inv])
    shape = "early only, gone later" if early_only else ("to the end" if inverted[-1] else "")
    summary = (
        f"{HUMAN_LABELS['val_loss']} below {HUMAN_LABELS['train_loss']} at {k}/{n} points "
        f"({where}{', ' + shape if shape else ''}), up to {pct(float(rel.max()))} lower"
        + (" against the step-level training loss just before each evaluation" if like_for_like else
           " against the epoch-averaged training loss")
    )
    finding = Finding(
        kind="inverted_gap",
        severity="info",
        series="val_loss",
        start=float(xs[first_inv]),
        end=float(xs[last_inv]),
        x_axis=va.axis,
        metrics=metrics,
        summary=summary,
    )
    return Detected([finding], detail)
