"""YOLOv5 / YOLOv7 ``results.txt``: headerless, whitespace-separated, one line per epoch.

Column order (fixed by the trainer): epoch ``3/299``, GPU memory ``1.86G``, train box, obj, cls,
total loss, targets, image size, precision, recall, mAP@.5, mAP@.5:.95, val box, obj, cls. The
columns are named as Ultralytics' later ``results.csv`` names them, so the same component summing
applies (``val_loss`` = box + obj + cls); ``train_loss`` is the logged total.
"""

from __future__ import annotations

import re

import numpy as np

from ..registry import Reader
from ..source import Source
from ..table import Table, table_to_runs
from .ultralytics import _prepare

COLUMNS = (
    "epoch", "gpu_mem", "train/box_loss", "train/obj_loss", "train/cls_loss", "train/total_loss", "targets",
    "img_size", "metrics/precision", "metrics/recall", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95",
    "val/box_loss", "val/obj_loss", "val/cls_loss",
)
_LINE = re.compile(r"^\s*(\d+)/(\d+)\s+([\d.]+)([GMK]?)\s+((?:[-+\d.eEnaif]+\s+){12}[-+\d.eEnaif]+)\s*$")


def sniff(sample) -> int:
    if sample.binary or sample.json_kind:
        return 0
    lines = [ln for ln in sample.lines[:50] if ln.strip()]
    if not lines:
        return 0
    hits = sum(1 for ln in lines if _LINE.match(ln))
    return 85 if hits >= max(1, 0.8 * len(lines)) else 0


def read(source: Source) -> list:
    rows = []
    for number, line in enumerate(source.text().splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if m is None:
            fields = len(line.split())
            raise source.error(
                f"found {line.strip()[:60]!r} ({fields} fields); expected a YOLOv5 results.txt line of 15 "
                "whitespace-separated fields starting with 'epoch/total gpu_mem' such as "
                "'0/299 1.86G 0.098 0.093 0 0.19 24 416 0 0 0.0049 0.00095 0.091 0.055 0'", row=number)
        rest = [float(v) for v in m.group(5).split()]
        mem = float(m.group(3)) * {"G": 1.0, "M": 1e-3, "K": 1e-6, "": 1.0}[m.group(4)]
        rows.append([float(m.group(1)), mem, *rest])
    if not rows:
        raise source.error("no result lines; expected one line per epoch like '0/299 1.86G 0.098 ...'")
    values = np.asarray(rows, dtype=np.float64)
    table = Table(first_row=1, row_label="line")
    for i, name in enumerate(COLUMNS):
        table.add(name, values[:, i])
    notes, warnings = ["headerless YOLOv5 results.txt: columns named in the trainer's fixed order"], []
    context = _prepare(table, source, notes, warnings)
    return table_to_runs(table, name=source.stem, source=source.display, format="yolov5_txt", context=context,
                         notes=notes + source.notes, warnings=warnings)


READERS = [Reader("yolov5_txt", sniff, read, "YOLOv5/YOLOv7 results.txt (headerless)")]
