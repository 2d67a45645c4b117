"""Plain-text console / logging output.

A line counts only when, after an optional logging prefix (timestamp, level, logger name,
Keras progress bar), it *starts* with ``key<sep>value`` pairs - patterns are anchored to the line
start, so numbers inside prose are never picked up. Understood shapes include::

    Epoch [3/50], Train Loss: 0.41, Val Loss: 0.52
    2024-05-01 10:00:00,123 - INFO - epoch=3 loss=0.41 val_loss=0.52
    step:120/1530 train_loss:3.2 train_time:31613ms
    s:0 trl:10.9
    1875/1875 [====] - 5s 2ms/step - loss: 0.29 - val_loss: 0.14     (after an "Epoch 1/10" line)

Values like ``3/50`` keep the numerator; a line holding only an x value (``Epoch 1/10``) sets it
for the following lines. Key names go through the common alias table (``trl`` -> train_loss).
"""

from __future__ import annotations

import re

from ...columns import canonical_x, looks_like_loss
from ...run import Run
from ..provenance_util import header_context
from ..records import records_to_table
from ..registry import Reader
from ..source import Source
from ..table import table_to_runs

_PREFIX = re.compile(
    r"""^(?:
        \[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s*
      | \[?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?\s*
      | \[?(?:INFO|DEBUG|WARNING|WARN|ERROR|CRITICAL|NOTICE)\]?(?::[\w.]+)*:?\s*
      | \[[\w.-]+\]\s*
      | [-|:>]+\s+
    )*""",
    re.X,
)
# Keras progress line: "1875/1875 [=====] - 5s 2ms/step - " or "1875/1875 - 5s - ".
_KERAS = re.compile(r"^(\d+)/(\d+)\s*(?:\[[=>.\s]*\])?\s*(?:-\s*(?:ETA:\s*[\d:]+s?\s*|[\d.]+[mu]?s(?:/\w+)?\s*)+)*-\s+")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_PAIR = re.compile(
    r"(?P<key>[A-Za-z_][\w./-]*(?:\ [A-Za-z_][\w./-]*){0,3}?)"
    r"(?:\s*[:=]\s*|\s+)"
    rf"[\[(]?(?P<val>{_NUMBER})(?:\s*/\s*\d+)?[\])]?"
    r"(?:ms|s|%)?"
    r"(?:\s*[,;|]\s*|\s+-\s+|\s+|$)",
    re.I,
)


def parse_line(line: str) -> tuple[dict[str, float], bool] | None:
    """Pairs at the start of a line; None when the line does not start with one.

    The flag is False for an unfinished Keras progress line (``12/1875 [=>...] - ETA``).
    """
    text = line.strip()
    pos = _PREFIX.match(text).end()
    complete = True
    m = _KERAS.match(text, pos)
    if m:
        complete = m.group(1) == m.group(2)
        pos = m.end()
    out: dict[str, float] = {}
    while pos < len(text):
        m = _PAIR.match(text, pos)
        if not m or m.end() == pos:
            break
        key = m.group("key").strip()
        try:
            out.setdefault(key, float(m.group("val")))
        except ValueError:
            break
        pos = m.end()
    return (out, complete) if out else None


def _useful(pairs: dict[str, float]) -> bool:
    return any(looks_like_loss(k) or canonical_x(k) in ("step", "epoch") for k in pairs)


def sniff(sample) -> int:
    if sample.binary or sample.json_kind:
        return 0
    lines = sample.lines[:200]
    hits = sum(1 for ln in lines if (p := parse_line(ln)) and _useful(p[0]) and len(p[0]) >= 1)
    loss_hits = sum(1 for ln in lines if (p := parse_line(ln)) and any(looks_like_loss(k) for k in p[0]))
    if loss_hits and (hits >= 0.2 * len(lines) or hits >= 3):
        return 60
    return 0


def read(source: Source) -> list[Run]:
    records = []
    carried: dict[str, float] = {}
    for line in source.text().splitlines():
        parsed = parse_line(line)
        if parsed is None:
            continue
        pairs, complete = parsed
        if not complete or not _useful(pairs) and not carried:
            continue
        x_only = all(canonical_x(k) is not None for k in pairs)
        if x_only:
            carried = pairs  # "Epoch 3/10" heading the lines that follow
            continue
        if not any(looks_like_loss(k) for k in pairs) and not _useful(pairs):
            continue
        record = dict(pairs)
        for k, v in carried.items():
            if canonical_x(k) not in {canonical_x(p) for p in pairs}:
                record.setdefault(k, v)
        records.append(record)
    if not records:
        raise source.error("no metric lines found; expected lines such as 'Epoch 3/50, loss: 0.41, val_loss: 0.52'")
    table, notes = records_to_table(records, row_label="metric line")
    context, meta = header_context(source)
    return table_to_runs(
        table, name=source.stem, source=source.display, format="text_log", context=context, meta=meta,
        notes=notes + source.notes + [f"{len(records)} metric lines parsed"],
    )


READERS = [Reader("text_log", sniff, read, "console / logging text output")]
