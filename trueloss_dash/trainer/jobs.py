"""Background training jobs: a worker process per job, a server-wide cap with a queue, and a reaper.

Each job trains in its own process (:mod:`~trueloss_dash.trainer.job_process`), at a lower OS
priority and with one torch thread, because a training loop in a thread of the server held the
server's GIL and stalled every page and the health check for seconds. A relay thread in the server
receives the worker's epochs (blocked in ``recv``, so it costs the GIL nothing while it waits),
keeps them in memory for the pages and writes them to the store. ``cancel`` sets a flag the worker
checks before every batch.

Why the job owns its store writes: a page that polls is not a reliable writer - a closed tab or a
reload used to leave the stored run ``running`` forever with the epochs the page happened to see.
A job started with a ``sink`` opens its live run when it actually starts, appends every epoch from
its own thread and closes the run with its final status, whatever the pages do.

:class:`JobManager` (one per server, :func:`manager`) runs at most ``max_jobs`` jobs at once and
queues the rest in order. Pages *watch* a job with their session id; a job none of whose watchers
is alive for ``grace_s`` seconds is stopped and its run marked ``interrupted``. Liveness is asked
of a callable the UI provides (Streamlit's own session registry), so this module imports neither
Streamlit nor torch.
"""

from __future__ import annotations

import collections
import os
import secrets
import threading
import time
import traceback
from typing import Any, Callable

from .config import TrainConfig

STATUSES = ("queued", "running", "finished", "cancelled", "diverged", "failed", "interrupted")
_ENDED = ("finished", "cancelled", "diverged", "failed", "interrupted")


