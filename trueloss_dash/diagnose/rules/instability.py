"""Rules for instability: spikes, level shifts, divergence, oscillation, erratic validation.
Causes: LR overshoot, LR too high, batch-norm instability."""

from __future__ import annotations

import numpy as np

from ... import fmt
from ...columns import LR, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_ACC, VAL_LOSS
from .. import thresholds as T
from ..noise import end_over_lowest_level
from ..signals import interval_means, overlap, xfmt
from .base import MEASURED, PRIOR, SHAPE, Assessment, Rule, RuleInput, _lr_increase_before, _lr_rise_between, _small_lr, _train_roughness

# --------------------------------------------------------------------------------------------------
# Spikes, divergence, oscillation
# --------------------------------------------------------------------------------------------------


def _spike_after_lr_increase(inp: RuleInput) -> Assessment | None:
    """A spike right after the LR rose: the new LR overshot. (A *divergence* after an LR increase is
    the LR being too high - the loss never came back - and is the divergence rule's evidence.)"""
    hits, ev = [], []
    for i, f in inp.of("spike"):
        if _diverged(inp, f.series):
            continue  # a jump on the way to divergence is the divergence's evidence
        up = _lr_increase_before(inp.view, f)
        if up:
            hits.append(i)
            ev.append(f"learning rate rose {fmt.ratio(up[1] / up[0])} ({fmt.num(up[0])} -> {fmt.num(up[1])}) at {f.x_axis} {xfmt(up[2])}, "
                      f"just before the {f.kind} in {f.series} at {f.x_axis} {xfmt(f.start)}")
    if not hits:
        return None
    transient = any(inp.findings[i].metrics.get("transient") for i in hits)
    return Assessment(0.9 if transient else 0.75, ev, hits, MEASURED)


def _spike_recovered(inp: RuleInput) -> Assessment | None:
    # the training loss's spikes; validation's too when no training loss can be compared with it
    # (then validation is the only view of the weights: a full-batch regression logging its train loss twice)
    own_view = _train_roughness(inp.view) is None
    tr = [(i, f) for i, f in inp.of("spike") if (f.series != VAL_LOSS or own_view) and f.metrics.get("transient")
          and f.severity != "info" and not _diverged(inp, f.series)]  # a bump that cost nothing names no cause
    if not tr:
        return None
    if any(_lr_increase_before(inp.view, f) for _, f in tr):
        return None  # the rule above covers it, with the LR numbers
    has_lr = inp.view.curve(LR) is not None
    i, f = max(tr, key=lambda p: p[1].metrics.get("z", 0))
    ev = [f"{f.summary} - the overshoot-and-recover shape"]
    ev.append("the logged learning rate shows no increase before it" if has_lr else
              "log the learning rate (`lr` column) to confirm whether it rose just before")
    return Assessment(0.35 if has_lr else 0.5, ev, [j for j, _ in tr], MEASURED if has_lr else PRIOR)


def _divergence(inp: RuleInput) -> Assessment | None:
    # a NaN evaluation the run came back from (info) blew nothing up: no learning rate to blame
    hits = [(i, f) for i, f in inp.of("divergence") if f.severity != "info"]
    if not hits:
        return None
    ev = [f.summary for _, f in hits[:2]]
    conf, basis = 0.8, SHAPE
    if all(f.series in _EVAL_MODE_SERIES for _, f in hits) and (eval_mode_gap(inp.view) or 0.0) >= T.EVAL_MODE_GAP_RATIO:
        # only the eval-mode curves blew up, the train-mode loss held: the same weights at the same LR
        # train fine - what failed is eval mode (the eval-mode rule names it)
        return Assessment(0.3, ev + ["the reported (train-mode) training loss did not blow up with it"], [i for i, _ in hits], MEASURED)
    for _, f in hits:
        up = _lr_increase_before(inp.view, f)
        if up:  # warmup/schedule raised the LR and the loss never came back: the peak LR is too high
            conf, basis = 0.9, MEASURED
            ev.append(f"the learning rate had just risen {fmt.ratio(up[1] / up[0])} to {fmt.num(up[1])} ({f.x_axis} {xfmt(up[2])}) and the loss "
                      "never recovered: that LR is beyond what the curvature allows")
            break
    if inp.context.lr is not None:
        ev.append(f"configured learning rate {inp.context.lr:g}")
    return Assessment(conf, ev, [i for i, _ in hits], basis)


