"""Shuffling: a step-level training loss whose shape repeats with the epoch (sawtooth or periodic
structure at epoch boundaries) - the mark of unshuffled or class-sorted data.

Detrend the log-loss with a one-epoch moving average, fold the residuals by position within the
epoch (SHUFFLE_PHASE_BINS bins) and measure eta^2, the share of residual variance the position
explains (about bins/points for shuffled data). The profile must also repeat: each epoch's profile
must correlate with the next epoch's (the first and second half of the run's, when too few epochs
fill every phase bin). Epoch boundaries come from the series' epoch
column, else from the validation interval in steps, else from ``meta['steps_per_epoch']``.
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import CANONICAL_SERIES, STEP, TRAIN_LOSS, VAL_LOSS, fold
from .. import thresholds as T
from ..model import Finding
from ..signals import pct
from . import Check, Detected

CHECK = Check("shuffling", "Data order", "step-level training loss repeating with the epoch (unshuffled data)")


def _phase(view, s, step):
    """Position within the epoch in [0, 1) and the epoch index, per point (or None)."""
    ep = s.epoch
    if ep is not None and np.isfinite(ep).all():
        frac = ep - np.floor(ep)
        # (epoch-sorted input: counting changes is O(n), no sort of a million values)
        if np.count_nonzero(frac > 0) > 2 and np.count_nonzero(np.diff(np.floor(ep))) >= 1:
            # fractional "epochs completed": 0.05 .. 1.0 is the first epoch
            idx = np.ceil(ep - 1e-9) - 1
            return (ep - idx) % 1.0, idx
        idx = np.floor(ep)
        starts = np.flatnonzero(np.diff(np.concatenate([[np.nan], idx])) != 0)
        starts = np.concatenate([[0], starts[1:]]) if len(starts) else np.array([0])
        lens = np.diff(np.append(starts, len(idx)))
        pos = np.arange(len(idx)) - np.repeat(starts, lens)
        return pos / np.repeat(lens, lens), idx
    period = None
    v = view.run.get(VAL_LOSS)
    if v is not None and v.step is not None and np.isfinite(v.step).sum() >= 2:
        d = np.diff(np.unique(v.step[np.isfinite(v.step)]))
        if len(d) and np.all(np.abs(d - np.median(d)) <= 0.01 * np.median(d)):
            period = float(np.median(d))
    spe = view.run.meta.get("steps_per_epoch") or view.context.extra.get("steps_per_epoch")
    if spe:
        try:
            period = float(spe)
        except (TypeError, ValueError):
            pass
    if not period:
        return None
    rel = (step - step[0]) / period
    return rel - np.floor(rel), np.floor(rel)


def step_level_train(run):
    """The densest step-indexed training-loss series: ``train_loss`` itself, or a per-step companion
    such as the trainer's ``train_loss_step`` kept beside the epoch-level reported loss."""
    cands = [run.get(TRAIN_LOSS)] + [s for n, s in run.series.items()
                                     if n != TRAIN_LOSS and fold(n).startswith(("trainloss", "loss")) and n not in CANONICAL_SERIES]
    cands = [s for s in cands if s is not None and s.step is not None]
    return max(cands, key=lambda s: int(np.isfinite(s.y).sum()), default=None)


def _epoch_to_epoch_repeat(epoch: np.ndarray, b: np.ndarray, r: np.ndarray, B: int) -> float | None:
    """Median over consecutive epochs of the correlation between one epoch's phase profile and the
    next one's (O(n); None when fewer than SHUFFLE_MIN_EPOCHS epochs in a row fill every phase bin).

    "The same pattern every epoch" is a statement about neighbouring epochs: class-sorted data
    replays the same order each epoch, and the pattern's shape may drift slowly as the model learns
    (early epochs vs late ones, or one epoch vs the mean of all the others, then disagree), while a
    shuffled loss has profiles that are independent from one epoch to the next."""
    _, e = np.unique(epoch, return_inverse=True)
    n_ep = int(e.max()) + 1
    cell = e * B + b
    cnt = np.bincount(cell, minlength=n_ep * B).reshape(n_ep, B)
    tot = np.bincount(cell, weights=r, minlength=n_ep * B).reshape(n_ep, B)
    full = np.all(cnt > 0, axis=1)
    pairs = full[:-1] & full[1:]
    if pairs.sum() < T.SHUFFLE_MIN_EPOCHS - 1:
        return None
    prof = tot / np.maximum(cnt, 1)
    prof = prof - prof.mean(axis=1, keepdims=True)
    a, c = prof[:-1][pairs], prof[1:][pairs]
    num = (a * c).sum(axis=1)
    den = np.sqrt((a * a).sum(axis=1) * (c * c).sum(axis=1))
    ok = den > 0
    return float(np.median(num[ok] / den[ok])) if ok.any() else None


