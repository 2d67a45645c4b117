"""CatBoost's ``train_dir`` (``catboost_info/``) metric files: ``learn_error.tsv`` and ``test_error.tsv``.

    iter\tRMSE            iter\tTotalF1\tMultiClass
    0\t1.011953949        0\t0.9978\t0.6971

Why a reader of its own: the split lives in the file name (``learn`` = the training data, ``test`` =
the eval set CatBoost was given), the x axis is ``iter`` and the loss is named by CatBoost's metric
(``RMSE``, ``Logloss``, ``MultiClass`` ...), none of which the table aliases know - the files were
refused, or read as two training runs of one model. Each file's first loss-like metric is its split's
loss (``train_loss`` / ``val_loss``), other metrics are kept as ``train/<metric>`` / ``val/<metric>``;
the two files of one folder (or of one upload) merge into one run (``onecurve.merge_one_curve_files``).
"""

from __future__ import annotations

import csv
import io

import numpy as np

from ...columns import BOOSTING_LOSS_METRICS, TRAIN_LOSS, VAL_LOSS
from ..onecurve import MERGE_KEY
from ..registry import Reader
from ..source import Source
from ..table import Table, table_to_runs

#: file name -> split
FILES = {"learn_error.tsv": "train", "test_error.tsv": "val"}


def _split_of(name: str) -> str | None:
    return FILES.get(name.replace("\\", "/").rsplit("/", 1)[-1].lower())


def sniff(sample) -> int:
    if sample.binary or _split_of(sample.source.name) is None:
        return 0
    first = sample.lines[0] if sample.lines else ""
    return 95 if first.split("\t")[0].strip().lower() == "iter" and "\t" in first else 0


def read(source: Source) -> list:
    split = _split_of(source.name)
    rows = list(csv.reader(io.StringIO(source.text()), delimiter="\t"))
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise source.error("no iterations; expected CatBoost's 'iter<TAB><metric>' header and one line per iteration")
    header = [c.strip() for c in rows[0]]
    values = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise source.error(f"{len(row)} fields where the header has {len(header)} ({', '.join(header)})", row=number)
        try:
            values.append([float(c) for c in row])
        except ValueError:
            bad = next(c for c in row if not _is_number(c))
            raise source.error(f"{bad!r} is not a number; expected one number per metric", row=number) from None
    data = np.asarray(values, dtype=np.float64)
    metrics = header[1:]
    loss = next((m for m in metrics if m.lower().split(":")[0] in BOOSTING_LOSS_METRICS), None)
    role = TRAIN_LOSS if split == "train" else VAL_LOSS
    table = Table(first_row=2)
    table.add("step", data[:, 0])
    notes = [f"CatBoost {source.name.rsplit('/', 1)[-1]}: the {'training' if split == 'train' else 'eval'} set's metrics "
             "per iteration (the x axis, as steps)"]
    for i, m in enumerate(metrics, start=1):
        name = role if m == loss else f"{split}/{m}"
        table.add(name, data[:, i])
        if m == loss:
            notes.append(f"{m} read as the {'training' if split == 'train' else 'validation'} loss")
    if loss is None:
        raise source.error(f"no loss among the metrics ({', '.join(metrics)}); expected a CatBoost loss such as RMSE, "
                           "Logloss, MultiClass, MAE or CrossEntropy", column=metrics[0] if metrics else None)
    # the two files of one run lie in one folder (on disk, or inside a zipped upload)
    inner = source.name.replace("\\", "/")
    folder = str(source.path.parent) if source.path is not None else (inner.rsplit("/", 1)[0] if "/" in inner else "")
    runs = table_to_runs(table, name=source.stem, source=source.display, format="catboost_tsv", notes=notes + source.notes,
                         index_as_epoch=False)
    for run in runs:
        run.meta[MERGE_KEY] = folder
    return runs


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


READERS = [Reader("catboost_tsv", sniff, read, "CatBoost catboost_info/learn_error.tsv and test_error.tsv")]
