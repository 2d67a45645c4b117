"""Watch a log folder: discover the runs in it, follow them as they grow, diagnose them live.

    from trueloss_dash.watch import Watcher
    w = Watcher("runs/").start()          # or shared_watcher("runs/") for one per process
    snap = w.wait(after_version=0, timeout=5)
    for row in snap.runs: print(row.status, row.label, row.points)
    for alert in snap.alerts: print(alert.line())

An outer ring around the pure core: it uses the ingest readers for every byte it parses and the
diagnosis engine for every verdict; the only extra dependency is the optional ``watchdog`` (file
events; without it the folder is polled). See ``docs/watch.md``.
"""

from .status import FINISHED_AFTER_SECONDS, LIVE_SECONDS, STATUSES
from .watcher import Alert, Snapshot, WatchedRun, Watcher, shared_watcher

__all__ = ["Alert", "Snapshot", "WatchedRun", "Watcher", "shared_watcher", "LIVE_SECONDS",
           "FINISHED_AFTER_SECONDS", "STATUSES"]
