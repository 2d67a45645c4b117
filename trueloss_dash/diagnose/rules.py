"""The rules catalog: from findings (and what is known about the run) to likely causes.

Read it top to bottom. Each :class:`Rule` names the findings and context it looks at, the cause it
supports, how its confidence is computed, the mechanism ("why") and what to do. ``assess`` returns
an :class:`Assessment` (confidence, evidence sentences with this run's numbers, the findings it
explains) or None when the rule does not apply. Several rules may support one cause; the engine
keeps the strongest and adds a little for each independent supporter.

Thresholds come from :mod:`.thresholds`; nothing here hard-codes a number a detector also uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..columns import GAP_AUGMENTATION, GAP_AVERAGING_LAG, GAP_GENERALIZATION, GAP_PENALTY, GAP_TRAIN_MODE, HUMAN_LABELS, LR, TRAIN_LOSS, VAL_LOSS
from ..run import RunContext
from . import thresholds as T
from .model import Finding
from .signals import pct, xfmt

# --------------------------------------------------------------------------------------------------
# Causes: stable ids, a title, the mechanism, and the default actions.
# --------------------------------------------------------------------------------------------------

TRACKER = "log the true training loss with `trueloss_dash.trainer.TrueLossTracker` (eval mode, clean inputs, no penalty)"
CLIP = "clip gradients with `torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)` at about the 90th percentile of logged grad norms"
PLATEAU_SCHED = "`torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5)` on the validation loss"


@dataclass(frozen=True)
class CauseInfo:
    title: str
    why: str
    actions: tuple[str, ...]
    benign: bool = False  # explains an inverted gap without anything being wrong


CAUSES: dict[str, CauseInfo] = {
    "lr_overshoot": CauseInfo(
        "Learning-rate overshoot",
        "A step too large for the local curvature throws the weights out of the basin they were descending; "
        "the loss jumps, then the optimizer finds its way back (or diverges if it cannot).",
        ("add a linear warmup (e.g. `torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=500)`) and lower the peak LR 2-3x",
         CLIP, PLATEAU_SCHED),
    ),
    "lr_too_high": CauseInfo(
        "Learning rate too high",
        "With steps larger than the curvature allows, updates overshoot the minimum every time: the loss bounces or explodes.",
        ("divide the learning rate by 3-10 and re-run", CLIP,
         "use a decaying schedule (`torch.optim.lr_scheduler.CosineAnnealingLR`) or " + PLATEAU_SCHED),
    ),
    "lr_too_low": CauseInfo(
        "Learning rate too low",
        "Tiny steps make steady but slow progress: the loss falls in a straight line and never bends into convergence within the budget.",
        ("raise the learning rate 3-10x (run an LR range test: increase LR exponentially over ~100 steps and pick 1/10 of where the loss blows up)",
         "or train longer; with Adam a default of 1e-3 is a better starting point"),
    ),
    "batchnorm_instability": CauseInfo(
        "Batch-norm instability (small batches)",
        "Batch norm normalises with the statistics of each minibatch in training and with running averages in evaluation; "
        "with small batches those estimates are noisy, so eval-mode (validation) outputs jump while training looks smooth.",
        (f"use a batch size >= {T.SMALL_BATCH}, or replace BatchNorm by `torch.nn.GroupNorm` / `torch.nn.LayerNorm`",
         "raise the running-stat averaging (BatchNorm `momentum=0.01`) or recompute BN statistics on training data before evaluating"),
        benign=True,
    ),
    "dropout": CauseInfo(
        "Dropout in the training loss",
        "The reported training loss is computed with dropout active (a thinned network); validation uses the full network, so it scores better. "
        "This is expected and not a problem.",
        ("nothing to fix; compare validation with the true training loss (eval mode) instead: " + TRACKER,),
        benign=True,
    ),
    "weight_penalty": CauseInfo(
        "Weight penalty included in the training loss",
        "An L1/L2 penalty (e.g. Keras `kernel_regularizer`) is added to the reported training loss but not to validation: "
        "the training curve carries an offset of about lambda*||w||^2. PyTorch `weight_decay`/AdamW never appear in the loss.",
        ("nothing to fix; plot the loss without the penalty (or the true training loss) to compare with validation",),
        benign=True,
    ),
    "augmentation": CauseInfo(
        "Data augmentation in the training loss",
        "Training batches are augmented (harder, noisier inputs); validation uses clean inputs. The inversion disappears only when the "
        "training loss is measured on clean inputs.",
        ("nothing to fix; " + TRACKER,),
        benign=True,
    ),
    "epoch_averaging_lag": CauseInfo(
        "Epoch-averaging lag",
        "The reported training loss is the mean over the epoch while the weights improve; validation is measured at the epoch's end. "
        "The reported value is roughly the loss half an epoch earlier, which is larger while the loss falls fast.",
        ("nothing to fix; shift the training curve half an epoch left, or " + TRACKER,),
        benign=True,
    ),
    "data_mismatch": CauseInfo(
        "Train/validation data mismatch or leakage",
        "When the model is truly worse on its own training data than on validation, the two sets differ: noisy or harder training labels, "
        "an easier validation distribution, or training examples leaking into validation.",
        ("re-split with `sklearn.model_selection.train_test_split(..., stratify=labels)` from one shuffled pool",
         "de-duplicate across train and validation (exact hashes / near-duplicate search) to rule out leakage",
         "audit training labels for noise (e.g. inspect the highest-loss training examples)"),
    ),
    "overfitting": CauseInfo(
        "Overfitting",
        "After its best point the model keeps fitting the training set (training loss falls) while validation gets worse: "
        "it memorises instead of generalising.",
        ("early stopping at the best epoch (Keras `EarlyStopping(patience=5, restore_best_weights=True)`, Lightning `EarlyStopping('val_loss')`)",
         "add regularization: dropout, weight decay (`torch.optim.AdamW(weight_decay=0.01)`), augmentation",
         "get more training data or reduce model capacity"),
    ),
    "underfitting": CauseInfo(
        "Underfitting",
        "The model cannot fit even its training data: training and validation stay high and close together.",
        ("increase model capacity (width/depth) or train longer",
         "reduce regularization (dropout, weight decay) if it is strong",
         "check inputs and labels are aligned (a pipeline bug looks like underfitting)"),
    ),
    "unshuffled_data": CauseInfo(
        "Unshuffled or class-sorted training data",
        "Batches that follow the file order (e.g. sorted by class) pull the model toward whichever class it is currently seeing; "
        "the loss repeats the same pattern every epoch and generalises poorly.",
        ("shuffle every epoch: `DataLoader(dataset, shuffle=True)` / `dataset.shuffle(buffer_size=len(dataset))`",),
    ),
    "overconfidence": CauseInfo(
        "Over-confidence (loss vs metric disagreement)",
        "Validation loss punishes confident mistakes heavily; the model grows more confident on the examples it gets wrong while its accuracy "
        "still improves. The task is not overfitting yet; calibration is drifting.",
        ("early-stop / select checkpoints on the metric you care about, not on the loss",
         "use label smoothing (`torch.nn.CrossEntropyLoss(label_smoothing=0.1)`) or temperature scaling after training"),
    ),
}

# The causes that explain a validation loss below the training loss.
INVERTED_GAP_CAUSES = ("epoch_averaging_lag", "dropout", "weight_penalty", "augmentation", "batchnorm_instability", "data_mismatch")


# --------------------------------------------------------------------------------------------------
# What a rule sees and returns
# --------------------------------------------------------------------------------------------------


@dataclass
class Assessment:
    confidence: float
    evidence: list[str]
    findings: list[int] = field(default_factory=list)


@dataclass
class RuleInput:
    findings: list[Finding]
    context: RunContext
    view: object  # RunView (curves of the run)

    def of(self, kind: str, series: str | None = None) -> list[tuple[int, Finding]]:
        return [(i, f) for i, f in enumerate(self.findings) if f.kind == kind and (series is None or f.series == series)]

    def first(self, kind: str) -> tuple[int, Finding] | tuple[None, None]:
        got = self.of(kind)
        return got[0] if got else (None, None)


@dataclass(frozen=True)
class Rule:
    id: str
    cause: str
    title: str
    looks_at: tuple[str, ...]
    confidence: str  # how the confidence is computed, in words
    assess: Callable[[RuleInput], Assessment | None]
    why: str = ""
    actions: tuple[str, ...] = ()

    @property
    def cause_title(self) -> str:
        return CAUSES[self.cause].title

    def describe(self) -> dict:
        info = CAUSES[self.cause]
        return {
            "id": self.id,
            "cause": self.cause,
            "title": self.title,
            "looks_at": list(self.looks_at),
            "confidence": self.confidence,
            "why": self.why or info.why,
            "actions": list(self.actions or info.actions),
        }


# --------------------------------------------------------------------------------------------------
# Helpers the rules share
# --------------------------------------------------------------------------------------------------


def _lr_increase_before(view, f: Finding) -> tuple[float, float, float] | None:
    """(lr before, lr after, x) of an LR increase shortly before (or at) a finding's start."""
    lr = view.working(LR, f.x_axis)  # bin means: an LR change lasting 1/2000 of the run still shows
    if lr is None or len(lr) < 2 or not lr.positive:
        return None
    span = lr.x[-1] - lr.x[0]
    look = max(T.LR_LOOKBACK_FRACTION * span, float(np.median(np.diff(lr.x))) * 1.5)
    t0 = f.start if f.start is not None else lr.x[0]
    win = (lr.x >= t0 - look) & (lr.x <= t0 + 0.5 * look)
    idx = np.flatnonzero(win)
    if len(idx) == 0:
        return None
    i0 = max(int(idx[0]) - 1, 0)
    seg = lr.y[i0 : int(idx[-1]) + 1]
    segx = lr.x[i0 : int(idx[-1]) + 1]
    if len(seg) < 2:
        return None
    lo_i = int(np.argmin(seg[:-1])) if len(seg) > 1 else 0
    hi_i = lo_i + int(np.argmax(seg[lo_i:]))
    if seg[hi_i] >= T.LR_INCREASE_RATIO * seg[lo_i] and hi_i > lo_i:
        return float(seg[lo_i]), float(seg[hi_i]), float(segx[hi_i])
    return None


