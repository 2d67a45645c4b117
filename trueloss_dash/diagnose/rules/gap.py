"""Rules for an inverted gap (validation below the reported training loss): training-time effects
(dropout, penalty, augmentation, batch norm, averaging lag) against a real data mismatch/leakage."""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import GAP_AUGMENTATION, GAP_AVERAGING_LAG, GAP_GENERALIZATION, GAP_PENALTY, GAP_TERMS, GAP_TRAIN_MODE, HUMAN_LABELS
from ...run import RunContext
from .. import thresholds as T
from ..signals import pct
from .base import MEASURED, PRIOR, SHAPE, TRACKER, CAUSES, Assessment, Rule, RuleInput, _ctx_phrase, _ctx_says

# --------------------------------------------------------------------------------------------------
# Inverted gap: validation below the reported training loss
# --------------------------------------------------------------------------------------------------

_TERM_CAUSE = {
    GAP_PENALTY: "weight_penalty",
    GAP_AVERAGING_LAG: "epoch_averaging_lag",
    GAP_AUGMENTATION: "augmentation",
    GAP_GENERALIZATION: "data_mismatch",
}


def _term_cause(term: str, ctx: RunContext) -> str:
    if term == GAP_TRAIN_MODE:
        return "batchnorm_instability" if ctx.batchnorm and not (ctx.dropout or 0) > 0 else "dropout"
    return _TERM_CAUSE[term]


def _decomposition(cause: str):
    def assess(inp: RuleInput) -> Assessment | None:
        i, f = inp.first("inverted_gap")
        if f is None or not f.metrics.get("decomposition"):
            return None
        terms = f.metrics["decomposition"]
        pos = {k: v for k, v in terms.items() if v > 0}
        total = sum(pos.values())
        mine = {k: v for k, v in pos.items() if _term_cause(k, inp.context) == cause}
        if not mine or total <= 0:
            return None
        share = sum(mine.values()) / total
        largest = max(pos, key=pos.get)
        conf = (0.6 + 0.35 * share) if _term_cause(largest, inp.context) == cause else 0.15 + 0.4 * share
        parts = ", ".join(f"{HUMAN_LABELS.get(k, k)} {fmt.signed(v)}" for k, v in sorted(terms.items(), key=lambda kv: -kv[1]))
        evidence = [f"measured gap decomposition (mean over inverted points): {parts}; "
                    f"{' + '.join(HUMAN_LABELS.get(k, k) for k in mine)} = {pct(share)} of the positive terms"]
        missing = [HUMAN_LABELS.get(k, k) for k in GAP_TERMS if k not in terms]
        if missing:  # a framework callback measures only some terms; the rest stay inside the gap, unattributed
            evidence.append(f"not measured in this log: {', '.join(missing)} (the share above is of the measured terms only)")
        return Assessment(conf, evidence, [i], MEASURED)
    return assess


def _gap_with_true_loss(inp: RuleInput) -> tuple[int, dict] | None:
    """(index, metrics) of the inverted gap when it was measured against a logged true training loss
    and no gap decomposition is available (the decomposition rules judge those runs)."""
    i, f = inp.first("inverted_gap")
    if f is None or "true_above_val_fraction" not in f.metrics or f.metrics.get("decomposition"):
        return None
    return i, f.metrics


def _true_persistently_above_val(m: dict) -> bool:
    """The data-mismatch signature: true training loss above validation overall and late in the run."""
    return (m["true_above_val_fraction"] >= T.MISMATCH_TRUE_ABOVE_FRACTION
            and m["true_above_val_late_fraction"] >= T.MISMATCH_TRUE_ABOVE_FRACTION)


def _true_above_val(inp: RuleInput) -> Assessment | None:
    found = _gap_with_true_loss(inp)
    if found is None:
        return None
    i, m = found
    if _true_persistently_above_val(m):
        return Assessment(
            0.9,
            [f"the true training loss (eval mode, clean inputs) is above validation at {pct(m['true_above_val_fraction'])} of points "
             f"and {pct(m['true_val_rel_end'])} above it at the end: the model is worse on its own training data, "
             "which no regularization effect can explain"],
            [i], MEASURED,
        )
    return None


