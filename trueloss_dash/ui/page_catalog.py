"""The rule catalog: every rule the diagnosis applies, what it looks at, why, and what to do."""

from __future__ import annotations

import html

import streamlit as st

from . import services


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def page() -> None:
    rules = services.rules()
    st.caption(f"{len(rules)} rules. Each supports one cause when its findings and the run's context match; "
               "the diagnosis ranks causes by the confidence its rules compute.")
    query = st.text_input("filter", placeholder="e.g. dropout, spike, batch norm", key="cat_filter").strip().lower()
    causes = sorted({_text(getattr(r, "cause", "")) for r in rules})
    for cause in causes:
        group = [r for r in rules if _text(getattr(r, "cause", "")) == cause]
        if query:
            group = [r for r in group if query in " ".join(_text(getattr(r, a, "")) for a in
                                                          ("id", "cause", "title", "looks_at", "why", "actions")).lower()]
        if not group:
            continue
        st.markdown(f"##### cause `{html.escape(cause)}`")
        for r in group:
            with st.expander(f"{getattr(r, 'title', r.id)}  ·  {r.id}"):
                st.markdown(f"**Looks at:** {html.escape(_text(getattr(r, 'looks_at', '')))}")
                why = _text(getattr(r, "why", ""))
                if why:
                    st.markdown(f"**Mechanism:** {html.escape(why)}")
                actions = getattr(r, "actions", None) or []
                if actions:
                    st.markdown("**Actions:**\n" + "\n".join(f"- {html.escape(str(a))}" for a in actions))
