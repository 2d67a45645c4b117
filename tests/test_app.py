"""The real app under Streamlit's AppTest: samples, uploads, bad files, context edits, a live demo.

Figures are inspected as Plotly JSON (``json.loads(el.proto.spec)``). ``st.fragment(run_every=...)``
never fires inside AppTest, so the live test polls by calling ``at.run()`` itself.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from trueloss_dash.columns import TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")


def _app(uid: str | None = None) -> AppTest:
    """A new session of the app; ``uid`` makes it the same browser as a session with that identity."""
    at = AppTest.from_file(APP, default_timeout=60)
    if uid:
        at.session_state["_tl_uid"] = uid
    at.run()
    assert not at.exception, at.exception
    return at


def _figures(at: AppTest) -> list[dict]:
    """Every Plotly figure on the page: ``st.plotly_chart`` and the charts updated in place (ui/live_chart.py)."""
    figures = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    for el in at.get("component_instance"):
        args = json.loads(el.proto.json_args or "{}")
        if "trueloss_live_chart" in el.proto.component_name and "spec" in args:
            figures.append(json.loads(args["spec"]))
    return figures


def _overlay(at: AppTest) -> dict:
    """The overlay chart: the figure whose traces carry loss-series roles."""
    for fig in _figures(at):
        if any((tr.get("meta") or {}).get("role") == "line" for tr in fig["data"]):
            return fig
    raise AssertionError("no overlay chart on the page")


def _line_series(fig: dict) -> dict[str, dict]:
    return {tr["meta"]["series"]: tr for tr in fig["data"] if (tr.get("meta") or {}).get("role") == "line"}


def _values(arr) -> np.ndarray:
    """Plotly JSON arrays: plain lists or base64 typed arrays ({"dtype", "bdata"})."""
    if isinstance(arr, dict) and "bdata" in arr:
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
    return np.asarray(arr, dtype=float)


def _markdown(at: AppTest) -> str:
    """The page's Markdown as a reader sees it (user text is sent as character references, see ui/safe.py)."""
    import html

    return html.unescape("\n".join(m.value for m in at.markdown))


def _state(at: AppTest, key: str):
    try:
        return at.session_state[key]
    except KeyError:
        return None


def _nav(at: AppTest, page: str) -> None:
    """Go to a page of the app's ``st.navigation`` by its title (what a click in the sidebar does)."""
    switch_page(at, page)
    at.run()
    assert not at.exception, at.exception


def switch_page(at: AppTest, title: str) -> None:
    # AppTest.switch_page only takes page files; our pages are functions with URL paths, so pick the
    # registered page by its title (the hash the frontend would send for that URL).
    pages = {info["page_name"]: h for h, info in at._registered_pages.items()}
    assert title in pages, f"no page {title!r}; pages: {sorted(pages)}"
    at._page_hash = pages[title]


def test_sample_run_shows_three_curves_verdict_and_findings():
    at = _app()
    assert "Why three curves?" in _markdown(at)  # the empty page explains the product before any run
    at.selectbox(key="sample_pick").set_value(REPO / "sample_runs" / "dropout.csv")
    at.button(key="sample_open").click().run()
    assert not at.exception, at.exception
    series = _line_series(_overlay(at))
    assert {TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS} <= set(series)
    assert series[TRUE_TRAIN_LOSS]["line"]["dash"] == "dash" and series[TRAIN_LOSS]["line"]["dash"] == "solid"
    md = _markdown(at)
    assert "Verdict:" in md and "dropout" in md.lower()
    assert "Findings (" in md and "Findings (0)" not in md
    assert "inverted gap" in md
    # trainer runs carry the gap decomposition: waterfall + stacked view
    figs = _figures(at)
    assert any((fig["layout"].get("meta") or {}).get("end_level") is not None for fig in figs)  # the waterfall
    assert sum(tr["type"] == "bar" for fig in figs for tr in fig["data"]) >= 6  # waterfall + 5 stacked terms


def test_upload_real_log_shows_chart_and_overfitting(real_logs):
    at = _app()
    path = real_logs / "keras_csv" / "Car-Prediction-CNN-Model__training.log"
    at.file_uploader(key="uploader").set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    series = _line_series(_overlay(at))
    assert {TRAIN_LOSS, VAL_LOSS} <= set(series)
    assert len(_values(series[VAL_LOSS]["x"])) == 100
    md = _markdown(at)
    assert "Verdict:" in md and "overfitting" in md.lower()
    # the upload is kept for later sessions
    from trueloss_dash.store import open_store

    assert any(info.name.startswith("Car-Prediction") for info in open_store().list())