def _train_roughness(view) -> float | None:
    """Roughness of the training loss at the validation cadence (step-level: per-interval means)."""
    from .detectors.spike import residual_sigma, train_roughness_beside

    c = view.curve(TRAIN_LOSS)
    beside = train_roughness_beside(c, view.curve(VAL_LOSS))
    if beside is not None:
        return beside
    return residual_sigma(c) if c is not None and len(c) >= 5 else None


def _small_lr(ctx: RunContext) -> bool:
    if ctx.lr is None:
        return False
    adam = (ctx.optimizer or "").lower().startswith("adam")
    return ctx.lr < (T.LR_SMALL_ADAM if adam else T.LR_SMALL_SGD) / (10 if not adam else 1)


def _ctx_says(ctx: RunContext) -> dict[str, bool | None]:
    """What the context says about each training-time effect: True, False (explicitly not) or None."""
    return {
        "dropout": None if ctx.dropout is None else ctx.dropout > 0,
        "weight_penalty": ctx.penalty_in_loss if ctx.penalty_in_loss is not None else (None if ctx.weight_decay is None else None),
        "augmentation": ctx.augmentation,
        "batchnorm_instability": None if ctx.batchnorm is None else bool(ctx.batchnorm and (ctx.batch_size is None or ctx.batch_size < T.SMALL_BATCH)),
    }


