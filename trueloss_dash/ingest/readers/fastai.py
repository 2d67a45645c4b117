"""fastai ``CSVLogger``: ``epoch,train_loss,valid_loss,<metrics>,time`` with time as ``mm:ss``.

The ``time`` column is the duration of each epoch, not a clock: it is kept as the extra series
``epoch_time`` (seconds) and its running sum becomes the wall-time axis.
"""

from __future__ import annotations

import numpy as np

from ...columns import fold
from ..registry import Reader
from ._csv import read_csv_runs


def sniff(sample) -> int:
    folded = sample.folded
    if "trainloss" in folded and "validloss" in folded:
        return 85
    return 0


def _prepare(table, source, notes, warnings):
    for col in list(table.columns):
        if fold(col) == "time":
            values = table.columns[col]
            table.drop(col)
            table.add("epoch_time", values)
            if np.isfinite(values).all():
                table.add("wall_time", np.cumsum(values))
                notes.append("fastai 'time' is per-epoch duration: kept as epoch_time; wall time = its running sum")
    return None


def read(source):
    return read_csv_runs(source, "fastai_csv", _prepare)


READERS = [Reader("fastai_csv", sniff, read, "fastai CSVLogger (valid_loss, mm:ss time)", prepare=_prepare)]
