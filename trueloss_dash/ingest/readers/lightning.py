"""PyTorch Lightning ``CSVLogger`` ``metrics.csv`` (and the legacy test-tube layout).

Lightning writes one row per ``log`` call group: step rows carry ``train_*`` values, epoch-end
rows carry ``val_*`` values, the rest of each row is empty (sparse). ``self.log(..., on_step=True,
on_epoch=True)`` produces ``<name>_step``/``<name>_epoch`` twins (the epoch one is the reported
loss). A ``trainer.validate()``/``test()`` after ``fit`` appends rows at the last step; they are
kept apart, not mixed into the training curve. ``hparams.yaml`` (or legacy ``meta_tags.csv``)
beside the file fills the RunContext.
"""

from __future__ import annotations

import numpy as np

from ...columns import EPOCH, STEP, TRAIN_LOSS, VAL_LOSS, canonical_series, canonical_x, fold
from ...errors import LogFormatError
from ...run import RunContext
from ..hparams import context_from_params, parse_meta_tags, parse_yaml
from ..registry import Reader
from ..safe_read import read_side_text
from ._csv import read_csv_runs


def sniff(sample) -> int:
    folded = sample.folded
    score = 0
    if "epoch" in folded and "step" in folded:
        score = 50
        body = sample.lines[1:40]
        delim = sample.header.delimiter if sample.header else ","
        if any(f"{delim}{delim}" in ln or ln.endswith(delim) or ln.startswith(delim) for ln in body):
            score += 30  # sparse rows
        if any(f.endswith(("step", "epoch")) and f not in ("step", "epoch") for f in folded):
            score += 20
    elif "createdat" in folded and "epoch" in folded:
        score = 80  # legacy test-tube layout
    if sample.name == "metrics.csv" and score:
        score += 5
    return score


def _hparams_context(source, notes, warnings) -> RunContext | None:
    for fname, parse in (("hparams.yaml", parse_yaml), ("meta_tags.csv", parse_meta_tags)):
        path = source.sibling(fname)
        if path is None:
            continue
        try:
            params = parse(read_side_text(path, source.path.parent))
        except LogFormatError as err:  # a hostile or unreadable companion never costs the metrics
            warnings.append(f"{fname} beside the log ignored: {err.message}")
            continue
        if params:
            notes.append(f"hyper-parameters read from {fname} beside the log")
            ctx = context_from_params(params)
            return ctx
        notes.append(f"{fname} beside the log is empty")
    return None


def _split_after_fit(table, notes, warnings) -> None:
    """Validation rows logged after the last training epoch at (almost) the same step."""
    cols = list(table.columns)
    step_col = next((c for c in cols if canonical_x(c) == STEP), None)
    epoch_col = next((c for c in cols if canonical_x(c) == EPOCH), None)
    val_cols = [c for c in cols if canonical_series(c) == VAL_LOSS and not fold(c).startswith("test")]
    train_cols = [c for c in cols if canonical_series(c) == TRAIN_LOSS or fold(c).startswith("train")]
    if not (step_col and epoch_col and val_cols and train_cols):
        return
    val_rows = np.flatnonzero(table.mask(val_cols[0]))
    train_rows = np.flatnonzero(np.any([table.mask(c) for c in train_cols], axis=0))
    if len(val_rows) < 3 or len(train_rows) == 0:
        return
    step, epoch = table.columns[step_col], table.columns[epoch_col]
    gaps = np.diff(step[val_rows])
    typical = np.median(gaps)
    last_train_epoch = np.nanmax(epoch[train_rows])
    late = [r for r, gap in zip(val_rows[1:], gaps) if epoch[r] > last_train_epoch and gap < 0.5 * typical]
    if not late:
        return
    late = np.array(late)
    moved = []
    for c in cols:
        if c in (step_col, epoch_col) or not table.mask(c)[late].any():
            continue
        keep = table.mask(c).copy()
        keep[late] = False
        extra = np.zeros_like(keep)
        extra[late] = table.mask(c)[late]
        table.add(f"{c}_after_fit", table.columns[c].copy(), extra)
        table.present[c] = keep
        moved.append(c)
    where = ", ".join(f"epoch {epoch[r]:g} step {step[r]:g}" for r in late[:3])
    warnings.append(
        f"{len(late)} validation row(s) logged after training ended ({where}; e.g. trainer.validate()): "
        f"kept apart as {', '.join(m + '_after_fit' for m in moved)}"
    )


_EVAL_PREFIXES = ("val", "valid", "test")


def _per_batch_eval_rows(table, notes) -> None:
    """Validation metrics logged per batch (``on_step=True`` in ``validation_step``) are written with
    a count of validation batches as the step and no epoch, so the step falls back below the training
    steps at every evaluation: that is not a run appended to the file. Those rows are left out when
    the rest of the file counts on; the epoch-level twins carry the curve."""
    cols = table.names
    step_col = next((c for c in cols if canonical_x(c) == STEP), None)
    epoch_col = next((c for c in cols if canonical_x(c) == EPOCH), None)
    if not (step_col and epoch_col):
        return
    epoch_v, epoch_p = table.dense(epoch_col)
    rows = ~epoch_p | ~np.isfinite(epoch_v)
    if rows.sum() < 3:
        return
    values = [c for c in cols if c not in (step_col, epoch_col)]
    batch = [c for c in values if fold(c).startswith(_EVAL_PREFIXES) and fold(c).endswith("step")]
    if not batch:
        return
    for c in values:
        if c not in batch:
            rows &= ~table.dense(c)[1]
    rows &= np.any([table.dense(c)[1] for c in batch], axis=0)
    step_v, step_p = table.dense(step_col)
    logged = step_p & np.isfinite(step_v)
    rest = step_v[logged & ~rows]
    # only when these rows are what makes the step fall back (the rest of the file counts on)
    if rows.sum() < 3 or not (np.diff(step_v[logged]) < 0).any() or (np.diff(rest) < 0).any():
        return
    for c in (*batch, step_col):
        if c in table.sparse:
            r, v = table.sparse[c]
            keep = ~rows[r]
            table.sparse[c] = (r[keep], v[keep])
        else:
            present = table.mask(c).copy()
            present[rows] = False
            vals = table.columns[c].copy()
            vals[rows] = np.nan
            table.add(c, vals, present)
    notes.append(f"{int(rows.sum())} per-batch validation rows ({', '.join(batch[:3])}{', ...' if len(batch) > 3 else ''}) "
                 "carry a validation-batch count as step and no epoch: left out, the epoch-level values carry the curve")


def _prepare(table, source, notes, warnings):
    _per_batch_eval_rows(table, notes)
    _split_after_fit(table, notes, warnings)
    return _hparams_context(source, notes, warnings)


def read(source):
    return read_csv_runs(source, "lightning_csv", _prepare)


READERS = [Reader("lightning_csv", sniff, read, "PyTorch Lightning CSVLogger metrics.csv", prepare=_prepare)]
