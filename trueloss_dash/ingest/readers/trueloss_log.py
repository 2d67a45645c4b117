"""Logs written by trueloss-dash itself (the live trainer, `trueloss-dash train`, TrueLossTracker).

They are CSV tables whose first line is the ``# trueloss-dash:`` provenance header; per-step rows
(``train_loss_step``) sit between the epoch rows like Lightning's sparse rows. Recognising them by
their header gives them an honest format name instead of whichever framework layout they resemble.
"""

from __future__ import annotations

from ...provenance import HEADER_PREFIX
from ..registry import Reader
from ._csv import read_csv_runs


def sniff(sample) -> int:
    """Certain when the provenance header says our own writer produced the file.

    A header alone is not enough: users may add one to a Keras or Lightning log to carry its
    context, and that log keeps its framework's name.
    """
    header = sample.header
    if header is None or not sample.lines or not sample.lines[0].lstrip("\ufeff").startswith(HEADER_PREFIX):
        return 0
    return 100 if str(header.meta.get("generator", "")).startswith("trueloss-dash") else 0


def read(source):
    return read_csv_runs(source, "trueloss_csv")


READERS = [Reader("trueloss_csv", sniff, read, "CSV log written by trueloss-dash (trainer, TrueLossTracker)")]
