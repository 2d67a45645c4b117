"""The stateful, resumable console-log reader: :class:`TextLogParser` applies the line grammar of
:mod:`.textgrammar` to a log as it grows, carrying epoch, phase, in-epoch step and run between calls
(that carried state and how each line moves it live in :mod:`.textstate`).

Speed - the block path, exact by construction: when a line read by the grammar repeats its shape
(its text without digits) on the next line, the shape is self-checked (every number of the line is
replaced by stand-in forms - ``7``, ``123456``, ``.5``, ``1e-05``, ``-7``, ``nan`` ... - and the line
re-read: a plain form read differently drops the shape, a sign or nan/inf read differently is refused
for that number) and becomes *hot*. Following lines are then split into fields by Arrow
(:mod:`.textcolumns`); a row is taken only when every field passes (words equal, prefix digits in
place, numbers between fixed affixes in an accepted form), and only while its x keeps rising from the
reader's state (:meth:`TextLogParser._take_values`); every other line goes through the grammar in
file order. Lines of other shapes seen before between the rows of a chunk (a validation line every N
steps) are read all at once and merged with the rows into one block when the shapes' x is a step
(:meth:`TextLogParser._take_interleaved`). ``TextLogParser(fast=False)`` reads everything through the grammar: the reference the
block path is tested against.

Incremental use (the folder watcher)::

    parser = TextLogParser()
    parser.feed(["Epoch 1/3", "32/32 [====] - 1s - loss: 0.9 - val_loss: 1.0"])   # complete lines
    parser.take_new()        # -> records added since the last call, e.g.
                             #    [{"run": 0, "line": 2, "epoch": 1.0, "loss": 0.9, "val_loss": 1.0}]
    parser.feed_text(chunk)  # raw text as it grows; an unfinished last line waits for the next chunk
    parser.runs(name="train", source="train.log")   # canonical Runs of everything so far (repeatable)
    parser.flush()           # at the end of the file: parse a last line that has no newline

Records are plain dicts: ``run`` (0-based; +1 at each appended run), ``line`` (1-based line number
of the line that produced it), ``epoch``/``step`` when known, and one entry per metric key as
written (``loss``, ``val/loss``, ``Train Loss``) - the alias table maps keys to canonical names when
:meth:`TextLogParser.runs` builds the :class:`~trueloss_dash.run.Run`.
"""

from __future__ import annotations


import re
from dataclasses import dataclass, replace
from typing import Iterable

import numpy as np

from ..columns import looks_like_loss
from . import pooled
from .limits import MAX_TEXT_SHAPE_NUMBERS, MAX_TEXT_SHAPES
from .source import NotPlain, plain_range
from .textcolumns import ColumnarShape
from .textassemble import assemble, run_tables
from .textcjk import normalise_cjk
from .textmerge import LineNumbers, MergedBlocks, _spread, _steps_only
from .textshape import allowed_forms
from .textgrammar import (
    LINE_PREFIX,
    TRIAL_DONE,
    ParsedLine,
    drop_best,
    is_number,
    is_phase_header,
    parse_message,
    phase_columns,
    phase_row,
    tokenize,
)
from .textstate import LineState, _names_phase


# -- the stateful parser ---------------------------------------------------------------------------
#: Runs of backspaces: a progress bar redrawn in a file (Keras), a line break like a carriage return.
BACKSPACES = re.compile("\x08+")


@dataclass
class _Shape:
    """A line shape for the block fast path."""

    phase: str | None
    columnar: "ColumnarShape | None" = None  # None: this shape stays on the slow path
    total_at: int | None = None  # the value that is the step counter's total ("Batch 10/165"): _advance uses it


_NO_DIGITS = str.maketrans("", "", "0123456789")
_KERAS_FIT = re.compile(r"Train on \d+ samples(?:, validate on \d+ samples)?\s*$")


