"""Live jobs on a shared server: the job writes its own epochs, the cap and queue hold, an orphaned
job is stopped and its run marked interrupted, limits refuse in words; the store view per browser."""

from __future__ import annotations

import time

import pytest

from trueloss_dash.run import Run, RunContext, Series
from trueloss_dash.store import StoreError, open_store
from trueloss_dash.store.scoped import UserStore
from trueloss_dash.trainer import PRESETS, preset_config
from trueloss_dash.trainer.jobs import Job, JobManager
from trueloss_dash.trainer.limits import JobLimits, check, parameter_count


def _wait(cond, timeout=120.0):
    deadline = time.time() + timeout
    while not cond():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def _long(name="long") -> Job:
    return Job(preset_config("dropout", epochs=500), name=name, owner="u1")


def test_job_writes_its_own_epochs_and_final_status(tmp_path):
    store = UserStore(open_store(tmp_path), "u1")
    job = Job(preset_config("dropout", epochs=3), owner="u1", sink=lambda: store.begin_live("mine", RunContext()))
    JobManager(max_jobs=1, grace_s=60).submit(job, session_id="s1")
    assert job.wait(180)
    info = store.info(job.store_id)  # nobody polled the job: it wrote everything itself
    assert job.status == "finished" and info.status == "finished" and info.n_points == 3
    assert store.list()[0].id == job.store_id


def test_cap_holds_and_the_queue_moves_in_order():
    mgr = JobManager(max_jobs=1, grace_s=60, session_alive=lambda sid: True)
    first, second, third = _long("a"), _long("b"), _long("c")
    for job in (first, second, third):
        mgr.submit(job, session_id="s")
    try:
        assert first.status == "running" and second.status == "queued" and third.status == "queued"
        assert (mgr.position(second), mgr.position(third)) == (1, 2) and mgr.counts() == (1, 2)
        mgr.cancel(third)  # leaving the queue is immediate
        assert third.done and third.status == "cancelled" and mgr.position(third) is None
        mgr.cancel(first)
        _wait(lambda: second.status == "running")
        assert first.status == "cancelled" and mgr.counts() == (1, 0)
    finally:
        mgr.shutdown()
        for job in (first, second):
            job.wait(60)


def test_an_orphaned_job_is_stopped_and_its_run_marked_interrupted(tmp_path):
    store = UserStore(open_store(tmp_path), "u1")
    alive = {"s1": True}
    mgr = JobManager(max_jobs=2, grace_s=0.5, session_alive=lambda sid: alive.get(sid, False))
    mgr.REAP_EVERY_S = 3600  # this test calls reap() itself: the background reaper would race it
    job = Job(preset_config("dropout", epochs=500), owner="u1", sink=lambda: store.begin_live("orphan"))
    mgr.submit(job, session_id="s1")
    _wait(lambda: len(job.records) >= 1)
    assert mgr.reap() == []  # its page is connected
    alive["s1"] = False  # the tab closes
    first = mgr.reap()
    assert first == [] and job.orphan_since is not None  # the grace period starts
    time.sleep(0.6)
    assert mgr.reap() == [job]
    assert job.wait(60) and job.status == "interrupted"
    info, run = store.info(job.store_id), store.load(job.store_id)
    assert info.status == "interrupted" and info.n_points == len(job.records) < 500
    assert any("page that started it was closed" in w for w in run.warnings)


def test_a_reload_within_the_grace_period_keeps_the_job():
    mgr = JobManager(max_jobs=1, grace_s=0.3, session_alive=lambda sid: sid == "new")
    mgr.REAP_EVERY_S = 3600  # this test calls reap() itself: the background reaper would race it
    job = _long()
    mgr.submit(job, session_id="old")
    try:
        mgr.reap()
        assert job.orphan_since is not None
        job.watch("new")  # the reloaded page reattached (?job=...)
        time.sleep(0.4)
        assert mgr.reap() == [] and not job.done
    finally:
        mgr.cancel(job)
        job.wait(60)


def test_a_queued_orphan_leaves_the_queue_without_a_run():
    mgr = JobManager(max_jobs=1, grace_s=0.0, session_alive=lambda sid: sid == "running-page")
    running, queued = _long("a"), _long("b")
    mgr.submit(running, session_id="running-page")
    mgr.submit(queued, session_id="closed-page")
    try:
        mgr.reap()
        assert queued.done and queued.status == "interrupted" and queued.store_id is None
        assert not running.done and mgr.counts() == (1, 0)
    finally:
        mgr.cancel(running)
        running.wait(60)


def test_limits_refuse_in_words_and_every_preset_fits():
    for name in PRESETS:
        assert check(preset_config(name), JobLimits()) is None, name
    huge = preset_config("dropout").__class__(width=4096, depth=16)
    assert parameter_count(huge) > 250_000_000
    sentence = check(huge, JobLimits())
    assert "width=4096, depth=16" in sentence and "1,000,000" in sentence and "parameters" in sentence
    assert "epochs: found 501" in check(preset_config("dropout", epochs=501), JobLimits())
    assert "n_samples" in check(preset_config("dropout").__class__(task="classification", n_samples=500_000), JobLimits())


def _run(name: str) -> Run:
    import numpy as np

    run = Run(name=name, format="generic_csv")
    run.add(Series("val_loss", y=np.array([1.0, 0.5]), epoch=np.array([0.0, 1.0])))
    return run


def test_a_browser_sees_and_manages_only_its_own_runs(tmp_path):
    base = open_store(tmp_path)
    alice, bob = UserStore(base, "alice"), UserStore(base, "bob")
    a_id = alice.save(_run("alice's"), content_hash="h1")
    b_id = bob.save(_run("bob's"))
    assert [i.id for i in alice.list()] == [a_id] and [i.id for i in bob.list()] == [b_id]
    for action in (lambda: bob.load(a_id), lambda: bob.rename(a_id, "mine now"), lambda: bob.delete(a_id),
                   lambda: bob.update_context(a_id, RunContext(dropout=0.1)), lambda: bob.info(a_id)):
        with pytest.raises(StoreError, match="among your saved runs"):
            action()
    assert base.info(a_id).name == "alice's"  # untouched
    assert bob.find_upload("h1") == [] and alice.find_upload("h1") == [a_id]  # de-dup per browser
    alice.update_context(a_id, RunContext(dropout=0.3))
    assert alice.load(a_id).context.dropout == 0.3
    team = UserStore(base, "carol", shared=True)
    assert {i.id for i in team.list()} == {a_id, b_id}
    team.rename(b_id, "renamed by the team")
    assert bob.info(b_id).name == "renamed by the team"
