"""The one table of canonical series names and the column aliases that map onto them.

Every ring (readers, diagnosis, trainer, UI, store, export) refers to series through the
constants below; nobody keeps a second copy of column names.

Folding: a column name is lower-cased and the characters space, ``/``, ``-``, ``_`` and ``.`` are
removed before lookup, so ``Train Loss``, ``train/loss`` and ``train_loss`` are the same key.
"""

from __future__ import annotations

import re

# --- canonical series names -------------------------------------------------------------------
TRAIN_LOSS = "train_loss"  # reported: train mode, epoch-averaged, penalty included
TRUE_TRAIN_LOSS = "true_train_loss"  # eval mode, clean inputs, no penalty (trueloss' base_loss)
VAL_LOSS = "val_loss"
LR = "lr"
TRAIN_ACC = "train_acc"
TRUE_TRAIN_ACC = "true_train_acc"
VAL_ACC = "val_acc"
GRAD_NORM = "grad_norm"

# Terms the live trainer (and TrueLossTracker) measure; readers recognise them on the way back.
TRAIN_LOSS_NO_PENALTY = "train_loss_no_penalty"
PENALTY = "penalty"
GAP_PENALTY = "gap_penalty"
GAP_AVERAGING_LAG = "gap_averaging_lag"
GAP_TRAIN_MODE = "gap_train_mode"
GAP_AUGMENTATION = "gap_augmentation"
GAP_GENERALIZATION = "gap_generalization"

# Per-batch reported loss written by the trainer/tracker beside the epoch-level ``train_loss``
# (Lightning's name for the same thing; readers keep it as an extra step-level series).
TRAIN_LOSS_STEP = "train_loss_step"

LOSS_SERIES = (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS)
CORE_SERIES = (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS, LR, TRAIN_ACC, TRUE_TRAIN_ACC, VAL_ACC, GRAD_NORM)
GAP_TERMS = (GAP_PENALTY, GAP_AVERAGING_LAG, GAP_TRAIN_MODE, GAP_AUGMENTATION, GAP_GENERALIZATION)
TRAINER_SERIES = (TRAIN_LOSS_NO_PENALTY, PENALTY) + GAP_TERMS
CANONICAL_SERIES = CORE_SERIES + TRAINER_SERIES

# Suffix for the 95% confidence bounds of a subsampled measurement, e.g. ``true_train_loss_ci_low``.
CI_LOW_SUFFIX = "_ci_low"
CI_HIGH_SUFFIX = "_ci_high"

# --- x axes ----------------------------------------------------------------------------------
STEP = "step"
EPOCH = "epoch"
WALL_TIME = "wall_time"
X_AXES = (STEP, EPOCH, WALL_TIME)

HUMAN_LABELS = {
    TRAIN_LOSS: "reported training loss",
    TRUE_TRAIN_LOSS: "true training loss",
    VAL_LOSS: "validation loss",
    LR: "learning rate",
    TRAIN_ACC: "training accuracy",
    TRUE_TRAIN_ACC: "true training accuracy",
    VAL_ACC: "validation accuracy",
    GRAD_NORM: "gradient norm",
    TRAIN_LOSS_NO_PENALTY: "reported training loss without penalty",
    PENALTY: "penalty term",
    GAP_PENALTY: "penalty",
    GAP_AVERAGING_LAG: "averaging lag",
    GAP_TRAIN_MODE: "train-mode effect (dropout/BN)",
    GAP_AUGMENTATION: "augmentation effect",
    GAP_GENERALIZATION: "generalization gap",
    STEP: "step",
    EPOCH: "epoch",
    WALL_TIME: "wall time (s)",
}

_FOLD = re.compile(r"[\s/\-_.]+")


def fold(column: str) -> str:
    """Normalise a column name for alias lookup (case, spaces, ``/ - _ .`` folded)."""
    return _FOLD.sub("", str(column).strip().lower())


