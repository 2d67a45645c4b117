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
        # what the columns are; they load without roles (the user picks them).
        if "loss" not in source.stem.lower():
            raise source.error(f"the first line holds numbers ({', '.join(header.columns[:4])}), not column names; "
                               "expected a header line such as 'epoch,loss,val_loss'", row=header.header_line + 1)
        names = ",".join(f"loss_{i + 1}" for i in range(len(header.columns)))
        data = source.utf8()
        start = sum(len(line) for line in data.splitlines(keepends=True)[: header.header_line])
        synthetic = Source(name=source.name, _data=data[:start] + names.replace(",", header.delimiter).encode() + b"\n" + data[start:])
        runs = read_csv_runs(synthetic, "generic_csv")
        for run in runs:
            run.source = source.display
            run.note(f"no header line: {len(header.columns)} columns named {names} (the file name says they are losses)")
        return runs
    return read_csv_runs(source, "generic_csv")


READERS = [Reader("generic_csv", sniff, read, "any CSV/TSV/semicolon table with a header")]
