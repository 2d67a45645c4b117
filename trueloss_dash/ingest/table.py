"""The shared tabular normaliser: a column table -> canonical Run(s).

Every reader that sees rows and columns (CSV flavours, JSON lines, HF trainer_state, DVCLive,
text logs, MLflow, TensorBoard after pivoting) ends here, so alias handling, x-axis choice,
restart splitting, sorting, de-duplication, NaN accounting and the "no loss" refusal are written
once. All work is vectorised numpy: a million-row table costs a few array passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from ..columns import (
    CANONICAL_SERIES,
    EPOCH,
    LOSS_SERIES,
    STEP,
    TRAIN_LOSS,
    VAL_LOSS,
    VAL_LOSS_FALLBACKS,
    validation_twin,
    WALL_TIME,
    X_AXES,
    accepted_names,
    canonical_bound,
    canonical_series,
    canonical_x,
    fold,
    is_averaged_name,
    is_flagged_alias,
    abbreviated_pairs,
    looks_like_loss,
    measure_roles,
)
from ..errors import LogFormatError
from ..roles import warn_if_roleless
from ..run import Run, RunContext, Series
from .constant_columns import set_constant_losses_apart, stuck_value
from .limits import MAX_POINTS_PER_SERIES, MAX_RUNS_PER_FILE
from .perplexity import losses_from_perplexity
from .running_total import RUNNING_TOTAL_SUFFIX, is_running_total

MAX_LISTED = 5  # rows/values quoted in one message


@dataclass
class Table:
    """Columns of float64 values; ``present`` marks cells that held a value (None = all did).

    Missing cells (sparse Lightning rows, JSON keys absent from a record) are NaN *and* not
    present; a NaN written in the log is NaN *and* present - it is kept and flagged.
    ``first_row`` is the file row number of data row 0, for messages.
    """

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    present: dict[str, np.ndarray | None] = field(default_factory=dict)
    first_row: int = 2
    row_label: str = "row"
    n: int | None = None
    sparse: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """Rare columns as (sorted row indices, values): a dense copy would cost a full row count each."""
    packed: dict[str, np.ndarray] = field(default_factory=dict)
    """Columns held by some rows, as the values of those rows in row order (``present`` marks the
    rows; ``columns`` holds None in their place, keeping the column order). A text log's training
    metric misses only the validation lines: its series is exactly these values, so it is not
    spread into a NaN column to be picked out again (see :func:`_rows_of`)."""

    @property
    def nrows(self) -> int:
        if self.n is not None:
            return self.n
        for name, values in self.columns.items():
            return len(values) if values is not None else len(self.present[name])
        return 0

    @property
    def names(self) -> list[str]:
        """Every column, dense then sparse."""
        return [*self.columns, *self.sparse]

    def add_sparse(self, name: str, rows: np.ndarray, values: np.ndarray) -> None:
        self.sparse[name] = (rows, values)

    def dense(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(values, present) of any column; a sparse one is expanded (x-axis candidates only)."""
        if name in self.sparse:
            rows, vals = self.sparse[name]
            values = np.full(self.nrows, np.nan)
            present = np.zeros(self.nrows, dtype=bool)
            values[rows] = vals
            present[rows] = True
            return values, present
        if name in self.packed:
            present = self.present[name]
            values = np.full(len(present), np.nan)
            values[present] = self.packed[name]
            return values, present
        return self.columns[name], self.mask(name)

    def add(self, name: str, values: np.ndarray, present: np.ndarray | None = None) -> None:
        self.columns[name] = np.asarray(values, dtype=np.float64)
        if present is not None and present.all():
            present = None
        self.present[name] = present

    def add_packed(self, name: str, values: np.ndarray, present: np.ndarray) -> None:
        """A column as the values of the rows ``present`` marks, in row order (see ``packed``)."""
        if present.all():
            self.add(name, values)
            return
        self.columns[name] = None
        self.packed[name] = np.asarray(values, dtype=np.float64)
        self.present[name] = present

    def drop(self, name: str) -> None:
        self.columns.pop(name, None)
        self.present.pop(name, None)
        self.packed.pop(name, None)

    def mask(self, name: str) -> np.ndarray:
        p = self.present.get(name)
        return np.ones(self.nrows, dtype=bool) if p is None else p


