"""Generic CSV/TSV: any table with a header whose columns include a loss.

Also headerless tables of numbers in a file named for its losses (``loss.txt``, ``train_loss.csv``),
comma/tab separated or - for these only - separated by spaces (``001691 1.0250916481018066``). The first
column is the x axis when it counts up in whole numbers (the epoch when by one, else the step); a first
column of whole numbers in no order (``001691``, ``000588``: image or sample ids) is an identifier, left
out, and the rows are taken in file order. One column left is the loss; several are loss terms the file
does not name (``loss_1``, ``loss_2``: the user picks their roles).

A headerless table in a file whose name does not say "loss" (``train_log.txt`` holding ``4.55,4.55`` rows,
``log.csv`` holding ``1,1.82,56.58,0.9544,0.315``) is loaded when it is plainly one - every line a row of
numbers with the first line's field count, at most ``HEADERLESS_MAX_COLUMNS`` columns - with the same
counter/id reading of its first column; its other columns are unnamed curves (``column_2``, ``column_3``: their
place in the line), the role picker offered (a lone falling curve is read as the training loss, as for a
file of bare numbers). Anything else is refused naming the first line that is not such a row.
"""

from __future__ import annotations

import csv
import io
import re

from ...run import RunContext
from ..delimited import is_number, read_header, read_header_from_head, read_table
from ..onecurve import HEADERLESS, UNNAMED, read_lone_curve_as_loss
from ..pair_rows import looks_like_pair_rows, pair_rows_as_table
from ..registry import Reader
from ..source import Source
from ..table import table_to_runs
from ._csv import read_csv_runs, runs_from_table


_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_SPACED_ROW = re.compile(rf"^[ \t]*(?:{_NUM})(?:[ ]+(?:{_NUM}))+[ \t]*$", re.IGNORECASE | re.ASCII)


def _spaced_numbers(lines: list[str]) -> bool:
    """Lines of 2+ numbers separated by spaces, the same count on every line (a headerless table)."""
    rows = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if len(rows) < 3 or not all(_SPACED_ROW.match(r) for r in rows):
        return False
    return len({len(r.split()) for r in rows}) == 1


PAIR_ROWS_SNIFF = 80  # above keras_csv, which would take 'Loss, 10.42' for a header with a 'Loss' column


def sniff(sample) -> int:
    if sample.lines and looks_like_pair_rows(sample.lines):
        return PAIR_ROWS_SNIFF  # 'Step, 0, Loss, 0.114, PSNR, 9.42,' on every line
    if sample.header is None:
        # headerless, space-separated numbers in a file named for its losses
        return 10 if "loss" in sample.source.stem.lower() and _spaced_numbers(sample.lines[:-1] or sample.lines) else 0
    if _has_list_cells(sample.lines[1:20], sample.header.delimiter):
        return LIST_CELLS_SNIFF  # whole histories as lists in cells: no flavour reader parses those
    if sample.numeric_row_share < 0.5:
        return 0  # prose with a comma is not a table
    return 10


def _as_commas(source: Source) -> Source:
    """A space-separated headerless table rewritten with commas (same lines, same line numbers)."""
    text = source.text()
    out = "\n".join(",".join(line.split()) for line in text.split("\n"))
    return Source(name=source.name, _data=out.encode(), notes=list(source.notes))


def read(source):
    pairs = pair_rows_as_table(source)
    if pairs is not None:
        return _read_pair_rows(source, *pairs)
    header = read_header_from_head(source)  # not read_header: that reads a big file into memory first
    if header is None and "loss" in source.stem.lower() and _spaced_numbers(source.text().split("\n")):
        source = _as_commas(source)
        header = read_header(source)
    if header is not None and header.columns and all(_numeric_name(c) for c in header.columns):
        return _read_headerless(source, header)
    if header is not None and _has_list_cells(_lines_after_header(source, header, 20), header.delimiter):
        return _read_list_cells(source, header)
    return read_csv_runs(source, "generic_csv")


