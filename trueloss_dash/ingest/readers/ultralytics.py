"""Ultralytics ``results.csv`` (YOLOv5, YOLOv8 8.0.x with padded headers, 8.1+/YOLO11/12).

Detection/segmentation/pose runs log component losses (``train/box_loss``, ``train/cls_loss``,
``train/dfl_loss`` or ``train/obj_loss`` ...; YOLOv10: ``train/box_om`` ... ``train/dfl_oo``). The components are kept as extra series and the
total ``train_loss``/``val_loss`` is their sum - the quantity the optimiser minimised (up to the
per-component gains). Classification runs log ``train/loss``/``val/loss`` directly.
"""

from __future__ import annotations

import re

import numpy as np

from ...columns import TRAIN_LOSS, VAL_LOSS, canonical_series
from ...run import RunContext
from ..registry import Reader
from ._csv import read_csv_runs

# YOLOv10 logs each loss twice, for its one-to-many and one-to-one heads (``train/box_om``,
# ``train/box_oo``, ...); it minimises their sum.
_COMPONENT = re.compile(r"^(train|val)/(\w+)_(loss|om|oo)$")
_LOSS_ENDINGS = ("loss", "_om", "_oo")


def sniff(sample) -> int:
    cols = sample.columns
    has_train = any(c.startswith("train/") and c.endswith(_LOSS_ENDINGS) for c in cols)
    has_val = any(c.startswith("val/") and c.endswith(_LOSS_ENDINGS) for c in cols)
    if not (has_train or has_val):
        return 0
    score = 60 + 10 * has_train + 10 * has_val
    if any(c.startswith(("metrics/", "lr/pg", "x/lr")) for c in cols):
        score += 10
    return score


def _set_unvalidated_rows_apart(table, notes) -> None:
    """Ultralytics writes 0 for every validation loss and metric on an epoch it did not validate
    (``val=False`` validates only after the last epoch): such a row holds no validation, so its
    validation losses and metrics are marked missing instead of read as a validation loss of 0."""
    vals = [c for c in table.columns if table.columns[c] is not None
            and (c == "val/loss" or ((m := _COMPONENT.match(c)) and m.group(1) == "val"))]
    metrics = [c for c in table.columns if table.columns[c] is not None and c.startswith("metrics/")]
    if not vals:
        return
    zero = np.all([(table.columns[c] == 0) & table.mask(c) for c in vals + metrics], axis=0)
    if not zero.any():
        return
    for c in vals + metrics:
        table.present[c] = table.mask(c) & ~zero
    rows = np.flatnonzero(zero)
    notes.append(f"{len(rows)} of {len(zero)} rows hold 0 for every validation loss and metric (epochs Ultralytics did not "
                 "validate): their validation values are read as missing, not as 0")


def _prepare(table, source, notes, warnings):
    _set_unvalidated_rows_apart(table, notes)
    for split, canon in (("train", TRAIN_LOSS), ("val", VAL_LOSS)):
        if any(canonical_series(c) == canon for c in table.columns):
            continue
        parts = [c for c in table.columns if (m := _COMPONENT.match(c)) and m.group(1) == split]
        if not parts:
            continue
        total = np.sum([table.columns[c] for c in parts], axis=0)
        present = np.all([table.mask(c) for c in parts], axis=0)
        table.add(canon, total, present)
        notes.append(f"{canon} = sum of {', '.join(parts)}")
    # Ultralytics trains with mosaic, HSV and flip augmentation unless told otherwise, so the
    # reported training loss is measured on harder inputs than validation: say so in the context
    # (a provenance header or the user's form still overrides it).
    notes.append(
        "augmentation assumed on (Ultralytics' default mosaic/HSV/flip); set augmentation=false if it was disabled"
    )
    return RunContext(augmentation=True)


def sum_components(run) -> None:
    """The same totals for a Run whose component series share their x (Ultralytics TensorBoard)."""
    from ...run import Series

    for split, canon in (("train", TRAIN_LOSS), ("val", VAL_LOSS)):
        if canon in run.series:
            continue
        parts = [s for n, s in run.series.items() if (m := _COMPONENT.match(n)) and m.group(1) == split]
        if len(parts) < 2 or any(p.step is None or not np.array_equal(p.step, parts[0].step) for p in parts):
            continue
        first = parts[0]
        run.add(Series(name=canon, y=np.sum([p.y for p in parts], axis=0), step=first.step, epoch=first.epoch,
                       wall_time=first.wall_time, source_column="+".join(p.name for p in parts)))
        run.note(f"{canon} = sum of {', '.join(p.name for p in parts)}")


def read(source):
    return read_csv_runs(source, "ultralytics_csv", _prepare)


READERS = [Reader("ultralytics_csv", sniff, read, "Ultralytics YOLO results.csv", prepare=_prepare)]
