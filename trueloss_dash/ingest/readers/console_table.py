"""Console tables: rows of numbers printed under a header line, space-padded or between pipes.

Trainers that print a table rather than ``key: value`` pairs::

          Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size      (Ultralytics / YOLOv9)
          0/199      28.2G      1.286      3.106       1.43        400        640: 100%|####| 1/1 00:08
                     Class     Images  Instances          P          R      mAP50   mAP50-95: 100%|####| 1/1
                       all         97        168      0.723      0.124      0.396      0.306

    |  Epoch  |  Iteration  |  Time Elapsed  |  Mini-batch  |  Mini-batch  |  Base Learning  |   (MATLAB trainNetwork)
    |         |             |   (hh:mm:ss)   |   Accuracy   |     Loss     |      Rate       |
    |       1 |          50 |       00:00:01 |       40.00% |      22.8836 |      3.0000e-06 |

A header is a line of at least 3 names (cells apart by 2+ spaces, or between pipes; a pipe header may go on
over the next lines, each column's words joined; one-word names may be one space apart: ``epoch loss val_loss``;
two names are enough when they are an epoch/step and a loss: ``step loss``); a row is a line whose first cells, as many as the
header's, are values (numbers, ``3/199``, ``28.2G``, ``40.00%``, ``00:00:01``) and whose rest is nothing
or a progress bar. A table whose header names an epoch or step column is the *main* table: each row is a
record at that x (a row redrawn by a progress bar at the same x replaces the one before). A table without
an x column (a validation table after each epoch) adds its values to the last main record; a first cell
that is a word is a row label, and only an aggregate row (``all``, ``total``, ``mean``) is read.

Ultralytics' training table (``GPU_mem`` and ``*_loss`` columns) is named as its ``results.csv``:
``train/box_loss`` ... summed into the training loss, the validation table's columns ``metrics/*``. fastai's fit
table (``epoch train_loss valid_loss accuracy time``, ``00:12`` per epoch) is finished as its CSVLogger file.
"""

from __future__ import annotations

import re

from ...columns import EPOCH, STEP, canonical_x, fold, looks_like_loss
from ..records import records_to_table
from ..registry import Reader
from ..source import Source
from ..table import table_to_runs
from .fastai import _prepare as fastai_prepare
from .ultralytics import _prepare as ultralytics_prepare

MIN_COLUMNS = 3
MIN_ROWS = 3
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BAR = re.compile(r"\s+\d{1,3}%\|")  # a tqdm bar after the row: "640: 100%|####| 1/1 00:08"
_NAME = re.compile(r"^[^\W\d][\w./()%:-]*(?: [^\W\d(][\w./()%:-]*){0,2}$|^\([\w:./%-]+\)$")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?(?i:nan|inf)$")
# a unit glued to the number: memory, percent, seconds, minutes or hours ('1.71m' left: scikit-learn's boosting)
_UNIT = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)([GMK]i?B?|%|s|ms|m|min|h)$")
_WORD = re.compile(r"^[^\W\d][\w./()%:-]*$")
_COUNT = re.compile(r"^(\d+)/(\d+)$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")  # hh:mm:ss or mm:ss (fastai's epoch time)
_AGGREGATE = {"all", "total", "mean", "average", "avg", "overall"}
_RULE = re.compile(r"^[=\-+| ]*$")


def _value(cell: str) -> float | None:
    """A table cell as a number, or None when it is not one."""
    cell = cell.strip().rstrip(":")
    if _NUMBER.match(cell):
        return float(cell)
    if m := _UNIT.match(cell):
        return float(m.group(1))
    if m := _COUNT.match(cell):
        return float(m.group(1))
    if m := _CLOCK.match(cell):
        return 3600.0 * int(m.group(1) or 0) + 60.0 * int(m.group(2)) + int(m.group(3))
    return None


def _clean(line: str) -> str:
    return _ANSI.sub("", line).rstrip()


def _pipe_cells(line: str) -> list[str] | None:
    text = line.strip()
    if len(text) < 3 or text[0] != "|" or text[-1] != "|":
        return None
    return [c.strip() for c in text[1:-1].split("|")]


class _Table:
    def __init__(self, names: list[str], pipes: bool, dashes: bool = False) -> None:
        self.names, self.pipes, self.dashes = names, pipes, dashes
        axes = {canonical_x(n): i for i, n in reversed(list(enumerate(names))) if canonical_x(n) in (EPOCH, STEP)}
        self.x = axes.get(STEP, axes.get(EPOCH))  # the finest counter: a row per iteration when there is one


