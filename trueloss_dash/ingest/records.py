"""JSON-ish records (one dict per log call) -> :class:`Table`.

Shared by the JSON-lines readers, HF ``trainer_state.json`` and W&B histories. Keys missing from
a record are missing cells (sparse logs are the norm), ``null`` is missing, ``NaN``/``Infinity``
are values (kept and flagged). Nested dicts of scalars are flattened with ``/``; media objects
(W&B ``{"_type": "video-file", ...}``), lists and free text are skipped and named in a note.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .table import Table

_TEXT_NUMBERS = {"nan": math.nan, "+nan": math.nan, "-nan": math.nan, "inf": math.inf, "+inf": math.inf,
                 "-inf": -math.inf, "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}


def scalar(value: Any) -> float | None:
    """A float for numbers, bools and numeric strings; None for anything else."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TEXT_NUMBERS:
            return _TEXT_NUMBERS[text]
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _flatten(record: dict, prefix: str, out: dict, skipped: set) -> None:
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if "_type" in value:  # W&B media / table / histogram object
                skipped.add(name)
            else:
                _flatten(value, name + "/", out, skipped)
        elif value is None:
            continue
        else:
            out[name] = value


def records_to_table(records: Iterable[dict], first_row: int = 1, row_label: str = "line") -> tuple[Table, list[str]]:
    """Build a table; returns it with notes about skipped keys."""
    columns: dict[str, list] = {}
    skipped: set[str] = set()
    text_keys: set[str] = set()
    n = 0
    for i, record in enumerate(records):
        flat: dict[str, Any] = {}
        _flatten(record, "", flat, skipped)
        for key, value in flat.items():
            x = scalar(value)
            if x is None:
                if isinstance(value, (list, tuple)):
                    skipped.add(key)
                else:
                    text_keys.add(key)
                continue
            col = columns.get(key)
            if col is None:
                col = columns[key] = [[], []]
            col[0].append(i)
            col[1].append(x)
        n = i + 1
    table = Table(first_row=first_row, row_label=row_label)
    for key, (rows, vals) in columns.items():
        values = np.full(n, np.nan)
        present = np.zeros(n, dtype=bool)
        idx = np.asarray(rows, dtype=np.int64)
        values[idx] = vals
        present[idx] = True
        table.add(key, values, present)
    notes = []
    if skipped:
        notes.append(f"non-scalar values skipped (media, lists): {', '.join(sorted(skipped)[:10])}")
    text_only = sorted(text_keys - set(columns))
    if text_only:
        notes.append(f"text values ignored: {', '.join(text_only[:10])}")
    return table, notes
