"""A run as the detectors see it: the loss curves on the report's x axis (computed once, cached),
plus the RunContext in force. Detectors take a :class:`RunView` and return findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..columns import EPOCH, LR, STEP, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS
from ..run import Run, RunContext
from . import thresholds as T
from .signals import Curve, binned, curve


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
        ep = s.epoch[np.isfinite(s.epoch)]
        st = s.step[np.isfinite(s.step)]
        if len(np.unique(ep)) < T.MIN_CURVE_POINTS <= len(np.unique(st)):
            return STEP
    return axis


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
            self._cache[key] = curve(self.run, name, axis or self.axis)
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

    def loss_names(self) -> list[str]:
        return [n for n in (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS) if n in self.run.series]
