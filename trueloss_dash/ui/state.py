"""Per-session state: the runs a user has open, their edited contexts and cached diagnoses.

The open runs live in ``st.session_state``; what must survive a reload is kept elsewhere:
the run store holds the runs themselves (scoped to this browser's identity, see
:mod:`.identity` and :class:`~trueloss_dash.store.scoped.UserStore`), the URL holds the open
run and x axis (``?run=<store id>&x=step``), and a small server-side list per identity remembers
which runs were open so a reload reopens them. A :class:`LoadedRun` is the unit every page works
with, whatever its origin (upload, sample, saved run, live demo).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ..errors import TruelossError
from ..run import Run, RunContext
from . import identity, services

SAMPLE_REF = "sample:"  # ?run=sample:<file name> opens a sample run; any other value is a store id

ORIGIN_LABEL = {"upload": "uploaded", "sample": "sample", "saved": "saved", "live": "live demo", "watch": "watched folder"}


@dataclass
class LoadedRun:
    key: str
    run: Run
    origin: str  # upload | sample | saved | live
    store_id: str | None = None
    context: RunContext = field(default_factory=RunContext)  # what the diagnosis uses (user-editable)
    _reports: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.run.name}  ·  {ORIGIN_LABEL.get(self.origin, self.origin)}"

    @property
    def ref(self) -> str | None:
        """What the URL names this run by: its store id, or ``sample:<file>``; None if neither."""
        if self.store_id:
            return self.store_id
        if self.origin == "sample" and self.run.source:
            from pathlib import Path

            return SAMPLE_REF + Path(self.run.source).name
        return None

    def report(self) -> Any:
        """The diagnosis for the current context (cached: re-diagnosing only when the context changes)."""
        key = json.dumps(self.context.to_dict(), sort_keys=True, default=str)
        if key not in self._reports:
            self._reports.clear()
            self._reports[key] = services.diagnose(self.run, self.context)
        return self._reports[key]


_counter = itertools.count(1)


def runs() -> dict[str, LoadedRun]:
    return st.session_state.setdefault("runs", {})


def add_run(run: Run, origin: str, *, store_id: str | None = None, select: bool = True) -> LoadedRun:
    """Open a run in this session (the same stored/sample run is not opened twice)."""
    current = runs()
    for entry in current.values():
        if store_id and entry.store_id == store_id or (
            origin == "sample" and entry.origin == "sample" and entry.run.source == run.source and entry.run.name == run.name
        ):
            if select:
                st.session_state["active"] = entry.key
            return entry
    key = f"r{next(_counter)}"
    while key in current:
        key = f"r{next(_counter)}"
    entry = LoadedRun(key=key, run=run, origin=origin, store_id=store_id, context=run.context)
    current[key] = entry
    if select:
        st.session_state["active"] = key
    _remember_open()
    return entry


def remove_run(key: str) -> None:
    """Close a run in this session; the next one (or none) becomes active."""
    current = runs()
    keys = list(current)
    current.pop(key, None)
    if st.session_state.get("active") == key:
        rest = [k for k in keys if k != key]
        st.session_state["active"] = rest[min(keys.index(key), len(rest) - 1)] if rest and key in keys else None
    _remember_open()


def forget_store_id(store_id: str) -> None:
    """A stored run was deleted: close it wherever it is open in this session."""
    for key, entry in list(runs().items()):
        if entry.store_id == store_id:
            remove_run(key)


# --- what survives a reload ---------------------------------------------------------------------
# identity -> refs of the runs open in that browser's latest session (server memory, bounded).
_OPEN_BY_USER: OrderedDict[str, list[str]] = OrderedDict()
_OPEN_LOCK = threading.Lock()
MAX_REMEMBERED_USERS = 10_000
MAX_REMEMBERED_RUNS = 50


def _remember_open() -> None:
    refs = [e.ref for e in runs().values() if e.ref][-MAX_REMEMBERED_RUNS:]
    uid = identity.user_id()
    with _OPEN_LOCK:
        _OPEN_BY_USER[uid] = refs
        _OPEN_BY_USER.move_to_end(uid)
        while len(_OPEN_BY_USER) > MAX_REMEMBERED_USERS:
            _OPEN_BY_USER.popitem(last=False)


def user_store() -> Any:
    """This browser's view of the run store (every run in shared mode)."""
    from ..store.scoped import UserStore

    return UserStore(services.store(), identity.user_id(), shared=identity.shared_mode())


def open_ref(ref: str, *, select: bool = True) -> LoadedRun:
    """Open a run named by a URL reference; raises TruelossError with a sentence if it cannot."""
    for entry in runs().values():
        if entry.ref == ref:
            if select:
                st.session_state["active"] = entry.key
            return entry
    if ref.startswith(SAMPLE_REF):
        name = ref[len(SAMPLE_REF):]
        path = next((p for p in services.sample_files() if p.name == name), None)
        if path is None:
            raise TruelossError(f"no sample run named {name!r} (see the Sample runs tab)")
        loaded = services.load_path(path)
        if not loaded:
            raise TruelossError(f"sample {name}: no training run found")
        return add_run(loaded[0], "sample", select=select)
    from .roles import apply_remembered  # roles picked on the page are kept per source, not in the saved run

    return add_run(apply_remembered(user_store().load(ref)), "saved", store_id=ref, select=select)


def restore_session() -> list[str]:
    """First run of a session: reopen the runs this browser had open; returns problem sentences."""
    if st.session_state.get("_tl_restored"):
        return []
    st.session_state["_tl_restored"] = True
    with _OPEN_LOCK:
        refs = list(_OPEN_BY_USER.get(identity.user_id(), []))
    problems = []
    for ref in refs:
        try:
            open_ref(ref, select=False)
        except TruelossError as err:
            problems.append(str(err))
        except Exception as err:  # noqa: BLE001 - a run that cannot be reopened is skipped, not fatal
            problems.append(f"could not reopen run {ref}: {type(err).__name__}: {err}")
    return problems


def active() -> LoadedRun | None:
    current = runs()
    key = st.session_state.get("active")
    if key in current:
        return current[key]
    if current:
        key = next(reversed(current))
        st.session_state["active"] = key
        return current[key]
    return None


def messages() -> list[tuple[str, str]]:
    """(level, text) messages from the last load action, shown in the load panel."""
    return st.session_state.setdefault("load_messages", [])


def set_messages(items: list[tuple[str, str]]) -> None:
    st.session_state["load_messages"] = items