def concat_tables(parts: list[Table]) -> Table:
    """Rows of ``parts`` one after another (a log read in pieces). A column absent from a piece is
    missing there (NaN, not present); ``first_row``/``row_label`` come from the first piece."""
    if not parts:
        return Table()
    if len(parts) == 1:
        return parts[0]
    names: list[str] = []
    for part in parts:
        names += [n for n in part.columns if n not in names]
    out = Table(first_row=parts[0].first_row, row_label=parts[0].row_label)
    for name in names:
        values, present, all_present = [], [], True
        for part in parts:
            if name in part.columns:
                values.append(part.dense(name)[0])
                p = part.present.get(name)
                all_present &= p is None
                present.append(np.ones(part.nrows, dtype=bool) if p is None else p)
            else:
                values.append(np.full(part.nrows, np.nan))
                present.append(np.zeros(part.nrows, dtype=bool))
                all_present = False
        out.add(name, np.concatenate(values), None if all_present else np.concatenate(present))
    return out


def no_loss_error(display: str, columns: Iterable[str]) -> LogFormatError:
    cols = [c for c in columns]
    listed = ", ".join(cols[:40]) + (" ..." if len(cols) > 40 else "")
    return LogFormatError(
        f"no loss series found; columns are [{listed}]; expected a loss column - accepted names for training loss: "
        f"{', '.join(accepted_names(TRAIN_LOSS))}; for validation loss: {', '.join(accepted_names(VAL_LOSS))} "
        "(any other column whose name contains 'loss' is kept too)",
        path=display,
    )


def _choose_x_columns(table: Table, notes: list[str]) -> tuple[dict[str, str], set[str]]:
    """(axis -> column, columns ignored as axes and not worth a series). A wall-time column that
    goes backwards is a duration, not a clock (kept as a series)."""
    chosen: dict[str, str] = {}
    for col in table.names:
        axis = canonical_x(col)
        if axis is None or axis in chosen:
            continue
        dense, present = table.dense(col)
        values = dense if table.present.get(col) is None and col not in table.sparse else dense[present]
        finite = np.isfinite(values)
        if not finite.all():
            values = values[finite]
        if len(values) == 0:
            continue
        if axis == WALL_TIME and len(values) > 1 and np.any(np.diff(values) < 0):
            notes.append(f"column '{col}' goes up and down, so it is kept as a series, not used as wall time")
            continue
        chosen[axis] = col
    # An epoch column that falls back while the step moves on (HF's Trainer on a streaming dataset
    # or after a resume: 0.05, 0.01, ... 1.08, 2.0) would scramble the curves: the step is the axis.
    epoch_col, step_col = chosen.get(EPOCH), chosen.get(STEP)
    if epoch_col is not None and step_col is not None:
        (ed, ep), (sd, sp) = table.dense(epoch_col), table.dense(step_col)
        both = ep & sp & np.isfinite(ed) & np.isfinite(sd)
        e, st = ed[both], sd[both]
        back = (np.diff(e) < 0) & (np.diff(st) > 0)
        if back.any():
            k = int(np.flatnonzero(back)[0])
            del chosen[EPOCH]
            notes.append(f"column '{epoch_col}' falls back from {e[k]:g} to {e[k + 1]:g} while '{step_col}' moves on "
                         f"({st[k]:g} -> {st[k + 1]:g}), so the step is the axis")
            return chosen, {epoch_col}
    # A step column with one value on every row (DVCLive's step never advanced by next_step()) would
    # fold the whole run onto one point: the epoch is the axis when there is one, else the row order
    # (as the step, see table_to_runs).
    stuck = stuck_value(table, step_col) if step_col is not None else None
    if stuck is not None:
        del chosen[STEP]
        notes.append(f"column '{step_col}' is {stuck:g} on every row, so "
                     + (f"'{epoch_col}' is the axis" if epoch_col is not None else "the row order is used as the step"))
        return chosen, {step_col}
    # An epoch column with one value on every row (a logger that never advanced it) would fold the
    # whole run onto one point; with no step column to fall back on, the row order is the axis.
    stuck = stuck_value(table, epoch_col) if epoch_col is not None and STEP not in chosen else None
    if stuck is not None:
        del chosen[EPOCH]
        notes.append(f"column '{epoch_col}' is {stuck:g} on every row, so the row order is used as the epoch")
        return chosen, {epoch_col}
    return chosen, set()


