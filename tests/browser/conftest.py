"""Real-browser fixtures: `streamlit run app.py` on 127.0.0.1 and Debian Chromium driven by Playwright.

The test command installs chromium (scripts/ensure_chromium.sh); when /usr/bin/chromium is missing
these tests skip with that reason. Every page collects console errors and page errors and the test
fails on any. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TRUELOSS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 1800}
CHART = "[data-testid=stPlotlyChart] .js-plotly-plot"
LOAD_PANEL = re.compile(r"Load (more )?runs")  # the panel's label counts the open runs
LIVE_CHART = "iframe[src*=trueloss_live_chart]"  # a chart updated in place (ui/live_chart.py): live demo, watch view
JOB_GRACE_S = 6  # a live job whose page is gone this long is stopped (short here, 30 s by default)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run app.py` in a subprocess with its own data directory."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, TRUELOSS_DASH_HOME=str(home), PYTHONUNBUFFERED="1",
                   TRUELOSS_DASH_JOB_GRACE_S=str(JOB_GRACE_S), **(env or {}))
        self.log = open(home.parent / "streamlit.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not become healthy within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def live_chart_frame(page, timeout_ms: int = 60_000):
    """The frame of the page's in-place chart, once its plot is drawn (``#chart`` is the Plotly div)."""
    page.wait_for_selector(LIVE_CHART, timeout=timeout_ms)
    frame = page.locator(LIVE_CHART).first.element_handle(timeout=timeout_ms).content_frame()
    frame.wait_for_selector("#chart .main-svg", timeout=timeout_ms)
    return frame


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian chromium (bash scripts/ensure_chromium.sh) to run browser tests")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    _need_chromium()
    server = AppServer(tmp_path_factory.mktemp("browser") / "home")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(app_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()  # before the server stops, or the console fills with connection errors


class Session:
    """One browser context + page on the app, recording console errors and page errors."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.goto(url)
        self.page.wait_for_selector("[data-testid=stSidebar]", timeout=30_000)
        self.page.wait_for_selector("text=Runs", timeout=30_000)
        self.settle()  # a first visit sets the identity cookie and reruns: let that finish

    def _console(self, message) -> None:
        if message.type != "error":
            return
        # Opened at a page's URL (/live, a reload there), Streamlit's frontend first probes
        # <page>/_stcore/health and host-config to find its base path, gets 404, and falls back to /.
        url = (message.location or {}).get("url", "")
        if "404" in message.text and re.search(r"/[^/]+/_stcore/(health|host-config)$", url):
            return
        self.errors.append(f"console: {message.text} ({url})")

    def nav(self, name: str) -> None:
        """Click the page's link in the sidebar navigation (each page has its own URL)."""
        self.page.locator("[data-testid=stSidebarNav] a").filter(has_text=name).first.click()
        self.page.locator("h1").filter(has_text=name).wait_for(timeout=30_000)

    def settle(self) -> None:
        """Wait until the app has finished the script run the last action triggered."""
        self.page.wait_for_timeout(400)
        self.page.locator("[data-testid=stStatusWidget]").filter(has_text="Running").wait_for(state="hidden", timeout=30_000)

    def click(self, locator, *, attempts: int = 4, timeout_ms: int = 10_000) -> None:
        """Click once the app is idle. A script run still finishing can leave the target inert or
        replace it in the DOM; then wait for the run to end and click again."""
        for attempt in range(attempts):
            self.settle()
            try:
                locator.click(timeout=timeout_ms)
                return
            except Exception:
                if attempt == attempts - 1:
                    raise

    def select(self, label: str, option_text: str, *, type_text: bool = False) -> None:
        """Pick an option of a select box; reopened and retried if a rerun closed the list."""
        box = self.page.locator("[data-testid=stSelectbox]").filter(has_text=label).first
        for attempt in range(4):
            self.settle()
            box.click()
            if type_text:
                self.page.keyboard.type(option_text)
            try:
                self.page.get_by_role("option").filter(has_text=option_text).first.click(timeout=10_000)
                break
            except Exception:
                if attempt == 3:
                    raise
                self.page.keyboard.press("Escape")
        self.settle()

    def load_tab(self, name: str) -> None:
        """Open a tab of the Load runs panel, expanding the panel first (it folds once a run is open)."""
        panel = self.page.locator("[data-testid=stExpander]").filter(has_text=LOAD_PANEL).first
        panel.wait_for(timeout=30_000)
        self.settle()
        if panel.locator("details").first.get_attribute("open") is None:
            self.click(panel.locator("summary").first)
        self.click(panel.get_by_role("tab").filter(has_text=name).first)
        self.settle()

    def upload(self, *paths) -> None:
        """Upload files through the Load runs panel's uploader, as a user drops them, and let the run finish."""
        self.load_tab("Upload logs")
        self.page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files([str(p) for p in paths])
        self.settle()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_session(browser, app_server):
    sessions: list[Session] = []

    def make() -> Session:
        s = Session(browser, app_server.url)
        sessions.append(s)
        return s

    yield make
    errors = [e for s in sessions for e in s.errors]
    for s in sessions:
        s.close()
    assert not errors, "browser console errors:\n" + "\n".join(errors)
