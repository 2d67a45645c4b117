"""Metric disagreement: validation loss rising while a validation metric (accuracy, F1, WER ...)
keeps improving - the model grows over-confident on the examples it gets wrong, which raises the
loss without hurting the task. Early stopping on the loss would stop too soon.
"""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import LOSS_SERIES, VAL_ACC, VAL_LOSS, fold
from .. import thresholds as T
from ..model import Finding
from ..noise import best_level, level_window, median_se, validation_noise
from ..signals import binned, curve, pct, robust_sigma
from . import Check, Detected

CHECK = Check("metric_disagreement", "Loss vs metric", "validation loss rising while a validation metric keeps improving")

_LOWER_BETTER = ("loss", "err", "wer", "cer", "mae", "mse", "rmse", "mape", "msle", "brier", "hausdorff", "chamfer", "perplexity", "ppl", "nll")
_VAL_PREFIXES = ("val", "valid", "eval", "test", "metrics")
_TEST_PREFIX = "test"
#: Threshold-dependent one-sided metrics: precision can rise while recall falls (the decision
#: threshold moved), so neither alone says the predictions the loss scores got better. Not compared.
_ONE_SIDED = ("precision", "recall")
_SUMMARY_OK = ("average", "map", "f1", "fbeta")
#: Bookkeeping an evaluation logs beside its metrics (HF ``eval_runtime``, ``eval_samples_per_second``,
#: ``eval_steps_per_second``): how fast it ran says nothing about the model, so it never corroborates
#: or contradicts a loss (selvxhini-10: a slower evaluation read as "eval runtime got worse").
# Logged beside the metrics but measuring no quality: timings, sizes, counters (HF/TRL's eval_num_tokens
# grows at every evaluation - read as a metric, it 'kept improving' while validation rose), and the
# model's output entropy (confidence, not correctness).
_NOT_A_METRIC = ("runtime", "persecond", "walltime", "elapsed", "duration", "flos", "memory", "numtokens", "tokensseen",
                 "numsamples", "numexamples", "samplesseen", "batchsize", "entropy", "gradnorm", "learningrate")


def validation_metrics(run) -> list[str]:
    """The run's validation quality metrics (accuracy, IoU, mAP, F1 ...): not losses, timings or
    one-sided precision/recall. A log with both a validation and a test split (Ludwig, many Keras
    scripts) corroborates the validation loss with the validation split's metrics only: a test
    metric measures other data (scjones5: test hits@3 'kept improving' 0.987 -> 0.993 while validation
    accuracy fell with the validation loss) - unless the validation loss itself was read from a test column."""
    out = [VAL_ACC] if VAL_ACC in run.series else []
    for name in run.series:
        key = fold(name)
        if name in LOSS_SERIES or name == VAL_ACC or "loss" in key or name.endswith(("_ci_low", "_ci_high")):
            continue
        if any(t in key for t in _ONE_SIDED) and not any(t in key for t in _SUMMARY_OK):
            continue
        if any(t in key for t in _NOT_A_METRIC):
            continue
        if key.startswith(_VAL_PREFIXES):
            out.append(name)
    val = run.series.get(VAL_LOSS)
    from_test = val is not None and fold(val.source_column or "").startswith(_TEST_PREFIX)
    if not from_test and any(not _is_test(n) for n in out):
        out = [n for n in out if not _is_test(n)]
    return out


def _is_test(name: str) -> bool:
    """A metric of a test split (``test_accuracy``, ``test/hits_at_k``), not of validation."""
    return fold(name).startswith(_TEST_PREFIX)


def _grid_step(y: np.ndarray) -> float:
    """The step a metric moves in when its values sit on a grid (accuracy over N examples: 1/N),
    else 0. The grid is the smallest move; every move must be a whole number of it."""
    d = np.abs(np.diff(y[np.isfinite(y)]))
    d = d[d > 1e-12]
    if len(d) < 3:
        return 0.0
    q = float(d.min())
    k = d / q
    return q if bool(np.all(np.abs(k - np.round(k)) <= 0.02)) else 0.0


def higher_is_better(name: str) -> bool:
    key = fold(name)
    return not any(tok in key for tok in _LOWER_BETTER)


