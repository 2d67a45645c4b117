"""Typed errors shared by every ring.

Every refusal of user input is a :class:`LogFormatError` whose message names the file, the
row/column where known, what was found and what was expected. The CLI and the UI print
``str(error)`` and never a traceback.
"""

from __future__ import annotations


class TruelossError(Exception):
    """Base class for errors the user should see as a sentence, not a traceback."""


class LogFormatError(TruelossError):
    """A log file could not be read into a Run.

    ``str(err)`` is a complete, user-facing sentence such as
    ``"metrics.csv, row 12, column 'val_loss': found 'abc', expected a number"``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.row = row
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path:
            where.append(str(self.path))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ContextError(TruelossError):
    """A RunContext value (from ``--meta``, a sidecar or the UI form) is not acceptable."""
