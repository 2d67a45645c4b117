"""The real app in Debian Chromium: upload a real log, export the HTML report, run live demos
(one, then two sessions at once). Screenshots land in test-artifacts/ - look at them."""

from __future__ import annotations

import re

import pytest

from .conftest import CHART, live_chart_frame

pytestmark = pytest.mark.browser


def test_upload_real_log_then_download_html_report(open_session, real_logs, artifacts_dir, tmp_path):
    s = open_session()
    page = s.page
    log = real_logs / "keras_csv" / "Car-Prediction-CNN-Model__training.log"
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(log))
    page.wait_for_selector(CHART, timeout=60_000)
    verdict = page.locator("[data-testid=tl-verdict]").first
    verdict.wait_for(timeout=30_000)
    assert "overfitting" in verdict.inner_text().lower()
    page.get_by_text("Findings (").first.wait_for()
    # the three-curve legend and the best-epoch marker are drawn
    legend = page.locator(CHART).first.inner_text()
    assert "validation loss" in legend and "reported training loss" in legend
    page.screenshot(path=str(artifacts_dir / "browser_upload_real_log.png"))

    page.get_by_role("tab").filter(has_text="Export").click()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button").filter(has_text="HTML report").click()
    target = tmp_path / "report.html"
    info.value.save_as(target)
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Car-Prediction-CNN-Model" in html
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js inline: works offline
    assert "overfitting" in html.lower()
    # the downloaded report renders its chart offline in the browser too
    report_page = s.context.new_page()
    report_page.goto(target.as_uri())
    report_page.wait_for_selector("#chart .main-svg", timeout=30_000)
    report_page.screenshot(path=str(artifacts_dir / "browser_html_report.png"))
    report_page.close()


def _start_demo(s, preset: str, epochs: int) -> None:
    from playwright.sync_api import expect

    from trueloss_dash.trainer.presets import PRESETS, preset_config

    s.nav("Live demo")
    s.select("preset", f"({preset})")
    epochs_box = s.page.get_by_role("spinbutton", name="epochs", exact=True)
    # the preset's own epoch count arrives with the rerun the selection triggered
    expect(epochs_box).to_have_value(str(preset_config(preset).epochs), timeout=30_000)
    s.page.locator("[data-testid=stMarkdownContainer] strong").filter(has_text=PRESETS[preset].title).first.wait_for(timeout=30_000)
    epochs_box.fill(str(epochs))
    epochs_box.press("Enter")
    s.settle()
    expect(epochs_box).to_have_value(str(epochs), timeout=10_000)
    s.page.get_by_role("button", name=re.compile("Start")).click()
    try:
        s.page.get_by_text(f"of {epochs}").first.wait_for(timeout=60_000)
    except Exception:
        s.page.screenshot(path="test-artifacts/browser_start_failed.png")
        raise


def _wait_done(s, timeout_ms: int = 120_000) -> str:
    done = s.page.get_by_text("is kept with your runs")
    done.wait_for(timeout=timeout_ms)
    live_chart_frame(s.page)
    return s.page.locator("[data-testid=stProgress]").first.inner_text()


def test_live_demo_preset_runs_to_completion(open_session, artifacts_dir):
    s = open_session()
    _start_demo(s, "l2_penalty", 3)
    progress = _wait_done(s)
    assert "Finished" in progress and "epoch 3 of 3" in progress
    assert s.page.locator("[data-testid=tl-verdict]").count() >= 1
    # the gap decomposition is drawn on request (no second Plotly bundle loaded into every page)
    assert s.page.locator(CHART).count() == 0
    s.click(s.page.get_by_text("Show the waterfall and the terms over time").first)
    s.page.get_by_text("Each term over time").first.wait_for(timeout=30_000)
    s.page.locator(CHART).nth(1).wait_for(timeout=30_000)
    s.page.screenshot(path=str(artifacts_dir / "browser_live_demo.png"), full_page=True)


def test_two_sessions_run_live_demos_at_once(open_session, app_server, artifacts_dir):
    a, b = open_session(), open_session()
    _start_demo(a, "dropout", 4)
    _start_demo(b, "lr_too_low", 3)
    prog_a, prog_b = _wait_done(a), _wait_done(b)
    assert "epoch 4 of 4" in prog_a and "epoch 3 of 3" in prog_b
    text_a, text_b = a.page.inner_text("body"), b.page.inner_text("body")
    assert re.search(r"Run dropout · live [\d:]+ is kept", text_a) and "lr_too_low · live" not in text_a
    assert re.search(r"Run lr_too_low · live [\d:]+ is kept", text_b) and "dropout · live" not in text_b
    a.page.screenshot(path=str(artifacts_dir / "browser_two_sessions_a.png"))
    b.page.screenshot(path=str(artifacts_dir / "browser_two_sessions_b.png"))
    # the store holds both, finished, each with its own epochs
    from trueloss_dash.columns import VAL_LOSS
    from trueloss_dash.store import open_store

    store = open_store(app_server.home)
    infos = {i.name.split(" · ")[0]: i for i in store.list() if " · live " in i.name}
    assert infos["dropout"].status == "finished" and infos["lr_too_low"].status == "finished"
    run_a, run_b = store.load(infos["dropout"].id), store.load(infos["lr_too_low"].id)
    assert len(run_a.series[VAL_LOSS]) == 4 and len(run_b.series[VAL_LOSS]) == 3
    assert run_a.context.dropout == 0.5 and run_b.context.dropout in (0.0, None)


def test_live_knobs_are_drawn_only_when_open_and_kept_when_closed(open_session):
    """The knob widgets are drawn only while their panel is open (a closed panel's thirty hidden
    widgets doubled the browser's work on every full rerun), and what the user set still applies -
    and is shown again - when the panel is closed and re-opened."""
    from playwright.sync_api import expect

    s = open_session()
    s.nav("Live demo")
    page = s.page
    width = page.get_by_role("textbox", name="width", exact=True)
    start = page.get_by_role("button", name=re.compile("Start"))
    expect(start).to_be_enabled(timeout=30_000)
    assert width.count() == 0  # closed: not drawn
    panel = page.locator("[data-testid=stExpander] summary").filter(has_text="Set the knobs yourself").first
    s.click(panel)
    width.wait_for(timeout=30_000)
    width.fill("abc")
    width.press("Enter")
    s.settle()
    refusal = page.locator("[data-testid=stAlert]").filter(has_text="width")
    refusal.first.wait_for(timeout=30_000)
    expect(start).to_be_disabled()
    s.click(panel)  # closed again: the widgets go, the value stays in force
    expect(width).to_have_count(0, timeout=30_000)
    expect(refusal.first).to_be_visible()
    expect(start).to_be_disabled()
    s.click(panel)  # re-opened: the value the user typed is shown
    expect(width).to_have_value("abc", timeout=30_000)
    width.fill("64")
    width.press("Enter")
    s.settle()
    expect(refusal).to_have_count(0, timeout=30_000)
    expect(start).to_be_enabled()