def _lines_after_header(source: Source, header, count: int) -> list[str]:
    """The ``count`` lines after the header line, from the head when it holds them (a 50 MB table is
    not decoded and split into a million lines to look at 20 of them)."""
    lines = source.head_lines(header.header_line + 1 + count)
    if lines is None:
        lines = source.text().split("\n")
    return lines[header.header_line + 1:][:count]


def _read_pair_rows(source, table_source, first_line, notes, warnings):
    """Name/value pair rows (see :mod:`..pair_rows`) read as the table they stand for."""
    table, header, more_notes, more_warnings = read_table(table_source)
    if first_line is not None:
        table.first_row = first_line  # row numbers are the file's line numbers
    runs = runs_from_table(table, header, [*notes, *more_notes], [*warnings, *more_warnings], table_source, "generic_csv")
    for run in runs:
        run.source = source.display
    return runs


# A headerless table in a file whose name does not say "loss" (``train_log.txt``, ``log.csv``) is loaded only
# when every line is a row of numbers with the same field count, and at most this many columns: its curves
# are unnamed (``column_2``, ``column_3``, by position in the line) and wait for the role picker.
HEADERLESS_MAX_COLUMNS = 12


def _numeric_name(cell: str) -> bool:
    """A header cell that is a number - also when the header reader made a repeated one unique (``0.5.1``:
    the first line '1,0.5,0.5' of a headerless table)."""
    return is_number(cell) or ("." in cell and is_number(cell.rsplit(".", 1)[0]) and cell.rsplit(".", 1)[1].isdigit())


def _headerless_rows(data: bytes, header) -> tuple[int, str] | None:
    """(line number, line) of the first line that is not a row of ``len(header.columns)`` numbers, else None."""
    d, width = header.delimiter, len(header.columns)
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if number <= header.header_line or not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [_unquote(x) for x in (line.split(d) if d.strip() else line.split())]
        if cells and not cells[-1] and len(cells) == width + 1:  # a trailing delimiter
            cells = cells[:-1]
        if len(cells) != width or not all(is_number(c) for c in cells):
            return number, line.strip()
    return None


