"""CSV downloads from dashboards and tidy tables: W&B panel export, TensorBoard's per-tag CSV,
long-format (metric/split/value) tables.

* W&B: ``Step, <run> - train/loss, <run> - train/loss__MIN, <run> - train/loss__MAX, ...``; one Run
  per ``<run>`` prefix, the ``__MIN``/``__MAX`` band columns (W&B's downsampling envelope) dropped.
* TensorBoard: ``Wall time,Step,Value`` - one tag per file; the tag comes from the file name
  (``run-version_0-tag-train_loss.csv`` -> ``train_loss``). Several such files from one run, uploaded
  together or lying in one folder, are merged into one Run by :func:`..onecurve.merge_one_curve_files`.
* Long format: a ``metric`` (or ``name``/``key``/``tag``) column, an optional ``split``/``phase``/
  ``stage`` column, a ``value`` column and an x column (step/epoch); pivoted to one series per
  ``split/metric``.
"""

from __future__ import annotations

import re

import numpy as np

from ...columns import canonical_x, fold
from ...run import Run
from ..delimited import read_table
from ..onecurve import MERGE_KEY, MERGE_NAME, merge_one_curve_files
from ..registry import Reader
from ..source import Source
from ..table import Table, points_to_run, restart_points, table_to_runs

_WANDB_COL = re.compile(r"^(?P<run>.+?) - (?P<metric>.+?)(?P<band>__MIN|__MAX)?$")
TB_CSV_FORMAT = "tensorboard_csv"


# -- W&B ----------------------------------------------------------------------------------------------
def sniff_wandb(sample) -> int:
    cols = sample.columns
    if len(cols) < 2:
        return 0
    paired = [c for c in cols if _WANDB_COL.match(c)]
    if len(paired) >= max(1, len(cols) - 2) and any(c.endswith(("__MIN", "__MAX")) for c in cols):
        return 90
    if len(paired) >= max(1, len(cols) - 2) and fold(cols[0]) in ("step", "epoch"):
        return 55
    return 0


def read_wandb(source: Source) -> list[Run]:
    table, header, notes, warnings = read_table(source)
    x_cols = [c for c in table.names if canonical_x(c) and not _WANDB_COL.match(c)]
    groups: dict[str, dict[str, str]] = {}
    bands = 0
    for col in table.names:
        m = _WANDB_COL.match(col)
        if m is None or col in x_cols:
            continue
        if m.group("band"):
            bands += 1
            continue
        groups.setdefault(m.group("run"), {})[m.group("metric")] = col
    if not groups:
        raise source.error(f"no '<run> - <metric>' columns in [{', '.join(table.names[:10])}]; expected a "
                           "W&B export such as 'Step, run-1 - train/loss, run-1 - train/loss__MIN'", row=1)
    if bands:
        notes.append(f"{bands} W&B __MIN/__MAX envelope columns dropped (the downsampling band)")
    runs: list[Run] = []
    problems = []
    for run_name, metrics in groups.items():
        sub = Table(first_row=table.first_row, row_label=table.row_label)
        for x in x_cols:
            sub.add(x, *table.dense(x))
        for metric, col in metrics.items():
            metric_name = metric if metric not in sub.columns else f"{metric} (value)"
            sub.add(metric_name, *table.dense(col))
        present_any = np.zeros(sub.nrows, dtype=bool)
        for metric in sub.columns:
            if metric not in x_cols:
                present_any |= sub.mask(metric)
        try:
            found = table_to_runs(sub, name=run_name.removeprefix("Group: "), source=source.display,
                                  format="wandb_csv", notes=notes + source.notes, warnings=warnings,
                                  split_restarts=False, require_loss=len(groups) == 1)
        except Exception as err:  # one run without values does not stop the others
            problems.append(f"{run_name}: {err}")
            continue
        runs.extend(r for r in found if r.series)
    if not runs:
        raise source.error("no W&B run in this export holds values" + (f" ({problems[0]})" if problems else ""))
    if problems:
        runs[0].note(f"{len(problems)} run(s) in the export had no values")
    return runs


# -- TensorBoard CSV ------------------------------------------------------------------------------------
def sniff_tensorboard(sample) -> int:
    return 95 if [fold(c) for c in sample.columns] == ["walltime", "step", "value"] else 0


def tag_and_run(stem: str) -> tuple[str, str]:
    """(tag, run) from a TensorBoard download name: ``run-version_0-tag-train_loss`` -> (train_loss, version_0)."""
    m = re.match(r"^run[-_](?P<run>.*?)[-_]tag[-_](?P<tag>.+)$", stem)
    if m:
        run = m.group("run") or "run"
        return m.group("tag"), "" if run == "." else run  # "." is the log directory itself: no run name
    return stem, ""