_BARE = frozenset({"loss", "losses"})  # aliases that name no phase


def _assign_names(value_cols: list[str], notes: list[str], warnings: list[str],
                  counts: dict[str, int] | None = None, whole_log: bool = True) -> dict[str, str]:
    """Column -> series name: canonical where an alias matches (one column per canonical name).

    A name that says it is an average (``loss_avg``, ``Average loss``: the epoch's mean, which a
    sampled per-step ``loss`` beside it is not) wins, then the exact name, then a name that says its
    phase (``Training loss``) over a bare ``loss`` - unless another column holds far more points: a
    console log's per-step ``loss`` is the curve, the one-line ``train_loss`` summary at its end is not."""
    by_canonical: dict[str, list[str]] = {}
    for col in value_cols:
        canon = canonical_series(col)
        if canon:
            by_canonical.setdefault(canon, []).append(col)
    names = {col: col for col in value_cols}
    for canon, cols in by_canonical.items():
        exact = [c for c in cols if fold(c) == fold(canon)]
        solid = [c for c in cols if not is_flagged_alias(c)]
        averaged = [c for c in solid if is_averaged_name(c)] if len(cols) > 1 else []
        # a name that says which curve it is ('Training loss') over a bare 'loss', which a console log
        # also prints for its evaluation ("Epoch 1 [IMPR] loss = 0.502" beside "Training loss: 0.433")
        named = [c for c in solid if fold(c) != fold(canon) and fold(c) not in _BARE]
        winner = (averaged or exact or named or solid or cols)[0]
        if counts:
            most = max(cols, key=lambda c: counts.get(c, 0))
            if counts.get(most, 0) > 4 * counts.get(winner, 0):
                winner = most
        if is_flagged_alias(winner):
            warnings.append(f"no validation column; '{winner}' is used as {canon} (it may be a test set)")
        names[winner] = canon
        others = [c for c in cols if c != winner]
        for c in others:
            if c == canon:  # the canonical name itself lost to a fuller alias: keep it apart
                names[c] = f"{c} (sparse)"
        if others:
            notes.append(
                f"{canon} taken from '{winner}'; {', '.join(repr(c) for c in others)} kept as extra series"
            )
    # Interval bounds follow their series' name: train/true_train_loss_ci_low -> true_train_loss_ci_low.
    taken = set(names.values())
    for col in value_cols:
        bound = canonical_bound(col) if names[col] == col else None
        if bound is not None and bound not in taken and bound.rsplit("_ci_", 1)[0] in taken:
            names[col] = bound
            taken.add(bound)
    # Lightning-style twins: only `train_loss_step` (or `train_loss_batch`) logged -> use it as the training loss.  # a set: a membership test per column must not scan every column
    for canon in LOSS_SERIES:
        if canon in taken:
            continue
        for col in value_cols:
            key = fold(col)
            if names[col] != col or not key.endswith(("step", "epoch", "batch")):
                continue
            suffix = next(s for s in ("step", "epoch", "batch") if key.endswith(s))
            if canonical_series(col[: -len(suffix)].rstrip("_/-. ")) == canon:
                names[col] = canon
                taken.add(canon)
                notes.append(f"{canon} taken from '{col}' (no epoch-level column)")
                break
    # a loss measure under its own name (val_cross_entropy), a phase's only loss (train/mlm_loss)
    named_train = TRAIN_LOSS in taken  # an error-metric stand-in for validation needs a training loss by name
    if whole_log:  # one metric of a log kept in many files (a TensorBoard tag, a DVCLive tsv): judged after the merge
        for col, canon, note in measure_roles([c for c in value_cols if names[c] == c], taken):
            names[col] = canon
            taken.add(canon)
            notes.append(note)
    if not taken & {TRAIN_LOSS, VAL_LOSS}:
        # 't_loss' beside 'v_loss': a log that marks training with 't_' and validation with 'v_' names neither by
        # an alias - the pair is the training and validation loss (only with both: a lone 't_loss' stays as it is)
        for col in value_cols:
            if names[col] == col and col.strip().lower().startswith("t_") and canonical_series(col.strip()[2:]) == TRAIN_LOSS:
                twin = validation_twin(col, [c for c in value_cols if names[c] == c])
                if twin is not None:
                    names[col], names[twin] = TRAIN_LOSS, VAL_LOSS
                    taken |= {TRAIN_LOSS, VAL_LOSS}
                    notes.append(f"'{col}' / '{twin}' are the training and validation loss: the log marks the phases "
                                 "with 't_' and 'v_' prefixes")
                    break
    if VAL_LOSS not in taken and named_train:
        # validation marked by a prefix: 'loss' beside 'v_loss' in a log that prefixes every validation metric
        train_col = next(c for c in value_cols if names[c] == TRAIN_LOSS)
        twin = validation_twin(train_col, [c for c in value_cols if names[c] in (c, TRAIN_LOSS)])
        if twin is not None:
            names[twin] = VAL_LOSS
            taken.add(VAL_LOSS)
            notes.append(f"'{twin}' is the validation loss: the log marks validation with a 'v_' prefix "
                         f"('{train_col}' / '{twin}')")
    if VAL_LOSS not in taken and named_train:
        stand_in = next((c for c in value_cols if names[c] == c and fold(c) in VAL_LOSS_FALLBACKS), None)
        if stand_in is not None:
            names[stand_in] = VAL_LOSS
            taken.add(VAL_LOSS)
            notes.append(f"no validation loss column: '{stand_in}' is used as the validation loss "
                         "(right when the training loss is the same error measure)")
    return names


