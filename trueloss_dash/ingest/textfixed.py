"""Lines of one width: the text reader's columnar path as a byte matrix, without Arrow's split.

Why: a training log is printed by one format string, mostly at fixed precision (``{loss:.4f}``,
``{lr:.3e}``, zero-padded times), so the lines of the hot shape come in a few lengths only, and in
the lines of one length every field sits at the same byte offsets - until a number changes width
(step 99999 -> 100000, 99.96 ms -> 100.0 ms). Arrow's CSV split of a chunk into fields was 60% of
reading a million-line log (about 110 of 180 ms of CPU) and converting the numbers another 25%.
Here the lines of one length and one layout are a matrix of bytes: every check of
:mod:`.textcolumns` becomes a check of column ranges, done for the whole matrix in a few vector
passes, and a number printed as plain digits (``2.3063``, ``1.000e-03``) is added up from its
digit columns instead of parsed as text.

Exact, like the split. A layout is made from a line of the part that fits the shape
(:meth:`~.textcolumns.ColumnarShape.fits`); its field widths give a template saying what each byte
must be: a byte of a word, a separator space, a non-digit of a fixed-width field, an affix and the
newline that byte; a digit a digit; a byte of a number ``!`` to ``~`` (no space, tab, newline or
carriage return, so the line splits on spaces into the template's fields, as Arrow splits it) -
or, when the layout's number is plain digits with a point and an exponent, those digits at those
places and the rest as in the template. A line of that length is read with the layout when every
byte passes; the numbers are then read as Arrow's path reads them (cast, and
:func:`.textchecks._number_forms`) or added up exactly (:func:`_digit_numbers`). Lines no layout
takes are the part's other lines, like the lines Arrow's split skips (another field count); when
there are many, or many of them have the shape's field count (Arrow would have checked them as
rows), or a number is not read alike, the part goes to Arrow's split whole (None).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import pooled
from .source import NotPlain
from .textchecks import _number_forms, _steps_of

if TYPE_CHECKING:
    from .textcolumns import ColumnarShape

MIN_PART_BYTES = 64 * 1024  # smaller parts: Arrow's split (the few lines cost little either way)
MAX_LENGTHS = 8  # line lengths read as rows per part (the lines of other lengths are other lines)
MAX_LAYOUTS = 4  # layouts tried per line length (a number one byte wider, another one narrower)
MIN_GROUP_ROWS = 16  # lines of one length and layout fewer than this are read with the other lines
MAX_OTHER_SHARE = 16  # more than 1/16 of the lines left to the other lines: Arrow's split
MAX_LINE = 4096  # longer lines: Arrow's split
GATHER_BYTES = 1 << 16  # scattered lines are copied this many bytes at a time (see _gather)
SCAN_BYTES = 1 << 20  # newlines are found this many bytes at a time (the mask stays in cache)
TILE_BYTES = 1 << 18  # the template is repeated to about this size (see _mismatches)
VALUE_TILE_BYTES = 1 << 20  # numbers are added up this many bytes of lines at a time (see _values)
MAX_GROUPS = 4  # parts that needed more (length, layout) groups count as misses: numbers of varying widths
MISSES = 2  # parts in a row not read here: the shape stops trying (a log of varying widths)
MAX_DIGITS = 15  # a number's digits added up exactly in a float64 (57 * 111...1 < 2**53)

_NUMBER_LOW, _NUMBER_SPAN = 0x21, 0x7E - 0x21  # a number's bytes: "!" to "~"
_DIGITS = re.compile(r"(\d*)(\.?)(\d*)(?:([eE])([-+]?)(\d{1,3}))?")
_POWERS = 10.0 ** np.arange(23)  # exact in a float64
_TO_ZERO = str.maketrans("123456789", "000000000")


def read_fixed(shape: "ColumnarShape", data, a: int, b: int, check: bool = False):
    """Read the part ``data[a:b]`` (whole lines) as :meth:`ColumnarShape._read_part` does: (rows,
    ok per row, values per value field, 1-based numbers of the other lines, their texts, None);
    None when Arrow's split is to read it. ``check``: the bytes are not known to be plain ASCII
    without carriage returns - the lines read as rows are by their template, the other lines are
    checked here (:class:`~.source.NotPlain`)."""
    if b - a < MIN_PART_BYTES or shape.fixed_misses >= MISSES:
        return None
    got = _read(shape, data, a, b, check)
    if got is None or got[-1] > MAX_GROUPS:  # (many layouts: slower than Arrow's split, if exact)
        shape.fixed_misses += 1
    else:
        shape.fixed_misses = 0
    return got if got is None else got[:-1]


def _read(shape: "ColumnarShape", data, a: int, b: int, check: bool):
    raw = np.frombuffer(data, dtype=np.uint8, count=b - a, offset=a)
    ends = _newlines(raw)
    if not len(ends) or ends[-1] != len(raw) - 1:
        return None
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1  # with the newline
    n_lines = len(lengths)
    if int(lengths.max()) > MAX_LINE + 1:
        return None
    counts = np.bincount(lengths)
    widths = np.flatnonzero(counts)
    widths = widths[np.argsort(-counts[widths], kind="stable")][:MAX_LENGTHS]
    if int(counts[widths].sum()) * MAX_OTHER_SHARE < n_lines * (MAX_OTHER_SHARE - 1):
        return None  # lines of too many lengths
    groups = _groups(shape, raw, starts, ends, lengths, widths.tolist(), counts)
    if groups is None:
        return None
    row = None  # lines read as rows (None: every line)
    if len(groups) > 1 or groups[0][0] is not None:
        row = np.zeros(n_lines, dtype=bool)
        for lines, _, _ in groups:
            row[lines] = True
    other = np.flatnonzero(~row) if row is not None else np.zeros(0, dtype=np.int64)
    if len(other) * MAX_OTHER_SHARE > n_lines:
        return None
    texts = []
    for i in other.tolist():
        try:
            texts.append(raw[starts[i]:ends[i]].tobytes().decode("ascii"))
        except UnicodeDecodeError:
            if check:
                raise NotPlain(f"byte {a + int(starts[i])}") from None
            return None
    if check and any("\r" in t or "\x08" in t for t in texts):
        raise NotPlain("a carriage return")
    split = _split_like(shape, other, texts)  # lines no layout took that Arrow's split may take
    if split is False:
        return None
    if split is not None:
        lines, got = split
        row[lines] = True
        groups.append((lines, None, got))
        keep = ~row[other]
        texts = [t for t, k in zip(texts, keep.tolist()) if k]
        other = other[keep]
    n_rows = n_lines - len(other)
    values = None
    if row is not None:
        values = [pooled.empty(n_rows) for _ in shape.roles]
        row_of_line = np.cumsum(row) - 1
    for lines, layout, matrix in groups:
        got = _values(matrix, layout, shape) if layout is not None else matrix
        if got is None:
            return None
        if values is None:
            values = got
            continue
        where = row_of_line[lines]
        for column, v in zip(values, got):
            column[where] = v
    return n_rows, np.ones(n_rows, dtype=bool), values, (other + 1).tolist(), texts, None, len(groups)


def _groups(shape: "ColumnarShape", raw: np.ndarray, starts: np.ndarray, ends: np.ndarray, lengths: np.ndarray,
            widths: list[int], counts: np.ndarray) -> list | None:
    """The lines of each length in ``widths`` that a layout takes, as (their line numbers - None
    for every line of the part -, the layout, their bytes as a matrix); up to MAX_LAYOUTS layouts
    per length, each made from the first line of that length the layouts before did not take."""
    n_lines = len(lengths)
    groups = []
    for width in widths:
        if counts[width] < MIN_GROUP_ROWS:
            continue  # a few lines: Arrow's split reads them with the other lines (_split_like)
        if len(widths) == 1 and counts[width] == n_lines:
            pending, matrix = None, raw.reshape(n_lines, width)  # every line: a view, nothing copied
        else:
            pending, matrix = np.flatnonzero(lengths == width), None  # gathered once a layout fits
        for _ in range(MAX_LAYOUTS):
            at = 0 if pending is None else int(pending[0])
            try:
                layout = _layout(shape, raw[starts[at]:ends[at]].tobytes().decode("ascii"))
            except UnicodeDecodeError:
                layout = None
            if layout is None:
                break
            if matrix is None:
                matrix = _gather(raw, starts, pending, width)
            bad = _mismatches(matrix, layout)
            if bad is None:
                groups.append((pending, layout, matrix))
                pending = None
                break
            if pending is None:
                pending = np.arange(n_lines)
            good = ~bad
            if np.count_nonzero(good) >= MIN_GROUP_ROWS:  # (fewer: read with the other lines)
                groups.append((pending[good], layout, matrix[good]))
            pending, matrix = pending[bad], matrix[bad]
        if pending is not None and len(pending) * MAX_OTHER_SHARE > n_lines:
            return None
    return groups or None


def _split_like(shape: "ColumnarShape", other: np.ndarray, texts: list[str]):
    """The other lines with the shape's field count (a number of a rare width, a line of the shape
    no layout took): split by Arrow and checked as :meth:`ColumnarShape._read_part` checks a part,
    so that every line the split would take is a row here too. (their line numbers, values per
    role) of those it takes; None when none; False when Arrow refuses them."""
    import pyarrow as pa

    fields = len(shape.fields) - 1
    like = [k for k, t in enumerate(texts) if t.count(" ") == fields]
    if not like:
        return None
    got = shape._read_part(pa.py_buffer(("\n".join(texts[k] for k in like) + "\n").encode("ascii")))
    if got is None or got[0] != len(like):
        return False
    _, ok, values, _, _, _ = got
    if not ok.any():
        return None
    return other[np.asarray(like)[ok]], [v[ok] for v in values]


def _gather(raw: np.ndarray, starts: np.ndarray, lines: np.ndarray, width: int) -> np.ndarray:
    """The bytes of ``lines`` (each ``width`` long with its newline) as a matrix, in memory from
    Arrow's pool (fresh pages from malloc are faulted in and zeroed one by one: that was a tenth
    of the time): stretch by stretch when they come in long stretches (the common case: another
    line now and then), else line by line."""
    out = pooled.empty(len(lines) * width, np.uint8).reshape(len(lines), width)
    gaps = np.flatnonzero(np.diff(lines) != 1) + 1  # where a stretch of consecutive lines ends
    if len(gaps) * 8 > len(lines):  # scattered: gathered a block of lines at a time (small temporaries)
        windows = as_strided(raw, shape=(len(raw) - width + 1, width), strides=(1, 1), writeable=False)
        at = starts[lines]
        step = max(1, GATHER_BYTES // width)
        for i in range(0, len(lines), step):
            out[i:i + step] = windows[at[i:i + step]]
        return out
    bounds = [0, *gaps.tolist(), len(lines)]
    first = starts[lines[bounds[:-1]]].tolist()
    dst, src = memoryview(out.reshape(-1)), memoryview(raw)  # a memcpy per stretch, little else
    for i, j, a in zip(bounds[:-1], bounds[1:], first):
        dst[i * width:j * width] = src[a:a + (j - i) * width]
    return out


def _newlines(raw: np.ndarray) -> np.ndarray:
    """Offsets of the newlines of ``raw``, a slice at a time (a mask of the whole part would
    leave the cache)."""
    mask = pooled.empty(min(SCAN_BYTES, len(raw)), bool)
    found = []
    for a in range(0, len(raw), SCAN_BYTES):
        part = raw[a:a + SCAN_BYTES]
        k = len(part)
        np.equal(part, 10, out=mask[:k])
        hits = np.flatnonzero(mask[:k])
        if a:
            hits += a
        found.append(hits)
    return found[0] if len(found) == 1 else pooled.concatenate(found, np.int64)


class _Layout:
    """The template of the lines of one length: what each byte must be, and where the numbers are."""

    __slots__ = ("width", "base", "top", "numbers", "digits", "_tiles")

    def __init__(self, width: int, base: np.ndarray, top: np.ndarray, numbers: list, digits: list) -> None:
        self.width = width  # bytes of a line, with its newline
        self.base, self.top = base, top  # byte - base must be <= top (unsigned) at every place
        self.numbers = numbers  # per value field: (field, first byte, end, digits recipe or None)
        self.digits = digits  # per digits-only value of a fixed-width field: (start, end)
        self._tiles = None

    def tiles(self) -> tuple[np.ndarray, np.ndarray]:
        """(base, top) repeated to about TILE_BYTES."""
        if self._tiles is None:
            times = max(1, TILE_BYTES // self.width)
            self._tiles = tuple(_repeated(v, times) for v in (self.base, self.top))
        return self._tiles


def _repeated(row: np.ndarray, times: int) -> np.ndarray:
    out = pooled.empty(times * len(row), np.uint8)
    out.reshape(times, len(row))[...] = row
    return out


def _layout(shape: "ColumnarShape", line: str) -> _Layout | None:
    """The layout of ``line`` (None when it does not fit the shape), kept per shape by the form of
    its numbers (their text with every digit a 0: the other fields' widths are the shape's)."""
    if not shape.fits(line):
        return None
    parts = line.split(" ")
    key = tuple(p.translate(_TO_ZERO) for p, f in zip(parts, shape.fields) if f.kind == "val")
    cache = shape.fixed_layouts  # shared by the two halves' threads: one get, no check-then-read
    layout = cache.get(key)
    if layout is not None:
        return layout
    base = np.frombuffer((line + "\n").encode("ascii"), dtype=np.uint8).copy()
    top = np.zeros(len(base), dtype=np.uint8)
    numbers, digits = [], []
    pos = 0
    for part, field in zip(parts, shape.fields):
        if field.kind == "mask":
            for k, c in enumerate(part):
                if c.isdigit():
                    base[pos + k], top[pos + k] = ord("0"), 9
            digits.extend((pos + a, pos + b) for _, a, b in field.digits)
        elif field.kind == "val":
            a, b = pos + len(field.prefix), pos + len(part) - len(field.suffix)
            recipe = _recipe(line[a:b], a)
            if recipe is None:
                base[a:b], top[a:b] = _NUMBER_LOW, _NUMBER_SPAN
            else:
                for k in range(a, b):
                    if line[k].isdigit():
                        base[k], top[k] = ord("0"), 9
            numbers.append((field, a, b, recipe))
        pos += len(part) + 1
    if len(cache) >= 16:
        cache.clear()
    layout = cache[key] = _Layout(len(base), base, top, numbers, digits)
    return layout


def _recipe(core: str, at: int):
    """How a number printed as plain digits is added up: (places of its mantissa digits, digits
    after the point, sign of the exponent, places of its digits); None for any other form (read by
    Arrow's cast, like the split's path)."""
    m = _DIGITS.fullmatch(core)
    if m is None:
        return None
    whole, point, frac, e, sign, exp = m.groups()
    n = len(whole) + len(frac)
    if not n or n > MAX_DIGITS:
        return None
    places = [at + k for k, c in enumerate(core[:len(whole) + len(point) + len(frac)]) if c.isdigit()]
    exp_places = [] if not e else [at + len(core) - len(exp) + k for k in range(len(exp))]
    return places, len(frac), -1 if sign == "-" else 1, exp_places


def _mismatches(matrix: np.ndarray, layout: _Layout) -> np.ndarray | None:
    """Which lines of ``matrix`` are not the template but for their digits and numbers (None: every
    line is): each byte minus what the template has there must be at most what it allows there
    (unsigned: below is a wrap to 246 and more). On the flat bytes a tile at a time, against the
    template repeated that often; per line only in a tile where some byte fails."""
    base, top = layout.tiles()
    width = layout.width
    flat = matrix.reshape(-1)
    step = len(base)
    diff = pooled.empty(min(step, flat.size), np.uint8)
    below = pooled.empty(min(step, flat.size), bool)
    bad = None
    for a in range(0, flat.size, step):
        part = flat[a:a + step]
        k = part.size
        np.subtract(part, base[:k], out=diff[:k])
        if not np.less_equal(diff[:k], top[:k], out=below[:k]).all():
            if bad is None:
                bad = np.zeros(len(matrix), dtype=bool)
            bad[a // width:(a + k) // width] = ~below[:k].reshape(-1, width).all(axis=1)
    return bad


def _values(matrix: np.ndarray, layout: _Layout, shape: "ColumnarShape") -> list[np.ndarray] | None:
    """The values of the lines of ``matrix`` in the order of the shape's roles; None when a number
    is not read alike (Arrow's split then reads the part, and the grammar those lines). Digits are
    added up a tile of lines at a time: a column of a wide matrix touches a cache line per line, and
    a tile stays in the cache for all of its columns."""
    m = len(matrix)
    out, jobs = [], []  # jobs: (index in out, recipe, value field or None) of numbers added up from digits
    numbers = iter(layout.numbers)
    digits = iter(layout.digits)
    for field in shape.fields:
        if field.kind == "mask":
            for _ in field.digits:  # digits-only values of a fixed-width field ("[3/20]")
                a, b = next(digits)
                if b - a > MAX_DIGITS:  # as textchecks._digit_values adds them up (not exact: as it rounds)
                    value = np.zeros(m, dtype=np.float64)
                    for k in range(a, b):
                        value = value * 10 + (matrix[:, k].astype(np.float64) - 48)
                    out.append(value)
                    continue
                jobs.append((len(out), (list(range(a, b)), 0, 1, []), None))
                out.append(pooled.empty(m))
        elif field.kind == "val":
            _, a, b, recipe = next(numbers)
            if recipe is not None:
                jobs.append((len(out), recipe, (a, b, field)))
                out.append(pooled.empty(m))
                continue
            out.append(_cast_numbers(matrix, a, b, field))
    step = max(1, VALUE_TILE_BYTES // layout.width)
    for r in range(0, m, step):
        tile = matrix[r:r + step]
        for job in list(jobs):
            if not _digit_numbers(tile, job[1], out[job[0]][r:r + step]):
                jobs.remove(job)  # a power of ten out of the exact range: Arrow's cast reads them all
                out[job[0]] = _cast_numbers(matrix, *job[2])
    return None if any(v is None for v in out) else out


def _digit_numbers(matrix: np.ndarray, recipe, acc: np.ndarray) -> bool:
    """Numbers printed as digits, a point and an exponent at the same places on every line (the
    template checked them), added up from their digit columns into ``acc``: the mantissa's digits
    as an integer below 2**53 (exact in a float64), divided by the power of ten the point and the
    exponent give - a division of two exact numbers, rounded once, so exactly what ``float()`` of
    the text gives (the nearest float64 to the decimal). False when a power is out of the exact
    range (Arrow's cast reads the part then)."""
    places, frac, sign, exp_places = recipe
    np.copyto(acc, matrix[:, places[0]], casting="unsafe")
    for k in places[1:]:
        np.multiply(acc, 10.0, out=acc)
        np.add(acc, matrix[:, k], out=acc, casting="unsafe")
    acc -= 48.0 * ((10 ** len(places) - 1) // 9)  # the '0's: every digit counted 48 too high
    if not exp_places:
        if frac:
            acc /= _POWERS[frac]
        return True
    exp = matrix[:, exp_places[0]].astype(np.int64)
    for k in exp_places[1:]:
        exp *= 10
        exp += matrix[:, k]
    exp -= 48 * ((10 ** len(exp_places) - 1) // 9)
    shift = frac - sign * exp  # the value is acc / 10**shift
    if int(shift.max()) >= len(_POWERS) or int(shift.min()) < 0:
        return False  # products (1e5) and powers beyond 1e22
    acc /= _POWERS[shift]
    return True


def _cast_numbers(matrix: np.ndarray, a: int, b: int, field) -> np.ndarray | None:
    """Numbers in another form (nan, a sign, ...), read as the split's path reads them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    m, k = len(matrix), b - a
    cores = pooled.empty(m * k, np.uint8)
    cores.reshape(m, k)[...] = matrix[:, a:b]
    core = pa.BinaryArray.from_buffers(pa.binary(), m, [None, pa.py_buffer(_steps_of(k, m + 1)), pa.py_buffer(cores)])
    try:
        vals = pc.cast(core, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not _number_forms(vals, np.ones(m, dtype=bool), core, field, lambda: matrix[:, a]).all():
        return None
    return vals
