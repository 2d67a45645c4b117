"""How series points are kept: little-endian float64 blobs (``chunks``), one per series per write.

A live run appends one small chunk per series per epoch (cheap); when it ends, :func:`compact`
merges them into one chunk per series so loading stays one query plus ``np.frombuffer`` per chunk.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from ..run import Series
from .errors import StoreError


def pack(arr: np.ndarray | None) -> bytes | None:
    if arr is None:
        return None
    return np.ascontiguousarray(arr, dtype="<f8").tobytes()


def unpack(blob: bytes | None, n: int) -> np.ndarray | None:
    if blob is None:
        return None
    arr = np.frombuffer(blob, dtype="<f8")
    if len(arr) != n:  # never expected: the row was written in one statement
        raise StoreError(f"a stored chunk holds {len(arr)} values where {n} were recorded")
    return arr


def insert_chunk(conn, run_id, series, y, step, epoch, wall_time) -> None:
    conn.execute(
        "INSERT INTO chunks (run_id, series, n, y, step, epoch, wall_time) VALUES (?,?,?,?,?,?,?)",
        (run_id, series, len(y), pack(y), pack(step), pack(epoch), pack(wall_time)),
    )


def join_chunks(name: str, parts: list[tuple], source_column: str | None) -> Series:
    """Concatenate a series' chunks; an axis missing from some chunks is NaN there."""
    if len(parts) == 1:
        n, blobs = parts[0]
        y, step, epoch, wall = (unpack(b, n) for b in blobs)
        return Series(name, y=y.copy(), step=None if step is None else step.copy(),
                      epoch=None if epoch is None else epoch.copy(),
                      wall_time=None if wall is None else wall.copy(), source_column=source_column)
    ns = [n for n, _ in parts]
    arrays: list[np.ndarray | None] = []
    for k in range(4):  # y, step, epoch, wall_time
        pieces = [unpack(blobs[k], n) for n, blobs in parts]
        if k > 0 and all(p is None for p in pieces):
            arrays.append(None)
            continue
        arrays.append(np.concatenate([p if p is not None else np.full(n, np.nan) for p, n in zip(pieces, ns)]))
    y, step, epoch, wall = arrays
    return Series(name, y=y, step=step, epoch=epoch, wall_time=wall, source_column=source_column)


def compact(conn: sqlite3.Connection, run_id: str) -> None:
    """Merge a run's per-epoch chunks into one chunk per series (inside the caller's transaction)."""
    rows = conn.execute(
        "SELECT series, n, y, step, epoch, wall_time FROM chunks WHERE run_id=? ORDER BY id", (run_id,)
    ).fetchall()
    grouped: dict[str, list[tuple]] = {}
    for series_name, n, *blobs in rows:
        grouped.setdefault(series_name, []).append((n, blobs))
    if all(len(parts) == 1 for parts in grouped.values()):
        return
    conn.execute("DELETE FROM chunks WHERE run_id=?", (run_id,))
    for series_name, parts in grouped.items():
        s = join_chunks(series_name, parts, None)
        insert_chunk(conn, run_id, series_name, s.y, s.step, s.epoch, s.wall_time)
