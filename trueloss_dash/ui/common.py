"""Small pieces every page shares: the error guard, page styling, the header, badges."""

from __future__ import annotations

import traceback
from typing import Any, Callable

import streamlit as st

from .. import fmt
from ..columns import HUMAN_LABELS
from ..errors import TruelossError
from ..export import nothing_to_diagnose
from .plots import SEVERITY_COLOR
from .safe import md

CSS = """
<style>
/* wide mode: the content uses the window (no fixed ~1020 px column at 1920 px), with a
   readable cap on very large screens and tight side padding on narrow ones */
.block-container {padding-top: 1.6rem; padding-bottom: 3rem; max-width: min(100%, 2200px);
                  padding-left: clamp(1rem, 3vw, 3rem); padding-right: clamp(1rem, 3vw, 3rem);}
/* with the sidebar folded, the header bar (its expand button) sits over the top: clear it */
@media (max-width: 999px) {.block-container {padding-top: 3.4rem;}}
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
.tl-verdict.neutral {background:#f1f3f4; border-color:#9aa0a6;}
.tl-verdict small {display:block; color:#5f6368; font-size:0.82rem; margin-top:4px;}
.tl-muted {color:#5f6368; font-size:0.88rem;}
.tl-pill {display:inline-block; background:#f1f3f4; border-radius:12px; padding:1px 10px; margin:2px 4px 2px 0;
          font-size:0.82rem; color:#3c4043;}
</style>
"""


#: Streamlit's own "auto" sidebar folds only at <= 768 px; at 800-999 px an open sidebar leaves the
#: page too narrow for the chart controls. Once per page load (not on every rerun, so a user who
#: reopens it keeps it), fold it when the window is narrower than this.
SIDEBAR_FOLD_BELOW_PX = 1000
_FOLD_SIDEBAR_JS = """
<script>
(function () {
  if (window.__tlSidebarFold) return;
  window.__tlSidebarFold = true;
  var limit = %d, tries = 0;
  function fold() {
    if (window.innerWidth >= limit) return true;
    var bar = document.querySelector('[data-testid="stSidebar"]');
    var btn = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (!bar || !btn) return false;
    if (bar.getAttribute('data-collapsed') !== 'true') btn.click();
    return true;
  }
  (function retry() { if (!fold() && ++tries < 20) setTimeout(retry, 150); })();
  var wide = window.innerWidth >= limit;
  window.addEventListener('resize', function () {
    var now = window.innerWidth >= limit;
    if (wide && !now) fold();
    wide = now;
  });
})();
</script>
""" % SIDEBAR_FOLD_BELOW_PX


def page_style() -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    with st.sidebar:
        st.html(_FOLD_SIDEBAR_JS, unsafe_allow_javascript=True)


def header(title: str, subtitle: str) -> None:
    st.markdown(
        f"<div class='tl-header'><h1>{md(title)}</h1></div><div class='tl-sub'>{md(subtitle)}</div>",
        unsafe_allow_html=True,
    )


def guard(body: Callable[[], Any], *, where: str) -> None:
    """Run a page body; any exception becomes a sentence (plus details on demand), never a raw trace.

    Streamlit's own control flow (rerun, stop) derives from BaseException and passes through.
    """
    try:
        body()
    except TruelossError as err:
        st.error(md(str(err)))
    except Exception as err:  # noqa: BLE001 - the last line of defence for the user
        st.error(f"Something went wrong while showing {md(where)}: {md(type(err).__name__)}: {md(err)}. "
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
    return f"<span class='tl-sev' style='background:{color}'>{md(severity)}</span>"


def worst_severity(report: Any) -> str:
    order = {"info": 0, "warning": 1, "critical": 2}
    worst = -1
    for f in getattr(report, "findings", []) or []:
        worst = max(worst, order.get(getattr(f, "severity", "info"), 0))
    return {2: "critical", 1: "warning"}.get(worst, "ok")


def verdict_banner(report: Any, *, note: str | None = None) -> None:
    """The core's verdict, word for word; only its colour is the page's.

    Neutral grey when nothing could be diagnosed (no check ran), green only for a healthy run whose
    checks ran, otherwise the worst finding's severity.
    """
    if nothing_to_diagnose(report):
        level = "neutral"
    else:
        level = "ok" if getattr(report, "healthy", False) else worst_severity(report)
        if level == "ok" and not getattr(report, "healthy", True):
            level = "warning"
    icon = {"ok": "✔", "warning": "⚠", "critical": "✖", "neutral": "○"}[level]
    extra = f"<small>{md(note)}</small>" if note else ""
    st.markdown(
        f"<div class='tl-verdict {level}' data-testid='tl-verdict' data-level='{level}'><b>{icon} Verdict:</b> "
        f"<span class='tl-verdict-text'>{md(getattr(report, 'verdict', '') or 'no verdict')}</span>{extra}</div>",
        unsafe_allow_html=True,
    )


def fmt_where(finding: Any) -> str:
    """'epochs 3–7' / 'step 1,200': the finding's position, formatted by the shared formatter."""
    return fmt.span(getattr(finding, "x_axis", "") or "", getattr(finding, "start", None), getattr(finding, "end", None))


def finding_label(i: int, finding: Any) -> str:
    """Plain text for a select option (not Markdown): '1. spike · reported training loss · epoch 8'."""
    kind = str(getattr(finding, "kind", "finding")).replace("_", " ")
    series = getattr(finding, "series", "") or ""
    return f"{i + 1}. {kind} · {HUMAN_LABELS.get(series, series.replace('_', ' '))} · {fmt_where(finding)}"
