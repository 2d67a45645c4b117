"""Who is this browser? An unguessable identity kept client-side in a cookie.

Why a cookie: Streamlit sessions end with the websocket, so a reload is a new session; the store
must still know that the runs saved a minute ago are this browser's and nobody else's. The first
session of a browser mints 144 random bits (``secrets.token_urlsafe``), uses them at once, and
writes them to the ``tl_uid`` cookie with a small script; every later session (a reload, another
tab) reads the cookie from the websocket handshake (``st.context.cookies``). No account, no
server-side list of identities: whoever holds the cookie is that browser.

``TRUELOSS_DASH_SHARED=1`` (``trueloss-dash serve --shared``) turns the store into a team
workspace: every session sees and manages every run. Identities are still recorded per run.
"""

from __future__ import annotations

import os
import re
import secrets

import streamlit as st

COOKIE = "tl_uid"
MAX_AGE_S = 400 * 24 * 3600  # browsers cap cookie lifetimes at about 400 days
_VALID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def shared_mode() -> bool:
    return os.environ.get("TRUELOSS_DASH_SHARED", "").strip().lower() in ("1", "true", "yes", "on")


def _cookie_value() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest, bare mode): no cookie
        return None
    return value if isinstance(value, str) and _VALID.match(value) else None


def user_id() -> str:
    """This browser's identity (the cookie's, or a new one for a browser seen for the first time)."""
    uid = st.session_state.get("_tl_uid")
    if uid:
        return uid
    uid = _cookie_value() or secrets.token_urlsafe(18)
    st.session_state["_tl_uid"] = uid
    return uid


def remember_browser() -> None:
    """Write the identity into the cookie when the browser did not send it (once per session).

    Called at the end of the sidebar; the script element renders nothing visible.
    """
    uid = user_id()
    if _cookie_value() == uid:
        return
    st.html(
        "<script>document.cookie = " + repr(f"{COOKIE}={uid}; path=/; max-age={MAX_AGE_S}; SameSite=Strict")
        + " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )
