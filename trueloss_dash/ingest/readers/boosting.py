"""Gradient-boosting console logs: XGBoost, LightGBM and CatBoost print one line per boosting round.

    XGBoost   [12]\ttrain-logloss:0.41203\teval-logloss:0.45117
    LightGBM  [12]\ttraining's binary_logloss: 0.41\tvalid_1's binary_logloss: 0.45
    CatBoost  12:\tlearn: 0.4120300\ttest: 0.4511700\tbest: 0.4511700 (12)\ttotal: 610ms\tremaining: 4.4s

Why a reader of its own: the round number in brackets made XGBoost and LightGBM logs look like JSON
arrays, and the ``<set>-<metric>`` / ``<set>'s <metric>`` names carry both the split and the metric,
which the generic text grammar cannot take apart. Each evaluation set becomes a split by its name
(``train`` / ``training`` / ``learn`` are the training data; ``eval``, ``valid*``, ``validation*``,
``test`` are held out); the first loss-like metric of a set (logloss, rmse, l2, ...) is its loss
(``train_loss`` / ``val_loss``), every other metric is kept as ``<split>/<metric>``. The x axis is the
boosting round (``step``). A line that repeats an earlier round (LightGBM's "best iteration is:" echo)
is left out.
"""

from __future__ import annotations

import re

import numpy as np

from ...columns import BOOSTING_LOSS_METRICS, TRAIN_LOSS, VAL_LOSS
from ..registry import Reader
from ..source import Source
from ..table import Table, table_to_runs

_NUM = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|-?nan|-?inf"
_XGB_LINE = re.compile(rf"^\[(\d+)\]((?:\s+[\w.]+-[\w@.:+-]*?:(?:{_NUM}))+)\s*$", re.I)
_XGB_PAIR = re.compile(rf"([\w.]+?)-([\w@.:+-]+?):({_NUM})(?=\s|$)", re.I)
_LGB_LINE = re.compile(rf"^\[(\d+)\]((?:\s+[\w.-]+'s [\w@.:+-]+: ?(?:{_NUM}))+)\s*$", re.I)
_LGB_PAIR = re.compile(rf"([\w.-]+)'s ([\w@.:+-]+): ?({_NUM})(?=\s|$)", re.I)
_CAT_LINE = re.compile(rf"^(\d+):\s+learn: ?({_NUM})((?:\s+test\d*: ?(?:{_NUM}))*)(?:\s+best: ?({_NUM}) \((\d+)\))?(?:\s+total:.*)?$", re.I)
_CAT_TEST = re.compile(rf"(test\d*): ?({_NUM})", re.I)

_TRAIN_SETS = ("train", "training", "learn", "dtrain", "trn")
_HELD_OUT = ("eval", "valid", "validation", "val", "test", "dtest", "dvalid", "dval", "holdout")


def _kind(line: str) -> str | None:
    if _XGB_LINE.match(line):
        return "xgboost"
    if _LGB_LINE.match(line):
        return "lightgbm"
    if _CAT_LINE.match(line):
        return "catboost"
    return None


def _lines(text: str) -> list[tuple[int, str]]:
    return [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), start=1) if ln.strip()]


def sniff(sample) -> int:
    if sample.binary:
        return 0
    kinds = [_kind(ln.strip()) for ln in sample.lines[:400] if ln.strip()]
    hits = [k for k in kinds if k]
    # rounds are most of the file's lines (LightGBM prints [Info]/[Warning] banners first); the line shape is
    # specific enough to win over a tab-separated table with no header, which is what it also is
    if len(hits) < 3 or len(set(hits)) != 1 or len(hits) < 0.5 * len(kinds):
        return 0
    return 92 if len(hits) >= 0.8 * len(kinds) else 75


def _split_of(name: str, names: list[str], library: str) -> str | None:
    """'train', 'val' or None (an evaluation set that could be either) for an evaluation set's name."""
    low = name.lower()
    if low in _TRAIN_SETS:
        return "train"
    if library == "xgboost" and set(n.lower() for n in names) == {"validation_0", "validation_1"}:
        # the scikit-learn API names eval_set entries by position; eval_set=[(X_train, y_train), (X_val, y_val)]
        # is the usual idiom, so the first is the training data
        return "train" if low == "validation_0" else "val"
    if low.rstrip("_0123456789") in _HELD_OUT or low.startswith(_HELD_OUT):
        return "val"
    return None


def _loss_metric(metrics: list[str]) -> str | None:
    for m in metrics:
        if m.lower().split("@")[0] in BOOSTING_LOSS_METRICS:
            return m
    return None