def test_garbage_among_good_files_reports_error_and_loads_the_rest(real_logs):
    at = _app()
    good = real_logs / "keras_csv" / "dogbreedai__history.csv"
    at.file_uploader(key="uploader").set_value([
        ("garbage.csv", b"\x00\x01\x02 this is not a training log \xff\xfe", "text/csv"),
        (good.name, good.read_bytes(), "text/csv"),
    ]).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "garbage.csv" in errors[0]
    assert "Traceback" not in errors[0]
    assert [s.value for s in at.success if "dogbreedai" in s.value]
    assert VAL_LOSS in _line_series(_overlay(at))


def test_only_garbage_gives_a_sentence_not_an_exception():
    at = _app()
    at.file_uploader(key="uploader").set_value(("weights.bin", bytes(range(256)) * 4, "application/octet-stream")).run()
    assert not at.exception
    assert at.error and "weights.bin" in at.error[0].value
    assert not at.get("plotly_chart")


def test_context_form_reruns_the_diagnosis(real_logs):
    at = _app()
    path = real_logs / "keras_csv" / "Flowers_Classification_Project__transfer_learing_history.csv"
    at.file_uploader(key="uploader").set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception, at.exception
    before = _markdown(at)
    key = next(k for k in at.session_state["runs"])
    at.number_input(key=f"ctx_dropout_{key}").set_value(0.5)
    at.selectbox(key=f"ctx_aug_{key}").set_value("yes")
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    entry = at.session_state["runs"][key]
    assert entry.context.dropout == 0.5 and entry.context.augmentation is True
    after = _markdown(at)
    assert after != before
    assert "Dropout" in after or "dropout" in after


def test_rule_catalog_and_compare_pages():
    at = _app()
    _nav(at, "Rule catalog")
    from trueloss_dash.diagnose import RULES

    md = _markdown(at)
    assert all(r.id in md for r in RULES)  # every rule listed
    assert "Mechanism." in md and "Actions" in md
    assert "`level_shift`" in md and "`erratic_validation`" in md  # issue 9's new kinds, with what they check
    _nav(at, "Runs")
    for name in ("overfit.csv", "clean.csv"):
        at.selectbox(key="sample_pick").set_value(REPO / "sample_runs" / name)
        at.button(key="sample_open").click().run()
    _nav(at, "Compare")
    fig = _figures(at)[0]
    runs = {tr["meta"]["run"] for tr in fig["data"] if (tr.get("meta") or {}).get("role") == "line"}
    assert len(runs) == 2
    colors = {tr["line"]["color"] for tr in fig["data"] if (tr.get("meta") or {}).get("role") == "line"}
    assert len(colors) == 2
    assert at.table and at.table[0].value.shape[1] == 2


@pytest.mark.timeout(180)
def test_live_demo_three_epochs_finishes_and_is_kept():
    at = _app()
    _nav(at, "Live demo")
    at.selectbox(key="live_preset").set_value("dropout").run()
    at.number_input(key="live_epochs").set_value(3).run()
    at.button(key="live_start").click().run()
    assert not at.exception, at.exception
    deadline = time.time() + 150
    while time.time() < deadline:
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
        if any("is kept with your runs" in s.value for s in at.success):
            break
    else:
        pytest.fail("live demo did not finish")
    series = _line_series(_overlay(at))
    assert {TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS} <= set(series)
    assert len(_values(series[VAL_LOSS]["x"])) == 3
    assert at.progress[0].value == 100
    assert "Verdict:" in _markdown(at)
    # kept like an upload: in the session and in the store, finished, with its three epochs
    entries = list(at.session_state["runs"].values())
    assert entries[-1].origin == "live" and len(entries[-1].run.series[VAL_LOSS]) == 3
    from trueloss_dash.store import open_store

    store = open_store()
    info = store.info(entries[-1].store_id)
    assert info.status == "finished" and info.n_points == 3
    assert len(store.load(entries[-1].store_id).series[VAL_LOSS]) == 3


