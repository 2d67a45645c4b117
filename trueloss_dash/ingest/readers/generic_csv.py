"""Generic CSV/TSV: any table with a header whose columns include a loss."""

from __future__ import annotations

from ..registry import Reader
from ._csv import read_csv_runs


def sniff(sample) -> int:
    if sample.header is None or sample.numeric_row_share < 0.5:
        return 0  # prose with a comma is not a table
    return 10


def read(source):
    return read_csv_runs(source, "generic_csv")


READERS = [Reader("generic_csv", sniff, read, "any CSV/TSV/semicolon table with a header")]
