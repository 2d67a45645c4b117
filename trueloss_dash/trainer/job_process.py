"""The worker process one live job trains in, and the pipe it reports through.

Why a process, not a thread of the server: a small model's training loop is mostly Python (module
calls, optimizer steps) and holds the server's GIL for most of every batch. Measured with ten
sessions and two jobs in the server process, the event loop waited seconds for the GIL and the
health check's p95 reached 19 s (docs/hardening.md, "Live jobs under load"). In its own process a
job competes only for CPU, at a slightly lower OS priority (``nice`` 5) than the server, so the
pages and the health check come first when both want a core.

Processes come from a ``forkserver`` that has imported torch and the training loop once, so a job
starts in milliseconds instead of paying torch's import (about 3 s of CPU) each time; where there
is no forkserver (macOS/Windows) they are spawned. Each worker uses one torch thread: the server
runs at most ``max_jobs`` (about the number of cores) of them at once.

The worker sends plain tuples: ``("start", info)``, ``("epoch", record)``, ``("step", record)``,
then ``("done", status, n_train, n_val, message)`` or ``("error", "Type: text", traceback)``.
It checks a shared stop flag before every batch.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
import traceback
from typing import Any

WORKER_NICE = 5  # training is background work: the server's pages and health check come first


def worker_nice() -> int:
    """How much lower than the server a worker runs (``TRUELOSS_DASH_JOB_NICE``, 0-19; default 5)."""
    raw = os.environ.get("TRUELOSS_DASH_JOB_NICE", "").strip()
    return min(19, max(0, int(raw))) if raw.isdigit() else WORKER_NICE
# Imported once by the forkserver, so a job's process starts with them loaded: without the last two,
# every job paid ~6 s of imports before its first epoch (sklearn for the datasets; torch._dynamo,
# sympy and mpmath - 800 modules - pulled in by the optimizer's first step). A module that is
# missing is skipped by the forkserver.
_PRELOAD = ["trueloss_dash.trainer.job_process", "trueloss_dash.trainer.loop", "sklearn.datasets",
            "torch._dynamo", "torch.profiler"]


@functools.cache
def _context() -> Any:
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return mp.get_context("spawn")  # pragma: no cover - macOS/Windows


def warm_up() -> None:
    """Start the forkserver now (it imports torch once), so the first job starts without waiting."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def launch(config: Any, *, per_step: bool) -> tuple[Any, Any, Any]:
    """Start training ``config`` in a worker process; returns (process, receiving end, stop event)."""
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    proc = ctx.Process(target=worker_main, args=(config, sender, stop, per_step, worker_nice()), daemon=True,
                       name="trueloss-job-worker")
    proc.start()
    sender.close()  # the worker holds the only sending end: its exit shows up here as EOFError
    return proc, receiver, stop


def worker_main(config: Any, conn: Any, stop: Any, per_step: bool, nice: int = WORKER_NICE) -> None:
    """Entry of the worker process: train ``config``, report every step through ``conn``."""
    try:
        if nice:
            os.nice(nice)
    except OSError:  # pragma: no cover - not permitted: train at normal priority
        pass
    try:
        from .loop import configure_threads, train

        configure_threads(1)
        result = train(
            config,
            on_epoch=lambda r: conn.send(("epoch", r)),
            on_step=(lambda r: conn.send(("step", r))) if per_step else None,
            should_stop=stop.is_set,
            on_start=lambda info: conn.send(("start", info)),
        )
        conn.send(("done", result.status, result.n_train, result.n_val, result.message))
    except (BrokenPipeError, EOFError):  # the server went away: nobody to report to
        return
    except BaseException as err:  # noqa: BLE001 - the job reports any failure as a message
        try:
            conn.send(("error", f"{type(err).__name__}: {err}", traceback.format_exc(limit=3)))
        except (BrokenPipeError, EOFError, OSError):
            pass
    finally:
        conn.close()