def _read_headerless(source, header):
    """A table whose first line holds numbers (see the module doc and ``HEADERLESS_MAX_COLUMNS``)."""
    named = "loss" in source.stem.lower()
    data = source.utf8()
    first_cells = ", ".join(header.columns[:4])
    rounds = False
    wide = _curves_as_rows(data, header)
    if wide is not None:
        return _read_row_curves(source, wide, named)
    if not named:
        refuse = None
        if len(header.columns) > HEADERLESS_MAX_COLUMNS:
            refuse = (f"{len(header.columns)} columns with no names (more than {HEADERLESS_MAX_COLUMNS}: a data "
                      "table rather than a training log)")
        else:
            odd = _headerless_rows(data, header)
            if odd is not None:
                refuse = (f"line {odd[0]} ({odd[1][:60]!r}) is not a row of {len(header.columns)} numbers like the "
                          "first, so the lines are no headerless table")
        if refuse is not None:
            raise source.error(f"the first line holds numbers ({first_cells}), not column names; {refuse}; "
                               "expected a header line such as 'epoch,loss,val_loss'", row=header.header_line + 1)
    first = _first_column(data, header)
    counter = int(first is not None)
    values = len(header.columns) - counter
    dropped = int(first == ID)
    if first == ID:  # the ids are left out: the rows in file order are the x axis
        counter, lines = 0, data.splitlines(keepends=True)
        d = header.delimiter.encode()
        data = b"".join(lines[: header.header_line]) + b"".join(
            line.split(d, 1)[1] if d in line else line for line in lines[header.header_line:])
        if values >= 2 and _repeated_counter(data, header):  # 'client, round, loss': the round is the epoch
            first, counter, values, rounds = "epoch", 1, values - 1, True
    # One column beside the counter (or the ids) is the file's loss, as in a file of bare numbers; several
    # are loss terms the file does not name (loss_1, loss_2, ...: the user picks their roles). In a file
    # whose name does not say "loss" the columns are unnamed curves, named by their place in the line.
    if named:
        losses = ["loss"] if first and values == 1 else [f"loss_{i + 1}" for i in range(values)]
    else:
        losses = [f"column_{dropped + counter + i + 1}" for i in range(values)]
    names = ",".join([first] * counter + losses)
    start = sum(len(line) for line in data.splitlines(keepends=True)[: header.header_line])
    synthetic = Source(name=source.name, _data=data[:start] + names.replace(",", header.delimiter).encode() + b"\n" + data[start:])
    if named:
        runs = read_csv_runs(synthetic, "generic_csv")
    else:
        table, head, notes, warnings = read_table(synthetic)
        table.first_row -= 1  # row numbers of the file, not of the header put in front of it
        runs = table_to_runs(table, name=source.stem, source=source.display, format="generic_csv",
                             context=head.context or RunContext(), notes=notes, warnings=warnings,
                             meta={**head.meta, UNNAMED: losses, HEADERLESS: True}, require_loss=False)
    says = ("the file name says " + ("it is a loss" if losses == ["loss"] else "they are losses") if named else
            "the file name names no role: unnamed curves, named by their place in the line")
    for run in runs:
        run.source = source.display
        run.note((f"no header line: {len(header.columns)} columns named {names} ({says}"
                  + {"epoch": ", and the first column counts 1, 2, 3, ... like an epoch)",
                     "step": ", and the first column counts up in whole numbers like a step)",
                     ID: ", and the first column holds whole numbers in no order - sample ids, left out: the rows "
                         "are taken in file order, the x axis is the row number)"}.get(first, ")")
                  if not rounds else
                  f"no header line: {len(header.columns)} columns; the first holds whole numbers in no order - ids, "
                  f"left out - and the next counts 1, 1, 1, 2, 2, ... - an epoch or round with one row per id, read "
                  f"as the epoch; named {names} ({says})"))
        if not named:
            read_lone_curve_as_loss(run)
    return runs


LIST_CELLS_SNIFF = 75  # above keras_csv (40-70 for 'loss'/'val_loss' columns), which would refuse the lists cell by cell

# Cells that hold a whole history as a Python/JSON list ('"[0.71, 0.68, 0.66]"', pandas to_csv of a column of
# lists): a table of one run per row ('Model,Loss' -> BOW, BOW_LN, ...) or a list column beside scalar columns.
# The brackets may be missing ('"0.62, 0.55, 0.53"', a list joined with ', ' into one quoted cell); then the
# numbers must be parted by a comma and a space, so a thousands separator ('"1,234"') is no list.
_LIST_CELL = re.compile(rf"^(?:\[\s*(?:(?:{_NUM})\s*(?:,\s*(?:{_NUM})\s*)*)?\]|(?:{_NUM})(?:,\s+(?:{_NUM}))+)$",
                        re.IGNORECASE | re.ASCII)


def _cells(lines: list[str], delimiter: str) -> list[list[str]]:
    return [row for row in csv.reader([ln for ln in lines if ln.strip()], delimiter=delimiter)]


def _has_list_cells(lines: list[str], delimiter: str) -> bool:
    """Some column holds a bracketed list of numbers in every data row (see ``_LIST_CELL``)."""
    rows = _cells(lines, delimiter)
    if not rows:
        return False
    width = min(len(r) for r in rows)
    return any(all(_LIST_CELL.match(r[j].strip()) for r in rows) for j in range(width))


def _list_values(cell: str) -> list[str]:
    inner = cell.strip()
    inner = inner[1:-1].strip() if inner.startswith("[") else inner
    return [v.strip() for v in inner.split(",")] if inner else []


