"""Shared path for the CSV flavours: parse the table, let the flavour adjust it, normalise."""

from __future__ import annotations

from typing import Callable

from ...run import Run, RunContext
from ..delimited import read_table
from ..phasekeys import name_phase_columns
from ..source import Source
from ..sidebyside import table_to_runs_by_prefix
from ..table import Table

# (table, source, notes, warnings) -> RunContext | None
Prepare = Callable[[Table, Source, list, list], "RunContext | None"]


def read_csv_runs(source: Source, format: str, prepare: Prepare | None = None) -> list[Run]:
    table, header, notes, warnings = read_table(source)
    return runs_from_table(table, header, notes, warnings, source, format, prepare)


def runs_from_table(table: Table, header, notes: list, warnings: list, source: Source, format: str,
                    prepare: Prepare | None = None) -> list[Run]:
    """The flavour's adjustment and normalisation of an already parsed table (also used by the
    folder watcher, which parses a growing file in pieces and keeps the table between reads)."""
    context = header.context or RunContext()
    if prepare is not None:
        found = prepare(table, source, notes, warnings)
        if found is not None:
            # The log's own provenance header wins over what the flavour inferred.
            context = found.merged(context)
    name_phase_columns(table, source.stem, notes)
    return table_to_runs_by_prefix(
        table,
        name=source.stem,
        source=source.display,
        format=format,
        context=context,
        notes=notes,
        warnings=warnings,
        meta=dict(header.meta),
    )
