"""Lines of comma-separated name/value pairs: ``Step, 0, Loss, 0.114, PSNR, 9.42, StepTime, 5.42,`` or
``Loss, 10.428420`` - a script that writes ``f"{name}, {value}, "`` for each metric, one line per step.

Read as a CSV, the first line would be taken for the header and the names in every later line would be
refused as "not a number". Here every line is one row: the names are the columns (through the aliases of
:mod:`trueloss_dash.columns`, so ``Step`` is the step axis and ``Loss`` the training loss) and the values
are the cells. Only when the file plainly is such a log: every data line (blank and ``#`` lines aside)
is pairs of a name - a word, not a number - and a number, at most ``MAX_LINE_SHAPES`` different name
sequences occur, every name recurs on at least ``MIN_NAME_LINES`` lines, and a line whose shape differs
(a crash message, a cut last line) may occur only a few times (``MAX_CUT_ROWS``), skipped with a warning.
"""

from __future__ import annotations

import csv
import io
import re

from .delimited import is_number
from .limits import MAX_CUT_ROWS, MAX_CUT_ROWS_SHARE
from .source import Source

DELIMITERS = (",", ";", "\t")
MAX_LINE_SHAPES = 3  # different name sequences (a training line, an evaluation line, ...)
MIN_NAME_LINES = 3  # a name must recur: 'resnet18, 0.91' / 'resnet34, 0.93' is a table of results, not a log
_NAME = re.compile(r"[^\W\d_]", re.UNICODE)  # holds a letter


def _pairs(line: str, delimiter: str) -> list[tuple[str, str]] | None:
    cells = [c.strip() for c in line.split(delimiter)]
    if cells and cells[-1] == "":
        cells = cells[:-1]  # 'Step, 0, Loss, 0.11,': a trailing delimiter
    if len(cells) < 2 or len(cells) % 2:
        return None
    names, values = cells[0::2], cells[1::2]
    if not all(_NAME.search(n) and not is_number(n) for n in names) or not all(is_number(v) for v in values):
        return None
    if len(set(names)) != len(names):
        return None
    return list(zip(names, values))


def _delimiter(lines: list[str]) -> str | None:
    for d in DELIMITERS:
        if lines and _pairs(lines[0], d) is not None:
            return d
    return None


def read_pairs(lines: list[str]) -> tuple[str, list[tuple[int, list[tuple[str, str]]]], list[tuple[int, str]]] | None:
    """(delimiter, [(line number, pairs)], [(line number, odd line)]) when ``lines`` are name/value pair rows
    (see the module doc), else None. Line numbers count from 1 over ``lines``."""
    data = [(i, ln.strip()) for i, ln in enumerate(lines, start=1) if ln.strip() and not ln.lstrip().startswith("#")]
    if len(data) < MIN_NAME_LINES:
        return None
    delimiter = _delimiter([ln for _, ln in data[:1]])
    if delimiter is None:
        return None
    rows, odd = [], []
    for number, line in data:
        pairs = _pairs(line, delimiter)
        if pairs is None:
            odd.append((number, line))
        else:
            rows.append((number, pairs))
    if len(odd) > min(MAX_CUT_ROWS, max(1, int(MAX_CUT_ROWS_SHARE * len(data)))) or len(rows) < MIN_NAME_LINES:
        return None
    shapes = {tuple(n for n, _ in pairs) for _, pairs in rows}
    if len(shapes) > MAX_LINE_SHAPES:
        return None
    seen: dict[str, int] = {}
    for _, pairs in rows:
        for name, _ in pairs:
            seen[name] = seen.get(name, 0) + 1
    if min(seen.values()) < MIN_NAME_LINES:
        return None
    return delimiter, rows, odd


def looks_like_pair_rows(lines: list[str]) -> bool:
    """For sniffing: the sampled lines are name/value pair rows (the last, possibly cut, line aside)."""
    return read_pairs(lines[:-1] if len(lines) > MIN_NAME_LINES else lines) is not None


def pair_rows_as_table(source: Source) -> tuple[Source, int | None, list[str], list[str]] | None:
    """The file rewritten as a CSV table with a header (one row per pair line), the file line of its first
    row when every later row is the next line (else None: row numbers then count pair lines), and its notes
    and warnings; None when the file is not name/value pair rows."""
    head = [ln for ln in source.head_text(4096).split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    if not head or _delimiter(head[:1]) is None:  # cheap: most tables open with a header of names
        return None
    found = read_pairs(source.text().split("\n"))
    if found is None:
        return None
    delimiter, rows, odd = found
    names: list[str] = []
    for _, pairs in rows:
        names += [n for n, _ in pairs if n not in names]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for _, pairs in rows:
        cells = dict(pairs)
        writer.writerow([cells.get(n, "") for n in names])
    example = f"{delimiter} ".join(f"{n}{delimiter} {v}" for n, v in rows[0][1][:3])
    notes = [f"name/value pairs on every line ('{example}{delimiter} ...'): each line read as one row of the "
             f"columns {', '.join(names[:8])}{' ...' if len(names) > 8 else ''}"]
    warnings = []
    if odd:
        listed = ", ".join(f"line {n}: {line[:40]!r}" for n, line in odd[:MAX_CUT_ROWS])
        warnings.append(f"{len(odd)} line(s) that are not name/value pairs skipped ({listed})")
    numbers = [n for n, _ in rows]
    first_line = numbers[0] if numbers == list(range(numbers[0], numbers[0] + len(numbers))) else None
    return Source(name=source.name, _data=out.getvalue().encode()), first_line, notes, warnings
