"""The plotting module: spike-preserving downsampling, smoothing, axis translation, gap waterfall."""

from __future__ import annotations

import numpy as np
import pytest

from trueloss_dash.columns import GAP_TERMS, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.run import Run, Series
from trueloss_dash.ui import gap_plots, plots

SAMPLES = plots.__file__.rsplit("/trueloss_dash/", 1)[0] + "/sample_runs"


def _noisy_decay(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=float)
    y = 2.0 * np.exp(-step / (n / 5)) + 0.1 + rng.normal(0, 0.01, n)
    return step, y


def test_downsample_keeps_requested_points_and_extremes_within_budget():
    x, y = _noisy_decay(200_000)
    keep = [17, 50_001, 123_457, 199_999]
    idx = plots.downsample_indices(x, y, 5000, keep=keep)
    assert len(idx) <= 5000
    assert np.all(np.diff(idx) > 0)
    assert set(keep) <= set(idx.tolist())
    assert int(np.argmax(y)) in idx and int(np.argmin(y)) in idx


def test_downsample_short_series_untouched_and_first_nonfinite_kept():
    x, y = _noisy_decay(300)
    assert np.array_equal(plots.downsample_indices(x, y, 5000), np.arange(300))
    x, y = _noisy_decay(50_000)
    y[40_000:] = np.nan
    idx = plots.downsample_indices(x, y, 1000)
    assert 40_000 in idx and len(idx) <= 1000


def test_overlay_of_a_million_step_log_keeps_every_detected_spike():
    """Detection runs on the full data; every spike it finds is on the chart; ≤ 5,000 points per trace."""
    x, y = _noisy_decay(1_000_000, seed=3)
    # five loss spikes the diagnosis can see (each lasts 3,000 steps, ~1/300 of the run) ...
    for start in (150_000, 330_000, 520_000, 700_000, 880_000):
        y[start : start + 3000] *= np.linspace(2.5, 1.0, 3000)
    # ... and 25 single-step blips, below detection but still kept by min/max-preserving downsampling
    spikes = np.random.default_rng(1).choice(np.arange(10_000, 990_000), 25, replace=False)
    y[spikes] *= 4.0
    run = Run("million")
    run.add(Series(TRAIN_LOSS, y, step=x))
    vx = x[::10_000]
    run.add(Series(VAL_LOSS, 2.0 * np.exp(-vx / 200_000) + 0.15, step=vx))
    report = diagnose(run)
    spike_findings = [f for f in report.findings if f.kind == "spike" and f.series == TRAIN_LOSS]
    assert len(spike_findings) >= 5, "the diagnosis should detect the injected spikes"
    fig = plots.overlay_figure(run, report, x_axis="step")
    assert max(plots.trace_point_counts(fig).values()) <= plots.MAX_POINTS
    line = next(t for t in fig.data if t.meta and t.meta.get("series") == TRAIN_LOSS and t.meta.get("role") == "line")
    shown = set(np.asarray(line.x).tolist())
    markers = next(t for t in fig.data if t.meta and t.meta.get("role") == "spike_markers")
    for mx, my in zip(markers.x, markers.y):
        assert mx in shown, f"spike at step {mx} lost by downsampling"
        near = (x > mx - 5000) & (x < mx + 5000)
        assert my == pytest.approx(y[near].max())  # the marker sits on the raw peak, not beside it
    # every injected spike survives min/max-preserving downsampling, detected or not
    assert set(x[spikes].tolist()) <= shown
    assert len(markers.x) == len(spike_findings)


def test_smoothing_is_debiased_and_skips_nan():
    y = np.array([1.0, 1.0, np.nan, 1.0, 1.0])
    out = plots.smooth_ema(y, 0.9)
    assert np.isnan(out[2])
    assert np.allclose(out[[0, 1, 3, 4]], 1.0)  # debiased: a constant stays constant from the first point
    z = np.arange(10.0)
    assert np.array_equal(plots.smooth_ema(z, 0.0), z)
    assert plots.smooth_ema(z, 0.5)[-1] < 9.0


def test_smoothing_keeps_raw_trace_faint_underneath():
    run = load_path(f"{SAMPLES}/overfit.csv")[0]
    fig = plots.overlay_figure(run, diagnose(run), smoothing=0.8)
    raws = [t for t in fig.data if t.meta and t.meta.get("role") == "raw"]
    assert {t.meta["series"] for t in raws} >= {TRAIN_LOSS, VAL_LOSS}
    assert all(t.opacity < 0.5 and t.showlegend is False for t in raws)


