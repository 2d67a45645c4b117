"""The field checks of the text reader's columnar path (:mod:`.textcolumns`), one column at a time.

Why a module of its own: these are the per-column array passes that decide whether a row read by
Arrow is exactly what the grammar would read (words equal, prefix digits in place, numbers in an
accepted form between their affixes) and convert its numbers - most of the reader's time after
Arrow's split, so each is written to touch every byte once, without per-row Python and without
allocating big temporaries (see :mod:`.pooled`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from . import pooled

if TYPE_CHECKING:
    from .textcolumns import Field

_SPECIAL_TEXT = re.compile(r"[-+]?(?:nan|inf|infinity)", re.I)


def _equal(col, text: str) -> np.ndarray:
    """Per row: is the field exactly ``text``?"""
    import pyarrow as pa

    want = text.encode()
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    return _joined([_equal_chunk(chunk, want) for chunk in chunks], [len(c) for c in chunks])


def _joined(parts: list, sizes: list[int]) -> np.ndarray:
    """Per-chunk results as one mask; None stands for "every row of the chunk passes". When every
    chunk passes (the common case) a read-only broadcast of True: nothing to allocate or AND in."""
    total = sum(sizes)
    if all(p is None for p in parts):
        return np.broadcast_to(np.True_, (total,))
    return np.concatenate([np.ones(k, dtype=bool) if p is None else p for p, k in zip(parts, sizes)])


def _equal_chunk(chunk, want: bytes) -> np.ndarray | None:
    """The common case first: every row holds ``want`` when every length is ``len(want)`` and the
    value bytes, end to end, are ``want`` repeated (the first row is ``want`` and the bytes equal
    themselves shifted by one row: one memcmp, no per-row compare, nothing allocated: None); else
    per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    m, width = len(chunk), len(want)
    if m and chunk.null_count == 0:
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + m + 1]
        a, b = int(offsets[0]), int(offsets[-1])
        if b - a == m * width:
            if width == 0:  # every length is 0: every row is the empty text
                return None
            data = chunk.buffers()[2].slice(a, b - a)
            if (np.diff(offsets) == width).all() and data.slice(0, width).equals(pa.py_buffer(want)) and _periodic(data, width):
                return None
    return np.asarray(pc.equal(chunk, want).to_numpy(zero_copy_only=False), dtype=bool)


def _mask_check(col, text: str, pattern: str) -> np.ndarray:
    """Per row: is the field ``text`` but for its digits, digit for digit? Whole chunks at once when
    every row is as wide as ``text``: all rows the same bytes (a date) - one compare and one regex
    match; else the rows as a byte matrix, digits where ``text`` has digits and its other bytes
    elsewhere (a time of day). Row by row (once per distinct value) otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    width = len(text)
    out = []
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    for chunk in chunks:
        m = len(chunk)
        if m and width and chunk.null_count == 0:
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + m + 1]
            a, b = int(offsets[0]), int(offsets[-1])
            if b - a == m * width and (np.diff(offsets) == width).all():
                data = chunk.buffers()[2].slice(a, b - a)
                if _periodic(data, width):
                    first = data.slice(0, width).to_pybytes()
                    good = re.fullmatch(pattern[1:-1], first.decode("ascii", "replace"), re.ASCII) is not None
                    out.append(None if good else np.zeros(m, dtype=bool))
                    continue
                if width <= 64 and _digits_in_place(np.frombuffer(data, dtype=np.uint8).reshape(m, width), text):
                    out.append(None)
                    continue
        out.append(_dict_check(pc.dictionary_encode(chunk), pattern))
    return _joined(out, [len(c) for c in chunks])


def _periodic(data, width: int) -> bool:
    """Every ``width``-byte row of ``data`` (an Arrow buffer, a whole number of rows) is the same:
    the bytes equal themselves shifted by one row (a memcmp of two views, nothing copied)."""
    return data.size <= width or data.slice(width).equals(data.slice(0, data.size - width))


def _digits_in_place(rows: np.ndarray, text: str) -> bool:
    """Each row of the byte matrix ``rows`` is ``text`` but for its digits, digit for digit: each
    byte minus what ``text`` has there ('0' where it has a digit) is at most 9 at digit places and
    0 elsewhere (unsigned: below is a wrap to 246 and more). On the flat bytes of up to
    ``_TILE_ROWS`` rows at a time against the pattern repeated that often (kept per text):
    contiguous vector passes, not a 12-wide inner loop per row."""
    base, top = _tiled(text)
    step = _TILE_ROWS * len(text)
    flat = rows.reshape(-1)
    diff = pooled.empty(min(step, flat.size), np.uint8)
    below = pooled.empty(min(step, flat.size), bool)
    for a in range(0, flat.size, step):
        part = flat[a:a + step]
        k = part.size
        np.subtract(part, base[:k], out=diff[:k])
        if not np.less_equal(diff[:k], top[:k], out=below[:k]).all():
            return False
    return True


_TILE_ROWS = 16384
_TILED: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _tiled(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(what ``text`` has at each place, '0' for a digit; 9 at digit places, else 0), repeated
    ``_TILE_ROWS`` times."""
    have = _TILED.get(text)
    if have is None:
        want = np.frombuffer(text.encode(), dtype=np.uint8)
        digit = (want >= 48) & (want <= 57)
        if len(_TILED) >= 8:
            _TILED.clear()
        have = _TILED[text] = (np.tile(np.where(digit, 48, want).astype(np.uint8), _TILE_ROWS),
                               np.tile(np.where(digit, 9, 0).astype(np.uint8), _TILE_ROWS))
    return have