def eval_mode_gap(view) -> float | None:
    """Median ratio of the true training loss (eval mode) to the reported (train-mode) loss over the
    second half of the run, when the reported loss did not itself blow up; None without both curves."""
    tt, tr = view.true_train, view.curve(TRAIN_LOSS)
    if tt is None or tr is None or len(tt) < 3 or len(tr) < 3 or not (tt.positive and tr.positive):
        return None
    idx = overlap(tr, tt)
    if len(idx) < 3:
        return None
    # the train-mode loss over each interval, as the epoch it closes was trained
    reported = interval_means(tr, tt.x[idx]) if len(tr) >= 2 * len(tt) else np.interp(tt.x[idx], tr.x, tr.y)
    if not np.all(np.isfinite(reported)) or np.any(reported <= 0):
        return None
    if end_over_lowest_level(tr.y) > T.EVAL_MODE_TRAIN_HELD:
        return None  # the train-mode loss blew up too: the weights, not the mode
    ratio = tt.y[idx] / reported
    return float(np.median(ratio[len(ratio) // 2:]))


_EVAL_MODE_SERIES = (TRUE_TRAIN_LOSS, VAL_LOSS)


def _eval_mode_blowup(inp: RuleInput) -> Assessment | None:
    """The model scores its own training data many times worse in eval mode than in train mode while
    the train-mode loss keeps its level: the weights, the LR and the data are the same in both modes,
    so what jumps is what behaves differently in eval mode - batch-norm running statistics estimated
    from tiny batches (or a layer with its own eval-mode bug)."""
    hits = [(i, f) for i, f in enumerate(inp.findings) if f.series in _EVAL_MODE_SERIES and f.severity != "info"
            and f.kind in ("divergence", "level_shift", "erratic_validation", "spike", "overfitting", "oscillation")]
    gap = eval_mode_gap(inp.view) if hits else None
    if gap is None or gap < T.EVAL_MODE_GAP_RATIO:
        return None
    ev = [f"the true training loss (training data in eval mode) is {fmt.ratio(gap)} the reported train-mode loss over the "
          "second half of the run, while the train-mode loss held its level: the same weights score the same data far "
          "worse in eval mode", hits[0][1].summary]
    conf = 0.75
    ctx = inp.context
    if ctx.batchnorm:
        conf += 0.1
        ev.append("the model uses batch norm")
    if ctx.batch_size is not None and ctx.batch_size < T.SMALL_BATCH:
        conf += 0.05
        ev.append(f"batch size {ctx.batch_size} < {T.SMALL_BATCH}: noisy batch statistics")
    return Assessment(min(conf, 0.9), ev, [i for i, _ in hits], MEASURED)


def _oscillation(inp: RuleInput) -> Assessment | None:
    i, f = inp.first("oscillation")
    if f is None or f.severity == "info":
        return None  # swings of a loss near convergence (noise model): no LR cause to name
    lr_known = inp.context.lr is not None and not _small_lr(inp.context)
    return Assessment(0.7 + (0.1 if lr_known else 0.0), [f.summary], [i], MEASURED if lr_known else SHAPE)


def _val_spikes_smooth_train(inp: RuleInput) -> Assessment | None:
    vs = inp.of("spike", VAL_LOSS)
    train_spikes = [f for _, f in inp.of("spike") if f.series != VAL_LOSS]
    if not vs:
        return None
    rough = _train_roughness(inp.view)
    overlapping = [f for _, f in vs if any(abs((t.start or 0) - (f.start or 0)) <= max(1.0, abs((f.end or 0) - (f.start or 0))) for t in train_spikes)]
    # "training stayed smooth" needs a training loss to look at (5+ points): without one nothing
    # tells the evaluation's noise from the model's own jump
    if rough is None or len(overlapping) == len(vs) or rough > T.SMOOTH_TRAIN_MAX_SIGMA:
        return None
    ctx = inp.context
    ev = [f"validation spiked {len(vs)} time(s) (largest: {max(vs, key=lambda p: p[1].metrics.get('z', 0))[1].summary}) "
          f"while the training loss stayed smooth (roughness {fmt.num(rough)} log units)" if rough is not None else
          f"validation spiked {len(vs)} time(s) with no matching spike in training"]
    conf = 0.3
    basis = PRIOR if ctx.batchnorm is None and ctx.batch_size is None else MEASURED
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
    return Assessment(min(conf, 0.9), ev, [i for i, _ in vs], basis)


def _shift_lr(inp: RuleInput, f) -> tuple[float, float, float] | None:
    """An LR increase just before a level shift, or anywhere between the level before it and the jump."""
    return _lr_increase_before(inp.view, f) or _lr_rise_between(inp.view, f.x_axis, f.metrics.get("from_x", f.start), f.start)


def _diverged(inp: RuleInput, series: str) -> bool:
    """The run blew up (any loss): its earlier jumps are the divergence's evidence, not a separate overshoot."""
    return bool(inp.of("divergence"))


def _level_shift_after_lr_increase(inp: RuleInput) -> Assessment | None:
    """A jump that stays, right after the LR rose (warm-up peak, schedule step): the new LR threw the
    weights into a worse region they did not leave."""
    hits, ev = [], []
    for i, f in inp.of("level_shift"):
        up = _shift_lr(inp, f)
        if up:
            hits.append(i)
            ev.append(f"learning rate rose {fmt.ratio(up[1] / up[0])} ({fmt.num(up[0])} to {fmt.num(up[1])}) by "
                      f"{fmt.at(f.x_axis, up[2])}, just before {f.summary}")
    if not hits:
        return None
    return Assessment(0.85, ev, hits, MEASURED)


def _level_shift_cause(cause: str):
    """Without an LR increase before it: with the LR logged and flat, the data changed; without an
    LR series, the LR overshoot stays the likelier reading but cannot be checked. Each shift is judged
    on its own: a training-loss jump that validation did not follow says the measurement changed,
    which says nothing about a validation jump elsewhere in the run (that one hurt the model)."""

    def assess(inp: RuleInput) -> Assessment | None:
        hits = [(i, f) for i, f in inp.of("level_shift") if not _shift_lr(inp, f)]
        if not hits or _diverged(inp, ""):
            return None  # a run that blew up: the jump is the divergence's, not a data change
        has_lr = inp.view.curve(LR) is not None
        unharmed = [(i, f) for i, f in hits if f.metrics.get("validation_followed") is False]
        harmed = [(i, f) for i, f in hits if f.metrics.get("validation_followed") is not False]
        if cause == "data_or_pipeline_change":
            if unharmed:
                # the evaluated model did not get worse while the training loss jumped: what is being
                # measured changed, not the weights
                ev = [unharmed[0][1].summary, "validation did not follow the jump: the reported training loss changed, not the model"]
                return Assessment(0.75, ev, [j for j, _ in unharmed], MEASURED)
            conf = 0.55 if has_lr else 0.35
            ev = [f"{harmed[0][1].summary}" + ("; the logged learning rate did not rise before it" if has_lr else "")]
            return Assessment(conf, ev, [j for j, _ in harmed], MEASURED if has_lr else PRIOR)
        if not harmed:
            # an LR overshoot damages the weights, and validation would show it
            return Assessment(0.15, [unharmed[0][1].summary], [j for j, _ in unharmed], MEASURED if has_lr else PRIOR)
        ev = [harmed[0][1].summary, "the logged learning rate did not rise before it" if has_lr else
              "log the learning rate (`lr` column) to see whether a warm-up peak or schedule step came just before"]
        return Assessment(0.3 if has_lr else 0.5, ev, [j for j, _ in harmed], MEASURED if has_lr else PRIOR)

    return assess


def _level_shift_back_to_start(inp: RuleInput) -> Assessment | None:
    """A loss that jumped back up to where training started and stayed: the model lost what it had
    learned. A step too large kicks the weights into a region they cannot leave (dead ReLUs,
    saturated units, collapsed outputs) - the learning rate is too high for this model, whether or
    not it had just risen."""
    hits, ev = [], []
    for i, f in inp.of("level_shift"):
        if not f.metrics.get("stays_to_end") or _diverged(inp, f.series) or f.metrics.get("validation_followed") is False:
            continue  # (a jump validation did not follow did not undo what the model learned)
        c = inp.view.curve(f.series)
        if c is None or len(c) < 3 or not c.positive:
            continue
        start = float(np.median(c.y[: max(1, len(c) // 10)]))
        after = float(f.metrics.get("level_after", 0.0))
        if after >= T.LEVEL_SHIFT_BACK_TO_START * start:
            hits.append(i)
            ev.append(f"{f.summary}: back to {fmt.pct(after / start)} of where it started - the model lost what it had learned")
    if not hits:
        return None
    return Assessment(0.55, ev + ["divide the learning rate by 3-10 (or clip gradients) and see whether the loss holds its level"], hits)


def validation_set_size(view) -> int | None:
    """N when every validation accuracy is a multiple of 1/N (N <= TINY_VAL_SET_MAX; accuracy in
    [0, 1] or in percent): the accuracy was counted on about N examples. None otherwise."""
    acc = view.run.get(VAL_ACC)
    if acc is None:
        return None
    a = np.asarray(acc.y, dtype=float)
    a = a[np.isfinite(a)]
    if len(a) < T.TINY_VAL_MIN_POINTS or len(np.unique(a)) < 2 or a.min() < 0:
        return None
    if a.max() > 1.0:
        if a.max() > 100.0:
            return None
        a = a / 100.0
    for n in range(2, T.TINY_VAL_SET_MAX + 1):
        k = a * n
        if np.all(np.abs(k - np.round(k)) < 1e-4 * n):  # float32 accuracies: 0.875 is exact, 0.3333 is not
            return n
    return None


def _erratic_cause(cause: str):
    """Erratic validation beside smooth training: batch-norm statistics or the evaluation itself."""

    def assess(inp: RuleInput) -> Assessment | None:
        i, f = inp.first("erratic_validation")
        if f is None:
            return None
        ctx = inp.context
        small = ctx.batch_size is not None and ctx.batch_size < T.SMALL_BATCH
        ev = [f.summary]
        basis = PRIOR if ctx.batchnorm is None and ctx.batch_size is None else MEASURED
        noisy_only = bool(f.metrics.get("noisy_only"))
        if cause == "batchnorm_instability":
            if ctx.batchnorm is False:
                return Assessment(0.1, ev + ["the context says the model has no batch norm"], [i], MEASURED)
            if noisy_only and not ctx.batchnorm:
                # a steadily noisy validation (moderate jumps, its usual bounce) is what a small
                # evaluation set gives; batch-norm statistics gone wrong make big jumps
                return None
            conf = 0.45
            if ctx.batchnorm:
                conf += 0.3
                ev.append("the model uses batch norm")
            else:
                ev.append("tell diagnose whether the model uses batch norm (`--meta batchnorm=true batch_size=N`) to settle it")
            if small:
                conf += 0.15
                ev.append(f"batch size {ctx.batch_size} < {T.SMALL_BATCH}: noisy batch statistics")
            elif ctx.batch_size is not None:
                conf -= 0.15
            return Assessment(min(conf, 0.9), ev, [i], basis)
        conf = 0.6 if ctx.batchnorm is False else (0.25 if ctx.batchnorm and small else 0.4)
        n_val = validation_set_size(inp.view)
        if n_val is not None:
            ev.append(f"validation accuracy only takes values in steps of 1/{n_val}: it was measured on about "
                      f"{n_val} examples, too few for a steady validation loss")
            return Assessment(max(conf, 0.8), ev, [i], MEASURED)
        ev.append(f"{fmt.count(f.metrics.get('val_points', 0), 'validation point')}: a small validation set or an eval-mode bug "
                  "(dropout/batch norm left in train mode) makes evaluations jump like this")
        return Assessment(conf, ev, [i], basis)

    return assess


def _rl_moving_targets(inp: RuleInput) -> Assessment | None:
    """A reinforcement-learning run (it logs an episode reward): its losses are fitted to data the
    policy itself collects, so they jump, swing and drift as the policy changes - a change in the
    data, not an unstable optimiser."""
    rewards = inp.view.rewards
    hits = [(i, f) for i, f in enumerate(inp.findings) if f.kind in ("level_shift", "spike", "oscillation", "plateau")]
    if not rewards or not hits:
        return None
    ev = [f"the log holds an episode reward ({rewards[0]}): a reinforcement-learning run, whose losses are fitted to "
          "the experience the policy collects - it changes as the policy does", hits[0][1].summary]
    return Assessment(0.8, ev, [i for i, _ in hits], MEASURED)


INSTABILITY_RULES: tuple[Rule, ...] = (
    # spikes and instability
    Rule("spike_after_lr_increase", "lr_overshoot", "Spike right after a learning-rate increase", ("spike", "lr series"),
         "0.9 when the spike recovers, 0.75 otherwise", _spike_after_lr_increase),
    Rule("spike_recovers", "lr_overshoot", "Training spike that recovers", ("spike (training, transient; validation when no training loss compares)", "lr series"),
         "0.5 without an lr series (cannot check), 0.35 when the lr is logged and did not rise", _spike_recovered),
    Rule("divergence", "lr_too_high", "Loss diverged", ("divergence", "lr series", "context.lr"),
         "0.8; 0.9 when the LR had just risen (warmup/schedule) and the loss never came back", _divergence),
    Rule("oscillation", "lr_too_high", "Loss oscillates without trend", ("oscillation", "context.lr"),
         "0.7, +0.1 when a non-small lr is known", _oscillation),
    Rule("eval_mode_blowup", "batchnorm_instability", "Eval-mode losses far above the train-mode loss on the same data",
         ("divergence / level_shift / erratic_validation / spike / overfitting on true_train_loss or val_loss", "true_train_loss", "train_loss",
          "context.batchnorm", "context.batch_size"),
         "0.75 when the true training loss is at least EVAL_MODE_GAP_RATIO times the reported loss (second half) while the "
         "reported loss held its level; +0.1 with batch norm, +0.05 with batch < SMALL_BATCH", _eval_mode_blowup),
    Rule("level_shift_after_lr_increase", "lr_overshoot", "Loss jumps and stays after a learning-rate increase",
         ("level_shift", "lr series"), "0.85", _level_shift_after_lr_increase),
    Rule("level_shift_back_to_start", "lr_too_high", "Loss jumps back to where training started and stays",
         ("level_shift", "the loss's first points"), "0.55 when the level after the shift is at least "
         "LEVEL_SHIFT_BACK_TO_START of the starting level", _level_shift_back_to_start),
    Rule("level_shift_lr_unknown", "lr_overshoot", "Loss jumps and stays (no LR increase seen)", ("level_shift", "lr series"),
         "0.5 without an lr series (cannot check), 0.3 when the lr is logged and did not rise", _level_shift_cause("lr_overshoot")),
    Rule("level_shift_flat_lr", "data_or_pipeline_change", "Loss jumps and stays while the LR is flat", ("level_shift", "lr series"),
         "0.55 when the lr is logged and did not rise, 0.35 without an lr series", _level_shift_cause("data_or_pipeline_change")),
    Rule("rl_moving_targets", "data_or_pipeline_change", "Reinforcement learning: the losses chase the policy's own data",
         ("level_shift / spike / oscillation / plateau", "an episode-reward series"),
         "0.8 when the log holds an episode reward (rollout/ep_rew_mean, episode_reward_mean, ...)", _rl_moving_targets),
    Rule("erratic_validation_bn", "batchnorm_instability", "Validation jumps repeatedly while training is smooth",
         ("erratic_validation", "context.batchnorm", "context.batch_size"),
         "0.45; +0.3 with batch norm, +0.15 with batch < SMALL_BATCH, -0.15 with large batches; 0.1 without batch norm",
         _erratic_cause("batchnorm_instability")),
    Rule("erratic_validation_eval", "eval_noise", "Validation jumps repeatedly: small or buggy evaluation",
         ("erratic_validation", "context.batchnorm"), "0.4; 0.6 without batch norm; 0.25 with batch norm and small batches",
         _erratic_cause("eval_noise")),
    Rule("val_spikes_smooth_train", "batchnorm_instability", "Validation spikes while training is smooth",
         ("spike (validation)", "training roughness", "context.batchnorm", "context.batch_size"),
         "0.3; +0.3 with batch norm, +0.25 with batch < SMALL_BATCH; 0.1 without batch norm; -0.1 with large batches",
         _val_spikes_smooth_train),
)