# Canonical name -> aliases (written naturally; folded at import). Order does not matter.
ALIASES: dict[str, tuple[str, ...]] = {
    TRAIN_LOSS: (
        "loss", "train_loss", "training_loss", "train/loss", "Train Loss", "train_loss_epoch",
        "trn_loss", "tr_loss", "trl", "train_epoch_loss", "epoch_loss", "total_loss", "train/total_loss",
        "epoch_train_loss",  # the epoch-phase word order of 'train_epoch_loss' (pandas histories of per-epoch means)
        "reported_loss", "train_reported_loss", "loss/train", "Loss/train", "loss_train",
        "train_losses", "training_losses", "losses", "epoch_losses",  # hand-written histories: {"train_losses": [...]}
        "loss_total", "tot_loss", "train_tot_loss", "train/tot_loss",  # 'tot' = total (VALL-E, detection code)
        "损失", "训练损失", "训练集损失", "平均损失",  # Chinese: loss, training loss, training-set loss, average loss
        "main/loss",  # Chainer LogReport / ESPnet1 'result/log': the loss reported by the 'main' optimizer's model
        # the function minimised, called the objective; only with a phase word (a bare 'objective' column may be
        # an HPO table's one value per trial)
        "train_objective", "training_objective", "train/objective",
        "total training loss",  # Joey NMT: 'Epoch 3: total training loss 813.21' (the epoch's summed batch losses)
        "Mini-batch Loss",  # MATLAB trainNetwork's progress table: the training loss of each iteration's mini-batch
        "reduced_train_loss",  # NeMo (Megatron models): the training loss averaged over the data-parallel ranks
        "Loss/total_loss",  # TensorFlow Object Detection API: the sum of its loss terms ('Loss/classification_loss', ...)
        "step_loss",  # diffusers' training scripts: the loss of each optimisation step, in the progress bar's postfix
    ),
    VAL_LOSS: (
        "val_loss", "valid_loss", "validation_loss", "eval_loss", "val/loss", "val_loss_epoch",
        "validation/loss", "dev_loss", "valid/loss", "eval/loss", "tel", "val_epoch_loss", "vl",
        "epoch_val_loss",  # the epoch-phase word order of 'val_epoch_loss'
        "loss/val", "Loss/val", "loss/valid", "loss/validation", "Loss/validation",
        "val_losses", "valid_losses", "validation_losses", "eval_losses",
        "val_tot_loss", "val/tot_loss", "valid_tot_loss", "valid/tot_loss",
        "验证损失", "验证集损失",  # Chinese: validation loss, validation-set loss
        "validation/main/loss",  # Chainer LogReport / ESPnet1: the Evaluator extension's 'validation' prefix on main/loss
        "val_objective", "valid_objective", "validation_objective", "eval_objective", "val/objective",
        "heldout_loss", "holdout_loss", "held_out_loss", "hold_out_loss",  # the held-out split is the validation split
    ),
    # "train/..." is how HF's TensorBoard / W&B reporters rename every non-eval key (the HF callback's too)
    TRUE_TRAIN_LOSS: ("base_loss", "true_loss", "true_train_loss", "train_true_loss", "clean_train_loss", "train/true_train_loss"),
    LR: ("学习率", "lr", "learning_rate", "learningrate", "lr-SGD", "lr-Adam", "lr-AdamW", "lr/pg0", "x/lr0", "lr0", "train/lr"),
    TRAIN_ACC: (
        "acc", "accuracy", "train_acc", "train_accuracy", "training_accuracy", "train/acc",
        "train/accuracy", "train_acc_epoch", "categorical_accuracy", "sparse_categorical_accuracy",
        "准确率", "训练准确率",  # Chinese: accuracy, training accuracy
        "Mini-batch Accuracy",  # MATLAB trainNetwork's progress table
    ),
    TRUE_TRAIN_ACC: ("base_accuracy", "base_acc", "true_acc", "true_train_acc", "true_accuracy", "train/true_train_acc"),
    VAL_ACC: (
        "val_acc", "val_accuracy", "valid_acc", "valid_accuracy", "validation_accuracy", "eval_accuracy",
        "eval_acc", "val/acc", "val/accuracy", "val_acc_epoch", "val_categorical_accuracy",
        "val_sparse_categorical_accuracy", "metrics/accuracy_top1",
        "dev_acc", "dev_accuracy",  # a 'dev' split is the validation split (as 'dev_loss' above)
        "验证准确率",  # Chinese: validation accuracy
    ),
    GRAD_NORM: ("grad_norm", "gradient_norm", "grad-norm", "gradnorm", "train/grad_norm"),
    TRAIN_LOSS_NO_PENALTY: ("train_loss_no_penalty", "reported_loss_no_penalty", "loss_no_penalty"),
    PENALTY: ("penalty", "penalty_loss", "reg_loss", "regularization_loss", "train/penalty"),
    GAP_PENALTY: ("gap_penalty", "train/gap_penalty"),
    GAP_AVERAGING_LAG: ("gap_averaging_lag", "train/gap_averaging_lag"),
    GAP_TRAIN_MODE: ("gap_train_mode", "train/gap_train_mode"),
    GAP_AUGMENTATION: ("gap_augmentation", "train/gap_augmentation"),
    GAP_GENERALIZATION: ("gap_generalization", "train/gap_generalization"),
}

# Aliases that map onto a canonical series but deserve a note (the meaning is not exact).
FLAGGED_ALIASES: dict[str, str] = {
    fold("test_loss"): VAL_LOSS,
    fold("test/loss"): VAL_LOSS,
    fold("测试损失"): VAL_LOSS,  # Chinese: test loss
    fold("testing_loss"): VAL_LOSS,  # 'Testing Loss' beside 'Training Loss'
    fold("test_objective"): VAL_LOSS,  # 'Testing Objective' beside 'Train Objective': the objective = the loss
    fold("testing_objective"): VAL_LOSS,
}

