"""Rules for progress: too slow (LR too low), stuck (underfitting), overfit, unshuffled, over-confident."""

from __future__ import annotations

from ... import fmt
from .. import thresholds as T
from ..signals import xfmt
from .base import MEASURED, SHAPE, Assessment, Rule, RuleInput, _small_lr

# --------------------------------------------------------------------------------------------------
# Slow, stuck, overfit, unshuffled, over-confident
# --------------------------------------------------------------------------------------------------


def _lr_too_low(inp: RuleInput) -> Assessment | None:
    iu, u = inp.first("underfitting")
    ip, p = inp.first("plateau")
    ev, hits, conf = [], [], 0.0
    if u is not None and u.metrics.get("still_improving"):
        # a warning (low accuracy) makes the slow descent the problem; otherwise it is a hint to train longer
        conf = 0.6 if u.severity != "info" else 0.35
        hits.append(iu)
        ev.append(f"{u.summary}: a loss that never bends is still learning at the end")
    if p is not None and p.metrics.get("from_start"):
        conf = max(conf, 0.5)
        hits.append(ip)
        ev.append(p.summary)
    if not hits:
        return None
    basis = SHAPE
    if _small_lr(inp.context):
        conf, basis = conf + 0.25, MEASURED
        ev.append(f"configured learning rate {inp.context.lr:g} is small for {inp.context.optimizer or 'this optimizer'}")
    elif inp.context.lr is None:
        ev.append("log the learning rate or pass `--meta lr=...` to confirm")
    return Assessment(min(conf, 0.95), ev, hits, basis)


def _underfitting(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("underfitting")
    if f is None:
        return None
    conf = 0.45 if f.metrics.get("still_improving") else 0.7
    if f.severity == "info":
        # high relative to its start, but possibly the task's floor: converged there (the capacity
        # signature) stays a plausible reading; still falling is more the LR-too-low/train-longer one
        conf = min(conf, 0.3 if f.metrics.get("still_improving") else 0.5)
    ev = [f.summary]
    acc = f.metrics.get("train_acc_end")
    if acc is not None:
        ev.append(f"training accuracy ends at {fmt.num(acc)}")
    return Assessment(conf, ev, [i], MEASURED if acc is not None else SHAPE)


def _overfitting(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("overfitting")
    if f is None:
        return None
    gl = f.metrics["generalization_loss"]
    conf = 0.5 + min(0.35, 3.0 * gl)
    drop = f.metrics.get("train_log_drop_since_best")
    if drop is not None and drop > 0.1:
        conf += 0.05
    ev = [f.summary, f"early stopping would have kept {f.x_axis} {xfmt(f.metrics['best_x'])} "
          f"(validation {fmt.num(f.metrics['best_val'])} instead of {fmt.num(f.metrics['recent_val'])})"]
    md = inp.of("metric_disagreement")
    if f.severity == "info" and f.metrics["generalization_loss"] < T.OVERFIT_GL_WARNING:
        conf = min(conf, 0.45)  # a mild rise: validation stalled more than it overfit
    if md:
        conf -= 0.1
        ev.append(f"but {md[0][1].metrics['metric']} keeps improving: the loss rise is partly over-confidence")
    return Assessment(min(conf, 0.95), ev, [i])


def _shuffling(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("shuffling")
    if f is None:
        return None
    return Assessment(0.85, [f.summary], [i])


def _metric_disagreement(inp: RuleInput) -> Assessment | None:
    hits = inp.of("metric_disagreement")
    if not hits:
        return None
    gain = max(f.metrics.get("metric_gain", 0.0) for _, f in hits)
    # calibrated on the dev splits: a loss rising while the metric improves is read as overfitting by
    # most practitioners at least as often as over-confidence - this reading stays below ~0.6
    return Assessment(0.4 + min(0.2, 3.0 * gain), [f.summary for _, f in hits], [i for i, _ in hits], MEASURED)


PROGRESS_RULES: tuple[Rule, ...] = (
    # progress
    Rule("slow_steady_descent", "lr_too_low", "Loss falls slowly and never bends", ("underfitting", "plateau", "context.lr"),
         "0.6 still improving at the end / 0.5 plateau from the start; +0.25 when the configured lr is small", _lr_too_low),
    Rule("high_and_close", "underfitting", "Training loss high and validation close to it", ("underfitting", "train_acc"),
         "0.7 when converged, 0.45 when still improving (then lr_too_low ranks first)", _underfitting),
    Rule("val_rises_after_best", "overfitting", "Validation rises after its best while training falls", ("overfitting", "metric_disagreement"),
         "0.5 + min(0.35, 3 x GL) (+0.05 if training fell >10%), -0.1 when a validation metric still improves", _overfitting),
    Rule("loss_up_metric_up", "overconfidence", "Validation loss up, validation metric still improving", ("metric_disagreement",),
         "0.4 + min(0.2, 3 x relative metric gain since the loss's best)", _metric_disagreement),
    Rule("epoch_periodic_loss", "unshuffled_data", "Step loss repeats every epoch", ("shuffling",), "0.85", _shuffling),
)
