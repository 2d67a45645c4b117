"""Records that each hold one segment of a loss curve as a list, and that segment's loss as a scalar.

A hand-written training log in sessions (or rounds, chunks)::

    {"total_iterations": 700, "sessions": [
        {"session_number": 1, "iterations": [815.7, 814.95, ..., 737.08], "final_loss": 737.08},
        {"session_number": 2, "iterations": [736.98, ..., 708.05], "final_loss": 708.05}, ...]}

Read record by record, only ``final_loss`` is a number (7 points); the curve is the lists one after another.
They are read so only when the file itself says which loss the lists hold: in every record one list of
numbers and one scalar loss (``final_loss``, ``avg_loss``) equal to that list's last value or its mean. The
curve takes the scalar's name without its summary word (``final_loss`` -> ``loss``), its x is the count of
values across the records (``step``), and the record's other scalars sit at its segment's last value.
"""

from __future__ import annotations

import math
import re

from ..columns import looks_like_loss
from .records import scalar

MIN_SEGMENT = 2  # values in each record's list
_SUMMARY_WORD = re.compile(r"(?i)(?:^|[_\s])(?:final|last|end|avg|average|mean)(?=[_\s]|$)")


def _numbers(value) -> list[float] | None:
    if not isinstance(value, list) or len(value) < MIN_SEGMENT:
        return None
    out = [scalar(v) for v in value]
    return None if any(v is None or isinstance(v, bool) for v in value) or None in out else out


def _close(a: float, b: float) -> bool:
    return a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-12))


def _summary(records: list[dict], key: str) -> tuple[str, str] | None:
    """(scalar loss key, "last" | "mean") that every record's ``key`` list ends with / averages to."""
    scalars = [k for k in records[0] if looks_like_loss(k) and scalar(records[0][k]) is not None]
    for name in scalars:
        for how in ("last", "mean"):
            ok = True
            for rec in records:
                values, s = _numbers(rec.get(key)), scalar(rec.get(name))
                if values is None or s is None:
                    ok = False
                    break
                summary = values[-1] if how == "last" else sum(values) / len(values)
                if not _close(summary, s):
                    ok = False
                    break
            if ok:
                return name, how
    return None


def segment_records(records: list[dict], where: str, warnings: list[str]) -> list[dict] | None:
    """The rows of the curve held as one list per record (see the module docstring), or None."""
    if len(records) < 2 or not all(isinstance(r, dict) for r in records):
        return None
    lists = [k for k, v in records[0].items() if _numbers(v) is not None]
    if len(lists) != 1 or not all(_numbers(r.get(lists[0])) is not None for r in records):
        return None
    key = lists[0]
    found = _summary(records, key)
    if found is None:
        return None
    name, how = found
    curve = _SUMMARY_WORD.sub("", name).strip("_ ") or "loss"
    if not looks_like_loss(curve):
        curve = f"{curve}_loss"
    rows: list[dict] = []
    for rec in records:
        values = _numbers(rec[key])
        for v in values:
            rows.append({"step": len(rows) + 1, curve: v})
        rows[-1].update({k: v for k, v in rec.items() if k not in (key, name) and scalar(v) is not None})
    warnings.append(f"each of the {len(records)} records{where} holds a list '{key}' whose {how} value is its '{name}': "
                    f"the lists are read one after another as '{curve}' ({len(rows):,} values, x = their count across "
                    "the records)")
    return rows
