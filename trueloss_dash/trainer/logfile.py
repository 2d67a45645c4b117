"""The one writer for trainer logs: CLI, sample runs and :class:`TrueLossTracker` all call
:func:`write_log`, so every log the project writes has the same shape.

Shape: a first line ``# trueloss-dash: {"context": ..., "meta": ...}`` (see
:mod:`trueloss_dash.provenance`), then canonical columns - one row per epoch, plus, when per-step
losses were logged, Lightning-style rows holding only ``step``/``epoch``/``wall_time``/
``train_loss_step``. Non-finite values are written as ``nan``/``inf`` (CSV) or ``NaN``/``Infinity``
(JSONL, as Python's json reads them): a divergence is data, not an error.

Torch-free.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from .. import columns as C
from ..provenance import format_header
from ..run import RunContext

FORMATS = ("csv", "jsonl")

COLUMN_ORDER: tuple[str, ...] = (
    C.EPOCH, C.STEP, C.WALL_TIME,
    C.TRAIN_LOSS, C.TRUE_TRAIN_LOSS, C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX, C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX,
    C.VAL_LOSS, C.TRAIN_ACC, C.TRUE_TRAIN_ACC, C.VAL_ACC, C.LR, C.GRAD_NORM,
    C.TRAIN_LOSS_NO_PENALTY, C.PENALTY, *C.GAP_TERMS,
)


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """``fmt`` if given, else from the suffix (``.jsonl``/``.ndjson`` → jsonl, anything else → csv)."""
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            from ..errors import TruelossError

            raise TruelossError(f"log format: found {fmt!r}, expected one of {', '.join(FORMATS)}")
        return fmt
    return "jsonl" if str(path).lower().endswith((".jsonl", ".ndjson")) else "csv"


def _columns(records: Iterable[Mapping[str, Any]], step_records: Iterable[Mapping[str, Any]]) -> list[str]:
    seen: list[str] = []
    for rec in records:
        for key in rec:
            if key not in seen:
                seen.append(key)
    cols = [c for c in COLUMN_ORDER if c in seen] + [c for c in seen if c not in COLUMN_ORDER]
    if any(True for _ in step_records):
        cols.append(C.TRAIN_LOSS_STEP)
        for axis in (C.STEP, C.EPOCH, C.WALL_TIME):
            if axis not in cols:
                cols.insert(0, axis)
    return cols


def _rows(records: list[Mapping[str, Any]], step_records: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Epoch rows and per-step rows merged in step order (an epoch row after its last step)."""
    if not step_records:
        return [dict(r) for r in records]
    steps = [
        {C.STEP: s[C.STEP], C.EPOCH: s[C.EPOCH], C.WALL_TIME: s.get(C.WALL_TIME), C.TRAIN_LOSS_STEP: s[C.TRAIN_LOSS]}
        for s in step_records
    ]
    tagged = [((s[C.STEP], 0), s) for s in steps] + [((r.get(C.STEP, math.inf), 1), dict(r)) for r in records]
    tagged.sort(key=lambda t: t[0])
    return [row for _, row in tagged]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return format(value, ".10g")
    return str(value)


def render_log(
    records: list[Mapping[str, Any]],
    *,
    context: RunContext,
    meta: Mapping[str, Any] | None = None,
    step_records: list[Mapping[str, Any]] | None = None,
    fmt: str = "csv",
) -> str:
    """The text of a log (header line + rows) in ``fmt``."""
    step_records = list(step_records or [])
    header = format_header(context, dict(meta or {}))
    rows = _rows(list(records), step_records)
    if fmt == "jsonl":
        lines = [header]
        for row in rows:
            lines.append(json.dumps({k: v for k, v in row.items() if v is not None}))
        return "\n".join(lines) + "\n"
    cols = _columns(records, step_records)
    buf = io.StringIO()
    buf.write(header + "\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in cols])
    return buf.getvalue()


def write_log(
    path: str | Path,
    records: list[Mapping[str, Any]],
    *,
    context: RunContext,
    meta: Mapping[str, Any] | None = None,
    step_records: list[Mapping[str, Any]] | None = None,
    fmt: str | None = None,
) -> Path:
    """Write (atomically: temp file + rename) a CSV or JSONL log the dashboard's readers load.

    Safe to call after every epoch: a reader never sees a half-written file.
    """
    path = Path(path)
    text = render_log(records, context=context, meta=meta, step_records=step_records, fmt=format_for(path, fmt))
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_training_log(
    path: str | Path,
    records: list[Mapping[str, Any]],
    config,
    *,
    step_records: list[Mapping[str, Any]] | None = None,
    status: str | None = None,
    n_train: int | None = None,
    n_val: int | None = None,
    fmt: str | None = None,
    generator: str = "trueloss-dash trainer",
) -> Path:
    """:func:`write_log` for a trainer run: the header carries the config's RunContext and the full config."""
    meta = {"generator": generator, "name": config.name, "status": status, "config": config.to_dict()}
    return write_log(path, records, context=config.run_context(n_train=n_train, n_val=n_val), meta=meta,
                     step_records=step_records, fmt=fmt)
