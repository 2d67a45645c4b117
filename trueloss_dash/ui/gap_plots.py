"""The gap decomposition figures of trainer runs (reported − validation split into the measured
terms): a waterfall at one epoch that reads left to right as a sum, and the terms per epoch as
stacked bars. Colours come from :mod:`.plots` so a term looks the same everywhere."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..columns import (
    GAP_AUGMENTATION,
    GAP_AVERAGING_LAG,
    GAP_GENERALIZATION,
    GAP_PENALTY,
    GAP_TERMS,
    GAP_TRAIN_MODE,
    HUMAN_LABELS,
    TRAIN_LOSS,
    TRUE_TRAIN_LOSS,
    VAL_LOSS,
)
from ..fmt import num
from ..run import Run
from .plots import GAP_STYLE, SERIES_STYLE, _base_layout


def has_gap_terms(run: Run) -> bool:
    return all(t in run.series for t in GAP_TERMS) and TRAIN_LOSS in run.series and VAL_LOSS in run.series


def gap_epochs(run: Run) -> list[float]:
    s = run.get(GAP_GENERALIZATION)
    if s is None:
        return []
    x = s.epoch if s.epoch is not None else s.step
    return [] if x is None else [float(v) for v in x]


def _value_at(run: Run, name: str, epoch: float) -> float:
    s = run.series[name]
    x = s.epoch if s.epoch is not None else s.step
    i = int(np.argmin(np.abs(x - epoch)))
    return float(s.y[i])


def gap_waterfall(run: Run, epoch: float, *, height: int = 360) -> go.Figure:
    """The measured gap at one epoch, read left to right as a sum of signed contributions.

    validation + generalization gap = true training loss, and
    true training loss + penalty + averaging lag + train-mode effect + augmentation effect
    = reported training loss. Every term keeps the sign the trainer measured and the diagnosis
    quotes (the generalization gap is true − validation: negative when validation is above the
    true training loss), so a bar labelled "+ x" moves the level up when x > 0 and down when x < 0.
    Floating bars (not ``go.Waterfall``) so each term keeps its colour from the stacked view.
    """
    from ..fmt import signed

    val = _value_at(run, VAL_LOSS, epoch)
    labels, bases, heights, colors, texts, kinds = [], [], [], [], [], []

    def total(label: str, value: float, color: str) -> None:
        labels.append(_wrap(label)), bases.append(0.0), heights.append(value), colors.append(color)
        texts.append(num(value)), kinds.append("total")

    def add(term: str, level: float) -> float:
        v = _value_at(run, term, epoch)
        labels.append(_wrap("+ " + HUMAN_LABELS[term])), bases.append(min(level, level + v)), heights.append(abs(v))
        colors.append(GAP_STYLE[term].color), texts.append(signed(v)), kinds.append(term)
        return level + v

    total(HUMAN_LABELS[VAL_LOSS], val, SERIES_STYLE[VAL_LOSS].color)
    level = add(GAP_GENERALIZATION, val)
    total("= " + HUMAN_LABELS[TRUE_TRAIN_LOSS], level, SERIES_STYLE[TRUE_TRAIN_LOSS].color)
    for term in (GAP_PENALTY, GAP_AVERAGING_LAG, GAP_TRAIN_MODE, GAP_AUGMENTATION):
        level = add(term, level)
    total("= " + HUMAN_LABELS[TRAIN_LOSS], level, SERIES_STYLE[TRAIN_LOSS].color)
    fig = go.Figure(go.Bar(x=labels, y=heights, base=bases, marker=dict(color=colors), text=texts,
                           textposition="outside", cliponaxis=False, customdata=kinds,
                           hovertemplate="%{x}: %{text}<extra></extra>"))
    _base_layout(fig, height=height, title=None, x_title="", y_title="loss", log_y=False)
    fig.update_layout(showlegend=False, hovermode="closest", margin=dict(l=55, r=20, t=30, b=80), bargap=0.3,
                      meta={"epoch": epoch, "end_level": level, "start_level": val,
                            "reported": _value_at(run, TRAIN_LOSS, epoch)})
    fig.update_xaxes(tickangle=0, tickfont=dict(size=11))
    return fig


def _wrap(label: str, width: int = 13) -> str:
    """Break a tick label between words only (never inside one, as "augmen-<br>tation" did)."""
    lines: list[str] = []
    words = label.split()
    if len(words) > 1 and words[0] in ("+", "="):  # keep the operator with its first word
        words[:2] = [f"{words[0]} {words[1]}"]
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def gap_stacked(run: Run, *, height: int = 360) -> go.Figure:
    """Each gap term per epoch as stacked bars (negative terms below zero) and the total gap as a line."""
    fig = go.Figure()
    _base_layout(fig, height=height, title=None, x_title="epoch", y_title="reported − validation", log_y=False)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
                      margin=dict(l=60, r=20, t=40, b=45), hovermode="x unified")
    for t in GAP_TERMS:
        s = run.series[t]
        x = s.epoch if s.epoch is not None else s.step
        st = GAP_STYLE[t]
        fig.add_trace(go.Bar(x=x, y=s.y, name=st.label, marker=dict(color=st.color), hovertemplate="%{y:.4g}"))
    total = np.sum([run.series[t].y for t in GAP_TERMS], axis=0)
    s0 = run.series[GAP_TERMS[0]]
    x0 = s0.epoch if s0.epoch is not None else s0.step
    fig.add_trace(go.Scatter(x=x0, y=total, name="reported − validation", mode="lines+markers",
                             line=dict(color="#202124", width=2), marker=dict(size=5), hovertemplate="%{y:.4g}"))
    fig.update_layout(barmode="relative", bargap=0.15)
    return fig