def _read_list_cells(source: Source, header):
    """A table with list-valued columns. When every column is a list or a text label, each row is a run whose
    lists are its curves (named after their columns; the label names the run). Beside numeric columns, the
    list columns are left out with a warning and the numeric columns are read as usual."""
    lines = source.text().split("\n")[header.header_line:]
    rows = _cells(lines, header.delimiter)
    names, data = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
    width = len(names)
    data = [r + [""] * (width - len(r)) for r in data]
    listy = [j for j in range(width) if all(_LIST_CELL.match(r[j].strip()) for r in data)]
    numeric = [j for j in range(width) if j not in listy and names[j].strip()
               and all(is_number(r[j].strip()) for r in data if r[j].strip())]
    dropped = ", ".join(repr(names[j]) for j in listy)

    def table(columns: list[str], body: list[list[str]]) -> Source:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(body)
        return Source(name=source.name, _data=out.getvalue().encode())

    if numeric:
        keep = [j for j in range(width) if j not in listy]
        runs = read_csv_runs(table([names[j] for j in keep], [[r[j] for j in keep] for r in data]), "generic_csv")
        for run in runs:
            run.source = source.display
            run.warnings.append(f"column(s) {dropped} hold a list in every row (e.g. {data[0][listy[0]][:40]!r}); "
                                "left out - the other columns are read as the table")
        return runs
    labels = [j for j in range(width) if j not in listy]
    runs = []
    for number, r in enumerate(data, start=1):
        curves = [_list_values(r[j]) for j in listy]
        length = max((len(c) for c in curves), default=0)
        body = [[c[i] if i < len(c) else "" for c in curves] for i in range(length)]
        label = " ".join(r[j].strip() for j in labels if r[j].strip()) or f"row {number}"
        for run in read_csv_runs(table([names[j] for j in listy], body), "generic_csv"):
            run.name = label
            run.source = source.display
            run.note(f"row {number} ({label}): its column(s) {dropped} each hold a whole curve as a list "
                     f"({length} points); one run per row")
            runs.append(run)
    if not runs:
        raise source.error(f"column(s) {dropped} hold lists, but no row has a curve; expected lists of numbers")
    return runs


ID = "id"  # an identifier column: no x-axis or series name, dropped by the table normaliser


def _repeated_counter(data: bytes, header) -> bool:
    """The first column (after the ids were left out) counts up by one with each value repeated - ``1, 1, 1, 1,
    2, 2, ...``: a round or epoch with one row per client or worker (federated ``client, round, loss`` logs)."""
    d = header.delimiter
    firsts = []
    for line in data.decode("utf-8", errors="replace").splitlines()[header.header_line:]:
        cells = line.split(d) if d.strip() else line.split()
        if not cells or not _unquote(cells[0]):
            continue
        try:
            value = float(_unquote(cells[0]))
        except ValueError:
            return False
        if not value.is_integer():
            return False
        firsts.append(value)
    steps = [b - a for a, b in zip(firsts, firsts[1:])]
    return (len(set(firsts)) >= 3 and bool(steps) and all(s in (0, 1) for s in steps)
            and steps.count(0) >= len(set(firsts)) - 1)

# A headerless file of a few long rows is a few curves written one per line (``np.savetxt`` of a
# 2 x 2000 array, ``writer.writerow(losses)`` once per curve), not thousands of 2-point columns.
WIDE_MAX_ROWS = 5  # at most this many lines ...
WIDE_MIN_POINTS = 20  # ... each of at least this many numbers, and at least WIDE_RATIO x more numbers than lines
WIDE_RATIO = 10


def _curves_as_rows(data: bytes, header) -> list[list[str]] | None:
    """The rows of a headerless table that holds one curve per line (see ``WIDE_*``), else None."""
    d = header.delimiter
    lines = [line for line in data.decode("utf-8", errors="replace").splitlines()[header.header_line:] if line.strip()]
    rows = [[_unquote(x) for x in (line.split(d) if d.strip() else line.split())] for line in lines]
    if not rows or len(rows) > WIDE_MAX_ROWS:
        return None
    if len({len(r) for r in rows}) != 1 or len(rows[0]) < max(WIDE_MIN_POINTS, WIDE_RATIO * len(rows)):
        return None
    if not all(is_number(x) for r in rows for x in r):
        return None
    return rows