# A validation error metric that stands in for the validation loss when the log has none under a
# loss name (regression code often logs ``train_loss`` beside ``val_mse`` / ``Valid MSE``): used
# only then, and said in a note, because it matches the training loss only for an MSE loss.
VAL_LOSS_FALLBACKS: frozenset[str] = frozenset(fold(n) for n in (
    "val_mse", "valid_mse", "validation_mse", "eval_mse", "val/mse", "val_mean_squared_error",
    "validation_mean_squared_error",
))

# Loss measures logged under their own name, not "loss" (torchmetrics / Lightning ``val_cross_entropy``,
# ``train_xent``, ``nll``, ``bce``): such a column IS the loss of its phase when the log has no column for
# that loss role - it stands in, with a note (:func:`loss_measure_role`). Matched on the folded name:
# optional phase before or after, optional Lightning ``_epoch``/``_step``/``_batch`` twin suffix.
# The measure may be spelled out in words ("Mean Squared Error", "Cross Entropy", "Log Loss", "Negative Log
# Likelihood", Keras' "categorical_crossentropy"): an error measure written out in full is the objective.
_LOSS_MEASURE = (r"(?:(?:binary|categorical|sparsecategorical)?crossent(?:ropy)?(?:loss)?|xent(?:ropy)?|celoss|ce|nll(?:loss)?"
                 r"|negativeloglikelihood|bce(?:loss)?|logloss|energy"
                 r"|neg(?:si)?s[dn]r"  # the negated (scale-invariant) SDR / SNR a speech-separation model minimises
                 r"|(?:root)?meansquared(?:logarithmic)?error|meanabsolute(?:percentage)?error)")
# The objective of an energy-based / predictive-coding model is its energy ("Train Energy", "Val Energy"),
# taken so only beside a phase word: a bare "energy" may be a predicted quantity (molecular models).
_PHASED_ONLY = {"energy"}
_TRAIN_PHASE = r"(?:train|training|trn|tr)"
_VAL_PHASE = r"(?:val|valid|validation|eval|dev)"
_TWIN_WORDS = "epoch|step|batch"
_MEASURE_SUFFIX = rf"({_TWIN_WORDS})?"


def _measure_name(measure: str) -> re.Pattern:
    """A measure's folded name with an optional phase before or after it and an optional twin suffix."""
    phase = rf"{_TRAIN_PHASE}|{_VAL_PHASE}"
    return re.compile(rf"^(?:(?P<pre>{phase})?(?P<measure>{measure})(?P<post>{phase})?)(?P<suffix>{_TWIN_WORDS})?$")


_LOSS_MEASURE_NAME = _measure_name(_LOSS_MEASURE)
# The error measures a log may name by abbreviation only, most common objective first (an 'mse' beside
# an 'mae' in a log with no 'loss' is the objective, the other its metric). Not losses by name
# (:func:`looks_like_loss`): only a training/validation pair of one of them, in a log with no loss
# column, takes the roles (:func:`measure_roles`).
_ABBREVIATED = ("mse", "rmse", "mae", "msle")
_ABBREVIATED_NAME = _measure_name("|".join(_ABBREVIATED))


def _measure_phase(m: re.Match | None) -> tuple[str, str] | None:
    """``(phase word or "", twin suffix)`` of a :func:`_measure_name` match; None for no match or a
    phase on both sides."""
    if m is None or (m.group("pre") and m.group("post")):
        return None
    return m.group("pre") or m.group("post") or "", m.group("suffix") or ""


def _phase_role(phase: str) -> str:
    """The loss role a phase word gives: validation for a validation word, else (none too) training."""
    return VAL_LOSS if re.fullmatch(_VAL_PHASE, phase) else TRAIN_LOSS
# ``validation_epoch_average`` / ``train_epoch_avg``: a phase's per-epoch average logged under no measure's
# name at all (``self.log("validation_epoch_average", avg_loss)``) - what a phase averages over an epoch
# is its loss; needs the phase word and the epoch word, so ``val_mean`` (a mean prediction?) stays out.
#: File stems that say the whole file is an evaluation log (Joey NMT's ``validations.txt``, a
#: ``val_loss.csv`` holding one ``loss`` column): its unqualified loss and accuracy are validation's.
_VALIDATION_FILE = re.compile(r"^(?:val|valid|validation|validations|eval|evaluation|evaluations)"
                              r"(?:[_\-. ]?(?:loss|losses|log|logs|metrics|results|history))?$")


def validation_file_stem(stem: str) -> bool:
    """The file's name says it holds the validation split's measurements only."""
    return bool(_VALIDATION_FILE.match(stem.strip().lower()))


def unphased(column: str | None) -> bool:
    """A source column naming a measure with no train/validation phase word (``loss``, ``acc``)."""
    key = fold(column or "")
    return bool(key) and not re.search(rf"{_TRAIN_PHASE}|{_VAL_PHASE}|test", key)


