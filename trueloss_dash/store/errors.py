"""Run store errors in words: every SQLite failure becomes one sentence saying what failed, why,
and what the user can do - never a traceback in the UI or CLI."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from ..errors import TruelossError


class StoreError(TruelossError):
    """A run store operation the user asked for cannot be done (unknown id, read-only store ...)."""


def describe_sqlite_error(err: sqlite3.Error, path: Path | str, action: str) -> str:
    """One sentence for an SQLite error: what failed, why in words, and what the user can do."""
    text = str(err).lower()
    if "full" in text:
        why = (f"the disk holding {path} is full; free some space - deleting runs works even now "
               "(`trueloss-dash runs rm ID --yes`)")
    elif "readonly" in text or "read-only" in text or "permission" in text:
        why = f"the run store at {path} cannot be written (read-only file, folder or filesystem)"
    elif "locked" in text or "busy" in text:
        why = f"the run store at {path} is locked by another process; try again in a moment"
    elif any(k in text for k in ("malformed", "not a database", "corrupt", "disk image")):
        why = f"the run store at {path} looks damaged ({err}); restart the dashboard to set it aside"
    elif "unable to open" in text or "disk i/o" in text:
        why = f"the run store at {path} cannot be reached ({err})"
    else:
        why = f"the run store at {path} reported: {err}"
    return f"cannot {action}: {why}"


def in_words(action: str):
    """Turn any sqlite3 error escaping a store operation into a StoreError sentence."""

    def wrap(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as err:
                raise StoreError(describe_sqlite_error(err, self.path, action)) from None

        return run

    return wrap