def _read_row_curves(source, rows: list[list[str]], named: bool = True):
    """Each line of a headerless wide file as one curve (``loss_1``, ``loss_2``, ...: the user picks roles;
    ``line_1``, ``line_2``, ... unnamed curves when the file name does not say "loss")."""
    names = [f"loss_{i + 1}" if named else f"line_{i + 1}" for i in range(len(rows))]
    body = "\n".join(",".join(values) for values in zip(*rows))
    synthetic = Source(name=source.name, _data=(",".join(names) + "\n" + body + "\n").encode())
    if named:
        runs = read_csv_runs(synthetic, "generic_csv")
    else:
        table, head, notes, warnings = read_table(synthetic)
        runs = table_to_runs(table, name=source.stem, source=source.display, format="generic_csv", notes=notes,
                             warnings=warnings, meta={UNNAMED: names, HEADERLESS: True}, require_loss=False)
    says = "the file name says they are losses" if named else "the file name names no role: unnamed curves"
    for run in runs:
        run.source = source.display
        run.note(f"no header line: {len(rows)} lines of {len(rows[0])} numbers each, read as one curve per line "
                 f"({', '.join(names)}; {says}, the x axis is the position in the line)")
    return runs


def _unquote(cell: str) -> str:
    """A cell without its CSV quotes (R's write.csv quotes every field: ``"1","52.58"``)."""
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] and cell[0] in "\"'":
        return cell[1:-1].strip()
    return cell


def _first_column(data: bytes, header) -> str | None:
    """What the first of several headerless columns is: 'epoch', 'step', ``ID`` or None (a value).

    An epoch counter holds whole numbers that go up by one from row to row (``1  0.425  0.188``,
    ``2  0.282  0.122``, ...), starting again at a lower number where a run was appended; a step counter
    goes up by more (``200, 400, 600``); both are the x axis, not a loss (a loss saved to 3 decimals is
    never a run of rising integers). Whole numbers in no order beside non-whole values (``001691``,
    ``000588``: image ids), or written with leading zeros, are identifiers.
    """
    if len(header.columns) < 2:
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()[header.header_line:]
    cells = [[_unquote(x) for x in (line.split(header.delimiter) if header.delimiter.strip() else line.split())]
             for line in lines]
    firsts = [c[0] for c in cells if c and c[0]]
    if _counts_epochs(data, header):
        return "epoch"
    try:
        values = [float(f) for f in firsts]
    except ValueError:
        return None
    if len(values) < 3 or not all(v.is_integer() for v in values):
        return None
    rises = [b - a for a, b in zip(values, values[1:])]
    if all(d > 0 for d in rises):
        return "step"
    rest_whole = all(float(x).is_integer() for c in cells[:50] for x in c[1:] if x.strip() and is_number(x.strip()))
    padded = sum(f.startswith("0") and len(f) > 1 for f in firsts) >= 0.5 * len(firsts)
    if (padded or sum(d < 0 for d in rises) >= 0.2 * len(rises)) and not rest_whole:
        return ID
    return None


def _counts_epochs(data: bytes, header) -> int:
    """1 when the first of several headerless columns is an epoch counter, else 0 (see :func:`_first_column`)."""
    if len(header.columns) < 2:
        return 0
    firsts = []
    for line in data.decode("utf-8", errors="replace").splitlines()[header.header_line:]:
        cells = line.split(header.delimiter) if header.delimiter.strip() else line.split()
        if not cells or not _unquote(cells[0]):
            continue
        try:
            value = float(_unquote(cells[0]))
        except ValueError:
            return 0
        if not value.is_integer():
            return 0
        firsts.append(value)
    steps = [b - a for a, b in zip(firsts, firsts[1:])]
    if len(firsts) < 3 or any(0 < d != 1 for d in steps):
        return 0
    return 1 if sum(d == 1 for d in steps) >= 0.8 * len(steps) else 0


READERS = [Reader("generic_csv", sniff, read, "any CSV/TSV/semicolon table with a header")]
