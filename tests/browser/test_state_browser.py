"""State that survives, in a real browser: URLs per page (Back/Forward), the open run in the URL,
live jobs that outlive the page (reload and a second tab reattach; a closed tab's job is stopped and
its run marked interrupted), and two browsers that cannot see each other's runs.

The shared server runs with a short orphan grace period (see conftest.JOB_GRACE_S). Screenshots
go to test-artifacts/.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import CHART, JOB_GRACE_S, LOAD_PANEL, Session, live_chart_frame

pytestmark = pytest.mark.browser


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def _open_sample(s: Session, name: str) -> None:
    page = s.page
    s.load_tab("Sample runs")
    s.select("sample run", name)
    page.get_by_role("button", name="Open sample").click()
    page.wait_for_selector(CHART, timeout=60_000)
    _wait_url(page, "run=")


def _wait_url(page, fragment: str, timeout_ms: int = 30_000) -> None:
    """The URL is written by the script run after the page content: wait for it."""
    page.wait_for_function("f => window.location.search.includes(f)", arg=fragment, timeout=timeout_ms)


def _upload(s: Session, path, *, new_run: bool = True) -> None:
    before = s.page.url
    s.upload(path)
    s.page.wait_for_selector(CHART, timeout=60_000)
    s.settle()
    if new_run:
        s.page.wait_for_function("b => window.location.href !== b && window.location.search.includes('run=')",
                                 arg=before, timeout=30_000)


def _sidebar_says(s: Session, text: str) -> None:
    """The sidebar is drawn at the end of the script run that handled the action, after the URL
    is written: wait for that run to finish drawing. Only that run can make it current (no later
    action happens), so a sidebar one action behind still fails here."""
    from playwright.sync_api import expect

    expect(s.page.locator("[data-testid=stSidebar]")).to_contain_text(text, timeout=30_000)


def _sidebar_runs(s: Session) -> str:
    box = s.page.locator("[data-testid=tl-open-runs]")
    return box.inner_text() if box.count() else ""


def _start_long_demo(s: Session, epochs: int = 500) -> str:
    from playwright.sync_api import expect

    s.nav("Live demo")
    s.select("preset", "(clean)")
    box = s.page.get_by_role("spinbutton", name="epochs", exact=True)
    expect(box).not_to_have_value("", timeout=30_000)
    box.fill(str(epochs))
    box.press("Enter")
    s.settle()
    expect(box).to_have_value(str(epochs), timeout=10_000)
    s.page.get_by_role("button", name=re.compile("Start")).click()
    s.page.get_by_text(re.compile(rf"Training · epoch [1-9]\d* of {epochs}")).first.wait_for(timeout=240_000)
    return _query(s.page)["job"]


def _uid(s: Session) -> str | None:
    """The identity cookie (written by the first script run of the browser's first session)."""
    deadline = time.time() + 30
    while True:
        value = next((c["value"] for c in s.context.cookies() if c["name"] == "tl_uid"), None)
        if value or time.time() > deadline:
            return value
        s.page.wait_for_timeout(200)


def _store(app_server):
    from trueloss_dash.store import open_store

    return open_store(app_server.home)


def test_back_and_forward_move_between_pages(open_session):
    s = open_session()
    page = s.page
    s.nav("Rule catalog")
    assert urlparse(page.url).path == "/rules"
    s.nav("Compare")
    assert urlparse(page.url).path == "/compare"
    page.go_back()
    page.locator("h1").filter(has_text="Rule catalog").wait_for(timeout=30_000)
    assert urlparse(page.url).path == "/rules"
    page.go_back()
    page.locator("h1").filter(has_text="Runs").wait_for(timeout=30_000)
    page.go_forward()
    page.locator("h1").filter(has_text="Rule catalog").wait_for(timeout=30_000)
    # a link to a page opens that page
    page.goto(page.url.split("/rules")[0] + "/compare")
    page.locator("h1").filter(has_text="Compare").wait_for(timeout=30_000)


def test_reload_restores_open_runs_and_the_sidebar_is_current(open_session, real_logs, artifacts_dir):
    s = open_session()
    page = s.page
    _open_sample(s, "dropout.csv")
    assert _query(page)["run"] == "sample:dropout.csv"
    _sidebar_says(s, "1 run open")  # not one action behind: no further action redraws it
    _upload(s, real_logs / "keras_csv" / "Car-Prediction-CNN-Model__training.log")
    run_id = _query(page)["run"]
    assert re.fullmatch(r"[0-9a-f]{12}", run_id) and _query(page).get("x")
    _sidebar_says(s, "2 runs open")
    assert "Car-Prediction-CNN-Model" in _sidebar_runs(s) and "dropout" in _sidebar_runs(s)
    page.reload()
    page.wait_for_selector(CHART, timeout=60_000)
    assert _query(page)["run"] == run_id
    body = page.locator("[data-testid=stMain]").inner_text()
    assert "Car-Prediction-CNN-Model" in body  # the run the URL names is the one shown
    _sidebar_says(s, "2 runs open")
    page.screenshot(path=str(artifacts_dir / "browser_reload_restores_run.png"))
    # the same file again opens the saved run instead of saving a copy
    _upload(s, real_logs / "keras_csv" / "Car-Prediction-CNN-Model__training.log", new_run=False)
    page.get_by_text("was uploaded before").first.wait_for(timeout=30_000)
    assert _query(page)["run"] == run_id


def test_two_browsers_cannot_see_or_delete_each_others_runs(open_session, browser, app_server, real_logs,
                                                            artifacts_dir):
    a = open_session()
    log = real_logs / "keras_csv" / "Car-Prediction-CNN-Model__training.log"
    _upload(a, log)
    run_id = _query(a.page)["run"]
    assert _store(app_server).info(run_id).name
    b = open_session()  # another browser: its own cookie jar
    assert _uid(a) and _uid(b) and _uid(a) != _uid(b)  # each browser got its own identity cookie
    b.page.get_by_text(LOAD_PANEL).first.wait_for()
    b.load_tab("Saved runs")
    saved_b = b.page.locator("[data-testid=stMain]").inner_text()
    assert "Car-Prediction-CNN-Model" not in saved_b and "Only this browser's runs are listed" in saved_b
    # B follows A's link: the run is not B's, so it is not opened (and so B cannot rename or delete it)
    b.page.goto(a.page.url)
    b.page.get_by_text("could not be opened").first.wait_for(timeout=30_000)
    assert "among your saved runs" in b.page.locator("[data-testid=stMain]").inner_text()
    assert b.page.locator(CHART).count() == 0
    b.page.screenshot(path=str(artifacts_dir / "browser_isolation_b.png"))
    # A reloads: A's run is still there, open, and listed among A's saved runs
    a.page.reload()
    a.page.wait_for_selector(CHART, timeout=60_000)
    assert "Car-Prediction-CNN-Model" in _sidebar_runs(a)
    a.load_tab("Saved runs")
    assert "Car-Prediction-CNN-Model" in a.page.locator("[data-testid=stMain]").inner_text()
    assert _store(app_server).info(run_id).name  # not deleted


def test_reload_and_second_tab_reattach_to_the_running_job(open_session, app_server, artifacts_dir):
    s = open_session()
    job_id = _start_long_demo(s)
    live_chart_frame(s.page)
    s.page.reload()
    progress = s.page.get_by_text(re.compile(r"Training · epoch \d+ of 500"))
    progress.first.wait_for(timeout=30_000)
    live_chart_frame(s.page)
    assert _query(s.page)["job"] == job_id
    first = int(re.search(r"epoch (\d+) of", progress.first.inner_text()).group(1))
    # another tab of the same browser, without the job in its URL, finds the same job
    tab = s.context.new_page()
    tab.goto(app_server.url + "/live")
    tab.get_by_text(re.compile(r"Training · epoch \d+ of 500")).first.wait_for(timeout=30_000)
    assert _query(tab)["job"] == job_id
    s.page.screenshot(path=str(artifacts_dir / "browser_live_reattached.png"))
    tab.get_by_role("button", name=re.compile("Stop")).click()
    tab.get_by_text(re.compile(r"Stopped · epoch \d+ of 500")).first.wait_for(timeout=30_000)
    tab.close()
    store = _store(app_server)
    info = next(i for i in store.list() if i.status != "saved" and i.name.startswith("clean · live"))
    assert info.status == "cancelled" and info.n_points >= first  # the job wrote its own epochs


def test_a_closed_pages_job_is_stopped_and_marked_interrupted(browser, app_server):
    s = Session(browser, app_server.url)
    try:
        _start_long_demo(s)
    finally:
        s.close()  # the tab goes away mid-run
    store = _store(app_server)
    deadline = time.time() + JOB_GRACE_S + 30
    info = None
    while time.time() < deadline:
        running = [i for i in store.list() if i.status == "running"]
        if not running:
            break
        time.sleep(0.5)
    assert not [i for i in store.list() if i.status == "running"], "a job outlived its page"
    info = max((i for i in store.list() if i.status == "interrupted"), key=lambda i: i.created)
    points = info.n_points
    assert 1 <= points < 500
    run = store.load(info.id)
    assert any("page that started it was closed" in w for w in run.warnings)
    time.sleep(2)
    assert store.info(info.id).n_points == points  # the job stopped training, not only the row
