"""Merged blocks for the text reader: the rows of a chunk read by the columnar path and the lines of
other shapes between them (a validation line every N training steps), in file order, as one block.

Why: a line of another shape used to cut the rows into another block and cost a Python walk of its
own; a log validating every 100 steps paid that 10,000 times per million lines. Here the lines
between the rows are read all at once by the shapes seen before (on the chunk's own thread, see
:func:`.textcolumns.assign_lines`) and merged with the rows by masks.

Only for shapes whose x is a step and that carry no epoch: over such lines, while the step never
falls back, the grammar's state machine (:meth:`TextLogParser._advance`) reduces to "the last line
wins" whatever the shape of each line. A row whose step falls back or is NaN goes the record way
(:meth:`TextLogParser._line_values`), a line no shape reads ends the merge (the piece-by-piece walk
takes over from it). A mixin of :class:`~.textparser.TextLogParser`: it uses the parser's state.
"""

from __future__ import annotations

import numpy as np

from . import pooled
from .textcolumns import assign_lines, chunk_pieces


class MergedBlocks:
    """The merged-block half of :class:`~.textparser.TextLogParser` (see the module docstring)."""

    def _take_chunk(self, shape: "_Shape", values: list[np.ndarray], taken: np.ndarray, texts: dict[int, str],
                    assigned: tuple | None = None) -> None:
        """A chunk read by the columnar path (:meth:`ColumnarShape.read_rows`): its rows, and the
        lines of other shapes between them, in file order."""
        start = 0
        if texts and _steps_only(shape):
            start = self._take_interleaved(shape, values, taken, texts, assigned)
        self._take_pieces(shape, chunk_pieces(values, taken, texts, start))

    def _take_interleaved(self, shape: "_Shape", values: list[np.ndarray], taken: np.ndarray,
                          texts: dict[int, str], assigned: tuple | None = None) -> int:
        """The lines between the rows of a chunk (a validation line every N training lines) that
        have a shape seen before are read all at once (:meth:`ColumnarShape.values_of_lines`), and
        the rows and those lines become merged blocks in file order (:meth:`_take_merged`) - a
        piece-by-piece walk costs a Python step per switch of shape. Returns the chunk line where
        it stopped: the first line no recent shape fits (from there on the piece-by-piece way,
        which may learn from it).

        Only for shapes whose x is a step and that carry no epoch: there the grammar's state
        machine, over lines whose step never falls back, reduces to "the last line wins" whatever
        the shape of each line (see :meth:`_advance`)."""
        at = np.flatnonzero(~taken)  # chunk lines that were not read as rows
        shapes = [s for s in self._recent if s.columnar is not None]  # in the order _known_line tries them
        others = tuple(s.columnar for s in shapes)
        if assigned is not None and len(assigned[0]) == len(others) and all(
                a is b for a, b in zip(assigned[0], others)):
            owner, found = assigned[1:]  # worked out on the chunk's thread, for the same shapes
        else:
            owner, found = assign_lines(others, [texts[k] for k in at.tolist()])
        stop = int(np.flatnonzero(owner < 0)[0]) if (owner < 0).any() else len(owner)
        if stop == 0 or any(not _steps_only(shapes[k]) for k in set(owner[:stop].tolist())):
            return 0
        m = int(at[stop]) if stop < len(owner) else len(taken)  # merged: chunk lines 0..m
        # groups: (shape, the merged rows it reads as a mask, its values per role in row order)
        parts: dict[int, list] = {}
        rows = taken[:m]
        n_rows = int(np.count_nonzero(rows))
        if n_rows:
            parts[id(shape)] = [shape, [rows], [[v[:n_rows] for v in values]]]
        owned = owner[:stop]
        for k in np.unique(owned).tolist():
            sel = np.flatnonzero(owned == k)
            mask = pooled.full(m, False, bool)
            mask[at[sel]] = True
            entry = parts.setdefault(id(shapes[k]), [shapes[k], [], []])
            entry[1].append(mask)
            entry[2].append([v[sel] for v in found[k]])
        groups = []
        for s, masks, vals in parts.values():
            if len(masks) == 1:
                groups.append((s, masks[0], vals[0]))
                continue
            # one shape read both as rows and as lines: values back into row order
            mask = np.logical_or.reduce(masks)
            order = np.argsort(np.concatenate([np.flatnonzero(mk) for mk in masks]), kind="stable")
            groups.append((s, mask, [np.concatenate(c)[order] for c in zip(*vals)]))
        self._take_merged(groups, m)
        return m

    def _take_merged(self, groups: list, m: int) -> None:
        """Rows of several step-only shapes, ``groups`` of (shape, the rows it reads as a mask over
        the merged order, values per role in row order): blocks of the rows whose step does not
        fall back from the state; a row that does (a restart, a NaN step) goes the record way
        (:meth:`_line_values`)."""
        if len(groups) == 1 and groups[0][1].all():
            s, _, cols = groups[0]
            x = cols[self._block_layout(s.columnar.roles, s.phase)[0]["step"]]
        else:
            x = pooled.empty(m)
            for s, mask, cols in groups:
                x[mask] = cols[self._block_layout(s.columnar.roles, s.phase)[0]["step"]]
        bad = ~np.isfinite(x)
        bad[1:] |= x[1:] < x[:-1]
        bad_at = np.flatnonzero(bad)
        taken = [0] * len(groups)  # rows of each group used so far
        start = 0
        while start < m:
            head = x[start]  # checked against the state, which a row read the record way changes
            if head == head and (self._step is None or head > self._step or head == self._step and not self._banner):
                nxt = int(np.searchsorted(bad_at, start, side="right"))
                stop = int(bad_at[nxt]) if nxt < len(bad_at) else m
                self._take_merged_block(groups, taken, x[start:stop], start, stop)
                start = stop
                continue
            g = next(g for g, (_, mask, _) in enumerate(groups) if mask[start])
            s, _, cols = groups[g]
            self._line_values(s, [c[taken[g]] for c in cols])
            taken[g] += 1
            start += 1

    def _take_merged_block(self, groups: list, taken: list[int], steps: np.ndarray, a: int, b: int) -> None:
        """Merged rows a..b as one block (step-only shapes, steps not falling back). A key held by
        some rows only is kept compact: its values, and in ``present`` the rows holding them."""
        n = b - a
        found = []
        for g, (s, mask, cols) in enumerate(groups):
            rows = mask[a:b]
            count = int(np.count_nonzero(rows))
            if count:
                first = int(np.argmax(rows))
                found.append((first, s, rows, [c[taken[g]:taken[g] + count] for c in cols], count == n))
                taken[g] += count
        found.sort(key=lambda f: f[0])  # keys in the order the records first hold them
        carried = self._epoch
        out: dict[str, np.ndarray] = {}
        present: dict[str, np.ndarray] = {}
        if carried is not None:
            out["epoch"] = pooled.full(n, carried)
        out["step"] = steps
        for _, s, rows, vals, every in found:
            seen = set()
            for key, idx in self._block_layout(s.columnar.roles, s.phase)[1]:
                if key == "step" or key == "epoch" and carried is not None or key in seen:
                    continue  # the record keeps its x, and the first of a key twice (setdefault)
                seen.add(key)
                if key not in out:
                    out[key] = vals[idx]
                    if not every:
                        present[key] = rows
                    continue
                # a key two shapes hold: spread both, keep the rows holding it
                full, held = _spread(out[key], present.get(key), n)
                full[rows] = vals[idx]
                held = held | rows
                out[key] = full[held]
                present[key] = held
        present = {k: p for k, p in present.items() if not p.all()}
        first_line = self.lines_read + 1
        self.lines_read += n
        out["line"] = LineNumbers(first_line, n)
        out["run"] = np.broadcast_to(np.float64(self.run), (n,))  # one value: no array per block
        last = float(steps[-1])
        self._epoch_max = max(self._epoch_max, last)
        self._grid_seen(steps)
        self._step = self._last_raw_step = last
        self._raw_epoch = self._epoch
        if self._run_start[0] is None or self._run_start[1] is None:
            self._run_start = (self._run_start[0] if self._run_start[0] is not None else carried,
                               self._run_start[1] if self._run_start[1] is not None else float(steps[0]))
        self._banner = False
        self._last_bar = False
        self._segments.append(("b", len(self._blocks)))
        self._blocks.append((len(self._records), out, present))


class LineNumbers:
    """The line numbers of a block's rows (one after another), made only when asked for: records
    handed out one by one (``take_new``) and the restart warning need them, reading a log does not -
    a float array per block was a tenth of the page faults of reading a million-line log."""

    __slots__ = ("first", "n")

    def __init__(self, first: int, n: int) -> None:
        self.first, self.n = first, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            if not -self.n <= index < self.n:
                raise IndexError(index)
            return float(self.first + index % self.n)
        return np.arange(self.first, self.first + self.n, dtype=np.float64)[index]

    def tolist(self) -> list[float]:
        return [float(k) for k in range(self.first, self.first + self.n)]


def _spread(values: np.ndarray, held: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A block column as n rows: (values with NaN where a row lacks the key, rows holding it)."""
    if held is None:
        return np.array(values, dtype=np.float64), np.ones(n, dtype=bool)
    full = pooled.full(n, np.nan)
    full[held] = values
    return full, held


def _steps_only(shape: "_Shape") -> bool:
    """The shape's x is a step and it holds no epoch (see :meth:`TextLogParser._take_interleaved`)."""
    roles = shape.columnar.roles if shape.columnar is not None else ()
    return "step" in roles and "epoch" not in roles
