"""What every rule shares: the causes (id, title, mechanism, actions), what a rule sees
(:class:`RuleInput`) and returns (:class:`Assessment`), the :class:`Rule` record, and the helpers
several cause families use (LR increases, training roughness, what the context says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ...columns import LR, TRAIN_LOSS, VAL_LOSS
from ...run import RunContext
from .. import thresholds as T
from ..model import Finding

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
        ("early stopping at the best epoch (Keras `EarlyStopping(patience=5, restore_best_weights=True)`, Lightning `EarlyStopping('val_loss')`, "
         "XGBoost / LightGBM `early_stopping_rounds`)",
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
    "data_or_pipeline_change": CauseInfo(
        "Data or pipeline change",
        "A loss that jumps to a new level and stays there while the learning rate did not change points at the inputs: a new data "
        "shard or curriculum stage, a preprocessing or tokenizer change, a run resumed with different settings.",
        ("check what changed at that step: data shards or order, preprocessing, a resumed checkpoint with a different config",
         "compare a batch from just before the jump with one just after it"),
    ),
    "eval_noise": CauseInfo(
        "Noisy or buggy evaluation",
        "A tiny validation set makes every evaluation a noisy estimate; an eval-mode bug (dropout or batch norm left in train mode, "
        "different preprocessing at evaluation) makes the evaluated outputs jump while training is smooth.",
        ("use a larger validation set (a few thousand examples) or average several evaluations",
         "call `model.eval()` before evaluating and `model.train()` after, and use the training preprocessing for validation"),
    ),
}

#: The one fact that singles each cause out: when two causes tie, the verdict names both and what
#: would separate them.
CAUSE_TELLS: dict[str, str] = {
    "lr_overshoot": "the logged learning rate rising just before the jump",
    "lr_too_high": "the loss settling when the learning rate is divided by 3-10",
    "lr_too_low": "the loss bending down faster with a 3-10x larger learning rate",
    "batchnorm_instability": "validation calming down with batch size >= 32 or GroupNorm",
    "dropout": "the gap vanishing when the training loss is measured in eval mode (dropout off)",
    "weight_penalty": "the gap vanishing when the penalty term is left out of the training loss",
    "augmentation": "the gap vanishing when the training loss is measured on clean inputs",
    "epoch_averaging_lag": "the gap vanishing when training is compared with validation half an epoch earlier",
    "data_mismatch": "the true training loss (eval mode) staying above validation",
    "overfitting": "validation improving again with early stopping or more regularization",
    "underfitting": "a larger model fitting the training data better",
    "unshuffled_data": "the per-epoch pattern disappearing with shuffle=True",
    "overconfidence": "the validation metric still improving while the loss rises",
    "data_or_pipeline_change": "a change in the data or preprocessing at the point of the jump",
    "eval_noise": "validation calming down on a larger validation set",
}

# The causes that explain a validation loss below the training loss.
INVERTED_GAP_CAUSES = ("epoch_averaging_lag", "dropout", "weight_penalty", "augmentation", "batchnorm_instability", "data_mismatch")


# --------------------------------------------------------------------------------------------------
# What a rule sees and returns
# --------------------------------------------------------------------------------------------------


#: What a rule's reading rests on (calibration.py turns a cause's raw score into a probability by it):
#: ``measured`` - an input beyond the finding's shape settled it (the true training loss, a gap
#: decomposition, a context knob, the logged learning rate, a validation metric);
#: ``shape`` - the finding itself names the cause (validation rising after its best is overfitting);
#: ``prior`` - one of several explanations of the same finding that nothing in the log separates
#: (without context, dropout is a common reason for an inverted gap).
MEASURED, SHAPE, PRIOR = "measured", "shape", "prior"
BASES = (MEASURED, SHAPE, PRIOR)


@dataclass
class Assessment:
    confidence: float
    evidence: list[str]
    findings: list[int] = field(default_factory=list)
    basis: str = SHAPE


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


def _lr_rise_between(view, axis: str, x0: float, x1: float) -> tuple[float, float, float] | None:
    """(lr before, lr after, x) when the logged LR rose by LR_INCREASE_RATIO between ``x0`` (the level
    before a shift) and ``x1`` (the shift): a warm-up ramp counts, however gradual."""
    lr = view.working(LR, axis)
    if lr is None or len(lr) < 2 or not lr.positive:
        return None
    seg = (lr.x >= x0) & (lr.x <= x1)
    idx = np.flatnonzero(seg)
    if len(idx) < 2:
        return None
    y, x = lr.y[idx], lr.x[idx]
    lo = int(np.argmin(y))
    hi = lo + int(np.argmax(y[lo:]))
    if hi > lo and y[hi] >= T.LR_INCREASE_RATIO * y[lo]:
        return float(y[lo]), float(y[hi]), float(x[hi])
    return None


def _train_roughness(view) -> float | None:
    """Roughness of the training loss at the validation cadence (step-level: per-interval means)."""
    from ..detectors.spike import residual_sigma, train_roughness_beside

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


