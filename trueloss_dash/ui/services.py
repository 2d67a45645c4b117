"""The UI's doorway to the core: ingest, diagnose, store and trainer - imported lazily.

Keeping these calls in one module means the pages never import torch (the trainer is imported
only when the live page starts a job) and a missing or broken ring shows up as one sentence in
the UI instead of an import error at start-up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..run import Run, RunContext

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".log", ".txt", ".zip")


def sample_dir() -> Path:
    return Path(os.environ.get("TRUELOSS_DASH_SAMPLES", REPO_ROOT / "sample_runs"))


def sample_files() -> list[Path]:
    """Logs shipped in ``sample_runs/`` (sidecars and READMEs excluded), sorted by name."""
    root = sample_dir()
    if not root.is_dir():
        return []
    out = []
    for p in sorted(root.iterdir()):
        name = p.name.lower()
        if not p.is_file() or name.startswith(("readme", ".")) or name.endswith(".context.json"):
            continue
        if p.suffix.lower() in SAMPLE_SUFFIXES:
            out.append(p)
    return out


def load_bytes(name: str, data: bytes) -> list[Run]:
    """Runs in an uploaded file (zips may hold several). Raises LogFormatError with a sentence."""
    from ..ingest import load_bytes as _load_bytes

    return _load_bytes(name, data)


def load_path(path: Path) -> list[Run]:
    from ..ingest import load_path as _load_path

    return _load_path(path)


def diagnose(run: Run, context: RunContext | None = None) -> Any:
    """The diagnosis report for ``run`` with ``context`` (None: the run's own context)."""
    from ..diagnose import diagnose as _diagnose

    return _diagnose(run, context=context)


def rule_catalog() -> list[dict[str, Any]]:
    """Every rule as a dict: id, cause, title, looks_at, confidence, why, actions."""
    from ..diagnose import rule_catalog as _catalog

    return _catalog()


def check_catalog() -> list[dict[str, str]]:
    """Every check the diagnosis runs: finding kind, title and what it looks for."""
    from ..diagnose import CHECKS

    return [{"kind": c.id, "title": c.title, "looks_for": c.looks_for} for c in CHECKS]


def cause_catalog() -> dict[str, Any]:
    """Cause id -> CauseInfo (title, why, actions)."""
    from ..diagnose import CAUSES

    return dict(CAUSES)


_STORE: dict[str, Any] = {}


def store() -> Any:
    """The process-wide run store (opened once per data directory); None if it cannot be used."""
    from ..store import default_home, open_store

    home = str(default_home())
    if home not in _STORE:
        _STORE[home] = open_store()
    return _STORE[home]


def trainer_config_module():
    """The trainer's config module: knobs, help texts, choices - imports no torch."""
    from ..trainer import config

    return config


def trainer_presets() -> dict[str, Any]:
    """Preset name -> Preset; the presets module is torch-free when the trainer keeps it so."""
    from ..trainer import presets

    return presets.PRESETS


def trainer():
    """The trainer package (imports torch): only call when the user starts a live run."""
    from .. import trainer as _trainer

    return _trainer


def session_id() -> str:
    """The Streamlit session running this script (a reload is a new session)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def session_alive(session_id: str) -> bool | None:
    """Is that browser session still connected? None when this process cannot tell (tests)."""
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        alive = Runtime.instance().is_active_session(session_id)
    except Exception:  # noqa: BLE001 - unknown is answered by the heartbeat instead
        return None
    return alive if isinstance(alive, bool) else None


def job_manager():
    """The server-wide job manager (cap, queue, orphan reaper); imports no torch."""
    from ..trainer import jobs

    mgr = jobs.manager()
    mgr.session_alive = session_alive
    return mgr