def _enough(cells: list[str]) -> bool:
    """At least 3 names, or an epoch/step column and a loss ('epoch  loss')."""
    if len(cells) >= MIN_COLUMNS:
        return True
    return len(cells) == 2 and canonical_x(cells[0]) in (EPOCH, STEP) and looks_like_loss(cells[1])


def _header(line: str) -> _Table | None:
    cells = _pipe_cells(line)
    pipes = cells is not None
    if cells is None:
        bar = _BAR.search(line)
        text = (line[: bar.start()] if bar else line).strip()
        if "\t" in text or "," in text:
            return None  # a tab- or comma-separated table is the CSV readers'
        dashed = _dash_header(text)
        if dashed is not None:
            return dashed
        cells = re.split(r"\s{2,}", text)
        if len(cells) == 1 and all(_WORD.match(w) for w in text.split()):
            cells = text.split()  # 'epoch train_loss val_loss': one word each, one space apart
    named = [c for c in cells if c] if pipes else cells
    if not _enough(named) or not all(_NAME.match(c.rstrip(":")) or c == "#" for c in named):
        return None
    # '#': the count of the rows' steps (spaCy's 'E  #  LOSS TOK2VEC  LOSS NER ... SCORE': epoch, step)
    return _Table([STEP if c == "#" else c.rstrip(":") for c in cells], pipes)


def _dash_header(text: str) -> _Table | None:
    """'Epoch - Loss - Training Accuracy - Validation Accuracy': names apart by ' - ', one of them an epoch/step
    or a loss (a logger's 'root - INFO - Training started' is no table header)."""
    cells = [c.strip() for c in text.split(" - ")]
    if (len(cells) < MIN_COLUMNS or not all(_NAME.match(c) for c in cells)
            or not any(canonical_x(c) in (EPOCH, STEP) or looks_like_loss(c) for c in cells)):
        return None
    return _Table(cells, False, dashes=True)


def _row(line: str, table: _Table) -> tuple[str | None, list[float], list[str]] | None:
    """(row label or None, values, their cells) when ``line`` is a row of ``table``."""
    n = len(table.names)
    if table.pipes:
        cells = _pipe_cells(line)
        if cells is None or len(cells) != n:
            return None
    else:
        bar = _BAR.search(line)
        text = line[: bar.start()] if bar else line
        cells = [c.strip() for c in text.split(" - ")] if table.dashes else text.split()
        if len(cells) != n:
            return None
    label = None
    if _value(cells[0]) is None and table.x is None and re.match(r"^[^\W\d][\w.-]*$", cells[0]):
        label, cells = cells[0].lower(), cells[1:]
    values = [_value(c) for c in cells]
    if any(v is None for v in values):
        return None
    return label, values, cells


def _form(cell: str) -> str:
    """A cell's shape without its digits ('3/199' -> '9/9'): the x cells of one table's rows share it."""
    return re.sub(r"\d+", "9", cell.strip().rstrip(":"))


def _scan(text: str) -> tuple[list[dict], list[_Table]]:
    """The main records (one per x, the last redraw kept) and the tables seen."""
    records: list[dict] = []
    tables: list[_Table] = []
    table: _Table | None = None
    continuing = False  # the previous line was a pipe header: the next may carry on its words
    for raw in text.replace("\r", "\n").split("\n"):
        line = _clean(raw)
        if not line.strip():
            continue
        if table is not None and table.pipes and _RULE.match(line.strip()):
            continuing = False
            continue
        more = _pipe_cells(line) if continuing else None
        if more is not None and len(more) == len(table.names) and any(more) and all(
                _NAME.match(c) for c in more if c):
            table.names = [f"{a} {b}".strip() for a, b in zip(table.names, more)]  # 'Mini-batch' / 'Loss'
            table.x = _Table(table.names, True).x
            continue
        found = _header(line)
        if found is not None:
            table, continuing = found, found.pipes
            tables.append(table)
            continue
        continuing = False
        if table is None:
            continue
        if table.x is None and records:
            # YOLOv5 prints its training header once and the validation header every epoch: a row that reads
            # as the training table's, its x cell of the same form as the last one and not behind it, is one
            main = records[-1]["_table"]
            back = _row(line, main)
            if (back is not None and _form(back[2][main.x]) == records[-1]["_form"]
                    and back[1][main.x] >= records[-1]["_x"]):
                table = main
        elif not records:
            # A capture that keeps stdout apart from stderr (W&B's output.log) puts the headers first and the
            # tqdm-drawn rows after other lines: before any record, a row of the last table with an x whose x cell
            # is a count 'n/N' (what a training table's epoch cell looks like) is a row of that table
            main = next((t for t in reversed(tables) if t.x is not None), None)
            back = _row(line, main) if main is not None and main is not table else None
            if back is not None and _COUNT.match(back[2][main.x].strip().rstrip(":")):
                table = main
        row = _row(line, table)
        if row is None:
            continue
        label, values, cells = row
        names = [n for i, n in enumerate(table.names) if not (label is not None and i == 0)]
        if label is not None and label not in _AGGREGATE:
            continue  # a per-class row of an evaluation table: only the aggregate is a point of the curve
        record = dict(zip(names, values))
        if table.x is not None:
            x = values[table.x - (label is not None)]
            last = records[-1] if records else None
            if last is not None and last.get("_table") is table and last.get("_x") == x:
                last.update(record)  # a progress bar redrew the row
            else:
                records.append({"_table": table, "_x": x, "_form": _form(cells[table.x]), **record})
        elif records:
            records[-1].update({f"_{id(table)}:{k}": v for k, v in record.items()})
    return records, tables


