"""What the page shows, checked on real files and real figures: default axes, time and LR ticks,
compare styling and notes, the waterfall's signs, check counts, Markdown escaping (with a scan of
the UI code), CSV formula neutralisation, and Markdown numbering."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash import export, fmt
from trueloss_dash.columns import (
    GAP_AUGMENTATION,
    GAP_AVERAGING_LAG,
    GAP_GENERALIZATION,
    GAP_PENALTY,
    GAP_TRAIN_MODE,
    LR,
    TRAIN_LOSS,
    VAL_LOSS,
)
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.ingest.delimited import is_number
from trueloss_dash.run import Run, Series
from trueloss_dash.ui import gap_plots, plots
from trueloss_dash.ui.safe import md, md_code

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "real_logs"
LIGHTNING_STEPS = REAL / "lightning_csv" / "cv-image-classification__metrics.csv"
KERAS = REAL / "keras_csv" / "Car-Prediction-CNN-Model__training.log"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


# --- default axes (issue 11 item 5) ---------------------------------------------------------------


def test_step_logged_lightning_file_defaults_to_step_and_epochs_become_fractional():
    run = load_path(_need(LIGHTNING_STEPS))[0]
    assert run.preferred_axis() == "epoch"  # what the chart used to open on: vertical bars at 0, 1, 2 …
    assert plots.default_axis(run) == "step"
    fig = plots.overlay_figure(run)
    assert fig.layout.meta["x_axis"] == "step"
    # on the epoch axis the step-logged training loss is spread over each epoch, not stacked on it
    train = run.series[TRAIN_LOSS]
    raw = train.epoch[np.isfinite(train.epoch)]
    frac = plots.fractional_epochs(run, train)
    frac = frac[np.isfinite(frac)]
    assert len(np.unique(raw)) < len(raw) / 2
    assert len(np.unique(frac)) == len(frac)
    assert np.all(np.floor(frac) == raw) and (frac != np.round(frac)).any()
    assert np.all(np.diff(frac) > 0)


def test_epoch_logged_file_keeps_epoch():
    run = load_path(_need(KERAS))[0]
    assert plots.default_axis(run) == "epoch"
    assert np.array_equal(plots.fractional_epochs(run, run.series[VAL_LOSS]), run.series[VAL_LOSS].epoch)


def _synthetic(lr: np.ndarray, wall0: float = 1.7292413e9) -> Run:
    n = len(lr)
    x = np.arange(n, dtype=float)
    wall = wall0 + 37.0 * x
    series = {
        TRAIN_LOSS: Series(TRAIN_LOSS, 1.0 / (1 + x), step=x * 100, epoch=x, wall_time=wall),
        VAL_LOSS: Series(VAL_LOSS, 1.1 / (1 + x), step=x * 100, epoch=x, wall_time=wall),
        LR: Series(LR, lr, step=x * 100, epoch=x, wall_time=wall),
    }
    return Run(name="synthetic", series=series)


def test_wall_time_is_elapsed_h_mm_ss_since_the_start():
    run = _synthetic(np.full(120, 1e-3))
    fig = plots.overlay_figure(run, x_axis="wall_time")
    line = next(tr for tr in fig.data if (tr.meta or {}).get("series") == TRAIN_LOSS)
    assert float(line.x[0]) == 0.0  # elapsed, not Unix seconds (ticks read "1.7292413B" before)
    labels = list(fig.layout.xaxis.ticktext)
    assert labels[0] == "0:00" and all(re.fullmatch(r"(\d+:)?\d{1,2}:\d\d", t) for t in labels)
    assert "1:00:00" in labels  # 120 epochs × 37 s ≈ 74 min: whole hours appear as h:mm:ss
    assert plots.elapsed_label(3723) == "1:02:03" and plots.elapsed_label(59) == "0:59"
    # the hover's title names its unit (plotly can only number-format it: seconds, not h:mm:ss)
    assert fig.layout.xaxis.unifiedhovertitle.text == "%{x:,.0f} s elapsed"


def test_lr_axis_ticks_are_round_and_a_constant_lr_starts_at_zero():
    const = plots.lr_axis(np.full(50, 1e-3))
    assert const["type"] == "linear" and const["range"][0] == 0.0 and const["range"][1] > 1e-3
    logspan = plots.lr_axis(np.geomspace(2.2e-6, 1.1e-3, 50))
    assert logspan["type"] == "log"
    for v in logspan["tickvals"]:
        mantissa = v / 10 ** np.floor(np.log10(v))
        assert round(mantissa, 6) in (1.0, 2.0, 5.0), v
    assert "1e-5" in logspan["ticktext"] and "0.0000022" not in logspan["ticktext"]


# --- compare (item 3) -----------------------------------------------------------------------------


def test_compare_each_run_a_colour_each_series_a_dash_and_missing_axis_is_reported():
    a = load_path(_need(LIGHTNING_STEPS))[0]
    b = load_path(_need(KERAS))[0]
    fig = plots.compare_figure([("1. lightning", a), ("2. keras", b)], [VAL_LOSS, TRAIN_LOSS], x_axis="epoch")
    lines = [tr for tr in fig.data if (tr.meta or {}).get("role") == "line"]
    assert len(lines) == 4
    styles = {(tr.meta["run"], tr.meta["series"]): (tr.line.color, tr.line.dash) for tr in lines}
    assert len(set(styles.values())) == 4
    assert styles[("1. lightning", VAL_LOSS)][0] == styles[("1. lightning", TRAIN_LOSS)][0]
    assert styles[("1. lightning", VAL_LOSS)][1] != styles[("1. lightning", TRAIN_LOSS)][1]
    assert styles[("1. lightning", VAL_LOSS)][1] == styles[("2. keras", VAL_LOSS)][1]
    assert not fig.layout.annotations  # no clipped annotation under the axis
    by_step = plots.compare_figure([("1. lightning", a), ("2. keras", b)], [VAL_LOSS], x_axis="step")
    assert by_step.layout.meta["runs_without_axis"] == ["2. keras"]
    # the legend sits under the plot, away from the toolbar (top right)
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y == 0


# --- waterfall (item 9) ---------------------------------------------------------------------------


def test_waterfall_reads_left_to_right_with_the_measured_signs():
    run = load_path(REPO / "sample_runs" / "dropout.csv")[0]
    assert gap_plots.has_gap_terms(run)
    epoch = gap_plots.gap_epochs(run)[-1]
    fig = gap_plots.gap_waterfall(run, epoch)
    bar = fig.data[0]
    labels = [lab.replace("<br>", " ") for lab in bar.x]
    assert labels[0] == "validation loss" and labels[-1] == "= reported training loss"
    assert not any("-<br>" in lab for lab in bar.x)  # never "augmen-<br>tation"
    level = fig.layout.meta["start_level"]
    terms = dict(zip(bar.customdata, zip(bar.text, bar.base, bar.y)))
    for term in (GAP_GENERALIZATION, GAP_PENALTY, GAP_AVERAGING_LAG, GAP_TRAIN_MODE, GAP_AUGMENTATION):
        text, base, height = terms[term]
        value = gap_plots._value_at(run, term, epoch)
        assert text == fmt.signed(value)  # the stored sign: the one the diagnosis evidence quotes
        assert np.isclose(base, min(level, level + value)) and np.isclose(height, abs(value))
        level += value
    assert np.isclose(level, fig.layout.meta["reported"], atol=1e-6)
    assert np.isclose(fig.layout.meta["end_level"], level)


# --- checks and verdict states (item 6) -----------------------------------------------------------


def test_checks_are_counted_one_way():
    checks = [{"id": "a", "status": "passed"}, {"id": "b", "status": "failed"},
              {"id": "c", "status": "not_applicable"}, {"id": "d", "passed": True}]
    assert export.checks_summary(checks) == "2 passed, 1 failed, 1 not applicable"
    assert export.checks_summary([]) == "no checks ran"
    # the page, the CLI text and the Markdown export say the same words
    run = load_path(REPO / "sample_runs" / "overfit.csv")[0]
    report = diagnose(run)
    line = export.checks_summary(report.checks)
    assert line in report.to_text() and line in report.to_markdown()


def test_html_report_shows_three_check_states_and_their_count():
    run = load_path(REPO / "sample_runs" / "clean.csv")[0]
    report = diagnose(run)
    html = export.report_html(run, report, include_figure=False)
    assert export.checks_summary(report.checks) in html
    for c in report.checks:
        assert f"({export.CHECK_WORD[export.check_status(c)]})" in html


# --- escaping (issue 14 D7) -----------------------------------------------------------------------

HOSTILE = "![p](http://127.0.0.1:9/x.png)"


def test_md_leaves_no_markdown_or_html_syntax():
    out = md(HOSTILE + " <img src=x> **b** $x$ :red[r] _i_ `c`\n# h")
    bare = re.sub(r"&#\d+;", "", out)  # what is left outside the character references
    for ch in "![]()<>*$:_`#&\n":
        assert ch not in bare
    import html as _html

    assert _html.unescape(out).replace("\u2060", "") == (HOSTILE + " <img src=x> **b** $x$ :red[r] _i_ `c`\n# h").replace("\n", " ")
    assert md_code("use `model.eval()` then ![x](y)") .startswith("use `model.eval()` then ")
    assert "](" not in md_code("use `model.eval()` then ![x](y)")


_MD_CALLS = {"markdown", "success", "error", "info", "warning", "caption", "expander", "toast"}
_SAFE_CALLS = {"md", "md_code", "len", "int", "fmt.count", "fmt.num", "fmt.confidence", "fmt.at", "fmt.span",
               "fmt.x_value", "fmt.signed", "severity_badge", "export.checks_summary"}


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_call_name(node.value)}.{node.attr}"
    return ""


def _unsafe(node: ast.AST) -> list[ast.AST]:
    """Parts of a message expression that may carry unescaped text."""
    if isinstance(node, ast.Constant):
        return []
    if isinstance(node, ast.JoinedStr):
        return [bad for v in node.values for bad in _unsafe(v)]
    if isinstance(node, ast.FormattedValue):
        return _unsafe(node.value)
    if isinstance(node, ast.Call) and _call_name(node.func).endswith(".replace") and len(node.args) == 2 \
            and isinstance(node.args[0], ast.Constant) and node.args[0].value == "`":
        return []  # backticks removed: the value sits inert inside a code span
    if isinstance(node, ast.BinOp):
        return _unsafe(node.left) + _unsafe(node.right)
    if isinstance(node, ast.IfExp):
        return _unsafe(node.body) + _unsafe(node.orelse)
    if isinstance(node, ast.Call):
        name = _call_name(node.func)
        if name in _SAFE_CALLS or name.split(".")[-1] in _SAFE_CALLS:
            return []
        if name.endswith(".join"):  # "sep".join(parts): the separator and every part
            return _unsafe(node.func.value) + [b for a in node.args for b in _unsafe(a)]
        return [node]
    if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
        return _unsafe(node.elt)
    if isinstance(node, ast.Name) and node.id in {"CSS", "mark", "icon", "pills", "expect", "extra", "level", "color", "i",
                                                   "rows", "alerts", "problem_html"}:
        return []  # module constants and values built from escaped parts in the same function
    return [node]


def test_ui_code_escapes_every_value_it_shows_through_markdown():
    """Every interpolation into st.markdown/success/error/info/warning/caption/expander goes through md()."""
    problems = []
    for path in sorted((REPO / "trueloss_dash" / "ui").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr not in _MD_CALLS or not node.args:
                continue
            owner = _call_name(node.func.value)
            if owner in {"re", "logging", "log", "logger", "warnings", "self"}:
                continue
            if "# md-safe: constant" in lines[node.lineno - 1]:  # text written in this file, reviewed
                continue
            for bad in _unsafe(node.args[0]):
                problems.append(f"{path.name}:{node.lineno}: {ast.unparse(bad)}")
    assert not problems, "unescaped text in Markdown calls (wrap it in md()):\n" + "\n".join(problems)


# --- CSV formula injection (issue 14 D8) ----------------------------------------------------------


def test_run_csv_neutralises_formula_cells():
    names = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain"]
    run = Run(name="r", series={n: Series(n, np.array([-1.5, 2.0]), step=np.array([0.0, 1.0])) for n in names})
    text = export.run_csv(run)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [c for row in rows for c in row]
    for n in names[:4]:
        assert n not in cells and ("'" + n) in cells
    for n in ("\tx", "\rx", "=a", "-b", "+c", "@d"):
        assert export.neutralise_cell(n) == "'" + n
    assert export.neutralise_cell(-1.5) == -1.5 and export.neutralise_cell("a=b") == "a=b"
    assert "plain" in cells
    assert "-1.5" in cells  # numbers stay numbers
    for c in cells:
        assert not c.startswith(("=", "+", "@", "\t", "\r")) and not (c.startswith("-") and not is_number(c))


# --- small things (item 10) -----------------------------------------------------------------------


def test_markdown_numbers_findings_from_one_like_the_page():
    run = load_path(REPO / "sample_runs" / "dropout.csv")[0]
    report = diagnose(run)
    assert report.findings
    text = report.to_markdown()
    assert "| 1 |" in text and "| 0 |" not in text
    table = [ln for ln in text.splitlines() if ln.startswith("| 1 |")][0]
    assert "inverted gap" in table and "inverted_gap" not in table and "val_loss" not in table


def test_lr_spike_card_states_the_factor_the_run_uses():
    from trueloss_dash.trainer.presets import PRESETS, preset_config

    factor = preset_config("lr_spike").lr_spike_factor
    assert f"multiplied by {factor:g} " in PRESETS["lr_spike"].description