class Job:
    """One training run in a worker process. All attributes are safe to read from another thread.

    ``sink`` (optional) is called once when training begins and returns a live-run writer
    (``append(record)``, ``finish(status, message=)``, ``run_id``); the job then writes every epoch
    and its final status to the store itself.
    """

    def __init__(self, config: TrainConfig, *, name: str | None = None, owner: str | None = None,
                 sink: Callable[[], Any] | None = None) -> None:
        self.id = secrets.token_urlsafe(9)  # goes into the page URL (?job=): not guessable
        self.config = config
        self.name = name or config.name
        self.owner = owner
        self.status = "queued"
        self.error: str | None = None
        self.message: str | None = None
        self.records: list[dict[str, Any]] = []
        self.step_records: list[dict[str, Any]] = []
        self.n_train: int | None = None
        self.n_val: int | None = None
        self.created_at = time.time()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.store_id: str | None = None
        self.store_problem: str | None = None
        self.interrupted_reason: str | None = None
        self.watchers: dict[str, float] = {}  # session id -> last time it looked
        self.orphan_since: float | None = None
        self._sink = sink
        self._writer: Any = None
        self._polled = 0
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._remote_stop: Any = None  # the worker process's stop flag once it runs
        self.worker_pid: int | None = None
        self._done = threading.Event()
        self._on_done: Callable[[Job], None] | None = None
        self._thread = threading.Thread(target=self._run, name=f"job-{self.id}", daemon=True)

    # -- worker ------------------------------------------------------------------------------
    def start(self) -> None:
        self.started_at = time.time()
        self.status = "running"
        self._thread.start()

    def _open_sink(self) -> None:
        if self._sink is None:
            return
        try:
            self._writer = self._sink()
            self.store_id = getattr(self._writer, "run_id", None)
        except Exception as err:  # noqa: BLE001 - training goes on; the run stays in the session
            self.store_problem = f"not saved for later sessions ({err})"
            self._writer = None

    def _run(self) -> None:
        self._open_sink()
        try:
            result_status = "cancelled" if self._cancel.is_set() else self._train_in_worker()
            with self._lock:
                self.status = "interrupted" if self.interrupted_reason else result_status
        except Exception as err:  # noqa: BLE001 - the job reports any failure as a message
            with self._lock:
                self.error = f"{type(err).__name__}: {err}"
                self.message = traceback.format_exc(limit=3)
                self.status = "failed"
        finally:
            self._close_sink()
            self.finished_at = time.time()
            self._done.set()
            if self._on_done is not None:
                self._on_done(self)

    def _train_in_worker(self) -> str:
        """Relay the worker process's reports until it is done; returns the final status."""
        from . import job_process

        proc, conn, stop = job_process.launch(self.config, per_step=self.config.per_step)
        self.worker_pid = proc.pid
        self._remote_stop = stop
        if self._cancel.is_set():  # stopped while the worker was starting
            stop.set()
        try:
            while True:
                try:
                    kind, *payload = conn.recv()
                except EOFError:
                    proc.join(5)
                    raise RuntimeError(f"the training process ended unexpectedly (exit code {proc.exitcode})") from None
                if kind == "epoch":
                    self._on_epoch(payload[0])
                elif kind == "step":
                    self._on_step(payload[0])
                elif kind == "start":
                    self._on_start(payload[0])
                elif kind == "done":
                    status, n_train, n_val, message = payload
                    with self._lock:
                        self.n_train, self.n_val, self.message = n_train, n_val, message
                    return status
                elif kind == "error":
                    with self._lock:
                        self.error, self.message = payload
                    return "failed"
        finally:
            conn.close()
            proc.join(10)
            if proc.is_alive():  # pragma: no cover - a worker that ignores its stop flag
                proc.kill()
                proc.join(5)

    def _close_sink(self) -> None:
        if self._writer is None:
            return
        status = self.status if self.status in _ENDED else "failed"
        note = self.interrupted_reason if status == "interrupted" else (self.error if status == "failed" else None)
        try:
            self._writer.finish(status, message=note)
        except Exception as err:  # noqa: BLE001
            self.store_problem = f"could not close the run in the store ({err})"

    def _on_start(self, info: dict[str, Any]) -> None:
        with self._lock:
            self.n_train, self.n_val = info["n_train"], info["n_val"]

    def _on_epoch(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.records.append(dict(record))
        if self._writer is not None:
            try:
                self._writer.append(record)
            except Exception as err:  # noqa: BLE001 - the demo goes on; the run stays in the session
                self.store_problem = f"the run store stopped accepting epochs ({err})"
                self._writer = None

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
        if self._remote_stop is not None:
            self._remote_stop.set()

    def interrupt(self, reason: str) -> None:
        """Stop because nobody is watching any more: the run ends ``interrupted`` with ``reason``."""
        self.interrupted_reason = reason
        self.cancel()

    def watch(self, session_id: str) -> None:
        """A page (session ``session_id``) is looking at this job now."""
        self.watchers[session_id] = time.time()
        self.orphan_since = None

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
        total = self.config.epochs
        if self.done:
            return done, total, 0.0
        if self.started_at is None or done == 0:
            return done, total, None
        elapsed = time.time() - self.started_at
        return done, total, elapsed / done * (total - done)

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
        return f"<Job {self.id} {self.name} {self.status} {done}/{total}>"


def default_max_jobs() -> int:
    raw = os.environ.get("TRUELOSS_DASH_MAX_JOBS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, os.cpu_count() or 1)


def default_grace_s() -> float:
    raw = os.environ.get("TRUELOSS_DASH_JOB_GRACE_S", "").strip()
    try:
        return max(0.5, float(raw)) if raw else 30.0
    except ValueError:
        return 30.0


class JobManager:
    """At most ``max_jobs`` jobs train at once; the others wait in a queue, first come first served.

    ``session_alive(session_id)`` answers True/False, or None when it cannot tell (then a watcher
    counts as alive while it looked within the grace period).
    """

    REAP_EVERY_S = 1.0

    def __init__(self, max_jobs: int | None = None, grace_s: float | None = None,
                 session_alive: Callable[[str], bool | None] | None = None) -> None:
        self.max_jobs = max_jobs or default_max_jobs()
        self.grace_s = grace_s if grace_s is not None else default_grace_s()
        self.session_alive = session_alive
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._queue: collections.deque[Job] = collections.deque()
        self._running: set[str] = set()
        self._reaper: threading.Thread | None = None
        self._stop = threading.Event()

    # -- submitting and finding ------------------------------------------------------------------
    def submit(self, job: Job, *, session_id: str | None = None) -> Job:
        with self._lock:
            self._jobs[job.id] = job
            if session_id:
                job.watch(session_id)
            job._on_done = self._finished
            self._queue.append(job)
            self._pump()
        self._ensure_reaper()
        return job

    def _pump(self) -> None:
        while self._queue and len(self._running) < self.max_jobs:
            job = self._queue.popleft()
            self._running.add(job.id)
            job.start()

    def _finished(self, job: Job) -> None:
        with self._lock:
            self._running.discard(job.id)
            self._pump()

    def get(self, job_id: str | None) -> Job | None:
        return self._jobs.get(job_id or "")

    def position(self, job: Job) -> int | None:
        """1-based place in the queue, or None when the job is not waiting."""
        with self._lock:
            for i, queued in enumerate(self._queue, start=1):
                if queued is job:
                    return i
        return None

    def active(self, owner: str | None = None) -> list[Job]:
        """Jobs queued or running (of ``owner`` when given), oldest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if not j.done and j.status != "interrupted"]
        return [j for j in jobs if owner is None or j.owner == owner]

    def cancel(self, job: Job) -> None:
        """Stop a job: a queued one leaves the queue at once (``cancelled``), a running one stops
        before its next batch."""
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
                job.status = "cancelled"
                job.finished_at = time.time()
                job._done.set()
                return
        job.cancel()

    def counts(self) -> tuple[int, int]:
        """(running, queued)."""
        with self._lock:
            return len(self._running), len(self._queue)

    # -- orphans ---------------------------------------------------------------------------------
    def _watched(self, job: Job, now: float) -> bool:
        for session_id, seen in list(job.watchers.items()):
            alive = self.session_alive(session_id) if self.session_alive else None
            if alive or (alive is None and now - seen <= self.grace_s):
                return True
        return False

    def reap(self, now: float | None = None) -> list[Job]:
        """Stop jobs nobody has watched for ``grace_s`` seconds; returns the jobs stopped now."""
        now = time.time() if now is None else now
        stopped = []
        with self._lock:
            candidates = [j for j in self._jobs.values() if not j.done and j.interrupted_reason is None]
        for job in candidates:
            if self._watched(job, now):
                job.orphan_since = None
                continue
            if job.orphan_since is None:
                job.orphan_since = now
            if now - job.orphan_since < self.grace_s:
                continue
            reason = (f"interrupted: the page that started it was closed for more than {self.grace_s:g} s "
                      f"(after {len(job.records)} of {job.config.epochs} epochs)")
            with self._lock:
                if job in self._queue:  # never started: nothing to write
                    self._queue.remove(job)
                    job.interrupted_reason = reason
                    job.status = "interrupted"
                    job.finished_at = now
                    job._done.set()
                    stopped.append(job)
                    continue
            job.interrupt(reason)
            stopped.append(job)
        self._forget_old(now)
        return stopped

    def _forget_old(self, now: float) -> None:
        """Drop ended jobs after an hour: a reload can still reattach to a finished job meanwhile."""
        with self._lock:
            for job_id, job in list(self._jobs.items()):
                if job.done and job.finished_at and now - job.finished_at > 3600:
                    del self._jobs[job_id]

    def _ensure_reaper(self) -> None:
        with self._lock:
            if self._reaper is not None and self._reaper.is_alive():
                return
            self._reaper = threading.Thread(target=self._reap_loop, name="trueloss-job-reaper", daemon=True)
            self._reaper.start()

    def _reap_loop(self) -> None:
        while not self._stop.wait(self.REAP_EVERY_S):
            try:
                self.reap()
            except Exception:  # noqa: BLE001 - the reaper must outlive any one bad job
                traceback.print_exc()
            with self._lock:
                if not any(not j.done for j in self._jobs.values()):
                    self._reaper = None
                    return

    def shutdown(self) -> None:
        """Stop the reaper and cancel every job (tests, server exit)."""
        self._stop.set()
        for job in self.active():
            job.cancel()


_manager: JobManager | None = None
_manager_lock = threading.Lock()


def manager() -> JobManager:
    """The server-wide job manager (created on first use from the environment's settings)."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = JobManager()
        return _manager


def start(config: TrainConfig) -> Job:
    """Start training ``config`` in a background worker process now (no cap, no store) and return its Job."""
    job = Job(config)
    job.start()
    return job
