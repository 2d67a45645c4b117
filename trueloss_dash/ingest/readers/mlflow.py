"""MLflow: the ``mlruns/`` file store (read directly, no mlflow needed) and tracking URIs (via
the optional ``mlflow`` client).

File store layout: ``mlruns/<experiment>/<run_id>/metrics/<key>`` with lines
``<unix_ms> <value> <step>``; ``params/<key>`` hold hyper-parameters; ``tags/mlflow.runName`` or
``meta.yaml`` the run name. Keys may contain ``/`` (stored as sub-directories).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...errors import LogFormatError
from ...run import Run
from ..hparams import context_from_params, parse_yaml
from ..registry import Reader
from ..safe_read import inside, read_capped, read_side_text
from ..source import Source
from ..table import points_to_run

_LINE = re.compile(r"^\s*(\d{9,})\s+(\S+)\s+(-?\d+)\s*$")


def sniff(sample) -> int:
    lines = sample.lines[:50]
    if lines and all(_LINE.match(ln) for ln in lines):
        return 90
    return 0


def _parse_metric(text: str, display: str) -> dict[str, np.ndarray]:
    ts, vals, steps = [], [], []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if not m:
            raise LogFormatError(
                f"found {line[:60]!r}, expected '<timestamp_ms> <value> <step>' (MLflow metric file)",
                path=display, row=i,
            )
        ts.append(float(m.group(1)))
        try:
            vals.append(float(m.group(2)))
        except ValueError:
            raise LogFormatError(f"found {m.group(2)!r}, expected a number", path=display, row=i) from None
        steps.append(float(m.group(3)))
    return {"y": np.array(vals), "step": np.array(steps), "wall_time": np.array(ts) / 1000.0}


def read(source: Source) -> list[Run]:
    """A single metric file (the file name is the metric key)."""
    points = {source.name: _parse_metric(source.text(), source.display)}
    return [points_to_run(points, name=source.name, source=source.display, format="mlflow")]


def is_run_dir(path: Path) -> bool:
    return (path / "metrics").is_dir()


def find_run_dirs(root: Path) -> list[Path]:
    """Run directories in an mlruns tree, an experiment dir, a run dir, or a run's metrics dir."""
    if root.name == "metrics" and is_run_dir(root.parent):
        return [root.parent]
    if is_run_dir(root):
        return [root]
    runs = []
    for pattern in ("*/metrics", "*/*/metrics", "*/*/*/metrics"):
        runs += [p.parent for p in sorted(root.glob(pattern)) if p.is_dir()]
    return [r for r in runs if not r.name.startswith(".") and r.parent.name != ".trash"]


def _files_in(folder: Path, run_dir: Path, skipped: list[str]) -> list[Path]:
    """Regular files under ``folder`` that resolve inside ``run_dir``; others are named in ``skipped``."""
    out = []
    for p in sorted(folder.rglob("*")):
        if p.is_symlink() and not inside(p, run_dir):
            skipped.append(f"{p.relative_to(run_dir).as_posix()} (a link out of the run folder)")
        elif p.is_file():
            out.append(p)
    return out


def read_run_dir(run_dir: Path, max_bytes: int) -> Run:
    """One run of an MLflow file store. Metric files are capped like any log; params, tags and
    meta.yaml are small companions (capped, never followed out of the run folder)."""
    metrics_dir = run_dir / "metrics"
    points = {}
    skipped: list[str] = []
    for f in _files_in(metrics_dir, run_dir, skipped):
        key = f.relative_to(metrics_dir).as_posix()
        points[key] = _parse_metric(read_capped(f, max_bytes).decode("utf-8", errors="replace"), str(f))
    params = {}
    if (run_dir / "params").is_dir():
        for f in _files_in(run_dir / "params", run_dir, skipped):
            try:
                params[f.relative_to(run_dir / "params").as_posix()] = read_side_text(f, run_dir).strip()
            except LogFormatError as err:
                skipped.append(f"{f.relative_to(run_dir).as_posix()} ({err.message})")
    name = run_dir.name
    tag = run_dir / "tags" / "mlflow.runName"
    meta_yaml = run_dir / "meta.yaml"
    meta = {"run_id": run_dir.name, "experiment": run_dir.parent.name}
    try:
        if tag.is_file():
            name = read_side_text(tag, run_dir).strip()[:200] or name
        elif meta_yaml.is_file():
            info = parse_yaml(read_side_text(meta_yaml, run_dir), str(meta_yaml))
            name = str(info.get("run_name") or name)[:200]
    except LogFormatError as err:
        skipped.append(f"run name not read ({err.message})")
    notes = ["MLflow file store run"]
    if params:
        notes.append(f"{len(params)} MLflow params read into the context")
    warnings = [f"not read: {', '.join(skipped[:10])}"] if skipped else []
    return points_to_run(
        points, name=name, source=str(run_dir), format="mlflow", display=str(run_dir),
        context=context_from_params(params) if params else None, notes=notes, warnings=warnings, meta=meta,
    )


def load_uri(tracking_uri: str, *, run_id: str | None = None, experiment: str | None = None) -> list[Run]:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise LogFormatError(
            "reading an MLflow tracking URI needs the mlflow client: pip install 'trueloss-dash[mlflow]' "
            "(an mlruns/ folder can be read without it)",
            path=tracking_uri,
        ) from None
    try:
        client = MlflowClient(tracking_uri=tracking_uri)
        if run_id:
            infos = [client.get_run(run_id)]
        else:
            if experiment:
                exp = client.get_experiment_by_name(experiment) or client.get_experiment(experiment)
                if exp is None:
                    raise LogFormatError(f"no experiment named {experiment!r}", path=tracking_uri)
                ids = [exp.experiment_id]
            else:
                ids = [e.experiment_id for e in client.search_experiments()]
            infos = client.search_runs(ids, max_results=200)
        runs = []
        for r in infos:
            points = {}
            for key in r.data.metrics:
                hist = client.get_metric_history(r.info.run_id, key)
                points[key] = {
                    "y": np.array([m.value for m in hist], dtype=np.float64),
                    "step": np.array([m.step for m in hist], dtype=np.float64),
                    "wall_time": np.array([m.timestamp for m in hist], dtype=np.float64) / 1000.0,
                }
            name = r.info.run_name or r.info.run_id
            try:
                runs.append(points_to_run(
                    points, name=name, source=f"{tracking_uri}#{r.info.run_id}", format="mlflow",
                    context=context_from_params(r.data.params) if r.data.params else None,
                    meta={"run_id": r.info.run_id, "experiment": r.info.experiment_id},
                ))
            except LogFormatError:
                if run_id:
                    raise
        if not runs:
            raise LogFormatError("no runs with a loss metric found", path=tracking_uri)
        return runs
    except LogFormatError:
        raise
    except Exception as err:  # mlflow raises many types (MlflowException, connection errors ...)
        raise LogFormatError(f"cannot read from MLflow ({type(err).__name__}: {str(err)[:200]})", path=tracking_uri) from None


READERS = [Reader("mlflow", sniff, read, "MLflow file-store metric files / mlruns trees")]
