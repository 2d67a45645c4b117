"""The live page's polling costs the browser nothing while no epoch arrives, and a new epoch
updates one chart in place.

A real job trains; the test freezes its worker process (SIGSTOP), so the page keeps polling a job
whose next epoch does not come - the "between two epochs of a slow job" case, made long and
certain. In Chromium it counts, over those idle polls, every redraw of the in-place chart (its
``plotly_afterplot`` events, inside the chart's frame) and every DOM node added or removed in the
page, and the polls themselves (each one marks the progress bar stale and fresh again) and the
elements each poll sends again (Streamlit marks every element a run will redraw stale until it
arrives). The user zooms into the chart. Then the worker resumes: the next epochs must reach the
progress line, the same chart (same frame, zoom kept) and the diagnosis, with no Plotly chart
mounted in the page while it trains; the gap plots come on request, and when the run is stopped
the chart is still the same element and the gap plots stay.
"""

from __future__ import annotations

import re
import signal
import time

import pytest

from .conftest import CHART, LIVE_CHART, live_chart_frame
from .test_state_browser import _start_long_demo

psutil = pytest.importorskip("psutil")

_WATCH = """
() => {
  const w = window.__tl = {nodes: 0, polls: 0, resent: 0, charts_resent: 0, verdict_resent: 0};
  new MutationObserver(records => {
    for (const r of records) {
      if (r.type === 'childList') { w.nodes += r.addedNodes.length + r.removedNodes.length; continue; }
      // an element the run sends again is marked stale when the run starts, fresh when it arrives
      if (r.attributeName !== 'data-stale' || r.target.getAttribute('data-stale') !== 'true') continue;
      w.resent += 1;
      if (r.target.querySelector('[data-testid=stProgress]')) w.polls += 1;
      if (r.target.querySelector('LIVE_CHART, [data-testid=stPlotlyChart]')) w.charts_resent += 1;
      if (r.target.querySelector('[data-testid=tl-verdict]')) w.verdict_resent += 1;
    }
  }).observe(document.querySelector('[data-testid=stMain]'),
             {subtree: true, childList: true, attributes: true, attributeFilter: ['data-stale']});
}
""".replace("LIVE_CHART", LIVE_CHART)

# inside the chart's frame: count its redraws, and mark the frame (a new chart would not carry the mark)
_WATCH_CHART = """
() => {
  const gd = document.getElementById('chart');
  window.__tlSameChart = true;
  window.__tlAfterplot = 0;
  gd.on('plotly_afterplot', () => { window.__tlAfterplot += 1; });
}
"""
# epochs on the chart: the longest trace's point count (as drawn: Plotly's calcdata)
_POINTS = "() => Math.max(...document.getElementById('chart').calcdata.map(points => points.length))"
_X_RANGE = "() => document.getElementById('chart')._fullLayout.xaxis.range.slice()"


def _worker(server_pid: int, since: float):
    """The job's training process: a child of the job workers' forkserver, started after ``since``."""
    server = psutil.Process(server_pid)
    workers = [p for p in server.children(recursive=True) if p.ppid() != server_pid and p.create_time() >= since - 1]
    assert workers, "no job worker process found"
    return max(workers, key=lambda p: p.create_time())


def _epoch(page) -> int:
    text = page.locator("[data-testid=stProgress]").first.inner_text()
    return int(re.search(r"epoch (\d+) of", text).group(1))


def test_idle_polls_redraw_nothing_and_a_new_epoch_updates_chart_in_place_and_diagnosis(
        open_session, app_server, artifacts_dir):
    s = open_session()
    since = time.time()
    _start_long_demo(s)
    chart = live_chart_frame(s.page)
    worker = _worker(app_server.proc.pid, since)
    worker.send_signal(signal.SIGSTOP)
    try:
        time.sleep(3.5)  # epochs already in the pipe arrive, and the live view redraws for them
        stopped_at = _epoch(s.page)
        s.page.get_by_text(f"updated live after epoch {stopped_at}").wait_for(timeout=15_000)
        assert s.page.locator(CHART).count() == 0  # while it trains: no Plotly chart mounted in the page
        s.page.evaluate(_WATCH)
        chart.evaluate(_WATCH_CHART)
        points = chart.evaluate(_POINTS)
        # the page keeps polling: wait for three polls (a fixed sleep saw only two under CI load)
        s.page.wait_for_function("() => window.__tl.polls >= 3", timeout=60_000)
        idle = s.page.evaluate("() => window.__tl")
        idle["chart_redraws"] = chart.evaluate("() => window.__tlAfterplot")
        assert _epoch(s.page) == stopped_at  # the job really was between epochs
        assert idle["polls"] >= 3, idle  # the page kept polling ...
        assert idle["chart_redraws"] == 0, idle  # ... without redrawing the chart ...
        assert idle["nodes"] == 0, idle  # ... or adding / removing a single element:
        assert idle["charts_resent"] == 0 and idle["verdict_resent"] == 0, idle  # chart and diagnosis not re-sent,
        # only the name, the progress bar and the ticker per poll (the old page re-sent ~70 elements);
        # one poll can straddle the window's start, so its elements count but not the poll
        assert idle["resent"] <= 3 * (idle["polls"] + 1), idle
        # the user zooms into the first part of the curves (a drag on the plot)
        box = chart.locator(".nsewdrag").first.bounding_box()
        y = box["y"] + box["height"] / 2
        s.page.mouse.move(box["x"] + box["width"] * 0.1, y)
        s.page.mouse.down()
        s.page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=5)
        s.page.mouse.up()
        s.page.wait_for_timeout(300)
        zoomed = chart.evaluate(_X_RANGE)
    finally:
        worker.send_signal(signal.SIGCONT)
    chart.wait_for_function(f"() => ({_POINTS[6:]}) > {points}", timeout=30_000)  # the chart gets the new epochs ...
    assert chart.evaluate("() => window.__tlSameChart") is True  # ... in the same chart (not a new frame) ...
    assert chart.evaluate(_X_RANGE) == zoomed  # ... and the user's zoom is kept
    s.page.wait_for_function(  # the diagnosis is re-run for the new epochs
        f"() => [...document.querySelectorAll('[data-testid=tl-verdict]')].some(e => {{"
        f"const m = e.innerText.match(/updated live after epoch (\\d+)/); return m && +m[1] > {stopped_at}; }})",
        timeout=30_000)
    assert _epoch(s.page) > stopped_at
    assert s.page.locator(CHART).count() == 0  # still no Plotly chart mounted per epoch
    s.page.screenshot(path=str(artifacts_dir / "browser_live_polling_resumed.png"))
    # the gap plots, on request
    s.click(s.page.get_by_text("Show the waterfall and the terms over time").first)
    s.page.locator(CHART).nth(1).wait_for(timeout=30_000)
    s.page.get_by_text("Each term over time").first.wait_for(timeout=30_000)
    s.page.get_by_role("button", name=re.compile("Stop")).click()
    s.page.get_by_text(re.compile(r"Stopped · epoch \d+ of 500")).first.wait_for(timeout=30_000)
    s.page.get_by_text("is kept with your runs").first.wait_for(timeout=30_000)
    # the run has ended: the same chart element (zoom kept), and the gap plots still shown (the switch stays on)
    assert chart.evaluate("() => window.__tlSameChart") is True
    assert chart.evaluate(_X_RANGE) == zoomed
    s.page.get_by_text("Each term over time").first.wait_for(timeout=30_000)
    assert s.page.locator(CHART).count() == 2
    s.page.screenshot(path=str(artifacts_dir / "browser_live_polling_stopped.png"), full_page=True)