_PHASE_EPOCH_AVERAGE = re.compile(rf"^(?P<phase>{_TRAIN_PHASE}|{_VAL_PHASE})epoch(?:average|avg|mean)$")
# ``train_loss_nats_per_byte`` / ``validation_loss_per_token``: a phase's loss with the unit it is counted in
# (byte- and token-level language models) - the loss itself, in nats or bits per byte/token/character/word.
_PHASE_LOSS_PER_UNIT = re.compile(
    rf"^(?P<phase>{_TRAIN_PHASE}|{_VAL_PHASE})loss(?:in)?(?:nats?|bits?)?per(?:byte|token|tok|char|character|word)$"
)


# A minus glued to a measure's name is its negation ("-SISDR", "val/-SISDR"): read as "neg" before folding.
_NEGATED = re.compile(r"(^|[/_\s])-(?=[^\W\d])")


def loss_measure_role(column: str) -> tuple[str, str] | None:
    """``(TRAIN_LOSS | VAL_LOSS, twin suffix)`` for a column named after a loss measure (cross-entropy,
    NLL, BCE, log loss) in a phase - no phase means training -, for a phase's epoch average
    (``validation_epoch_average``) or a phase's loss per unit (``train_loss_nats_per_byte``), else None. ``val_cross_entropy`` -> (val_loss, "");
    ``train_cross_entropy_step`` -> (train_loss, "step"); ``val_ce`` -> (val_loss, "")."""
    key = fold(_NEGATED.sub(r"\1neg", str(column)))
    averaged = _PHASE_EPOCH_AVERAGE.match(key) or _PHASE_LOSS_PER_UNIT.match(key)
    if averaged is not None:
        return _phase_role(averaged.group("phase")), ""
    got = _measure_phase(_LOSS_MEASURE_NAME.match(key))
    if got is None:
        return None
    phase, suffix = got
    if not phase and any(word in key for word in _PHASED_ONLY):
        return None
    return _phase_role(phase), suffix


def test_measure_role(column: str) -> str | None:
    """The twin suffix ("" or "epoch"/"step"/"batch") of a loss measure named for the test set
    (``test/cross ent``, ``test_ce``, ``crossentropy_test``), else None. Such a column stands in for
    validation only when nothing else does, flagged as ``test_loss`` is (:func:`measure_roles`)."""
    key = fold(column)
    for rest in (key.removeprefix("test"), key.removesuffix("test")):
        if rest != key:
            got = _measure_phase(_LOSS_MEASURE_NAME.match(rest))
            if got is not None and not got[0] and rest not in _PHASED_ONLY and not rest.endswith("loss"):
                return got[1]
    return None


# ``train_mlm_loss`` / ``val/mlm_loss``: a loss of one phase named after what it measures; when it is the
# phase's only loss (one measure across the phases) and no column holds the role, it is that role.
_PHASE_LOSS_NAME = re.compile(
    rf"^(?P<phase>{_TRAIN_PHASE}|{_VAL_PHASE})[_/.\- ](?P<what>[a-z0-9]+(?:[_\-][a-z0-9]+)*)[_/.\- ]loss(?:[_/.\- ]{_MEASURE_SUFFIX})?$"
)


def phase_loss_role(column: str) -> tuple[str, str, str] | None:
    """``(TRAIN_LOSS | VAL_LOSS, what it measures, twin suffix)`` for ``train_mlm_loss``,
    ``val/recon_loss_epoch`` ...; None for other names (``train_loss`` itself has no measure)."""
    m = _PHASE_LOSS_NAME.match(str(column).strip().lower())
    if m is None:
        return None
    return _phase_role(m.group("phase")), fold(m.group("what")), m.group(3) or ""


_TWIN_ORDER = ("", "epoch", "step", "batch")


def _abbreviated_role(column: str) -> tuple[str, str, str] | None:
    """``(measure, TRAIN_LOSS | VAL_LOSS, twin suffix)`` for ``mse``, ``val_rmse``, ``train_mae_epoch``."""
    m = _ABBREVIATED_NAME.match(fold(column))
    got = _measure_phase(m)
    return None if got is None else (m.group("measure"), _phase_role(got[0]), got[1])


def _paired(roles) -> set[str]:
    """The measures among ``(measure, role, suffix)`` triples that have both a training and a validation role."""
    phases: dict[str, set[str]] = {}
    for measure, role, _ in roles:
        phases.setdefault(measure, set()).add(role)
    return {m for m, got in phases.items() if got == {TRAIN_LOSS, VAL_LOSS}}


def abbreviated_pairs(columns) -> set[str]:
    """The abbreviated error measures (``mse``) logged for both training and validation among ``columns``."""
    return _paired(r for c in columns if (r := _abbreviated_role(c)) is not None)


