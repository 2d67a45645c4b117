"""Compare runs: the same series from several runs (colour per run) and their diagnoses side by side."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import streamlit as st

from .. import fmt
from ..columns import HUMAN_LABELS, LR, TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS
from . import plots, state
from .components import AXIS_LABEL, PLOT_CONFIG
from .safe import md

SERIES_CHOICES = (VAL_LOSS, TRAIN_LOSS, TRUE_TRAIN_LOSS, LR, "val_acc", "train_acc")


def _last_finite(y: np.ndarray) -> float | None:
    ok = y[np.isfinite(y)]
    return float(ok[-1]) if len(ok) else None


def summary_table(entries: list[state.LoadedRun]) -> Any:
    """One column per run: verdict, findings by kind, top causes, key numbers."""
    import pandas as pd

    cols: dict[str, dict[str, str]] = {}
    for i, e in enumerate(entries):
        rep = e.report()
        kinds = Counter(str(f.kind).replace("_", " ") for f in rep.findings)
        causes = list(rep.causes)[:3]
        col = {
            "verdict": rep.verdict,
            "findings": ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in kinds.items()) or "none",
        }
        for j in range(3):
            col[f"cause {j + 1}"] = f"{causes[j].title} ({fmt.confidence(causes[j].confidence)})" if j < len(causes) else "—"
        val = e.run.get(VAL_LOSS)
        if val is not None and np.isfinite(val.y).any():
            k = int(np.nanargmin(np.where(np.isfinite(val.y), val.y, np.nan)))
            where = fmt.at("epoch", val.epoch[k]) if val.epoch is not None else (fmt.at("step", val.step[k]) if val.step is not None else "")
            col["best validation loss"] = f"{fmt.num(val.y[k])} ({where})"
        else:
            col["best validation loss"] = "—"
        for name in (TRAIN_LOSS, TRUE_TRAIN_LOSS, VAL_LOSS):
            s = e.run.get(name)
            last = _last_finite(s.y) if s is not None else None
            col[f"final {HUMAN_LABELS[name]}"] = "—" if last is None else fmt.num(last)
        label = f"{i + 1}. {e.run.name}"
        cols[label] = col
    return pd.DataFrame(cols)


def page() -> None:
    current = state.runs()
    if len(current) < 1:
        st.info("Load at least two runs (Runs page or Live demo) to compare them.")
        return
    keys = list(current)
    chosen = st.multiselect("runs", keys, default=keys[-4:], format_func=lambda k: current[k].label, key="cmp_runs")
    if not chosen:
        st.info("Pick the runs to compare.")
        return
    entries = [current[k] for k in chosen]
    present = [n for n in SERIES_CHOICES if any(n in e.run.series for e in entries)]
    axes = [a for a in ("epoch", "step", "wall_time") if any(a in plots.available_axes(e.run) for e in entries)]
    # Default: the axis the most chosen runs open on (step for step-logged files).
    votes = Counter(plots.default_axis(e.run) for e in entries)
    default = max(axes, key=lambda a: (votes.get(a, 0), sum(a in plots.available_axes(e.run) for e in entries),
                                       -axes.index(a))) if axes else "epoch"
    axis_key = f"cmp_axis_{'_'.join(axes)}"
    if st.session_state.get(axis_key) not in axes:
        st.session_state[axis_key] = default
    c1, c2, c3, c4 = st.columns([2.6, 1.2, 0.8, 1.6], vertical_alignment="bottom")
    with c1:
        series = st.multiselect("series", present, default=[n for n in (VAL_LOSS,) if n in present] or present[:1],
                                format_func=lambda n: HUMAN_LABELS.get(n, n), key="cmp_series")
    with c2:
        axis = st.selectbox("x axis", axes or ["epoch"], format_func=lambda a: AXIS_LABEL.get(a, a), key=axis_key)
    with c3:
        log_y = st.toggle("log y", key="cmp_logy")
    with c4:
        smoothing = st.slider("smoothing", 0.0, 0.99, 0.0, 0.01, key="cmp_smooth")
    if series:
        fig = plots.compare_figure([(f"{i + 1}. {e.run.name}", e.run) for i, e in enumerate(entries)], series,
                                   x_axis=axis, log_y=log_y, smoothing=smoothing)
        meta = fig.layout.meta or {}
        without = meta.get("runs_without_axis") or []
        if without:
            others = [a for a in axes if a != axis]
            st.warning(f"{md(fmt.count(len(without), 'run'))} of {len(entries)} "
                       f"{'has' if len(without) == 1 else 'have'} no {md(AXIS_LABEL.get(axis, axis).lower())} values "
                       f"and {'is' if len(without) == 1 else 'are'} not drawn: {md('; '.join(without))}."
                       + (f" Choose {md(' or '.join(AXIS_LABEL.get(a, a) for a in others))} to see "
                          f"{'it' if len(without) == 1 else 'them'}." if others else ""),
                       icon=":material/visibility_off:")
        partial = {k: v for k, v in (meta.get("missing") or {}).items() if k not in without}
        if partial:
            st.caption(":material/info: Not in every run: " + md("; ".join(f"{k}: no {', '.join(v)}" for k, v in partial.items())))
        st.plotly_chart(fig, key="cmp_chart", config=PLOT_CONFIG, theme=None)
    st.markdown("#### Diagnoses side by side")
    st.table(summary_table(entries))