def _dict_check(col, pattern: str) -> np.ndarray:
    """Per row: does its value match ``pattern``? Evaluated once per distinct value (dictionary column)."""
    import pyarrow.compute as pc

    out = []
    for chunk in (col.chunks if hasattr(col, "chunks") else [col]):
        entries = chunk.dictionary
        good = pc.match_substring_regex(entries, pattern).to_numpy(zero_copy_only=False)
        if len(entries) == 1 and good[0] and chunk.null_count == 0:
            out.append(np.ones(len(chunk), dtype=bool))
            continue
        idx = chunk.indices.to_numpy(zero_copy_only=False)
        out.append(good[idx] if len(good) else np.zeros(len(chunk), dtype=bool))
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def _digit_values(col, digits: tuple) -> list[np.ndarray]:
    """Values of digits-only numbers at fixed positions of a fixed-width field (rows that are not
    that wide get garbage; the mask check refuses them)."""
    import pyarrow as pa

    if not digits:
        return []
    chunk = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    m = len(chunk)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + m + 1]
    raw = np.frombuffer(chunk.buffers()[2], dtype=np.uint8) if chunk.buffers()[2] is not None else np.zeros(1, np.uint8)
    top = len(raw) - 1
    starts = offsets[:-1].astype(np.int64)
    out = []
    for _, a, b in digits:
        value = np.zeros(m, dtype=np.float64)
        for k in range(a, b):
            value = value * 10 + (raw[np.minimum(starts + k, top)].astype(np.float64) - 48)
        out.append(value)
    return out