def detect(view, judge_loss_noise: bool = True) -> Detected:
    """``judge_loss_noise``: the loss's rise must stand out of validation's own noise, measured from the
    level around its best (noise.best_level) - off, only "did a metric improve since the loss's best
    point", which the overfitting check asks of a rise it has already judged."""
    va = view.val
    names = validation_metrics(view.run)
    if va is None or len(va) < 4 or not names:
        return Detected([], "needs validation loss and a validation metric", applicable=False)
    w = binned(va)
    v = w.scaled
    b = int(np.argmin(v))
    k = max(2, min(5, (len(v) - b - 1)))
    rise = float(np.median(v[-k:]) - v[b]) if len(v) - b - 1 >= 2 else 0.0
    detail = f"validation loss {pct(np.expm1(rise))} above its best"
    # the best point of a noisy validation curve is a lucky low: a rise "since the best" is measured from
    # the level around it and must clear the noise of the difference of the two medians (a validation loss
    # scattering +-20% around a floor read as 'rose 35-66% while accuracy kept improving': a warning on
    # 5 of 40 generated healthy runs, benchmarks/probe_null_runs.py)
    found_level = best_level(v, b, level_window(len(v))) if judge_loss_noise and w.positive else None
    if found_level is not None and rise >= T.METRIC_LOSS_MIN_LOG_RISE:
        level, m, around = found_level
        noise = validation_noise(w, b)
        spread = T.OVERFIT_NOISE_Z * float(np.hypot(median_se(noise, k), median_se(noise, m)))
        over_level = float(np.median(v[-k:]) - level)
        detail += f"; {pct(np.expm1(over_level))} above {around}"
        if over_level < spread:
            return Detected([], detail + f", within validation's noise (needs {pct(np.expm1(spread))}): metrics not compared")
    if rise < T.METRIC_LOSS_MIN_LOG_RISE:
        return Detected([], detail + "; metrics not compared")
    findings, worse = [], []
    for name in names:
        m = curve(view.run, name, w.axis)
        if m is None or len(m) < 4 or m.axis != w.axis:
            continue
        sign = 1.0 if higher_is_better(name) else -1.0
        near = np.abs(m.x - w.x[b]) <= 1.5 * float(np.median(np.diff(m.x))) if len(m) > 1 else np.ones(len(m), bool)
        at_best = float(np.median(m.y[near])) if near.any() else float(m.at(np.array([w.x[b]]))[0])
        recent = float(np.median(m.y[-k:]))
        gain = sign * (recent - at_best) / max(abs(at_best), 1e-12)
        # the gain must stand out of the metric's own epoch-to-epoch noise (medians of k points)
        noise = robust_sigma(np.diff(m.y) / np.sqrt(2)) / max(abs(at_best), 1e-12) if len(m) > 3 else 0.0
        need = max(T.METRIC_MIN_IMPROVEMENT, T.METRIC_NOISE_Z * noise / np.sqrt(k),
                   T.METRIC_MIN_GRID_STEPS * _grid_step(m.y) / max(abs(at_best), 1e-12))
        detail += f"; {name} {'+' if gain >= 0 else ''}{pct(gain)} since (needs {pct(need)})"
        if gain <= -need:
            worse.append(name)
        if gain >= need:
            findings.append(
                Finding(
                    kind="metric_disagreement",
                    # the metric the user cares about still improves: a mild loss rise costs nothing
                    # (info); a large one still means badly calibrated outputs (warning)
                    severity="warning" if np.expm1(rise) >= T.METRIC_RISE_WARNING else "info",
                    series=name,
                    start=float(w.x[b]),
                    end=float(w.x[-1]),
                    x_axis=w.axis,
                    metrics={"metric": name, "metric_at_loss_best": at_best, "metric_recent": recent,
                             "metric_gain": round(gain, 4), "loss_rise": round(float(np.expm1(rise)), 4),
                             "higher_is_better": sign > 0},
                    summary=f"validation loss rose {pct(np.expm1(rise))} after {fmt.at(w.axis, w.x[b])} while {name} "
                    f"kept improving ({fmt.num(at_best)} to {fmt.num(recent)})",
                )
            )
    if findings and worse:
        # another metric the run logs got worse with the loss (RMSE and MAE up while MAPE, dominated by the
        # small targets, falls): the evaluated model did get worse by a measure the user chose - the
        # metrics disagree among themselves, not with the loss
        return Detected([], detail + f"; but {', '.join(worse)} got worse with it: the loss's rise stands")
    return Detected(findings, detail)