def read_tensorboard(source: Source) -> list[Run]:
    table, header, notes, warnings = read_table(source)
    names = {fold(c): c for c in table.names}
    step, value, wall = (table.dense(names[k])[0] for k in ("step", "value", "walltime"))
    tag, run = tag_and_run(source.stem)
    ok = np.isfinite(step)
    step, value, wall = step[ok], value[ok], wall[ok]
    notes = notes + [f"TensorBoard CSV: tag '{tag}' taken from the file name"] + source.notes
    # Rows in wall-time order whose step falls back to where the run began: fresh trainings written
    # to one log directory. Sorting them by step would interleave the runs and overwrite steps.
    in_order = len(wall) > 1 and bool(np.all(np.diff(wall[np.isfinite(wall)]) >= 0))
    cuts = restart_points(step) if in_order else []
    bounds = [0, *cuts, len(step)]
    if cuts:
        where = ", ".join(f"row {c + 2} (step {step[c - 1]:g} -> {step[c]:g})" for c in cuts[:5])
        warnings = warnings + [f"the step falls back to the start at {where} while wall time goes on: "
                               f"{len(cuts) + 1} trainings in one log directory, split into separate runs"]
    out = []
    for part, (a, b) in enumerate(zip(bounds, bounds[1:]), start=1):
        points = {tag: {"y": value[a:b], "step": step[a:b], "wall_time": wall[a:b]}}
        key = run if part == 1 else f"{run} (part {part})"
        one = points_to_run(points, name=(run or tag) + ("" if part == 1 else f" (part {part})"),
                            source=source.display, format=TB_CSV_FORMAT, notes=notes, warnings=warnings,
                            require_loss=False)
        one.meta["tensorboard_csv_run"] = key
        one.meta[MERGE_KEY] = key  # one-tag files of one run merge (onecurve.merge_one_curve_files)
        if key:
            one.meta[MERGE_NAME] = key
        out.append(one)
    return out


def merge_tensorboard_csv(runs: list[Run]) -> list[Run]:
    """One Run per TensorBoard run out of many one-tag CSV downloads: the merge of every one-curve-per-file
    format, :func:`..onecurve.merge_one_curve_files` (kept under this name for its callers)."""
    return merge_one_curve_files(runs)


# -- long format ------------------------------------------------------------------------------------
_METRIC = ("metric", "name", "key", "tag", "series", "metricname")
_SPLIT = ("split", "phase", "stage", "subset", "mode", "set")
_VALUE = ("value", "val", "metricvalue", "y")


def _long_columns(cols: list[str]) -> tuple[str, str | None, str] | None:
    folded = {fold(c): c for c in cols}
    metric = next((folded[k] for k in _METRIC if k in folded), None)
    value = next((folded[k] for k in _VALUE if k in folded), None)
    if metric is None or value is None:
        return None
    split = next((folded[k] for k in _SPLIT if k in folded), None)
    return metric, split, value


def sniff_long(sample) -> int:
    cols = sample.columns
    found = _long_columns(cols)
    if found is None or not any(canonical_x(c) for c in cols):
        return 0
    return 70


def read_long(source: Source) -> list[Run]:
    import csv
    import io

    header_cols = _long_columns(read_table_header(source))
    if header_cols is None:
        raise source.error("expected columns 'metric' (or name/key/tag), 'value' and a step or epoch column", row=1)
    metric_col, split_col, value_col = header_cols
    from ..delimited import read_header

    header = read_header(source)
    body = "\n".join(source.text().splitlines()[header.header_line if header else 0:])
    reader = csv.DictReader(io.StringIO(body), delimiter=header.delimiter if header else ",")
    records: dict[str, dict[str, list[float]]] = {}
    x_cols = [c for c in (reader.fieldnames or []) if canonical_x(c)]
    bad = None
    for row_no, row in enumerate(reader, start=2):
        metric = (row.get(metric_col) or "").strip()
        if not metric:
            continue
        split = (row.get(split_col) or "").strip() if split_col else ""
        name = f"{split}/{metric}" if split and split.lower() not in metric.lower() else metric
        try:
            y = float((row.get(value_col) or "").strip())
        except ValueError:
            bad = bad or (row_no, row.get(value_col))
            continue
        rec = records.setdefault(name, {"y": []} | {canonical_x(x): [] for x in x_cols})
        if sum(len(r["y"]) for r in records.values()) > 5_000_000:
            raise source.error("more than 5,000,000 long-format rows; expected a training log", row=row_no)
        rec["y"].append(y)
        for x in x_cols:
            try:
                rec[canonical_x(x)].append(float(row.get(x) or "nan"))
            except ValueError:
                rec[canonical_x(x)].append(float("nan"))
    if not records:
        raise source.error("no metric rows; expected rows like 'step,metric,split,value' = '10,loss,train,0.52'")
    warnings = []
    if bad:
        warnings.append(f"row {bad[0]}, column '{value_col}': found {bad[1]!r}, expected a number; such rows skipped")
    points = {k: {a: np.asarray(v, dtype=np.float64) for a, v in rec.items()} for k, rec in records.items()}
    run = points_to_run(points, name=source.stem, source=source.display, format="long_csv", warnings=warnings,
                        notes=[f"long-format table pivoted: {len(points)} series from '{metric_col}'"
                               + (f" and '{split_col}'" if split_col else "")] + source.notes)
    return [run]


def read_table_header(source: Source) -> list[str]:
    from ..delimited import read_header

    header = read_header(source)
    return header.columns if header else []


READERS = [
    Reader("wandb_csv", sniff_wandb, read_wandb, "Weights & Biases panel CSV export"),
    Reader(TB_CSV_FORMAT, sniff_tensorboard, read_tensorboard, "TensorBoard scalar CSV download (Wall time,Step,Value)"),
    Reader("long_csv", sniff_long, read_long, "long-format CSV (metric, split, value, step)"),
]
