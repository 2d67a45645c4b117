"""The columnar fast path of the text-log grammar: runs of lines with one shape, read by Arrow.

Why: a training log repeats one line shape for thousands of lines
(``2024-05-01 10:00:00,123 - INFO - step 120: train loss 2.31, lr 1e-3``). Once the grammar has
read one such line the slow way, its space-separated fields are known: literal words that must
repeat exactly (``step``, ``train``, ``loss``), values with fixed affixes (``120:``, ``2.31,``,
``95.1ms``) and fields that vary freely (timestamps). A run of following lines is then parsed as
a space-delimited table by Arrow's multi-threaded CSV reader and checked column by column with
vectorised kernels; only the lines before the first one that does not fit are taken. Nothing here
decides what a line means - the roles come from the grammar's reading of the first line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_NUMBER_RE2 = r"^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|[Nn]a[Nn]|[Ii]nf(?:inity)?)$"
MIN_CHUNK = 4 * 1024  # after a short block: lines of two shapes alternating cost little
MAX_CHUNK = 32 * 1024 * 1024


@dataclass
class Field:
    kind: str  # "lit" (must equal text), "val" (prefix + number + suffix), "skip" (varies freely)
    text: str = ""
    prefix: str = ""
    suffix: str = ""
    role: str | None = None
    key: bool = False  # a literal that names the next value ("loss" in "loss 0.52"): checked per row


class ColumnarShape:
    """The space-separated fields of one line shape, with the role of each value field."""

    def __init__(self, fields: list[Field]) -> None:
        self.fields = fields
        self.roles = [f.role for f in fields if f.kind == "val"]
        self.chunk = MIN_CHUNK

    @classmethod
    def from_line(cls, line: str, prefix_len: int, tokens: list[re.Match], slots: list[str | None]):
        """Build from a line the grammar read: ``tokens`` are the message's number tokens (offsets
        relative to the message, which starts at ``prefix_len``) and ``slots`` their roles."""
        if "\t" in line or '"' in line or "\r" in line or not line or line != line.strip():
            return None
        spans, pos = [], 0
        for part in line.split(" "):
            spans.append((pos, pos + len(part), part))
            pos += len(part) + 1
        fields: list[Field] = []
        for start, end, part in spans:
            if end <= prefix_len:
                fields.append(Field("skip"))
                continue
            inside = [(i, t) for i, t in enumerate(tokens)
                      if start <= t.start() + prefix_len and t.end() + prefix_len <= end]
            if start < prefix_len:
                return None  # a field that straddles the logging prefix: leave it to the slow path
            if not inside:
                fields.append(Field("lit", text=part))
                continue
            roled = [(i, t) for i, t in inside if slots[i] is not None]
            if not roled:
                fields.append(Field("skip"))
                continue
            if len(roled) > 1:
                return None
            i, tok = roled[0]
            a, b = tok.start() + prefix_len - start, tok.end() + prefix_len - start
            unit = tok.group("unit") if tok.lastgroup in ("num", "unit") else tok.group("sunit")
            if unit:
                b -= len(unit)
            number = part[a:b]
            if "," in number:
                return None
            fields.append(Field("val", prefix=part[:a], suffix=part[b:], role=slots[i]))
        if not any(f.kind == "val" for f in fields) or len(fields) > 200:
            return None
        for a, b in zip(fields, fields[1:]):
            if a.kind == "lit" and b.kind == "val":
                a.key = True
        return cls(fields)

    def fits(self, line: str) -> bool:
        """Cheap check of one line against the shape (before paying for an Arrow parse)."""
        parts = line.split(" ")
        if len(parts) != len(self.fields):
            return False
        for part, field in zip(parts, self.fields):
            if field.kind == "lit" and part != field.text:
                return False
            if field.kind == "val" and not (part.startswith(field.prefix) and part.endswith(field.suffix)):
                return False
        return True

    def read(self, text: str, pos: int):
        """Read the chunk of lines from ``pos``: returns ``(pieces, end)`` where pieces is a list, in
        file order, of ``("rows", values)`` (rows x value fields, one row per line that fits) and
        ``("line", text)`` (a line of another shape, for the grammar's slow path); None when the
        first line does not fit."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        first_end = text.find("\n", pos)
        if not self.fits(text[pos:first_end if first_end >= 0 else len(text)]):
            return None
        end = min(len(text), pos + self.chunk)
        if end < len(text):
            cut = text.rfind("\n", pos, end)
            if cut < 0:
                return None
            end = cut + 1
        data = text[pos:end].encode("utf-8")
        bad_rows: list[int] = []

        def invalid(row) -> str:
            bad_rows.append(row.number)
            return "skip"

        names = [f"f{i}" for i in range(len(self.fields))]
        needed = [names[i] for i, f in enumerate(self.fields) if f.kind == "val" or f.kind == "lit" and f.key]
        # Single-threaded on purpose: it numbers the rows it skips (lines of another shape), and on a
        # shared machine Arrow's threads gained nothing in the benchmark.
        try:
            table = pacsv.read_csv(
                pa.py_buffer(data),
                read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                               block_size=max(1 << 20, min(len(data) // 2, 16 << 20))),
                parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False, escape_char=False,
                                                 ignore_empty_lines=False, invalid_row_handler=invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in needed},
                                                     include_columns=needed, strings_can_be_null=False,
                                                     quoted_strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
            self.chunk = MIN_CHUNK
            return None
        n = table.num_rows
        ok = np.ones(n, dtype=bool)
        cores = []
        for i, field in enumerate(self.fields):
            if field.kind == "skip" or field.kind == "lit" and not field.key:
                continue
            col = table.column(names[i])
            if field.kind == "lit":
                ok &= pc.equal(col, field.text).to_numpy(zero_copy_only=False)
                continue
            if field.prefix:  # "train_loss:0.52" and "val_loss:0.61" have the same field count
                ok &= pc.starts_with(col, field.prefix).to_numpy(zero_copy_only=False)
            if field.suffix:
                ok &= pc.ends_with(col, field.suffix).to_numpy(zero_copy_only=False)
            cores.append(pc.utf8_slice_codeunits(col, len(field.prefix),
                                                 -len(field.suffix) if field.suffix else 1 << 30))
        values = np.empty((n, len(cores)), dtype=np.float64)
        for j, core in enumerate(cores):
            try:
                values[:, j] = pc.cast(core, pa.float64()).to_numpy(zero_copy_only=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                good = pc.match_substring_regex(core, _NUMBER_RE2).to_numpy(zero_copy_only=False)
                ok &= good
                cleaned = pc.if_else(pa.array(good), core, pa.scalar("nan"))
                values[:, j] = pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False)
        n_lines = n + len(bad_rows)
        # file line (0-based in the chunk) of each parsed row: the lines Arrow skipped are the others
        skipped = np.zeros(n_lines, dtype=bool)
        skipped[np.asarray(bad_rows, dtype=np.int64) - 1] = True
        row_line = np.flatnonzero(~skipped)
        slow = skipped.copy()
        slow[row_line[~ok]] = True
        if slow[0]:
            self.chunk = MIN_CHUNK
            return None
        consumed = len(data) if data.isascii() else len(data.decode("utf-8"))
        if not slow.any():  # the common case: every line of the chunk has the shape
            self.chunk = min(MAX_CHUNK, self.chunk * 4)
            return [("rows", values[ok])], pos + consumed
        starts = _line_starts(data, n_lines)
        pieces: list = []
        row_of_line = np.full(n_lines, -1, dtype=np.int64)
        row_of_line[row_line] = np.arange(n)
        edges = np.flatnonzero(np.diff(slow.astype(np.int8))) + 1
        bounds = [0, *edges.tolist(), n_lines]
        for a, b in zip(bounds[:-1], bounds[1:]):
            if slow[a]:
                for k in range(a, b):
                    pieces.append(("line", data[starts[k]:starts[k + 1]].decode("utf-8").rstrip("\n")))
            else:
                pieces.append(("rows", values[row_of_line[a]:row_of_line[b - 1] + 1][ok[row_of_line[a]:row_of_line[b - 1] + 1]]))
        self.chunk = min(MAX_CHUNK, self.chunk * 4)  # the whole chunk was used: read more next time
        return pieces, pos + consumed


def _line_starts(data: bytes, n_lines: int) -> np.ndarray:
    """Byte offsets where each of the first n lines starts, plus the end of the last one."""
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    starts = np.empty(n_lines + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:n_lines] + 1
    return starts


def _nth_newline_end(data: bytes, k: int) -> int:
    """Byte offset just after the k-th newline of ``data``."""
    pos = 0
    if k > 1000:
        arr = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(arr == 10)
        return int(newlines[k - 1]) + 1
    for _ in range(k):
        pos = data.index(b"\n", pos) + 1
    return pos
