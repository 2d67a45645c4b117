"""Live jobs train in their own worker process, so training never holds the server's GIL.

Why it matters: with jobs as threads of the server and Streamlit's forced garbage collection after
every rerun, ten sessions kept the server's GIL busy and the health check's p95 reached 13-19 s
(docs/hardening.md, "Load"). The load itself is measured by benchmarks/bench_load.py; these tests
check the mechanisms: the job's process, what the server process imports, a worker that dies, and
the served configuration.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

from trueloss_dash.commands.serve import streamlit_command
from trueloss_dash.run import RunContext
from trueloss_dash.store import open_store
from trueloss_dash.store.scoped import UserStore
from trueloss_dash.trainer import preset_config
from trueloss_dash.trainer.jobs import Job, JobManager

REPO = Path(__file__).resolve().parents[1]


def _wait(cond, timeout=120.0):
    deadline = time.time() + timeout
    while not cond():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_server_process_trains_nothing_and_never_imports_torch():
    # A fresh interpreter plays the server: it runs a job to the end through the manager and
    # reads its epochs and per-step records, yet torch is only ever imported by the worker.
    script = textwrap.dedent("""
        import os, sys
        from trueloss_dash.trainer import preset_config
        from trueloss_dash.trainer.jobs import Job, JobManager
        job = Job(preset_config("dropout", epochs=2, per_step=True), owner="u1")
        JobManager(max_jobs=1, grace_s=60).submit(job, session_id="s1")
        assert job.wait(120), "job did not end"
        assert job.status == "finished", (job.status, job.error)
        assert len(job.records) == 2 and job.step_records and job.n_train
        assert job.worker_pid and job.worker_pid != os.getpid()
        run = job.to_run()
        assert "val_loss" in run and len(run.get("val_loss")) == 2
        print("torch imported by the server:", "torch" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "torch imported by the server: False" in out.stdout


def test_stop_ends_the_worker_and_a_worker_that_dies_fails_the_job_in_words(tmp_path):
    store = UserStore(open_store(tmp_path), "u1")
    stopped, killed = (Job(preset_config("dropout", epochs=500), owner="u1",
                           sink=lambda n=name: store.begin_live(n, RunContext())) for name in ("stopped", "killed"))
    mgr = JobManager(max_jobs=2, grace_s=60, session_alive=lambda sid: True)
    for job in (stopped, killed):
        mgr.submit(job, session_id="s1")
    _wait(lambda: stopped.records and killed.records)
    mgr.cancel(stopped)
    os.kill(killed.worker_pid, signal.SIGKILL)  # e.g. the out-of-memory killer
    assert stopped.wait(60) and killed.wait(60)

    assert stopped.status == "cancelled" and 1 <= len(stopped.records) < 500
    assert _gone(stopped.worker_pid)
    info = store.info(stopped.store_id)
    assert info.status == "cancelled" and info.n_points == len(stopped.records)

    assert killed.status == "failed"
    assert "the training process ended unexpectedly" in killed.error and "-9" in killed.error
    info = store.info(killed.store_id)  # the store row is closed, not left running
    assert info.status == "failed" and info.n_points >= 1
    assert mgr.counts() == (0, 0)


def test_the_served_app_skips_the_forced_garbage_collection_after_each_rerun():
    # Streamlit's default gc.collect(2) after every script run (fragment reruns too) held the
    # GIL 90-180 ms each time: ten polling pages starved the server.
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    cmd = streamlit_command(8501)
    assert cmd[cmd.index("--runner.postScriptGC") + 1] == "false"
