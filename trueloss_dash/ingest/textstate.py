"""The line state of the console-log reader (:class:`~.textparser.TextLogParser`): the epoch, step,
phase and run carried from one line to the next.

:meth:`LineState._advance` turns one line's x values (its epoch, its step or in-epoch counter and
their totals) into the record's ``epoch``/``step`` - an in-epoch counter is offset by the epochs
before it, a counter that restarts every epoch is detected, a fall back to the run's start begins a
new appended run. :meth:`LineState._header_phase_of` gives metric lines the phase of a header line
above them ("testing in eval mode..."). A mixin: :class:`~.textparser.TextLogParser` calls
:meth:`_init_state` from its constructor and reads/writes the same attributes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .textgrammar import BANNER, HEADER_REACH, ParsedLine, phase_of


class LineState:
    """The carried state of :class:`~.textparser.TextLogParser` (see the module docstring)."""

    def _init_state(self) -> None:
        self.run = 0
        self._epoch: float | None = None  # carried epoch
        self._step: float | None = None  # last global step
        self._run_start: tuple[float | None, float | None] = (None, None)
        self._last_epoch: float | None = None
        self._last_raw_step: float | None = None
        self._within = False  # the step counter restarts every epoch (CycleGAN "iters")
        # "Epoch: 3" alone on a line, then passes whose counter restarts under it ("Batch 0 of 4" ...
        # "test loss", "Batch 0 of 13" ... "Train loss"): the header's epoch is their x (see _per_line_counter)
        self._header_epoch: float | None = None  # epoch of the last epoch-only line, while it heads the lines
        self._header_first: float | None = None  # the first counter below that header
        self._per_line = False  # counters restart under one header: they are not steps
        self._raw_epoch: float | None = None  # epoch of the last line with a step counter
        self._banner = False  # a "===== ... =====" line was just seen
        self._offset = 0.0
        self._epoch_max = 0.0
        self._gap, self._gaps = 0.0, 0  # the last gap between steps, how many times in a row (see _off_grid)
        self._last_bar = False
        # "testing in eval mode..." / "Now continue training...": a line naming only a phase heads the
        # metric lines after it (see _header_phase_of); once one is seen, shapes are not made hot (the
        # fast path reads a shape with one phase, and headed lines share their shape with the others)
        self._header: str | None = None
        self._header_keys: set[str] = set()
        self._header_line = 0  # the header's line number; the block takes at most one line with a counter
        self._header_x = False
        self._headers_seen = False

    def _header_phase_of(self, parsed) -> None:
        """Give a metric line the phase of the header line above it. The header's block ends at a line
        that names its own phase, repeats a key the block already had or brings a second counter (the
        next record starts: "testing..." / "epoch 0, loss 0.49" / "epoch 1, loss 0.37" - the last one is
        training again), or more than HEADER_REACH lines below the header."""
        keys = {k for k, _ in parsed.pairs}
        has_x = parsed.epoch is not None or parsed.step is not None
        if (parsed.phase is not None or any(_names_phase(k) for k in keys) or keys & self._header_keys
                or (has_x and self._header_x) or self.lines_read - self._header_line > HEADER_REACH):
            self._header = None
            return
        self._header_keys |= keys
        self._header_x |= has_x
        parsed.phase = self._header

    def _ignore(self, line: str) -> None:
        if BANNER.match(line):  # "===== Training Loss (date) =====": a new session may start here
            self._banner = True
        self.ignored += 1
        if self.first_ignored is None:
            self.first_ignored = (self.lines_read, line[:80])

    def _per_line_counter(self, p: ParsedLine) -> bool:
        """True when the line's counter is not a step: under an epoch header line ("Epoch: 3",
        "=== epoch 3 ===") the counter went back to where it started below that header before the
        next header came - one pass after another in the same epoch ("Batch 0 of 4" ... "test loss",
        then "Batch 0 of 13" ... "Train loss"), not an appended run. The header's epoch wins: the
        run's records so far lose their step (the same per-pass counter) and the counter is dropped
        from then on in this run."""
        if not p.pairs and p.epoch is not None and p.step is None and p.in_epoch is None:
            self._header_epoch, self._header_first = p.epoch, None  # an epoch header line
            return False
        if p.epoch is not None:
            self._header_epoch = None  # the lines carry their own epoch
            return False
        raw = p.step if p.step is not None else p.in_epoch
        if raw is None or self._header_epoch is None or self._epoch != self._header_epoch:
            return False
        if self._per_line:
            return True
        if self._header_first is None:
            self._header_first = raw
            return False
        if not (raw <= self._header_first and self._last_raw_step is not None and raw <= self._last_raw_step):
            return False
        if any(len(cols["run"]) and int(cols["run"][0]) == self.run for _, cols, _ in self._blocks):
            return False  # rows of this run were read as blocks with their steps: the counter stays
        for rec in reversed(self._records):
            if rec["run"] != self.run:
                break
            rec.pop("step", None)
        self._per_line = True
        self._step = self._last_raw_step = None
        self._run_start = (self._run_start[0], None)
        self._within, self._offset, self._epoch_max = False, 0.0, 0.0
        return True

    def _advance(self, p: ParsedLine) -> dict:
        """Update epoch/step/run state from one line's x values; returns the record's x part."""
        if self._per_line_counter(p):
            p = replace(p, step=None, step_total=None, in_epoch=None, in_epoch_total=None)
        epoch = p.epoch
        banner, self._banner = self._banner, False
        if epoch is not None and self._last_epoch is not None and (epoch < self._last_epoch or banner and epoch == self._last_epoch):
            if _near_start(epoch, self._run_start[0], self._last_epoch):
                self._new_run()
        raw = p.step
        within = p.in_epoch is not None and p.phase not in ("val", "test")
        if raw is None and within:
            raw = p.in_epoch
        elif raw is not None and p.step_total is not None and epoch is not None:
            within = True  # "Epoch [3/50], Step [100/600]"
        # Compare with the epoch of the last line that had a step counter: progress-bar lines in
        # between ("Epoch 2/200: 100%|...") move the epoch but not the counter.
        counter_epoch = self._raw_epoch
        # the epoch this counter belongs to: its own line's, or the one an "Epoch 3/69" header line set
        # ("Epoch 3/69" / "batch = 405" / "train Loss: 0.38" - a per-epoch count under the header)
        carried = epoch if epoch is not None else (self._epoch if raw is not None and not within else None)
        if raw is not None and not within and carried is not None and counter_epoch is not None:
            if carried > counter_epoch and self._last_raw_step is not None and raw <= self._last_raw_step:
                self._within = True  # CycleGAN "epoch: 2, iters: 100": the counter restarts each epoch
        within = within or (self._within and raw is not None and carried is not None)
        if epoch is None and within and carried is not None and raw is not None:
            epoch = carried
        if epoch is not None:
            if raw is not None and counter_epoch is not None and epoch > counter_epoch:
                if within:
                    total = p.in_epoch_total if p.in_epoch is not None else p.step_total
                    self._offset += (total * (epoch - counter_epoch)) if total else self._epoch_max
                self._epoch_max = 0.0
            self._last_epoch = epoch
            self._epoch = epoch
        step = None
        if raw is not None and p.phase not in ("val", "test") or (raw is not None and p.in_epoch is None):
            step = self._offset + raw if within else raw
            self._epoch_max = max(self._epoch_max, raw)
            if (self._step is not None and (step < self._step or banner and step == self._step)
                    and (_near_start(step, self._run_start[1], self._step) or self._off_grid(step, epoch, within))
                    and (epoch is None or self._run_start[0] is None or epoch <= self._run_start[0])):
                self._new_run()  # "(epoch: 1, iters: 100)" again after "(epoch: 1, iters: 1000)"
                self._epoch = self._last_epoch = epoch
            elif self._step is not None and step > self._step:
                gap = step - self._step
                self._gap, self._gaps = gap, (self._gaps + 1 if gap == self._gap else 1)
            elif self._step is not None and step < self._step:
                self._gaps = 0  # a resume (or two runs interleaved): the grid is seen afresh
            self._last_raw_step = raw
            self._raw_epoch = epoch if epoch is not None else self._epoch
            self._step = step
        if self._run_start == (None, None) or (self._run_start[0] is None and self._epoch is not None) or (
                self._run_start[1] is None and step is not None):
            self._run_start = (self._run_start[0] if self._run_start[0] is not None else self._epoch,
                               self._run_start[1] if self._run_start[1] is not None else step)
        record: dict = {"run": self.run, "line": self.lines_read}
        if self._epoch is not None:
            record["epoch"] = self._epoch
        if step is not None:
            record["step"] = step
        elif self._step is not None and (p.phase in ("val", "test") or p.epoch is None):
            record["step"] = self._step  # a validation line, or one without x, sits at the last step
        return record

    def _off_grid(self, step: float, epoch: float | None, within: bool) -> bool:
        """A bare step counter (a run with no epoch at all) that falls back to a step off the run's logging grid: the run
        logged every g steps from its start (the same gap at least GRID_SEEN times in a row) and the counter
        now stands between two of its points ('Iteration [668000]' then 'Iteration [100001]', 100,001 - 500
        no multiple of 500): another launch with its own logging (a fine-tune appended to the log), not a
        resume from a checkpoint, whose steps land on the grid again."""
        if (epoch is not None or self._epoch is not None or self._run_start[0] is not None or within
                or self._gaps < GRID_SEEN or self._run_start[1] is None or self._gap <= 1):
            return False
        return (step - self._run_start[1]) % self._gap != 0

    def _grid_seen(self, steps) -> None:
        """Count the gaps of rising steps read as a block (the fast paths) as :meth:`_advance` counts
        them line by line: the last gap and how many times in a row it came (see :meth:`_off_grid`)."""
        x = np.asarray(steps, dtype=float)
        if self._step is not None:
            x = np.concatenate(([self._step], x))
        d = np.diff(x)
        d = d[d != 0]
        if not len(d):
            return
        last = float(d[-1])
        other = np.flatnonzero(d != last)
        run = len(d) - (int(other[-1]) + 1 if len(other) else 0)
        self._gaps = self._gaps + run if not len(other) and last == self._gap else run
        self._gap = last

    def _new_run(self) -> None:
        self.run += 1
        self._gap, self._gaps = 0.0, 0
        self._epoch = self._step = None
        self._last_epoch = self._last_raw_step = self._raw_epoch = None
        self._run_start = (None, None)
        self._within = False
        self._offset = self._epoch_max = 0.0
        self._hot = None
        self._per_line = False  # (the header line that started this run still heads its lines)


GRID_SEEN = 5  # steps seen at one gap before a step off that grid counts as another launch


def _names_phase(key: str) -> bool:
    """The key starts with a phase word ("val_loss", "test/acc", "train loss"): no phase prefix added."""
    head = key.split("/")[0].split("_")[0].split()
    return bool(head) and phase_of(head[0]) is not None


def _near_start(x: float, start: float | None, last: float) -> bool:
    """x falls back to where the run started (within its first tenth): a new run, not a resume."""
    return start is not None and x <= start + 0.1 * max(0.0, last - start)
