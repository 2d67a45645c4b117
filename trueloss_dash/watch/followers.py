"""Followers: one per watched source, each keeping its parser state between reads.

- :class:`CsvFollower`   - CSV/TSV flavours, by line: the header is read once, each batch of new
  complete lines is parsed by the ingest layer's own table parser and appended to the table;
- :class:`JsonlFollower` - JSON lines, by line, through the ingest layer's record table;
- :class:`TextFollower`  - console/text logs, by line;
- :class:`EventsFollower`- TensorBoard event files, by TFRecord record, checksums checked (a
  half-written record waits; a damaged one is skipped and named in the run's warnings);
- :class:`RereadFollower`- small whole-file/whole-folder sources (``trainer_state.json``, an MLflow
  run, DVCLive), re-read when their files change.

Parsing is never done here: column names, format detection and normalisation are the ingest
layer's (:mod:`trueloss_dash.ingest`). A follower only decides *which bytes are new*. After a
poll that changed something, :meth:`Follower.runs` gives the canonical Runs of everything read.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import LogFormatError
from ..ingest.delimited import read_header, read_table
from ..ingest.loader import finish_runs, load_path, load_source
from ..ingest.provenance_util import header_context
from ..ingest.records import records_to_table
from ..ingest.textparser import TextLogParser
from ..ingest.registry import CSV_FORMATS, JSON_LINES_FORMATS, readers
from ..ingest.source import SNIFF_BYTES, Source, check_size
from ..ingest.table import Table, concat_tables
from ..columns import canonical_x
from ..run import Run
from . import bounded as _bounded
from .bounded import BoundedTable
from .tail import FileTail, inside

PARTIAL_LINE_GRACE = 2.0  # seconds a last line without newline must stay unchanged before it counts


class Follower:
    """Common state: where the source is, whether it changed, what went wrong, when it was written."""

    kind = "file"

    def __init__(self, root: Path, path: Path, max_bytes: int) -> None:
        self.root, self.path, self.max_bytes = root, path, max_bytes
        self.error: str | None = None
        self.gone = False
        self.last_write = 0.0
        self.format: str | None = None
        self._runs: list[Run] | None = None

    def poll(self) -> bool:
        """Read what is new; True when the runs changed."""
        raise NotImplementedError

    def runs(self) -> list[Run]:
        if self._runs is None:
            try:
                self._runs = self._build()
                self.error = None
            except LogFormatError as err:
                self._runs, self.error = [], str(err)
        return self._runs

    def _build(self) -> list[Run]:
        raise NotImplementedError

    def diagnosis_runs(self) -> tuple[list[Run], "FullRuns | None"]:
        """The runs the live diagnosis reads and, when those are a bounded view of a long run
        (:mod:`.bounded`), how to build the full-resolution runs on demand (a page drawing the chart)."""
        return self.runs(), None

    def points(self, run: Run) -> int:
        """Points of the run's longest series (for a bounded view: the rows it stands for)."""
        return max((len(s) for s in run.series.values()), default=0)

    def _changed(self) -> bool:
        self._runs = None
        return True

    def finished_hint(self) -> bool:
        """The source says training ended (HF writes the top-level trainer_state.json last)."""
        return False


# -- line-based files ---------------------------------------------------------------------------
class LineFollower(Follower):
    """Cuts new bytes at the last newline; a last line without one waits (see PARTIAL_LINE_GRACE)."""

    def __init__(self, root: Path, path: Path, max_bytes: int, format: str) -> None:
        super().__init__(root, path, max_bytes)
        self.tail = FileTail(root, path, max_bytes)
        self.format = format
        self.line_no = 0  # complete lines consumed in the current segment
        self.pending = b""  # a last line without newline, counted provisionally once it is quiet

    def poll(self) -> bool:
        try:
            chunk = self.tail.poll()
        except LogFormatError as err:
            self.error = str(err)
            return False
        except OSError as err:
            self.error = f"{self.path}: cannot read ({err.strerror or err})"
            return False
        was_gone, self.gone = self.gone, self.tail.gone
        self.last_write = max(self.last_write, self.tail.mtime)
        if chunk is None:
            changed = was_gone != self.gone
            return self._settle_pending() or changed
        if chunk.kind == "reset":
            self.reset()
        elif chunk.kind == "rotated":
            self.rotate()
        data = chunk.data
        cut = data.rfind(b"\n") + 1
        complete, rest = data[:cut], data[cut:]
        changed = False
        if complete:
            self.tail.advance(complete)
            changed |= self.feed(complete)
        self.pending = rest if chunk.at_eof else b""
        changed |= self._settle_pending(force_changed=bool(complete) or chunk.kind != "append")
        return changed or chunk.kind != "append"

    def _settle_pending(self, force_changed: bool = False) -> bool:
        """Count a quiet unterminated last line provisionally (replaced when the line grows)."""
        want = self.pending if (self.pending.strip() and self.tail.quiet_for() >= PARTIAL_LINE_GRACE) else b""
        if want == self.current_provisional() and not force_changed:
            return False
        self.set_provisional(want)
        return self._changed()

    # subclasses: feed complete lines, keep / drop a provisional last line, restart, new segment
    def feed(self, lines: bytes) -> bool:
        raise NotImplementedError

    def current_provisional(self) -> bytes:
        return getattr(self, "_provisional_raw", b"")

    def set_provisional(self, raw: bytes) -> None:
        self._provisional_raw = raw

    def reset(self) -> None:
        self.line_no = 0
        self._changed()

    def rotate(self) -> None:
        self.line_no = 0
        self._changed()

    def source(self) -> Source:
        return Source(name=self.path.name, path=self.path)