def _set_running_totals_apart(table: Table, value_cols: list[str], names: dict[str, str],
                              axes: dict[str, np.ndarray], notes: list[str]) -> None:
    """A loss column that sums the batch losses within each epoch (:mod:`.running_total`) loses
    its loss role and is kept as '<column> (running total)'; when that leaves no training loss and
    exactly one other loss-like column has no role (a per-epoch summary loss), that one is the
    training loss."""
    epoch, batch = axes[EPOCH], axes.get(STEP)
    freed = []
    for col in value_cols:
        if names[col] not in LOSS_SERIES:
            continue
        y, present = table.dense(col)
        if is_running_total(y[present], epoch[present], None if batch is None else batch[present]):
            freed.append(names[col])
            names[col] = f"{col}{RUNNING_TOTAL_SUFFIX}"
            notes.append(f"'{col}' climbs through every epoch and starts again at the next (a running sum of the "
                         f"batch losses, not their mean): kept as '{names[col]}' without a loss role")
    if TRAIN_LOSS in freed and TRAIN_LOSS not in names.values():
        left = [c for c in value_cols if names[c] == c and looks_like_loss(c)]
        if len(left) == 1:
            names[left[0]] = TRAIN_LOSS
            notes.append(f"{TRAIN_LOSS} taken from '{left[0]}' (the only loss left)")


