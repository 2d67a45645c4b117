"""A bounded view of a long, growing table: what the live diagnosis of a long run reads.

Why: a run with a million logged steps costs a few array passes per detector to diagnose, and
the normalisation into a Run costs as much again; re-doing both for every 100 appended rows
makes a refresh O(run length). The detectors do not need a million points: they bin long series
to ``MAX_WORKING_POINTS`` equal-count bins (spikes to fewer). So the watcher diagnoses a view of
bounded size that is kept up to date in O(appended rows):

- **buckets**: rows are averaged in buckets of ``width`` rows of the same *stream* (rows with the
  same columns present and finite: Lightning's step rows, validation rows and epoch rows are
  separate streams; a NaN row is a stream of its own), never across an epoch change or a step
  going back (a restart). A bucket becomes one row holding the mean of every column, so its step
  is the bucket's centre and its loss the bucket's mean - what a detector's bin would average;
- **the same width everywhere**: every point of a stream stands for the same number of rows
  (only the newest, still filling bucket of each stream is smaller), because the detectors' bins
  hold equal *counts* of points - a stretch kept at full resolution (a "recent tail") would get
  far more bins than it has rows and shift every window-based check towards it;
- **doubling**: the width is a power of two; past ``2 * max_rows`` rows, neighbouring buckets
  merge pairwise (the width doubles), so the view stays between ``max_rows`` and ``2 * max_rows``
  rows (plus one open bucket per stream), whatever the run length;
- **sparse streams keep their resolution**: a stream is never bucketed below ``keep_rows`` rows
  (1,000 validation rows beside a million steps stay 1,000 rows), and no stream is bucketed more
  coarsely than the table's width, so a step-level loss stays "much denser" than validation
  exactly when it was;
- **incremental**: rows are committed in batches of at least ``batch_rows``; only complete
  buckets are committed, the open ones wait in a small pending set with the next batch. A view is
  the committed buckets plus the pending set and the uncommitted rows, bucketed on the fly.

The view is a :class:`~trueloss_dash.ingest.table.Table`, normalised by the ingest layer's own
code path, so aliases, roles, restarts and flavours are handled once. Row numbers in messages
about a bucketed row are approximate (a bucket has no single file row).

Equivalence with the full-resolution diagnosis is tested (``tests/test_watch_bounded.py``) on
generated long runs of every finding kind and on real logs. These sizes are the watch layer's,
not diagnosis thresholds (those live in ``diagnose/thresholds.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..columns import EPOCH, canonical_x
from ..ingest.table import Table

#: Below this many rows the diagnosis reads the table itself (exact, as an upload would).
LONG_TABLE_ROWS = 100_000
#: Bucketed rows kept per table (between this and twice this).
SUMMARY_ROWS = 8_192
#: A stream is never bucketed below this many rows (twice the detectors' working resolution).
KEEP_ROWS = 4_096
#: Rows committed at a time (the uncommitted rest is bucketed on the fly for each view).
BATCH_ROWS = 4_096

_ABSENT, _FINITE, _NONFINITE = 0, 1, 2
_MULTIPLIERS = np.random.default_rng(20261202).integers(1, 2**62, size=4096, dtype=np.int64) | 1


def _stream_order(code: np.ndarray) -> np.ndarray:
    """Row indices grouped by stream, table order kept within each (a stable sort by stream). The
    streams are few: they are numbered by scanning (O(rows) per stream) and the small numbers
    radix-sorted, not the 64-bit codes compared (a million-row first read)."""
    ids = np.zeros(len(code), dtype=np.uint8)
    rest = np.ones(len(code), dtype=bool)
    for k in range(1, 32):
        left = np.flatnonzero(rest)
        if not len(left):
            return np.argsort(ids, kind="stable")
        same = rest & (code == code[left[0]])
        ids[same] = k
        rest &= ~same
    return np.argsort(code, kind="stable")  # many streams (records with varying keys): a plain sort


def _pow2_at_least(v: float) -> int:
    return 1 if v <= 1 else 1 << int(np.ceil(np.log2(v)))


@dataclass
class _Rows:
    """Rows or buckets: column means, presence, and per row its weight (table rows it stands
    for), mean table-row position, stream code, segment and first rank within its stream."""

    values: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    weight: np.ndarray
    pos: np.ndarray
    code: np.ndarray
    seg: np.ndarray
    rank: np.ndarray

    @classmethod
    def empty(cls, names: list[str]) -> "_Rows":
        z = np.zeros(0, dtype=np.int64)
        return cls({k: np.zeros(0) for k in names}, {k: np.zeros(0, dtype=bool) for k in names}, np.zeros(0),
                   np.zeros(0), z, z.copy(), z.copy())

    def __len__(self) -> int:
        return len(self.weight)

    def take(self, idx: np.ndarray) -> "_Rows":
        return _Rows({k: v[idx] for k, v in self.values.items()}, {k: p[idx] for k, p in self.present.items()},
                     self.weight[idx], self.pos[idx], self.code[idx], self.seg[idx], self.rank[idx])

    def with_names(self, names: list[str]) -> "_Rows":
        for k in names:
            if k not in self.values:
                self.values[k] = np.full(len(self), np.nan)
                self.present[k] = np.zeros(len(self), dtype=bool)
        return self

    @staticmethod
    def concat(parts: list["_Rows"], names: list[str]) -> "_Rows":
        parts = [p.with_names(names) for p in parts if len(p)]
        if not parts:
            return _Rows.empty(names)
        if len(parts) == 1:
            return parts[0]
        return _Rows({k: np.concatenate([p.values[k] for p in parts]) for k in names},
                     {k: np.concatenate([p.present[k] for p in parts]) for k in names},
                     *(np.concatenate([getattr(p, a) for p in parts]) for a in ("weight", "pos", "code", "seg", "rank")))


class BoundedTable:
    """The bucketed summary of a growing table, extended as rows arrive.

    :meth:`update` is given the growing table's columns (filled part ``[:n]``; rows before
    ``done`` are never read again); :meth:`view` gives the bucketed table of all ``n`` rows."""

    def __init__(self, *, max_rows: int | None = None, keep_rows: int | None = None, batch_rows: int | None = None) -> None:
        self.max_rows = SUMMARY_ROWS if max_rows is None else max_rows
        self.keep_rows = KEEP_ROWS if keep_rows is None else keep_rows
        self.batch_rows = BATCH_ROWS if batch_rows is None else batch_rows
        self.width = 1  # rows per bucket (a power of two); a sparse stream's may be smaller
        self.done = 0  # rows [0, done) are in ``final`` or ``pending``
        self.names: list[str] = []
        self.final = _Rows.empty([])  # complete buckets, in table order
        self.pending = _Rows.empty([])  # open buckets (their stream may add rows to them)
        self.stream_rows: dict[int, int] = {}  # rows committed per stream
        self._last_x: dict[str, float] = {}  # x values of the last committed row (segment breaks)
        self._seg = 0

    @property
    def rows(self) -> int:
        return len(self.final) + len(self.pending)

    # -- building ---------------------------------------------------------------------------------
    def update(self, values: dict[str, np.ndarray], present: dict[str, np.ndarray], n: int) -> None:
        """Commit rows ``[done, n)`` once there are at least ``batch_rows`` of them."""
        if n - self.done < self.batch_rows:
            return
        for name in values:
            if name not in self.names:
                self.names.append(name)
        if not self.rows:  # the first batch (often the whole file) sets the width; later only doubling does
            self.width = _pow2_at_least(n / self.max_rows)
        fresh = self._raw(values, present, self.done, n, commit=True)
        self.done = n
        self._settle(_Rows.concat([self.pending, fresh], self.names))
        while len(self.final) > 2 * self.max_rows and self._merge():
            pass

    def _raw(self, values, present, lo: int, hi: int, commit: bool) -> _Rows:
        """Rows ``[lo, hi)`` as weight-1 rows with their stream, segment and rank."""
        vals = {k: values[k][lo:hi] if k in values else np.full(hi - lo, np.nan) for k in self.names}
        pres = {k: present[k][lo:hi] if k in present else np.zeros(hi - lo, dtype=bool) for k in self.names}
        m = hi - lo
        code = np.zeros(m, dtype=np.int64)
        for i, name in enumerate(self.names):
            state = np.where(pres[name], np.where(np.isfinite(vals[name]), _FINITE, _NONFINITE), _ABSENT)
            code += state.astype(np.int64) * _MULTIPLIERS[i % len(_MULTIPLIERS)]  # wraps: a hash, not a number
        seg = self._segments(vals, pres, m, commit)
        order = _stream_order(code)
        sc = code[order]
        starts = np.flatnonzero(np.concatenate([[True], sc[1:] != sc[:-1]])) if m else np.zeros(0, dtype=np.int64)
        lens = np.diff(np.append(starts, m))
        base = np.array([self.stream_rows.get(int(c), 0) for c in sc[starts]], dtype=np.int64)
        rank = np.empty(m, dtype=np.int64)
        rank[order] = np.arange(m) - np.repeat(starts, lens) + np.repeat(base, lens)
        if commit:
            for c, b, ln in zip(sc[starts], base, lens):
                self.stream_rows[int(c)] = int(b + ln)
        return _Rows(vals, pres, np.ones(m), np.arange(lo, hi, dtype=np.float64), code, seg, rank)

    def _segments(self, vals, pres, m: int, commit: bool) -> np.ndarray:
        """A new segment where the (whole) epoch changes or any x column goes back (a restart)."""
        brk = np.zeros(m, dtype=bool)
        last = dict(self._last_x)
        for name in self.names:
            axis = canonical_x(name)
            if axis is None:
                continue
            v = np.where(pres[name], vals[name], np.nan)
            idx = np.flatnonzero(np.isfinite(v))
            if not len(idx):
                continue
            prev = np.concatenate([[last.get(name, np.nan)], v[idx[:-1]]])
            cur = v[idx]
            # an epoch column may count fractions of epochs (HF: 0.01, 0.02 ...): its whole part changes
            moved = np.floor(cur) != np.floor(prev) if axis == EPOCH else cur < prev
            brk[idx[moved & np.isfinite(prev)]] = True
            last[name] = float(cur[-1])
        seg = self._seg + np.cumsum(brk)
        if commit:
            self._last_x = last
            self._seg = int(seg[-1]) if m else self._seg
        return seg

    def stream_width(self, code: int) -> int:
        """Rows per bucket of one stream: the table's width, but a stream keeps at least keep_rows rows."""
        room = max(1, self.stream_rows.get(code, 0) // self.keep_rows)
        return max(1, min(self.width, 1 << (room.bit_length() - 1)))

    def _bucket(self, rows: _Rows) -> tuple[_Rows, np.ndarray]:
        """One row per (stream, segment, bucket): weighted means of every column, in table order;
        and per bucket whether it is complete (its stream has moved past it)."""
        if not len(rows):
            return rows, np.zeros(0, dtype=bool)
        codes, which = np.unique(rows.code, return_inverse=True)
        sw = np.array([self.stream_width(int(c)) for c in codes], dtype=np.int64)[which.reshape(-1)]
        bucket = rows.rank // sw
        # rows come in table order, so within a stream segment and bucket already ascend: grouping
        # by stream (stably) is the whole sort
        order = _stream_order(rows.code)
        oc, osg, ob = rows.code[order], rows.seg[order], bucket[order]
        starts = np.flatnonzero(np.concatenate([[True], (oc[1:] != oc[:-1]) | (osg[1:] != osg[:-1]) | (ob[1:] != ob[:-1])]))
        w = rows.weight[order]
        wsum = np.add.reduceat(w, starts)
        gpos = np.add.reduceat(rows.pos[order] * w, starts) / wsum
        out = np.argsort(gpos, kind="stable")
        first = order[starts][out]
        vals, pres = {}, {}
        for name in self.names:
            v, p = rows.values[name][order], rows.present[name][order]
            mean = np.add.reduceat(np.where(p, v, 0.0) * w, starts) / wsum
            gp = p[starts]  # one stream: the same columns are present in the whole group
            vals[name], pres[name] = np.where(gp, mean, np.nan)[out], gp[out]
        gsw, gcode, gseg = sw[first], rows.code[first], rows.seg[first]
        grank = (rows.rank[first] // gsw) * gsw
        got = _Rows(vals, pres, wsum[out], gpos[out], gcode, gseg, grank)
        # complete: the stream has committed rows past the bucket, or the segment is over
        seen = np.array([self.stream_rows.get(int(c), 0) for c in gcode], dtype=np.int64)
        complete = (seen >= grank + gsw) | (gseg < self._seg)
        return got, complete

    def _settle(self, rows: _Rows) -> None:
        got, complete = self._bucket(rows)
        done = got.take(np.flatnonzero(complete))
        if len(done) and len(self.final) and done.pos[0] < self.final.pos[-1]:
            both = _Rows.concat([self.final, done], self.names)
            self.final = both.take(np.argsort(both.pos, kind="stable"))
        else:
            self.final = _Rows.concat([self.final, done], self.names)
        self.pending = got.take(np.flatnonzero(~complete))

    def _merge(self) -> bool:
        """Double the width: neighbouring buckets of a stream (same segment) merge pairwise.
        False when nothing could merge (every stream at its keep_rows floor)."""
        before = self.rows
        rows = _Rows.concat([self.final, self.pending], self.names)
        self.final, self.pending = _Rows.empty(self.names), _Rows.empty(self.names)
        self.width *= 2
        self._settle(rows.take(np.argsort(rows.pos, kind="stable")))
        return self.rows < before

    # -- reading ----------------------------------------------------------------------------------
    def view(self, values: dict[str, np.ndarray], present: dict[str, np.ndarray], n: int, first_row: int,
             row_label: str) -> Table:
        """All ``n`` rows, bucketed: the committed buckets, then the open ones with the rows not
        committed yet (bucketed here, not kept)."""
        names = self.names + [k for k in values if k not in self.names]
        saved = self.names
        self.names = names
        try:
            tail, _ = self._bucket(_Rows.concat([self.pending, self._raw(values, present, self.done, n, commit=False)], names))
            rows = _Rows.concat([self.final.with_names(names), tail], names)
            if len(tail) and len(self.final) and tail.pos[0] < self.final.pos[-1]:
                rows = rows.take(np.argsort(rows.pos, kind="stable"))
        finally:
            self.names = saved
        t = Table(first_row=first_row, row_label=row_label)
        for name in names:
            t.columns[name] = rows.values[name]
            t.present[name] = rows.present[name]
        self.last_weight = rows.weight
        self.last_present = rows.present
        return t

    def represented(self, name: str) -> int:
        """How many table rows the last view's values of column ``name`` stand for."""
        p = getattr(self, "last_present", {}).get(name)
        return 0 if p is None else int(self.last_weight[p].sum())