def test_overlay_styles_ci_band_lr_axis_and_spans_on_a_trainer_run():
    run = load_path(f"{SAMPLES}/dropout.csv")[0]
    report = diagnose(run)
    fig = plots.overlay_figure(run, report, log_y=True)
    lines = {t.meta["series"]: t for t in fig.data if t.meta and t.meta.get("role") == "line"}
    assert lines[TRAIN_LOSS].line.dash == "solid" and lines[TRUE_TRAIN_LOSS].line.dash == "dash"
    assert lines[TRAIN_LOSS].line.color == plots.SERIES_STYLE[TRAIN_LOSS].color
    assert lines["lr"].yaxis == "y2" and fig.layout.yaxis2.overlaying == "y"
    assert fig.layout.yaxis.type == "log"
    bands = [t for t in fig.data if t.meta and t.meta.get("role") == "band"]
    assert len(bands) == 2 and bands[1].fill == "tonexty"
    assert any(f.kind == "inverted_gap" for f in report.findings)
    assert any(s.fillcolor == plots.SPAN_FILL["inverted_gap"] for s in fig.layout.shapes)


def test_highlight_and_axis_translation():
    run = load_path(f"{SAMPLES}/overfit.csv")[0]
    report = diagnose(run)
    i = next(k for k, f in enumerate(report.findings) if f.kind == "overfitting")
    fig = plots.overlay_figure(run, report, highlight=i, x_axis="step")
    hl = [s for s in fig.layout.shapes if s.fillcolor == plots.HIGHLIGHT_FILL]
    assert len(hl) == 1
    f = report.findings[i]
    lo, hi = plots.finding_range(run, f, "step")
    val = run.series[VAL_LOSS]
    assert lo == pytest.approx(val.step[np.searchsorted(val.epoch, f.start)])
    assert hl[0].x0 < lo and hl[0].x1 > hi - 1e-9


def test_gap_waterfall_lands_on_validation_loss():
    run = load_path(f"{SAMPLES}/l2_penalty.csv")[0]
    assert gap_plots.has_gap_terms(run)
    epoch = gap_plots.gap_epochs(run)[-1]
    fig = gap_plots.gap_waterfall(run, epoch)
    bars = fig.data[0]
    tops = [b + h for b, h in zip(bars.base, bars.y)]
    # left to right: validation, + generalization gap, = true, + four terms, = reported
    assert bars.y[0] == pytest.approx(run.series[VAL_LOSS].y[-1], abs=1e-6)
    assert bars.y[2] == pytest.approx(run.series[TRUE_TRAIN_LOSS].y[-1], abs=1e-6)  # passes the true loss
    assert bars.y[-1] == pytest.approx(run.series[TRAIN_LOSS].y[-1], abs=1e-6)  # lands on the reported loss
    assert max(tops) >= bars.y[-1] - 1e-9
    assert list(bars.marker.color[3:7]) == [plots.GAP_STYLE[t].color for t in GAP_TERMS[:4]]
    stacked = gap_plots.gap_stacked(run)
    assert {t.name for t in stacked.data if t.type == "bar"} == {plots.GAP_STYLE[t].label for t in GAP_TERMS}


def test_compare_colours_per_run_and_missing_series_noted():
    a = load_path(f"{SAMPLES}/clean.csv")[0]
    b = load_path(f"{SAMPLES}/overfit.csv")[0]
    c = Run("no-val", series={TRAIN_LOSS: Series(TRAIN_LOSS, [1.0, 0.5], epoch=[1, 2])})
    fig = plots.compare_figure([("a", a), ("b", b), ("c", c)], [VAL_LOSS], x_axis="epoch")
    lines = [t for t in fig.data if t.meta and t.meta.get("role") == "line"]
    assert [t.meta["run"] for t in lines] == ["a", "b"]
    assert lines[0].line.color != lines[1].line.color
    assert fig.layout.meta["missing"] == {"c": ["validation loss"]}  # the page shows it in a visible note
    assert fig.layout.meta["runs_without_axis"] == ["c"] and not fig.layout.annotations
