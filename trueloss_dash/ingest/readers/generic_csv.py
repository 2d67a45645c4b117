"""Generic CSV/TSV: any table with a header whose columns include a loss."""

from __future__ import annotations

from ..registry import Reader
from ._csv import read_csv_runs


def sniff(sample) -> int:
    return 10 if sample.header is not None else 0


def read(source):
    return read_csv_runs(source, "generic_csv")


READERS = [Reader("generic_csv", sniff, read, "any CSV/TSV/semicolon table with a header")]
