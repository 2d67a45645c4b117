"""Every Plotly figure the dashboard (and the HTML export) draws, in one place.

Colours and line styles are defined once (:data:`SERIES_STYLE`, :data:`RUN_PALETTE`,
:data:`GAP_STYLE`) so a series looks the same on every page and in every export.

Long runs are thinned for the browser, never for the diagnosis: :func:`downsample_indices` uses
MinMaxLTTB (``tsdownsample``), which keeps each bucket's extremes, and always keeps the points the
caller names (detected spike peaks, the first non-finite value), so a spike the diagnosis reports is
always visible on the chart. At most :data:`MAX_POINTS` points per trace reach the browser.

Findings and reports are read by attribute (``kind``, ``severity``, ``series``, ``start``, ``end``,
``x_axis``, ``metrics``, ``summary``), so this module depends on the diagnosis contract only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import plotly.graph_objects as go

from ..columns import (
    CI_HIGH_SUFFIX,
    CI_LOW_SUFFIX,
    EPOCH,
    GAP_AUGMENTATION,
    GAP_AVERAGING_LAG,
    GAP_GENERALIZATION,
    GAP_PENALTY,
    GAP_TRAIN_MODE,
    HUMAN_LABELS,
    LOSS_SERIES,
    LR,
    STEP,
    TRAIN_ACC,
    TRAIN_LOSS,
    TRUE_TRAIN_ACC,
    TRUE_TRAIN_LOSS,
    VAL_ACC,
    VAL_LOSS,
    WALL_TIME,
    X_AXES,
)
from ..fmt import num
from ..run import Run, Series
from .xaxes import (
    available_axes,
    axis_values,
    default_axis,
    elapsed_label,
    elapsed_ticks,
    fractional_epochs,
    linear_ticks,
    lr_ticks,
    run_start_time,
)

MAX_POINTS = 5000  # hard cap per trace sent to the browser
#: What the dashboard chart uses by default: a ~900 px wide plot gains nothing from more, and
#: fewer points render faster. Min/max per bucket and every kept spike survive either way.
DISPLAY_POINTS = 2000

# --- styles (defined once) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    color: str
    dash: str
    label: str
    width: float = 2.2


SERIES_STYLE: dict[str, Style] = {
    TRAIN_LOSS: Style("#3367d6", "solid", "reported training loss"),
    TRUE_TRAIN_LOSS: Style("#0b8a6f", "dash", "true training loss"),
    VAL_LOSS: Style("#e8710a", "solid", "validation loss"),
    LR: Style("#8d8f94", "dot", "learning rate", 1.5),
    TRAIN_ACC: Style("#3367d6", "solid", "training accuracy", 1.8),
    TRUE_TRAIN_ACC: Style("#0b8a6f", "dash", "true training accuracy", 1.8),
    VAL_ACC: Style("#e8710a", "solid", "validation accuracy", 1.8),
}
DEFAULT_STYLE = Style("#5f6368", "solid", "", 1.8)

MARK_SPIKE = "#d93025"
MARK_DIVERGENCE = "#8b0000"
MARK_BEST = "#f2a900"
SPAN_FILL = {
    "inverted_gap": "rgba(123, 77, 201, 0.10)",
    "overfitting": "rgba(217, 48, 37, 0.08)",
}
SPAN_LABEL = {"inverted_gap": "validation below reported training", "overfitting": "overfitting"}
HIGHLIGHT_FILL = "rgba(255, 196, 0, 0.28)"
HIGHLIGHT_LINE = "#c79100"

SEVERITY_COLOR = {"critical": "#d93025", "warning": "#e8710a", "info": "#3367d6"}

GAP_STYLE: dict[str, Style] = {
    GAP_PENALTY: Style("#7b4dc9", "solid", HUMAN_LABELS[GAP_PENALTY]),
    GAP_AVERAGING_LAG: Style("#3367d6", "solid", HUMAN_LABELS[GAP_AVERAGING_LAG]),
    GAP_TRAIN_MODE: Style("#0b8a6f", "solid", HUMAN_LABELS[GAP_TRAIN_MODE]),
    GAP_AUGMENTATION: Style("#c79100", "solid", HUMAN_LABELS[GAP_AUGMENTATION]),
    GAP_GENERALIZATION: Style("#c2185b", "solid", HUMAN_LABELS[GAP_GENERALIZATION]),
}

# One colour per run on the compare page (colour-blind-friendly order).
RUN_PALETTE = ("#3367d6", "#e8710a", "#0b8a6f", "#d93025", "#7b4dc9", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#5f6368")
# Losses without a role: not the training blue, true-training green or validation orange (a claimed role).
ROLELESS_PALETTE = RUN_PALETTE[3:]

FONT = "Inter, 'Source Sans Pro', 'Segoe UI', Helvetica, Arial, sans-serif"
RAW_OPACITY = 0.22
LEGEND_MARGIN = 118  # room under the x axis for its title and a legend of up to three rows
#: Line styles for the series of one run on the compare page (the run has the colour).
SERIES_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def style_for(name: str) -> Style:
    return SERIES_STYLE.get(name) or Style(DEFAULT_STYLE.color, DEFAULT_STYLE.dash, HUMAN_LABELS.get(name, name))


def run_color(index: int) -> str:
    return RUN_PALETTE[index % len(RUN_PALETTE)]


# --- data helpers ------------------------------------------------------------------------------


def smooth_ema(y: np.ndarray, weight: float) -> np.ndarray:
    """Debiased exponential moving average (TensorBoard's smoothing), vectorised.

    ``weight`` in [0, 1): 0 returns the data unchanged. Non-finite values are skipped (they stay
    non-finite in the output) so one NaN does not blank the rest of the curve.
    """
    y = np.asarray(y, dtype=np.float64)
    if weight <= 0 or len(y) == 0:
        return y.copy()
    from scipy.signal import lfilter

    weight = min(float(weight), 0.999)
    out = np.full_like(y, np.nan)
    finite = np.isfinite(y)
    vals = y[finite]
    if len(vals) == 0:
        return out
    ema = lfilter([1.0 - weight], [1.0, -weight], vals)
    debias = 1.0 - weight ** np.arange(1, len(vals) + 1)
    out[finite] = ema / debias
    return out


def downsample_indices(
    x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS, keep: Iterable[int] = ()
) -> np.ndarray:
    """Sorted indices of at most ``max_points`` points that preserve the curve's shape.

    MinMaxLTTB over the finite points keeps every bucket's minimum and maximum; the ``keep``
    indices (spike peaks) and the first non-finite value (where a divergence starts) are always
    included. ``x`` must be non-decreasing (the caller sorts).
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    keep_idx = np.unique(np.asarray([int(k) for k in keep if 0 <= int(k) < n], dtype=np.int64))
    finite = np.isfinite(y) & np.isfinite(x)
    nonfinite = np.flatnonzero(~finite)
    extra = nonfinite[:1]
    if len(keep_idx) > max_points // 2:
        # Absurdly many "spikes": keep the most extreme ones so the budget still holds.
        dev = np.abs(y[keep_idx] - np.nanmedian(y[finite])) if finite.any() else np.zeros(len(keep_idx))
        keep_idx = np.sort(keep_idx[np.argsort(-np.nan_to_num(dev))[: max_points // 2]])
    must = np.union1d(keep_idx, extra)
    budget = max_points - len(must)
    fidx = np.flatnonzero(finite)
    if len(fidx) <= budget:
        chosen = fidx
    else:
        from tsdownsample import MinMaxLTTBDownsampler

        n_out = max(4, budget - (budget % 2))
        xs = np.ascontiguousarray(x[fidx])
        ys = np.ascontiguousarray(y[fidx])
        local = MinMaxLTTBDownsampler().downsample(xs, ys, n_out=n_out).astype(np.int64)
        chosen = fidx[local]
    out = np.union1d(chosen, must)
    if len(out) > max_points:  # overlap accounting can leave a couple extra: drop non-kept ones
        drop = np.setdiff1d(out, must)[: len(out) - max_points]
        out = np.setdiff1d(out, drop)
    return out


def _sorted_xy(s: Series, axis: str, run: Run | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """x (as displayed, see :func:`axis_values`), y and original positions, sorted by x (stable)."""
    x = axis_values(run, s, axis) if run is not None else s.x(axis)
    if x is None:
        return None
    order = np.arange(len(x))
    if len(x) > 1 and not np.all(np.diff(x[np.isfinite(x)]) >= 0):
        order = np.argsort(x, kind="stable")
    return x[order], s.y[order], order


def _apply_time_axis(fig: go.Figure, xs: list[np.ndarray], axis: str) -> None:
    if axis != WALL_TIME:
        return
    arrays = [np.asarray(x, dtype=np.float64) for x in xs if x is not None and len(x) and x[0] is not None]
    finite = [x[np.isfinite(x)] for x in arrays]
    x_max = max((float(f.max()) for f in finite if len(f)), default=1.0)
    vals, text = elapsed_ticks(x_max)
    # the unified hover's title can only format the number (no h:mm:ss there): say its unit
    fig.update_xaxes(tickmode="array", tickvals=vals, ticktext=text, title_text="elapsed time (h:mm:ss)",
                     unifiedhovertitle=dict(text="%{x:,.0f} s elapsed"))


def _findings(report: Any) -> list[Any]:
    return list(getattr(report, "findings", None) or [])


def finding_range(run: Run, finding: Any, axis: str) -> tuple[float, float] | None:
    """A finding's [start, end] translated onto ``axis`` (findings carry their own x axis)."""
    start, end = getattr(finding, "start", None), getattr(finding, "end", None)
    if start is None:
        return None
    end = start if end is None else end
    src_axis = getattr(finding, "x_axis", None) or axis
    if src_axis == axis and axis == STEP:
        return float(start), float(end)
    candidates = [run.get(getattr(finding, "series", None) or "")] + [run.get(n) for n in LOSS_SERIES]
    for s in candidates:
        if s is None or s.x(src_axis) is None or s.x(axis) is None:
            continue
        src, dst = s.x(src_axis), axis_values(run, s, axis)  # findings use raw values
        ok = np.isfinite(src) & np.isfinite(dst)
        if not ok.any():
            continue
        src, dst = src[ok], dst[ok]
        mask = (src >= start) & (src <= end)
        if mask.any():
            return float(dst[mask].min()), float(dst[mask].max())
        order = np.argsort(src, kind="stable")
        return float(np.interp(start, src[order], dst[order])), float(np.interp(end, src[order], dst[order]))
    return None


def spike_peaks(run: Run, report: Any, name: str) -> list[int]:
    """Indices (into the series) of the peak of every spike finding on series ``name``."""
    s = run.get(name)
    if s is None:
        return []
    peaks: list[int] = []
    for f in _findings(report):
        if getattr(f, "kind", None) != "spike" or getattr(f, "series", None) != name:
            continue
        axis = getattr(f, "x_axis", None) or run.preferred_axis()
        x = s.x(axis)
        if x is None:
            continue
        start, end = f.start, f.end if f.end is not None else f.start
        # Long step logs are diagnosed on bin means, so a reported range can sit a bin away from the
        # raw peak: search a little around it (1/1000 of the run, or the range's own width).
        finite_x = x[np.isfinite(x)]
        span = float(finite_x.max() - finite_x.min()) if len(finite_x) else 0.0
        pad = max(end - start, span / 1000.0) if len(s) > 1000 else 0.0
        idx = np.flatnonzero((x >= start - pad) & (x <= end + pad) & np.isfinite(s.y))
        if len(idx) == 0:  # a spike between samples: take the nearest point
            near = np.nanargmin(np.abs(x - start)) if np.isfinite(x).any() else None
            if near is not None:
                peaks.append(int(near))
            continue
        peaks.append(int(idx[np.argmax(s.y[idx])]))
    return peaks


def loss_series_names(run: Run) -> list[str]:
    """The canonical losses; in a run with none (roles not given yet), its role-less losses, so the
    user sees the curves the page asks them to name."""
    from ..roles import roleless_losses

    return [n for n in LOSS_SERIES if n in run.series] or roleless_losses(run)[:len(ROLELESS_PALETTE)]


# --- layout ------------------------------------------------------------------------------------


def _base_layout(fig: go.Figure, *, height: int, title: str | None, x_title: str, y_title: str, log_y: bool) -> None:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin=dict(l=60, r=60, t=70 if title else 40, b=LEGEND_MARGIN),
        font=dict(family=FONT, size=13, color="#202124"),
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=16)) if title else None,
        hovermode="x unified",
        # Below the plot: the toolbar (top right) never covers an entry, however many there are.
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, xanchor="left", x=0,
                    bgcolor="rgba(0,0,0,0)"),
        xaxis=dict(title=dict(text=x_title), showline=True, linecolor="#dadce0", gridcolor="#f1f3f4", zeroline=False),
        yaxis=dict(
            title=dict(text=y_title), type="log" if log_y else "linear", showline=True, linecolor="#dadce0",
            gridcolor="#f1f3f4", zeroline=False,
        ),
    )


def _legend_swatch(fig: go.Figure, label: str, color: str, symbol: str = "square") -> None:
    fig.add_trace(
        go.Scatter(x=[None], y=[None], mode="markers", name=label, hoverinfo="skip",
                   marker=dict(symbol=symbol, size=12, color=color, line=dict(width=0)))
    )


def _add_line(
    fig: go.Figure, name: str, x: np.ndarray, y: np.ndarray, raw: np.ndarray | None, style: Style,
    *, yaxis: str = "y", legend: str | None = None, color: str | None = None, dash: str | None = None,
) -> None:
    color = color or style.color
    group = legend or name
    if raw is not None:
        fig.add_trace(
            go.Scatter(x=x, y=raw, mode="lines", name=f"{style.label or name} (raw)", legendgroup=group,
                       showlegend=False, hoverinfo="skip", yaxis=yaxis, opacity=RAW_OPACITY,
                       line=dict(color=color, width=1.2, dash=dash or style.dash), meta={"series": name, "role": "raw"})
        )
    fig.add_trace(
        go.Scatter(x=x, y=y, mode="lines", name=legend or style.label or name, legendgroup=group, yaxis=yaxis,
                   line=dict(color=color, width=style.width, dash=dash or style.dash),
                   hovertemplate="%{y:.4g}", meta={"series": name, "role": "line"})
    )


# --- the overlay chart -------------------------------------------------------------------------


def overlay_figure(
    run: Run,
    report: Any = None,
    *,
    x_axis: str | None = None,
    log_y: bool = False,
    smoothing: float = 0.0,
    highlight: int | None = None,
    show_lr: bool = True,
    max_points: int = DISPLAY_POINTS,
    height: int = 470,
    title: str | None = None,
) -> go.Figure:
    """Reported (solid), true (dashed, CI band) and validation loss, LR on a secondary axis.

    Markers: spike peaks, divergence start, best validation epoch. Shaded spans: inverted gaps and
    overfitting. ``highlight`` is an index into ``report.findings`` drawn as a strong band.
    Every trace holds at most ``max_points`` points; smoothing and detection use the full data.
    """
    axes = available_axes(run)
    axis = x_axis if x_axis in axes else default_axis(run)
    fig = go.Figure()
    _base_layout(fig, height=height, title=title, x_title=HUMAN_LABELS.get(axis, axis), y_title="loss", log_y=log_y)
    missing: list[str] = []
    spike_x: list[float] = []
    spike_y: list[float] = []
    spike_text: list[str] = []

    for number, name in enumerate(loss_series_names(run)):
        s = run.series[name]
        sorted_xy = _sorted_xy(s, axis, run)
        if sorted_xy is None:
            missing.append(HUMAN_LABELS.get(name, name))
            continue
        x, y, order = sorted_xy
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        peaks = [int(rank[p]) for p in spike_peaks(run, report, name)]
        smoothed = smooth_ema(y, smoothing) if smoothing > 0 else y
        idx = downsample_indices(x, y, max_points, keep=peaks)
        style = style_for(name) if name in LOSS_SERIES else Style(ROLELESS_PALETTE[number], "solid", f"{name} (no role)", 2.0)
        band = run.band(name)
        if band is not None:
            lo, hi = band
            lo_xy, hi_xy = _sorted_xy(lo, axis, run), _sorted_xy(hi, axis, run)
            if lo_xy is not None and hi_xy is not None:
                bidx = downsample_indices(lo_xy[0], lo_xy[1], max_points)
                fig.add_trace(go.Scatter(x=lo_xy[0][bidx], y=lo_xy[1][bidx], mode="lines", line=dict(width=0),
                                         showlegend=False, hoverinfo="skip", legendgroup=name + "_ci",
                                         meta={"series": name + CI_LOW_SUFFIX, "role": "band"}))
                fig.add_trace(go.Scatter(x=hi_xy[0][bidx], y=hi_xy[1][bidx], mode="lines", line=dict(width=0),
                                         fill="tonexty", fillcolor=_rgba(style.color, 0.16), hoverinfo="skip",
                                         name=f"{style.label} 95% CI", legendgroup=name + "_ci",
                                         meta={"series": name + CI_HIGH_SUFFIX, "role": "band"}))
        _add_line(fig, name, x[idx], smoothed[idx], y[idx] if smoothing > 0 else None, style)
        for p in peaks:
            spike_x.append(float(x[p]))
            spike_y.append(float(y[p]))
            spike_text.append(f"spike in {style.label}")

    if show_lr and LR in run.series:
        s = run.series[LR]
        sorted_xy = _sorted_xy(s, axis, run)
        if sorted_xy is not None:
            x, y, _ = sorted_xy
            idx = downsample_indices(x, y, max_points)
            _add_line(fig, LR, x[idx], y[idx], None, style_for(LR), yaxis="y2")
            fig.update_layout(yaxis2=lr_axis(y))

    if spike_x:
        fig.add_trace(go.Scatter(x=spike_x, y=spike_y, mode="markers", name="spike", text=spike_text,
                                 hovertemplate="%{text}: %{y:.4g}<extra></extra>",
                                 marker=dict(symbol="x-thin-open", size=13, color=MARK_SPIKE, line=dict(width=3)),
                                 meta={"role": "spike_markers"}))
    _add_divergence(fig, run, report, axis)
    _add_best_epoch(fig, run, axis)
    _add_spans(fig, run, report, axis)
    if highlight is not None:
        _add_highlight(fig, run, report, highlight, axis)
    _apply_time_axis(fig, [tr.x for tr in fig.data if (tr.meta or {}).get("role") == "line"], axis)
    # Series that cannot be drawn on this axis are named by the page in a visible note (an
    # annotation under the plot was clipped and overlapped the axis title).
    fig.update_layout(meta={"x_axis": axis, "max_points": max_points, "missing": missing})
    return fig


def lr_axis(y: np.ndarray) -> dict[str, Any]:
    """The secondary LR axis: log with round ticks when the LR spans > 100×, else linear from 0.

    A constant LR gets [0, 1.15 × LR] (an autoscaled axis around one value started at 0.0011).
    """
    pos = np.asarray(y, dtype=np.float64)
    pos = pos[np.isfinite(pos) & (pos > 0)]
    lr_log = len(pos) > 1 and pos.max() / pos.min() > 100
    axis2: dict[str, Any] = dict(title=dict(text="learning rate"), overlaying="y", side="right", showgrid=False,
                                 type="log" if lr_log else "linear", showline=True, linecolor="#dadce0",
                                 zeroline=False)
    if lr_log:
        vals, text = lr_ticks(float(pos.min()), float(pos.max()))
        axis2.update(tickmode="array", tickvals=vals, ticktext=text)
    elif len(pos):
        top = float(pos.max()) * 1.15
        vals = linear_ticks(top)
        axis2.update(range=[0.0, top], tickmode="array", tickvals=vals, ticktext=[num(v) for v in vals])
    return axis2


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _add_divergence(fig: go.Figure, run: Run, report: Any, axis: str) -> None:
    for f in _findings(report):
        if getattr(f, "kind", None) != "divergence":
            continue
        rng = finding_range(run, f, axis)
        if rng is None:
            continue
        fig.add_vline(x=rng[0], line=dict(color=MARK_DIVERGENCE, width=2, dash="dash"))
        fig.add_annotation(x=rng[0], y=1, yref="paper", text="diverges", showarrow=False, yanchor="bottom",
                           xanchor="left", font=dict(color=MARK_DIVERGENCE, size=12))
        _legend_swatch(fig, "divergence", MARK_DIVERGENCE, "line-ns-open")
        return


def _add_best_epoch(fig: go.Figure, run: Run, axis: str) -> None:
    s = run.get(VAL_LOSS)
    if s is None or s.x(axis) is None or not np.isfinite(s.y).any() or len(s) < 3:
        return
    i = int(np.nanargmin(np.where(np.isfinite(s.y), s.y, np.nan)))
    label = "best validation"
    if s.epoch is not None and np.isfinite(s.epoch[i]):
        label = f"best validation (epoch {num(s.epoch[i])})"
    fig.add_trace(go.Scatter(x=[axis_values(run, s, axis)[i]], y=[s.y[i]], mode="markers", name=label,
                             hovertemplate=label + ": %{y:.4g}<extra></extra>",
                             marker=dict(symbol="star", size=16, color=MARK_BEST, line=dict(color="#7a5b00", width=1)),
                             meta={"role": "best_marker"}))


def _add_spans(fig: go.Figure, run: Run, report: Any, axis: str) -> None:
    seen: set[str] = set()
    for f in _findings(report):
        kind = getattr(f, "kind", None)
        if kind not in SPAN_FILL:
            continue
        rng = finding_range(run, f, axis)
        if rng is None:
            continue
        x0, x1 = rng
        if x1 <= x0:
            x1 = x0 + _min_width(run, axis)
        fig.add_vrect(x0=x0, x1=x1, fillcolor=SPAN_FILL[kind], line_width=0, layer="below")
        if kind not in seen:
            seen.add(kind)
            _legend_swatch(fig, SPAN_LABEL[kind], SPAN_FILL[kind].replace("0.10", "0.45").replace("0.08", "0.40"))


def _min_width(run: Run, axis: str) -> float:
    xs = [axis_values(run, s, axis) for s in run.series.values() if s.x(axis) is not None]
    if not xs:
        return 1.0
    allx = np.concatenate(xs)
    allx = allx[np.isfinite(allx)]
    if len(allx) < 2:
        return 1.0
    return max((allx.max() - allx.min()) * 0.006, 1e-9)


def _add_highlight(fig: go.Figure, run: Run, report: Any, index: int, axis: str) -> None:
    findings = _findings(report)
    if not 0 <= index < len(findings):
        return
    f = findings[index]
    rng = finding_range(run, f, axis)
    if rng is None:
        return
    x0, x1 = rng
    pad = _min_width(run, axis)
    fig.add_vrect(x0=x0 - pad, x1=max(x1, x0) + pad, fillcolor=HIGHLIGHT_FILL, layer="below",
                  line=dict(color=HIGHLIGHT_LINE, width=1.5))
    fig.add_annotation(x=(x0 + x1) / 2, y=1.0, yref="paper", yanchor="top", showarrow=False,
                       text=f"{getattr(f, 'kind', 'finding')}".replace("_", " "),
                       font=dict(color="#5c4300", size=12), bgcolor="rgba(255,236,179,0.9)")


# --- compare -----------------------------------------------------------------------------------


def compare_figure(
    runs: Sequence[tuple[str, Run]],
    series: Sequence[str] = (VAL_LOSS,),
    *,
    x_axis: str = EPOCH,
    log_y: bool = False,
    smoothing: float = 0.0,
    max_points: int = DISPLAY_POINTS,
    height: int = 470,
) -> go.Figure:
    """The same series from several runs: each run its own colour, each series its own dash.

    What could not be drawn is listed in ``layout.meta["missing"]`` (run label -> series names) and
    ``layout.meta["runs_without_axis"]`` (runs with no point on ``x_axis``), for the page to say so
    in a visible note.
    """
    fig = go.Figure()
    y_title = "loss" if all(n in LOSS_SERIES for n in series) else ", ".join(HUMAN_LABELS.get(n, n) for n in series)
    _base_layout(fig, height=height, title=None, x_title=HUMAN_LABELS.get(x_axis, x_axis), y_title=y_title, log_y=log_y)
    missing: dict[str, list[str]] = {}
    drawn_runs: set[str] = set()
    xs: list[np.ndarray] = []
    for i, (label, run) in enumerate(runs):
        color = run_color(i)
        for j, name in enumerate(series):
            s = run.get(name)
            xy = _sorted_xy(s, x_axis, run) if s is not None else None
            if xy is None or not np.isfinite(xy[0]).any():
                missing.setdefault(label, []).append(HUMAN_LABELS.get(name, name))
                continue
            drawn_runs.add(label)
            x, y, _ = xy
            xs.append(x)
            smoothed = smooth_ema(y, smoothing) if smoothing > 0 else y
            idx = downsample_indices(x, y, max_points)
            legend = label if len(series) == 1 else f"{label} · {style_for(name).label}"
            _add_line(fig, name, x[idx], smoothed[idx], y[idx] if smoothing > 0 else None, style_for(name),
                      legend=legend, color=color, dash=SERIES_DASHES[j % len(SERIES_DASHES)])
            fig.data[-1].meta = {"series": name, "run": label, "role": "line"}
    _apply_time_axis(fig, xs, x_axis)
    fig.update_layout(meta={"x_axis": x_axis, "missing": missing,
                            "runs_without_axis": [label for label, _ in runs if label not in drawn_runs]})
    return fig


# --- small things ------------------------------------------------------------------------------


def trace_point_counts(fig: go.Figure) -> dict[str, int]:
    """Points per data trace (for the benchmark and tests): name -> number of x values."""
    out = {}
    for i, tr in enumerate(fig.data):
        x = getattr(tr, "x", None)
        if x is None:
            continue
        out[f"{i}:{tr.name}"] = len(x)
    return out


__all__ = [
    "MAX_POINTS", "DISPLAY_POINTS", "SERIES_STYLE", "RUN_PALETTE", "GAP_STYLE", "SEVERITY_COLOR", "Style", "style_for", "run_color",
    "smooth_ema", "downsample_indices", "finding_range", "spike_peaks", "available_axes", "loss_series_names",
    "default_axis", "axis_values", "fractional_epochs", "elapsed_label", "elapsed_ticks", "lr_ticks", "lr_axis",
    "overlay_figure", "compare_figure", "trace_point_counts", "X_AXES", "linear_ticks", "run_start_time",
]