class TextLogParser(LineState, MergedBlocks):
    """Stateful, resumable reader of console logs (see the module docstring for the grammar).

    ``feed(lines)`` / ``feed_text(text)`` may be called any number of times as a log grows; the
    epoch carried from ``Epoch 3/10`` headers, the phase, the in-epoch step offset and the current
    run survive between calls. ``take_new()`` returns the records added since its last call;
    ``runs()`` builds canonical Runs from everything read so far and can be called repeatedly.
    """

    def __init__(self, *, fast: bool = True) -> None:
        self.fast = fast  # False: every line through the grammar (the reference the fast path must equal)
        self.lines_read = 0
        self.ignored = 0  # non-empty lines that carried no metrics
        self.first_ignored: tuple[int, str] | None = None
        self.progress_skipped = 0
        self.keras_progress = 0  # Keras progress updates read as points (a fit with no epoch line)
        self._keras_fit = False  # a TF 1.x Keras fit banner 'Train on N samples' was seen
        self.phase_named = 0  # lines whose losses are named only by their phase ("train: 1090.2 | val: 1078.7")
        self._records: list[dict] = []  # slow-path records
        # (position in records, columns, presence): presence maps a key to the rows that hold it when
        # the block interleaves line shapes (train and validation lines); empty when every row holds every key
        self._blocks: list[tuple[int, dict[str, np.ndarray], dict[str, np.ndarray]]] = []
        self._segments: list[tuple[str, int]] = []  # ("r", index in _records) | ("b", index in _blocks)
        self._emitted = 0  # segments handed out by take_new
        self._tail = ""
        self._shape_keys: dict[str, _Shape | None] = {}  # line key (digits removed) -> shape
        self._last_key: str | None = None  # key of the last slow-path line (shapes are built on a repeat)
        self._hot: _Shape | None = None
        self._built = 0  # shapes built (each costs a self-check; capped so hostile input stays linear)
        self._recent: list[_Shape] = []  # the last shapes made hot (tried on odd lines between blocks)
        self._layouts: dict = {}  # (roles, phase) -> block layout (see _block_layout)
        self._phase_cols: list[str] | None = None  # the phases of a 'Training |  Validation' header (AllenNLP)
        self._trial_done = False  # the last line was keras-tuner's 'Trial N Complete [...]'
        self._init_state()

    # -- input -------------------------------------------------------------------------------------
    def feed(self, lines: Iterable[str]) -> int:
        """Parse complete lines (without or with their newline); returns the number of records added."""
        text = "\n".join(ln.rstrip("\r\n") for ln in lines)
        return self._feed(text + "\n") if text or self._tail == "" else 0

    def feed_text(self, text: str, data: bytes | None = None) -> int:
        """Parse a chunk of raw text; an unfinished last line is kept until the next chunk or flush().
        ``data``: the same text as UTF-8 bytes when the caller has them (saves an encode)."""
        if self._tail:
            text, data = self._tail + text, None
        cut = text.rfind("\n")
        if cut < 0:
            self._tail = text
            return 0
        self._tail = text[cut + 1:]
        return self._feed(text[: cut + 1] if cut + 1 < len(text) else text, data)

    def flush(self) -> int:
        """Parse a last line that has no newline (end of file)."""
        tail, self._tail = self._tail, ""
        return self._feed(tail + "\n") if tail.strip() else 0

    def feed_ascii(self, data: bytes, *, no_cr: bool = False, start: int = 0, unchecked: bool = False) -> int:
        """:meth:`feed_text` for ASCII bytes (the whole-file reader): a big log is never decoded as
        one string - the block path reads the bytes, the grammar gets its lines one by one.
        ``data`` may be a read-only memory map of the file; ``no_cr``: the caller knows it holds
        no carriage return; ``start``: read from there (a line start; the bytes before were fed).
        ``unchecked``: nobody has looked at the bytes yet - they are checked as they are read (each
        chunk on its own thread, each other line as it is decoded) and the first that is not
        plain ASCII without carriage returns raises :class:`~.source.NotPlain` (or
        UnicodeDecodeError): a whole-file scan ahead of the parse cost ~10 ms of 150."""
        if not unchecked and (self._tail or not self.fast or not no_cr and data.find(b"\r", start) >= 0
                              or data.find(b"\x08", start) >= 0):
            return self.feed_text(bytes(data[start:]).decode("ascii"))
        if unchecked and (self._tail or not self.fast):
            if not plain_range(data, start, len(data)):
                raise NotPlain("not plain ASCII")
            return self.feed_text(bytes(data[start:]).decode("ascii"))
        cut = data.rfind(b"\n", start)
        tail = data[max(cut + 1, start):]
        if unchecked and (b"\r" in tail or b"\x08" in tail):
            raise NotPlain("a carriage return or backspace in the last line")
        self._tail = tail.decode("ascii")
        return self._feed_ascii(data, cut + 1, start, check=unchecked) if cut >= 0 else 0

    def _feed(self, text: str, data: bytes | None = None) -> int:
        if "\x08" in text:
            # Keras' progress bar written to a file redraws itself with backspaces ('\b' x the bar's width)
            # where a terminal bar uses a carriage return: each redraw is a line of its own, as after a CR
            text, data = BACKSPACES.sub("\n", text), None
        if "\r" in text:
            text, data = text.replace("\r\n", "\n").replace("\r", "\n"), None
        if not text.isascii():
            text, data = normalise_cjk(text), None
        # The columnar path reads bytes; ASCII text has the same offsets as its bytes.
        if self.fast and text.isascii() and len(text) > 4096:
            return self._feed_ascii(data if data is not None and len(data) >= len(text) else text.encode("ascii"),
                                    len(text))
        before = self._count()
        pos, end = 0, len(text)
        while pos < end:
            nl = text.find("\n", pos)
            nl = end if nl < 0 else nl
            self._line(text[pos:nl])
            pos = nl + 1
        return self._count() - before

    def _feed_ascii(self, data: bytes, end: int, start: int = 0, check: bool = False) -> int:
        """Complete lines of ``data[start:end]`` (ASCII, no carriage returns - ``check``: not known
        yet, see :meth:`feed_ascii`): blocks where a shape is hot."""
        before = self._count()
        pos = start
        ahead = None  # (shape, position, the chunk read there on the pool's threads)
        while pos < end:
            hot = self._hot
            if hot is not None and hot.columnar is not None:
                others = tuple(s.columnar for s in self._recent if s.columnar is not None) if _steps_only(hot) else ()
                if ahead is not None and ahead[0] is hot and ahead[1] == pos:
                    got = hot.columnar.collect(ahead[2])
                else:
                    got = hot.columnar.read_rows(data, pos, end, others, check=check)
                ahead = None
                if got is not None:
                    pos = got[1]
                    # Read the next chunk while this one is recorded (used if the shape stays hot) -
                    # unless some line of this one no recent shape reads: the grammar may learn a
                    # shape from it, and the next chunk's lines would be assigned again here.
                    if pos < end and not (others and any(texts and (assigned is None or (assigned[1] < 0).any())
                                                         for _, _, texts, assigned in got[0])):
                        ahead = (hot, pos, hot.columnar.submit(data, pos, end, others, background=True, check=check))
                    for values, taken, texts, assigned in got[0]:
                        self._take_chunk(hot, values, taken, texts, assigned)
                    continue
            nl = data.find(b"\n", pos, end)
            nl = end if nl < 0 else nl
            line = data[pos:nl]
            if check and (b"\r" in line or b"\x08" in line):
                raise NotPlain(f"a carriage return or backspace at byte {pos}")
            self._line(line.decode("ascii"))
            pos = nl + 1
        return self._count() - before

    def _count(self) -> int:
        return len(self._records) + sum(len(c["run"]) for _, c, _ in self._blocks)

    # -- one line, the slow way ------------------------------------------------------------------------
    def _line(self, raw: str) -> None:
        self.lines_read += 1
        line = raw.strip()
        if not line:
            return
        pre = LINE_PREFIX.match(line).end()
        message = line[pre:]
        if message.startswith("Train on ") and _KERAS_FIT.match(message):
            self._keras_fit = True  # TF 1.x Keras' fit banner 'Train on 113600 samples[, validate on ...]'
        if "|" in message and self._phase_columns(message):
            self._ignore(line)
            return
        spelled = phase_row(message, self._phase_cols) if self._phase_cols is not None else None
        if spelled is None:
            self._phase_cols = None
        else:
            message = spelled
        parsed = parse_message(message)
        if spelled is not None:
            parsed = replace(parsed, simple=False)  # a row spelled anew: no shape of the raw line from it
        if (parsed.progress is not None and parsed.bar and parsed.pairs and self._epoch is None
                and self._keras_fit):
            # Keras fit of one epoch with no 'Epoch 1/1' line: its progress updates (the running mean of the
            # epoch's batch losses at each count of samples or batches) are the only curve - read at that count.
            # Only after the fit's banner: the bars of model.evaluate() are no training curve.
            parsed = replace(parsed, step=parsed.progress[0], step_total=parsed.progress[1], unfinished=False)
            self.keras_progress += 1
        if parsed.unfinished:
            self.progress_skipped += 1
            return
        if self._trial_done or TRIAL_DONE.match(message):
            objective = self._trial_done and parsed.epoch is None and parsed.step is None
            self._trial_done = not self._trial_done
            if objective:  # 'val_loss: 0.0629' after 'Trial 1 Complete [...]': the trial's best, not its last epoch
                self._ignore(line)
                return
        if drop_best(message, parsed) and not parsed.pairs:
            self._ignore(line)  # a best-so-far summary: no point of the curve, and no x either
            return
        has_x = parsed.epoch is not None or parsed.step is not None
        if not parsed.pairs and not has_x and parsed.phase is not None:
            if parsed.phase == "train":
                self._header = None  # "Now continue training...": back to the default
            elif is_phase_header(message):
                self._header, self._header_keys, self._headers_seen = parsed.phase, set(), True
                self._header_line, self._header_x = self.lines_read, False
                self._hot = None
        elif parsed.pairs and self._header is not None:
            self._header_phase_of(parsed)
        if not parsed.pairs:
            if has_x:
                self._advance(parsed)  # "Epoch 3/10" heading the lines that follow
                self._hot = None
            else:
                self._ignore(line)
            return
        if not (has_x or any(looks_like_loss(k) for k, _ in parsed.pairs)):
            self._ignore(line)
            return
        record = self._advance(parsed)
        self.phase_named += parsed.phase_named
        prefix = {"val": "val/", "test": "test/"}.get(parsed.phase or "", "")
        for key, value in parsed.pairs:
            name = key if not prefix or _names_phase(key) else prefix + key
            record.setdefault(name, value)
        if parsed.bar and self._last_bar and self._records and self._segments[-1][0] == "r":
            last = self._records[-1]
            if (last.get("epoch") == record.get("epoch") and last.get("run") == record["run"]
                    and last.get("step") == record.get("step")):
                # tqdm: the last update of the epoch (of the iteration, when the bar's text counts them) wins
                last.update({k: v for k, v in record.items() if k != "line"})
                return
        self._last_bar = parsed.bar
        self._segments.append(("r", len(self._records)))
        self._records.append(record)
        self._learn_shape(message, parsed, pre, raw)

    # -- the fast path -------------------------------------------------------------------------------
    def _phase_columns(self, message: str) -> bool:
        """True for a header naming phases as columns (its phases kept for the rows below); a row under it is
        spelled with its phases in place ('Training loss: 3.572, Validation loss: 3.231') - see _line."""
        cols = phase_columns(message)
        if cols is not None:
            self._phase_cols = cols
            return True
        return False

    def _learn_shape(self, message: str, parsed: ParsedLine, pre: int, raw: str) -> None:
        """After a line read the slow way: make its shape hot when the previous slow line had the same
        key (its text without digits) - a shape is built on its first repeat, so a log of ever-new
        lines pays nothing for the fast path."""
        if not self.fast or not parsed.simple or self._within or self._headers_seen or self._per_line:
            self._hot = self._last_key = None
            return
        key = (str(pre) if pre else "") + message.translate(_NO_DIGITS)
        shape = self._shape_keys.get(key, False)
        if shape is False:
            if key != self._last_key:
                self._last_key = key
                self._hot = None
                return
            shape = self._build_shape(raw, pre, parsed)
            if len(self._shape_keys) > 1024:
                self._shape_keys.clear()
            self._shape_keys[key] = shape
        elif shape is not None and not shape.columnar.fits(raw):
            # same words, other digit widths in a fixed-width field ("epoch 9/50" -> "epoch 10/50")
            fresh = self._build_shape(raw, pre, parsed)
            if fresh is not None:
                shape = self._shape_keys[key] = fresh
        self._last_key = key
        self._hot = shape
        if shape is not None and shape not in self._recent:
            self._recent = [shape, *self._recent[:7]]

    def _build_shape(self, raw: str, pre: int, parsed: ParsedLine) -> "_Shape | None":
        line = raw.strip()
        if (line != raw or not line.isascii() or len(parsed.slots) > MAX_TEXT_SHAPE_NUMBERS
                or self._built >= MAX_TEXT_SHAPES):
            return None
        self._built += 1
        numbers = [t for t in tokenize(line[pre:]) if is_number(t)]
        if len(numbers) != len(parsed.slots):
            return None
        layout = ColumnarShape.from_line(line, pre, numbers, parsed.slots, None)
        if layout is None:
            return None
        forms = allowed_forms(line, pre, parsed, numbers, layout.fixed)
        if forms is None:
            return None
        columnar = ColumnarShape.from_line(line, pre, numbers, parsed.slots, forms)
        if columnar is None:
            return None
        total_at = None
        if parsed.step_total is not None:
            # the number after the step is its total: a row read by this shape must carry it to _advance
            # (under a carried "Epoch 2/20" header the step restarts and the offset is the total)
            if len(columnar.roles) != len(parsed.slots) or "step" not in parsed.slots:
                return None
            total_at = parsed.slots.index("step") + 1
            if total_at >= len(parsed.slots) or parsed.slots[total_at] is not None:
                return None
        return _Shape(phase=parsed.phase, columnar=columnar, total_at=total_at)

    def _take_pieces(self, shape: _Shape, pieces: list) -> None:
        """Rows read by the columnar path, and the lines of other shapes between them, one piece at
        a time in file order."""
        for kind, item in pieces:
            if kind == "line":
                if self._known_line(item):
                    continue
                hot = self._hot
                self._line(item)
                self._hot = hot  # the block's shape stays hot across an odd line
                continue
            while len(item[0]):
                kept = self._take_values(shape.columnar.roles, shape.phase, item)
                if kept == len(item[0]):
                    break
                # a restart or a NaN step inside the rows: that line goes the slow way
                self._line_values(shape, [v[kept] for v in item])
                item = [v[kept + 1:] for v in item]

    def _known_line(self, line: str) -> bool:
        """A line between blocks that has a shape seen before (the validation line every N steps):
        recorded from that shape's fields, as the grammar would; False when no shape fits."""
        for shape in self._recent:
            values = shape.columnar.values_of(line)
            if values is not None:
                self._line_values(shape, values)
                return True
        return False

    def _line_values(self, shape: _Shape, row: list) -> None:
        """One row of values through the grammar's state (restarts, carried epoch) as a record,
        exactly as :meth:`_line` would record the line it came from."""
        parsed = ParsedLine()
        for role, value in zip(shape.columnar.roles, (float(v) for v in row)):
            if role == "epoch":
                parsed.epoch = value
            elif role == "step":
                parsed.step = value
            elif role:
                parsed.pairs.append((role[2:], value))
        parsed.phase = shape.phase
        if shape.total_at is not None:
            parsed.step_total = float(row[shape.total_at])
        self.lines_read += 1
        record = self._advance(parsed)
        prefix = {"val": "val/", "test": "test/"}.get(parsed.phase or "", "")
        for key, value in parsed.pairs:
            record.setdefault(key if not prefix or _names_phase(key) else prefix + key, value)
        self._last_bar = False
        self._segments.append(("r", len(self._records)))
        self._records.append(record)

    def _take_values(self, roles: list, phase: str | None, values: list[np.ndarray]) -> int:
        """Add the leading rows of values (one array per role, a row per line) that continue the
        run as one block; returns how many were taken (the next one goes the slow way).

        A block holds rows whose x keeps rising from where the state is (no restart, no NaN), so the
        state machine of :meth:`_advance` reduces to "the last row wins"; anything else goes through
        :meth:`_line_values`."""
        if self._within and "epoch" in roles and "step" in roles or self._per_line:
            return 0
        last_of, named = self._block_layout(roles, phase)
        n = len(values[0])
        ok = np.ones(n, dtype=bool)
        if "step" in last_of:  # the step is the x; the epoch (if any) may not fall back
            x = values[last_of["step"]]
            ok &= np.isfinite(x)
            ok[1:] &= np.diff(x) > 0
            if self._step is not None:
                ok[0] &= x[0] > self._step
        if "epoch" in last_of:
            e = values[last_of["epoch"]]
            ok &= np.isfinite(e)
            if "step" in last_of:
                ok[1:] &= np.diff(e) >= 0
                if self._last_epoch is not None:
                    ok[0] &= e[0] >= self._last_epoch
                if self._raw_epoch is not None:
                    ok[0] &= e[0] >= self._raw_epoch
            else:
                ok[1:] &= np.diff(e) > 0
                if self._last_epoch is not None:
                    ok[0] &= e[0] > self._last_epoch
        bad = np.flatnonzero(~ok)
        if len(bad):
            n = int(bad[0])
            if n == 0:
                return 0
            values = [v[:n] for v in values]
        cols: dict[str, np.ndarray] = {}
        for role, idx in last_of.items():
            cols[role] = values[idx]
        for key, idx in named:
            cols.setdefault(key, values[idx])
        if "epoch" not in cols and self._epoch is not None:
            cols["epoch"] = pooled.full(n, self._epoch)
        if "step" not in cols and self._step is not None and (phase in ("val", "test") or "epoch" not in last_of):
            cols["step"] = pooled.full(n, self._step)  # a line without a step sits at the last step
        first_line = self.lines_read + 1
        self.lines_read += n
        cols["line"] = LineNumbers(first_line, n)
        cols["run"] = np.broadcast_to(np.float64(self.run), (n,))  # one value: no array per block
        self._banner = False
        if "step" in last_of:
            steps = cols["step"]
            epochs = cols.get("epoch")
            counter_epoch = self._raw_epoch
            if "epoch" in last_of and counter_epoch is not None and epochs[-1] > counter_epoch:
                # the epoch moved on: the max restarts at the first row of the last epoch
                self._epoch_max = float(steps[-1])
            elif "epoch" in last_of and epochs[0] != epochs[-1]:
                self._epoch_max = float(steps[-1])
            else:
                self._epoch_max = max(self._epoch_max, float(steps[-1]))
            self._grid_seen(steps)
            self._step = float(steps[-1])
            self._last_raw_step = self._step
            self._raw_epoch = float(epochs[-1]) if epochs is not None else self._epoch
        if "epoch" in last_of:
            self._last_epoch = self._epoch = float(cols["epoch"][-1])
        if self._run_start[0] is None or self._run_start[1] is None:
            first_epoch = float(cols["epoch"][0]) if "epoch" in cols else None
            first_step = float(values[last_of["step"]][0]) if "step" in last_of else None
            self._run_start = (self._run_start[0] if self._run_start[0] is not None else first_epoch,
                               self._run_start[1] if self._run_start[1] is not None else first_step)
        self._segments.append(("b", len(self._blocks)))
        self._blocks.append((len(self._records), cols, {}))
        self._last_bar = False
        return n

    def _block_layout(self, roles: list, phase: str | None) -> tuple[dict[str, int], list[tuple[str, int]]]:
        """(index of the last epoch/step value, [(record key, index)] of the other values) for a
        shape's roles in a phase - the same per block, so worked out once."""
        cache_key = (tuple(roles), phase)
        layout = self._layouts.get(cache_key)
        if layout is None:
            last_of = {r: max(i for i, q in enumerate(roles) if q == r) for r in ("epoch", "step") if r in roles}
            prefix = {"val": "val/", "test": "test/"}.get(phase or "", "")
            named = []
            for idx, role in enumerate(roles):
                if role is None or role in ("epoch", "step"):
                    continue
                key = role[2:]
                named.append((key if not prefix or _names_phase(key) else prefix + key, idx))
            layout = self._layouts[cache_key] = (last_of, named)
        return layout

    # -- output --------------------------------------------------------------------------------------
    def take_new(self) -> list[dict]:
        """Records added since the last call (see the module docstring for their keys)."""
        out: list[dict] = []
        for kind, idx in self._segments[self._emitted:]:
            if kind == "r":
                out.append(dict(self._records[idx]))
            else:
                out.extend(_block_records(*self._blocks[idx][1:]))
        self._emitted = len(self._segments)
        return out

    def keys(self) -> set[str]:
        """Every key some record so far holds (without materialising the records: the sniffer
        only asks whether any of them is a loss)."""
        out: set[str] = set()
        for rec in self._records:
            out.update(rec)
        for _, cols, present in self._blocks:
            if len(cols["run"]):
                out.update(k for k in cols if k not in present or len(cols[k]))
        return out

    @property
    def n_records(self) -> int:
        return self._count()

    def columns(self) -> tuple[list[int], dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Everything so far as columns: (run per row, {key: (values, present)})."""
        runs, cols = self._columns()
        return runs.tolist(), cols

    def _columns(self, *, pack: bool = False) -> tuple[np.ndarray, dict]:
        """(run per row as an array, {key: (values, present)}); see :func:`.textassemble.assemble`."""
        return assemble(self._segments, self._records, self._blocks, self._count(), pack=pack)

    def runs(self, *, name: str, source: str, format: str = "text_log", context=None, meta: dict | None = None,
             notes: Iterable[str] = ()) -> list:
        """Canonical Runs from every record so far (one per appended run); LogFormatError if none."""
        from ..errors import LogFormatError
        from .table import table_to_runs

        ids, cols = self._columns(pack=True)
        if not len(ids):
            where = ""
            if self.first_ignored is not None:
                where = f"; first line without metrics: line {self.first_ignored[0]}: {self.first_ignored[1]!r}"
            raise LogFormatError(
                "no metric lines found; expected lines such as 'Epoch 3/50, loss: 0.41, val_loss: 0.52' or "
                f"'step 100: train loss 2.31'{where}", path=source)
        # one run (the common case) without sorting a million run ids
        parts = [int(ids[0])] if (ids == ids[0]).all() else np.unique(ids).tolist()
        notes = list(notes) + [f"{len(ids)} metric lines parsed"]
        warnings = []
        if self.ignored:
            line, text = self.first_ignored
            warnings.append(f"{self.ignored} lines without metrics ignored (warnings, prose, tracebacks); "
                            f"first at line {line}: {text!r}")
        if self.phase_named:
            notes.append(f"{self.phase_named} lines name a value only by its phase ('train: 1090.2 | val: 1078.7', "
                         "'250 val 5.87'): read as that phase's loss")
        if self.progress_skipped:
            notes.append(f"{self.progress_skipped} unfinished progress-bar updates skipped")
        if self.keras_progress:
            notes.append(f"{self.keras_progress} Keras progress updates of a fit with no 'Epoch n/N' line read as points at "
                         "their count of samples (or batches) as the step: each is the running mean over the epoch's "
                         "batches so far, not one batch's loss")
        out = []
        for number, table in enumerate(run_tables(ids, cols, parts), start=1):
            try:
                found = table_to_runs(table, name=name if number == 1 else f"{name} (part {number})", source=source,
                                      format=format, context=context, notes=notes, warnings=warnings,
                                      meta=dict(meta or {}), split_restarts=False)
            except LogFormatError:
                if len(parts) == 1:
                    raise
                continue  # one appended part without a loss (e.g. a crashed start) does not hide the others
            for run in found:
                if len(parts) > 1:
                    run.meta["part"] = number
            out.extend(found)
        if not out:
            raise LogFormatError("no part of the log holds a loss series", path=source)
        if len(parts) > 1 and len({run.meta.get("part") for run in out}) == 1:
            # the other parts held no loss (an evaluation printed before training started, a crashed start):
            # the file holds one run, not appended runs - say what was left out, not 'starts again'
            for run in out:
                run.name = run.name.replace(f" (part {run.meta.pop('part')})", "")
                run.note(f"{len(parts) - 1} other part(s) of the log before or after it (the counter started again) held "
                         "no loss series and were left out")
        elif len(parts) > 1:
            lines = self.columns_line([int(np.flatnonzero(ids == p)[0]) for p in parts[1:]])
            for run in out:
                run.warn(f"the log starts again at line {', '.join(map(str, lines[:5]))}: the file holds "
                         f"{len(parts)} appended runs, split into separate runs")
        return out

    def columns_line(self, rows: list[int]) -> list[int]:
        """Line numbers of the given record rows."""
        want = set(rows)
        out = []
        row = 0
        for kind, idx in self._segments:
            if kind == "r":
                if row in want:
                    out.append(self._records[idx]["line"])
                row += 1
            else:
                block = self._blocks[idx][1]
                m = len(block["run"])
                for r in sorted(want):
                    if row <= r < row + m:
                        out.append(int(block["line"][r - row]))
                row += m
        return out


def _block_records(cols: dict[str, np.ndarray], present: dict[str, np.ndarray]) -> list[dict]:
    keys = list(cols)
    out = []
    if present:
        n = len(cols["run"])
        cols = {k: _spread(v, present.get(k), n)[0] if k in present else v for k, v in cols.items()}
        held = [present[k].tolist() if k in present else None for k in keys]
        for row, values in enumerate(zip(*(cols[k].tolist() for k in keys))):
            rec = {k: v for k, v, h in zip(keys, values, held) if h is None or h[row]}
            rec["run"] = int(rec["run"])
            rec["line"] = int(rec["line"])
            out.append(rec)
        return out
    for values in zip(*(cols[k].tolist() for k in keys)):
        rec = dict(zip(keys, values))
        rec["run"] = int(rec["run"])
        rec["line"] = int(rec["line"])
        out.append(rec)
    return out