def read(source: Source) -> list:
    rows = _lines(source.text())
    library = None
    records: list[tuple[int, dict[tuple[str, str], float]]] = []  # (round, {(set, metric): value})
    best_track: list[tuple[float, float]] = []  # CatBoost (test value, best value) pairs
    repeats = 0
    after_best = False  # the line before said "best iteration is:" (LightGBM's echo of that round follows)
    for number, line in rows:
        kind = _kind(line)
        if kind is None:
            after_best = "best iteration" in line.lower()
            continue
        if library is None:
            library = kind
        if kind != library:
            raise source.error(f"a {kind} line among {library} lines: {line[:60]!r}; expected one library's log", row=number)
        if kind == "catboost":
            m = _CAT_LINE.match(line)
            rnd, values = int(m.group(1)), {("learn", "loss"): float(m.group(2))}
            for name, v in _CAT_TEST.findall(m.group(3) or ""):
                values[(name, "loss")] = float(v)
            if m.group(4) is not None and ("test", "loss") in values:
                best_track.append((values[("test", "loss")], float(m.group(4))))
        else:
            pair = _XGB_PAIR if kind == "xgboost" else _LGB_PAIR
            m = (_XGB_LINE if kind == "xgboost" else _LGB_LINE).match(line)
            rnd = int(m.group(1))
            values = {(s, metric): float(v) for s, metric, v in pair.findall(m.group(2))}
        if after_best and records and rnd <= records[-1][0]:
            repeats += 1  # an echo of an earlier round, not a new training (a new one starts over without it)
            after_best = False
            continue
        after_best = False
        records.append((rnd, values))
    if len(records) < 1 or library is None:
        raise source.error("no boosting-round lines; expected XGBoost '[0]\\ttrain-logloss:0.6', LightGBM "
                           "\"[1]\\tvalid_0's l2: 0.4\" or CatBoost '0:\\tlearn: 0.6\\ttest: 0.6' lines")
    keys: list[tuple[str, str]] = []
    for _, values in records:
        keys += [k for k in values if k not in keys]
    sets = list(dict.fromkeys(s for s, _ in keys))
    notes = [f"{library} console log: one line per boosting round (the x axis, as steps)"]
    if repeats:
        notes.append(f"{repeats} line(s) repeating an earlier round (a 'best iteration' echo) left out")
    names: dict[tuple[str, str], str] = {}
    roles_taken: set[str] = set()
    catboost_metric = library == "catboost" and bool(best_track) and _best_is_max(best_track)
    splits = {s: _split_of(s, sets, library) for s in sets}
    for s in sets:
        split = splits[s]
        metrics = [mm for ss, mm in keys if ss == s]
        loss = ("loss" if not catboost_metric else None) if library == "catboost" else _loss_metric(metrics)
        # a split shared by several sets (valid_0 and valid_1) keeps the set's own name on its other series
        prefix = split if split and list(splits.values()).count(split) == 1 else s
        for metric in metrics:
            role = {"train": TRAIN_LOSS, "val": VAL_LOSS}.get(split) if metric == loss else None
            if role is not None and role not in roles_taken:
                names[(s, metric)] = role
                roles_taken.add(role)
                what = "the training" if role == TRAIN_LOSS else "the validation"
                notes.append(f"{s}" + (f"-{metric}" if library == "xgboost" else f"'s {metric}" if library == "lightgbm" else "")
                             + f" read as {what} loss")
            else:
                names[(s, metric)] = f"{prefix}/{'metric' if catboost_metric else metric}"
    if library == "xgboost" and set(s.lower() for s in sets) == {"validation_0", "validation_1"}:
        notes.append("validation_0 read as the training set and validation_1 as the validation set (the usual "
                     "eval_set=[(X_train, y_train), (X_val, y_val)]); map the roles if yours differ")
    if catboost_metric:
        raise source.error("the CatBoost log's learn/test values are a higher-is-better metric (its 'best' value is their "
                           "running maximum: AUC, accuracy ...), not a loss; expected a log of the loss - CatBoost prints "
                           "its eval_metric, so train with eval_metric set to the loss (e.g. 'Logloss', 'RMSE')")
    table = Table(first_row=1, row_label="line")
    table.add("step", np.array([float(r) for r, _ in records]))
    for key in keys:
        vals = np.array([values.get(key, np.nan) for _, values in records])
        present = np.array([key in values for _, values in records])
        table.add(names[key], vals, present)
    return table_to_runs(table, name=source.stem, source=source.display, format="boosting_log",
                         notes=notes + source.notes, index_as_epoch=False)


def _best_is_max(track: list[tuple[float, float]]) -> bool:
    """CatBoost prints the best test value so far: a running maximum means a higher-is-better metric."""
    tests = np.array([t for t, _ in track])
    best = np.array([b for _, b in track])
    return bool(len(tests) >= 2 and np.allclose(best, np.maximum.accumulate(tests), rtol=1e-6)
                and not np.allclose(best, np.minimum.accumulate(tests), rtol=1e-6))


READERS = [Reader("boosting_log", sniff, read, "XGBoost / LightGBM / CatBoost console log (one line per boosting round)")]
