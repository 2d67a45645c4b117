"""Keras ``CSVLogger`` files and ``pd.DataFrame(history.history).to_csv()`` dumps.

Keras names the training loss plain ``loss`` and prefixes validation metrics with ``val_``;
old versions write ``acc``/``val_acc``; trueloss' tracker adds ``base_loss`` (the true training
loss). Pandas dumps carry an unnamed index column instead of ``epoch`` (handled by the table
reader) or no epoch column at all (row index = epoch).
"""

from __future__ import annotations

from ..registry import Reader
from ._csv import read_csv_runs


def sniff(sample) -> int:
    folded = sample.folded
    if "loss" not in folded:
        return 0
    if folded & {"step", "globalstep", "iteration", "iter"} and "epoch" not in folded:
        return 0  # Keras logs epochs; a step-indexed table is somebody else's (generic CSV)
    score = 40
    if "valloss" in folded or any(c.startswith("val_") for c in sample.columns):
        score += 20
    first = sample.columns[0] if sample.columns else None
    if first in ("epoch", "") or (first or "").startswith("Unnamed"):
        score += 10
    return score


def read(source):
    return read_csv_runs(source, "keras_csv")


READERS = [Reader("keras_csv", sniff, read, "Keras CSVLogger / pandas history dump")]
