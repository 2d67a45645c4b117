"""JSON-lines logs: detectron2 ``metrics.json``, W&B ``wandb-history.jsonl``, and generic JSON.

Generic JSON also covers a JSON array of records and a dict of lists
(``json.dump(history.history)`` from Keras). Python's json accepts ``NaN``/``Infinity`` tokens.
A truncated last line (a run killed mid-write) is skipped with a warning; a file where most lines
are not JSON is refused.
"""

from __future__ import annotations

import json

from ...run import Run
from ..provenance_util import header_context
from ..records import records_to_table, scalar
from ..registry import Reader
from ..source import Source
from ..table import table_to_runs


def _is_detectron2(sample) -> bool:
    keys = sample.json_keys
    return "iteration" in keys and ("total_loss" in keys or any(k.startswith("loss_") for k in keys))


def _is_wandb(sample) -> bool:
    keys = sample.json_keys
    return bool({"_step", "_runtime", "_timestamp"} & keys)


def sniff_detectron2(sample) -> int:
    return 90 if sample.json_kind == "lines" and _is_detectron2(sample) else 0


def sniff_wandb(sample) -> int:
    return 85 if sample.json_kind in ("lines", "object") and _is_wandb(sample) else 0


def sniff_generic(sample) -> int:
    if sample.json_kind in ("lines", "array"):
        return 30
    if sample.json_kind == "object":
        return 15
    return 0


def parse_records(source: Source) -> tuple[list[dict], list[str], int]:
    """Records from JSON lines / array / dict-of-lists; returns (records, warnings, first line)."""
    text = source.text()
    warnings: list[str] = []
    stripped = text.lstrip()
    first_line = 1
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except ValueError as err:
            raise source.error(f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
        records = [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
        if not records:
            raise source.error("a JSON array without objects; expected a list of {metric: value} records")
        return records, warnings, first_line
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        lists = {k: v for k, v in whole.items() if isinstance(v, list)}
        if lists and all(all(scalar(x) is not None or x is None for x in v) for v in lists.values()):
            n = max(len(v) for v in lists.values())
            return [{k: v[i] for k, v in lists.items() if i < len(v)} for i in range(n)], warnings, first_line
        return [whole], warnings, first_line
    records, bad = [], []
    lines = text.splitlines()
    for i, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            bad.append(i)
            continue
        if isinstance(rec, dict):
            records.append(rec)
        else:
            bad.append(i)
    if bad and (len(bad) > max(2, len(records) // 10)):
        raise source.error(
            f"{len(bad)} lines are not JSON objects (first at line {bad[0]}: {lines[bad[0] - 1][:80]!r}); "
            "expected one JSON object per line",
            row=bad[0],
        )
    if bad:
        warnings.append(f"{len(bad)} unreadable lines skipped (line {', '.join(map(str, bad[:5]))}); truncated write?")
    if not records:
        raise source.error("no JSON records found; expected one JSON object per line")
    return records, warnings, first_line


def runs_from_table(table, notes: list, warnings: list, source: Source, format: str) -> list[Run]:
    """Normalise the records' table (also used by the folder watcher, which builds it in pieces)."""
    context, meta = header_context(source)
    return table_to_runs(
        table, name=source.stem, source=source.display, format=format, context=context,
        meta=meta, notes=notes + source.notes, warnings=warnings,
    )


def _reader(format: str):
    def read(source: Source) -> list[Run]:
        records, warnings, first = parse_records(source)
        table, notes = records_to_table(records, first_row=first, row_label="record")
        return runs_from_table(table, notes, warnings, source, format)

    return read


READERS = [
    Reader("detectron2_json", sniff_detectron2, _reader("detectron2_json"), "detectron2 metrics.json (JSON lines)"),
    Reader("wandb_jsonl", sniff_wandb, _reader("wandb_jsonl"), "Weights & Biases wandb-history.jsonl"),
    Reader("jsonl", sniff_generic, _reader("jsonl"), "JSON lines, a JSON array of records, or a dict of lists"),
]