def _numbers(col, field: "Field") -> tuple[np.ndarray, np.ndarray]:
    """Values of a ``val`` column and which rows hold prefix + a number the grammar reads alike + suffix."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunk = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    plen, slen = len(field.prefix), len(field.suffix)
    pre, suf = field.prefix.encode(), field.suffix.encode()
    m = len(chunk)
    if m == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + m + 1]
    raw = np.frombuffer(chunk.buffers()[2], dtype=np.uint8) if chunk.buffers()[2] is not None else np.zeros(1, np.uint8)
    top = len(raw) - 1
    starts, ends = offsets[:-1], offsets[1:]
    core = _fixed_width_core(raw, offsets, m, pre, suf) if plen or slen else None
    if core is not None:
        ok = np.ones(m, dtype=bool)
    else:
        ok = (ends - starts) > plen + slen
        # Arrow's starts_with/ends_with: one compare per row in C, a third of numpy gathers per byte
        for check, affix in ((pc.starts_with, field.prefix), (pc.ends_with, field.suffix)):
            if affix:
                ok &= check(chunk, pattern=affix).to_numpy(zero_copy_only=False)
        if not ok.all():  # slicing a value shorter than the affixes is refused: stand a "0" in for it
            chunk = pc.if_else(pa.array(ok), chunk, pa.scalar(pre + b"0" + suf, pa.binary()))
        core = pc.binary_slice(chunk, plen, -slen) if slen else (pc.binary_slice(chunk, plen, 1 << 30) if plen else chunk)
    try:
        vals = pc.cast(core, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        texts = core.to_pylist()
        vals = np.array([_float_or_nan(t) for t in texts], dtype=np.float64)
        ok &= np.fromiter((_float_or_nan(t, check=True) for t in texts), dtype=bool, count=m)
    return vals, _number_forms(vals, ok, core, field, lambda: raw[np.minimum(starts + plen, top)])


def _number_forms(vals: np.ndarray, ok: np.ndarray, core, field: "Field", first) -> np.ndarray:
    """``ok`` (changed in place) narrowed to the rows whose number (``core``: the numbers' text,
    ``vals``: as Arrow read them) is in a form the grammar reads alike: no sign where the template's
    self-check refused one (``first()``: each number's first byte, asked for only then), nan/inf
    only where allowed and only as the grammar spells them."""
    import pyarrow as pa

    if not field.signed_ok:
        head = first()
        ok &= (head != ord("-")) & (head != ord("+"))
    odd = ~np.isfinite(vals)
    if odd.any():
        if not field.special_ok:
            ok &= ~odd
        else:
            texts = core.filter(pa.array(odd)).to_pylist()
            ok[odd] &= np.fromiter((_SPECIAL_TEXT.fullmatch(t.decode("ascii", "replace")) is not None
                                    for t in texts), dtype=bool, count=len(texts))
    return ok


def _fixed_width_core(raw: np.ndarray, offsets: np.ndarray, m: int, pre: bytes, suf: bytes):
    """The numbers of a value column whose every row is as wide, with its prefix and suffix in
    place on every row, as a binary column of the numbers alone; None when that is not so (the
    caller then checks and slices row by row). Formatted floats (``2.3063,``, ``1.000e-03,``) are
    mostly of one width: the rows are then a matrix of bytes, the affixes two of its column
    ranges and the numbers a third - a strided compare and copy instead of a per-row compare and
    slice (a third of the time of the value's whole check)."""
    import pyarrow as pa

    width = int(offsets[1] - offsets[0])
    k = width - len(pre) - len(suf)
    if k <= 0 or int(offsets[-1] - offsets[0]) != m * width or not (np.diff(offsets) == width).all():
        return None
    rows = raw[int(offsets[0]):int(offsets[-1])].reshape(m, width)
    for at, affix in ((0, pre), (width - len(suf), suf)):
        if affix and not (rows[:, at:at + len(affix)] == np.frombuffer(affix, dtype=np.uint8)).all():
            return None
    cores = pooled.empty(m * k, np.uint8)
    cores.reshape(m, k)[...] = rows[:, len(pre):width - len(suf)]
    return pa.BinaryArray.from_buffers(pa.binary(), m, [None, pa.py_buffer(_steps_of(k, m + 1)), pa.py_buffer(cores)])


_STEPS: dict[int, np.ndarray] = {}


def _steps_of(k: int, n: int) -> np.ndarray:
    """0, k, 2k, ... (n values, int32): the offsets of a column of k-byte values, kept per k."""
    have = _STEPS.get(k)
    if have is None or len(have) < n:
        have = _STEPS[k] = np.arange(0, k * max(n, 1 << 18), k, dtype=np.int32)
    return have[:n]


_PLAIN_CORE = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)")


def _core_value(core: str, field: "Field") -> float | None:
    """The value of a number core as the block path would accept it, else None."""
    if core[0] in "+-" and not field.signed_ok:
        return None
    if _PLAIN_CORE.fullmatch(core):
        value = float(core)
        return value if value - value == 0 else None  # 1e999: not what the grammar's float gives back
    if field.special_ok and _SPECIAL_TEXT.fullmatch(core):
        return float(core)
    return None


def _float_or_nan(text: bytes, check: bool = False):
    try:
        value = float(text)
    except ValueError:
        return False if check else np.nan
    if check:  # Python's float() also takes "1_000" and spaces; the grammar does not
        return re.fullmatch(rb"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)", text) is not None
    return value
