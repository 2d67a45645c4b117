"""The watcher: one per folder per server process, shared by every browser session and the CLI.

One worker thread wakes on a ``watchdog`` file event (or, without watchdog, every poll interval),
stats the watched files, lets the followers read what is new, re-diagnoses the runs that changed
and records each *new* WARNING/CRITICAL finding as an :class:`Alert` (with the step it starts at).
Readers (pages, the CLI) take a :meth:`Watcher.snapshot`: immutable rows, so no page ever waits
for a read and no read ever runs twice because two sessions are open.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import LogFormatError
from ..ingest.loader import DEFAULT_MAX_BYTES, detect
from ..columns import looks_like_loss
from ..ingest.registry import CSV_FORMATS, JSON_LINES_FORMATS
from ..ingest.sniff import Sample
from ..ingest.source import SNIFF_BYTES, Source
from ..run import Run
from .discover import Found, scan
from .followers import EventsFollower, Follower, RereadFollower, follower_for
from .status import SEVERITY_RANK, alert_key, run_status

ALERT_HISTORY = 1000
DIAGNOSE_BUDGET_SECONDS = 0.15  # per pass; at least one run is always re-diagnosed
DISCOVERY_BUDGET_SECONDS = 0.5  # per pass, for reading newly found files (the rest: next pass)
FOCUS_SECONDS = 10.0  # a run a page showed this recently is diagnosed first
REST_FACTOR = 3.0  # the worker sleeps this many times as long as its last pass took
MAX_REST_SECONDS = 2.0  # but never longer (one huge first read must not mute the watch)


@dataclass(frozen=True)
class Alert:
    """A WARNING/CRITICAL finding that was not there at the previous diagnosis of the run."""

    seq: int
    time: float
    run_key: str
    run_label: str
    kind: str
    severity: str
    series: str
    x_axis: str
    at: float | None
    summary: str
    step: float | None = None  # the training step where it starts (when the log has steps)

    @property
    def where(self) -> str:
        parts = []
        if self.step is not None:
            parts.append(f"step {_num(self.step)}")
        if self.at is not None and not (self.x_axis == "step" and self.step is not None):
            parts.append(f"{self.x_axis} {_num(self.at)}")
        return parts[0] + (f" ({parts[1]})" if len(parts) > 1 else "") if parts else ""

    def line(self) -> str:
        where = f" at {self.where}" if self.where else ""
        return f"{self.severity.upper():8s} {self.kind.replace('_', ' ')} in {self.run_label}{where}: {self.summary}"

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": round(self.time, 3), "run": self.run_label, "run_key": self.run_key,
                "kind": self.kind, "severity": self.severity, "series": self.series, "step": self.step,
                "x_axis": self.x_axis, "at": self.at, "summary": self.summary}


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


def step_of(run: Run, finding: Any) -> float | None:
    """The step at which a finding starts: its own x when on steps, else the first point of its
    series at or after its start on the finding's axis (an epoch)."""
    if finding.start is None:
        return None
    if finding.x_axis == "step":
        return float(finding.start)
    series = run.series.get(finding.series)
    if series is None:
        return None
    xs, steps = series.x(finding.x_axis), series.x("step")
    if xs is None or steps is None:
        return None
    import numpy as np

    idx = np.flatnonzero(xs >= finding.start)
    return float(steps[idx[0]]) if len(idx) and np.isfinite(steps[idx[0]]) else None


@dataclass(frozen=True)
class WatchedRun:
    """One row of the run list (a snapshot: never mutated after it is published)."""

    key: str
    label: str
    kind: str
    format: str | None
    status: str  # live | finished | stale | diverged | gone | waiting | unreadable
    last_write: float
    points: int
    view: Run | None  # what the diagnosis read: the run, or for a long run its bounded view
    report: Any
    alerts: tuple[Alert, ...]
    error: str | None
    version: int
    full: Any = None  # FullRuns of a long run (built on first use), with ``index`` the run's place in it
    index: int = 0

    @property
    def run(self) -> Run | None:
        """The run at full resolution (a long run's is built the first time a reader asks)."""
        return self.view if self.full is None else self.full.run(self.index)