def _ctx_phrase(cause: str, ctx: RunContext) -> str:
    if cause == "dropout":
        return f"dropout {ctx.dropout:g}"
    if cause == "weight_penalty":
        return "a penalty included in the reported loss"
    if cause == "augmentation":
        return "augmentation on training inputs"
    return "batch norm" + (f" with batch size {ctx.batch_size}" if ctx.batch_size is not None else "")


# --------------------------------------------------------------------------------------------------
# Spikes, divergence, oscillation
# --------------------------------------------------------------------------------------------------


def _spike_after_lr_increase(inp: RuleInput) -> Assessment | None:
    """A spike right after the LR rose: the new LR overshot. (A *divergence* after an LR increase is
    the LR being too high - the loss never came back - and is the divergence rule's evidence.)"""
    hits, ev = [], []
    for i, f in inp.of("spike"):
        up = _lr_increase_before(inp.view, f)
        if up:
            hits.append(i)
            ev.append(f"learning rate rose {up[1] / up[0]:.1f}x ({up[0]:.3g} -> {up[1]:.3g}) at {f.x_axis} {xfmt(up[2])}, "
                      f"just before the {f.kind} in {f.series} at {f.x_axis} {xfmt(f.start)}")
    if not hits:
        return None
    transient = any(inp.findings[i].metrics.get("transient") for i in hits)
    return Assessment(0.9 if transient else 0.75, ev, hits)


