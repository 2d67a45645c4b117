"""Small pieces every page shares: the error guard, page styling, the header, badges."""

from __future__ import annotations

import html
import traceback
from typing import Any, Callable

import streamlit as st

from ..errors import TruelossError
from .plots import SEVERITY_COLOR

CSS = """
<style>
.block-container {padding-top: 2.2rem; padding-bottom: 3rem; max-width: 1180px;}
[data-testid="stSidebar"] [data-testid="stMarkdownContainer"] p {font-size: 0.95rem;}
.tl-header {display:flex; align-items:baseline; gap:14px; margin-bottom: 0.2rem;}
.tl-header h1 {font-size: 1.9rem; margin: 0; padding: 0;}
.tl-sub {color:#5f6368; font-size: 0.98rem; margin-bottom: 1rem;}
.tl-legend {display:inline-flex; gap:16px; font-size:0.85rem; color:#3c4043;}
.tl-sev {display:inline-block; color:#fff; border-radius:10px; padding:0 8px; font-size:0.75rem;
         font-weight:600; margin-right:6px; text-transform:uppercase; letter-spacing:0.02em;}
.tl-verdict {border-left:6px solid; border-radius:8px; padding:12px 16px; margin: 4px 0 14px 0;
             font-size:1.08rem; line-height:1.45;}
.tl-verdict.ok {background:#e6f4ea; border-color:#0b8a6f;}
.tl-verdict.warning {background:#fef7e0; border-color:#e8710a;}
.tl-verdict.critical {background:#fce8e6; border-color:#d93025;}
.tl-verdict small {display:block; color:#5f6368; font-size:0.82rem; margin-top:4px;}
.tl-muted {color:#5f6368; font-size:0.88rem;}
.tl-pill {display:inline-block; background:#f1f3f4; border-radius:12px; padding:1px 10px; margin:2px 4px 2px 0;
          font-size:0.82rem; color:#3c4043;}
</style>
"""


def page_style() -> None:
    st.markdown(CSS, unsafe_allow_html=True)


def header(title: str, subtitle: str) -> None:
    st.markdown(
        f"<div class='tl-header'><h1>{html.escape(title)}</h1></div><div class='tl-sub'>{html.escape(subtitle)}</div>",
        unsafe_allow_html=True,
    )


def guard(body: Callable[[], Any], *, where: str) -> None:
    """Run a page body; any exception becomes a sentence (plus details on demand), never a raw trace.

    Streamlit's own control flow (rerun, stop) derives from BaseException and passes through.
    """
    try:
        body()
    except TruelossError as err:
        st.error(str(err))
    except Exception as err:  # noqa: BLE001 - the last line of defence for the user
        st.error(f"Something went wrong while showing {where}: {type(err).__name__}: {err}. "
                 "Your loaded runs are kept; try another action or reload the page.")
        with st.expander("Technical details"):
            st.code("".join(traceback.format_exception(err)), language=None)


_KEEP_PREFIXES = ("live_", "knob_", "cmp_", "an_", "ctx_", "cat_", "sample_pick", "saved_pick")
_NOT_SETTABLE = ("live_start", "live_stop", "_dl_", "sample_open", "saved_open", "saved_rename", "saved_delete")


def keep_widget_state() -> None:
    """Keep page settings when the user visits another page and comes back.

    Streamlit forgets a widget's value when a run does not draw it; writing the value back under
    its own key at the start of every run makes it survive the pages that do not show it.
    """
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(_KEEP_PREFIXES) and not any(n in key for n in _NOT_SETTABLE):
            try:
                st.session_state[key] = st.session_state[key]
            except Exception:  # noqa: BLE001 - a widget type whose value cannot be set: it just resets
                pass


def severity_badge(severity: str) -> str:
    color = SEVERITY_COLOR.get(severity, "#5f6368")
    return f"<span class='tl-sev' style='background:{color}'>{html.escape(severity)}</span>"


def worst_severity(report: Any) -> str:
    order = {"info": 0, "warning": 1, "critical": 2}
    worst = -1
    for f in getattr(report, "findings", []) or []:
        worst = max(worst, order.get(getattr(f, "severity", "info"), 0))
    return {2: "critical", 1: "warning"}.get(worst, "ok")


def verdict_banner(report: Any, *, note: str | None = None) -> None:
    level = "ok" if getattr(report, "healthy", False) else worst_severity(report)
    if level == "ok" and not getattr(report, "healthy", True):
        level = "warning"
    icon = {"ok": "✔", "warning": "⚠", "critical": "✖"}[level]
    extra = f"<small>{html.escape(note)}</small>" if note else ""
    st.markdown(
        f"<div class='tl-verdict {level}' data-testid='tl-verdict'><b>{icon} Verdict:</b> "
        f"{html.escape(getattr(report, 'verdict', '') or 'no verdict')}{extra}</div>",
        unsafe_allow_html=True,
    )


def fmt_where(finding: Any) -> str:
    where = getattr(finding, "where", None)
    if isinstance(where, str) and where:
        return where
    start, end, axis = getattr(finding, "start", None), getattr(finding, "end", None), getattr(finding, "x_axis", "")
    if start is None:
        return ""
    return f"{axis} {start:g}" if end in (None, start) else f"{axis} {start:g}–{end:g}"


def finding_label(i: int, finding: Any) -> str:
    kind = str(getattr(finding, "kind", "finding")).replace("_", " ")
    return f"{i + 1}. {kind} · {getattr(finding, 'series', '')} · {fmt_where(finding)}"
