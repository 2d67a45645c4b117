"""One detector per finding kind. Each module exposes ``CHECK`` (id, title) and
``detect(view) -> Detected``: the findings plus a one-line detail of what was measured, so a clean
run can show which checks passed and with which numbers.

:data:`DETECTORS` lists them in the order they run; :func:`detect_all` runs them on a Run.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from ..model import Finding


class Check(NamedTuple):
    id: str
    title: str
    looks_for: str
    #: finding kinds that fail this check (default: the check's own id)
    finding_kinds: tuple[str, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.finding_kinds or (self.id,)


class Detected(NamedTuple):
    findings: list[Finding]
    detail: str
    applicable: bool = True


from . import (  # noqa: E402  (the modules import Check/Detected from here)
    divergence,
    erratic_validation,
    level_shift,
    gap,
    metric_disagreement,
    oscillation,
    overfitting,
    plateau,
    shuffling,
    spike,
    underfitting,
)

DETECTORS: tuple = (divergence, spike, level_shift, erratic_validation, gap, overfitting, plateau, oscillation, underfitting, shuffling, metric_disagreement)

#: What the diagnosis checks, in order (the report lists each with passed/failed and its numbers).
CHECKS: tuple[Check, ...] = tuple(m.CHECK for m in DETECTORS)


def detector_for(kind: str) -> Callable:
    for m in DETECTORS:
        if m.CHECK.id == kind:
            return m.detect
    raise KeyError(kind)