def _within_epoch_share(v: np.ndarray, epoch: np.ndarray, b: np.ndarray, B: int, phase: np.ndarray) -> float:
    """eta^2 of the phase bins on the loss minus each epoch's own straight line (level and slope), the
    first epoch left out. A loss that keeps falling through every epoch - still learning, its LR
    decaying - is a line within each epoch, not an order: only the shape an order leaves (blocks of one
    class, a sawtooth) survives."""
    _, e = np.unique(epoch, return_inverse=True)
    keep = e > 0
    if keep.sum() < B * 2:
        return 0.0
    e, vv, bb, ph = e[keep], v[keep], b[keep], phase[keep]
    cnt = np.maximum(np.bincount(e), 1)
    mv, mp = np.bincount(e, weights=vv) / cnt, np.bincount(e, weights=ph) / cnt
    dv, dp = vv - mv[e], ph - mp[e]
    var_p = np.bincount(e, weights=dp * dp)
    slope = np.bincount(e, weights=dp * dv) / np.where(var_p > 0, var_p, 1.0)
    return _phase_eta2(dv - slope[e] * dp, bb, B)[0]


def _phase_eta2(r: np.ndarray, b: np.ndarray, B: int) -> tuple[float, np.ndarray]:
    """(eta^2: the share of the variance of ``r`` its phase bin ``b`` explains, the per-bin means)."""
    total = float(np.sum((r - r.mean()) ** 2))
    cnt = np.bincount(b, minlength=B)
    means = np.bincount(b, weights=r, minlength=B) / np.maximum(cnt, 1)
    return (float(np.sum(cnt * (means - r.mean()) ** 2) / total) if total > 0 else 0.0), means


