"""Several training histories saved side by side in one table, told apart by a name prefix.

A script that trains two models (or two heads trained and validated apart) and saves both Keras
histories into one JSON writes ``cls_loss, cls_val_loss, cls_accuracy, ... , reg_loss, reg_val_loss,
reg_mae, ...`` - often with different lengths (19 and 30 epochs). Read as one run, ``reg_loss`` would
be taken for a regularisation penalty and ``cls_loss`` left without a role. The reading here is the
one experiment trackers apply to such a log (one run per trained model): every prefix ``<p>`` that
has both a training loss ``<p>_loss`` (or ``<p>_train_loss``, ``<p>_epoch_train_loss``) and a validation twin
``<p>_val_loss`` / ``val_<p>_loss`` (or ``<p>_epoch_val_loss``) is one history, and the table is split into one run per prefix, its columns named without the prefix
(``cls_val_loss`` -> ``val_loss``), so the usual aliases give the roles.

Only when the split is unambiguous: at least two prefixes, no column that already holds an overall
loss role (Keras multi-output histories have ``loss``/``val_loss`` beside ``out1_loss``: one model,
kept as one run), and every column except the x axes belongs to exactly one prefix (a stray column
means the prefixes are not the whole story). GAN losses (``g_loss``, ``d_loss``) have no validation
twins and are never split. Pure numpy, no I/O.
"""

from __future__ import annotations

import re

import numpy as np

from ..columns import LOSS_SERIES, canonical_series, canonical_x
from ..run import Run
from .table import Table, table_to_runs

# '<p>_loss' / '<p>_val_loss', also with the phase and epoch words spelled out: '<p>_train_loss',
# '<p>_epoch_train_loss', '<p>_epoch_val_loss' (pandas histories of two models' per-epoch means)
_PREFIXED_LOSS = re.compile(r"^(?P<p>[A-Za-z][A-Za-z0-9]*)[_/.](?:epoch[_/.])?"
                            r"(?:(?P<val>val(?:id|idation)?[_/.])|train(?:ing)?[_/.])?loss$")
_VAL_FIRST = re.compile(r"^(?:val|valid|validation)[_/.](?P<p>[A-Za-z][A-Za-z0-9]*)[_/.]loss$")
# prefixes that name a phase or a reduction, not a model: train_loss / val_loss / avg_loss are roles
NOT_A_MODEL = {"train", "training", "trn", "val", "valid", "validation", "eval", "test", "dev", "total",
                "avg", "average", "mean", "epoch", "step", "batch", "base", "true", "reported", "running"}


def _prefixes(names: list[str]) -> list[str]:
    """Prefixes with both a training loss and a validation loss column, in order of appearance."""
    train, val = [], set()
    for name in names:
        m = _PREFIXED_LOSS.match(name)
        if m and m.group("p").lower() not in NOT_A_MODEL:
            (val.add(m.group("p")) if m.group("val") else train.append(m.group("p")))
        m = _VAL_FIRST.match(name)
        if m and m.group("p").lower() not in NOT_A_MODEL:
            val.add(m.group("p"))
    return [p for p in dict.fromkeys(train) if p in val]


def _owner(name: str, prefixes: list[str]) -> tuple[str, str] | None:
    """(prefix, name without it) for a column of one prefix's history."""
    for p in prefixes:
        for head in (p, f"val_{p}", f"valid_{p}", f"validation_{p}"):
            for sep in "_/.":
                if name.startswith(head + sep) and len(name) > len(head) + 1:
                    rest = name[len(head) + 1:]
                    return p, (rest if head == p else f"val_{rest}")
    return None


def side_by_side(names: list[str]) -> dict[str, dict[str, str]] | None:
    """``{prefix: {column: name in its own run}}`` when the columns are several prefixed histories
    (module docstring), x-axis columns shared by every prefix; None otherwise."""
    if any(canonical_series(n) in LOSS_SERIES for n in names):
        return None
    prefixes = _prefixes(names)
    if len(prefixes) < 2:
        return None
    groups: dict[str, dict[str, str]] = {p: {} for p in prefixes}
    shared = []
    for name in names:
        if canonical_x(name) is not None:
            shared.append(name)
            continue
        owned = _owner(name, prefixes)
        if owned is None:
            return None
        groups[owned[0]][name] = owned[1]
    for cols in groups.values():
        cols.update({x: x for x in shared if x not in cols.values()})
    return groups


def split_table(table: Table, groups: dict[str, dict[str, str]]) -> dict[str, Table]:
    """One sub-table per prefix: its columns renamed, its rows cut after the last one any of its
    value columns holds (a 19-epoch history beside a 30-epoch one keeps 19 rows)."""
    out = {}
    for prefix, cols in groups.items():
        last = 0
        dense = {}
        for col, new in cols.items():
            values, present = table.dense(col)
            dense[new] = (values, present)
            if canonical_x(col) is None and present.any():
                last = max(last, int(np.flatnonzero(present)[-1]) + 1)
        sub = Table(first_row=table.first_row, row_label=table.row_label)
        for new, (values, present) in dense.items():
            sub.add(new, values[:last].copy(), present[:last].copy())
        out[prefix] = sub
    return out


def table_to_runs_by_prefix(table: Table, *, name: str, notes: list, **kw) -> list[Run]:
    """:func:`table_to_runs`, once per prefixed history when the table holds several side by side
    (run ``<name>:<prefix>``, ``meta["history_prefix"]``, each series' ``source_column`` the file's
    own column so roles can be given by it), else once."""
    groups = side_by_side(table.names)
    if groups is None:
        return table_to_runs(table, name=name, notes=notes, **kw)
    runs = []
    listed = ", ".join(f"'{p}_'" for p in groups)
    meta = dict(kw.pop("meta", None) or {})
    for prefix, sub in split_table(table, groups).items():
        note = (f"{len(groups)} histories side by side, told apart by the prefixes {listed} (each with its own "
                f"training and validation loss): read as one run per prefix; this is the '{prefix}_' one, its "
                "columns named without the prefix")
        back = {new: col for col, new in groups[prefix].items()}
        for run in table_to_runs(sub, name=f"{name}:{prefix}", notes=[*notes, note],
                                 meta={**meta, "history_prefix": prefix}, **kw):
            for series in run.series.values():
                series.source_column = back.get(series.source_column, series.source_column)
            runs.append(run)
    return runs
