"""The columnar fast path of the text-log grammar: runs of lines with one shape, read by Arrow.

Why: a training log repeats one line shape for thousands of lines
(``2024-05-01 10:00:00,123 - INFO - step 120: train loss 2.31, lr 1e-3``). Once the grammar has
read one such line the slow way, its space-separated fields are known. A chunk of the log is then
split into fields by Arrow's CSV reader and every field of every row is checked against the shape,
so a row is taken only when the grammar would read it exactly as it read the first line:

- ``lit``: text without numbers (``step``, ``loss``, ``INFO``) must be equal. Read as a dictionary
  column, so the check costs one comparison per distinct value, not per row.
- ``mask``: the logging prefix (timestamps) and fields holding several numbers (``10:00:00,123``)
  must be equal with only the digits free, digit for digit (same width), because the prefix
  stripper and the tokenizer look at digit counts there. Checked a chunk at a time when every row
  has the field's width (:func:`_mask_check`).
- ``val``: one number between a fixed prefix and suffix (``120:``, ``2.31,``, ``95.1ms``). The core
  must be a number Arrow parses; a sign or a nan/inf is accepted only where the template's
  self-check (``textshape.allowed_forms``) showed the grammar reads it the same way.

The checks themselves, a column at a time, are in :mod:`.textchecks`. A part of a chunk whose lines
come in a few lengths (numbers printed at fixed precision) is first tried as byte matrices
(:mod:`.textfixed`: the same checks as column ranges, no split), and split here when that does not
take it.

Rows that fail any check, and lines with another field count, go through the grammar in file
order. Nothing here decides what a line means - the roles come from the grammar's reading of the
first line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .source import NotPlain, plain_range
from .textchecks import _core_value, _digit_values, _equal, _mask_check, _numbers
from .textfixed import read_fixed

MIN_CHUNK = 4 * 1024  # after a short block: lines of two shapes alternating cost little
MAX_CHUNK = 32 * 1024 * 1024
PARALLEL_BYTES = 512 * 1024  # chunks this big are read as two halves on two threads
BLOCK_BYTES = 4 << 20  # Arrow parses in blocks this big (1 and 16 MB were slower)
LAST_CHUNK = 2 << 20  # the last chunk of a big read (see submit)
_POOL = None


def _pool():
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="textcolumns")
    return _POOL
class _Done:
    """A result computed on the spot, with the ``result()`` of a future."""

    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value


@dataclass
class Field:
    kind: str  # "lit" (must equal text), "mask" (equal but for digits), "val" (prefix + number + suffix)
    text: str = ""
    prefix: str = ""
    suffix: str = ""
    role: str | None = None
    signed_ok: bool = True  # a sign on the number reads the same (template self-check)
    special_ok: bool = True  # nan / inf read the same
    digits: tuple = ()  # mask fields: (role, start, end) of each digits-only value inside ("[3/20]")


class ColumnarShape:
    """The space-separated fields of one line shape, with the role of each value field."""

    def __init__(self, fields: list[Field], fixed: set[int] | None = None) -> None:
        self.fields = fields
        self.fixed = fixed or set()  # tokens inside fixed-width fields (not self-checked: only digits vary)
        self.roles = []  # per value, in the order read() and values_of() give them
        for f in fields:
            if f.kind == "val":
                self.roles.append(f.role)
            elif f.kind == "mask":
                self.roles.extend(role for role, _, _ in f.digits)
        self.chunk = MIN_CHUNK
        self.fixed_layouts: dict = {}  # line layouts of the byte-matrix reading (see .textfixed)
        self.fixed_misses = 0  # parts in a row it did not read
        self._mask = [_mask_regex(f.text) if f.kind == "mask" else None for f in fields]

    @classmethod
    def from_line(cls, line: str, prefix_len: int, tokens: list[re.Match], slots: list[str | None],
                  forms: list[tuple[bool, bool]] | None):
        """Build from a line the grammar read: ``tokens`` are the message's number tokens (offsets
        relative to the message, which starts at ``prefix_len``), ``slots`` their roles and
        ``forms`` per token (sign accepted, nan/inf accepted; None: the layout only, to learn which
        tokens sit in fixed-width fields). None when the shape does not suit."""
        if not line or not line.isascii() or "\r" in line or line != line.strip():
            return None
        fields: list[Field] = []
        fixed: set[int] = set()
        pos = 0
        opening = True  # the first field of the message is next
        for part in line.split(" "):
            start, end = pos, pos + len(part)
            pos = end + 1
            if start < prefix_len < end:
                return None  # a field that straddles the logging prefix: leave it to the slow path
            if end <= prefix_len:  # the logging prefix, stripped by the grammar: only digit widths matter
                fields.append(Field("mask", text=part))
                continue
            inside = [i for i, t in enumerate(tokens)
                      if start <= t.start() + prefix_len and t.end() + prefix_len <= end]
            covered = set()
            for i in inside:
                covered.update(range(tokens[i].start() + prefix_len - start, tokens[i].end() + prefix_len - start))
            if any(c.isdigit() and k not in covered for k, c in enumerate(part)):
                if inside:
                    return None  # digits of a word ("top1") beside a number: not read here
                fields.append(Field("lit", text=part))  # "lr0", "top1": a word, equal or nothing
                opening = False
                continue
            if not inside:
                fields.append(Field("lit", text=part))
                opening = False
                continue
            if len(inside) > 1 or opening:
                # several numbers ("10:00:00,123", "[3/20]") or a number opening the message (the
                # prefix stripper reads digit counts there): equal but for the digits, width fixed
                digits = []
                for i in inside:
                    if slots[i] is None:
                        continue
                    if not tokens[i].group().isdigit():
                        return None  # only plain digits are read by position in a fixed-width field
                    a = tokens[i].start() + prefix_len - start
                    digits.append((slots[i], a, a + len(tokens[i].group())))
                fields.append(Field("mask", text=part, digits=tuple(digits)))
                fixed.update(inside)
                opening = False
                continue
            opening = False
            i = inside[0]
            tok = tokens[i]
            a, b = tok.start() + prefix_len - start, tok.end() + prefix_len - start
            unit = tok.group("unit") if tok.lastgroup in ("num", "unit") else tok.group("sunit")
            if unit:
                b -= len(unit)
            if "," in part[a:b]:
                return None
            signed_ok, special_ok = forms[i] if forms is not None else (True, True)
            fields.append(Field("val", prefix=part[:a], suffix=part[b:], role=slots[i],
                                signed_ok=signed_ok, special_ok=special_ok))
        if not any(f.kind == "val" and f.role or f.digits for f in fields) or len(fields) > 200:
            return None
        return cls(fields, fixed)

    def fits(self, line: str) -> bool:
        """Cheap check of one line against the shape (before paying for an Arrow parse)."""
        parts = line.split(" ")
        if len(parts) != len(self.fields):
            return False
        for part, field in zip(parts, self.fields):
            if field.kind == "lit" and part != field.text:
                return False
            if field.kind == "mask" and not _same_but_digits(part, field.text):
                return False
            if field.kind == "val" and not (part.startswith(field.prefix) and part.endswith(field.suffix)
                                            and len(part) > len(field.prefix) + len(field.suffix)):
                return False
        return True

    def _read_part(self, buf):
        """Parse and check one run of lines: (rows, ok per row, values per value field, 1-based
        numbers of the lines Arrow skipped, their texts, the table); None when Arrow refuses it."""
        import pyarrow.compute as pc

        bad_rows: list[int] = []
        bad_text: list[str] = []

        def invalid(row) -> str:
            bad_rows.append(row.number)
            bad_text.append(row.text)
            return "skip"

        names = [f"f{i}" for i in range(len(self.fields))]
        table = self._parse(buf, names, invalid)
        if table is None:
            return None
        n = table.num_rows
        ok = np.ones(n, dtype=bool)
        cores = []
        for i, field in enumerate(self.fields):
            col = table.column(i)
            if field.kind == "lit" or field.kind == "mask" and not any(c.isdigit() for c in field.text):
                ok &= _equal(col, field.text)
            elif field.kind == "mask":  # few distinct values (dates, times): checked once each
                ok &= _mask_check(col, field.text, self._mask[i])
                cores.extend(_digit_values(col, field.digits))
            else:
                values, good = _numbers(col, field)
                ok &= good
                cores.append(values)
        return n, ok, cores, bad_rows, bad_text, table

    def _parse(self, buf, names, invalid):
        """Arrow splits the chunk into fields, every one kept as bytes (a dictionary or bool column
        would check literals during the parse, but costs several times more)."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        # Single-threaded on purpose: it numbers the rows it skips (lines of another shape); two
        # halves of a big chunk run on two threads instead (see read()).
        try:
            return pacsv.read_csv(
                buf,
                read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False, escape_char=False,
                                                 ignore_empty_lines=False, invalid_row_handler=invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in names},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                     null_values=[]),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None

    def values_of(self, line: str) -> list[float] | None:
        """The values of one line when it has this shape - the same checks as :meth:`read`, for a
        line met between blocks (a validation line among training lines); None when it does not."""
        parts = line.split(" ")
        if len(parts) != len(self.fields):
            return None
        out = []
        for part, field in zip(parts, self.fields):
            if field.kind == "lit":
                if part != field.text:
                    return None
            elif field.kind == "mask":
                if not _same_but_digits(part, field.text):
                    return None
                out.extend(float(part[a:b]) for _, a, b in field.digits)
            else:
                plen, slen = len(field.prefix), len(field.suffix)
                if len(part) <= plen + slen or not part.startswith(field.prefix) or not part.endswith(field.suffix):
                    return None
                value = _core_value(part[plen:len(part) - slen], field)
                if value is None:
                    return None
                out.append(value)
        return out

    def values_of_lines(self, lines: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """:meth:`values_of` for many lines at once (the validation lines between the training rows
        of a chunk): (fits per line, one array per value with a row per line, NaN where it does not)."""
        n = len(lines)
        if n < 24 or not all(line.isascii() and "\n" not in line and "\r" not in line for line in lines):
            return _one_by_one(self, lines)  # a few lines: cheaper than an Arrow parse
        import pyarrow as pa

        got = self._read_part(pa.py_buffer(("\n".join(lines) + "\n").encode("ascii")))
        if got is None:
            return _one_by_one(self, lines)
        rows, ok, values, bad_rows, _, _ = got
        skipped = np.zeros(rows + len(bad_rows), dtype=bool)
        skipped[np.asarray(bad_rows, dtype=np.int64) - 1] = True
        if len(skipped) != n:
            return _one_by_one(self, lines)
        fits = np.zeros(n, dtype=bool)
        out = [np.full(n, np.nan) for _ in self.roles]
        row_line = np.flatnonzero(~skipped)
        fits[row_line] = ok
        for column, v in zip(out, values):
            column[row_line] = v
        out = [np.where(fits, column, np.nan) for column in out]
        return fits, out

    def read(self, data: bytes, pos: int, limit: int | None = None):
        """Read the chunk of lines of ``data`` (ASCII) from ``pos``: returns ``(pieces, end)`` where
        pieces is a list, in file order, of ``("rows", values)`` (rows x value fields, one row per
        line that fits) and ``("line", text)`` (a line for the grammar's slow path); None when the
        first line does not fit."""
        got = self.read_rows(data, pos, limit)
        if got is None:
            return None
        parts, end = got
        return [piece for values, taken, texts, _ in parts for piece in chunk_pieces(values, taken, texts)], end

    def read_rows(self, data: bytes, pos: int, limit: int | None = None, others: tuple = (), *, check: bool = False):
        """:meth:`read` as ``([(values, taken, texts, assigned)], end)``, one entry per part of the
        chunk in file order (a big chunk is read as two halves on two threads, handed over as they
        are): one array per value for the lines read as rows, which lines of the part those are (a
        mask), the text of every other line by its index in the part, and which of ``others``
        (shapes, tried in order) reads each of those lines (see :func:`assign_lines`; worked out
        on the part's thread; None when some row failed a check). None when the first line does
        not fit. ``check``: see :meth:`submit`."""
        return self.collect(self.submit(data, pos, limit, others, check=check))

    def submit(self, data: bytes, pos: int, limit: int | None = None, others: tuple = (), *,
               background: bool = False, check: bool = False):
        """Start reading the chunk at ``pos`` (:meth:`read_rows` is ``collect(submit(...))``); None
        when its first line does not fit. A big chunk is read as two halves on the pool's two
        threads; ``background``: a small one too (the caller has work to do meanwhile - the text
        parser reads chunk k+1 while it records chunk k, see ``TextLogParser._feed_ascii``).
        ``check``: the bytes are not known to be plain ASCII without carriage returns - each part
        is checked on its own thread before it is read (:class:`~.source.NotPlain` otherwise)."""
        limit = len(data) if limit is None else limit
        first_end = data.find(b"\n", pos, limit)
        if first_end < 0 or not self.fits(data[pos:first_end].decode("ascii")):
            return None
        end = min(limit, pos + self.chunk)
        if end < limit and limit - end < self.chunk and self.chunk >= PARALLEL_BYTES:
            # the next chunk would be the last: leave it small, so that reading it takes about as
            # long as recording this one (the read-ahead) and little is left to wait for at the end
            end = max(end, limit - LAST_CHUNK)
        if end < limit:
            cut = data.rfind(b"\n", pos, end)
            if cut < 0:
                return None
            end = cut + 1
        if end <= pos:
            return None
        import pyarrow as pa

        buf = pa.py_buffer(data)

        def read_part(a: int, b: int):
            part = read_fixed(self, data, a, b, check)  # lines of a few widths: a byte matrix (.textfixed)
            if part is None:
                if check and not plain_range(data, a, b):
                    raise NotPlain(f"bytes {a}-{b}")
                part = self._read_part(buf[a:b])
            return None if part is None else self._part_rows(*part, others=others)

        mid = data.rfind(b"\n", pos, (pos + end) // 2) + 1 if end - pos >= PARALLEL_BYTES else 0
        if mid > pos:  # two halves on two threads (Arrow and numpy release the GIL)
            parts = [_pool().submit(read_part, pos, mid), _pool().submit(read_part, mid, end)]
        elif background:
            parts = [_pool().submit(read_part, pos, end)]
        else:
            parts = [_Done(read_part(pos, end))]
        return parts, end

    def collect(self, pending):
        """The result of :meth:`submit` (None as it is); the chunk size grows when the whole chunk
        was used, and starts small again when it was not."""
        if pending is None:
            return None
        parts, end = pending
        out = [p.result() for p in parts]
        if any(p is None for p in out) or not out[0][1][0]:
            self.chunk = MIN_CHUNK
            return None
        self.chunk = min(MAX_CHUNK, self.chunk * 8)  # the whole chunk was used: read more next time
        return out, end

    def _part_rows(self, n: int, ok: np.ndarray, values: list, bad_rows: list, bad_text: list, table,
                   others: tuple = ()):
        """(values of the rows that fit, taken per line, texts of the other lines, which of
        ``others`` reads them) of one part."""
        n_lines = n + len(bad_rows)
        if not bad_rows and ok.all():  # the common case: every line of the part has the shape
            return values, np.ones(n_lines, dtype=bool), {}, None
        # line (0-based in the part) of each parsed row: the lines Arrow skipped are the others
        skipped = np.zeros(n_lines, dtype=bool)
        skipped[np.asarray(bad_rows, dtype=np.int64) - 1] = True
        row_line = np.flatnonzero(~skipped)
        taken = ~skipped
        taken[row_line[~ok]] = False
        texts = dict(zip((np.asarray(bad_rows, dtype=np.int64) - 1).tolist(), bad_text))
        for row in np.flatnonzero(~ok).tolist():
            # a row that failed a check is its fields joined again (split on single spaces, nothing
            # quoted: the same text)
            texts[int(row_line[row])] = self._row_text([(0, table)], row)
        assigned = None
        if ok.all() and others:  # lines Arrow skipped only (in line order): read by the shapes seen before
            assigned = (others, *assign_lines(others, bad_text))
        if not ok.all():
            values = [v[ok] for v in values]
        return values, taken, texts, assigned

    def _row_text(self, located: list, row: int) -> str:
        base, table = [(b, t) for b, t in located if b <= row][-1]
        return " ".join(table.column(j)[row - base].as_py().decode("ascii") for j in range(len(self.fields)))


def assign_lines(shapes: tuple, lines: list[str]) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Which of ``shapes`` (tried in order, the first that fits wins, as the piece-by-piece walk
    tries them) reads each line: (index per line, -1 for none; per shape its values per role for
    every line, NaN where it did not read it)."""
    owner = np.full(len(lines), -1, dtype=np.int64)
    found: list[list[np.ndarray]] = []
    left = np.arange(len(lines))
    for k, shape in enumerate(shapes):
        if not len(left):
            found.append([np.full(len(lines), np.nan) for _ in shape.roles])
            continue
        fits, got = shape.values_of_lines([lines[i] for i in left.tolist()])
        full = [np.full(len(lines), np.nan) for _ in got]
        for column, part in zip(full, got):
            column[left] = part
        found.append(full)
        owner[left[fits]] = k
        left = left[~fits]
    return owner, found


def chunk_pieces(values: list[np.ndarray], taken: np.ndarray, texts: dict[int, str], start: int = 0) -> list:
    """What :meth:`ColumnarShape.read_rows` found, from line ``start`` of the chunk on, as pieces in
    file order: ``("rows", values)`` for each stretch of lines read as rows, ``("line", text)`` for
    each other line."""
    taken = taken[start:]
    first_row = len(values[0]) - int(np.count_nonzero(taken))  # rows before line `start`
    if taken.all():
        return [("rows", [v[first_row:] for v in values])] if len(taken) else []
    pieces: list = []
    edges = np.flatnonzero(np.diff(taken.astype(np.int8))) + 1
    bounds = [0, *edges.tolist(), len(taken)]
    row = first_row
    for a, b in zip(bounds[:-1], bounds[1:]):
        if taken[a]:
            pieces.append(("rows", [v[row:row + b - a] for v in values]))
            row += b - a
        else:
            pieces.extend(("line", texts[start + k]) for k in range(a, b))
    return pieces


def _one_by_one(shape: ColumnarShape, lines: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    n = len(lines)
    out = [np.full(n, np.nan) for _ in shape.roles]
    fits = np.zeros(n, dtype=bool)
    for k, line in enumerate(lines):
        values = shape.values_of(line)
        if values is not None:
            fits[k] = True
            for column, value in zip(out, values):
                column[k] = value
    return fits, out


_DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")


def _same_but_digits(part: str, text: str) -> bool:
    """``part`` equals ``text`` but for its digits, digit for digit."""
    return len(part) == len(text) and part.translate(_DIGITS_TO_ZERO) == text.translate(_DIGITS_TO_ZERO)


def _mask_regex(text: str) -> str:
    """RE2 pattern of a field equal to ``text`` but for its digits (digit for digit)."""
    return "^" + "".join(r"\d" if c.isdigit() else re.escape(c) for c in text) + "$"