def measure_roles(free: list[str], taken: set[str]) -> list[tuple[str, str, str]]:
    """``(column, TRAIN_LOSS | VAL_LOSS, note)`` for the loss roles no column holds (``taken``), from
    columns ``free`` of any role: first a loss measure under its own name (:func:`loss_measure_role`,
    the epoch-level twin first), then a phase's only loss named after its measure (:func:`phase_loss_role`,
    one measure across the phases)."""
    out: list[tuple[str, str, str]] = []
    roles = set(taken)
    # measures named by abbreviation in both phases (mse and val_mse), in a log with no loss role held:
    # beside a loss named 'loss' they are metrics (Keras' 'mae'), and a lone 'val_mse' stands in for
    # validation only through the fallback beside a named training loss, with its own caveat
    abbreviated = {c: r for c in free if (r := _abbreviated_role(c)) is not None}
    paired = set() if taken & {TRAIN_LOSS, VAL_LOSS} else _paired(abbreviated.values())
    for canon in (TRAIN_LOSS, VAL_LOSS):
        measures = [(_TWIN_ORDER.index(r[1]), -1, c) for c in free if (r := loss_measure_role(c)) is not None and r[0] == canon]
        measures += [(_TWIN_ORDER.index(r[2]), _ABBREVIATED.index(r[0]), c) for c, r in abbreviated.items()
                     if r[1] == canon and r[0] in paired]
        if canon not in roles and measures:
            col = min(measures)[2]
            roles.add(canon)
            out.append((col, canon, f"no {HUMAN_LABELS[canon]} column named 'loss': '{col}' (a loss measure) is used as {canon}"))
    used = {c for c, _, _ in out}
    tests = sorted((_TWIN_ORDER.index(r), c) for c in free if c not in used and (r := test_measure_role(c)) is not None)
    if VAL_LOSS not in roles and tests:
        col = tests[0][1]
        roles.add(VAL_LOSS)
        used.add(col)
        out.append((col, VAL_LOSS, f"no validation column; '{col}' (a loss measure on the test set) is used as "
                                   f"{VAL_LOSS} (it may be a test set)"))
    phased = {c: r for c in free if c not in used and (r := phase_loss_role(c)) is not None}
    if len({r[1] for r in phased.values()}) == 1:
        for canon in (TRAIN_LOSS, VAL_LOSS):
            cols = sorted((_TWIN_ORDER.index(r[2]), c) for c, r in phased.items() if r[0] == canon)
            if canon not in roles and cols and len({phased[c][2] for _, c in cols}) == len(cols):
                col = cols[0][1]
                roles.add(canon)
                out.append((col, canon, f"{canon} taken from '{col}' (the only "
                                        f"{'validation' if canon == VAL_LOSS else 'training'} loss)"))
    if VAL_LOSS in roles and TRAIN_LOSS not in roles:
        # a text log prefixes the metrics of its validation lines with 'val/' and leaves the training lines' bare:
        # 'lm loss' beside 'val/lm loss' (Megatron-LM) is the training twin of the validation loss
        held = {c for c, canon, _ in out if canon == VAL_LOSS}
        twins = [c for c in free if f"val/{c}" in held and looks_like_loss(c)]
        if len(twins) == 1:
            roles.add(TRAIN_LOSS)
            out.append((twins[0], TRAIN_LOSS, f"{TRAIN_LOSS} taken from '{twins[0]}' (the training twin of the "
                                              f"validation loss 'val/{twins[0]}')"))
    if not roles & {TRAIN_LOSS, VAL_LOSS}:
        used = {c for c, _, _ in out}
        lossy = [c for c in free if c not in used and looks_like_loss(c)]
        if len(lossy) == 1 and _MEASURE_LOSS_NAME.match(str(lossy[0]).strip().lower()):
            out.append((lossy[0], TRAIN_LOSS, f"{TRAIN_LOSS} taken from '{lossy[0]}' (the log's only loss, no phase named)"))
        elif len(lossy) == 1 and _LONE_G_LOSS.match(str(lossy[0]).strip().lower()):
            out.append((lossy[0], TRAIN_LOSS, f"{TRAIN_LOSS} taken from '{lossy[0]}' (the log's only loss: the loss of the "
                                              "network G with no discriminator loss beside it, so no GAN player)"))
    return out


# ``G_loss`` as a run's only loss: the loss of the network its trainer calls G (KAIR's SwinIR / DPIR / USRNet
# trainers log ``G_loss`` for a restoration network trained alone; a GAN logs its discriminator's loss beside it).
_LONE_G_LOSS = re.compile(r"^(?:g|net_?g)[_ ]loss$|^loss[_ ]g$")


# ``mse_loss``, ``recon-loss``: a loss named after a measure of the whole prediction error (what a
# regression or an autoencoder minimises). A component or an unknown objective (``kl_loss``,
# ``dynamics_loss``, ``D_A``, ``batch loss``) stays role-less: which loss of the run it is is the
# user's call (issue 10: load it as it is and say so).
_MEASURE_LOSS_NAME = re.compile(
    r"^(?:mse|mae|rmse|msle|mape|l1|l2|smooth[_\-]?l1|huber|logcosh|ce|bce|nll|xent|cross[_\-]?entropy|recon|reconstruction)"
    r"[_/.\- ]loss$"
)