def _count_on_across_epochs(step: np.ndarray, epoch: np.ndarray) -> np.ndarray | None:
    """A step column that falls back exactly when the epoch moves on (``Epoch,Batch``: the batch
    counter starts again each epoch) as one count across epochs: each epoch counts on from the
    largest count of the one before (a counter from 0 from one past it). None when it is not that
    (an epoch falling back is an appended run, left to :func:`restart_points`)."""
    both = np.flatnonzero(np.isfinite(step) & np.isfinite(epoch))
    if len(both) < 3:
        return None
    s, e = step[both], epoch[both]
    new_epoch = np.diff(e)
    falls = np.diff(s) < 0
    if (new_epoch < 0).any() or not falls.any() or not np.array_equal(falls, new_epoch > 0):
        return None
    segment = np.concatenate(([0], np.cumsum(falls)))
    starts = np.flatnonzero(np.concatenate(([True], falls)))
    gap = np.maximum.reduceat(s, starts)[:-1] + np.maximum(0.0, 1.0 - s[starts[1:]])
    offset = np.concatenate(([0.0], np.cumsum(gap)))
    out = np.array(step, dtype=np.float64)
    out[both] = s + offset[segment]
    return out


def restart_points(x: np.ndarray) -> list[int]:
    """Indices where the axis falls back to (or below) where the current segment started."""
    finite = np.isfinite(x)
    finite = None if finite.all() else np.flatnonzero(finite)  # None: every x is finite (x is not copied)
    xv = x if finite is None else x[finite]
    if len(xv) < 2:
        return []
    drops = np.flatnonzero(np.diff(xv) < 0) + 1
    cuts: list[int] = []
    seg_start = xv[0]
    last = 0
    for d in drops[:100_000]:
        if xv[d] <= seg_start and d - last >= 2:
            cuts.append(int(d if finite is None else finite[d]))
            seg_start = xv[d]
            last = d
    return cuts


def _dedupe(series: Series, axis: str, label: str, notes: list[str], warnings: list[str],
            steps: np.ndarray | None = None) -> Series:
    """``steps``: ``np.diff`` of the series' x when the caller has it already (a million-row
    series pays for one pass, not two)."""
    x = series.x(axis)
    if len(x) < 2:
        return series
    same = (np.diff(x) if steps is None else steps) == 0
    if not same.any():
        return series
    n_dup = int(np.count_nonzero(same))
    y = series.y
    identical = np.all((y[1:][same] == y[:-1][same]) | (np.isnan(y[1:][same]) & np.isnan(y[:-1][same])))
    first = np.concatenate(([True], ~same))  # first row of each x group
    if identical:
        warnings.append(f"{label}: {n_dup} duplicated rows (same {axis} and value) removed")
        return series.take(first)
    groups = np.flatnonzero(first)
    counts = np.diff(np.append(groups, len(x)))
    if counts.mean() >= 3:
        # Many values per x: per-batch values logged at step=epoch (Ultralytics TensorBoard). Average.
        # NaN/inf inside a group propagate: a diverged batch makes the step's mean non-finite too.
        mean = np.add.reduceat(y, groups) / counts
        out = series.take(groups)
        out.y = mean
        notes.append(
            f"{label}: {len(x)} values at {len(groups)} distinct {axis} values (several per {axis}); "
            f"averaged per {axis}"
        )
        return out
    last = np.concatenate((~same, [True]))
    # Repeats in a loss/canonical series matter to the diagnosis; in an extra series they are a note.
    (warnings if series.name in CANONICAL_SERIES else notes).append(f"{label}: {n_dup} repeated {axis} values with different values; kept the last of each")
    return series.take(last)


