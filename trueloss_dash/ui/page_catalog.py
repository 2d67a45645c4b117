"""The rule catalog: every rule the diagnosis applies, grouped by the cause it supports - what each
rule looks at and how it scores confidence, and per cause the mechanism and the actions."""

from __future__ import annotations

import streamlit as st

from .. import fmt
from . import services
from .safe import md, md_code


def page() -> None:
    catalog = services.rule_catalog()
    causes = services.cause_catalog()
    st.caption(f"{len(catalog)} rules supporting {len({r['cause'] for r in catalog})} causes. A rule fires when "
               "its findings and the run's context match; the diagnosis ranks causes by the confidence their "
               "rules compute and lists the evidence with the run's own numbers.")
    query = st.text_input("filter", placeholder="e.g. dropout, spike, batch norm, leakage", key="cat_filter").strip().lower()
    order = list(dict.fromkeys(r["cause"] for r in catalog))
    shown = 0
    for cause_id in order:
        info = causes.get(cause_id)
        rules = [r for r in catalog if r["cause"] == cause_id]
        text = " ".join(str(v) for r in rules for v in r.values()).lower() + " " + cause_id
        if info is not None:
            text += " " + " ".join([info.title, info.why, *info.actions]).lower()
        if query and query not in text:
            continue
        shown += 1
        title = info.title if info is not None else cause_id
        with st.expander(f"**{md(title)}**  ·  {md(cause_id.replace('_', ' '))}  ·  {fmt.count(len(rules), 'rule')}",
                         expanded=bool(query)):
            if info is not None:
                st.markdown(f"**Mechanism.** {md_code(info.why)}")
                if info.actions:
                    st.markdown("**Actions**\n" + "\n".join(f"- {md_code(a)}" for a in info.actions))
            st.markdown("**Rules**")
            for r in rules:
                looks = ", ".join(r.get("looks_at") or [])
                st.markdown(
                    f"<div style='border-left:3px solid #dadce0; padding:2px 10px; margin:6px 0'>"
                    f"<b>{md(r['title'])}</b> <code>{md(r['id'])}</code><br>"
                    f"<span class='tl-muted'>looks at:</span> {md(looks)}<br>"
                    f"<span class='tl-muted'>confidence:</span> {md(str(r.get('confidence', '')))}"
                    + (f"<br><span class='tl-muted'>why:</span> {md(r['why'])}"
                       if r.get("why") and info is not None and r["why"] != info.why else "")
                    + "</div>",
                    unsafe_allow_html=True,
                )
    if not shown:
        st.info("No rule matches this filter.")
    _checks_section(query)


def _checks_section(query: str) -> None:
    """The checks every diagnosis runs (each passed, failed or not applicable in a report) and the
    finding kinds they produce - the kinds the rules above look at."""
    checks = [c for c in services.check_catalog() if not query or query in " ".join(c.values()).lower()]
    if not checks:
        return
    st.markdown("#### What every diagnosis checks")
    st.markdown("\n".join(f"- **{md(c['title'])}** `{c['kind'].replace('`', '')}`: {md_code(c['looks_for'])}" for c in checks))
