"""A log that holds a perplexity and no loss (NMT / OpenNMT-style "ppl: 16615.48", "Validation perplexity:
16193.5"): its loss is ln(perplexity) - a perplexity is exp of the per-token cross-entropy loss, so the log
is that loss exactly, not an approximation. Used only when no column looks like a loss, and said in a note.
"""

from __future__ import annotations

import numpy as np

from ..columns import looks_like_loss, perplexity_role


def losses_from_perplexity(table, value_cols: list[str], notes: list[str]) -> list[str]:
    """Add train_loss / val_loss columns as ln of the perplexity columns when no column is a loss;
    returns the value columns to read (the perplexities stay as extra series)."""
    if any(looks_like_loss(c) for c in value_cols):
        return value_cols
    made: dict[str, str] = {}
    for col in value_cols:
        role = perplexity_role(col)
        if role is None or role in made or role in table.names:
            continue
        values, present = table.dense(col)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)
        table.add(role, logs, present)
        made[role] = col
    for role, col in made.items():
        notes.append(f"no loss column: {role} is ln('{col}') - a perplexity is exp of the per-token "
                     "cross-entropy loss, so its logarithm is that loss")
    return value_cols + list(made)
