"""Loss columns that hold one value on every row: a number repeated, not a curve measured every epoch.

A results table often broadcasts a summary beside the per-epoch history - the untrained model's loss in
a ``Base Loss`` column, the final test loss in ``test_loss`` beside the per-epoch ``test_loss_epochs``.
Read as a loss role, such a column is a flat line that the checks then judge (a 'validation' that never
moved, a true training loss far above validation). These rules take the role away, with a note.
"""

from __future__ import annotations

import numpy as np

from ..columns import TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS, fold, looks_like_loss


def stuck_value(table, col: str) -> float | None:
    """The one value a column holds on every row (more than two rows), else None."""
    dense, present = table.dense(col)
    values = dense if present.all() else dense[present]  # (a full column is not copied)
    return float(values[0]) if len(values) > 2 and np.all(values == values[0]) else None


def set_constant_losses_apart(table, value_cols: list[str], names: dict[str, str], notes: list[str]) -> None:
    _set_constant_true_loss_apart(table, value_cols, names, notes)
    for role in (VAL_LOSS, TRAIN_LOSS):
        _hand_role_to_moving_twin(table, value_cols, names, notes, role)


def _set_constant_true_loss_apart(table, value_cols: list[str], names: dict[str, str],
                                  notes: list[str]) -> None:
    """A true-training-loss column (``Base Loss``) that holds one value on every row while the training
    loss moves is a reference repeated on each row (the untrained model's loss, measured once), not a
    curve measured every epoch: it loses the role and is kept as an extra series under its own name."""
    col = next((c for c in value_cols if names[c] == TRUE_TRAIN_LOSS), None)
    train = next((c for c in value_cols if names[c] == TRAIN_LOSS), None)
    if col is None or train is None:
        return
    stuck = stuck_value(table, col)
    if stuck is None or stuck_value(table, train) is not None:
        return
    names[col] = col
    notes.append(f"'{col}' is {stuck:g} on every row while '{train}' moves: a reference value repeated on each "
                 f"row (such as the untrained model's loss), not a true training loss measured every epoch; "
                 "kept as an extra series")


def _hand_role_to_moving_twin(table, value_cols: list[str], names: dict[str, str], notes: list[str],
                              role: str) -> None:
    """The column holding ``role`` repeats one value on every row while exactly one role-less loss column
    named after it (``test_loss`` -> ``test_loss_epochs``, ``val_loss`` -> ``val_loss_history``) moves: the
    repeated one is the run's final summary, the twin its per-epoch curve - the twin takes the role
    (bperosa: the final test loss 0.02476 on all 15 rows beside the per-epoch 0.0348 -> 0.02476)."""
    col = next((c for c in value_cols if names[c] == role), None)
    if col is None:
        return
    stuck = stuck_value(table, col)
    if stuck is None:
        return
    key = fold(col)
    twins = [c for c in value_cols if names[c] == c and c != col and fold(c).startswith(key) and looks_like_loss(c)
             and stuck_value(table, c) is None and table.dense(c)[1].sum() > 2]
    if len(twins) != 1:
        return
    twin = twins[0]
    names[twin], names[col] = role, col
    notes.append(f"'{col}' is {stuck:g} on every row (a final summary repeated), while '{twin}' moves from row to "
                 f"row: '{twin}' is used as {role}, '{col}' kept as an extra series")
