"""A run as the detectors see it: the loss curves on the report's x axis (computed once, cached),
plus the RunContext in force. Detectors take a :class:`RunView` and return findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..columns import EPOCH, GAP_TERMS, LR, STEP, TRAIN_LOSS, TRAIN_LOSS_STEP, TRUE_TRAIN_LOSS, VAL_LOSS, looks_like_loss, looks_like_reward
from ..run import Run, RunContext
from . import thresholds as T
from .signals import Curve, binned, curve


def _fewer_distinct(a: np.ndarray, k: int) -> bool:
    """True when the finite values of ``a`` take fewer than ``k`` distinct values (O(n k), no sort)."""
    rest = a[np.isfinite(a)]
    for _ in range(k):
        if rest.size == 0:
            return True
        rest = rest[rest != rest[0]]
    return False


def _diagnosis_axis(run: Run) -> str:
    """The run's preferred axis, unless that is an epoch column that does not separate the points:
    a step-logged file whose losses all sit in one or two epochs is read on its steps."""
    axis = run.preferred_axis()
    if axis != EPOCH:
        return axis
    for name in (TRAIN_LOSS, VAL_LOSS, TRUE_TRAIN_LOSS):
        s = run.get(name)
        if s is None or s.epoch is None or s.step is None or len(s) < T.MIN_CURVE_POINTS:
            continue
        if _fewer_distinct(s.epoch, T.MIN_CURVE_POINTS) and not _fewer_distinct(s.step, T.MIN_CURVE_POINTS):
            return STEP
        if name == TRAIN_LOSS and _crowded_epochs(s):
            return STEP
    return axis


def _crowded_epochs(s) -> bool:
    """A per-iteration training loss whose epoch column is the completed-epoch counter: many rows share
    each epoch value (at least EPOCH_AXIS_MAX_ROWS_PER_VALUE on average) while its steps tell every row
    apart. On the epoch axis its points would pile up at whole epochs (3000 iterations on 15 values)."""
    ep, st = s.epoch[np.isfinite(s.epoch)], s.step[np.isfinite(s.step)]
    if len(ep) < T.EPOCH_AXIS_MAX_ROWS_PER_VALUE * T.MIN_CURVE_POINTS or len(st) < len(ep):
        return False
    if np.any(ep != np.round(ep)):
        return False  # fractional epochs (HF, 'epoch 1.25') already place every row
    distinct_ep = len(np.unique(ep))
    return len(ep) >= T.EPOCH_AXIS_MAX_ROWS_PER_VALUE * distinct_ep and len(np.unique(st)) >= 0.9 * len(st)


@dataclass
class RunView:
    run: Run
    context: RunContext
    axis: str
    _cache: dict = field(default_factory=dict)

    @classmethod
    def of(cls, run: Run, context: RunContext | None = None) -> "RunView":
        ctx = run.context if context is None else run.context.merged(context)
        return cls(run=run, context=ctx, axis=_diagnosis_axis(run))

    def curve(self, name: str, axis: str | None = None) -> Curve | None:
        key = (name, axis or self.axis, False)
        if key not in self._cache:
            c = curve(self.run, name, axis or self.axis)
            if name == TRAIN_LOSS and (c is None or len(c) < T.MIN_CURVE_POINTS):
                # an epoch-level training loss with one or two rows beside a per-step one (a run
                # stopped early): the step-level twin is the training curve there is
                step = curve(self.run, TRAIN_LOSS_STEP, axis or self.axis)
                if step is not None and len(step) >= T.MIN_CURVE_POINTS:
                    c = step
            self._cache[key] = c
        return self._cache[key]

    def working(self, name: str, axis: str | None = None) -> Curve | None:
        """The curve at working resolution (long step-level series averaged into bins)."""
        key = (name, axis or self.axis, True)
        if key not in self._cache:
            c = self.curve(name, axis)
            self._cache[key] = None if c is None else binned(c)
        return self._cache[key]

    @cached_property
    def train(self) -> Curve | None:
        return self.curve(TRAIN_LOSS)

    @cached_property
    def true_train(self) -> Curve | None:
        return self.curve(TRUE_TRAIN_LOSS)

    @cached_property
    def val(self) -> Curve | None:
        return self.curve(VAL_LOSS)

    @cached_property
    def lr(self) -> Curve | None:
        return self.curve(LR)

    @cached_property
    def rewards(self) -> list[str]:
        """The run's episode-reward series (an RL run: columns.looks_like_reward), in file order."""
        return [n for n in self.run.series if looks_like_reward(n)]

    @cached_property
    def step_train(self) -> Curve | None:
        """The step-level training loss, when the file has one beside validation: ``train_loss``
        itself when it is logged per step, else the ``train_loss_step`` twin (Lightning, the trainer).
        None when training is only epoch-level."""
        va = self.val
        if va is None or len(va) < 2:
            return None
        for c in (self.train, self.curve(TRAIN_LOSS_STEP)):
            if c is not None and c.axis == va.axis and len(c) >= 3 * len(va):
                return c
        return None

    @cached_property
    def checked_losses(self) -> list[str]:
        """The losses the per-curve checks (divergence, NaN, spikes, level shifts) look at: the
        canonical ones; in a run with none of them but several other losses (a GAN's D_A/G_A, losses
        whose roles were not mapped), each of those."""
        names = [n for n in (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS) if n in self.run.series]
        if names:
            return names
        skip = (TRAIN_LOSS_STEP,) + GAP_TERMS
        return [n for n in self.run.series if n not in skip and looks_like_loss(n) and not n.endswith(("_ci_low", "_ci_high"))]

    def loss_names(self) -> list[str]:
        return [n for n in (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS) if n in self.run.series]
