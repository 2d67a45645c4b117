"""The text reader's records and blocks as columns, and the Table its Runs are built from.

Why a module of its own: :class:`~.textparser.TextLogParser` keeps what it reads as pieces in file
order (single records, and blocks of rows read at once by the columnar path); turning them into
one column per key is a few whole-array writes per key, and was the largest serial step left at
the end of reading a big log (the parse itself runs on two threads).

Two layouts of a key held by some rows only (a training metric absent from the validation line
every N steps, a validation metric present on those lines only):

- full: a NaN array of every row plus the rows holding a value (``present``) - what
  :meth:`TextLogParser.columns` returns and what a Table column is;
- packed: only the values, in row order, plus ``present``. The Run's series of such a key is
  exactly those values when every row holding it has an x, so the Table keeps it packed
  (:meth:`.table.Table.add_packed`) instead of spreading it into a NaN array only to pick the
  same values out again.
"""

from __future__ import annotations

import numpy as np

from . import pooled

PARALLEL_ROWS = 200_000  # logs this long assemble their columns on two threads


def assemble(segments: list, records: list[dict], blocks: list, n: int, *, pack: bool = False):
    """(run per row, {key: (values, present)}) of the pieces in file order. ``pack``: a key that
    some rows do not hold comes as ``(None, present, values of those rows)`` (see the module
    docstring). The run per row is a read-only broadcast when one
    run holds every row (the common case: no million-row array to build and compare)."""
    parts: dict[str, list] = {}  # key -> [(first row, values, rows of the block holding it, block rows)]
    rec_rows: dict[str, list[int]] = {}  # key -> rows of single records holding it
    rec_vals: dict[str, list] = {}
    rec_run_rows: list[int] = []
    rec_runs: list = []
    block_runs: list[tuple[int, int, float]] = []
    order: dict[str, None] = {}  # keys in first-seen order (the table's column order)
    row = 0
    for kind, idx in segments:
        if kind == "r":
            rec = records[idx]
            rec_run_rows.append(row)
            rec_runs.append(rec["run"])
            for k, v in rec.items():
                if k not in ("run", "line"):
                    order.setdefault(k, None)
                    if k not in rec_rows:
                        rec_rows[k], rec_vals[k] = [], []
                    rec_rows[k].append(row)
                    rec_vals[k].append(v)
            row += 1
        else:
            _, block, held = blocks[idx]
            m = len(block["run"])
            if m:
                block_runs.append((row, m, block["run"][0]))
            for k, v in block.items():
                if k not in ("run", "line"):
                    order.setdefault(k, None)
                    parts.setdefault(k, []).append((row, v, held.get(k), m))
            row += m
    distinct = set(rec_runs) | {r for _, _, r in block_runs}
    if len(distinct) <= 1:
        runs = np.broadcast_to(np.int64(distinct.pop() if distinct else 0), (n,))
    else:
        runs = np.zeros(n, dtype=np.int64)
        for start, m, r in block_runs:
            runs[start:start + m] = r
        if rec_run_rows:
            runs[np.asarray(rec_run_rows, dtype=np.int64)] = rec_runs

    def column(key: str):
        got = parts.get(key, ())
        rows = rec_rows.get(key, ())
        tiles = not rows and _tiles(got, n)
        if tiles and all(held is None for _, _, held, _ in got):  # every row holds it: one concatenation
            values = np.asarray(got[0][1], dtype=np.float64) if len(got) == 1 else pooled.concatenate(
                [v for _, v, _, _ in got])
            return values, pooled.full(n, True, bool)
        present = pooled.full(n, False, bool)
        for start, _, held, m in got:
            present[start:start + m] = True if held is None else held
        at = np.asarray(rows, dtype=np.int64)
        if rows:
            present[at] = True
        if pack:
            # the values of the rows holding the key, in row order: the blocks' own arrays end to end,
            # with the single records that fall between them
            rec = np.asarray(rec_vals[key], dtype=np.float64) if rows else np.zeros(0)
            cut = np.searchsorted(at, [start for start, _, _, _ in got]).tolist()
            pieces, prev = [], 0
            for (_, block_values, _, _), c in zip(got, cut):
                pieces += [rec[prev:c], block_values]
                prev = c
            pieces.append(rec[prev:])
            return None, present, pooled.concatenate(pieces)
        values = pooled.full(n, np.nan)
        for start, block_values, held, m in got:
            if held is None:
                values[start:start + m] = block_values
            else:  # a key some rows of the block hold: its values are those rows' only
                values[start:start + m][held] = block_values
        if rows:
            values[at] = np.array(rec_vals[key], dtype=np.float64)
        return values, present

    keys = list(order)
    if n >= PARALLEL_ROWS and len(keys) > 1:  # whole-array copies: numpy releases the GIL
        from .textcolumns import _pool

        built = list(_pool().map(column, keys))
    else:
        built = [column(key) for key in keys]
    return runs, dict(zip(keys, built))


def _tiles(got: list, n: int) -> bool:
    """The block pieces cover rows 0..n one after another."""
    row = 0
    for start, _, _, m in got:
        if start != row:
            return False
        row += m
    return row == n


def run_tables(ids: np.ndarray, cols: dict, parts: list[int]):
    """One Table per run of ``parts`` (the run ids present), in order: a single run keeps packed keys
    packed; several runs select each run's rows (packed keys are spread first)."""
    from .table import Table

    for part in parts:
        table = Table(first_row=1, row_label="metric line")
        if len(parts) == 1:
            table.n = len(ids)
        rows = ids == part if len(parts) > 1 else slice(None)  # one run: no copies
        for key, col in cols.items():
            if len(col) == 3:  # packed: (None, present, values of the rows holding it)
                _, present, values = col
                if len(parts) == 1:
                    if len(values):
                        table.add_packed(key, values, present)
                    continue
                full = np.full(len(present), np.nan)
                full[present] = values
                col = (full, present)
            values, present = col
            pres = present[rows]
            if pres.any():
                table.add(key, values[rows], pres)
        yield table