def _training_time_effect(cause: str):
    """With the true training loss below validation: rank training-time effects by context and shape."""

    def assess(inp: RuleInput) -> Assessment | None:
        found = _gap_with_true_loss(inp)
        if found is None:
            return None
        i, m = found
        if _true_persistently_above_val(m):
            return None
        late, early = m["reported_true_offset_late"], m["reported_true_offset_early"]
        head = (f"the true training loss is at or below validation (above it at only {pct(m['true_above_val_fraction'])} of points): "
                f"the gap comes from how the reported loss is measured; reported exceeds true by {pct(early)} early, {pct(late)} late")
        says = _ctx_says(inp.context)
        if cause == "epoch_averaging_lag":
            fades = late <= T.INVERTED_MARGIN or m.get("early_only")
            if not fades:
                return Assessment(0.2, [head + " - it does not fade, so lag is at most part of it"], [i], MEASURED)
            others = any(says.values())
            return Assessment(0.55 if others else 0.8, [head + " - fading as the curve flattens: averaging lag"], [i], MEASURED)
        said = says.get(cause)
        if said is False:
            return None
        persistent = late > T.INVERTED_MARGIN
        if said:
            conf = 0.8 if persistent else 0.45
            detail = _ctx_phrase(cause, inp.context)
            if cause == "batchnorm_instability":
                conf -= 0.25
            return Assessment(conf, [head, f"the run's context says: {detail}"], [i], MEASURED)
        if not persistent:
            return None
        prior = {"dropout": 0.5, "augmentation": 0.4, "weight_penalty": 0.35, "batchnorm_instability": 0.2}[cause]
        if any(v for v in says.values()):
            prior *= 0.4
        return Assessment(prior, [head, "the context does not say which training-time effects were on: pass "
                                  "`--meta dropout=... augmentation=... penalty_in_loss=...` to rank them"], [i], PRIOR)

    return assess


