"""Histories whose keys name a phase of training, not a measure.

* JSON dicts keyed by phase: ``{"train": [...], "val": [...]}`` (also ``valid``, ``validation``, ``eval``,
  ``test``, ``dev``); nested ``{"train": {"loss": [...], "acc": [...]}, "valid": {...}}`` - the phase is the
  outer key, the measure the inner one - and the transposed ``{"loss": {"train": [...], "val": [...]}}``.
  A phase's inner key that is an error measure (``l2``, ``mse``, ``nll``, ...) is that phase's loss when
  it is the phase's only error measure and no key says ``loss`` (said in a note); several such measures
  (``l1`` and ``l2``) load as role-less losses ``<phase>_<measure>_loss`` for the role picker.
* Tables (pandas ``,Training,Validation``, ``epoch,train,val``) and flat phase dicts whose loss columns are
  named only by their phase: those columns become ``train_loss`` / ``val_loss`` only when the file name
  says loss (``training_losses.csv``, ``loss_history.json``), or when nothing but an epoch/step/index
  column stands beside them, the file name names no other metric (``accuracy.json`` keeps them as they
  are) and none of them rises overall (an accuracy or a score). The phase words and measure names are in :mod:`trueloss_dash.columns`.
* JSON lists of headerless rows ``[[200, 5.95, 6.02], ...]`` in a file whose name says loss: the first
  column, when it counts up in whole numbers, is the step (the epoch when it counts 0/1, 1/2, ...); one
  column beside it is the loss; two are read as the training then the validation loss - the usual order
  of ``[step, train_loss, val_loss]``, a guess the file cannot confirm, said in a warning; more stay
  role-less ``loss_1``, ``loss_2``, ... for the role picker.
"""

from __future__ import annotations

import math

import numpy as np

from ..columns import (
    canonical_x,
    is_error_measure,
    looks_like_loss,
    phase_word,
    stem_names_other_metric,
    stem_says_loss,
)
from .records import scalar

_MIN_LEN = 2


def _number_list(value) -> bool:
    return (isinstance(value, list) and len(value) >= _MIN_LEN
            and all(scalar(x) is not None or x is None for x in value))


def _number_lists(d) -> dict[str, list] | None:
    """The number lists of a dict when it holds at least one and nothing but number lists and scalars."""
    if not isinstance(d, dict):
        return None
    lists = {str(k): v for k, v in d.items() if _number_list(v)}
    if not lists or any(not (_number_list(v) or scalar(v) is not None) for v in d.values()):
        return None
    return lists


def _feature_measures(d) -> dict[str, list] | None:
    """A phase of Ludwig's ``training_statistics.json`` - ``{"combined": {"loss": [...]}, "<output feature>":
    {"loss": [...], "accuracy": [...]}}``, one value per epoch: the ``combined`` lists (the loss the model
    is trained on), and, when there is one output feature, its other measures (accuracy, ...) beside them.
    None for any other shape; a phase whose lists are all empty (never evaluated) holds nothing."""
    if not isinstance(d, dict) or not isinstance(d.get("combined"), dict) or not all(isinstance(v, dict) for v in d.values()):
        return None
    combined = {str(k): v for k, v in d["combined"].items() if _number_list(v)}
    if not combined:
        return None
    features = [k for k in d if k != "combined"]
    if len(features) == 1:
        for k, v in d[features[0]].items():
            if _number_list(v) and str(k) not in combined and not looks_like_loss(str(k)):
                combined[str(k)] = v
    return combined


def _measure_names(phase: str, measures: dict[str, list], notes: list[str]) -> dict[str, list]:
    """``<phase>_<measure>`` columns; a lone error measure of a phase with no 'loss' is ``<phase>_loss``."""
    out: dict[str, list] = {}
    errors = [m for m in measures if is_error_measure(m)]
    lone = errors[0] if len(errors) == 1 and not any(looks_like_loss(m) for m in measures if m != errors[0]) else None
    for measure, values in measures.items():
        if measure == lone and "loss" not in measure.lower():
            notes.append(f"'{phase}' holds no 'loss': its error measure '{measure}' is read as the {phase} loss")
            out[f"{phase}_loss"] = values
        elif measure in errors and lone is None and not any(looks_like_loss(m) for m in measures):
            out[f"{phase}_{measure}_loss"] = values  # several error measures: losses whose role the user picks
        else:
            out[f"{phase}_{measure}"] = values
    return out