# Keys that name only a phase of training ("train", "Validation", the ``{"train": [...], "val": [...]}`` of a
# hand-written history, pandas' ``,Training,Validation``): the loss of that phase when the file says what
# its numbers are (see ``ingest/phasekeys.py``). 'test' stands in for validation, flagged as ``test_loss`` is.
PHASE_WORDS: dict[str, str] = {
    **{w: TRAIN_LOSS for w in ("train", "training", "trn")},
    **{w: VAL_LOSS for w in ("val", "valid", "validation", "eval", "evaluation", "dev")},
    "test": "test_loss",
}
#: Gradient-boosting libraries' metric names that are losses (XGBoost, LightGBM, CatBoost: lower is better, the
#: objective or its usual evaluation), lower case: a boosting log or CatBoost metric file names its loss by its metric.
BOOSTING_LOSS_METRICS = frozenset({
    "logloss", "mlogloss", "binary_logloss", "multi_logloss", "cross_entropy", "xentropy", "multiclass",
    "multilogloss", "rmse", "mse", "l2", "l2_root", "l1", "mae", "rmsle", "huber", "fair", "poisson",
    "poisson-nloglik", "gamma", "gamma-nloglik", "gamma-deviance", "tweedie", "tweedie-nloglik", "mphe",
    "quantile", "mape", "cox-nloglik", "aft-nloglik", "crossentropy", "multiclassonevsall",
})
# Error measures used as a training objective, under their short names (the inner key of
# ``{"train": {"l2": [...]}, "valid": {"l2": [...]}}``): such a key, alone in its phase, is that phase's loss.
ERROR_MEASURES = frozenset(fold(n) for n in (
    "loss", "l1", "l2", "mse", "mae", "rmse", "msle", "huber", "smooth_l1", "ce", "bce", "nll", "xent",
    "cross_entropy", "log_loss", "mean_squared_error", "mean_absolute_error", "nll_loss", "ce_loss", "mse_loss",
))
# File stems that say the numbers are some other metric, not a loss (``accuracy.json``, ``f1_history.csv``).
_OTHER_METRIC_STEM = re.compile(r"acc|f1|iou|dice|score|auc|precision|recall|bleu|map|psnr|ssim|reward|lr|perplex|ppl")


def phase_word(column: str) -> str | None:
    """``train_loss`` / ``val_loss`` / ``test_loss`` for a column named only by a phase, else None."""
    return PHASE_WORDS.get(fold(column))


def is_error_measure(key: str) -> bool:
    """A key naming the loss itself or an error measure used as one (``loss``, ``l2``, ``mse``, ``nll``)."""
    return fold(key) in ERROR_MEASURES


def stem_says_loss(stem: str) -> bool:
    """The file name says its numbers are losses (``training_losses``, ``loss_history``, ``损失``)."""
    key = fold(stem)
    return "loss" in key or "损失" in key


def stem_names_other_metric(stem: str) -> bool:
    """The file name names a metric other than the loss (``accuracy``, ``val_f1``): its phase-named
    columns are that metric."""
    key = fold(stem)
    return not stem_says_loss(stem) and bool(_OTHER_METRIC_STEM.search(key))


X_ALIASES: dict[str, tuple[str, ...]] = {
    STEP: ("step", "steps", "global_step", "globalstep", "iteration", "iter", "iters", "it", "num_updates", "_step", "s", "batch", "trainer/global_step", "train/global_step",
           "步骤", "步数", "迭代次数"),  # Chinese: step, number of steps, iteration count
    EPOCH: ("epoch", "epochs", "ep", "trainer/epoch", "train/epoch", "epoca",
            "轮次", "轮数", "周期", "训练轮次"),  # Chinese: epoch (round), number of epochs, epoch (period), training round  # Spanish "Epoca 3/150 - Loss: .."
    WALL_TIME: ("wall_time", "walltime", "time", "timestamp", "_timestamp", "created_at", "elapsed", "_runtime", "runtime", "relative_time"),
}


def _build_lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for canonical, aliases in table.items():
        for alias in aliases + (canonical,):
            key = fold(alias)
            if key in lookup and lookup[key] != canonical:
                raise RuntimeError(f"alias {alias!r} maps to both {lookup[key]} and {canonical}")
            lookup[key] = canonical
    return lookup


_SERIES_LOOKUP = _build_lookup(ALIASES)
_X_LOOKUP = _build_lookup(X_ALIASES)
_LR_OPTIMIZER = re.compile(r"^lr[a-z]+\d*$")  # Lightning's LearningRateMonitor: lr-SGD, lr-Adam/pg1 ...


