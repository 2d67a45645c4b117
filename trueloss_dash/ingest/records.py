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

from ..errors import LogFormatError
from .limits import MAX_COLUMNS, MAX_NESTING
from .table import Table

SPARSE_FACTOR = 8  # a key in fewer than 1/8 of the records is stored sparse

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


def _flatten(record: dict, prefix: str, out: dict, skipped: set, depth: int = 0) -> None:
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if "_type" in value or depth >= MAX_NESTING:  # W&B media object, or hostile nesting
                skipped.add(name)
            else:
                _flatten(value, name + "/", out, skipped, depth + 1)
        elif value is None:
            continue
        else:
            out[name] = value


def records_to_table(records: Iterable[dict], first_row: int = 1, row_label: str = "line") -> tuple[Table, list[str]]:
    """Build a table; returns it with notes about skipped keys.

    Memory stays linear in the number of values: a key present in most records becomes a dense
    column, a rare one (an eval metric every 500 steps, or a hostile file where every line adds a
    key) stays sparse - its row indices and values only. More than :data:`MAX_COLUMNS` distinct
    keys is refused with a sentence.
    """
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
                elif len(text_keys) < MAX_COLUMNS:
                    text_keys.add(key)
                continue
            col = columns.get(key)
            if col is None:
                if len(columns) >= MAX_COLUMNS:
                    raise LogFormatError(
                        f"more than {MAX_COLUMNS} distinct keys (key {key[:80]!r} in {row_label} {first_row + i}); "
                        "expected a training log with one key per metric"
                    )
                col = columns[key] = [[], []]
            col[0].append(i)
            col[1].append(x)
        n = i + 1
    table = Table(first_row=first_row, row_label=row_label, n=n)
    for key, (rows, vals) in columns.items():
        idx = np.asarray(rows, dtype=np.int64)
        if len(idx) * SPARSE_FACTOR < n:
            table.add_sparse(key, idx, np.asarray(vals, dtype=np.float64))
            continue
        values = np.full(n, np.nan)
        present = np.zeros(n, dtype=bool)
        values[idx] = vals
        present[idx] = True
        table.add(key, values, present)
    notes = []
    if skipped:
        notes.append(f"non-scalar values skipped (media, lists, deep nesting): {', '.join(sorted(skipped)[:10])}")
    text_only = sorted(text_keys - set(columns))
    if text_only:
        notes.append(f"text values ignored: {', '.join(text_only[:10])}")
    return table, notes
