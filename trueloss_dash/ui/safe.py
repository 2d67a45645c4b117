"""The one escape for user-derived text shown through Streamlit's Markdown APIs.

Why: ``st.markdown``, ``st.success``/``error``/``info``/``warning``, ``st.caption`` and expander
labels all render Markdown, and many calls also pass ``unsafe_allow_html=True``. A run name from
``tags/mlflow.runName``, a file name, a series name or a refusal quoting a file's first line is
*data*: ``![p](http://127.0.0.1:9/x.png)`` in a run name must read as those characters, not make
the browser fetch an image.

The trick that works in every one of those contexts is a numeric character reference: Markdown
never treats ``&#91;`` as syntax (CommonMark: references "cannot be used in place of symbols
indicating structure"), and inside raw HTML the browser decodes it to the same character. A
backslash escape would show up literally inside an HTML block, and ``html.escape`` alone leaves
``[`` ``]`` ``(`` ``!`` live for Markdown. So :func:`md` turns every character that could start
Markdown, HTML, LaTeX (``$``), a Streamlit directive (``:red[...]``) or an autolink into its
reference, and folds newlines into spaces so a value cannot start a heading or a list. A URL in
user text stays text, not a link (see ``_SCHEME``).

``tests/test_ui_escaping.py`` scans the UI code: every value interpolated into those calls goes
through :func:`md` (or :func:`md_code`, or is a number formatted by :mod:`trueloss_dash.fmt`).
"""

from __future__ import annotations

from typing import Any

#: ASCII characters that carry meaning in Markdown / HTML / LaTeX / Streamlit directives / autolinks.
_SPECIAL = set("\\`*_{}[]()<>#+-!|$~:&\"'=^@")
_TABLE = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIAL}
_TABLE.update({ord("\n"): " ", ord("\r"): " ", ord("\t"): " "})


#: Streamlit's Markdown also turns a bare "http://…" in decoded text into a link; a word joiner
#: (U+2060, invisible) after the scheme's colon keeps a user's URL plain text.
_SCHEME = "://"


def md(value: Any) -> str:
    """Text shown verbatim in any Markdown-rendering Streamlit call (with or without HTML)."""
    text = "" if value is None else str(value)
    return text.replace(_SCHEME, ":\u2060//").translate(_TABLE)


def md_code(value: Any) -> str:
    """Like :func:`md`, but `backtick spans` (API names in rule actions) stay code spans.

    Inside a code span Markdown and HTML are inert, so the span's content only loses its
    backticks. Unbalanced backticks: the whole text is escaped.
    """
    parts = ("" if value is None else str(value)).split("`")
    if len(parts) % 2 == 0:
        return md(value)
    return "".join(f"`{p.replace(chr(10), ' ')}`" if i % 2 else md(p) for i, p in enumerate(parts))


__all__ = ["md", "md_code"]