def phase_keyed_columns(whole: dict) -> tuple[dict[str, list], list[str]] | None:
    """Columns of a JSON dict keyed by phase (see the module doc), with the notes that say how they
    were named; None when the dict is not keyed by phase. Flat phase lists keep their bare phase name
    (:func:`phase_loss_renames` decides, from the file name, whether they are losses)."""
    if not isinstance(whole, dict) or not whole:
        return None
    notes: list[str] = []
    phases = [k for k in whole if phase_word(str(k)) is not None]
    if phases:
        cols: dict[str, list] = {}
        for phase in phases:
            value = whole[phase]
            if _number_list(value):
                cols[str(phase)] = value
            elif (inner := _number_lists(value)) is not None:
                cols.update(_measure_names(str(phase), inner, notes))
            elif (inner := _feature_measures(value)) is not None:
                cols.update(_measure_names(str(phase), inner, notes))
        if not cols:
            return None
        if any(isinstance(whole[p], dict) and "combined" in whole[p] for p in phases):
            notes.append("Ludwig training statistics (phase -> output feature -> metric lists): each phase's "
                         "'combined' loss is read as its loss")
        for key, value in whole.items():  # number lists beside the phases (an epoch list, a 'loss') stay columns
            if key not in phases and _number_list(value) and str(key) not in cols:
                cols[str(key)] = value
        return cols, notes
    # transposed: {"loss": {"train": [...], "val": [...]}, "acc": {...}}
    by_measure = {k: v for k, v in whole.items() if isinstance(v, dict)}
    inner = {m: _number_lists(v) for m, v in by_measure.items()}
    inner = {m: v for m, v in inner.items() if v is not None and all(phase_word(p) is not None for p in v)}
    if not inner:
        return None
    per_phase: dict[str, dict[str, list]] = {}
    for measure, lists in inner.items():
        for phase, values in lists.items():
            per_phase.setdefault(phase, {})[str(measure)] = values
    cols = {}
    for phase, measures in per_phase.items():
        cols.update(_measure_names(phase, measures, notes))
    return cols, notes


def phase_loss_renames(names: list[str], stem: str, rises=lambda column: False) -> tuple[dict[str, str], str | None]:
    """``{column: train_loss | val_loss | test_loss}`` for columns named only by their phase, with the
    note that says so; empty when the file does not say they are losses (see the module doc). Without a
    file name that says loss, a column that ``rises`` (an accuracy, a score) keeps its name."""
    phased = {c: phase_word(c) for c in names if phase_word(c) is not None}
    if not phased or any(looks_like_loss(c) for c in names if c not in phased):
        return {}, None
    if len(set(phased.values())) < len(phased) or any(new in names for new in phased.values()):
        return {}, None  # two columns for one phase ('train' and 'training'): which is which is not ours to say
    others = [c for c in names if c not in phased and canonical_x(c) is None and c.strip() and not c.startswith("Unnamed")]
    if stem_says_loss(stem):
        why = f"the file name '{stem}' says loss"
    elif not others and not stem_names_other_metric(stem) and not any(rises(c) for c in phased):
        why = "they are the file's only numbers besides its x axis"
    else:
        return {}, None
    listed = ", ".join(f"'{c}' as {new}" for c, new in phased.items())
    return phased, f"columns named only by their phase read as that phase's loss ({why}): {listed}"


def headerless_rows(data, stem: str) -> tuple[list[dict], list[str]] | None:
    """Records of a JSON list of equal-length number rows with a counter first (see the module doc),
    with the warnings that say how the columns were named; None for other lists or file names."""
    if not isinstance(data, list) or len(data) < _MIN_LEN or not stem_says_loss(stem):
        return None
    width = len(data[0]) if isinstance(data[0], list) else 0
    if width < 2 or any(not isinstance(r, list) or len(r) != width or any(scalar(x) is None for x in r) for r in data):
        return None
    counter = [scalar(r[0]) for r in data]
    if any(not math.isfinite(c) or c != int(c) for c in counter) or any(b <= a for a, b in zip(counter, counter[1:])):
        return None
    unit = "epoch" if all(b - a == 1 for a, b in zip(counter, counter[1:])) and counter[0] in (0, 1) else "step"
    rest = width - 1
    warnings = []
    if rest == 1:
        names = ["loss"]
    elif rest == 2:
        names = ["train_loss", "val_loss"]
        warnings.append(f"rows of [{unit}, a, b] with no names (file '{stem}'): column 2 read as the training loss and "
                        "column 3 as the validation loss - the usual order, a guess the file cannot confirm; "
                        "swap their roles if it is the other way round")
    else:
        names = [f"loss_{i}" for i in range(1, rest + 1)]
    records = [{unit: scalar(r[0]), **{n: scalar(v) for n, v in zip(names, r[1:])}} for r in data]
    return records, warnings


def rename_table_columns(table, renames: dict[str, str]) -> None:
    """Rename a :class:`..table.Table`'s columns in place, keeping their order."""
    if not renames:
        return
    table.columns = {renames.get(k, k): v for k, v in table.columns.items()}
    table.present = {renames.get(k, k): v for k, v in table.present.items()}
    table.packed = {renames.get(k, k): v for k, v in table.packed.items()}
    table.sparse = {renames.get(k, k): v for k, v in table.sparse.items()}


def name_phase_columns(table, stem: str, notes: list[str]) -> None:
    """Give a table's phase-named columns their loss names when the file says they are losses."""
    def rises(column: str) -> bool:  # the median of the last third above that of the first: not a loss
        values, present = table.dense(column)
        y = values[present & np.isfinite(values)]
        k = len(y) // 3
        return k > 0 and float(np.median(y[-k:])) > float(np.median(y[:k]))

    renames, note = phase_loss_renames(list(table.names), stem, rises)
    if renames:
        rename_table_columns(table, renames)
        notes.append(note)

