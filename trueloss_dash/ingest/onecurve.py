"""Formats that hold one curve per file, merged into one Run per training run.

TensorBoard's "Download CSV" (one tag per file) and files of bare numbers (``train_loss.csv`` and
``val_loss.csv`` written by ``np.savetxt``) say what a run is only together: several such files
uploaded at once or lying in one folder are one run. A reader of such a format marks each Run it
returns in ``meta``:

* ``merge_key`` - files of the same format with the same key belong to one run (TensorBoard: the
  run named in the file name; bare numbers: the folder the file lies in, "" for an upload);
* ``merge_name`` - optional, the merged run's name (TensorBoard's run name);
* ``unnamed_curves`` - series whose file name gave them no role (``history.csv``, ``cost.txt``);
* ``headerless_table`` - set by the CSV reader on a table with no header line whose columns are unnamed
  curves (not merged; a folder scan sets such a file aside when it holds no loss, as a numbers file);
* ``x_is_position`` - the series' x is each value's position in the file (no epoch or step was
  written), so files of different lengths are lined up by position only.

:func:`merge_one_curve_files` is called wherever files of one batch come together: a folder
(``load_directory``, a .zip upload) and a multi-file upload (the Runs page). A lone unnamed curve
is read as the training loss when it plainly is one (:func:`read_lone_curve_as_loss`); merging
undoes that guess and makes it again for the merged run.
"""

from __future__ import annotations

from pathlib import PurePath

import numpy as np

from ..columns import CANONICAL_SERIES, LOSS_SERIES, TRAIN_LOSS, measure_roles
from ..roles import warn_if_roleless
from ..run import Run

MERGE_KEY = "merge_key"
MERGE_NAME = "merge_name"
UNNAMED = "unnamed_curves"
HEADERLESS = "headerless_table"  # meta: a table with no header line whose columns are unnamed curves (generic_csv)
X_IS_POSITION = "x_is_position"
GUESSED = "read_as_train_loss"  # meta: the source column of a lone curve read as the training loss

# What the merge note calls the files of each format.
_FAMILY = {
    "tensorboard_csv": "TensorBoard CSV files (one tag each)",
    "bare_numbers": "files of bare numbers (one curve each)",
    "catboost_tsv": "CatBoost metric files (learn_error.tsv, test_error.tsv)",
}

# A lone curve reads as a loss when it has a few points, every finite value is > 0 and the median of
# its last third is at least this much below the median of its first third (a loss that falls
# overall; a one-line headerless row of mixed metrics such as "1,0.52,0.61,0.85" is not guessed) - or when
# it never rises and steps down several times (a best-so-far record of a minimised objective). An
# ingest heuristic, not a detector threshold: it only decides which role an unnamed curve gets.
LONE_LOSS_MIN_FALL = 0.05
LONE_LOSS_MIN_POINTS = 5
BEST_SO_FAR_MIN_DROPS = 3  # ... or when it never rises and steps down this many times (a best-so-far record)
_GUESS_NOTE = "one unnamed curve"
MAX_NOTED_FILES = 10  # a merged run repeats the notes of this many of its files


# A loss that reached zero is printed from float32 as tiny negatives (-1.19209e-07 = -2**-23): values no
# further below 0 than this many float32 roundings of the curve's largest value count as 0, not as a sign
# that the curve is no loss (a log-likelihood, a score).
FLOAT32_ROUNDINGS = 2


def _rounding(finite: np.ndarray) -> float:
    return FLOAT32_ROUNDINGS * float(np.finfo(np.float32).eps) * float(np.max(np.abs(finite)))


