"""Generic CSV/TSV: any table with a header whose columns include a loss."""

from __future__ import annotations

from ..delimited import is_number, read_header
from ..registry import Reader
from ..source import Source
from ._csv import read_csv_runs


def sniff(sample) -> int:
    if sample.header is None or sample.numeric_row_share < 0.5:
        return 0  # prose with a comma is not a table
    return 10


def read(source):
    header = read_header(source)
    if header is not None and header.columns and all(is_number(c) for c in header.columns):
        # A headerless table ("0.58,0.55" on the first line): only a file named for its losses says
        # what the columns are: one beside an epoch counter is the loss, several load without roles.
        if "loss" not in source.stem.lower():
            raise source.error(f"the first line holds numbers ({', '.join(header.columns[:4])}), not column names; "
                               "expected a header line such as 'epoch,loss,val_loss'", row=header.header_line + 1)
        data = source.utf8()
        counter = _counts_epochs(data, header)
        values = len(header.columns) - counter
        # One column beside the epoch counter is the file's loss, as in a file of bare numbers; several
        # are loss terms the file does not name (loss_1, loss_2, ...: the user picks their roles).
        losses = ["loss"] if counter and values == 1 else [f"loss_{i + 1}" for i in range(values)]
        names = ",".join(["epoch"] * counter + losses)
        start = sum(len(line) for line in data.splitlines(keepends=True)[: header.header_line])
        synthetic = Source(name=source.name, _data=data[:start] + names.replace(",", header.delimiter).encode() + b"\n" + data[start:])
        runs = read_csv_runs(synthetic, "generic_csv")
        for run in runs:
            run.source = source.display
            run.note(f"no header line: {len(header.columns)} columns named {names} (the file name says "
                     + ("it is a loss" if losses == ["loss"] else "they are losses")
                     + (", and the first column counts 1, 2, 3, ... like an epoch)" if counter else ")"))
        return runs
    return read_csv_runs(source, "generic_csv")


def _counts_epochs(data: bytes, header) -> int:
    """1 when the first of several headerless columns is an epoch counter, else 0.

    A counter holds whole numbers that go up by one from row to row (``1  0.425  0.188``,
    ``2  0.282  0.122``, ...), starting again at a lower number where a run was appended; it is
    the x axis, not a loss (a loss saved to 3 decimals is never a run of consecutive integers).
    """
    if len(header.columns) < 2:
        return 0
    firsts = []
    for line in data.decode("utf-8", errors="replace").splitlines()[header.header_line:]:
        cells = line.split(header.delimiter) if header.delimiter.strip() else line.split()
        if not cells or not cells[0].strip():
            continue
        try:
            value = float(cells[0])
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