class GrowingTable:
    """A table that grows at its end in amortised O(new rows): column buffers double in capacity,
    so appending 100 rows to a 1,000,000-row log copies 100 rows, not a million. ``view()`` hands
    out the filled part without copying (rows already handed out are never written again)."""

    def __init__(self, first_row: int, row_label: str) -> None:
        self.n, self.capacity = 0, 0
        self.first_row, self.row_label = first_row, row_label
        self.values: dict[str, np.ndarray] = {}
        self.present: dict[str, np.ndarray] = {}
        self.complete: dict[str, bool] = {}  # every row so far has a value in this column

    def _grow(self, need: int) -> None:
        if need <= self.capacity:
            return
        cap = max(need + need // 4, 2 * self.capacity, 1024)
        for name in self.values:
            # np.empty: the tail is written by the appends that fill it, so its pages are never touched before
            v = np.empty(cap)
            v[: self.n] = self.values[name][: self.n]
            p = np.empty(cap, dtype=bool)
            p[: self.n] = self.present[name][: self.n]
            self.values[name], self.present[name] = v, p
        self.capacity = cap

    def append(self, piece: Table) -> None:
        m = piece.nrows
        if m == 0:
            return
        self._grow(self.n + m)
        lo, hi = self.n, self.n + m
        for name in piece.columns:
            if name not in self.values:
                self.values[name] = np.empty(self.capacity)
                self.present[name] = np.empty(self.capacity, dtype=bool)
                self.values[name][: self.n] = np.nan  # a column that appears late is missing before
                self.present[name][: self.n] = False
                self.complete[name] = self.n == 0
        for name in self.values:
            if name in piece.columns:
                self.values[name][lo:hi] = piece.columns[name]
                p = piece.present.get(name)
                self.present[name][lo:hi] = True if p is None else p
                self.complete[name] &= p is None
            else:
                self.values[name][lo:hi] = np.nan
                self.present[name][lo:hi] = False
                self.complete[name] = False
        self.n = hi

    def view(self) -> Table:
        t = Table(first_row=self.first_row, row_label=self.row_label)
        for name, v in self.values.items():
            t.columns[name] = v[: self.n]
            t.present[name] = None if self.complete[name] else self.present[name][: self.n]
        return t


class FullRuns:
    """The full-resolution runs of a long table as it was at one diagnosis, built on first use
    (once, whichever thread asks first): the diagnosis reads the bounded view, a page drawing the
    chart or opening the run for analysis reads these."""

    def __init__(self, build: Callable[[], list[Run]]) -> None:
        self._build, self._runs, self._lock = build, None, threading.Lock()

    def __call__(self) -> list[Run]:
        with self._lock:
            if self._runs is None:
                try:
                    self._runs = self._build()
                except LogFormatError:
                    self._runs = []
                self._build = None
            return self._runs

    def run(self, index: int) -> Run | None:
        runs = self()
        return runs[index] if index < len(runs) else None


class TableLineFollower(LineFollower):
    """Line formats that become a :class:`Table`: committed rows + a provisional last piece.
    Past LONG_TABLE_ROWS rows the table also keeps a :class:`~.bounded.BoundedTable`, so that a
    refresh of a long run is diagnosed in O(appended rows + bounded view)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.frozen: list[Table] = []  # earlier segments (before a rotation)
        self.table: GrowingTable | None = None  # current segment
        self.provisional: Table | None = None
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.bounded: BoundedTable | None = None
        self.long_rows = _bounded.LONG_TABLE_ROWS
        self._bounded_runs: list[Run] | None = None

    def _append(self, piece: Table | None) -> bool:
        if piece is None or piece.nrows == 0:
            return False
        if self.table is None:
            self.table = GrowingTable(piece.first_row, piece.row_label)
        self.table.append(piece)
        t = self.table
        if t.n >= self.long_rows and not self.frozen:
            if self.bounded is None:
                self.bounded = BoundedTable()
            self.bounded.update(t.values, t.present, t.n)
        return self._changed()

    def _changed(self) -> bool:
        self._bounded_runs = None
        return super()._changed()

    def _parts(self) -> list[Table]:
        """The table's pieces as they are now (views: rows handed out are never written again)."""
        current = [self.table.view()] if self.table is not None and self.table.n else []
        return [*self.frozen, *current, *([self.provisional] if self.provisional is not None else [])]

    def merged(self, parts: list[Table] | None = None) -> Table | None:
        parts = self._parts() if parts is None else parts
        if not parts:
            return None
        table = concat_tables(parts)
        # a fresh column dict so flavour adjustments never touch the kept table
        return Table(columns=dict(table.columns), present=dict(table.present), first_row=table.first_row,
                     row_label=table.row_label)

    def _bounded_active(self) -> bool:
        return self.bounded is not None and self.bounded.rows > 0 and not self.frozen and self.table is not None

    def diagnosis_runs(self) -> tuple[list[Run], FullRuns | None]:
        if not self._bounded_active():
            return self.runs(), None
        if self._bounded_runs is None:
            t = self.table
            view = self.bounded.view(t.values, t.present, t.n, t.first_row, t.row_label)
            table = self.merged([view, *([self.provisional] if self.provisional is not None else [])])
            try:
                self._bounded_runs = self._runs_of(table)
                self.error = None
            except LogFormatError as err:
                self._bounded_runs, self.error = [], str(err)
        parts, build = self._parts(), self._builder()
        return self._bounded_runs, FullRuns(lambda: build(self.merged(parts)))

    def points(self, run: Run) -> int:
        if not self._bounded_active():
            return super().points(run)
        b = self.bounded
        extra = self.provisional.nrows if self.provisional is not None else 0
        best = max((b.represented(n) for n in b.names if canonical_x(n) is None), default=0)
        return best + extra if best else super().points(run)

    def _build(self) -> list[Run]:
        table = self.merged()
        return [] if table is None else self._runs_of(table)

    def _runs_of(self, table: Table) -> list[Run]:
        return self._builder()(table)

    def _builder(self) -> Callable[[Table], list[Run]]:
        """Table -> runs with the parser state of now (safe to call later from another thread)."""
        raise NotImplementedError

    def set_provisional(self, raw: bytes) -> None:
        super().set_provisional(raw)
        try:
            self.provisional = self.parse(raw, provisional=True) if raw else None
        except LogFormatError:
            self.provisional = None

    def reset(self) -> None:
        super().reset()
        self.frozen, self.table, self.provisional, self.bounded = [], None, None, None
        self.warnings = []

    def rotate(self) -> None:
        super().rotate()
        if self.table is not None and self.table.n:
            self.frozen.append(concat_tables([self.table.view()]))
        self.table, self.provisional, self.bounded = None, None, None

    def feed(self, lines: bytes) -> bool:
        try:
            piece = self.parse(lines)
        except LogFormatError as err:
            self.error = str(err)
            return False
        return self._append(piece)

    def parse(self, lines: bytes, provisional: bool = False) -> Table | None:
        raise NotImplementedError


class CsvFollower(TableLineFollower):
    """CSV flavours: header once, then pyarrow on each batch of new lines (the ingest parser)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header = None
        self.header_bytes = b""

    def reset(self) -> None:
        super().reset()
        self.header, self.header_bytes = None, b""

    def rotate(self) -> None:
        super().rotate()
        self.header, self.header_bytes = None, b""

    def parse(self, lines: bytes, provisional: bool = False) -> Table | None:
        data = lines
        if self.header is None:
            if provisional:
                return None
            self.header_bytes += lines
            head = Source(name=self.path.name, _data=self.header_bytes[:SNIFF_BYTES])
            header = read_header(head, raw=True)
            if header is None or header.body_offset > len(self.header_bytes):
                return None
            self.header = header
            self.notes = list(head.notes)
            data = self.header_bytes[header.body_offset:]
            self.line_no = header.header_line + 1
            self.header_bytes = b""
        if not data.strip():
            return None
        first_row = self.line_no + 1
        n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        header = replace(self.header, header_line=first_row - 2, body_offset=0)
        source = Source(name=self.path.name, _data=data, path=self.path)
        table, _, notes, warnings = read_table(source, header)
        if not provisional:
            self.line_no += n_lines
            self.notes += [n for n in notes if n not in self.notes]
            self.warnings += warnings
        return table

    def _builder(self) -> Callable[[Table], list[Run]]:
        from ..ingest.readers._csv import runs_from_table

        if self.header is None and not self.frozen:
            return lambda table: []
        header, notes, warnings = self.header or _NoHeader, list(self.notes), list(self.warnings)
        fmt, source = self.format, self.source()
        prepare = readers()[fmt].prepare

        def build(table: Table) -> list[Run]:
            runs = runs_from_table(table, header, list(notes), list(warnings), source, fmt, prepare)
            return finish_runs(source, runs, fmt)

        return build


class _NoHeader:  # a rotated file whose new segment has no header yet: the frozen part still counts
    context = None
    meta: dict = {}


class JsonlFollower(TableLineFollower):
    def parse(self, lines: bytes, provisional: bool = False) -> Table | None:
        records, bad = [], []
        first = self.line_no + 1
        for i, line in enumerate(lines.decode("utf-8", errors="replace").split("\n")):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                bad.append(first + i)
                continue
            if isinstance(rec, dict):
                records.append(rec)
        if not provisional:
            self.line_no += lines.count(b"\n")
            if bad:
                self.warnings.append(f"{len(bad)} unreadable lines skipped (line {', '.join(map(str, bad[:5]))})")
        if not records:
            return None
        table, notes = records_to_table(records, first_row=first, row_label="record")
        self.notes += [n for n in notes if n not in self.notes]
        return table

    def _builder(self) -> Callable[[Table], list[Run]]:
        from ..ingest.readers.jsonl import runs_from_table

        notes, warnings, fmt, source = list(self.notes), list(self.warnings), self.format, self.source()

        def build(table: Table) -> list[Run]:
            return finish_runs(source, runs_from_table(table, list(notes), list(warnings), source, fmt), fmt)

        return build


class TextFollower(LineFollower):
    """Console logs: the ingest layer's resumable :class:`TextLogParser` is fed each batch of new
    lines (the epoch carried from ``Epoch 3/10`` headers and the phase survive between batches).
    After a rotation the same parser goes on with the new file; after a reset a fresh one starts."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parser = TextLogParser()

    def feed(self, lines: bytes) -> bool:
        self.line_no += lines.count(b"\n")
        added = self.parser.feed_text(lines.decode("utf-8", errors="replace"))
        return self._changed() if added else False

    def reset(self) -> None:
        super().reset()
        self.parser = TextLogParser()

    def _build(self) -> list[Run]:
        parser = self.parser
        raw = self.current_provisional()
        if raw:  # a quiet unterminated last line counts on a copy, so the real parser never sees it twice
            parser = copy.deepcopy(parser)
            parser.feed_text(raw.decode("utf-8", errors="replace"))
            parser.flush()
        if not parser.lines_read:
            return []
        source = self.source()
        context, meta = header_context(source)
        runs = parser.runs(name=source.stem, source=source.display, format="text_log", context=context, meta=meta)
        return finish_runs(source, runs, "text_log")


# -- TensorBoard ---------------------------------------------------------------------------------
class EventsFollower(Follower):
    """A TensorBoard run folder: its event files (and Keras' train/validation sub-folders), read
    record by record into the TensorBoard reader's collector."""

    kind = "tensorboard"

    def __init__(self, root: Path, run_dir: Path, max_bytes: int) -> None:
        super().__init__(root, run_dir, max_bytes)
        self.format = "tensorboard"
        self.files: dict[Path, str] = {}  # event file -> tag prefix ('' or 'validation/')
        self.tails: dict[Path, FileTail] = {}
        self._restart()

    def _restart(self) -> None:
        from ..ingest.readers.tensorboard import Collector

        self.collector = Collector()
        self.tails = {f: FileTail(self.root, f, self.max_bytes) for f in self.files}
        self._changed()

    def set_files(self, files: dict[Path, str]) -> None:
        for f, prefix in files.items():
            if f not in self.files:
                self.files[f] = prefix
                self.tails[f] = FileTail(self.root, f, self.max_bytes)

    def poll(self) -> bool:
        changed = False
        for f, tail in list(self.tails.items()):
            try:
                chunk = tail.poll()
            except LogFormatError as err:
                self.error = str(err)
                continue
            except OSError as err:
                self.error = f"{f}: cannot read ({err.strerror or err})"
                continue
            self.last_write = max(self.last_write, tail.mtime)
            if chunk is None:
                continue
            if chunk.kind != "append":  # event files only grow; anything else: read everything again
                self._restart()
                return self.poll()
            # Checked record by record (CRC, framing) like a whole file; damage goes to the run's warnings.
            used = self.collector.add_bytes(chunk.data, self.files[f], where=f.name, final=False, base=tail.offset)
            tail.advance(chunk.data[:used])
            changed |= used > 0
        gone = bool(self.tails) and all(t.gone for t in self.tails.values())
        changed |= gone != self.gone
        self.gone = gone
        return self._changed() if changed else False

    def _build(self) -> list[Run]:
        from ..ingest.readers.tensorboard import run_from_collector

        if not self.collector.values:
            return []
        prefixed = any(p for p in self.files.values())
        return [run_from_collector(self.collector, prefixed=prefixed, name=self.path.name, source=str(self.path))]


# -- small sources, re-read whole -----------------------------------------------------------------
class RereadFollower(Follower):
    """``trainer_state.json`` (the newest of the output folder and its checkpoints), an MLflow run
    folder, a DVCLive folder: small, rewritten in place, so re-read when any of their files changes."""

    def __init__(self, root: Path, path: Path, max_bytes: int, kind: str) -> None:
        super().__init__(root, path, max_bytes)
        self.kind = kind
        self.format = {"hf": "hf_trainer_state", "mlflow": "mlflow", "dvclive": "dvclive", "file": None}[kind]
        self.signature: tuple | None = None
        self.target: Path | None = None

    def _files(self) -> list[Path]:
        if self.kind == "hf":
            cands = [self.path / "trainer_state.json", *self.path.glob("checkpoint-*/trainer_state.json")]
            return [c for c in cands if c.is_file() and not c.is_symlink()]
        if self.kind == "file":
            return [self.path] if self.path.is_file() and not self.path.is_symlink() else []
        sub = self.path / ("metrics" if self.kind == "mlflow" else "plots/metrics")
        out = []
        for dirpath, dirnames, filenames in os.walk(sub):
            out += [Path(dirpath) / n for n in filenames]
            if len(out) > 500:
                break
        return out

    def poll(self) -> bool:
        try:
            files = self._files()
            stats = []
            for f in files:
                st = os.lstat(f)
                stats.append((str(f), st.st_size, st.st_mtime_ns))
        except OSError:
            files, stats = [], []
        gone = not files
        signature = tuple(stats)
        if gone != self.gone:
            self.gone = gone
            if gone:
                return True
        if gone or signature == self.signature:
            return False
        self.signature = signature
        self.last_write = max(s[2] for s in stats) / 1e9
        if self.kind == "hf":
            self.target = max(files, key=lambda f: os.lstat(f).st_mtime_ns)
        return self._changed()

    def _build(self) -> list[Run]:
        for f, size, _ in self.signature or ():
            check_size(f, size, self.max_bytes)
            if os.path.islink(f) or not inside(self.root, Path(f)):
                raise LogFormatError("a symbolic link or a path outside the watched folder; not read", path=f)
        if self.kind == "hf":
            if self.target is None:
                return []
            runs = load_source(Source(name=self.target.name, path=self.target), "hf_trainer_state")
            for run in runs:
                run.name = self.path.name
            return runs
        if self.kind == "file":
            return load_source(Source(name=self.path.name, path=self.path), self.format)
        return load_path(self.path, format=self.format, max_bytes=self.max_bytes, require_curve=False)  # a run grows from its first point

    def finished_hint(self) -> bool:
        if self.kind != "hf" or self.target is None:
            return False
        return self.target.parent == self.path  # Trainer writes the top-level state when training ends


def follower_for(root: Path, path: Path, max_bytes: int, format: str, json_lines: bool = True) -> Follower:
    """The follower for a file whose format was detected (JSON that is not one-object-per-line,
    e.g. a Keras ``history.json``, is rewritten whole by its writer, so it is re-read whole)."""
    if format in JSON_LINES_FORMATS and not json_lines:
        follower = RereadFollower(root, path, max_bytes, "file")
        follower.format = format
        return follower
    if format in CSV_FORMATS:
        return CsvFollower(root, path, max_bytes, format)
    if format in JSON_LINES_FORMATS:
        return JsonlFollower(root, path, max_bytes, format)
    if format == "text_log":
        return TextFollower(root, path, max_bytes, format)
    raise ValueError(format)

