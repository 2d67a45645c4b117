"""How a log carries its own RunContext, so `diagnose` needs no retyped settings.

Two ways, both read by every reader:
- a first line ``# trueloss-dash: {"context": {...}, "meta": {...}}`` in CSV/TSV/JSONL files written
  by the trainer or :class:`~trueloss_dash.trainer.TrueLossTracker` (one file survives an upload);
- a sidecar ``<log file name>.context.json`` holding the same object, for logs written by other tools.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .run import RunContext

HEADER_PREFIX = "# trueloss-dash:"
SIDECAR_SUFFIX = ".context.json"


def format_header(context: RunContext, meta: dict[str, Any] | None = None) -> str:
    """The comment line (without newline) a writer puts first in its log."""
    payload = {"context": context.to_dict(), "meta": meta or {}}
    return f"{HEADER_PREFIX} {json.dumps(payload, sort_keys=True, default=str)}"


def parse_payload(payload: Any) -> tuple[RunContext, dict[str, Any]]:
    """Context and meta from a decoded header/sidecar object (lenient: bad values go to extra)."""
    if not isinstance(payload, dict):
        return RunContext(), {}
    ctx_data = payload.get("context", payload if "meta" not in payload else {})
    ctx = RunContext.from_mapping(ctx_data if isinstance(ctx_data, dict) else {}, strict=False)
    meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
    return ctx, meta


def parse_header(line: str) -> tuple[RunContext, dict[str, Any]] | None:
    """Parse a ``# trueloss-dash:`` line; None when the line is not one (or is not valid JSON)."""
    text = line.lstrip("\ufeff").strip()
    if not text.startswith(HEADER_PREFIX):
        return None
    try:
        payload = json.loads(text[len(HEADER_PREFIX):])
    except ValueError:
        return None
    return parse_payload(payload)


def sidecar_path(log_path: str | Path) -> Path:
    p = Path(log_path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


def read_sidecar(log_path: str | Path) -> tuple[RunContext, dict[str, Any]] | None:
    """Context from ``<log>.context.json`` beside the log, if present and readable."""
    from .errors import LogFormatError
    from .ingest.safe_read import read_side_text

    path = sidecar_path(log_path)
    if not path.is_file():
        return None
    try:  # capped, and never followed out of the log's folder
        payload = json.loads(read_side_text(path, path.parent))
    except (LogFormatError, ValueError, RecursionError):
        return None
    return parse_payload(payload)
