"""Plateau: a stretch of the training loss with no relative progress.

Progress is measured on the smoothed log-loss over a window of PLATEAU_WINDOW_FRACTION of the run;
the longest stretch below PLATEAU_MAX_LOG_PROGRESS is reported. A plateau at the end is convergence
(info); one that starts near the beginning means training never got going (warning). The finding
also carries the early and late rates of progress that the ``lr_too_low`` rule reads.
"""

from __future__ import annotations

import re

import numpy as np

from ... import fmt
from ...columns import HUMAN_LABELS, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS, looks_like_loss
from .. import thresholds as T
from ..model import Finding
from ..noise import residuals
from ..signals import binned, curve, odd_window, pct, robust_sigma, rolling_median
from . import Check, Detected
from .metric_disagreement import higher_is_better, validation_metrics

CHECK = Check("plateau", "Plateaus", "stretches of the training loss with no relative progress")


def progress_profile(c) -> dict:
    """Total log progress and early/late rates (per point) of a loss curve's smoothed trend."""
    w = binned(c, 200)
    s = rolling_median(w.scaled, odd_window(len(w), 0.1, 3, 21))
    n = len(s)
    third = max(1, n // 3)
    early = (s[0] - s[third]) / third
    late = (s[n - 1 - third] - s[n - 1]) / third
    return {
        "total_log_drop": float(s[0] - s[-1]),
        "remaining_fraction": float(np.exp(s[-1] - s[0])) if w.positive else float("nan"),
        "early_rate": float(early),
        "late_rate": float(late),
        "slope_ratio": float(late / early) if early > 1e-12 else float("inf") if late > 0 else 0.0,
    }


_TRAIN_PREFIX = re.compile(r"^(train|training)[_/](.+)$", re.IGNORECASE)
_VAL_PREFIXES = ("val_", "valid_", "validation_", "eval_", "val/", "valid/", "eval/")


def head_losses(view) -> list[str]:
    """Training-side losses of a multi-head model that logs no overall training loss: each
    ``train_<head>`` loss that has a validation twin (``val_<head>``, ``eval_<head>`` ...). A GAN's
    G/D losses have no such twins and are not heads (a flat discriminator loss is its equilibrium)."""
    names = set(view.run.series)
    out = []
    for n in view.run.series:
        m = _TRAIN_PREFIX.match(n)
        if m and looks_like_loss(n) and any(p + m.group(2) in names for p in _VAL_PREFIXES):
            out.append(n)
    return out


def detect(view) -> Detected:
    resumed = bool(view.run.meta.get("continues"))  # ingest.loader.mark_continuations
    name = TRUE_TRAIN_LOSS if view.true_train is not None and len(view.true_train) >= T.PLATEAU_MIN_POINTS + 1 else TRAIN_LOSS
    c = view.curve(name)
    if c is None or len(c) < T.PLATEAU_MIN_POINTS + 1:
        heads = [h for h in head_losses(view) if (hc := view.curve(h)) is not None and len(hc) >= T.PLATEAU_MIN_POINTS + 1]
        if not heads:
            va = view.val
            if (c is None or len(c) < 3) and va is not None and len(va) >= T.PLATEAU_MIN_POINTS + 1:
                # a log of the validation loss alone (some scripts print only their evaluations): a curve
                # that stopped, or never started, falling is a plateau of the one curve there is
                # (benjaminsinzore: 11.8649 -> 11.8565 over 10 epochs, said 'No problems found')
                return _plateau_of(va, VAL_LOSS, resumed, view)
            return Detected([], "needs a training loss with enough points", applicable=False)
        # no overall training loss, but per-head ones: a head that stopped learning is a plateau of its own
        found, parts = [], []
        for h in heads:
            got = _plateau_of(view.curve(h), h, resumed, view)
            found += got.findings
            parts.append(got.detail)
        return Detected(found, "; ".join(parts))
    return _plateau_of(c, name, resumed, view)


def metric_still_improving(view, axis: str, x0: float, x1: float) -> str | None:
    """How a logged validation metric improved across [x0, x1] beyond its own noise and by at least
    PLATEAU_METRIC_MIN_GAIN of its level (IoU 0.23 -> 0.65 while a segmentation loss sat within 1%),
    or None: the model kept learning while its loss looked flat, so "no progress" is not the reading."""
    if view is None:
        return None
    for name in validation_metrics(view.run):
        m = curve(view.run, name, axis)
        if m is None or m.axis != axis:
            continue
        y = m.y[(m.x >= x0) & (m.x <= x1) & np.isfinite(m.y)]
        if len(y) < 2 * T.PLATEAU_MIN_POINTS:
            continue
        k = max(2, len(y) // 4)
        first, last = float(np.median(y[:k])), float(np.median(y[-k:]))
        scale = max(abs(first), 1e-12)
        gain = (last - first if higher_is_better(name) else first - last) / scale
        noise = robust_sigma(np.diff(y) / np.sqrt(2)) / scale
        if gain >= max(T.PLATEAU_METRIC_MIN_GAIN, T.METRIC_NOISE_Z * noise * np.sqrt(2.0 / k)):
            return f"{name} went from {fmt.num(first)} to {fmt.num(last)} over the same stretch"
    return None


def late_fragment(x) -> bool:
    """The log begins late in training (its first x past PLATEAU_LATE_START_SHARE of its last, and past
    the first few epochs/steps): the first logged point is not where training started."""
    x0, x1 = float(x[0]), float(x[-1])
    return x0 > 2 and x1 > 0 and x0 > T.PLATEAU_LATE_START_SHARE * x1


def _plateau_of(c, name: str, resumed: bool = False, view=None) -> Detected:
    w = binned(c, 400)
    n = len(w)
    ws = odd_window(n, 0.05, 1, 21)
    s = rolling_median(w.scaled, ws)
    W = max(T.PLATEAU_MIN_POINTS, int(np.ceil(T.PLATEAU_WINDOW_FRACTION * n)))
    if n <= W:
        return Detected([], f"{n} points: too few for a {W}-point window", applicable=False)
    prog = s[:-W] - s[W:]  # log drop over the window starting at i
    # flat means neither falling nor rising beyond what the curve's own noise moves the smoothed trend
    # (noise model): a rising stretch is a level shift or divergence, never a plateau
    sigma = robust_sigma(residuals(w)) if w.positive else 0.0
    tol = min(max(T.PLATEAU_MAX_LOG_PROGRESS, T.PLATEAU_NOISE_Z * 1.25 * sigma * np.sqrt(2.0 / ws)), T.PLATEAU_MAX_NOISE_TOLERANCE)
    flat = np.abs(prog) < tol
    prof = progress_profile(c)
    detail = f"{name}: least progress over {W} points {pct(float(np.expm1(prog.min())))}; total drop {pct(1 - np.exp(-prof['total_log_drop']))}"
    if not flat.any():
        return Detected([], detail)
    d = np.diff(np.concatenate([[0], flat.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    k = int(np.argmax(ends - starts))
    i0, i1 = int(starts[k]), int(ends[k]) + W
    # "never got going" is a warning only when the stretch is flat by the strict measure; a stretch
    # that is only flat within a noisy curve's own scatter is reported, as info
    strict = bool(np.all(np.abs(prog[starts[k] : ends[k] + 1]) < T.PLATEAU_MAX_LOG_PROGRESS))
    # (a run that resumed a trained model - ingest marks meta "continues" - starts converged: flat from there
    # is not "never got going")
    # (nor is a log that begins late in training - a console output cut to its last lines: its first
    # point is not the start of training, so "from the start" cannot be told)
    fragment = late_fragment(w.x)
    early = (strict and i0 <= T.PLATEAU_EARLY_FRACTION * n and (s[0] - s[i0]) <= T.PLATEAU_EARLY_MAX_LOG_DROP
             and not resumed and not fragment)
    # (nor when a validation metric kept improving across the stretch: the loss is flat, the model is not)
    learning = metric_still_improving(view, w.axis, float(w.x[i0]), float(w.x[min(i1, n - 1)])) if early else None
    early = early and learning is None
    # (nor a loss that sits at zero: a loss that cannot go below 0 and reached it has nothing left to
    # learn - Keyfingers: 0.0091 in epoch 1, then 0.0000 for nine epochs)
    at_zero = (not w.positive and bool(np.all(np.asarray(w.y) >= 0))
               and float(np.median(np.asarray(w.y)[i0:i1 + 1])) <= T.PLATEAU_ZERO_LEVEL_SHARE * float(np.max(np.abs(w.y))))
    early = early and not at_zero
    at_end = i1 >= n - 1
    severity = "warning" if early else "info"
    kind_txt = "from the start: training made no progress" if early else ("at the end: converged" if at_end else "then resumed")
    if learning is not None:
        kind_txt = f"but {learning}: the model kept learning"
    if at_zero:
        kind_txt = "at zero: the loss cannot fall further (nothing left to learn, or a loss that no longer measures anything)"
    if fragment and not at_end:
        kind_txt = f"the log begins at {fmt.at(w.axis, float(w.x[0]))}, late in training: nothing to say how it started"
    label = HUMAN_LABELS.get(name, name)
    finding = Finding(
        kind="plateau",
        severity=severity,
        series=name,
        start=float(w.x[i0]),
        end=float(w.x[min(i1, n - 1)]),
        x_axis=w.axis,
        metrics={
            "window_points": W,
            "progress_in_window": round(float(np.expm1(prog[starts[k] : ends[k] + 1].max())), 4),
            "from_start": bool(early),
            "late_fragment": bool(fragment),
            "metric_still_improving": learning,
            "at_end": bool(at_end),
            "level": float(np.exp(s[i0])) if w.positive else float(s[i0]),
            **{k2: round(v2, 5) for k2, v2 in prof.items()},
        },
        summary=f"{label} flat over {fmt.span(w.axis, w.x[i0], w.x[min(i1, n - 1)])} "
        f"(< {pct(np.expm1(tol))} progress per {W} points) - {kind_txt}",
    )
    return Detected([finding], detail)
