"""The run store's SQLite schema, its version history and the migrations between versions.

The version lives in ``PRAGMA user_version``. Every migration is one function that takes a
connection inside a transaction and moves the database one version up; ``migrate`` runs them in
order, so a database of any older version opens with the current code. A database written by a
newer trueloss-dash (version above :data:`SCHEMA_VERSION`) is opened read-only, never rewritten.

History
- v0: an empty file (fresh database).
- v1: first sketch - one SQL row per point (``points``); simple, but loading a 1M-point run took
  seconds, and there was no owner column to tell a dead writer from a live one.
- v2: points packed as little-endian float64 blobs in ``chunks`` (one chunk per
  series per appended epoch, compacted into one chunk per series when a live run ends) and the
  writer's process identity (``owner``) on each run so dead live runs can be marked interrupted.
- v3 (current): ``user`` (the browser identity that owns the run; NULL for CLI-saved and older
  runs) so sessions cannot see each other's runs, and ``content_hash`` (the uploaded file's hash)
  so re-uploading a file opens the run already saved instead of saving it again.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

SCHEMA_VERSION = 3

# The v1 layout, kept verbatim: tests build a v1 database from it to prove the migration works.
V1_DDL = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    format TEXT,
    source TEXT,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    context_json TEXT NOT NULL DEFAULT '{}',
    notes_json TEXT NOT NULL DEFAULT '[]',
    warnings_json TEXT NOT NULL DEFAULT '[]',
    meta_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE points (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    series TEXT NOT NULL,
    idx INTEGER NOT NULL,
    step REAL,
    epoch REAL,
    wall_time REAL,
    y REAL,
    PRIMARY KEY (run_id, series, idx)
);
"""

V2_DDL = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    format TEXT,
    source TEXT,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    context_json TEXT NOT NULL DEFAULT '{}',
    notes_json TEXT NOT NULL DEFAULT '[]',
    warnings_json TEXT NOT NULL DEFAULT '[]',
    meta_json TEXT NOT NULL DEFAULT '{}',
    owner TEXT,
    n_points INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE series (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    source_column TEXT,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    series TEXT NOT NULL,
    n INTEGER NOT NULL,
    y BLOB NOT NULL,
    step BLOB,
    epoch BLOB,
    wall_time BLOB
);
CREATE INDEX chunks_by_run ON chunks (run_id, id);
CREATE INDEX runs_by_status ON runs (status);
"""


V3_DDL = """
ALTER TABLE runs ADD COLUMN user TEXT;
ALTER TABLE runs ADD COLUMN content_hash TEXT;
CREATE INDEX runs_by_user ON runs (user, content_hash);
"""


def _execute_all(conn: sqlite3.Connection, ddl: str) -> None:
    for statement in ddl.split(";"):
        if statement.strip():
            conn.execute(statement)


def _create_v2(conn: sqlite3.Connection) -> None:
    _execute_all(conn, V2_DDL)


def _create_current(conn: sqlite3.Connection) -> None:
    _create_v2(conn)
    _v2_to_v3(conn)


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Owner identity and upload hash per run; existing runs keep NULL (shown in shared mode and the CLI)."""
    _execute_all(conn, V3_DDL)


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Pack v1's row-per-point table into v2 chunks (one chunk per series)."""
    import numpy as np

    conn.execute("ALTER TABLE runs RENAME TO runs_v1")
    _create_v2(conn)
    conn.execute(
        """INSERT INTO runs (id, name, format, source, status, created, updated, context_json,
                             notes_json, warnings_json, meta_json, owner, n_points)
           SELECT id, name, format, source,
                  CASE status WHEN 'running' THEN 'interrupted' ELSE status END,
                  created, updated, context_json, notes_json, warnings_json, meta_json, NULL, 0
           FROM runs_v1"""
    )
    keys = conn.execute("SELECT DISTINCT run_id, series FROM points").fetchall()
    for run_id, series in keys:
        rows = conn.execute(
            "SELECT step, epoch, wall_time, y FROM points WHERE run_id=? AND series=? ORDER BY idx",
            (run_id, series),
        ).fetchall()
        cols = list(zip(*rows))

        def pack(values):
            if all(v is None for v in values):
                return None
            return np.array([np.nan if v is None else v for v in values], dtype="<f8").tobytes()

        conn.execute("INSERT INTO series (run_id, name) VALUES (?, ?)", (run_id, series))
        conn.execute(
            "INSERT INTO chunks (run_id, series, n, y, step, epoch, wall_time) VALUES (?,?,?,?,?,?,?)",
            (run_id, series, len(rows), pack(cols[3]), pack(cols[0]), pack(cols[1]), pack(cols[2])),
        )
    conn.execute(
        """UPDATE runs SET n_points = COALESCE(
               (SELECT MAX(n) FROM (SELECT SUM(n) AS n FROM chunks WHERE chunks.run_id = runs.id
                                     GROUP BY series)), 0)"""
    )
    conn.execute("DROP TABLE points")
    conn.execute("DROP TABLE runs_v1")


# version -> function moving a database from that version to the next one.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: _create_current,  # a fresh file jumps straight to the current layout
    1: _v1_to_v2,
    2: _v2_to_v3,
}


def migrate(conn: sqlite3.Connection) -> tuple[int, int]:
    """Bring the database up to :data:`SCHEMA_VERSION`; returns (version found, version now).

    Each step runs in its own transaction together with the ``user_version`` bump, so an
    interrupted migration leaves the database at the last completed version.
    """
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    version = found
    while version < SCHEMA_VERSION:
        step = MIGRATIONS[version]
        target = SCHEMA_VERSION if version == 0 else version + 1
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                conn.execute("COMMIT")
                break
            step = MIGRATIONS[version]
            target = SCHEMA_VERSION if version == 0 else version + 1
            step(conn)
            conn.execute(f"PRAGMA user_version = {int(target)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = target
    return found, version
