"""Epoch records → canonical :class:`~trueloss_dash.run.Run` (torch-free)."""

from __future__ import annotations

import math
from typing import Any, Mapping

from .. import columns as C
from ..run import Run, Series
from .config import TrainConfig

_AXES = (C.STEP, C.EPOCH, C.WALL_TIME)


def records_to_run(
    records: list[Mapping[str, Any]],
    config: TrainConfig,
    *,
    step_records: list[Mapping[str, Any]] | None = None,
    status: str | None = None,
    n_train: int | None = None,
    n_val: int | None = None,
    name: str | None = None,
) -> Run:
    """A Run holding every measured series (canonical names) with step, epoch and wall-time axes.

    Per-step reported losses become the extra series ``train_loss_step``. The config travels in
    ``run.meta["config"]`` and, as a RunContext, in ``run.context`` so diagnosis knows the settings.
    """
    run = Run(
        name=name or config.name,
        source="trueloss-dash trainer",
        format="trueloss_trainer",
        context=config.run_context(n_train=n_train, n_val=n_val),
        meta={"config": config.to_dict(), "status": status},
    )
    keys: list[str] = []
    for rec in records:
        keys += [k for k in rec if k not in keys and k not in _AXES]
    for key in keys:
        rows = [r for r in records if key in r and r[key] is not None]
        if not rows:
            continue
        run.add(Series(
            name=key,
            y=[float(r[key]) for r in rows],
            step=[float(r[C.STEP]) for r in rows],
            epoch=[float(r[C.EPOCH]) for r in rows],
            wall_time=[float(r.get(C.WALL_TIME, math.nan)) for r in rows],
            source_column=key,
        ))
    if step_records:
        run.add(Series(
            name=C.TRAIN_LOSS_STEP,
            y=[float(s[C.TRAIN_LOSS]) for s in step_records],
            step=[float(s[C.STEP]) for s in step_records],
            epoch=[float(s[C.EPOCH]) for s in step_records],
            wall_time=[float(s.get(C.WALL_TIME, math.nan)) for s in step_records],
            source_column=C.TRAIN_LOSS_STEP,
        ))
    if status == "diverged":
        run.warn("training diverged: the last epoch is partial and holds the non-finite loss it reached")
    elif status == "cancelled":
        run.note("training was cancelled before the last epoch")
    elif status == "failed":
        run.warn("training failed; the epochs before the failure are shown")
    return run