def detect(view) -> Detected:
    s = step_level_train(view.run)
    if s is None or s.step is None:
        return Detected([], "needs a step-level training loss", applicable=False)
    ok = np.isfinite(s.y) & np.isfinite(s.step)
    if ok.sum() < T.SHUFFLE_MIN_EPOCHS * T.SHUFFLE_MIN_STEPS_PER_EPOCH:
        return Detected([], "too few steps", applicable=False)
    s = s.take(ok)
    step, y = s.step, s.y
    got = _phase(view, s, step)
    if got is None:
        return Detected([], "epoch boundaries unknown (no epoch column or regular validation interval)", applicable=False)
    phase, epoch = got
    n_ep = int(np.count_nonzero(np.diff(epoch))) + 1
    per_epoch = len(y) / max(n_ep, 1)
    if n_ep < T.SHUFFLE_MIN_EPOCHS or per_epoch < T.SHUFFLE_MIN_STEPS_PER_EPOCH:
        return Detected([], f"{n_ep} epochs of ~{per_epoch:.0f} steps: too few to test", applicable=False)
    v = np.log(y) if np.all(y > 0) else y / max(np.median(np.abs(y)), 1e-300)
    win = max(3, int(round(per_epoch)))
    csum = np.concatenate([[0.0], np.cumsum(v)])
    i = np.arange(len(v))
    lo = np.clip(i - win // 2, 0, len(v))
    hi = np.clip(i + win // 2 + 1, 0, len(v))
    r = v - (csum[hi] - csum[lo]) / (hi - lo)
    # no more phase bins than steps per epoch (12 steps in 16 bins leaves bins empty and the
    # profiles ragged)
    B = int(min(T.SHUFFLE_PHASE_BINS, max(4, int(per_epoch))))
    # (a small epsilon: phase k/12 times 12 bins is 0.99999... in floating point, which would put two
    # steps in one bin and leave the next empty)
    b = np.minimum((phase * B + 1e-6).astype(np.int64), B - 1)
    eta2, means = _phase_eta2(r, b, B)
    first = epoch < (epoch[0] + epoch[-1]) / 2
    p1 = np.bincount(b[first], weights=r[first], minlength=B) / np.maximum(np.bincount(b[first], minlength=B), 1)
    p2 = np.bincount(b[~first], weights=r[~first], minlength=B) / np.maximum(np.bincount(b[~first], minlength=B), 1)
    corr = float(np.corrcoef(p1, p2)[0, 1]) if np.std(p1) > 0 and np.std(p2) > 0 else 0.0
    # the halves compare early epochs (the model still learning: the pattern's shape changes) with
    # late ones, and averaging half the run's epochs leaves any slow drift of the loss as a shared
    # ramp; each epoch's profile against the next one's is what "the same pattern every epoch"
    # means - it decides whenever enough consecutive epochs fill every phase bin
    rep = _epoch_to_epoch_repeat(epoch, b, r, B)
    if rep is not None:
        corr = rep
    # noise model: with B phase bins and N steps, pure noise explains about (B-1)/(N-1) of the variance;
    # the pattern must explain several times that (and a floor), and repeat epoch after epoch
    # (the two pieces of evidence trade off: a pattern that repeats almost exactly from one epoch to the
    # next - shuffled profiles are independent - needs less of the variance)
    null = (B - 1) / max(len(r) - 1, 1)
    need = max(T.SHUFFLE_MIN_ETA2, T.SHUFFLE_ETA2_OVER_NOISE * null)
    strong = max(T.SHUFFLE_STRONG_MIN_ETA2, T.SHUFFLE_STRONG_ETA2_OVER_NOISE * null)
    detail = (f"position within the epoch explains {pct(eta2)} of step-loss variation (needs {pct(need)}, or {pct(strong)} "
              f"repeating with correlation >= {fmt.num(T.SHUFFLE_STRONG_REPEAT_CORR, 2)}: noise alone explains ~{pct(null)}), "
              f"repeat correlation {fmt.num(corr, 2)}")
    # a swing of the phase means the size a class-sorted order makes (a noise-free smooth curve leaves
    # a tiny deterministic within-epoch residual that repeats exactly: a share of nothing)
    amp = float(np.expm1(means.max() - means.min()))
    strong_ok = eta2 >= strong and corr >= T.SHUFFLE_STRONG_REPEAT_CORR and amp >= T.SHUFFLE_STRONG_MIN_SWING
    if not ((eta2 >= need and corr >= T.SHUFFLE_MIN_REPEAT_CORR) or strong_ok):
        return Detected([], detail)
    # the pattern must live inside the epochs: removed each epoch's own level and slope (and left out
    # the first epoch, the fast initial descent), a staircase - the loss stepping down at every epoch
    # boundary as a model memorises a small set it sees shuffled, falling on within the epoch - leaves
    # nothing, an unshuffled order's within-epoch shape stays
    own = _within_epoch_share(v, epoch, b, B, phase)
    detail += f"; within each epoch's own level and slope (first epoch left out) {pct(own)}"
    if own < T.SHUFFLE_WITHIN_EPOCH_SHARE * min(eta2, need):
        return Detected([], detail + ": the pattern is a step at each epoch boundary (a small set memorised), not an order within the epoch")
    finding = Finding(
        kind="shuffling",
        severity="warning",
        series=s.name,
        start=float(step[0]),
        end=float(step[-1]),
        x_axis=STEP,
        metrics={"eta2": round(eta2, 4), "repeat_corr": round(corr, 3), "epochs": n_ep,
                 "steps_per_epoch": round(per_epoch, 1), "within_epoch_swing": round(amp, 4)},
        summary=f"the step-level training loss repeats the same pattern every epoch ({n_ep} epochs of ~{per_epoch:.0f} steps): "
        f"position within the epoch explains {pct(eta2)} of its variation, swing {pct(amp)}",
    )
    return Detected([finding], detail)
