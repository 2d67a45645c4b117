"""Exports: self-contained HTML with every user string escaped, JSON/Markdown from the report, CSV."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from trueloss_dash import export
from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.run import Run, RunContext, Series

REPO = Path(__file__).resolve().parents[1]
XSS = "<script>alert(1)</script>"


def _hostile_run() -> Run:
    epochs = np.arange(1, 31, dtype=float)
    train = 2.0 * np.exp(-epochs / 6) + 0.05
    val = np.concatenate([2.0 * np.exp(-epochs[:12] / 6) + 0.2, 2.0 * np.exp(-12 / 6) + 0.2 + 0.03 * (epochs[12:] - 12)])
    run = Run(name=XSS, source=f"/tmp/{XSS}.csv", format="generic_csv",
              context=RunContext(optimizer=XSS, extra={"note": XSS}))
    run.add(Series(TRAIN_LOSS, train, epoch=epochs, source_column=XSS))
    run.add(Series(VAL_LOSS, val, epoch=epochs))
    run.warn(f"column {XSS} ignored")
    run.note(f"read {XSS}")
    return run


def test_html_report_escapes_every_user_string_and_is_self_contained():
    run = _hostile_run()
    report = diagnose(run)
    page = export.report_html(run, report)
    assert XSS not in page
    assert "alert(1)" in page  # the text is shown, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the only <script> elements are ours: plotly.js inline and the figure
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert len(scripts) == 2 and not any("src=" in s for s in scripts)
    assert "https://cdn" not in page.split("<script", 1)[0]
    # the figure JSON is parseable and carries the loss traces
    body = page.rsplit("<script", 1)[1]
    fig_json = body[body.index("var fig = ") + len("var fig = "): body.index(";Plotly.newPlot")]
    fig = json.loads(fig_json)
    assert {tr["meta"]["series"] for tr in fig["data"] if (tr.get("meta") or {}).get("role") == "line"} >= {TRAIN_LOSS, VAL_LOSS}
    assert report.verdict and export.esc(report.verdict) in page
    assert "Overfitting" in page or "overfitting" in page


def test_figure_json_cannot_close_its_script_element():
    text = export.safe_json_for_script(json.dumps({"name": XSS, "x": "</script><!--"}))
    assert "</" not in text and "<!--" not in text
    assert json.loads(text) == {"name": XSS, "x": "</script><!--"}


def test_json_markdown_csv_exports():
    run = load_path(REPO / "sample_runs" / "dropout.csv")[0]
    report = diagnose(run)
    data = json.loads(export.report_json(report))
    assert data == report.to_dict() and data["causes"][0]["id"]
    md = export.report_markdown(report)
    assert md == report.to_markdown() and report.verdict.split(" ")[0] in md
    frame = pd.read_csv(io.StringIO(export.run_csv(run)))
    assert list(frame.columns) == ["series", "step", "epoch", "wall_time", "value"]
    assert len(frame) == sum(len(s) for s in run.series.values())
    val = frame[frame.series == VAL_LOSS]
    assert np.allclose(val.value.to_numpy(), run.series[VAL_LOSS].y)


def test_safe_filename_never_a_path():
    assert export.safe_filename("../../etc/passwd", "html") == "etc_passwd.html"
    assert export.safe_filename(XSS, "json") == "script_alert_1_script.json"
    assert export.safe_filename("", "csv") == "run.csv"