def _spike_recovered(inp: RuleInput) -> Assessment | None:
    tr = [(i, f) for i, f in inp.of("spike") if f.series != VAL_LOSS and f.metrics.get("transient")]
    if not tr:
        return None
    if any(_lr_increase_before(inp.view, f) for _, f in tr):
        return None  # the rule above covers it, with the LR numbers
    has_lr = inp.view.curve(LR) is not None
    i, f = max(tr, key=lambda p: p[1].metrics.get("z", 0))
    ev = [f"{f.summary} - the overshoot-and-recover shape"]
    ev.append("the logged learning rate shows no increase before it" if has_lr else
              "log the learning rate (`lr` column) to confirm whether it rose just before")
    return Assessment(0.35 if has_lr else 0.5, ev, [j for j, _ in tr])


def _spike_persistent(inp: RuleInput) -> Assessment | None:
    hits = [(i, f) for i, f in inp.of("spike") if f.series != VAL_LOSS and not f.metrics.get("transient")]
    if not hits:
        return None
    i, f = hits[0]
    return Assessment(0.55, [f"{f.summary}: the optimizer did not find its way back"], [j for j, _ in hits])


def _divergence(inp: RuleInput) -> Assessment | None:
    hits = inp.of("divergence")
    if not hits:
        return None
    ev = [f.summary for _, f in hits[:2]]
    conf = 0.8
    for _, f in hits:
        up = _lr_increase_before(inp.view, f)
        if up:  # warmup/schedule raised the LR and the loss never came back: the peak LR is too high
            conf = 0.9
            ev.append(f"the learning rate had just risen {up[1] / up[0]:.1f}x to {up[1]:.3g} ({f.x_axis} {xfmt(up[2])}) and the loss "
                      "never recovered: that LR is beyond what the curvature allows")
            break
    if inp.context.lr is not None:
        ev.append(f"configured learning rate {inp.context.lr:g}")
    return Assessment(conf, ev, [i for i, _ in hits])