def _leakage(inp: RuleInput) -> Assessment | None:
    """Validation glued to the training loss all the way down to memorisation level.

    Uses the true training loss when logged; otherwise the reported one over the second half of the
    run, where the averaging lag has faded (dropout/augmentation/penalty would push the reported
    loss *above* validation, never glue them together near zero)."""
    tt, va = inp.view.true_train, inp.view.val
    which = "true training loss"
    if tt is None or len(tt) < 5:
        tt, which = inp.view.train, "reported training loss"
    if tt is None or va is None or len(tt) < 5 or len(va) < 5 or not (tt.positive and va.positive):
        return None
    xs = va.x[(va.x >= tt.x[0]) & (va.x <= tt.x[-1])]
    if which.startswith("reported"):
        xs = xs[len(xs) // 2:]
    if len(xs) < 3:
        return None
    true_at = tt.at(xs)
    dist = float(np.median(np.abs(np.log(true_at / va.at(xs)))))
    fell_to = float(np.median(tt.y[-max(1, len(tt) // 10):]) / tt.y[0])
    if dist > T.LEAKAGE_MAX_LOG_DISTANCE or fell_to > T.LEAKAGE_MEMORISED_FRACTION:
        return None
    i, f = inp.first("inverted_gap")
    # on the reported loss alone this is a hint, not a finding to act on: healthy runs on large data
    # also end with validation close to a well-fitted training loss (below the warning confidence)
    return Assessment(0.85 if which.startswith("true") else 0.45, [
        f"validation stays within {pct(float(np.expm1(dist)))} of the {which} (median over the run) while that loss "
        f"falls to {pct(fell_to)} of its start: a model fitted this closely almost always does worse on unseen data, "
        "so validation examples are probably copies of training examples (leakage)"], [] if i is None else [i],
        MEASURED if which.startswith("true") else SHAPE)


def _lag_shift_test(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("inverted_gap")
    m = f.metrics if f is not None else {}
    if f is None or "true_above_val_fraction" in m or m.get("decomposition") or "lag_explains" not in m:
        return None
    if not m["lag_explains"]:
        return None
    conf = 0.75 if m["early_only"] else 0.55
    return Assessment(conf, [
        f"comparing the reported loss with validation half an interval earlier leaves only {pct(m['lag_remaining_fraction'])} "
        f"of the inverted points inverted" + (" and the inversion is gone once the curve flattens" if m["early_only"] else ""),
        "to settle it, " + TRACKER,
    ], [i])


def _start_gap(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("inverted_gap")
    m = f.metrics if f is not None else {}
    if f is None or "true_above_val_fraction" in m or m.get("decomposition") or not m.get("first_point_before_learning"):
        return None
    g = m.get("start_rel_gap", 0.0)
    if g <= T.INVERTED_MARGIN:
        return None
    return Assessment(0.75, [f"validation is already {pct(g)} below the training loss at the start, before any learning: "
                             "the two data sets differ, regularization cannot act yet"], [i])


def _context_regularizer(cause: str):
    """Without the true training loss: the context's training-time effects, at lower confidence."""

    def assess(inp: RuleInput) -> Assessment | None:
        i, f = inp.first("inverted_gap")
        m = f.metrics if f is not None else {}
        if f is None or "true_above_val_fraction" in m or m.get("decomposition"):
            return None
        said = _ctx_says(inp.context).get(cause)
        settle = "to settle it, " + TRACKER + ": true <= val means regularization, true > val means data mismatch"
        persists = not m["early_only"]
        if said:
            what = _ctx_phrase(cause, inp.context)
            conf = (0.65 if persists else 0.4) - (0.2 if cause == "batchnorm_instability" else 0.0)
            return Assessment(conf, [f"{f.summary}; the run's context says {what}, which inflates the reported training loss", settle], [i],
                              MEASURED)
        if said is False or not persists:
            return None
        # the context says nothing about this effect (it may rule out others: Lightning hparams carry
        # dropout and weight decay, rarely augmentation): unknown is not absent, the prior stands
        prior = {"dropout": 0.45, "augmentation": 0.35, "weight_penalty": 0.25, "batchnorm_instability": 0.15}[cause]
        known = [c for c, v in _ctx_says(inp.context).items() if v is False]
        why = (f"the context rules out {', '.join(CAUSES[c].title.lower() for c in known)} but says nothing about "
               f"{CAUSES[cause].title.lower()}, a common reason" if known else
               f"without context, {CAUSES[cause].title.lower()} is a common reason")
        return Assessment(prior, [f"{f.summary}; the inversion persists after the curve flattens, so it is not averaging lag; "
                                  f"{why}", settle], [i], PRIOR)

    return assess


def _persistent_without_regularizer(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("inverted_gap")
    m = f.metrics if f is not None else {}
    if f is None or "true_above_val_fraction" in m or m.get("decomposition") or m["early_only"]:
        return None
    if m.get("lag_explains"):
        return None
    says = _ctx_says(inp.context)
    if any(says.values()):
        return None
    all_known = all(v is False for v in says.values())
    conf = 0.65 if all_known else (0.3 if any(v is False for v in says.values()) else 0.25)
    ev = [f"{f.summary}; the inversion persists after the curve flattens (not averaging lag)"]
    ev.append("the context rules out dropout, penalty, augmentation and batch-norm noise" if all_known else
              "nothing in the known context inflates the reported training loss")
    ev.append("to settle it, " + TRACKER + ": a true training loss above validation confirms a mismatch")
    return Assessment(conf, ev, [i], MEASURED if all_known else PRIOR)


def _holds_training_up(cause: str, assess):
    """A training-time effect that keeps the reported training loss above validation to the end also
    explains an underfitting finding read on that loss: strong dropout, an L2 term in the loss or hard
    augmentation are a textbook reason a model cannot fit (loosen them before growing the model). The
    cause then explains a warning, so it is not discounted as a harmless side note."""

    def wrapped(inp: RuleInput) -> Assessment | None:
        got = assess(inp)
        if got is None or cause not in _HOLDS_UP:
            return got
        i, f = inp.first("inverted_gap")
        iu, u = inp.first("underfitting")
        if f is None or u is None or i not in got.findings:
            return got
        m = f.metrics
        if m.get("early_only") or not m.get("persists_to_end") or m.get("late_fraction", 0.0) < T.REGULARIZED_UNDERFIT_LATE_FRACTION:
            return got
        got.findings = sorted(set(got.findings) | {iu})
        got.evidence = got.evidence + [
            f"validation stays below the reported training loss to the end ({pct(m['late_fraction'])} of the late points): "
            f"the training loss the underfitting check reads is inflated by this effect, and too much of it is a common "
            f"reason a model cannot fit - loosen it before making the model larger"]
        return got

    return wrapped


_HOLDS_UP = ("dropout", "augmentation", "weight_penalty")


_GAP = ("inverted_gap",)
GAP_RULES: tuple[Rule, ...] = (
    # inverted gap - 1) the trainer's exact decomposition settles it
    *(Rule(f"decomposition_{c}", c, "Largest term of the measured gap decomposition", _GAP + ("gap_* series",),
           "0.6 + 0.35 x share of the positive terms when this term is the largest; 0.15 + 0.4 x share otherwise",
           _holds_training_up(c, _decomposition(c))) for c in ("epoch_averaging_lag", "dropout", "batchnorm_instability", "weight_penalty", "augmentation", "data_mismatch")),
    # 2) with the true training loss
    Rule("true_above_val", "data_mismatch", "True training loss above validation", _GAP + ("true_train_loss",),
         "0.9 when true > val at >= half the points and at the end, whatever the context says", _true_above_val),
    *(Rule(f"true_below_val_{c}", c, "True loss <= validation: training-time effect", _GAP + ("true_train_loss", "context", "gap shape"),
           "context names it: 0.8 if reported - true persists (0.45 if it fades); lag: 0.8 if the offset fades; "
           "no context: priors 0.5 dropout / 0.4 augmentation / 0.35 penalty / 0.2 batch norm",
           _holds_training_up(c, _training_time_effect(c))) for c in ("epoch_averaging_lag", "dropout", "augmentation", "weight_penalty", "batchnorm_instability")),
    # 3) without it: shape tests, then context, at lower confidence
    Rule("val_tracks_true_to_memorisation", "data_mismatch", "Validation tracks the true training loss down to memorisation",
         ("true_train_loss (or train_loss)", "val_loss"), "0.85 (above the benign averaging lag that may explain the inversion's shape) when val stays within LEAKAGE_MAX_LOG_DISTANCE of true while true falls below "
         "LEAKAGE_MEMORISED_FRACTION of its start; 0.7 on the reported loss (second half) when the true loss is not logged", _leakage),
    Rule("half_interval_shift", "epoch_averaging_lag", "Half-interval shift removes the inversion", _GAP + ("validation curve",),
         "0.75 when the inversion is early-only and the shift explains it, 0.55 when only the shift explains it", _lag_shift_test),
    Rule("gap_before_learning", "data_mismatch", "Validation already below training at step 0", _GAP + ("first points",),
         "0.75 when validation was measured before learning and is already lower", _start_gap),
    *(Rule(f"context_{c}", c, "Context names a training-time effect", _GAP + ("context",),
           "0.65 when the context names it and the inversion persists (0.4 early-only); batch norm -0.2; "
           "no context at all: priors 0.45 dropout / 0.35 augmentation / 0.25 penalty / 0.15 batch norm",
           _holds_training_up(c, _context_regularizer(c))) for c in ("dropout", "augmentation", "weight_penalty", "batchnorm_instability")),
    Rule("persistent_without_regularizer", "data_mismatch", "Persistent inversion with nothing to explain it", _GAP + ("context",),
         "0.65 when the context rules out every training-time effect, 0.25-0.3 when it is unknown", _persistent_without_regularizer),
)