# Qualifiers that do not change which curve a column is ("Average Train Loss", "mean_val_loss").
_QUALIFIER = re.compile(r"^(?:average|avg|mean)")
# ... also after the name ("loss_avg", "val loss_avg": PaddleVideo's epoch averages; "loss_total_avg": the overall
# loss beside its averaged component terms 'loss_source_avg', 'loss_distill_avg', ...)
_TRAILING_QUALIFIER = re.compile(r"(?:(?<=loss)|(?<=total))(?:average|avg|mean)$")
# ... or between the phase and the loss ("Test set: Average loss" in PyTorch's MNIST example reads as
# 'test/Average loss'; "train_avg_loss", "val_mean_loss")
_PHASE_QUALIFIER = re.compile(r"^(train|training|trn|val|valid|validation|eval|evaluation|dev|test|testing)(?:average|avg|mean)(?=loss)")


def _resolve(column: str) -> tuple[str | None, bool]:
    """(canonical series, whether the mapping is approximate) of a column, its qualifiers set aside."""
    key = fold(column)
    for candidate in (key, _QUALIFIER.sub("", key), _TRAILING_QUALIFIER.sub("", key), _PHASE_QUALIFIER.sub(r"\1", key)):
        if candidate in _SERIES_LOOKUP:
            return _SERIES_LOOKUP[candidate], False
        if candidate in FLAGGED_ALIASES:
            return FLAGGED_ALIASES[candidate], True
    return None, False


def canonical_series(column: str) -> str | None:
    """Canonical series name for a column, or None when it is an extra series."""
    return _resolve(column)[0]


def is_averaged_name(column: str) -> bool:
    """The name says the values are an average ("Average Loss", "loss_avg", "mean_val_loss")."""
    key = fold(column)
    return key not in _SERIES_LOOKUP and bool(_QUALIFIER.match(key) or _TRAILING_QUALIFIER.search(key) or _PHASE_QUALIFIER.match(key))


def canonical_bound(column: str) -> str | None:
    """``<canonical>_ci_low``/``_ci_high`` for an interval bound written under any alias of a series
    (``train/true_train_loss_ci_low`` from HF's TensorBoard reporter), else None."""
    key = fold(column)
    for suffix in (CI_LOW_SUFFIX, CI_HIGH_SUFFIX):
        folded = fold(suffix)
        if key.endswith(folded) and len(key) > len(folded):
            canon = _SERIES_LOOKUP.get(key[: -len(folded)])
            if canon is not None:
                return canon + suffix
    return None


def is_flagged_alias(column: str) -> bool:
    """True when the mapping is approximate (e.g. ``test_loss``, or ``test_mean loss``, read as validation)."""
    return _resolve(column)[1]


def canonical_x(column: str) -> str | None:
    """Canonical x-axis name (step/epoch/wall_time) for a column, or None."""
    return _X_LOOKUP.get(fold(column))


def is_lr_column(column: str) -> bool:
    """True for learning-rate columns beyond the plain aliases (``lr-SGD``, ``x/lr1``, ``lr/pg2``)."""
    key = fold(column)
    return canonical_series(column) == LR or bool(_LR_OPTIMIZER.match(key)) or bool(re.match(r"^(x)?lr(pg)?\d+$", key))


def accepted_names(canonical: str) -> list[str]:
    """Human-readable accepted column names for an error message."""
    return list(ALIASES.get(canonical, ()))


# GAN loss names that do not say "loss" (CycleGAN / pix2pix ``loss_log.txt``: D_A, G_A, cycle_A, idt_B,
# G_GAN, G_L1, D_real, D_fake; pix2pixHD G_GAN_Feat). At most two parts after D_/G_: longer names such as
# the compiler flag ``-D_GLIBCXX_USE_CXX11_ABI=0`` in a PyTorch build banner are not losses.
_GAN_LOSS = re.compile(
    r"^(?:[dg](?:_[a-z0-9]+){0,2}|cycle_[a-z0-9]+|idt_[a-z0-9]+|(?:gen|generator|disc|discriminator)(?:_[a-z0-9]+)*"
    r"|l_[dg])$"  # 'L_D' / 'L_G': the loss of D (the critic of a WGAN) and of G, written as in the papers' formulas
)


def is_gan_loss_name(column: str) -> bool:
    """A GAN generator/discriminator loss name (``D_A``, ``G_GAN``, ``d_loss``, ``gen_loss``): a loss with no
    training/validation role of its own."""
    return bool(_GAN_LOSS.match(str(column).strip().lower()))


# Names of loss *settings*, not loss values: "CENTER_LOSS_WEIGHT: 0.0005" in a config dump, loss_scale (fp16).
_LOSS_SETTING = re.compile(r"loss_?(?:weights?|coef(?:ficient)?s?|factor|scale|type|lambda|ratio)$")


# A VAE's loss terms logged with no total and no 'loss' word (DuoVAE's 'x_recon: 5.31 y_recon2: 1.21 kl_div_z: 4.80'):
# a reconstruction term or a KL divergence is a loss; with no total among them they load role-less (the role picker).
_VAE_TERM = re.compile(r"^(?:[a-z]\d?_)?recon(?:struction)?(?:_[a-z]\d?|\d)?$|^kl(?:d|_?div(?:ergence)?)(?:_[a-z]\d?|\d)?$")


