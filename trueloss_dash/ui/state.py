"""Per-session state: the runs a user has open, their edited contexts and cached diagnoses.

Everything lives in ``st.session_state`` so two browser sessions never see each other's runs or
live jobs. A :class:`LoadedRun` is the unit every page works with, whatever its origin (upload,
sample, saved run, live demo).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ..run import Run, RunContext
from . import services

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
    return entry


def remove_run(key: str) -> None:
    runs().pop(key, None)
    if st.session_state.get("active") == key:
        st.session_state["active"] = next(iter(runs()), None)


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
