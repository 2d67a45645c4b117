"""Reading files from disk without trusting them.

A path handed to a reader may be a FIFO (reading blocks forever), a device (``/dev/zero`` reports
size 0 and never ends), or a symlink planted in a run folder (``params/lr -> /etc/passwd``). Only
regular files are read, the size cap is applied while reading (not from ``st_size``), and files
found *inside* a folder are read only when they resolve inside that folder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import LogFormatError
from .limits import MAX_SIDE_FILE_BYTES, mb

_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def regular_size(path: Path, display: str | None = None) -> int:
    """The size of ``path`` if it is a regular file (symlinks followed); a sentence otherwise."""
    display = display or str(path)
    try:
        st = os.stat(path)
    except OSError as err:
        raise LogFormatError(f"cannot read the file ({err.strerror or err})", path=display) from None
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise LogFormatError(f"this is {kind}, not a log file; expected a regular file", path=display)
    return st.st_size


def check_size(display: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise LogFormatError(
            f"file is {mb(size)}, over the size limit of {mb(max_bytes)} "
            "(raise it with max_bytes / --max-bytes if this is really a training log)",
            path=display,
        )


def read_capped(path: Path, max_bytes: int, display: str | None = None) -> bytes:
    """All bytes of a regular file, refusing it as soon as more than ``max_bytes`` arrive."""
    display = display or str(path)
    check_size(display, regular_size(path, display), max_bytes)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise LogFormatError(f"cannot read the file ({err.strerror or err})", path=display) from None
    if len(data) > max_bytes:  # the file grew after stat, or lied about its size
        check_size(display, len(data), max_bytes)
    return data


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` (symlinks resolved) lies in ``root`` (symlinks resolved)."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))
    except (OSError, ValueError):
        return False


def read_side_text(path: Path, root: Path, max_bytes: int = MAX_SIDE_FILE_BYTES) -> str:
    """A small companion file (hparams.yaml, MLflow params/tags, a sidecar) found in ``root``.

    Refused with a sentence when it resolves outside ``root``, is not a regular file, or is larger
    than ``max_bytes``. Undecodable bytes are replaced: these files are hints, not data.
    """
    if not inside(path, root):
        raise LogFormatError(
            f"{path.name} is a link to a file outside the run folder; not followed", path=str(path)
        )
    return read_capped(path, max_bytes).decode("utf-8", errors="replace")