def _oscillation(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("oscillation")
    if f is None:
        return None
    conf = 0.7 + (0.1 if inp.context.lr is not None and not _small_lr(inp.context) else 0.0)
    return Assessment(conf, [f.summary], [i])


def _val_spikes_smooth_train(inp: RuleInput) -> Assessment | None:
    vs = inp.of("spike", VAL_LOSS)
    train_spikes = [f for _, f in inp.of("spike") if f.series != VAL_LOSS]
    if not vs:
        return None
    rough = _train_roughness(inp.view)
    overlapping = [f for _, f in vs if any(abs((t.start or 0) - (f.start or 0)) <= max(1.0, abs((f.end or 0) - (f.start or 0))) for t in train_spikes)]
    if len(overlapping) == len(vs) or (rough is not None and rough > T.SMOOTH_TRAIN_MAX_SIGMA):
        return None
    ctx = inp.context
    ev = [f"validation spiked {len(vs)} time(s) (largest: {max(vs, key=lambda p: p[1].metrics.get('z', 0))[1].summary}) "
          f"while the training loss stayed smooth (roughness {rough:.3f} log units)" if rough is not None else
          f"validation spiked {len(vs)} time(s) with no matching spike in training"]
    conf = 0.3
    if ctx.batchnorm:
        conf += 0.3
        ev.append("the model uses batch norm")
    elif ctx.batchnorm is False:
        conf = 0.1
    else:
        ev.append("tell diagnose whether the model uses batch norm (`--meta batchnorm=true batch_size=N`) to settle it")
    if ctx.batch_size is not None:
        if ctx.batch_size < T.SMALL_BATCH:
            conf += 0.25
            ev.append(f"batch size {ctx.batch_size} < {T.SMALL_BATCH}: noisy batch statistics")
        else:
            conf -= 0.1
    return Assessment(min(conf, 0.9), ev, [i for i, _ in vs])


# --------------------------------------------------------------------------------------------------
# Slow, stuck, overfit, unshuffled, over-confident
# --------------------------------------------------------------------------------------------------


def _lr_too_low(inp: RuleInput) -> Assessment | None:
    iu, u = inp.first("underfitting")
    ip, p = inp.first("plateau")
    ev, hits, conf = [], [], 0.0
    if u is not None and u.metrics.get("still_improving"):
        conf = 0.6
        hits.append(iu)
        ev.append(f"{u.summary}: a loss that never bends is still learning at the end")
    if p is not None and p.metrics.get("from_start"):
        conf = max(conf, 0.5)
        hits.append(ip)
        ev.append(p.summary)
    if not hits:
        return None
    if _small_lr(inp.context):
        conf += 0.25
        ev.append(f"configured learning rate {inp.context.lr:g} is small for {inp.context.optimizer or 'this optimizer'}")
    elif inp.context.lr is None:
        ev.append("log the learning rate or pass `--meta lr=...` to confirm")
    return Assessment(min(conf, 0.95), ev, hits)


def _underfitting(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("underfitting")
    if f is None:
        return None
    conf = 0.45 if f.metrics.get("still_improving") else 0.7
    ev = [f.summary]
    acc = f.metrics.get("train_acc_end")
    if acc is not None:
        ev.append(f"training accuracy ends at {acc:.3f}")
    return Assessment(conf, ev, [i])


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
          f"(validation {f.metrics['best_val']:.4g} instead of {f.metrics['recent_val']:.4g})"]
    md = inp.of("metric_disagreement")
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
    return Assessment(0.5 + min(0.35, 5.0 * gain), [f.summary for _, f in hits], [i for i, _ in hits])


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
        parts = ", ".join(f"{HUMAN_LABELS.get(k, k)} {v:+.3g}" for k, v in sorted(terms.items(), key=lambda kv: -kv[1]))
        return Assessment(conf, [f"measured gap decomposition (mean over inverted points): {parts}; "
                                 f"{' + '.join(HUMAN_LABELS.get(k, k) for k in mine)} = {pct(share)} of the positive terms"], [i])
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
            [i],
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
                return Assessment(0.2, [head + " - it does not fade, so lag is at most part of it"], [i])
            others = any(says.values())
            return Assessment(0.55 if others else 0.8, [head + " - fading as the curve flattens: averaging lag"], [i])
        said = says.get(cause)
        if said is False:
            return None
        persistent = late > T.INVERTED_MARGIN
        if said:
            conf = 0.8 if persistent else 0.45
            detail = _ctx_phrase(cause, inp.context)
            if cause == "batchnorm_instability":
                conf -= 0.25
            return Assessment(conf, [head, f"the run's context says: {detail}"], [i])
        if not persistent:
            return None
        prior = {"dropout": 0.5, "augmentation": 0.4, "weight_penalty": 0.35, "batchnorm_instability": 0.2}[cause]
        if any(v for v in says.values()):
            prior *= 0.4
        return Assessment(prior, [head, "the context does not say which training-time effects were on: pass "
                                  "`--meta dropout=... augmentation=... penalty_in_loss=...` to rank them"], [i])

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
    return Assessment(0.85 if which.startswith("true") else 0.7, [
        f"validation stays within {pct(float(np.expm1(dist)))} of the {which} (median over the run) while that loss "
        f"falls to {pct(fell_to)} of its start: a model fitted this closely almost always does worse on unseen data, "
        "so validation examples are probably copies of training examples (leakage)"], [] if i is None else [i])


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
            return Assessment(conf, [f"{f.summary}; the run's context says {what}, which inflates the reported training loss", settle], [i])
        if said is False or not persists:
            return None
        says = _ctx_says(inp.context)
        if any(v is not None for v in says.values()):
            return None  # the context was given and did not name this effect
        prior = {"dropout": 0.45, "augmentation": 0.35, "weight_penalty": 0.25, "batchnorm_instability": 0.15}[cause]
        return Assessment(prior, [f"{f.summary}; the inversion persists after the curve flattens, so it is not averaging lag; "
                                  f"without context, {CAUSES[cause].title.lower()} is a common reason", settle], [i])

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
    return Assessment(conf, ev, [i])


# --------------------------------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------------------------------

_GAP = ("inverted_gap",)
RULES: tuple[Rule, ...] = (
    # spikes and instability
    Rule("spike_after_lr_increase", "lr_overshoot", "Spike right after a learning-rate increase", ("spike", "lr series"),
         "0.9 when the spike recovers, 0.75 otherwise", _spike_after_lr_increase),
    Rule("spike_recovers", "lr_overshoot", "Training spike that recovers", ("spike (training, transient)", "lr series"),
         "0.5 without an lr series (cannot check), 0.35 when the lr is logged and did not rise", _spike_recovered),
    Rule("spike_persistent", "lr_too_high", "Training loss jumps and stays up", ("spike (training, persistent)",),
         "0.55", _spike_persistent),
    Rule("divergence", "lr_too_high", "Loss diverged", ("divergence", "lr series", "context.lr"),
         "0.8; 0.9 when the LR had just risen (warmup/schedule) and the loss never came back", _divergence),
    Rule("oscillation", "lr_too_high", "Loss oscillates without trend", ("oscillation", "context.lr"),
         "0.7, +0.1 when a non-small lr is known", _oscillation),
    Rule("val_spikes_smooth_train", "batchnorm_instability", "Validation spikes while training is smooth",
         ("spike (validation)", "training roughness", "context.batchnorm", "context.batch_size"),
         "0.3; +0.3 with batch norm, +0.25 with batch < SMALL_BATCH; 0.1 without batch norm; -0.1 with large batches",
         _val_spikes_smooth_train),
    # progress
    Rule("slow_steady_descent", "lr_too_low", "Loss falls slowly and never bends", ("underfitting", "plateau", "context.lr"),
         "0.6 still improving at the end / 0.5 plateau from the start; +0.25 when the configured lr is small", _lr_too_low),
    Rule("high_and_close", "underfitting", "Training loss high and validation close to it", ("underfitting", "train_acc"),
         "0.7 when converged, 0.45 when still improving (then lr_too_low ranks first)", _underfitting),
    Rule("val_rises_after_best", "overfitting", "Validation rises after its best while training falls", ("overfitting", "metric_disagreement"),
         "0.5 + min(0.35, 3 x GL) (+0.05 if training fell >10%), -0.1 when a validation metric still improves", _overfitting),
    Rule("loss_up_metric_up", "overconfidence", "Validation loss up, validation metric still improving", ("metric_disagreement",),
         "0.5 + min(0.35, 5 x relative metric gain since the loss's best)", _metric_disagreement),
    Rule("epoch_periodic_loss", "unshuffled_data", "Step loss repeats every epoch", ("shuffling",), "0.85", _shuffling),
    # inverted gap - 1) the trainer's exact decomposition settles it
    *(Rule(f"decomposition_{c}", c, "Largest term of the measured gap decomposition", _GAP + ("gap_* series",),
           "0.6 + 0.35 x share of the positive terms when this term is the largest; 0.15 + 0.4 x share otherwise",
           _decomposition(c)) for c in ("epoch_averaging_lag", "dropout", "batchnorm_instability", "weight_penalty", "augmentation", "data_mismatch")),
    # 2) with the true training loss
    Rule("true_above_val", "data_mismatch", "True training loss above validation", _GAP + ("true_train_loss",),
         "0.9 when true > val at >= half the points and at the end, whatever the context says", _true_above_val),
    *(Rule(f"true_below_val_{c}", c, "True loss <= validation: training-time effect", _GAP + ("true_train_loss", "context", "gap shape"),
           "context names it: 0.8 if reported - true persists (0.45 if it fades); lag: 0.8 if the offset fades; "
           "no context: priors 0.5 dropout / 0.4 augmentation / 0.35 penalty / 0.2 batch norm",
           _training_time_effect(c)) for c in ("epoch_averaging_lag", "dropout", "augmentation", "weight_penalty", "batchnorm_instability")),
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
           _context_regularizer(c)) for c in ("dropout", "augmentation", "weight_penalty", "batchnorm_instability")),
    Rule("persistent_without_regularizer", "data_mismatch", "Persistent inversion with nothing to explain it", _GAP + ("context",),
         "0.65 when the context rules out every training-time effect, 0.25-0.3 when it is unknown", _persistent_without_regularizer),
)


def rule_catalog() -> list[dict]:
    """The catalog as plain dicts (for the UI's rule page and docs)."""
    return [r.describe() for r in RULES]
