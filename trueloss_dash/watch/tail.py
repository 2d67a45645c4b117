"""Follow one growing file by byte offset, safely: only regular files under the watched folder.

A :class:`FileTail` remembers where it stopped (offset), which file it was (device + inode) and a
few bytes at the start and just before the offset. Comparing those on every poll tells apart:

- ``append``  - the same file grew (or an atomic replace kept every byte we read): read from the offset;
- ``reset``   - the file was truncated or rewritten (size shrank in place, the bytes we read changed,
  or a new file at the name starts with the same first two lines - the same log written again):
  re-read from 0 and drop what came from it;
- ``rotated`` - a new file with different first lines now has the name (``log`` renamed to
  ``log.1``): what was read stays, the new file is read from 0 as a new segment. While the new
  file is still a prefix of those first lines, nothing is decided (and nothing read);
- ``gone``    - the file was deleted.

Security: opened with ``O_NOFOLLOW``, re-checked to resolve inside the root, regular files only,
and refused above the per-file size cap (the upload cap). Nothing here parses: callers take the
bytes, consume whole units (lines, records) and call :meth:`FileTail.advance`.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import LogFormatError
from ..ingest.source import check_size

FINGERPRINT_BYTES = 64  # bytes kept from just before the offset
HEAD_BYTES = 4096  # bytes kept from the start; its first two lines identify the log
MAX_READ = 64 * 1024 * 1024  # per poll; a bigger backlog is read over several polls


def inside(root: Path, path: Path) -> bool:
    """True when ``path`` resolves (symlinks followed) to a location under ``root`` (already resolved)."""
    try:
        real = Path(os.path.realpath(path))
    except OSError:
        return False
    return real == root or root in real.parents


def open_under(root: Path, path: Path) -> int:
    """An fd for a regular file under ``root``; the last component must not be a symlink and the
    whole path must resolve inside ``root`` (a symlinked folder pointing out of it is refused too)."""
    if not inside(root, path.parent):
        raise LogFormatError("resolves outside the watched folder; not read", path=str(path))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if getattr(err, "errno", None) in (getattr(os, "ELOOP", -1),):
            raise LogFormatError("is a symbolic link; links are not followed in a watched folder", path=str(path)) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LogFormatError("not a regular file; not read", path=str(path))
    return fd


@dataclass
class Chunk:
    kind: str  # append | reset | rotated
    data: bytes  # bytes from the offset (after a reset/rotation: from 0) to the end, at most MAX_READ
    at_eof: bool  # data reaches the end of the file as it was when read


class FileTail:
    def __init__(self, root: Path, path: Path, max_bytes: int) -> None:
        self.root, self.path, self.max_bytes = root, path, max_bytes
        self.offset = 0
        self.ident: tuple[int, int] | None = None
        self.head = b""  # first bytes consumed (fingerprint of the file)
        self.edge = b""  # bytes just before the offset
        self.size = 0
        self.mtime = 0.0
        self.changed_at = time.time()  # last time size or mtime moved (for partial-line patience)
        self.gone = False

    def _pread(self, fd: int, n: int, at: int) -> bytes:
        return os.pread(fd, n, at) if n > 0 else b""

    def _same_bytes(self, fd: int) -> bool:
        head_ok = self._pread(fd, len(self.head), 0) == self.head
        at = self.offset - len(self.edge)
        return head_ok and self._pread(fd, len(self.edge), at) == self.edge

    def poll(self) -> Chunk | None:
        """New bytes, or None when nothing changed. Sets ``gone`` when the file disappeared.
        Raises LogFormatError for refusals (symlink, size cap, outside the root)."""
        try:
            fd = open_under(self.root, self.path)
        except FileNotFoundError:
            self.gone = True
            return None
        try:
            st = os.fstat(fd)
            check_size(str(self.path), st.st_size, self.max_bytes)
            self.gone = False
            ident = (st.st_dev, st.st_ino)
            moved = (st.st_size, st.st_mtime) != (self.size, self.mtime)
            if ident == self.ident and not moved and st.st_size == self.offset:
                return None  # the common case: a stat and nothing else
            if moved:
                self.changed_at = time.time()
            self.size, self.mtime = st.st_size, st.st_mtime
            kind = "append"
            if self.ident is not None and ident != self.ident:
                sig = self._signature()
                start = self._pread(fd, len(sig), 0)
                if start != sig and sig.startswith(start):
                    return None  # too little written yet to tell a rewrite from a rotation
                if start != sig:
                    kind = "rotated"
                elif st.st_size >= self.offset and self._same_bytes(fd):
                    kind = "append"  # atomic replace (tmp file + rename) that kept what we read
                else:
                    kind = "reset"  # the same log written again
            elif st.st_size < self.offset or (self.offset and not self._same_bytes(fd)):
                kind = "reset"
            self.ident = ident
            if kind != "append":
                self.offset, self.head, self.edge = 0, b"", b""
            elif st.st_size == self.offset:
                return None
            data = self._pread(fd, min(st.st_size - self.offset, MAX_READ), self.offset)
            return Chunk(kind, data, at_eof=self.offset + len(data) >= st.st_size)
        finally:
            os.close(fd)

    def _signature(self) -> bytes:
        """The first two lines read (or the head, when shorter): what identifies this log."""
        first = self.head.find(b"\n")
        second = self.head.find(b"\n", first + 1) if first >= 0 else -1
        return self.head if second < 0 else self.head[: second + 1]

    def advance(self, consumed: bytes) -> None:
        """The caller used ``consumed`` (a prefix of the last chunk's data)."""
        if not consumed:
            return
        if len(self.head) < HEAD_BYTES:
            self.head += consumed[: HEAD_BYTES - len(self.head)]
        self.edge = (self.edge + consumed[-FINGERPRINT_BYTES:])[-FINGERPRINT_BYTES:]
        self.offset += len(consumed)

    def quiet_for(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.changed_at