def _falls_like_a_loss(y: np.ndarray) -> tuple[bool, float, float]:
    finite = y[np.isfinite(y)]
    if len(finite) < LONE_LOSS_MIN_POINTS or not finite[0] > 0 or not np.all(finite >= -_rounding(finite)):
        return False, float("nan"), float("nan")
    k = max(1, len(finite) // 3)
    head, tail = float(np.median(finite[:k])), float(np.median(finite[-k:]))
    return tail <= head * (1.0 - LONE_LOSS_MIN_FALL) or _best_so_far(finite), head, tail


def _best_so_far(finite: np.ndarray) -> bool:
    """A record of the best value so far, minimised (an evolutionary search's best fitness, ``np.minimum.
    accumulate`` of a loss): a staircase that never rises and steps down at least ``BEST_SO_FAR_MIN_DROPS``
    times - an objective being minimised, however little it has fallen."""
    steps = np.diff(finite)
    return bool(np.all(steps <= 0)) and int(np.count_nonzero(steps < 0)) >= BEST_SO_FAR_MIN_DROPS


def read_lone_curve_as_loss(run: Run) -> None:
    """A run whose only series is an unnamed curve that plainly is a loss (all values > 0, falling
    overall): that curve becomes the training loss, with a note saying so and how to undo it.
    Anything else keeps its name; :func:`~trueloss_dash.roles.warn_if_roleless` then asks for a role."""
    unnamed = [n for n in run.meta.get(UNNAMED, ()) if n in run.series]
    if len(run.series) != 1 or len(unnamed) != 1 or any(n in run.series for n in LOSS_SERIES):
        return
    name = unnamed[0]
    series = run.series[name]
    ok, head, tail = _falls_like_a_loss(series.y)
    if not ok:
        return
    src = series.source_column or name
    del run.series[name]
    series.name = TRAIN_LOSS
    series.source_column = src
    run.add(series)
    run.meta[GUESSED] = src
    finite = series.y[np.isfinite(series.y)]
    rounded = int(np.count_nonzero(finite <= 0))
    sign = f"all > 0 but {rounded:,} at 0 to float32 rounding (down to {finite.min():.3g})" if rounded else "all > 0"
    run.note(f"{_GUESS_NOTE} ('{src}', {len(series):,} values, {sign}, falling: median {head:.4g} over its first third, {tail:.4g} over its last) read as "
             f"the training loss: its file name names no role; assign another role with --role {src}=val_loss "
             "(or =none) on the CLI or in 'Series roles' on the page")
    warn_if_roleless(run)


def _undo_guess(run: Run) -> None:
    src = run.meta.pop(GUESSED, None)
    series = run.series.get(TRAIN_LOSS)
    if src is None or series is None or series.source_column != src:
        return
    del run.series[TRAIN_LOSS]
    series.name = src
    run.add(series)
    run.notes[:] = [n for n in run.notes if not n.startswith(_GUESS_NOTE)]


def note_unnamed(run: Run) -> None:
    """Unnamed curves beside a run's loss: kept as extra series, and the note says how to give them a role."""
    unnamed = [n for n in run.meta.get(UNNAMED, ()) if n in run.series and n not in CANONICAL_SERIES]
    if unnamed and any(n in run.series for n in LOSS_SERIES):
        listed = ", ".join(f"'{n}'" for n in unnamed[:5])
        run.note(f"{listed}: the file name names no role, kept as extra series (give one a role with "
                 f"--role {unnamed[0]}=train_loss or in 'Series roles')")


def _position_lengths(run: Run, members: list[Run]) -> None:
    lengths = {name: len(s) for m in members if m.meta.get(X_IS_POSITION) for name, s in m.series.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{n} {c:,}" for n, c in lengths.items())
        run.warn(f"the files are lined up by position only and hold different numbers of values ({listed}); "
                 "if one holds a value per step and another a value per epoch, their x axes do not match")


def merge_one_curve_files(runs: list[Run]) -> list[Run]:
    """One Run per group of one-curve files (same format and ``merge_key``); other runs and lone
    files pass through unchanged, in their order."""
    groups: dict[tuple[str, str], list[Run]] = {}
    out: list[Run | tuple[str, str]] = []
    for run in runs:
        key = run.meta.get(MERGE_KEY, run.meta.get("tensorboard_csv_run"))  # (runs stored before merge_key)
        if key is None or run.format not in _FAMILY:
            out.append(run)
            continue
        group = (run.format, str(key))
        if group not in groups:
            out.append(group)
        groups.setdefault(group, []).append(run)
    merged = {group: members[0] if len(members) == 1 else _merge(group, members) for group, members in groups.items()}
    return [merged[item] if isinstance(item, tuple) else item for item in out]


def _merge(group: tuple[str, str], members: list[Run]) -> Run:
    fmt, key = group
    first = members[0]
    for member in members:
        _undo_guess(member)
    folders = {PurePath(r.source or "").parent.name for r in members}
    folder = folders.pop() if len(folders) == 1 else ""  # files of one folder: the folder names the run
    name = first.meta.get(MERGE_NAME) or folder or "+".join(
        sorted(next(iter(r.series.values())).source_column or r.name for r in members if r.series))[:80]
    meta = {MERGE_KEY: key, "files": len(members)}
    for k in (MERGE_NAME, X_IS_POSITION, "tensorboard_csv_run"):
        if k in first.meta:
            meta[k] = first.meta[k]
    unnamed = [n for m in members for n in m.meta.get(UNNAMED, ())]
    if unnamed:
        meta[UNNAMED] = list(dict.fromkeys(unnamed))
    run = Run(name=name, source=", ".join(r.source or "" for r in members)[:500], format=fmt,
              context=first.context, meta=meta)
    seen: set[str] = set()
    for i, member in enumerate(members):
        for series_name, series in member.series.items():
            if series_name in run.series:
                run.warn(f"'{series.source_column or series_name}' comes from two files; the later one is kept")
            run.add(series)
        for w in member.warnings:
            if w not in seen:
                seen.add(w)
                run.warn(w)
        for n in member.notes if i < MAX_NOTED_FILES else ():
            if n not in seen:
                seen.add(n)
                run.note(n)
    run.note(f"merged {len(members)} {_FAMILY[fmt]} into one run"
             + (f" (the notes of the first {MAX_NOTED_FILES} files kept)" if len(members) > MAX_NOTED_FILES else ""))
    if meta.get(X_IS_POSITION):
        _position_lengths(run, members)
    give_measure_roles(run)
    read_lone_curve_as_loss(run)
    warn_if_roleless(run)
    note_unnamed(run)
    return run


def give_measure_roles(run: Run) -> None:
    """One tag per file: the roles that depend on the other columns (a loss measure under its own name,
    a phase's only loss) are given once the files are merged."""
    free = [n for n in run.series if n not in CANONICAL_SERIES]
    for name, canon, note in measure_roles(free, {n for n in LOSS_SERIES if n in run.series}):
        series = run.series.pop(name)
        series.name = canon
        run.series[canon] = series
        run.note(note)
        warn_if_roleless(run)  # a file's own role-less warning may no longer hold