@dataclass(frozen=True)
class Snapshot:
    root: str
    version: int
    runs: tuple[WatchedRun, ...]
    alerts: tuple[Alert, ...]
    refused: tuple[str, ...]
    skipped: tuple[str, ...]
    mode: str
    scanned_at: float
    truncated: bool = False

    def run(self, key: str) -> WatchedRun | None:
        return next((r for r in self.runs if r.key == key), None)


@dataclass
class _Source:
    found: Found
    follower: Follower | None = None
    skip: str | None = None  # why the file is not (yet) a run
    sniffed_size: int = -1
    rows: list[WatchedRun] = field(default_factory=list)
    seen: dict[int, dict[tuple, int]] = field(default_factory=dict)  # per run index: finding key -> severity rank
    alerts: dict[int, list[Alert]] = field(default_factory=dict)
    version: int = 0
    dirty: bool = False  # read something the published diagnosis does not include yet
    diagnosed_at: float = 0.0


class Watcher:
    def __init__(self, root: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, poll_seconds: float = 1.0,
                 rescan_seconds: float = 3.0, use_watchdog: bool = True, diagnose: bool = True) -> None:
        path = Path(root)
        if not path.is_dir():
            raise LogFormatError("not a folder; expected the folder your training writes its logs to", path=str(root))
        self.root = Path(os.path.realpath(path))
        self.display_root = str(path)
        self.max_bytes = max_bytes
        self.poll_seconds = poll_seconds
        self.rescan_seconds = rescan_seconds
        self.use_watchdog = use_watchdog
        self.diagnose_runs = diagnose
        self.diagnose_budget = DIAGNOSE_BUDGET_SECONDS
        self.discovery_budget = DISCOVERY_BUDGET_SECONDS
        self._focus: dict[str, float] = {}
        self.mode = "polling"
        self._sources: dict[str, _Source] = {}
        self._alerts: list[Alert] = []
        self._seq = 0
        self._version = 0
        self._refused: list[str] = []
        self._truncated = False
        self._last_scan = 0.0
        self._rescan = True
        self._snapshot = Snapshot(str(path), 0, (), (), (), (), self.mode, 0.0)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._observer = None
        self.last_error: str | None = None
        self.step_seconds = 0.0

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "Watcher":
        if self._thread is not None:
            return self
        self._start_observer()
        self._thread = threading.Thread(target=self._loop, name=f"trueloss-watch:{self.root.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout=2)
            except Exception:  # noqa: BLE001
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _start_observer(self) -> None:
        if not self.use_watchdog:
            return
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            return
        watcher = self

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # noqa: D401 - watchdog's callback name
                if event.event_type in ("created", "deleted", "moved") or event.is_directory:
                    watcher._rescan = True
                watcher._wake.set()

        try:
            observer = Observer()
            observer.daemon = True
            observer.schedule(_Handler(), str(self.root), recursive=True)
            observer.start()
        except Exception as err:  # noqa: BLE001 - inotify limits, unsupported file systems: poll instead
            self.last_error = f"file events unavailable ({type(err).__name__}: {err}); polling instead"
            return
        self._observer = observer
        self.mode = "file events (watchdog)"

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception as err:  # noqa: BLE001 - the watch must outlive any one bad file
                self.last_error = f"{type(err).__name__}: {err}"
            # rest three times as long as the pass took, whatever the file events say: the watcher never
            # takes more than a quarter of a core (and of the GIL) from the page sessions, however busy
            # the folder is; then wait for the next file event or poll
            rest = min(REST_FACTOR * self.step_seconds, MAX_REST_SECONDS)
            if self._stop.wait(rest):
                break
            self._wake.wait(max(0.0, self.poll_seconds - rest))
            if self._wake.is_set():
                self._wake.clear()
                time.sleep(0.05)  # let a burst of writes land before reading

    # -- one pass ----------------------------------------------------------------------------------
    def step(self) -> bool:
        """Scan (when due), read what is new, re-diagnose what changed, publish a snapshot.
        Returns True when anything visible changed.

        Reading is cheap (new bytes only); diagnosing is not, so it gets a time budget per pass:
        the runs a page is showing go first, then the longest-waiting ones; whatever does not fit
        waits for the next pass. Fifty busy runs thus never starve the page's own run."""
        t0 = time.perf_counter()
        now = time.time()
        changed = False
        if self._rescan or now - self._last_scan >= self.rescan_seconds:
            self._rescan = False
            changed |= self._scan(now)
        for src in list(self._sources.values()):
            if src.follower is None:
                # a new file costs a first full read: new files are taken up to a budget of their own
                if time.perf_counter() - t0 > self.discovery_budget or not self._detect(src):
                    continue
            if src.follower.poll():
                src.dirty = True
        focus = {k for k, t in self._focus.items() if now - t < FOCUS_SECONDS}
        queue = sorted((s for s in self._sources.values() if s.dirty),
                       key=lambda s: (s.found.key not in focus, s.diagnosed_at))
        for i, src in enumerate(queue):
            if i and time.perf_counter() - t0 > self.diagnose_budget:
                break  # the rest next pass
            src.dirty = False
            self._rediagnose(src)
            src.diagnosed_at = time.time()
            changed = True
        statuses_moved = self._refresh_status(now)
        if changed or statuses_moved or self._snapshot.version == 0:
            self._publish(now)
        self.step_seconds = time.perf_counter() - t0
        return changed

    def focus(self, key: str) -> None:
        """A page is showing this run: diagnose it first for a while."""
        self._focus[key.split("#", 1)[0]] = time.time()

    def _scan(self, now: float) -> bool:
        result = scan(self.root)
        self._last_scan = now
        self._refused, self._truncated = result.refused, result.truncated
        changed = False
        for key, found in result.found.items():
            src = self._sources.get(key)
            if src is None:
                self._sources[key] = _Source(found)
                changed = True
            elif found.kind == "tensorboard" and isinstance(src.follower, EventsFollower):
                src.follower.set_files(found.files)
            if found.kind == "tensorboard" and key in self._sources:
                self._sources[key].found = found
        return changed

    def _detect(self, src: _Source) -> bool:
        found = src.found
        if found.kind == "tensorboard":
            src.follower = EventsFollower(self.root, found.path, self.max_bytes)
            src.follower.set_files(found.files)
            return True
        if found.kind in ("hf", "mlflow", "dvclive"):
            src.follower = RereadFollower(self.root, found.path, self.max_bytes, found.kind)
            return True
        try:
            size = os.lstat(found.path).st_size
        except OSError:
            return False
        if size == src.sniffed_size or (src.sniffed_size >= SNIFF_BYTES and src.skip):
            return False  # nothing new to judge by (a full sniff window already said "not a log")
        src.sniffed_size = size
        if size == 0:
            src.skip = "empty so far"
            return False
        try:
            source = Source(name=found.path.name, path=found.path)
            if size > self.max_bytes:
                raise source.error(f"file is over the size limit of {self.max_bytes} bytes; not read")
            fmt = detect(source)
            sample = Sample(source)
            json_lines = fmt not in JSON_LINES_FORMATS or sample.json_kind == "lines"
            if fmt in CSV_FORMATS and not any(looks_like_loss(c) for c in sample.columns):
                raise source.error(f"no loss column in the header ({', '.join(sample.columns[:6])}); not a training log")
        except LogFormatError as err:
            src.skip = str(err)
            return False
        src.skip = None
        src.follower = follower_for(self.root, found.path, self.max_bytes, fmt, json_lines)
        return True

    def _rediagnose(self, src: _Source) -> None:
        follower = src.follower
        runs, full = follower.diagnosis_runs()
        if src.found.kind == "file" and not src.rows and refused_for_good(follower, runs):
            src.skip, src.follower = follower.error, None
            return
        src.version += 1
        rows = []
        for i, run in enumerate(runs):
            report = None
            if self.diagnose_runs:
                try:
                    from ..diagnose import diagnose

                    report = diagnose(run)
                except Exception as err:  # noqa: BLE001 - a detector bug must not stop the watch
                    follower.error = f"diagnosis failed ({type(err).__name__}: {err})"
            key = src.found.key if len(runs) == 1 else f"{src.found.key}#{i + 1}"
            label = src.found.label if len(runs) == 1 else f"{src.found.label} ({run.name})"
            self._new_alerts(src, i, key, label, report, run)
            rows.append(self._row(src, key, label, run, report, src.alerts.get(i, []), time.time(), full, i))
        if not runs:
            rows.append(self._row(src, src.found.key, src.found.label, None, None, [], time.time()))
        src.rows = rows

    def _new_alerts(self, src: _Source, index: int, key: str, label: str, report: Any, run: Run) -> None:
        if report is None:
            return
        seen = src.seen.setdefault(index, {})
        for f in report.findings:
            rank = SEVERITY_RANK.get(f.severity, 0)
            k = alert_key(f)
            if rank >= SEVERITY_RANK["warning"] and rank > seen.get(k, 0):
                self._seq += 1
                alert = Alert(self._seq, time.time(), key, label, f.kind, f.severity, f.series, f.x_axis,
                              None if f.start is None else float(f.start), f.summary, step_of(run, f))
                self._alerts.append(alert)
                src.alerts.setdefault(index, []).append(alert)
            seen[k] = max(seen.get(k, 0), rank)
        del self._alerts[:-ALERT_HISTORY]

    def _row(self, src: _Source, key: str, label: str, run: Run | None, report: Any, alerts: list, now: float,
             full: Any = None, index: int = 0) -> WatchedRun:
        follower = src.follower
        points = follower.points(run) if run is not None and follower is not None else 0
        status = run_status(follower, run, report, now)
        return WatchedRun(key, label, src.found.kind, follower.format if follower else None, status,
                          follower.last_write if follower else 0.0, points, run, report, tuple(alerts),
                          follower.error if follower else src.skip, src.version, full, index)

    def _refresh_status(self, now: float) -> bool:
        moved = False
        for src in self._sources.values():
            if src.follower is None:
                continue
            fresh = [replace(r, status=run_status(src.follower, r.view, r.report, now), error=src.follower.error)
                     for r in src.rows]
            if [(r.status, r.error) for r in fresh] != [(r.status, r.error) for r in src.rows]:
                src.rows = fresh
                moved = True
        return moved

    def _publish(self, now: float) -> None:
        rows = [r for src in self._sources.values() for r in src.rows]
        order = {"diverged": 0, "live": 1, "stale": 2, "finished": 3, "waiting": 4, "gone": 5, "unreadable": 6}
        rows.sort(key=lambda r: (order.get(r.status, 9), r.label))
        skipped = [f"{s.found.key}: {s.skip}" for s in self._sources.values() if s.follower is None and s.skip]
        self._version += 1
        snap = Snapshot(self.display_root, self._version, tuple(rows), tuple(self._alerts), tuple(self._refused),
                        tuple(skipped), self.mode, now, self._truncated)
        with self._cond:
            self._snapshot = snap
            self._cond.notify_all()

    # -- readers -----------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def wait(self, after_version: int, timeout: float) -> Snapshot:
        """The next snapshot after ``after_version`` (or the current one when ``timeout`` passes)."""
        with self._cond:
            self._cond.wait_for(lambda: self._snapshot.version > after_version, timeout=timeout)
            return self._snapshot


_NOT_YET = ("header only", "no data rows", "no metric lines", "no JSON records", "empty file")


def refused_for_good(follower: Follower, runs: list) -> bool:
    """A file the ingest layer refuses (not just "no rows yet") is not a run: it goes to the
    "not read" list with the reader's sentence, as a folder load would."""
    return not runs and follower.error is not None and not follower.gone and not any(s in follower.error for s in _NOT_YET)


_SHARED: dict[str, Watcher] = {}
_SHARED_LOCK = threading.Lock()


def shared_watcher(root: str | Path, **kwargs) -> Watcher:
    """The process-wide watcher of ``root`` (started on first use): one thread per server, however
    many sessions look at the folder."""
    key = os.path.realpath(root)
    with _SHARED_LOCK:
        w = _SHARED.get(key)
        if w is None:
            w = _SHARED[key] = Watcher(root, **kwargs).start()
        return w