def test_zipped_run_folder_and_saved_runs_across_sessions(real_logs, tmp_path):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(real_logs / "lightning_csv" / "cv-image-classification__metrics.csv", "lightning_logs/version_0/metrics.csv")
    at = _app()
    at.file_uploader(key="uploader").set_value(("version_0.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert VAL_LOSS in _line_series(_overlay(at))
    # another browser does not see it
    stranger = _app()
    assert not [m for m in stranger.multiselect if m.key == "saved_pick"]
    assert not _state(stranger, "runs")
    # a new session of the same browser (same identity, same data directory) finds the upload among
    # its saved runs - and reopens the run that was open (a reload keeps the open runs)
    later = _app(uid=at.session_state["_tl_uid"])
    assert [e.store_id for e in later.session_state["runs"].values()] == [_first_saved_id()]
    saved = later.multiselect(key="saved_pick")
    assert len(saved.options) == 1 and "version_0" in saved.options[0], saved.options
    saved.set_value([_first_saved_id()]).run()
    later.button(key="saved_open").click().run()
    assert not later.exception, later.exception
    entry = next(iter(later.session_state["runs"].values()))
    assert entry.origin == "saved" and VAL_LOSS in _line_series(_overlay(later))
    # uploading the same file again opens the saved run instead of saving a second copy
    later.file_uploader(key="uploader").set_value(("again.zip", buf.getvalue(), "application/zip")).run()
    assert any("was uploaded before" in i.value for i in later.info), [i.value for i in later.info]
    from trueloss_dash.store import open_store

    assert len(open_store().list()) == 1


def _first_saved_id() -> str:
    from trueloss_dash.store import open_store

    return open_store().list()[0].id


def test_highlighting_a_finding_marks_it_on_the_chart():
    at = _app()
    at.button(key="sample_open").click().run()  # the first sample
    key = at.session_state["active"]
    box = next(s for s in at.selectbox if s.key and s.key.startswith(f"an_{key}_highlight_"))
    before = len(_overlay(at)["layout"].get("shapes", []))
    box.set_value(0).run()
    assert not at.exception, at.exception
    shapes = _overlay(at)["layout"]["shapes"]
    assert len(shapes) == before + 1
    assert any(s.get("fillcolor") == "rgba(255, 196, 0, 0.28)" for s in shapes)


@pytest.mark.timeout(180)
def test_stopping_a_live_demo_keeps_its_finished_epochs():
    at = _app()
    _nav(at, "Live demo")
    at.selectbox(key="live_preset").set_value("clean").run()
    at.number_input(key="live_epochs").set_value(400).run()
    at.button(key="live_start").click().run()
    from trueloss_dash.trainer.jobs import manager

    job = manager().get(at.session_state["live_job"])
    deadline = time.time() + 120
    while time.time() < deadline and not job.records:
        time.sleep(0.5)
        at.run()
    at.button(key="live_stop").click().run()
    while time.time() < deadline and _state(at, "live_finalized") != job.id:
        time.sleep(0.5)
        at.run()
    assert not at.exception, at.exception
    assert at.session_state["live_finalized"] == job.id and job.status == "cancelled"
    assert any("Stopped" in p.text for p in at.progress if p.text)
    from trueloss_dash.store import open_store

    info = open_store().info(job.store_id)
    assert info.status == "cancelled" and 1 <= info.n_points < 400


def test_every_sample_run_renders_without_error():
    at = _app()
    samples = sorted((REPO / "sample_runs").glob("*.csv"))
    assert len(samples) >= 10
    for path in samples:
        at.selectbox(key="sample_pick").set_value(path)
        at.button(key="sample_open").click().run()
        assert not at.exception, (path.name, at.exception)
        assert not at.error, (path.name, [e.value for e in at.error])
        assert "Verdict:" in _markdown(at), path.name
        assert {TRAIN_LOSS, VAL_LOSS} <= set(_line_series(_overlay(at))), path.name


def test_every_real_log_loads_or_explains_itself(real_logs):
    """All shared real logs in one multi-file upload: each is a run or one sentence; never a crash."""
    files = [p for p in sorted(real_logs.rglob("*")) if p.is_file() and p.name not in ("README.md", "MANIFEST.tsv")]
    at = _app()
    at.file_uploader(key="uploader").set_value([(p.name, p.read_bytes(), "application/octet-stream") for p in files]).run()
    assert not at.exception, at.exception
    import re

    assert len(at.success) == 1  # one banner for the whole upload, not one per file
    n_loaded = int(re.search(r"Loaded (\d+) runs", at.success[0].value).group(1))
    errors = [e.value for e in at.error]
    assert n_loaded >= len(files) // 2
    assert all("Traceback" not in e and "Something went wrong" not in e for e in errors), errors
    # the page then analyses the last one without trouble
    assert "Verdict:" in _markdown(at)


def test_live_settings_survive_a_visit_to_another_page():
    at = _app()
    _nav(at, "Live demo")
    at.selectbox(key="live_preset").set_value("lr_spike").run()
    at.number_input(key="live_epochs").set_value(7).run()
    _nav(at, "Rule catalog")
    _nav(at, "Live demo")
    assert at.selectbox(key="live_preset").value == "lr_spike"
    assert at.number_input(key="live_epochs").value == 7
