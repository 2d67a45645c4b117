"""The run store: where uploaded and live runs are kept (SQLite under the data directory).

``open_store()`` never raises for a damaged or locked file - the dashboard must start anyway:

- damaged file (not a database, malformed pages): the file (and its ``-wal``/``-shm``) is moved
  aside to ``<file>.damaged-<timestamp>`` - never overwritten or deleted - and a fresh store is
  created in its place;
- locked for writing by another process: opened read-only, and writable again as soon as that
  process lets go (checked before each write, not only at the next restart);
- on a read-only filesystem or an unwritable file: a read-only view of the existing runs;
- on a full disk: runs can be listed, loaded and deleted (exclusive lock, journal in memory: no
  new disk pages needed), so the user can free space; saving says the disk is full;
- locked even for reading, unreadable directory, schema from a newer version: a temporary store
  (runs saved in it are not kept; its folder is removed when the process exits) or read-only, as
  the message says.

``store.status_message`` is None when all is well, else one sentence for the UI/CLI to show.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from . import schema
from .runstore import (
    FINAL_STATUSES,
    STATUS_INTERRUPTED,
    STATUS_RUNNING,
    STATUS_SAVED,
    LiveRunWriter,
    RunInfo,
    RunStore,
)
from .errors import StoreError

__all__ = [
    "open_store", "default_home", "RunStore", "RunInfo", "LiveRunWriter", "StoreError",
    "FINAL_STATUSES", "STATUS_INTERRUPTED", "STATUS_RUNNING", "STATUS_SAVED", "STORE_FILENAME",
]

STORE_FILENAME = "runs.sqlite"
LOCK_PROBE_TIMEOUT_S = 2.0  # how long open_store waits for a lock before falling back


def default_home() -> Path:
    """``$TRUELOSS_DASH_HOME`` or the platform's user data directory (e.g. ~/.local/share/trueloss-dash)."""
    env = os.environ.get("TRUELOSS_DASH_HOME", "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("trueloss-dash", appauthor=False))


def open_store(home: str | os.PathLike | None = None) -> RunStore:
    """Open (creating if needed) the run store under ``home``; never raises for a bad file."""
    home_path = Path(home).expanduser() if home is not None else default_home()
    path = home_path / STORE_FILENAME
    try:
        home_path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return _temporary_store(f"cannot create the data directory {home_path} ({err.strerror or err})")

    problem = _probe(path)
    if problem is not None and path.exists() and _disk_is_full(home_path):
        return RunStore(path, disk_full=True, status_message=(
            f"the disk holding {path} is full: stored runs can be viewed and deleted (deleting frees "
            "space); nothing new can be saved until there is room"))
    if problem is None:
        store = RunStore(path)
        store.mark_interrupted()
        return store
    kind, detail = problem
    if kind == "damaged":
        try:
            aside = _move_aside(path)
        except OSError as err:
            return _temporary_store(
                f"run store at {path} is damaged ({detail}) and could not be moved aside ({err}); the file "
                "was left untouched")
        if _probe(path) is None:
            store = RunStore(path, status_message=(
                f"run store at {path} was damaged ({detail}): kept it as {aside.name}; started a fresh store"))
            return store
        return _temporary_store(f"run store at {path} was damaged ({detail}): kept it as {aside.name}")
    if kind == "write-locked":
        message = (f"run store at {path} is locked by another process ({detail}): opened it read-only - "
                   "runs can be viewed; saving works again as soon as that process lets go")

        def retry() -> str | None:
            again = _probe(path)
            return None if again is None else message

        return RunStore(path, read_only=True, status_message=message, retry_writable=retry)
    if kind == "newer":
        return RunStore(path, read_only=True, status_message=(
            f"run store at {path} was written by a newer trueloss-dash ({detail}): opened it read-only"))
    # 'read-locked' or 'unwritable': leave the file alone.
    if kind == "unwritable":
        for immutable in (False, True):  # a read-only filesystem cannot hold WAL's -shm file
            try:
                _check_readable(path, immutable=immutable)
            except sqlite3.Error:
                continue
            return RunStore(path, read_only=True, immutable=immutable, status_message=(
                f"run store at {path} cannot be written ({detail}): opened it read-only - "
                "the saved runs can be viewed, new ones cannot be kept"))
    return _temporary_store(f"run store at {path} cannot be opened ({detail}); the file was left untouched")


FULL_DISK_BYTES = 64 * 1024  # less free space than this: SQLite cannot even open its WAL files


def _disk_is_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < FULL_DISK_BYTES


def _check_readable(path: Path, *, immutable: bool = False) -> None:
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True, timeout=LOCK_PROBE_TIMEOUT_S)
    try:
        conn.execute("SELECT count(*) FROM runs").fetchone()
    finally:
        conn.close()


def _is_damage(err: sqlite3.Error) -> bool:
    text = str(err).lower()
    return any(k in text for k in ("not a database", "malformed", "corrupt", "disk image", "file is encrypted"))


def _is_lock(err: sqlite3.Error) -> bool:
    text = str(err).lower()
    return "locked" in text or "busy" in text


def _classify(err: sqlite3.Error, *, lock_kind: str, context: str = "") -> tuple[str, str]:
    """(kind, detail) for an SQLite error met while probing: damage, a lock, or anything else."""
    detail = f"{context}{err}"
    if _is_damage(err):
        return ("damaged", detail)
    if _is_lock(err):
        return (lock_kind, str(err))
    return ("unwritable", detail)


def _probe(path: Path) -> tuple[str, str] | None:
    """Open, check and migrate the file; None when it is ready for read/write, else (kind, detail)."""
    try:
        conn = sqlite3.connect(str(path), timeout=LOCK_PROBE_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as err:
        return ("unwritable", str(err))
    try:
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if version > schema.SCHEMA_VERSION:
                return ("newer", f"schema v{version}, this version reads up to v{schema.SCHEMA_VERSION}")
            check = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.Error as err:
            return _classify(err, lock_kind="read-locked")
        if check != ["ok"]:
            return ("damaged", "integrity check: " + "; ".join(check[:3]))
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")  # can we take the write lock at all?
            conn.execute("ROLLBACK")
        except sqlite3.Error as err:
            return _classify(err, lock_kind="write-locked")
        try:
            schema.migrate(conn)
        except sqlite3.Error as err:
            return _classify(err, lock_kind="write-locked", context="while upgrading its schema: ")
        return None
    finally:
        conn.close()


def _move_aside(path: Path) -> Path:
    """Rename the damaged file (and its WAL/SHM companions) to a name that does not exist yet."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    k = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{k}")
        k += 1
    os.rename(path, aside)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            target = aside.with_name(aside.name + suffix)
            if not target.exists():
                os.rename(companion, target)
    return aside


_TEMPORARY_DIRS: list[Path] = []


def _remove_temporary_dirs() -> None:
    for folder in _TEMPORARY_DIRS:
        shutil.rmtree(folder, ignore_errors=True)
    _TEMPORARY_DIRS.clear()


def _temporary_store(reason: str) -> RunStore:
    """A throw-away store (its folder is removed at exit) so the dashboard still works."""
    folder = Path(tempfile.mkdtemp(prefix="trueloss-dash-store-"))
    if not _TEMPORARY_DIRS:
        atexit.register(_remove_temporary_dirs)
    _TEMPORARY_DIRS.append(folder)
    tmp = folder / STORE_FILENAME
    conn = sqlite3.connect(str(tmp), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        schema.migrate(conn)
    finally:
        conn.close()
    return RunStore(tmp, temporary=True, status_message=(
        f"{reason}; using a temporary store at {tmp} - runs saved in this session will not be kept"))
