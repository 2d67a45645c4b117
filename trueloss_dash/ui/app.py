"""The dashboard's entry: page config, ``st.navigation`` pages with URL paths, the sidebar.

``app.py`` at the repository root only calls :func:`main`. Each page has its own URL path
(``/``, ``/live``, ``/compare``, ``/rules``), so Back and Forward move between pages and a link
opens the page it names. Every page body runs inside :func:`~trueloss_dash.ui.common.guard`, so
an unexpected error is one sentence (with details on demand) and the rest of the app keeps working.

Other pages are added by appending a :class:`PageSpec` to :data:`PAGES`.

The sidebar's "runs open" list is drawn *after* the page body (into a slot reserved before it),
so it shows what the action the page just handled changed, not the state one action behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import streamlit as st

from . import common, identity, page_catalog, page_compare, page_live, page_runs, state
from .safe import md


@dataclass(frozen=True)
class PageSpec:
    title: str
    url_path: str
    icon: str
    subtitle: str
    body: Callable[[], None]
    default: bool = False


PAGES: list[PageSpec] = [
    PageSpec("Runs", "runs", ":material/show_chart:",
             "Upload logs or open samples and saved runs; see the three curves and the diagnosis.", page_runs.page,
             default=True),
    PageSpec("Live demo", "live", ":material/science:",
             "Train a small PyTorch model and watch reported, true and validation loss - and the diagnosis - "
             "update every epoch.", page_live.page),
    PageSpec("Compare", "compare", ":material/compare_arrows:",
             "The same series from several runs, and their diagnoses side by side.", page_compare.page),
    PageSpec("Rule catalog", "rules", ":material/menu_book:",
             "Every rule the diagnosis applies: what it looks at, the cause, the mechanism, the actions.",
             page_catalog.page),
]


def _render(spec: PageSpec) -> Callable[[], None]:
    def render() -> None:
        common.header(spec.title, spec.subtitle)
        common.guard(spec.body, where=f"the {spec.title} page")

    render.__name__ = f"page_{spec.url_path}"
    return render


def st_pages() -> list:
    return [st.Page(_render(p), title=p.title, icon=p.icon, url_path=p.url_path, default=p.default) for p in PAGES]


def sidebar_brand() -> None:
    with st.sidebar:
        st.markdown("## :material/monitoring: trueloss-dash")
        st.caption("Reported vs **true** training loss vs validation - and why they differ.")


def sidebar_status(slot) -> None:
    """Runs open and the live job, drawn after the page body so they are current."""
    with slot:
        st.divider()
        runs = state.runs()
        if runs:
            st.caption(f"{len(runs)} run{'s' if len(runs) != 1 else ''} open")
            st.markdown("<div class='tl-muted' data-testid='tl-open-runs' style='line-height:1.5'>" + "<br>".join(
                f"• {md(e.label)}" for e in list(runs.values())[-8:]) + "</div>", unsafe_allow_html=True)
        else:
            st.caption("No runs open")
        job = page_live.current_job()
        if job is not None and not job.done:  # no epoch count: the live page updates it, the sidebar would lag
            st.caption(f":material/science: live run {'queued' if job.status == 'queued' else 'training'}: "
                       f"{md(job.name)}")
        st.divider()
        st.markdown(
            "<span class='tl-muted'><span style='color:#3367d6'>━</span> reported training loss<br>"
            "<span style='color:#0b8a6f'>╍</span> true training loss (eval mode, clean inputs, no penalty)<br>"
            "<span style='color:#e8710a'>━</span> validation loss</span>",
            unsafe_allow_html=True,
        )
        identity.remember_browser()


def main() -> None:
    st.set_page_config(page_title="trueloss-dash", page_icon="📉", layout="wide", initial_sidebar_state="expanded")
    common.page_style()
    common.keep_widget_state()
    for problem in state.restore_session():
        st.toast(md(problem), icon=":material/warning:")
    common.guard(page_live.sync_live, where="the live run")
    page = st.navigation(st_pages(), position="sidebar")
    sidebar_brand()
    slot = st.sidebar.container()
    page.run()
    sidebar_status(slot)
