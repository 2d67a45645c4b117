"""The ``# trueloss-dash:`` provenance header for readers that are not CSV (JSONL, text logs)."""

from __future__ import annotations

from ..provenance import parse_header
from ..run import RunContext
from .source import Source


def header_context(source: Source) -> tuple[RunContext | None, dict]:
    first = source.head_text(4096).split("\n", 1)[0]
    parsed = parse_header(first)
    return (parsed[0], parsed[1]) if parsed else (None, {})
