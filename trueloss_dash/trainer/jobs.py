"""Background training jobs for the dashboard: a worker thread per job, polled by the UI.

A thread (not a process) keeps records in memory without serialisation and lets ``cancel`` act
within one batch. Jobs share no mutable state: each run builds its own data, model, optimizer and
generators from its config. torch releases the GIL inside its kernels, so two jobs run in parallel
on the thread count chosen by :func:`~trueloss_dash.trainer.loop.configure_threads`.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from typing import Any

from .config import TrainConfig

STATUSES = ("running", "finished", "cancelled", "diverged", "failed")
_ids = itertools.count(1)


class Job:
    """One training run in a worker thread. All attributes are safe to read from another thread."""

    def __init__(self, config: TrainConfig) -> None:
        self.id = f"job-{next(_ids)}-{config.name}"
        self.config = config
        self.status = "running"
        self.error: str | None = None
        self.message: str | None = None
        self.records: list[dict[str, Any]] = []
        self.step_records: list[dict[str, Any]] = []
        self.n_train: int | None = None
        self.n_val: int | None = None
        self.started_at = time.time()
        self.finished_at: float | None = None
        self._polled = 0
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.id, daemon=True)

    # -- worker ------------------------------------------------------------------------------
    def _run(self) -> None:
        from .loop import train

        try:
            result = train(
                self.config,
                on_epoch=self._on_epoch,
                on_step=self._on_step if self.config.per_step else None,
                should_stop=self._cancel.is_set,
                on_start=self._on_start,
            )
            with self._lock:
                self.n_train, self.n_val = result.n_train, result.n_val
                self.message = result.message
                self.status = result.status
        except Exception as err:  # noqa: BLE001 - the job reports any failure as a message
            with self._lock:
                self.error = f"{type(err).__name__}: {err}"
                self.message = traceback.format_exc(limit=3)
                self.status = "failed"
        finally:
            self.finished_at = time.time()
            self._done.set()

    def _on_start(self, info: dict[str, Any]) -> None:
        with self._lock:
            self.n_train, self.n_val = info["n_train"], info["n_val"]

    def _on_epoch(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.records.append(dict(record))

    def _on_step(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.step_records.append(dict(record))

    # -- control -----------------------------------------------------------------------------
    def poll(self) -> list[dict[str, Any]]:
        """Epoch records finished since the previous poll."""
        with self._lock:
            new = self.records[self._polled:]
            self._polled = len(self.records)
        return [dict(r) for r in new]

    def cancel(self) -> None:
        """Ask the worker to stop; it does before its next batch (status ``cancelled``)."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (True) or ``timeout`` seconds pass (False)."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def progress(self) -> tuple[int, int, float | None]:
        """(epochs done, epochs total, estimated seconds left or None before the first epoch)."""
        with self._lock:
            done = len(self.records)
            elapsed = (self.finished_at or time.time()) - self.started_at
        total = self.config.epochs
        if self.done:
            return done, total, 0.0
        eta = None if done == 0 else elapsed / done * (total - done)
        return done, total, eta

    def to_run(self):
        """A snapshot Run of everything measured so far."""
        from .convert import records_to_run

        with self._lock:
            records, steps = list(self.records), list(self.step_records)
            status = self.status
        return records_to_run(records, self.config, step_records=steps, status=status,
                              n_train=self.n_train, n_val=self.n_val)

    def __repr__(self) -> str:
        done, total, _ = self.progress
        return f"<Job {self.id} {self.status} {done}/{total}>"


def start(config: TrainConfig) -> Job:
    """Start training ``config`` in a background thread and return its :class:`Job` at once."""
    job = Job(config)
    job._thread.start()
    return job
