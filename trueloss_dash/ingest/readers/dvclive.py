"""DVCLive: ``plots/metrics/<name>.tsv`` files (``step<TAB>name`` or ``timestamp<TAB>step<TAB>name``).

One TSV holds one metric; a DVCLive directory is read by merging every TSV under
``plots/metrics`` (the relative path is the metric name, e.g. ``train/loss``). Duplicated rows
(the HF integration logs eval metrics twice) are removed with a warning by the normaliser.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...columns import EPOCH, STEP, canonical_x
from ...errors import LogFormatError
from ...run import Run
from ..delimited import read_table
from ..hparams import context_from_params, parse_yaml
from ..onecurve import give_measure_roles
from ..registry import Reader
from ..safe_read import read_side_text
from ..source import Source
from ..table import Table, table_to_runs

_BOOKKEEPING = {"step", "timestamp"}


def sniff(sample) -> int:
    header = sample.header
    if header is None or header.delimiter != "\t":
        return 0
    cols = [c.lower() for c in header.columns]
    if len(cols) == 2 and cols[0] == "step" or len(cols) == 3 and cols[:2] == ["timestamp", "step"]:
        return 80
    return 0


def read(source: Source) -> list[Run]:
    table, header, notes, warnings = read_table(source)
    _timestamps_to_seconds(table)
    return table_to_runs(
        table, name=source.stem, source=source.display, format="dvclive", context=header.context,
        notes=notes, warnings=warnings,
    )


def _timestamps_to_seconds(table: Table) -> None:
    if "timestamp" in table.columns:
        ts = table.columns.pop("timestamp")
        table.present.pop("timestamp", None)
        table.add("wall_time", ts / 1000.0 if np.nanmax(ts) > 1e11 else ts)


def read_directory(root: Path, max_bytes: int, read_source) -> list[Run]:
    """A DVCLive output dir (holding ``plots/metrics``): every metric TSV merged into one run."""
    metrics_dir = root / "plots" / "metrics"
    files = sorted(p for p in metrics_dir.rglob("*.tsv") if p.is_file())
    if not files:
        raise LogFormatError("no metric .tsv files under plots/metrics", path=str(root))
    run = Run(name=root.parent.name if root.name == "dvclive" else root.name, source=str(root), format="dvclive")
    epoch_of_step: dict[float, float] = {}
    for path in files:
        metric = path.relative_to(metrics_dir).with_suffix("").as_posix()
        src = read_source(path, max_bytes)
        table, header, notes, warnings = read_table(src)
        _timestamps_to_seconds(table)
        value_cols = [c for c in table.columns if c.lower() not in _BOOKKEEPING and c != "wall_time"]
        if all(canonical_x(c) in (STEP, EPOCH) for c in value_cols):
            # bookkeeping, not a metric: HF's DVCLiveCallback writes epoch.tsv (step -> epoch), an axis
            # for the other files; Lightning's logger a train/step.tsv holding the step alone
            epoch_col = next((c for c in value_cols if canonical_x(c) == EPOCH), None)
            if epoch_col is not None and "step" in table.columns:
                steps, present = table.dense("step")
                epochs, has = table.dense(epoch_col)
                epoch_of_step.update((float(a), float(b)) for a, b, ok in zip(steps, epochs, present & has) if ok)
            else:
                run.note(f"{metric}.tsv holds only an axis ({', '.join(table.columns)}): not a metric, skipped")
            continue
        if len(value_cols) == 1 and value_cols[0] != metric:
            table.columns = {(metric if c == value_cols[0] else c): v for c, v in table.columns.items()}
            table.present = {(metric if c == value_cols[0] else c): v for c, v in table.present.items()}
        for part in table_to_runs(
            table, name=run.name, source=str(path), format="dvclive", notes=notes, warnings=warnings,
            require_loss=False, split_restarts=False,
        ):
            for s in part.series.values():
                if s.name in run.series:
                    s.name = metric
                run.add(s)
            for n in part.notes:
                run.note(n)
            for w in part.warnings:
                run.warn(w)
    give_measure_roles(run)  # one metric per file: eval/cross_entropy.tsv is judged beside the others
    if epoch_of_step:
        _add_epochs(run, epoch_of_step)
    params = root / "params.yaml"
    if params.is_file():
        try:
            run.context = context_from_params(parse_yaml(read_side_text(params, root), str(params)))
            run.note("hyper-parameters read from params.yaml")
        except LogFormatError as err:
            run.warn(f"params.yaml ignored: {err.message}")
    return [run]


def _add_epochs(run: Run, epoch_of_step: dict[float, float]) -> None:
    """Give each series the epochs of its steps when epoch.tsv lists every one of them."""
    given = 0
    for s in run.series.values():
        if s.step is None or s.epoch is not None:
            continue
        got = [epoch_of_step.get(float(v)) for v in s.step]
        if all(e is not None for e in got):
            s.epoch = np.asarray(got, dtype=float)
            given += 1
    run.note("epoch.tsv (step -> epoch) read as the epoch axis" + (f" of {given} series" if given else
                                                                     ", but it lists none of the series' steps"))


READERS = [Reader("dvclive", sniff, read, "DVCLive plots/metrics/*.tsv")]
