"""The live page's polling costs the browser nothing while no epoch arrives.

A real job trains; the test freezes its worker process (SIGSTOP), so the page keeps polling a job
whose next epoch does not come - the "between two epochs of a slow job" case, made long and
certain. In Chromium it counts, over those idle polls, the Plotly charts' ``plotly_afterplot``
events and every DOM node added or removed in the page, and the polls themselves (each one marks
the progress bar stale and fresh again) and the elements each poll sends again (Streamlit marks
every element a run will redraw stale until it arrives). Then the worker resumes: the next epoch must reach the
progress line, the chart and the diagnosis.
"""

from __future__ import annotations

import re
import signal
import time

import pytest

from .conftest import CHART
from .test_state_browser import _start_long_demo

psutil = pytest.importorskip("psutil")

_WATCH = """
() => {
  const w = window.__tl = {after: 0, nodes: 0, polls: 0, resent: 0, charts_resent: 0, verdict_resent: 0,
                           hooked: new WeakSet()};
  const hook = () => document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot').forEach(gd => {
    if (w.hooked.has(gd) || !gd.on) return;
    w.hooked.add(gd);
    gd.on('plotly_afterplot', () => { w.after += 1; });
  });
  hook();
  new MutationObserver(records => {
    for (const r of records) {
      if (r.type === 'childList') { w.nodes += r.addedNodes.length + r.removedNodes.length; continue; }
      // an element the run sends again is marked stale when the run starts, fresh when it arrives
      if (r.attributeName !== 'data-stale' || r.target.getAttribute('data-stale') !== 'true') continue;
      w.resent += 1;
      if (r.target.querySelector('[data-testid=stProgress]')) w.polls += 1;
      if (r.target.querySelector('[data-testid=stPlotlyChart]')) w.charts_resent += 1;
      if (r.target.querySelector('[data-testid=tl-verdict]')) w.verdict_resent += 1;
    }
    hook();
  }).observe(document.querySelector('[data-testid=stMain]'),
             {subtree: true, childList: true, attributes: true, attributeFilter: ['data-stale']});
}
"""


# epochs on the overlay chart: the longest trace's point count (as drawn: Plotly's calcdata)
_POINTS = ("Math.max(...[...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')][0]"
           ".calcdata.map(points => points.length))")


def _worker(server_pid: int, since: float):
    """The job's training process: a child of the job workers' forkserver, started after ``since``."""
    server = psutil.Process(server_pid)
    workers = [p for p in server.children(recursive=True) if p.ppid() != server_pid and p.create_time() >= since - 1]
    assert workers, "no job worker process found"
    return max(workers, key=lambda p: p.create_time())


def _epoch(page) -> int:
    text = page.locator("[data-testid=stProgress]").first.inner_text()
    return int(re.search(r"epoch (\d+) of", text).group(1))


def test_idle_polls_redraw_nothing_and_a_new_epoch_updates_chart_and_diagnosis(open_session, app_server, artifacts_dir):
    s = open_session()
    since = time.time()
    _start_long_demo(s)
    s.page.wait_for_selector(CHART, timeout=60_000)
    worker = _worker(app_server.proc.pid, since)
    worker.send_signal(signal.SIGSTOP)
    try:
        time.sleep(2.5)  # epochs already in the pipe arrive, and the live view redraws for them
        stopped_at = _epoch(s.page)
        s.page.get_by_text(f"updated live after epoch {stopped_at}").wait_for(timeout=15_000)
        s.page.evaluate(_WATCH)
        points = s.page.evaluate(f"() => {_POINTS}")
        # the page keeps polling: wait for three polls (a fixed sleep saw only two under CI load)
        s.page.wait_for_function("() => window.__tl.polls >= 3", timeout=60_000)
        idle = s.page.evaluate("() => { const {hooked, ...counts} = window.__tl; return counts; }")
        assert _epoch(s.page) == stopped_at  # the job really was between epochs
        assert idle["polls"] >= 3, idle  # the page kept polling ...
        assert idle["after"] == 0, idle  # ... without redrawing a chart ...
        assert idle["nodes"] == 0, idle  # ... or adding / removing a single element:
        assert idle["charts_resent"] == 0 and idle["verdict_resent"] == 0, idle  # chart and diagnosis not re-sent,
        # only the name, the progress bar and the ticker per poll (the old page re-sent ~70 elements);
        # one poll can straddle the window's start, so its elements count but not the poll
        assert idle["resent"] <= 3 * (idle["polls"] + 1), idle
    finally:
        worker.send_signal(signal.SIGCONT)
    s.page.wait_for_function(f"() => ({_POINTS}) > {points}", timeout=30_000)  # the chart gets the new epochs ...
    later = s.page.get_by_text(re.compile(r"updated live after epoch (\d+)")).first
    later.wait_for(timeout=30_000)
    s.page.wait_for_function(  # ... and the diagnosis is re-run for the new epoch
        f"() => [...document.querySelectorAll('[data-testid=tl-verdict]')].some(e => {{"
        f"const m = e.innerText.match(/updated live after epoch (\\d+)/); return m && +m[1] > {stopped_at}; }})",
        timeout=30_000)
    assert _epoch(s.page) > stopped_at
    s.page.screenshot(path=str(artifacts_dir / "browser_live_polling_resumed.png"))
    s.page.get_by_role("button", name=re.compile("Stop")).click()
    s.page.get_by_text(re.compile(r"Stopped · epoch \d+ of 500")).first.wait_for(timeout=30_000)