def sniff(sample) -> int:
    if sample.binary or sample.json_kind:
        return 0
    text = sample.text if sample.source.complete_in_head else sample.text[: sample.text.rfind("\n") + 1]
    if " " not in text and "|" not in text:
        return 0
    records, tables = _scan(text)
    main = {id(r["_table"]) for r in records}
    if len(records) < MIN_ROWS or not any(looks_like_loss(n) or _ultralytics(t.names)
                                          for t in tables if id(t) in main for n in t.names):
        return 0
    return 58  # below the console-line grammar: a table is read only where no 'key: value' loss line is


_TERM = re.compile(r"^\w+_(?:loss|om|oo)$")  # YOLOv10 logs each term for its one-to-many / one-to-one heads


def _balanced(name: str) -> str:
    """'Box(P' -> 'P', 'mAP50-95)' -> 'mAP50-95': a header cell cut inside Ultralytics' 'Box(P R mAP50 mAP50-95)'."""
    if "(" in name and ")" not in name:
        return name.split("(", 1)[1] or name
    if ")" in name and "(" not in name:
        return name.replace(")", "") or name
    return name


def _ultralytics(names: list[str]) -> bool:
    return "GPU_mem" in names and sum(1 for n in names if _TERM.match(n)) >= 2


def read(source: Source) -> list:
    records, tables = _scan(source.text())
    if not records:
        raise source.error("no table rows under a header line; expected a console table such as "
                           "'Epoch  GPU_mem  box_loss  cls_loss' over rows '0/199  28.2G  1.286  3.106'")
    by_id = {id(t): t for t in tables}
    ultra = any(_ultralytics(t.names) for t in tables)
    rows, renamed = [], {}
    for record in records:
        row = {}
        for key, value in record.items():
            if key in ("_table", "_x", "_form"):
                continue
            name = key
            if key.startswith("_") and ":" in key:  # a column of a table without x: its own names
                tid, name = key[1:].split(":", 1)
                if ultra:
                    name = f"metrics/{_balanced(name)}"
                elif name in record["_table"].names:
                    name = f"{name} ({by_id[int(tid)].names[0]})"
            elif ultra and _TERM.match(key):
                name = f"train/{key}"
            renamed[key] = name
            row[name] = value
        rows.append(row)
    table, notes = records_to_table(rows)
    main = [t for t in tables if t.x is not None]
    used = {key[1:].split(":", 1)[0] for r in records for key in r if key.startswith("_") and ":" in key}
    others = list(dict.fromkeys("  ".join(t.names) for t in tables if str(id(t)) in used))
    notes.append(f"a console table under the header '{'  '.join(main[0].names)}': {len(records):,} rows read, a row "
                 "redrawn at the same x kept once (its last drawing)"
                 + (f"; {len(others)} table(s) without an x column ('{others[0]}') add their values to the row above"
                    if others else ""))
    warnings: list[str] = []
    context = ultralytics_prepare(table, source, notes, warnings) if ultra else None
    if not ultra and {"trainloss", "validloss", "time"} <= {fold(n) for n in main[0].names}:
        fastai_prepare(table, source, notes, warnings)  # fastai's fit table in a notebook: 'time' is each epoch's mm:ss
    return table_to_runs(table, name=source.stem, source=source.display, format="console_table", context=context,
                         notes=notes + source.notes, warnings=warnings)


READERS = [Reader("console_table", sniff, read, "console tables: rows of numbers under a header line")]
