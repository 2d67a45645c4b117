"""Log runs to MLflow - the shared backend teams already run when one machine is not enough.

- :func:`log_run` copies a whole :class:`~trueloss_dash.run.Run` (an upload, a finished run) to a
  tracking URI: one MLflow run, every series as a metric under its canonical name
  (``train_loss``, ``true_train_loss``, ``val_loss`` ...), params from the RunContext and the run's
  config, the reader's notes and warnings as tags.
- :class:`MlflowLiveSink` mirrors a live run epoch by epoch (``step = epoch``); the run store's
  ``begin_live`` attaches one when ``$TRUELOSS_DASH_MLFLOW_URI`` is set.

Reading back is :func:`trueloss_dash.ingest.load_mlflow_uri` (one reader, owned by ingest).
mlflow is an optional extra (``pip install trueloss-dash[mlflow]``): it is imported on first use.
A live mirror that fails stops mirroring and records why (``.error``); it never stops training or
the local store.
"""

from __future__ import annotations

import math
import os
import re
import time
from typing import Any, Iterable, Mapping

import numpy as np

from .columns import EPOCH, STEP, X_AXES
from .errors import TruelossError
from .run import Run, RunContext

ENV_URI = "TRUELOSS_DASH_MLFLOW_URI"
DEFAULT_EXPERIMENT = "trueloss-dash"
TAG_PREFIX = "trueloss_dash."
# MLflow REST limits per log_batch call.
_MAX_METRICS, _MAX_PARAMS, _MAX_TAGS = 1000, 100, 100
_PARAM_VALUE_MAX = 6000
_KEY_BAD = re.compile(r"[^\w\-. /]")
# MLflow run statuses for our final statuses: a diverged run finished (the divergence is the result).
_TERMINAL = {"finished": "FINISHED", "diverged": "FINISHED", "cancelled": "KILLED", "failed": "FAILED"}


class MlflowError(TruelossError):
    """MLflow is not installed, unreachable, or refused what we sent."""


def tracking_uri_from_env() -> str | None:
    uri = os.environ.get(ENV_URI, "").strip()
    return uri or None


def _client(uri: str):
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise MlflowError("MLflow logging needs the mlflow package: pip install 'trueloss-dash[mlflow]'") from None
    # Fail in seconds, not minutes, when the server is down (only if the user has not chosen).
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")
    return MlflowClient(tracking_uri=uri)


def metric_key(name: str) -> str:
    """A series name as an MLflow metric key (canonical names pass unchanged)."""
    key = _KEY_BAD.sub("_", str(name)).strip() or "metric"
    return key[:250]


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
        return
    if value is None:
        return
    text = value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    out[metric_key(prefix)] = text[:_PARAM_VALUE_MAX]


def run_params(context: RunContext | None, meta: Mapping[str, Any] | None) -> dict[str, str]:
    """Params: RunContext fields under their own names (so a reader can rebuild the context),
    then ``meta`` flattened with dotted keys (``config.lr``); the context wins on a clash."""
    params: dict[str, str] = {}
    if meta:
        _flatten("", {k: v for k, v in meta.items() if not str(k).startswith("store_")}, params)
    if context is not None:
        ctx = context.to_dict()
        extra = ctx.pop("extra", {}) or {}
        _flatten("", extra, params)
        _flatten("", ctx, params)
    return params


def _integral_steps(arr: np.ndarray | None) -> np.ndarray | None:
    if arr is None or not np.isfinite(arr).all():
        return None
    if not np.all(arr == np.round(arr)):
        return None
    return arr.astype(np.int64)


def _series_steps(series) -> tuple[np.ndarray, str]:
    """MLflow steps for a series: whole epochs when it has them, else steps, else the index."""
    for axis in (EPOCH, STEP):
        steps = _integral_steps(getattr(series, axis))
        if steps is not None:
            return steps, axis
    return np.arange(len(series), dtype=np.int64), "index"


def _batched(items: list, size: int) -> Iterable[list]:
    for lo in range(0, len(items), size):
        yield items[lo: lo + size]


def _experiment_id(client, experiment: str) -> str:
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(experiment)
    except Exception:  # another process created it between our two calls
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise
        return found.experiment_id


def _start_run(client, experiment: str, name: str, tags: dict[str, str]) -> str:
    exp_id = _experiment_id(client, experiment)
    run = client.create_run(exp_id, tags={"mlflow.runName": str(name)[:250], **tags}, run_name=str(name)[:250])
    return run.info.run_id


