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


_EPOCH = re.compile(r"^(\d+)/(\d+)$")
_MEM = re.compile(r"^([\d.]+)([GMK]?)$")
_METRICS = ("metrics/precision", "metrics/recall", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95")
_STANDARD_TERMS = ("box", "obj", "cls")


def _variant_layout(lines: list[str]) -> tuple[int, int, bool, bool] | None:
    """(train loss terms, validation loss terms, batch column, lr column) of a results.txt from a YOLOv5
    fork, recognised by its shape, not its width: ``e/N``, GPU memory, optionally the batch counter ``i/N``
    (``yoloall``), n terms and their total (the last equal to the sum of the others, to the printed
    precision, on every line where they are finite), two integers (targets, image size a multiple of 32),
    optionally the learning rate between them (a fraction below 1), the 4 metrics (P, R, mAP@.5,
    mAP@.5:.95) and the validation terms (``yolov5-RM``: 6 + total, 18 fields; ``yoloall``: batch, 3 +
    total, lr, 17 fields). None when the lines do not have that shape."""
    rows, batch = [], None
    for line in lines:
        fields = line.split()
        if len(fields) < 11 or not _EPOCH.match(fields[0]) or not _MEM.match(fields[1]):
            return None
        has_batch = bool(_EPOCH.match(fields[2]))
        if batch is None:
            batch = has_batch
        if has_batch != batch:
            return None
        try:
            rows.append([float(v) for v in fields[3 if batch else 2:]])
        except ValueError:
            return None
    if not rows or len({len(r) for r in rows}) != 1:
        return None
    width = len(rows[0])
    values = np.asarray(rows)
    for t in range(3, width - 5):  # t = index of the targets column: terms 0..t-2, total t-1
        targets = values[:, t]
        if not np.all(targets == np.round(targets)):
            continue
        for lr in (False, True):
            size = values[:, t + 1 + lr]
            if lr and not np.all((values[:, t + 1] > 0) & (values[:, t + 1] < 1)):
                continue
            if not (np.all(size == np.round(size)) and np.all(size % 32 == 0) and np.all(size >= 32)):
                continue
            n_val = width - t - 2 - lr - len(_METRICS)
            if n_val < 1:
                continue
            terms, total = values[:, : t - 1], values[:, t - 1]
            finite = np.isfinite(terms).all(axis=1) & np.isfinite(total)
            if finite.any():
                if np.all(np.abs(terms[finite].sum(axis=1) - total[finite])
                          <= 1e-3 * np.maximum(np.abs(total[finite]), 1e-3) + 2e-5 * t):
                    return t - 1, n_val, bool(batch), lr
            elif np.all(np.isnan(total) & np.isnan(terms).any(axis=1)):
                # a run NaN from its first epoch: no finite line to check the sum on, but every total is
                # NaN exactly where a term is (what a diverged sum prints)
                return t - 1, n_val, bool(batch), lr
    return None


def _columns(n_train: int, n_val: int, lr: bool = False) -> tuple[str, ...]:
    def names(split: str, n: int) -> list[str]:  # box/obj/cls only for the standard 3 + 3
        kinds = _STANDARD_TERMS if (n_train, n_val) == (3, 3) else [f"term{i}" for i in range(1, n + 1)]
        return [f"{split}/{k}_loss" for k in kinds]

    return ("epoch", "gpu_mem", *names("train", n_train), "train/total_loss", "targets", *(("lr",) if lr else ()),
            "img_size", *_METRICS, *names("val", n_val))


def sniff(sample) -> int:
    if sample.binary or sample.json_kind:
        return 0
    lines = [ln for ln in sample.lines[:50] if ln.strip()]
    if not lines:
        return 0
    hits = sum(1 for ln in lines if _LINE.match(ln))
    if hits >= max(1, 0.8 * len(lines)):
        return 85
    return 80 if _variant_layout(lines[:-1] if len(lines) > 2 else lines) else 0


def read(source: Source) -> list:
    lines = [ln for ln in source.text().splitlines() if ln.strip()]
    layout = _variant_layout(lines) if lines and not _LINE.match(lines[0]) else None
    if layout is not None:
        return _read_variant(source, lines, layout)
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
    return _runs(source, np.asarray(rows, dtype=np.float64), COLUMNS,
                 ["headerless YOLOv5 results.txt: columns named in the trainer's fixed order"])


def _read_variant(source: Source, lines: list[str], layout: tuple[int, int, bool, bool]) -> list:
    n_train, n_val, batch, lr = layout
    rows = []
    for line in lines:
        fields = line.split()
        e, mem = _EPOCH.match(fields[0]), _MEM.match(fields[1])
        rows.append([float(e.group(1)), float(mem.group(1)) * {"G": 1.0, "M": 1e-3, "K": 1e-6, "": 1.0}[mem.group(2)],
                     *map(float, fields[3 if batch else 2:])])
    note = (f"headerless results.txt of a YOLOv5 fork with {n_train} training loss terms and their total (the total "
            f"is their sum on every line where they are finite), targets, "
            + ("the learning rate, " if lr else "") + f"image size, the 4 metrics and {n_val} validation loss terms: "
            "read by that shape" + ("; its batch counter 'i/N' (third field) is left out" if batch else "")
            + ("" if (n_train, n_val) == (3, 3) else "; the terms are numbered, their names are not in the file"))
    return _runs(source, np.asarray(rows, dtype=np.float64), _columns(n_train, n_val, lr), [note])


def _runs(source: Source, values: np.ndarray, columns: tuple[str, ...], notes: list[str]) -> list:
    table = Table(first_row=1, row_label="line")
    # YOLOv5 writes zeros for the metrics and validation losses of epochs it did not evaluate (--notest,
    # or every epoch but the last): a row whose every field after the image size is 0 has no evaluation
    evaluated = np.any(values[:, columns.index("img_size") + 1:] != 0, axis=1)
    after = columns[columns.index("img_size") + 1:]
    for i, name in enumerate(columns):
        table.add(name, values[:, i], evaluated if name in after else None)
    if not evaluated.all():
        notes.append(f"{int((~evaluated).sum())} of {len(evaluated)} lines hold zeros for every metric and "
                     "validation loss (epochs not evaluated): left out of those series")
    warnings: list[str] = []
    context = _prepare(table, source, notes, warnings)
    return table_to_runs(table, name=source.stem, source=source.display, format="yolov5_txt", context=context,
                         notes=notes + source.notes, warnings=warnings)


READERS = [Reader("yolov5_txt", sniff, read, "YOLOv5/YOLOv7 results.txt (headerless)")]
