"""`serve --logdir` in Debian Chromium: a writer in another process appends to a Lightning-style
metrics.csv and to a console log; the page follows without a reload, keeps the user's zoom, and a
divergence the writer injects raises a toast and a badge with its step. Screenshots in test-artifacts/."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CHROMIUM, AppServer, Session

pytestmark = pytest.mark.browser
WRITER = Path(__file__).resolve().parents[1] / "_watch_writer_proc.py"
POINTS = "[data-testid=tl-watch-chart-points]"


def _seed(logdir: Path, steps: int) -> None:
    """A run already under way when the page opens (the writer continues it)."""
    run = logdir / "lightning_logs" / "version_0"
    run.mkdir(parents=True)
    rows, lines = ["epoch,step,train_loss,val_loss"], []
    for s in range(steps):
        loss = 2.0 * math.exp(-s / 60) + 0.05 + 0.01 * math.sin(s)
        rows.append(f"{s // 10},{s},{loss:.6g},")
        if s % 10 == 9:
            rows.append(f"{s // 10},{s},,{loss * 1.08:.6g}")
        lines.append(f"step:{s} train_loss:{loss:.6g}")
    (run / "metrics.csv").write_text("\n".join(rows) + "\n")
    (logdir / "train.log").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def watch_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found")
    base = tmp_path_factory.mktemp("watch_browser")
    logdir = base / "logs"
    logdir.mkdir()
    _seed(logdir, 30)
    server = AppServer(base / "home", env={"TRUELOSS_DASH_LOGDIR": str(logdir)})
    yield server, logdir
    server.stop()


def _points(page) -> int:
    return int(page.locator(POINTS).first.inner_text().split()[0].replace(",", ""))


def _chart_frame(page):
    """The live chart's iframe (a custom component: it stays mounted while its data changes)."""
    for _ in range(100):  # the frame object can lag its iframe element for a moment
        for frame in page.frames:
            if "trueloss_live_chart" in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no live chart frame among {[f.url for f in page.frames]}")


def _trace_len(page) -> int:
    return _chart_frame(page).evaluate("() => document.getElementById('chart')._fullData[0]._length")


def _x_range(page):
    return _chart_frame(page).evaluate("() => document.getElementById('chart')._fullLayout.xaxis.range.slice()")


def test_page_follows_a_growing_run_keeps_zoom_and_alerts_on_divergence(watch_server, browser, artifacts_dir):
    server, logdir = watch_server
    s = Session(browser, server.url)
    page = s.page
    writer = None
    try:
        page.locator("[data-testid=tl-watch-row]").first.wait_for(timeout=60_000)
        page.wait_for_function("() => [...document.querySelectorAll('iframe')].some(f => f.src.includes('trueloss_live_chart'))",
                               timeout=60_000)
        page.wait_for_timeout(500)
        _chart_frame(page).wait_for_selector("#chart .main-svg", timeout=60_000)
        # metrics.csv and train.log: a run is listed after its first diagnosis, so the second may come later
        page.wait_for_function("() => document.querySelectorAll('[data-testid=tl-watch-row]').length === 2",
                               timeout=60_000)
        page.evaluate("() => { window.__notReloaded = true; }")
        start_points, start_trace = _points(page), _trace_len(page)
        assert start_points == 30

        # zoom into the first part of the curve, as a user would (drag on the plot)
        box = _chart_frame(page).locator(".nsewdrag").first.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.1, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=5)
        page.mouse.up()
        page.wait_for_timeout(300)
        zoomed = _x_range(page)

        writer = subprocess.Popen([sys.executable, str(WRITER), str(logdir), "40", "0.1"], stdout=subprocess.PIPE, text=True)
        page.wait_for_function(f"() => parseInt(document.querySelector('{POINTS}').innerText.replace(/,/g, '')) >= 60",
                               timeout=30_000)
        assert _trace_len(page) > start_trace  # the chart itself grew
        assert page.evaluate("() => window.__notReloaded === true")  # no reload
        assert _x_range(page) == pytest.approx(zoomed)  # the zoom survived the updates
        rows = page.locator("[data-testid=tl-watch-row]")
        log_row = rows.filter(has_text="train.log").first
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=tl-watch-row]')].some(r => r.innerText.includes('train.log') "
            "&& parseInt(r.querySelector('[data-testid=tl-watch-points]').innerText.replace(/,/g, '')) >= 60)",
            timeout=30_000)
        assert "live" in log_row.inner_text().lower()
        page.screenshot(path=str(artifacts_dir / "browser_watch_growing.png"))

        # reset the zoom (double click) so the screenshot shows the whole divergence
        (logdir / "diverge").touch()
        page.locator("[data-testid=stToast]").filter(has_text="CRITICAL").first.wait_for(timeout=30_000)
        csv_row = rows.filter(has_text="lightning_logs/version_0").first
        csv_row.locator("[data-testid=tl-watch-alert]").first.wait_for(timeout=30_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=tl-watch-row]')].some(r => "
            "r.innerText.includes('lightning_logs/version_0') && r.innerText.toLowerCase().includes('diverged'))",
            timeout=30_000)
        badges = csv_row.locator("[data-testid=tl-watch-alert]").all_inner_texts()
        assert any("divergence @ step" in b for b in badges), badges
        assert page.evaluate("() => window.__notReloaded === true")
        _chart_frame(page).locator(".nsewdrag").first.dblclick()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(artifacts_dir / "browser_watch_diverged.png"))
        writer.wait(timeout=30)
    finally:
        if writer is not None and writer.poll() is None:
            writer.kill()
            writer.wait()
        s.close()
    assert not s.errors, s.errors