def log_run(run: Run, uri: str | None = None, *, experiment: str = DEFAULT_EXPERIMENT) -> str:
    """Copy ``run`` to the MLflow tracking server/store at ``uri`` (default ``$TRUELOSS_DASH_MLFLOW_URI``).

    Returns the MLflow run id. Raises :class:`MlflowError` with a sentence on any failure.
    """
    from mlflow.entities import Metric, Param, RunTag

    uri = uri or tracking_uri_from_env()
    if not uri:
        raise MlflowError(f"no MLflow tracking URI: pass one or set {ENV_URI}")
    try:
        client = _client(uri)
        tags = {TAG_PREFIX + "format": run.format or "unknown", TAG_PREFIX + "source": run.source or ""}
        if run.notes:
            tags["mlflow.note.content"] = "\n".join(run.notes)[:5000]
        if run.warnings:
            tags[TAG_PREFIX + "warnings"] = "\n".join(run.warnings)[:5000]
        run_id = _start_run(client, experiment, run.name, tags)
        start_ms = int(time.time() * 1000)
        metrics = []
        for series in run.series.values():
            steps, axis = _series_steps(series)
            if axis != EPOCH:
                tags_axis = RunTag(f"{TAG_PREFIX}step_axis.{metric_key(series.name)}", axis)
                client.log_batch(run_id, tags=[tags_axis])
            wall = series.wall_time
            for i, value in enumerate(series.y.tolist()):
                if wall is not None and math.isfinite(wall[i]):
                    w = float(wall[i])
                    ts = int(w * 1000) if w > 1e9 else start_ms + int(w * 1000)
                else:
                    ts = start_ms
                metrics.append(Metric(metric_key(series.name), float(value), ts, int(steps[i])))  # NaN/inf as they are
        params = [Param(k, v) for k, v in run_params(run.context, run.meta).items()]
        for batch in _batched(params, _MAX_PARAMS):
            client.log_batch(run_id, params=batch)
        for batch in _batched(metrics, _MAX_METRICS):
            client.log_batch(run_id, metrics=batch)
        client.set_terminated(run_id, "FINISHED")
        return run_id
    except MlflowError:
        raise
    except Exception as err:  # mlflow raises many kinds (REST, HTTP, validation)
        raise MlflowError(f"could not log run {run.name!r} to MLflow at {uri}: {_short(err)}") from err


def _short(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:300]}"


class MlflowLiveSink:
    """Mirror of one live run in MLflow: ``log_epoch`` per epoch, ``finish`` at the end."""

    def __init__(self, client, uri: str, run_id: str) -> None:
        self.client = client
        self.uri = uri
        self.run_id = run_id
        self.error: str | None = None
        self._epochs = 0

    @classmethod
    def start(cls, uri: str, *, name: str, context: RunContext | None = None,
              meta: Mapping[str, Any] | None = None, experiment: str = DEFAULT_EXPERIMENT) -> "MlflowLiveSink":
        from mlflow.entities import Param

        try:
            client = _client(uri)
            run_id = _start_run(client, experiment, name, {TAG_PREFIX + "format": "live"})
            params = [Param(k, v) for k, v in run_params(context, meta).items()]
            for batch in _batched(params, _MAX_PARAMS):
                client.log_batch(run_id, params=batch)
        except MlflowError:
            raise
        except Exception as err:
            raise MlflowError(f"could not start an MLflow run at {uri}: {_short(err)}") from err
        return cls(client, uri, run_id)

    @classmethod
    def start_safely(cls, uri: str, **kwargs: Any) -> "MlflowLiveSink":
        """Like :meth:`start`, but a failure gives a disabled sink whose ``.error`` says why."""
        try:
            return cls.start(uri, **kwargs)
        except MlflowError as err:
            sink = cls(None, uri, "")
            sink.error = str(err)
            return sink

    @property
    def active(self) -> bool:
        return self.error is None and self.client is not None

    def log_epoch(self, record: Mapping[str, Any]) -> None:
        if not self.active:
            return
        from mlflow.entities import Metric

        epoch = record.get(EPOCH)
        step = int(epoch) if isinstance(epoch, (int, float)) and math.isfinite(epoch) else self._epochs
        now = int(time.time() * 1000)
        metrics = [
            Metric(metric_key(k), float(v), now, step)
            for k, v in record.items()
            if k not in X_AXES and isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        ]
        try:
            for batch in _batched(metrics, _MAX_METRICS):
                self.client.log_batch(self.run_id, metrics=batch)
        except Exception as err:
            self.error = f"MLflow logging stopped at epoch {step}: {_short(err)}"
        self._epochs += 1

    def finish(self, status: str) -> None:
        if not self.active:
            return
        try:
            self.client.set_tag(self.run_id, TAG_PREFIX + "status", status)
            self.client.set_terminated(self.run_id, _TERMINAL.get(status, "FINISHED"))
        except Exception as err:
            self.error = f"could not close the MLflow run: {_short(err)}"
