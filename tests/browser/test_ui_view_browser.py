"""What the page shows, in the real app in Chromium (issue 11 items 1, 3, 5, 6, 7, 9, 10, the layout;
issue 14 D7). One server for the session (conftest), one page per test; each test reproduces the
reported defect and asserts the fix. Screenshots go to test-artifacts/ - look at them."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from .conftest import CHART

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "![p](http://127.0.0.1:9/x.png)"
OVERLAY_JS = """() => {
  const plots = [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')];
  return plots.map(p => ({meta: p.layout.meta || null,
                          data: p.data.map(t => ({name: t.name, meta: t.meta || null, text: t.text || null,
                                                  customdata: t.customdata || null, base: t.base || null,
                                                  y: t.type === 'bar' ? Array.from(t.y) : null,
                                                  color: t.line ? t.line.color : null, dash: t.line ? t.line.dash : null}))}));
}"""


def _select_text(box) -> str:
    """A selectbox's label and shown value (the value may sit in an input's value)."""
    return box.inner_text() + " " + " ".join(i.input_value() for i in box.locator("input").all())


def _figures(page) -> list[dict]:
    return page.evaluate(OVERLAY_JS)


def _nav(s, name: str) -> None:
    """Radio label or navigation link, whichever the sidebar has."""
    s.page.locator("[data-testid=stSidebarNav] a, [data-testid=stSidebar] label").filter(has_text=name).first.click()
    s.page.locator("h1").filter(has_text=name).wait_for(timeout=30_000)
    s.settle()


def _open_sample(s, name: str) -> None:
    s.load_tab("Sample runs")
    try:
        s.select("sample run", name, type_text=True)
    except Exception:
        s.page.screenshot(path="test-artifacts/uiview_open_sample_failed.png")
        raise
    s.click(s.page.get_by_role("button", name="Open sample"))
    s.settle()
    s.page.wait_for_selector(CHART, timeout=60_000)


def _hostile_mlflow_zip(tmp_path: Path) -> Path:
    """An MLflow file-store run whose name (tags/mlflow.runName) is a Markdown image."""
    target = tmp_path / "hostile_mlflow_run.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        base = "mlruns/0/4f1c2d3e4b5a69788796a5b4c3d2e1f0"
        t0 = 1_730_000_000_000
        z.writestr(f"{base}/metrics/train_loss", "".join(f"{t0 + i * 1000} {1.0 / (i + 1):.5f} {i}\n" for i in range(12)))
        z.writestr(f"{base}/metrics/val_loss", "".join(f"{t0 + i * 1000} {1.1 / (i + 1):.5f} {i}\n" for i in range(12)))
        z.writestr(f"{base}/tags/mlflow.runName", HOSTILE)
    target.write_bytes(buf.getvalue())
    return target


def test_uploads_one_banner_step_axis_chips_escaping_and_no_stale_chart(open_session, real_logs, tmp_path, artifacts_dir):
    """Items 5 (step default), 7 (chips), 10 (one banner, error without the previous chart) and D7."""
    s = open_session()
    page = s.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    lightning = real_logs / "lightning_csv" / "cv-image-classification__metrics.csv"
    keras = real_logs / "keras_csv" / "Car-Prediction-CNN-Model__training.log"
    s.upload(keras, _hostile_mlflow_zip(tmp_path), lightning)
    page.wait_for_selector(CHART, timeout=60_000)
    # ONE banner for three files (there were three "Loaded" banners)
    success = page.locator("[data-testid=stAlertContentSuccess]")
    assert success.count() == 1 and "Loaded 3 runs" in success.inner_text()
    # D7: the hostile run name reads as text everywhere and no request goes to it
    body = page.inner_text("body").replace("\u2060", "")
    assert HOSTILE in body
    assert page.locator("img[src*='127.0.0.1:9']").count() == 0
    assert page.locator("a[href*='127.0.0.1:9']").count() == 0  # not even a link
    assert not [u for u in requests if "127.0.0.1:9/" in u]

    # item 5: the step-logged Lightning file (the last one, now open) opens on x = Step
    box = page.locator("[data-testid=stSelectbox]").filter(has_text="x axis").first
    page.screenshot(path=str(artifacts_dir / "uiview_step_axis_lightning.png"))
    assert "Step" in _select_text(box), _select_text(box)
    overlay = next(f for f in _figures(page) if f["meta"] and f["meta"].get("x_axis"))
    assert overlay["meta"]["x_axis"] == "step"
    # item 7: chips count points ("training loss · 178 points"), never "training loss: 178"
    chips = page.locator(".tl-pill").all_inner_texts()
    assert chips and all(re.search(r"· [\d,]+ points?$", c) for c in chips if "more series" not in c), chips
    assert not any(re.search(r": \d", c) for c in chips)
    page.screenshot(path=str(artifacts_dir / "uiview_step_axis_lightning.png"))

    # item 10: the highlight select keeps its human label after a change
    hl = page.locator("[data-testid=stSelectbox]").filter(has_text="highlight a finding").first
    if hl.locator("input[disabled]").count() == 0 and "none" in _select_text(hl):
        hl.click()
        page.get_by_role("option").nth(1).click()
        s.settle()
        text = _select_text(page.locator("[data-testid=stSelectbox]").filter(has_text="highlight a finding").first)
        assert "Choose an option" not in text and "_" not in text.split("\n", 1)[-1]

    # item 10: a failed upload shows its error alone, not the previous run's chart under it
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02 not a log")
    s.upload(bad)
    page.locator("[data-testid=stAlertContentError]").first.wait_for(timeout=30_000)
    s.settle()
    from playwright.sync_api import expect

    # no stale "Loaded" banner or chart (they go when the script run that shows the error ends)
    expect(page.locator("[data-testid=stAlertContentSuccess]")).to_have_count(0, timeout=30_000)
    expect(page.locator(CHART)).to_have_count(0, timeout=30_000)
    assert s.errors == []


def test_context_form_has_lr_and_shows_invalid_values_beside_the_field(open_session):
    """Item 10: the LR field the findings hint at; dropout 1.5 / batch size −3 are refused in words."""
    s = open_session()
    _open_sample(s, "lr_too_low.csv")
    page = s.page
    page.get_by_role("tab").filter(has_text="Context").click()
    assert page.get_by_role("spinbutton", name="learning rate").count() == 1
    for name, value in (("dropout", "1.5"), ("batch size", "-3")):
        box = page.get_by_role("spinbutton", name=name)
        box.fill(value)
        box.press("Tab")
    page.get_by_role("button", name="Re-diagnose with this context").click()
    s.settle()
    page.locator("[data-testid=stForm] [data-testid=stAlertContentError]").first.wait_for(timeout=30_000)
    errors = page.locator("[data-testid=stForm] [data-testid=stAlertContentError]").all_inner_texts()
    assert any("dropout: found 1.5" in e for e in errors), errors
    assert any("batch size: found -3" in e for e in errors), errors
    # beside the field: the dropout error sits directly under the dropout input
    field = page.get_by_role("spinbutton", name="dropout").bounding_box()
    err = page.locator("[data-testid=stForm] [data-testid=stAlertContentError]").filter(has_text="dropout").first.bounding_box()
    assert 0 <= err["y"] - (field["y"] + field["height"]) < 80 and abs(err["x"] - field["x"]) < 60
    page.locator("[data-testid=stForm]").first.screenshot(path="test-artifacts/uiview_context_errors.png")


def test_verdict_is_the_cores_and_the_waterfall_sums_with_the_measured_signs(open_session):
    """Items 1 and 9 on the bn_small_batch and dropout samples."""
    from trueloss_dash import fmt
    from trueloss_dash.diagnose import diagnose
    from trueloss_dash.ingest import load_path
    from trueloss_dash.ui import gap_plots

    s = open_session()
    page = s.page
    for name in ("bn_small_batch", "dropout"):
        _open_sample(s, f"{name}.csv")
        run = load_path(REPO / "sample_runs" / f"{name}.csv")[0]
        report = diagnose(run)
        verdict = page.locator("[data-testid=tl-verdict] .tl-verdict-text").first
        verdict.wait_for(timeout=30_000)
        page.wait_for_function("t => document.querySelector('[data-testid=tl-verdict] .tl-verdict-text').innerText === t",
                               arg=report.verdict, timeout=30_000)
        # the first cause listed is the core's top cause (the verdict named another before)
        assert report.causes
        page.wait_for_function(
            """t => { const s = [...document.querySelectorAll('[data-testid=stExpander] summary')]
                             .find(e => e.innerText.includes('%'));
                      return s && s.innerText.includes(t); }""", arg=report.causes[0].title, timeout=30_000)
    # item 9: the dropout waterfall, left to right, with the stored signs
    page.get_by_role("tab").filter(has_text="Gap decomposition").click()
    s.settle()
    fall = next(f for f in _figures(page) if f["meta"] and f["meta"].get("start_level") is not None)
    bar = fall["data"][0]
    level = fall["meta"]["start_level"]
    epoch = fall["meta"]["epoch"]
    for term, text, base, height in zip(bar["customdata"], bar["text"], bar["base"], bar["y"]):
        if term == "total":
            continue
        value = gap_plots._value_at(run, term, epoch)
        assert text == fmt.signed(value)
        assert abs(base - min(level, level + value)) < 1e-9 and abs(height - abs(value)) < 1e-9
        level += value
    assert abs(level - fall["meta"]["reported"]) < 1e-6
    labels = page.locator("[data-testid=stPlotlyChart] .xtick tspan, [data-testid=stPlotlyChart] .xtick text").all_text_contents()
    assert any("augmentation" in t for t in labels) and not any(t.rstrip().endswith("-") for t in labels), labels
    page.locator("[data-testid=stPlotlyChart]").filter(has_text="+ penalty").first.screenshot(
        path="test-artifacts/uiview_waterfall.png")


def test_roleless_and_curveless_files_are_never_called_healthy(open_session, tmp_path):
    """Item 6: a file with no training or validation loss must not get a green "No problems found",
    and a file with no curve at all (2 points) is refused with a sentence, not drawn."""
    from playwright.sync_api import expect

    s = open_session()
    page = s.page
    # a loss whose role is unknown: a neutral "partly diagnosed" verdict, the loss drawn as it is
    kl_only = tmp_path / "kl_only.csv"
    kl_only.write_text("epoch,kl_loss\n0,0.5\n1,0.4\n2,0.35\n")
    s.upload(kl_only)
    banner = page.locator("[data-testid=tl-verdict]").first
    banner.wait_for(timeout=30_000)
    assert banner.get_attribute("data-level") == "neutral", banner.inner_text()
    assert "no problems" not in banner.inner_text().lower() and "Partly diagnosed" in banner.inner_text()
    # the checks are counted as the CLI and Markdown count them
    from trueloss_dash import export
    from trueloss_dash.diagnose import diagnose
    from trueloss_dash.ingest import load_path

    report = diagnose(load_path(kl_only)[0])
    line = export.checks_summary(report.checks)
    assert line.endswith("not applicable") and line in report.to_text()
    summary = page.locator("[data-testid=stExpander] summary").filter(has_text="Checks:").first
    expect(summary).to_contain_text(line, timeout=30_000)
    # the role-less loss is drawn as it is (not a loading skeleton where the chart should be)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')]"
                           ".some(p => (p.data || []).some(t => (t.name || '').includes('kl_loss')))", timeout=30_000)
    names = [t["name"] for f in _figures(page) for t in f["data"]]
    assert any("kl_loss" in (n or "") for n in names), names
    page.screenshot(path="test-artifacts/uiview_partly_diagnosed.png")
    # two points of a loss are no curve: refused with a sentence naming the file, nothing drawn
    two = tmp_path / "two_epochs.csv"
    two.write_text("epoch,train_loss,val_loss\n0,0.9,1.0\n1,0.7,0.8\n")
    s.upload(two)
    error = page.locator("[data-testid=stAlertContentError]").first
    error.wait_for(timeout=30_000)
    assert "two_epochs.csv" in error.inner_text() and "at least 3" in error.inner_text(), error.inner_text()
    expect(page.locator(CHART)).to_have_count(0, timeout=30_000)
    assert "Traceback" not in page.inner_text("body") and s.errors == []
    # one row per item (467 per-stock models' final losses, a real round-14 file): refused in words, never
    # drawn along the alphabet as a curve that 'exploded'
    items = Path(__file__).resolve().parents[1] / "data" / "corpus" / "Aamil-Khan-Mahar__NYSE-LSTM-Stock-Prediction" / "loss.csv"
    s.upload(items)
    error = page.locator("[data-testid=stAlertContentError]").filter(has_text="one row per item").first
    error.wait_for(timeout=30_000)
    assert "loss.csv" in error.inner_text() and "'Stock'" in error.inner_text(), error.inner_text()
    expect(page.locator(CHART)).to_have_count(0, timeout=30_000)
    page.screenshot(path="test-artifacts/uiview_item_table_refused.png")
    assert "Traceback" not in page.inner_text("body") and s.errors == []


def test_compare_two_series_of_two_runs_and_a_run_without_the_axis(open_session, real_logs, artifacts_dir):
    """Item 3: colour per run, dash per series, a visible note for a run lacking the axis, toolbar clear of the legend."""
    s = open_session()
    page = s.page
    s.upload(real_logs / "keras_csv" / "Car-Prediction-CNN-Model__training.log",
            real_logs / "lightning_csv" / "cv-image-classification__metrics.csv")
    page.wait_for_selector(CHART, timeout=60_000)
    _nav(s, "Compare")
    series = page.locator("[data-testid=stMultiSelect]").filter(has_text="series").first
    series.click()
    page.get_by_role("option").filter(has_text="reported training loss").first.click()
    s.settle()
    page.keyboard.press("Escape")
    page.wait_for_function("""() => { const p = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
        return p && p.data.filter(t => t.meta && t.meta.role === 'line').length === 4; }""", timeout=60_000)
    fig = _figures(page)[0]
    lines = [t for t in fig["data"] if (t["meta"] or {}).get("role") == "line"]
    assert len(lines) == 4
    assert len({(t["color"], t["dash"]) for t in lines}) == 4
    by_run: dict[str, set] = {}
    for t in lines:
        by_run.setdefault(t["meta"]["run"], set()).add(t["color"])
    assert all(len(c) == 1 for c in by_run.values()) and len({next(iter(c)) for c in by_run.values()}) == 2
    # the toolbar (shown on hover) does not cover the legend
    chart = page.locator(CHART).first
    chart.hover()
    page.wait_for_timeout(300)
    bar = page.locator(".modebar").first.bounding_box()
    legend = page.locator(".legend").first.bounding_box()
    overlap = not (bar["x"] + bar["width"] <= legend["x"] or legend["x"] + legend["width"] <= bar["x"]
                   or bar["y"] + bar["height"] <= legend["y"] or legend["y"] + legend["height"] <= bar["y"])
    assert not overlap, (bar, legend)
    page.screenshot(path=str(artifacts_dir / "uiview_compare_epoch.png"))
    # x = Step: the Keras run has no steps - a visible note says so (was a clipped annotation)
    s.select("x axis", "Step")
    note = page.locator("[data-testid=stAlertContentWarning]").filter(has_text="not drawn")
    note.wait_for(timeout=30_000)
    assert "Car-Prediction-CNN-Model" in note.inner_text() and "Epoch" in note.inner_text()
    page.screenshot(path=str(artifacts_dir / "uiview_compare_step.png"))
    # the figure is replaced by the same script run that writes the note: wait for the new one
    page.wait_for_function("""() => { const p = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
        return p && p.layout.meta && (p.layout.meta.runs_without_axis || []).length > 0; }""", timeout=30_000)
    assert json.dumps(_figures(page)[0]["meta"]["runs_without_axis"]).count("Car-Prediction") == 1


def test_wall_time_axis_reads_as_elapsed_time_in_ticks_and_hover(open_session, tmp_path, artifacts_dir):
    """Item 5: wall-clock x is elapsed h:mm:ss on the ticks, and the hover's title names its unit."""
    log = tmp_path / "timed.csv"
    rows = ["epoch,wall_time,train_loss,val_loss"]
    rows += [f"{e},{1_729_241_300 + 90 * e},{1.0 / (1 + e):.4f},{1.1 / (1 + e) + 0.05:.4f}" for e in range(60)]
    log.write_text("\n".join(rows) + "\n")
    s = open_session()
    page = s.page
    s.upload(log)
    page.wait_for_selector(CHART, timeout=60_000)
    s.select("x axis", "Elapsed time")
    page.wait_for_function("() => { const p = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');"
                           " return p && p.layout.xaxis.ticktext && p.layout.xaxis.ticktext.includes('1:00:00'); }",
                           timeout=30_000)
    ticks = page.locator(f"{CHART} .xtick text").all_text_contents()
    assert "0:00" in ticks and not any("B" in t or "." in t for t in ticks), ticks  # not raw Unix seconds
    box = page.locator(f"{CHART} .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    title = page.locator(f"{CHART} .hoverlayer .legendtitletext").first
    title.wait_for(timeout=10_000)
    assert re.fullmatch(r"[\d,]+ s elapsed", title.text_content().strip()), title.text_content()
    page.screenshot(path=str(artifacts_dir / "uiview_wall_time_hover.png"))


def _fresh(browser, width: int):
    from .conftest import Session

    s = Session.__new__(Session)
    s.context = browser.new_context(viewport={"width": width, "height": 1000})
    s.page = s.context.new_page()
    s.errors = []
    s.page.on("console", lambda m: s.errors.append(m.text) if m.type == "error" else None)
    s.page.on("pageerror", lambda e: s.errors.append(str(e)))
    return s


def test_layout_at_three_widths(browser, app_server, artifacts_dir):
    """The responsive layout: sidebar folded under 1000 px (on load and on a resize), no truncated
    controls, no fixed narrow column, the chart near the top after a load. One page, resized
    1920 -> 1400 -> 800; a second page opened at 800 px checks the fold on load."""
    narrow = _fresh(browser, 800)
    try:
        narrow.page.goto(app_server.url)
        narrow.page.wait_for_selector("[data-testid=stSidebar]", state="attached", timeout=30_000)
        narrow.page.wait_for_function(
            "() => document.querySelector('[data-testid=stSidebar]').getAttribute('data-collapsed') === 'true'",
            timeout=30_000)
        assert not narrow.errors, narrow.errors
    finally:
        narrow.context.close()

    s = _fresh(browser, 1920)
    try:
        s.page.goto(app_server.url)
        s.page.wait_for_selector("[data-testid=stSidebar]", state="attached", timeout=30_000)
        s.settle()
        _open_sample(s, "dropout.csv")
        page = s.page
        for width in (1920, 1400, 800):
            page.set_viewport_size({"width": width, "height": 1000})
            page.wait_for_timeout(900)  # the fold animation and Plotly's responsive redraw
            collapsed = page.locator("[data-testid=stSidebar]").get_attribute("data-collapsed")
            assert (collapsed == "true") == (width < 1000), (width, collapsed)
            main = page.locator("[data-testid=stMainBlockContainer]").bounding_box()
            if width >= 1400:
                sidebar = page.locator("[data-testid=stSidebar]").bounding_box()["width"]
                assert main["width"] > 0.85 * (width - sidebar) - 40, main  # no fixed ~1020 px column
            chart = page.locator(CHART).first.bounding_box()
            assert chart["y"] < 620, (width, chart)  # the chart is near the top after a load
            truncated = page.evaluate("""() => [...document.querySelectorAll(
                  '[data-testid=stSelectbox] [data-baseweb=select] div, [data-testid=stButton] button p')]
                .filter(e => e.children.length === 0 && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
            assert not truncated, (width, truncated)
            page.screenshot(path=str(artifacts_dir / f"uiview_layout_{width}.png"))
        assert not s.errors, s.errors
    finally:
        s.context.close()
