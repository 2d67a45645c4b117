"""SQLite run store: every uploaded and live run, its context, notes, warnings and series.

Why SQLite (stdlib ``sqlite3``) in WAL mode: one file under the data directory, no server, readers
never block the writer, and each transaction is atomic - a process killed mid-write loses at most
the epoch it was writing, never a run. Series points are stored as little-endian float64 blobs
(``chunks``): a live run appends one small chunk per series per epoch (cheap), a saved run writes
one chunk per series, and loading a run is one query plus ``np.frombuffer`` per chunk (fast).

Threads and processes: each thread gets its own connection (``sqlite3`` connections must not be
shared across threads), every connection waits up to :data:`BUSY_TIMEOUT_S` for a lock.

Errors in words live in :mod:`.errors`, the blob format of the points in :mod:`.chunks`.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..columns import X_AXES
from ..run import Run, RunContext, Series
from .chunks import compact, insert_chunk, join_chunks
from .errors import StoreError, in_words

BUSY_TIMEOUT_S = 10.0
RETRY_LOCK_S = 1.0  # a store opened read-only because of a lock re-checks at most this often
CHUNK_POINTS = 1 << 20  # points per blob for saved runs (8 MiB of float64; SQLite's cap is 1 GB)
# A live run owned by a process on another host is only declared interrupted after this long
# without an update (its pid cannot be checked from here).
FOREIGN_STALE_S = 3600.0

FINAL_STATUSES = ("finished", "cancelled", "diverged", "failed")
STATUS_SAVED = "saved"
STATUS_RUNNING = "running"
STATUS_INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class RunInfo:
    """One row of the run list (no series loaded)."""

    id: str
    name: str
    format: str | None
    status: str
    created: float
    updated: float
    n_points: int  # length of the run's longest series (epochs for a live run, rows for a log)
    source: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, allow_nan=True)


def _process_start_ticks(pid: int) -> str | None:
    """The process start time from /proc (tells a live pid from a recycled one); None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def current_owner() -> str:
    """``host:pid:start`` of this process, written on each live run it owns."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start_ticks(pid) or '?'}"


def owner_is_alive(owner: str | None) -> bool | None:
    """True/False when checkable (same host), None when the owner is on another host."""
    if not owner:
        return False
    try:
        host, pid_text, start = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return None
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    now_start = _process_start_ticks(pid)
    if now_start is None or start == "?":
        return True
    return now_start == start


class RunStore:
    """Runs persisted in one SQLite file. Create it with :func:`trueloss_dash.store.open_store`."""

    def __init__(self, path: Path, *, read_only: bool = False, status_message: str | None = None,
                 temporary: bool = False, immutable: bool = False, disk_full: bool = False,
                 retry_writable: "Callable[[], str | None] | None" = None) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.temporary = temporary  # True when the real store could not be used (see status_message)
        self.status_message = status_message
        # A read-only filesystem cannot hold WAL's shared-memory file: read the file as immutable.
        self.immutable = immutable
        # The disk is full: WAL cannot create its files, so connections take an exclusive lock and
        # keep the journal in memory - enough to list, load and delete (which frees space).
        self.disk_full = disk_full
        # Read-only only because another process held the write lock at open time: before a write,
        # ask again (returns None once writable) instead of staying read-only until a restart.
        self._retry_writable = retry_writable
        self._last_retry = 0.0
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    # -- connections --------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            flags = "mode=ro&immutable=1" if self.immutable else "mode=ro"
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?{flags}", uri=True,
                                   timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        elif self.disk_full:
            conn = _emergency_connection(self.path)
        else:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process kills
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection (each thread reconnects on its next use)."""
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _writable(self, action: str) -> None:
        if self.read_only and self._retry_writable is not None and time.time() - self._last_retry > RETRY_LOCK_S:
            self._last_retry = time.time()
            still = self._retry_writable()
            if still is None:  # the other process let go: become writable, reconnect every thread
                self.close()
                self.read_only, self.status_message, self._retry_writable = False, None, None
            else:
                self.status_message = still
        if self.read_only:
            raise StoreError(f"cannot {action}: {self.status_message or f'run store at {self.path} is read-only'}")

    def _transaction(self):
        return _Transaction(self.conn())

    # -- queries ------------------------------------------------------------------------------
    @in_words("list the runs")
    def list(self) -> list[RunInfo]:
        """Every run, newest first."""
        rows = self.conn().execute(
            "SELECT id, name, format, status, created, updated, n_points, source FROM runs "
            "ORDER BY created DESC, id"
        ).fetchall()
        return [RunInfo(*row) for row in rows]

    @in_words("read the run")
    def info(self, run_id: str) -> RunInfo:
        row = self.conn().execute(
            "SELECT id, name, format, status, created, updated, n_points, source FROM runs WHERE id=?",
            (run_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no run with id {run_id!r} in the run store at {self.path}")
        return RunInfo(*row)

    @in_words("look up the run")
    def resolve(self, prefix: str) -> str:
        """The full id of the run whose id starts with ``prefix`` (CLI convenience)."""
        prefix = str(prefix).strip()
        if not prefix:
            raise StoreError("a run id is required")
        rows = self.conn().execute(
            "SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id", (len(prefix), prefix)
        ).fetchall()
        if not rows:
            raise StoreError(f"no run with id {prefix!r} in the run store at {self.path} "
                             "(see `trueloss-dash runs list`)")
        if len(rows) > 1 and rows[0][0] != prefix:
            ids = ", ".join(r[0] for r in rows[:5])
            raise StoreError(f"run id {prefix!r} is ambiguous: it matches {ids}")
        return rows[0][0]

    @in_words("load the run")
    def load(self, run_id: str) -> Run:
        """The stored run as a :class:`Run` (series in the order they were first written)."""
        conn = self.conn()
        conn.execute("BEGIN")  # one snapshot: a concurrent append cannot tear the series apart
        try:
            row = conn.execute(
                "SELECT name, format, source, status, context_json, notes_json, warnings_json, meta_json "
                "FROM runs WHERE id=?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"no run with id {run_id!r} in the run store at {self.path}")
            columns = dict(conn.execute("SELECT name, source_column FROM series WHERE run_id=?", (run_id,)))
            chunks = conn.execute(
                "SELECT series, n, y, step, epoch, wall_time FROM chunks WHERE run_id=? ORDER BY id",
                (run_id,),
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        name, fmt, source, status, ctx_json, notes_json, warnings_json, meta_json = row
        grouped: dict[str, list[tuple]] = {}
        for series_name, n, *blobs in chunks:
            grouped.setdefault(series_name, []).append((n, blobs))
        run = Run(
            name=name,
            source=source,
            format=fmt,
            context=RunContext.from_mapping(json.loads(ctx_json), strict=False),
            notes=list(json.loads(notes_json)),
            warnings=list(json.loads(warnings_json)),
            meta=dict(json.loads(meta_json)),
        )
        run.meta.setdefault("store_id", run_id)
        run.meta["store_status"] = status
        for series_name, parts in grouped.items():
            run.add(join_chunks(series_name, parts, columns.get(series_name)))
        for series_name, column in columns.items():  # declared but never appended to
            if series_name not in run.series:
                run.add(Series(series_name, y=np.empty(0), source_column=column))
        return run

    # -- writes -------------------------------------------------------------------------------
    @in_words("save the run")
    def save(self, run: Run, *, status: str = STATUS_SAVED, user: str | None = None,
             content_hash: str | None = None) -> str:
        """Store a complete run (an upload, a finished trainer run); returns its new id.

        ``user`` is the browser identity that owns it (None: CLI/shared), ``content_hash`` the
        uploaded file's hash (see :class:`~trueloss_dash.store.scoped.UserStore`)."""
        self._writable("save the run")
        run_id = _new_id()
        now = time.time()
        with self._transaction() as conn:
            meta = {k: v for k, v in run.meta.items() if k not in ("store_id", "store_status")}
            self._insert_run(conn, run_id, run.name, run.format, run.source, status, now, run.context,
                             run.notes, run.warnings, meta, owner=None, user=user, content_hash=content_hash)
            longest = 0
            for s in run.series.values():
                conn.execute("INSERT INTO series (run_id, name, source_column) VALUES (?,?,?)",
                             (run_id, s.name, s.source_column))
                for lo in range(0, max(len(s), 1), CHUNK_POINTS):
                    part = s.take(slice(lo, lo + CHUNK_POINTS))
                    if len(part) == 0 and len(s) > 0:
                        continue
                    insert_chunk(conn, run_id, s.name, part.y, part.step, part.epoch, part.wall_time)
                longest = max(longest, len(s))
            conn.execute("UPDATE runs SET n_points=? WHERE id=?", (longest, run_id))
        return run_id

    def _insert_run(self, conn, run_id, name, fmt, source, status, now, context, notes, warnings, meta, owner,
                    user=None, content_hash=None):
        ctx = context.to_dict() if isinstance(context, RunContext) else dict(context or {})
        conn.execute(
            "INSERT INTO runs (id, name, format, source, status, created, updated, context_json, "
            "notes_json, warnings_json, meta_json, owner, n_points, user, content_hash) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,?,?)",
            (run_id, str(name), fmt, source, status, now, now, _dumps(ctx), _dumps(list(notes)),
             _dumps(list(warnings)), _dumps(dict(meta or {})), owner, user, content_hash),
        )

    @in_words("save the context")
    def update_context(self, run_id: str, context: RunContext) -> None:
        """Replace a stored run's context (the user edited what is known about its training)."""
        self._writable("save the context")
        with self._transaction() as conn:
            cur = conn.execute("UPDATE runs SET context_json=?, updated=? WHERE id=?",
                               (_dumps(context.to_dict()), time.time(), run_id))
            if cur.rowcount == 0:
                raise StoreError(f"no run with id {run_id!r} in the run store at {self.path}")

    @in_words("rename the run")
    def rename(self, run_id: str, name: str) -> None:
        self._writable("rename the run")
        name = str(name).strip()
        if not name:
            raise StoreError("a run name cannot be empty")
        with self._transaction() as conn:
            cur = conn.execute("UPDATE runs SET name=?, updated=? WHERE id=?", (name, time.time(), run_id))
            if cur.rowcount == 0:
                raise StoreError(f"no run with id {run_id!r} in the run store at {self.path}")

    @in_words("delete the run")
    def delete(self, run_id: str) -> None:
        """Delete a run. Works on a full disk too: deleting is how the user frees space."""
        self._writable("delete the run")
        try:
            self._delete(self.conn(), run_id)
        except sqlite3.OperationalError as err:
            if "full" not in str(err).lower():
                raise
            self._delete_on_full_disk(run_id)

    def _delete(self, conn: sqlite3.Connection, run_id: str) -> None:
        with _Transaction(conn) as c:
            c.execute("DELETE FROM chunks WHERE run_id=?", (run_id,))
            c.execute("DELETE FROM series WHERE run_id=?", (run_id,))
            cur = c.execute("DELETE FROM runs WHERE id=?", (run_id,))
            if cur.rowcount == 0:
                raise StoreError(f"no run with id {run_id!r} in the run store at {self.path}")

    def _delete_on_full_disk(self, run_id: str) -> None:
        """A WAL write needs new disk pages; a full disk has none. Delete through an exclusive
        connection whose journal is in memory: the delete rewrites existing pages in place, so
        nothing grows. The next normal open returns the file to WAL mode."""
        self.close()
        conn = _emergency_connection(self.path)
        try:
            self._delete(conn, run_id)
        finally:
            conn.close()

    @in_words("start a live run")
    def begin_live(self, name: str, context: RunContext | None = None, meta: Mapping[str, Any] | None = None,
                   *, format: str = "live", source: str | None = None,
                   mlflow_uri: str | None = None, user: str | None = None) -> "LiveRunWriter":
        """Start a run written epoch by epoch; status 'running' until :meth:`LiveRunWriter.finish`.

        When ``mlflow_uri`` (default: ``$TRUELOSS_DASH_MLFLOW_URI``) is set, every epoch is also
        logged to that MLflow tracking server; an MLflow failure never stops the local write.
        """
        self._writable("start a live run")
        run_id = _new_id()
        with self._transaction() as conn:
            self._insert_run(conn, run_id, name, format, source, STATUS_RUNNING, time.time(),
                             context or RunContext(), [], [], meta or {}, owner=current_owner(), user=user)
        writer = LiveRunWriter(self, run_id)
        uri = mlflow_uri if mlflow_uri is not None else os.environ.get("TRUELOSS_DASH_MLFLOW_URI", "")
        if uri:
            from ..mlflow_sink import MlflowLiveSink

            writer.mirror = MlflowLiveSink.start_safely(uri, name=name, context=context, meta=meta)
            if writer.mirror.error:
                self.add_warning(run_id, writer.mirror.error)
            else:
                self.update_meta(run_id, {"mlflow_run_id": writer.mirror.run_id, "mlflow_uri": uri})
        return writer

    @in_words("update the run")
    def update_meta(self, run_id: str, values: Mapping[str, Any]) -> None:
        """Merge ``values`` into a stored run's meta."""
        self._writable("update the run")
        with self._transaction() as conn:
            row = conn.execute("SELECT meta_json FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"no run with id {run_id!r} in the run store at {self.path}")
            meta = json.loads(row[0])
            meta.update(values)
            conn.execute("UPDATE runs SET meta_json=? WHERE id=?", (_dumps(meta), run_id))

    # -- roles remembered per source -----------------------------------------------------------
    # A small side table (created on first use, so no schema version bump): the role mapping a
    # user chose for a log source, applied again the next time the same source is loaded.
    _ROLES_DDL = "CREATE TABLE IF NOT EXISTS source_roles (source TEXT PRIMARY KEY, roles_json TEXT NOT NULL, updated REAL)"

    @in_words("remember series roles")
    def remember_roles(self, source: str, roles: Mapping[str, str]) -> None:
        """Keep ``{series source name: role}`` for ``source`` (see :func:`roles_key`); {} forgets."""
        self._writable("remember series roles")
        with self._transaction() as conn:
            conn.execute(self._ROLES_DDL)
            if roles:
                conn.execute("INSERT OR REPLACE INTO source_roles VALUES (?, ?, ?)",
                             (source, _dumps(dict(roles)), time.time()))
            else:
                conn.execute("DELETE FROM source_roles WHERE source=?", (source,))

    def roles_for(self, source: str) -> dict[str, str]:
        """The role mapping remembered for ``source`` ({} when none)."""
        try:
            row = self.conn().execute("SELECT roles_json FROM source_roles WHERE source=?", (source,)).fetchone()
        except sqlite3.OperationalError:  # table not created yet (or a read-only store without it)
            return {}
        return dict(json.loads(row[0])) if row else {}

    @in_words("change the run status")
    def set_status(self, run_id: str, status: str) -> None:
        self._writable("change the run status")
        with self._transaction() as conn:
            conn.execute("UPDATE runs SET status=?, updated=? WHERE id=?", (status, time.time(), run_id))

    @in_words("add a warning to the run")
    def add_warning(self, run_id: str, message: str) -> None:
        """Append a warning to a stored run (e.g. why a live run stopped)."""
        self._writable("add a warning")
        with self._transaction() as conn:
            row = conn.execute("SELECT warnings_json FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"no run with id {run_id!r} in the run store at {self.path}")
            warnings = json.loads(row[0])
            if message not in warnings:
                warnings.append(message)
            conn.execute("UPDATE runs SET warnings_json=? WHERE id=?", (_dumps(warnings), run_id))

    @in_words("mark interrupted runs")
    def mark_interrupted(self) -> list[str]:
        """Runs left 'running' by a process that is gone become 'interrupted'; returns their ids."""
        if self.read_only:
            return []
        rows = self.conn().execute("SELECT id, owner, updated FROM runs WHERE status=?",
                                   (STATUS_RUNNING,)).fetchall()
        now = time.time()
        dead = []
        for run_id, owner, updated in rows:
            alive = owner_is_alive(owner)
            if alive is False or (alive is None and now - updated > FOREIGN_STALE_S):
                dead.append(run_id)
        if dead:
            with self._transaction() as conn:
                for run_id in dead:
                    conn.execute("UPDATE runs SET status=? WHERE id=? AND status=?",
                                 (STATUS_INTERRUPTED, run_id, STATUS_RUNNING))
        return dead

    @in_words("check the run store")
    def integrity_check(self) -> str:
        return "; ".join(r[0] for r in self.conn().execute("PRAGMA integrity_check").fetchall())


def _emergency_connection(path: Path) -> sqlite3.Connection:
    """A connection that needs no new disk space: exclusive lock (no WAL index file), journal in
    memory (no journal file). Used only when the disk is full."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("PRAGMA journal_mode=MEMORY")
    return conn


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): take the write lock up front so
    two writers wait on ``busy_timeout`` instead of failing with a deadlock on upgrade."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:  # SQLite already rolled back (disk full, I/O error): keep the first error
                pass


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


def _as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return None


class LiveRunWriter:
    """Writes one live run epoch by epoch; each :meth:`append` is one transaction.

    A record is a flat dict of canonical names (see :mod:`trueloss_dash.columns`): the x axes
    (``epoch``, ``step``, ``wall_time``) and any number of series values. Values that are not
    numbers (or None) are skipped - a record may carry labels for the UI. Safe to use from the
    trainer's thread: the store gives each thread its own connection.
    """

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.path = store.path
        self.run_id = run_id
        self.mirror = None  # optional MlflowLiveSink
        self.finished_status: str | None = None
        self._lengths: dict[str, int] = {}

    @in_words("write the epoch")
    def append(self, record: Mapping[str, Any]) -> None:
        """Persist one epoch (all its series) atomically."""
        self._write([record])
        if self.mirror is not None and self.mirror.active:
            self.mirror.log_epoch(record)
            if self.mirror.error:  # mirroring stopped: say so on the run, keep training
                self.store.add_warning(self.run_id, self.mirror.error)

    @in_words("write the steps")
    def append_steps(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Persist a batch of step-level records (e.g. per-batch training loss) in one transaction."""
        self._write(list(records))

    def _write(self, records: list[Mapping[str, Any]]) -> None:
        if self.finished_status is not None:
            raise StoreError(f"live run {self.run_id} already ended ({self.finished_status})")
        if not records:
            return
        columns: dict[str, dict[str, list[float]]] = {}
        for rec in records:
            x = {axis: _as_number(rec.get(axis)) for axis in X_AXES}
            for key, value in rec.items():
                if key in X_AXES:
                    continue
                number = _as_number(value)
                if number is None:
                    continue
                col = columns.setdefault(str(key), {"y": [], **{a: [] for a in X_AXES}})
                col["y"].append(number)
                for axis in X_AXES:
                    col[axis].append(math.nan if x[axis] is None else x[axis])
        now = time.time()
        with self.store._transaction() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id=?", (self.run_id,)).fetchone()
            if row is None:
                raise StoreError(f"live run {self.run_id} was deleted from the run store")
            for name, col in columns.items():
                conn.execute("INSERT OR IGNORE INTO series (run_id, name, source_column) VALUES (?,?,?)",
                             (self.run_id, name, name))
                axes = {a: np.array(col[a]) for a in X_AXES}
                axes = {a: (None if np.isnan(v).all() else v) for a, v in axes.items()}
                insert_chunk(conn, self.run_id, name, np.array(col["y"]), axes["step"], axes["epoch"],
                              axes["wall_time"])
            lengths = dict(self._lengths)
            for name, col in columns.items():
                lengths[name] = lengths.get(name, 0) + len(col["y"])
            n_points = max(lengths.values(), default=0)
            conn.execute("UPDATE runs SET updated=?, n_points=? WHERE id=?", (now, n_points, self.run_id))
        self._lengths = lengths

    @in_words("finish the live run")
    def finish(self, status: str = "finished", *, message: str | None = None) -> None:
        """End the run: set its final status and compact its chunks into one per series."""
        if status not in FINAL_STATUSES and status != STATUS_INTERRUPTED:
            raise StoreError(f"unknown final status {status!r}; expected one of {', '.join(FINAL_STATUSES)} "
                             f"or {STATUS_INTERRUPTED}")
        if self.finished_status is not None:
            return
        with self.store._transaction() as conn:
            conn.execute("UPDATE runs SET status=?, updated=?, owner=NULL WHERE id=?",
                         (status, time.time(), self.run_id))
            if message:
                row = conn.execute("SELECT warnings_json FROM runs WHERE id=?", (self.run_id,)).fetchone()
                if row is not None:
                    warnings = json.loads(row[0]) + [message]
                    conn.execute("UPDATE runs SET warnings_json=? WHERE id=?", (_dumps(warnings), self.run_id))
            compact(conn, self.run_id)
        self.finished_status = status
        if self.mirror is not None:
            self.mirror.finish(status)
