""""Watch a folder" on the Runs page: the runs under ``serve --logdir DIR``, followed live.

The folder is fixed when the server starts (``TRUELOSS_DASH_LOGDIR``), never typed in the browser:
a web page must not choose which server folders are read. One :func:`shared_watcher` per server
reads and diagnoses; every session only looks at its snapshots. The view is a fragment that
re-runs every second on its own (the rest of the page is not re-run), the chart keeps the user's
zoom across updates (Plotly ``uirevision``), and each new WARNING/CRITICAL finding raises a toast
and a badge on its run with the step where it appeared.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import streamlit as st

from ..commands.serve import LOGDIR_ENV
from . import components, plots, state
from .live_chart import live_chart
from .common import verdict_banner
from .safe import md

REFRESH_SECONDS = 1.0
STATUS_STYLE = {
    "live": ("#0b8a6f", "live"), "finished": ("#3367d6", "finished"), "stale": ("#b06000", "stale"),
    "diverged": ("#c5221f", "diverged"), "gone": ("#5f6368", "gone"), "waiting": ("#80868b", "waiting"),
}
SEVERITY_ICON = {"critical": "✖", "warning": "⚠"}


def logdir() -> Path | None:
    value = os.environ.get(LOGDIR_ENV)
    return Path(value) if value else None


def _watcher():
    from ..watch import shared_watcher

    return shared_watcher(logdir())


def enabled() -> bool:
    """The watch view shows when the server watches a folder (unless this session closed it)."""
    return logdir() is not None and not st.session_state.get("watch_closed")


def entry_tab() -> None:
    """The 'Watch a folder' tab of the load panel."""
    folder = logdir()
    if folder is None:
        st.info("Start the dashboard with **`trueloss-dash serve --logdir DIR`** to watch the folder your training "
                "writes to: every run in it is listed, followed as it grows and diagnosed live. For security the folder "
                "is fixed when the server starts; it cannot be chosen from the browser.")
        st.caption("In a terminal or CI: `trueloss-dash watch DIR --fail-on critical` prints each new finding and "
                   "exits 1 on the first critical one.")
        return
    st.markdown(f"Watching **{md(folder)}** (fixed by `serve --logdir`).")
    if st.session_state.get("watch_closed") and st.button("Show the watched runs", key="watch_reopen", type="primary"):
        st.session_state["watch_closed"] = False
        st.rerun()


def _badge(status: str) -> str:
    color, text = STATUS_STYLE.get(status, ("#5f6368", status))
    return (f"<span class='tl-sev' data-testid='tl-watch-status' style='background:{color}'>"
            f"{md(text)}</span>")


def _alert_badge(alert: Any) -> str:
    color = "#c5221f" if alert.severity == "critical" else "#b06000"
    where = f" @ {alert.where}" if alert.where else ""
    text = f"{SEVERITY_ICON.get(alert.severity, '')} {alert.kind.replace('_', ' ')}{where}"
    return (f"<span class='tl-pill' data-testid='tl-watch-alert' style='border-color:{color};color:{color}'>"
            f"{md(text)}</span>")


def _standing(row: Any) -> list:
    """The run's alerts whose finding the current diagnosis still shows (a warning that more data
    dissolved is history: it was toasted, the badge goes)."""
    if row.report is None:
        return list(row.alerts)
    now = {(f.kind, f.series) for f in row.report.findings if f.severity in ("warning", "critical")}
    return [a for a in row.alerts if (a.kind, a.series) in now]


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _run_list(snap: Any) -> None:
    now = time.time()
    rows = []
    for r in snap.runs:
        alerts = "".join(_alert_badge(a) for a in _standing(r)[-3:])
        written = _age(now - r.last_write) if r.last_write else "-"
        problem = f"<br><span class='tl-muted'>{md(r.error)}</span>" if r.error else ""
        rows.append(
            f"<tr data-testid='tl-watch-row' data-run='{md(r.key)}'><td>{_badge(r.status)}</td>"
            f"<td><b>{md(r.label)}</b>{problem}</td><td class='tl-muted'>{md(r.format or r.kind)}</td>"
            f"<td style='text-align:right' data-testid='tl-watch-points'>{r.points:,}</td>"
            f"<td class='tl-muted'>{written}</td><td>{alerts}</td></tr>"
        )
    st.markdown(
        "<table class='tl-watch' style='width:100%;border-collapse:collapse;font-size:0.9rem'>"
        "<tr class='tl-muted' style='text-align:left'><th>status</th><th>run</th><th>format</th>"
        "<th style='text-align:right'>points</th><th>last write</th><th>new findings</th></tr>"
        + "".join(rows) + "</table>",
        unsafe_allow_html=True,
    )
    if snap.refused or snap.skipped:
        with st.expander(f"Not read ({len(snap.refused) + len(snap.skipped)})"):
            st.markdown("\n".join(f"- {md(t)}" for t in [*snap.refused, *snap.skipped][:50]))


def _toasts(snap: Any) -> None:
    """One toast per new WARNING/CRITICAL finding since this session last looked."""
    last = st.session_state.get("watch_seen_alert")
    newest = max((a.seq for a in snap.alerts), default=0)
    if last is None:  # first look: what is already there is on the badges, not in toasts
        st.session_state["watch_seen_alert"] = newest
        return
    for alert in snap.alerts:
        if alert.seq > last:
            where = f" at {alert.where}" if alert.where else ""
            st.toast(f"**{md(alert.severity.upper())}**: {md(alert.kind.replace('_', ' '))} in {md(alert.run_label)}{md(where)}",
                     icon=":material/error:" if alert.severity == "critical" else ":material/warning:")
    st.session_state["watch_seen_alert"] = newest


def _chart(row: Any) -> None:
    run, report = row.run, row.report
    if run is None:
        st.info(f"{md(row.label)}: no data rows yet - waiting for the first epoch or step.")
        return
    verdict_banner(report) if report is not None else None
    live_chart(_figure_json(row), key="watch_chart", height=440, config=components.PLOT_CONFIG,
               revision=f"{row.key}:{row.version}")
    st.markdown(f"<span class='tl-muted' data-testid='tl-watch-chart-points'>{int(row.points):,} points · "
                f"{md(row.format or row.kind)} · {md(run.source or '')}</span>",
                unsafe_allow_html=True)


_FIGURES: dict[tuple, str] = {}  # (run key, version) -> figure JSON, shared by every session


def _figure_json(row: Any) -> str:
    """The chart of a watched run, built once per new version of its data (building a figure costs
    far more than the once-a-second refresh that asks for it)."""
    key = (row.key, row.version)
    spec = _FIGURES.get(key)
    if spec is None:
        # a run being written is followed step by step; the epoch axis would draw each epoch as a staircase
        axes = plots.available_axes(row.run)
        fig = plots.overlay_figure(row.run, row.report, height=440, x_axis="step" if "step" in axes else None)
        # uirevision: Plotly keeps the user's zoom/pan while the data under it grows (see live_chart)
        fig.update_layout(uirevision=row.key)
        spec = fig.to_json()
        if len(_FIGURES) > 64:
            _FIGURES.clear()
        _FIGURES[key] = spec
    return spec


@st.fragment(run_every=REFRESH_SECONDS)
def live_view() -> None:
    try:
        watcher = _watcher()
    except Exception as err:  # noqa: BLE001 - a bad folder is a sentence, not a traceback
        st.error(f"Cannot watch {md(logdir())}: {md(err)}")
        return
    snap = watcher.snapshot()
    _toasts(snap)
    st.markdown(f"**{len(snap.runs)}** run{'s' if len(snap.runs) != 1 else ''} in {md(snap.root)} · "
                f"{md(snap.mode)} · updated {md(time.strftime('%H:%M:%S', time.localtime(snap.scanned_at or time.time())))}")
    if watcher.last_error:
        st.caption(f"watcher: {md(watcher.last_error)}")
    if not snap.runs:
        st.info("No runs found yet. Training logs written into this folder (Lightning version_*, TensorBoard event files, "
                "HF trainer_state.json, Ultralytics results.csv, mlruns, Keras CSV, JSON lines, text logs) appear here.")
        return
    _run_list(snap)
    keys = sorted(r.key for r in snap.runs)  # a stable order: a run changing status never moves the selection
    labels = {r.key: r.label for r in snap.runs}
    current = st.session_state.get("watch_pick")
    if current not in keys:
        st.session_state["watch_pick"] = snap.runs[0].key  # the top of the list: diverged or live first
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    with c1:
        key = st.selectbox("watched run", keys, format_func=lambda k: labels.get(k, k), key="watch_pick")
    row = snap.run(key)
    watcher.focus(key)
    with c2:
        if st.button("Open for analysis", key="watch_open", width="stretch", disabled=row is None or row.run is None,
                     help="Copy the run as it is now into this session's runs (context form, exports, compare)."):
            state.add_run(row.run, "watch")
            st.session_state["watch_closed"] = True
            st.rerun()
    if row is not None:
        _chart(row)


def section() -> None:
    """The watch view at the top of the Runs page."""
    with st.container(border=True):
        c1, c2 = st.columns([6, 1], vertical_alignment="center")
        c1.markdown("#### :material/visibility: Watching a folder")
        if c2.button("Hide", key="watch_hide", width="stretch"):
            st.session_state["watch_closed"] = True
            st.rerun()
        live_view()
