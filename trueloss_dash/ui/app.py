"""The dashboard's entry: page config, header, sidebar navigation, and a guarded page body.

``app.py`` at the repository root only calls :func:`main`. Every page body runs inside
:func:`~trueloss_dash.ui.common.guard`, so an unexpected error is one sentence (with details on
demand) and the rest of the app keeps working.
"""

from __future__ import annotations

import streamlit as st

from . import common, page_catalog, page_compare, page_live, page_runs, state

PAGES = {
    "Runs": (":material/show_chart:", "Upload logs or open samples and saved runs; see the three curves and the diagnosis.", page_runs.page),
    "Live demo": (":material/science:", "Train a small PyTorch model and watch reported, true and validation loss - and the "
                  "diagnosis - update every epoch.", page_live.page),
    "Compare": (":material/compare_arrows:", "The same series from several runs, and their diagnoses side by side.", page_compare.page),
    "Rule catalog": (":material/menu_book:", "Every rule the diagnosis applies: what it looks at, the cause, the mechanism, the actions.",
                     page_catalog.page),
}


def sidebar() -> str:
    with st.sidebar:
        st.markdown("## :material/monitoring: trueloss-dash")
        st.caption("Reported vs **true** training loss vs validation - and why they differ.")
        choice = st.radio("Navigate", list(PAGES), key="nav", format_func=lambda p: f"{PAGES[p][0]}  {p}",
                          label_visibility="collapsed")
        st.divider()
        runs = state.runs()
        if runs:
            st.caption(f"{len(runs)} run{'s' if len(runs) != 1 else ''} open")
            st.markdown("<div class='tl-muted' style='line-height:1.5'>" + "<br>".join(
                f"• {common.html.escape(e.label)}" for e in list(runs.values())[-8:]) + "</div>", unsafe_allow_html=True)
        live = st.session_state.get("live")
        if live and not live.get("finalized"):
            done, total, _ = live["job"].progress
            st.caption(f":material/science: live run: epoch {done}/{total}")
        st.divider()
        st.markdown(
            "<span class='tl-muted'><span style='color:#3367d6'>━</span> reported training loss<br>"
            "<span style='color:#0b8a6f'>╍</span> true training loss (eval mode, clean inputs, no penalty)<br>"
            "<span style='color:#e8710a'>━</span> validation loss</span>",
            unsafe_allow_html=True,
        )
    return choice


def main() -> None:
    st.set_page_config(page_title="trueloss-dash", page_icon="📉", layout="wide", initial_sidebar_state="expanded")
    common.page_style()
    common.keep_widget_state()
    common.guard(page_live.sync_live, where="the live run")
    choice = sidebar()
    icon, subtitle, body = PAGES[choice]
    common.header(choice, subtitle)
    common.guard(body, where=f"the {choice} page")