def _finish(series: Series, fine: str | None, col: str, run: Run, x_facts: dict | None = None) -> Series:
    """Sort by the finest axis, resolve duplicates, count non-finite values (warnings on ``run``).
    ``x_facts``: what was worked out from an x array shared by several series (by its id)."""
    label = col if series.name == col else f"{series.name} ('{col}')"
    if fine is not None and series.x(fine) is not None:
        x = series.x(fine)
        facts = x_facts.get(id(x)) if x_facts is not None else None
        if facts is None or facts[0] is not x:
            # compared in place, not through np.diff: no million-row temporary (x - x' < 0 is x < x';
            # x - x' == 0 is x == x' for a finite x - two infinities differ by NaN, not 0)
            back = x[1:] < x[:-1]
            falls_back = bool(back.any())
            same = x[1:] == x[:-1]
            repeats = bool(same.any()) and bool(np.any(same & np.isfinite(x[1:])))
            facts = (x, int(np.count_nonzero(back)) if falls_back else 0, falls_back, repeats)
            if x_facts is not None:
                x_facts[id(x)] = facts
        _, n_back, falls_back, repeats = facts
        if falls_back:
            order = np.argsort(x, kind="stable")
            series = series.take(order)
            run.warn(f"{label}: {n_back} rows out of {fine} order; sorted by {fine}")
            series = _dedupe(series, fine, label, run.notes, run.warnings)  # the sorted x has other differences
        elif repeats:
            series = _dedupe(series, fine, label, run.notes, run.warnings)
        # else: x in order without a repeat - nothing to sort or resolve
    bad = series.n_nonfinite
    if bad:
        idx = np.flatnonzero(~np.isfinite(series.y))[:MAX_LISTED]
        xs = series.x(fine) if fine else None
        at = ", ".join(f"{fine} {xs[i]:g}" if xs is not None else f"point {i}" for i in idx)
        run.warn(f"{label}: {bad} non-finite values (NaN/inf) kept and flagged, first at {at}")
    return series


def points_to_run(
    points: dict[str, dict[str, np.ndarray]],
    *,
    name: str,
    source: str,
    format: str,
    display: str | None = None,
    context: RunContext | None = None,
    notes: Iterable[str] = (),
    warnings: Iterable[str] = (),
    meta: dict | None = None,
    require_loss: bool = True,
) -> Run:
    """Long-form input (one array set per metric, each with its own x) -> one Run.

    ``points[column] = {"y": ..., "step": ..., "wall_time": ...}``. Used where metrics are stored
    apart (TensorBoard tags, MLflow metric files) so no wide, mostly-empty table is built.
    """
    display = display or source
    run = Run(name=name, source=source, format=format, context=context or RunContext(),
              notes=list(notes), warnings=list(warnings), meta=dict(meta or {}))
    cols = [c for c, p in points.items() if len(p["y"])]
    if not cols:
        raise LogFormatError("no scalar values found", path=display)
    for c in cols:
        _check_points(len(points[c]["y"]), display, c)
    if require_loss and not any(looks_like_loss(c) for c in cols) and not abbreviated_pairs(cols):
        raise no_loss_error(display, cols)
    names = _assign_names(cols, run.notes, run.warnings, {c: len(points[c]["y"]) for c in cols}, require_loss)
    for col in cols:
        p = points[col]
        kw = {axis: p.get(axis) for axis in X_AXES}
        fine = next((a for a in (STEP, EPOCH, WALL_TIME) if kw.get(a) is not None), None)
        series = Series(name=names[col], y=p["y"], source_column=col, **kw)
        run.add(_finish(series, fine, col, run))
    warn_if_roleless(run)
    return run


def _check_points(n: int, display: str, column: str | None = None) -> None:
    if n > MAX_POINTS_PER_SERIES:
        raise LogFormatError(
            f"{n:,} points, more than the limit of {MAX_POINTS_PER_SERIES:,} per series; "
            "expected a training log (downsample it, or split it into runs)",
            path=display, column=column,
        )


def _rows_of(table: Table, col: str, lo: int, hi: int, mask: np.ndarray | None, full: bool) -> np.ndarray:
    """The values of ``col`` in rows lo..hi that ``mask`` keeps (all when ``full``). A packed column
    whose rows are all kept (``mask`` is within the rows holding it, so as many rows means the same
    rows) is its values as they are."""
    packed = table.packed.get(col)
    if packed is not None:
        if lo == 0 and hi == table.nrows and (full or int(np.count_nonzero(mask)) == len(packed)):
            return packed
        y_all = table.dense(col)[0][lo:hi]
    else:
        y_all = table.columns[col][lo:hi]
    return y_all if full else y_all[mask]