def looks_like_loss(column: str) -> bool:
    """Columns that hold a loss of some kind (used to refuse files that hold none)."""
    key = fold(column)
    if _LOSS_SETTING.search(key):
        return False
    return ("loss" in key or "损失" in key or canonical_series(column) in LOSS_SERIES or loss_measure_role(column) is not None
            or test_measure_role(column) is not None or bool(_VAE_TERM.match(str(column).strip().lower())) or bool(_GAN_LOSS.match(str(column).strip().lower())))


# Perplexity, exp of the per-token cross-entropy loss ("ppl", "Validation perplexity", "val_ppl"): a log that
# holds no loss but a perplexity gives its loss as ln(perplexity) (ingest/perplexity.py, with a note).
_PERPLEXITY = re.compile(r"^(?:(?P<phase>train|training|trn|val|valid|validation|eval|evaluation|dev|test)[_/\s.-]*)?"
                         r"(?:ppl|perplexity)$")


def perplexity_role(column: str) -> str | None:
    """The loss a perplexity column stands in for (train_loss / val_loss), or None when it is not a
    perplexity (or a test set's: never the validation curve without a word saying so)."""
    m = _PERPLEXITY.match(str(column).strip().lower())
    if m is None:
        return None
    phase = m.group("phase")
    if phase == "test":
        return None
    return VAL_LOSS if phase in ("val", "valid", "validation", "eval", "evaluation", "dev") else TRAIN_LOSS


# Reinforcement-learning progress measures (stable-baselines3 ``rollout/ep_rew_mean``, ``eval/mean_reward``,
# RLlib ``episode_reward_mean``, CleanRL ``charts/episodic_return``): a run that logs one is an RL run,
# whose losses chase targets that move as the policy improves.
_REWARD = re.compile(r"(?:^|[/_.\s-])(?:ep_?rew(?:ard)?s?(?:_mean)?|(?:mean|episode|episodic)_?(?:reward|return)s?|rewards?)(?:_mean)?$")


# Words of a reinforcement-learning log, where ``v_loss`` is the value function's loss, not validation.
_RL_WORDS = re.compile(r"policy|actor|critic|entropy|advantage|value|reward|return|(?:^|[_/])(?:pg|pi|q)(?:_|$)")
_VAL_PREFIX = ("v_", "v")


def validation_twin(train_column: str, columns) -> str | None:
    """The column holding validation's version of the training loss column ``train_column`` when the log
    marks validation with a ``v_`` prefix: ``loss`` beside ``v_loss`` (``t_loss`` beside ``v_loss``). Only
    when the prefix is a phase: the training column is ``t_``-prefixed, or at least two other metrics
    have the same ``v_`` twin (``recons``/``v_recons``, ``kl``/``v_kl``) - and nothing in the log is an RL
    term (PPO logs ``v_loss`` for the value loss beside ``pg_loss``)."""
    cols = [str(c) for c in columns]
    if any(_RL_WORDS.search(c.strip().lower()) or looks_like_reward(c) for c in cols):
        return None
    base = train_column[2:] if train_column.lower().startswith("t_") else train_column
    twin = next((c for c in cols if c != train_column and c.lower() in {p + base.lower() for p in _VAL_PREFIX}), None)
    if twin is None:
        return None
    lower = {c.lower() for c in cols}
    others = sum(1 for c in cols if c not in (train_column, twin) and "v_" + c.lower() in lower)
    return twin if train_column.lower().startswith("t_") or others >= 2 else None


def looks_like_reward(column: str) -> bool:
    """An RL progress measure: episode reward or return (not a loss, not a metric of a supervised task)."""
    return bool(_REWARD.search(str(column).strip().lower()))


# Adversarial terms of a GAN log (the discriminator's and the generator's adversarial losses: D_A, D, G_GAN,
# G_A, disc_loss, gen_adv): they trade off against each other, so their level says nothing about progress.
# Chainer's DCGAN examples log them as ``gen/loss`` and ``dis/loss`` (LogReport keys: '/' separates the
# link from the value), read here with '/' as '_' and ``dis`` as the discriminator.
_ADVERSARIAL = re.compile(r"^(?:d(?:_[a-z0-9]+){0,2}|g(?:_(?:a|b|gan|adv))?|g_gan(?:_feat)?|(?:dis|disc|discriminator)(?:_[a-z0-9]+)*"
                          r"|(?:gen|generator)_(?:adv|gan)(?:_loss)?|(?:d|g|dis|disc|gen)_?(?:loss|adv)"
                          r"|loss_?(?:d|g|dis|disc|gen)(?:_[a-z0-9]+)?"
                          r"|l_[dg])$")  # 'L_D' / 'L_G' as in the papers' formulas (a WGAN's critic and generator)


def looks_like_adversarial_loss(column: str) -> bool:
    """A GAN's discriminator or adversarial generator loss (not its reconstruction or cycle terms)."""
    return bool(_ADVERSARIAL.match(str(column).strip().lower().replace("/", "_")))
