"""One browser identity's view of the run store: its own runs only (or every run when shared).

Why a view and not a filter in each page: every operation a page can trigger - list, open,
rename, delete, save, context edit - goes through here, so a session can never reach another
session's run by guessing an id (a run that is not yours is reported exactly like a missing one).
Runs saved by the CLI or by an older version have no owner; they are shown only in shared mode
(``trueloss-dash serve --shared``) and in the CLI.
"""

from __future__ import annotations

from typing import Any

from ..run import Run, RunContext
from .errors import StoreError
from .runstore import RunInfo, RunStore

_INFO_COLUMNS = "id, name, format, status, created, updated, n_points, source"


class UserStore:
    """The runs of ``user`` in ``store``; with ``shared=True`` every run (a team workspace)."""

    def __init__(self, store: RunStore, user: str, *, shared: bool = False) -> None:
        if not user:
            raise ValueError("a user identity is required")
        self.store = store
        self.user = user
        self.shared = shared

    # pass-through facts about the underlying store
    @property
    def read_only(self) -> bool:
        return bool(getattr(self.store, "read_only", False))

    @property
    def status_message(self) -> str | None:
        return getattr(self.store, "status_message", None)

    @property
    def path(self):
        return self.store.path

    def _where(self) -> tuple[str, tuple[Any, ...]]:
        return ("1=1", ()) if self.shared else ("user=?", (self.user,))

    def list(self) -> list[RunInfo]:
        """This user's runs (every run when shared), newest first."""
        where, args = self._where()
        rows = self.store.conn().execute(
            f"SELECT {_INFO_COLUMNS} FROM runs WHERE {where} ORDER BY created DESC, id", args).fetchall()
        return [RunInfo(*row) for row in rows]

    def owns(self, run_id: str) -> bool:
        where, args = self._where()
        row = self.store.conn().execute(f"SELECT 1 FROM runs WHERE id=? AND {where}", (run_id, *args)).fetchone()
        return row is not None

    def _check(self, run_id: str) -> None:
        if not self.owns(run_id):
            raise StoreError(f"no run with id {run_id!r} among your saved runs")

    def info(self, run_id: str) -> RunInfo:
        self._check(run_id)
        return self.store.info(run_id)

    def load(self, run_id: str) -> Run:
        self._check(run_id)
        return self.store.load(run_id)

    def rename(self, run_id: str, name: str) -> None:
        self._check(run_id)
        self.store.rename(run_id, name)

    def delete(self, run_id: str) -> None:
        self._check(run_id)
        self.store.delete(run_id)

    def update_context(self, run_id: str, context: RunContext) -> None:
        self._check(run_id)
        self.store.update_context(run_id, context)

    def save(self, run: Run, *, content_hash: str | None = None) -> str:
        return self.store.save(run, user=self.user, content_hash=content_hash)

    def find_upload(self, content_hash: str) -> list[str]:
        """Ids of this user's runs saved from a file with this content hash (in file order)."""
        where, args = self._where()
        rows = self.store.conn().execute(
            f"SELECT id FROM runs WHERE content_hash=? AND {where} ORDER BY created, rowid",
            (content_hash, *args)).fetchall()
        return [r[0] for r in rows]

    def begin_live(self, name: str, context: RunContext | None = None, meta: dict | None = None, **kwargs: Any):
        return self.store.begin_live(name, context, meta, user=self.user, **kwargs)