def _sparse_part(column, axes, fine, lo, hi):
    """(y, x axes) of a sparse column's rows in [lo, hi): cost proportional to its own values."""
    rows, vals = column
    a, b = np.searchsorted(rows, [lo, hi])
    r, y = rows[a:b], vals[a:b]
    if fine is not None:
        keep = np.isfinite(axes[fine][r])
        r, y = r[keep], y[keep]
    if not len(r):
        return None, {}
    kw = {}
    for axis in X_AXES:
        if axis in axes:
            xa = axes[axis][r]
            kw[axis] = xa if np.isfinite(xa).any() else None
    return y, kw


def table_to_runs(
    table: Table,
    *,
    name: str,
    source: str,
    format: str,
    display: str | None = None,
    context: RunContext | None = None,
    notes: Iterable[str] = (),
    warnings: Iterable[str] = (),
    meta: dict | None = None,
    split_restarts: bool = True,
    index_as_epoch: bool = True,
    require_loss: bool = True,
) -> list[Run]:
    """Normalise a table into one Run, or several when the x axis restarts (appended runs)."""
    display = display or source
    notes, warnings = list(notes), list(warnings)
    n = table.nrows
    if n == 0:
        raise LogFormatError("no data rows (header only?); expected at least one row of numbers", path=display)
    _check_points(n, display)
    x_cols, ignored = _choose_x_columns(table, notes)
    value_cols = [c for c in table.names if c not in x_cols.values() and c not in ignored]
    if not value_cols:
        raise LogFormatError(
            f"only x-axis columns ({', '.join(table.names)}); expected a loss column such as "
            f"{', '.join(accepted_names(TRAIN_LOSS)[:5])}",
            path=display,
        )
    if require_loss and not any(looks_like_loss(c) for c in value_cols) and not abbreviated_pairs(value_cols):
        value_cols = losses_from_perplexity(table, value_cols, notes)  # "ppl" alone: ln(ppl), with a note
        if not any(looks_like_loss(c) for c in value_cols):
            raise no_loss_error(display, table.names)
    axes = {axis: table.dense(col)[0] for axis, col in x_cols.items()}
    if EPOCH not in axes and STEP not in axes and index_as_epoch:
        # a step column stuck at one value (ignored above) means the rows are steps
        axes[STEP if any(canonical_x(c) == STEP for c in ignored) else EPOCH] = np.arange(n, dtype=np.float64)
        if not ignored:  # else the note about the ignored column already says so
            notes.append("no epoch or step column: row index used as epoch (0-based)")
    counts = {c: len(table.sparse[c][0]) if c in table.sparse else
              n if table.present.get(c) is None else int(np.count_nonzero(table.present[c])) for c in value_cols}
    names = _assign_names(value_cols, notes, warnings, counts, require_loss)
    set_constant_losses_apart(table, value_cols, names, notes)
    fine = STEP if STEP in axes else (EPOCH if EPOCH in axes else (WALL_TIME if WALL_TIME in axes else None))

    if EPOCH in x_cols:
        _set_running_totals_apart(table, value_cols, names, axes, notes)
    if split_restarts and fine == STEP and EPOCH in axes:
        counted = _count_on_across_epochs(axes[STEP], axes[EPOCH])
        if counted is not None:
            axes[STEP] = counted
            notes.append(f"'{x_cols[STEP]}' starts again at every new epoch: read as a count within the epoch; "
                         "the step axis counts on across epochs")
    cuts = restart_points(axes[fine]) if (split_restarts and fine in (STEP, EPOCH)) else []
    if len(cuts) >= MAX_RUNS_PER_FILE:
        raise LogFormatError(
            f"the {fine} axis restarts {len(cuts)} times (limit {MAX_RUNS_PER_FILE} appended runs); "
            f"expected a {fine} that grows within each run",
            path=display,
        )
    bounds = [0, *cuts, n]
    if cuts:
        where = ", ".join(f"{table.row_label} {table.first_row + c}" for c in cuts[:MAX_LISTED])
        warnings.append(
            f"{fine} restarts at {where}: the file holds {len(cuts) + 1} appended runs, split into separate runs"
        )
    runs = []
    for part, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:]), start=1):
        run = Run(
            name=name if part == 1 else f"{name} (part {part})",
            source=source,
            format=format,
            context=context or RunContext(),
            notes=list(notes),
            warnings=list(warnings),
            meta=dict(meta or {}),
        )
        if cuts:
            run.meta["part"] = part
            run.meta["rows"] = [table.first_row + lo, table.first_row + hi - 1]
        # Which x values are finite, once per part: every column asks (a million rows, several columns).
        finite = {a: np.isfinite(axes[a][lo:hi]) for a in axes}
        n_finite = {a: int(np.count_nonzero(f)) for a, f in finite.items()}
        # Columns held by the same rows (the metrics of one log line shape) share their x arrays and
        # what is worked out from them: a million-row log pays for each line shape once, not per column.
        by_rows: list[tuple[np.ndarray, tuple]] = []
        x_facts: dict[int, tuple] = {}
        for col in value_cols:
            col_fine = fine
            if col in table.sparse:
                y, kw = _sparse_part(table.sparse[col], axes, fine, lo, hi)
                if y is None:
                    continue
            else:
                dense_all = table.present.get(col) is None  # every row holds a value
                mask = None if dense_all else table.mask(col)[lo:hi]
                seen = None if dense_all else next(
                    (got for rows, got in by_rows if rows is mask or np.array_equal(rows, mask)), None)
                if seen is not None:
                    col_fine, mask, full, kw = seen
                    series = Series(name=names[col], y=_rows_of(table, col, lo, hi, mask, full), source_column=col, **kw)
                    run.add(_finish(series, col_fine, col, run, x_facts))
                    continue
                held = mask
                if fine is not None:
                    # A series logged only against another axis (epoch-only lines in a log where a
                    # few lines carry a step) keeps its points: it uses the axis covering most of them.
                    covered, with_x = {}, {}
                    for a in dict.fromkeys((fine, *axes)):
                        if a in axes:
                            if dense_all:
                                covered[a] = n_finite[a]
                            else:
                                with_x[a] = mask & finite[a]
                                covered[a] = int(np.count_nonzero(with_x[a]))
                    col_fine = max(covered, key=lambda a: (covered[a], a == fine))
                    if not dense_all:
                        mask = with_x[col_fine]
                    elif n_finite[col_fine] < hi - lo:
                        mask = finite[col_fine]
                if mask is None:  # all rows, all with a finite x
                    full = hi > lo
                    if not full:
                        continue
                else:
                    kept = covered[col_fine] if fine is not None else int(np.count_nonzero(mask))
                    if not kept:
                        continue
                    full = kept == hi - lo
                y = _rows_of(table, col, lo, hi, mask, full)
                kw = {}
                for axis in X_AXES:
                    if axis in axes:
                        xa = axes[axis][lo:hi]
                        if full:
                            kw[axis] = xa if n_finite[axis] else None
                        else:
                            xa = xa[mask]  # the rows kept have a finite x on their own axis
                            kw[axis] = xa if axis == col_fine or np.isfinite(xa).any() else None
                if held is not None:
                    by_rows.append((held, (col_fine, mask, full, kw)))
            series = Series(name=names[col], y=y, source_column=col, **kw)
            run.add(_finish(series, col_fine, col, run, x_facts))
        if not run.series:
            continue
        warn_if_roleless(run)
        runs.append(run)
    if not runs:
        raise LogFormatError("no values found in any column; expected numbers under the header", path=display)
    return runs
