"""Delimited text (CSV/TSV/semicolon) -> :class:`Table`, fast and forgiving.

Speed: the body is parsed by pyarrow's multi-threaded CSV reader (the engine behind
``pandas.read_csv(engine="pyarrow")``) and columns go straight to numpy; no per-row Python.
Arrow keeps a null mask apart from the values, so an empty cell (a sparse Lightning row) stays
"missing" while a ``nan``/``inf`` written in the log stays a real, flagged value.

Forgiveness: BOM and latin-1 (see :mod:`.source`), CRLF and CR-CR-LF, padded headers and cells
(YOLO), leading ``#`` comment lines (incl. the ``# trueloss-dash:`` provenance header), comment
lines mid-file, an unnamed pandas index column, text columns (dates, ``mm:ss`` durations) and a
few stray non-numeric cells (read as missing, with a warning naming rows and column).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import numpy as np

from ..columns import canonical_series, canonical_x, fold, looks_like_loss
from ..errors import LogFormatError
from ..provenance import parse_header
from ..run import RunContext
from .limits import MAX_COLUMNS, MAX_CUT_ROWS, MAX_CUT_ROWS_SHARE
from .source import Source
from .table import MAX_LISTED, Table

DELIMITERS = (",", "\t", ";", "|")
NULL_TOKENS = ["", "null", "None", "NA", "N/A", "n/a", "-"]
_NON_BLANK = re.compile(rb"[^\s]")
_COMMENT_LINE = re.compile(rb"(?m)^[ \t]*#")
_TENSOR_CELL = re.compile(r"^\s*tensor\(\s*([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|nan|inf))\s*(?:,.*)?\)\s*$")
_DURATION = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)\s*$")


@dataclass
class Header:
    """What the first lines say: delimiter, column names, provenance, comment lines skipped."""

    delimiter: str
    columns: list[str]
    header_line: int  # 0-based line index of the column names
    body_offset: int  # byte offset of the first data line
    context: RunContext | None = None
    meta: dict = field(default_factory=dict)


def _lines_with_offsets(data: bytes, limit: int = 64):
    """First ``limit`` lines (without EOL) with the byte offset just after each."""
    out, pos = [], 0
    while pos < len(data) and len(out) < limit:
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl + 1
        out.append((data[pos:end].rstrip(b"\r\n").rstrip(b"\r"), end))
        pos = end
    return out


def sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits the header and the following lines into the same field count."""
    if not lines:
        return None
    best, best_score = None, 0.0
    for d in DELIMITERS:
        counts = [_field_count(line, d) for line in lines[:30]]
        if counts[0] < 2:
            continue
        agree = sum(1 for c in counts[1:] if c == counts[0]) / max(1, len(counts) - 1)
        score = agree * 10 + min(counts[0], 50) / 50
        if len(counts) == 1:
            score = 1 + counts[0] / 100
        if score > best_score:
            best, best_score = d, score
    if best is None:
        # A single column ("loss\n0.5\n0.4") is still a table.
        first = lines[0].strip()
        if first and re.fullmatch(r"[A-Za-z_][\w/ .()-]*", first):
            return ","
    return best


def _field_count(line: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return line.count(delimiter) + 1


def read_header(source: Source, *, raw: bool = False) -> Header | None:
    """Locate the header line (after comment lines) and sniff the delimiter; None if not a table.

    ``raw=True`` looks only at the file's first 64 KB as stored (offsets count a BOM), which is
    what the zero-copy path needs; otherwise the decoded UTF-8 content is used.
    """
    if raw:
        data = source.head
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    else:
        data, start = source.utf8(), 0
    lines = [(ln, end) for ln, end in _lines_with_offsets(data[start:], 64)]
    lines = [(_decode(ln), end + start) for ln, end in lines]
    context, meta = None, {}
    idx = 0
    while idx < len(lines):
        raw_line = lines[idx][0].strip()
        if raw_line.startswith("#"):
            parsed = parse_header(raw_line)
            if parsed and context is None:
                context, meta = parsed
            idx += 1
            continue
        if raw_line == "":
            idx += 1
            continue
        break
    if idx >= len(lines):
        return None
    text_lines = [ln for ln, _ in lines[idx:]]
    text_lines = [t for t in text_lines if t.strip() and not t.lstrip().startswith("#")]
    delimiter = sniff_delimiter(text_lines)
    if delimiter is None:
        return None
    try:
        names = next(csv.reader([text_lines[0]], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    return Header(
        delimiter=delimiter,
        columns=_unique([n.strip().strip('"').strip() for n in names]),
        header_line=idx,
        body_offset=lines[idx][1],
        context=context,
        meta=meta,
    )


def read_header_from_head(source: Source) -> Header | None:
    """:func:`read_header` of the decoded file, worked out from its 64 KB head alone when that holds
    the 64 lines it looks at (see :meth:`Source.head_lines`: the same lines, the same offsets); else
    from the whole file, as :func:`read_header` does. A big table on disk is then not read into memory
    before :func:`read_table` parses it from a memory map."""
    if source.head_lines(64) is not None:
        return read_header(source, raw=True)
    return read_header(source)


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def read_table(source: Source, header: Header | None = None) -> tuple[Table, Header, list[str], list[str]]:
    """Parse the whole file. Returns the table, its header, notes and warnings."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if header is None and source.path is not None and not source.loaded:
        fast = _read_mapped(source)
        if fast is not None:
            return fast
    header = header or read_header(source)
    if header is None:
        raise source.error("no header line with column names found; expected a CSV/TSV table")
    if len(header.columns) > MAX_COLUMNS:
        raise source.error(
            f"{len(header.columns)} columns, more than the limit of {MAX_COLUMNS}; "
            "expected a training log with one column per metric",
            row=header.header_line + 1,
        )
    if header.columns[:3] == ["Name", "State", "Notes"]:
        raise source.error(
            "a W&B runs table (Name, State, Notes, ...: one row per run with its config and final values), not "
            "a training history; expected one row per epoch or step (from W&B: a chart's 'Export CSV' or the "
            "run's history)", row=header.header_line + 1)
    notes: list[str] = list(source.notes)
    warnings: list[str] = []
    data = source.utf8()
    first_row = header.header_line + 2
    if not _NON_BLANK.search(data, header.body_offset):
        raise source.error(
            f"header only ({_column_summary(header.columns)}), no data rows; expected one row per epoch or step"
        )
    body = memoryview(data)[header.body_offset:]
    # '#' is rare in numeric logs, so a memchr-speed find rules comment lines out almost for free.
    if data.find(b"#", header.body_offset) >= 0 and _COMMENT_LINE.search(data, header.body_offset):
        all_lines = bytes(body).split(b"\n")
        kept = [ln for ln in all_lines if not ln.lstrip().startswith(b"#")]
        notes.append(f"{len(all_lines) - len(kept)} comment lines starting with '#' skipped")
        body = memoryview(b"\n".join(kept))
    ncols = len(header.columns)
    names = [f"__col{i}" for i in range(ncols)]

    def parse(buffer):
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(buffer)),
            read_options=pacsv.ReadOptions(column_names=names, block_size=4 << 20),
            parse_options=pacsv.ParseOptions(delimiter=header.delimiter),
            convert_options=pacsv.ConvertOptions(
                null_values=NULL_TOKENS, strings_can_be_null=True, quoted_strings_can_be_null=True
            ),
        )

    try:
        arrow = parse(body)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        # a few cut lines first (they are not a kind of rows), then rows of a few kinds, else refused
        blanked = _blank_cut_rows(header, bytes(body), first_row, warnings)
        if blanked is None:
            ragged = _read_record_kinds(source, header, bytes(body), first_row, notes, warnings)
            if ragged is not None:
                return ragged, header, notes, warnings
            raise _shape_error(source, header, bytes(body), first_row, err) from None
        try:
            arrow = parse(blanked)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            raise _shape_error(source, header, bytes(body), first_row, err) from None
    table = Table(first_row=first_row)
    for i, col in enumerate(header.columns):
        _add_column(table, col, arrow.column(i), source, notes, warnings)
        if i == 0 and col not in table.columns:
            _refuse_item_table(source, header, col, arrow.column(0).to_pylist())
    _index_column(table, notes)
    return table, header, notes, warnings


#: A first column of distinct names with no digit in any (tickers, class or model names) labels items.
_ITEM_NAME = re.compile(r"^[^\d\s][^\d]{0,30}$")
ITEM_TABLE_MIN_ROWS = 10


def _refuse_item_table(source: Source, header: Header, name: str, cells: list) -> None:
    """A table whose first column names a different item on every row ('Stock': A, AAL, AAP, ... -
    467 per-stock models' final test losses) and that has no epoch or step column holds one row per
    model, not one per epoch: its row order is the alphabet, not training time. Names with digits are
    left alone (dates, 'epoch_3', run ids with counters order the rows)."""
    text = [None if c is None else str(c).strip() for c in cells]
    if len(text) < ITEM_TABLE_MIN_ROWS or any(not t for t in text) or len(set(text)) != len(text):
        return
    if not all(_ITEM_NAME.match(t) for t in text) or any(canonical_x(c) is not None for c in header.columns):
        return
    examples = ", ".join(repr(t) for t in text[:3])
    raise source.error(
        f"one row per item: the first column '{name}' names {len(text)} different items ({examples}, ...) and "
        "there is no epoch or step column, so the rows are separate models or settings with their final values, "
        "not a training history; expected one row per epoch or step", column=name)


def _read_mapped(source: Source):
    """Zero-copy fast path for files on disk: pyarrow parses a memory map of the file.

    Returns None whenever anything is unusual (text columns, comment lines mid-file, ragged rows,
    encodings) so the careful path re-reads the file and gives the precise message.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = read_header(source, raw=True)
    if header is None or source.loaded or len(header.columns) > MAX_COLUMNS:
        return None  # transcoded (UTF-16) or refused: the careful path says why
    try:
        with pa.memory_map(str(source.path)) as mm:
            buf = mm.read_buffer()
            if buf.size <= header.body_offset or buf.size > source.max_bytes:
                return None
            arrow = pacsv.read_csv(
                pa.BufferReader(buf.slice(header.body_offset)),
                read_options=pacsv.ReadOptions(
                    column_names=[f"__col{i}" for i in range(len(header.columns))], block_size=4 << 20
                ),
                parse_options=pacsv.ParseOptions(delimiter=header.delimiter),
                convert_options=pacsv.ConvertOptions(
                    null_values=NULL_TOKENS, strings_can_be_null=True, quoted_strings_can_be_null=True
                ),
            )
    except (pa.ArrowException, OSError, ValueError):
        return None
    if arrow.num_rows == 0 or any(pa.types.is_string(t) or pa.types.is_large_string(t) for t in arrow.schema.types):
        return None
    notes: list[str] = ["UTF-8 byte-order mark removed"] if source.head.startswith(b"\xef\xbb\xbf") else []
    warnings: list[str] = []
    try:
        source.head[: header.body_offset].decode("utf-8")
    except UnicodeDecodeError:
        notes.append("file is not valid UTF-8; decoded as latin-1")
    table = Table(first_row=header.header_line + 2)
    for i, col in enumerate(header.columns):
        _add_column(table, col, arrow.column(i), source, notes, warnings)
    _index_column(table, notes)
    return table, header, notes, warnings


MAX_RECORD_KINDS = 3  # field counts a ragged table may have (more: a broken file, refused)
MAX_RAGGED_BYTES = 64 * 1024 * 1024  # read row by row in Python: bigger ragged files are refused


def _read_record_kinds(source: Source, header: Header, body: bytes, first_row: int, notes: list[str],
                       warnings: list[str]) -> Table | None:
    """A table whose rows come in a few kinds told apart by their field count - per-batch rows
    like the header and per-epoch summary rows with more fields (``1,summary,1.98,0.30,6986``
    under ``Epoch,Batch,Loss``). Each kind is read into its own columns: the header's x columns
    (epoch, step) are shared, a field holding one word in every row of a kind (``summary``)
    names that kind, and its other fields become ``<kind> <header name>`` (``<kind> field N``
    past the header). None when the rows are not like that (one odd row is a broken row, not a
    kind): the caller then refuses the file naming the first row that does not fit."""
    if len(body) > MAX_RAGGED_BYTES:
        return None
    ncols = len(header.columns)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8", errors="replace")), delimiter=header.delimiter))
    counts: dict[int, int] = {}
    for fields in rows:
        if fields:
            counts[len(fields)] = counts.get(len(fields), 0) + 1
    others = sorted(c for c in counts if c != ncols)
    if ncols not in counts or not others or len(counts) > MAX_RECORD_KINDS or any(counts[c] < 2 for c in others):
        return None
    n = len(rows)
    is_x = [canonical_x(name) is not None for name in header.columns]
    columns: dict[str, list] = {name: [None] * n for name in header.columns}
    for i, fields in enumerate(rows):
        if len(fields) == ncols:
            for j, cell in enumerate(fields):
                columns[header.columns[j]][i] = cell
    described = []
    for count in others:
        at = [i for i, fields in enumerate(rows) if len(fields) == count]
        tag_field, tag = _kind_tag([rows[i] for i in at])
        kind = tag if tag is not None else f"{count}-field rows"
        names = []
        for j in range(count):
            if j == tag_field:
                continue
            if j < ncols and is_x[j]:
                name = header.columns[j]  # the x axis is shared by every kind
            else:
                name = f"{kind} {header.columns[j]}" if j < ncols else f"{kind} field {j + 1}"
                if name in columns:
                    return None
                columns[name] = [None] * n
                names.append(name)
            for i in at:
                columns[name][i] = rows[i][j]
        where = f"'{tag}' in field {tag_field + 1}" if tag is not None else "no word naming them"
        described.append(f"{counts[count]} rows of {count} fields ({where}) read as {', '.join(repr(x) for x in names)}")
    table = Table(first_row=first_row)
    for name, cells in columns.items():
        _add_text_column(table, name, cells, source, notes, warnings)
    warnings.append(
        f"rows come in {len(counts)} kinds by their number of fields: {counts[ncols]} rows of {ncols} fields like the "
        f"header; " + "; ".join(described) + " - each kind in its own series")
    _index_column(table, notes)
    return table


def _blank_cut_rows(header: Header, body: bytes, first_row: int, warnings: list[str]) -> bytes | None:
    """The body with a few cut lines (fewer fields than the header: a write interrupted, then the
    log resumed on the same file) blanked, each named in a warning; None when the table is broken
    in another way (a longer row, or more cut rows than ``MAX_CUT_ROWS``), which is refused.

    A blanked line keeps its place as a row of empty cells, so the rows after it keep their numbers."""
    ncols = len(header.columns)
    lines = body.split(b"\n")
    cut: list[tuple[int, int]] = []  # (line index, its field count)
    rows = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        rows += 1
        fields = next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=header.delimiter), [])
        if len(fields) > ncols:
            return None
        if len(fields) < ncols:
            cut.append((i, len(fields)))
            if len(cut) > MAX_CUT_ROWS:
                return None
    if not cut or len(cut) > MAX_CUT_ROWS_SHARE * rows:
        return None
    for i, nfields in cut:
        warnings.append(f"row {first_row + i} skipped: {nfields} fields where the header has {ncols} "
                        f"(a line cut by an interrupted write); the rows around it are read")
        lines[i] = header.delimiter.encode() * (ncols - 1)
    return b"\n".join(lines)


def _kind_tag(rows: list[list[str]]) -> tuple[int | None, str | None]:
    """The first field holding the same word (not a number) in every row of a kind, and that word."""
    for j in range(len(rows[0])):
        word = rows[0][j].strip()
        if word and not is_number(word) and all(r[j].strip() == word for r in rows):
            return j, word
    return None, None


def is_number(text: str) -> bool:
    """A cell that reads as a number (``float`` accepts it: ``1e-3``, ``nan``, ``-inf``)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _shape_error(source: Source, header: Header, body: bytes, first_row: int, err: Exception) -> LogFormatError:
    """Find the first row whose field count differs from the header (for a precise message)."""
    ncols = len(header.columns)
    text = body.decode("utf-8", errors="replace")
    for i, fields in enumerate(csv.reader(io.StringIO(text), delimiter=header.delimiter)):
        if fields and len(fields) != ncols:
            return source.error(
                f"found {len(fields)} fields, expected {ncols} like the header ({header.delimiter!r}-separated)",
                row=first_row + i,
            )
    return source.error(f"cannot parse the table ({str(err).splitlines()[0][:200]})")


def _add_column(table: Table, name: str, column, source: Source, notes: list[str], warnings: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    typ = column.type
    if column.null_count == len(column):
        table.add(name, np.full(len(column), np.nan), np.zeros(len(column), dtype=bool))
        return
    present = None if column.null_count == 0 else column.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_boolean(typ) or pa.types.is_decimal(typ):
        if not pa.types.is_floating(typ):
            column = column.cast(pa.float64())
        table.add(name, column.to_numpy(zero_copy_only=False), present)
        return
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        seconds = pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64()).to_numpy(zero_copy_only=False) / 1e6
        table.add(name, seconds.astype(np.float64), present)
        notes.append(f"'{name}' read as date/time (seconds since 1970)")
        return
    if pa.types.is_time(typ):
        micros = pc.cast(pc.cast(column, pa.time64("us")), pa.int64()).to_numpy(zero_copy_only=False)
        secs = micros.astype(np.float64) / 1e6
        if np.all(np.nan_to_num(secs) % 60 == 0):
            # Arrow reads "04:39" as 04h39; in training logs two fields are a duration mm:ss (fastai).
            secs = secs / 60
        table.add(name, secs, present)
        notes.append(f"'{name}' holds durations (mm:ss); read as seconds")
        return
    _add_text_column(table, name, column.to_pylist(), source, notes, warnings)


def _add_text_column(table: Table, name: str, cells: list, source: Source, notes: list[str], warnings: list[str]) -> None:
    """A column arrow could not type: durations, dates, or numbers with a few stray cells."""
    import pandas as pd

    text = pd.Series([None if c is None else str(c).strip() for c in cells], dtype=object)
    filled = text.notna() & (text != "")
    tensors = text.where(filled).str.match(_TENSOR_CELL.pattern).fillna(False)
    if filled.any() and tensors[filled].all():  # "tensor(0.52, grad_fn=<...>)": a PyTorch scalar written as text
        text = text.where(~filled, text.str.extract(_TENSOR_CELL.pattern)[0])
        notes.append(f"'{name}' holds PyTorch tensor(...) text; the numbers inside were read")
    values = pd.to_numeric(text.where(filled), errors="coerce").to_numpy(dtype=np.float64)
    bad = filled.to_numpy() & np.isnan(values)
    # Literal nan tokens are values, not stray text.
    nan_token = text.str.lower().isin(["nan", "+nan", "-nan"]).to_numpy()
    bad &= ~nan_token
    n_filled = int(filled.sum())
    if n_filled and bad.sum() == 0:
        table.add(name, values, filled.to_numpy())
        return
    durations = text[filled].str.match(_DURATION.pattern)
    if n_filled and durations.all():
        parts = text.where(filled).str.extract(_DURATION.pattern)
        secs = parts[0].astype(float).fillna(0) * 3600 + parts[1].astype(float) * 60 + parts[2].astype(float)
        table.add(name, secs.to_numpy(dtype=np.float64), filled.to_numpy())
        notes.append(f"'{name}' holds durations (mm:ss); read as seconds")
        return
    if n_filled and bad.sum() > n_filled / 2 and canonical_x(name) is not None:
        import warnings as _warnings

        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # "could not infer format": dateutil per cell is fine here
            stamps = pd.to_datetime(text.where(filled), errors="coerce", utc=True)
        if stamps.notna().sum() >= n_filled * 0.9:
            secs = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=np.float64)
            table.add(name, secs, stamps.notna().to_numpy())
            notes.append(f"'{name}' read as date/time (seconds since 1970)")
            return
    rows = np.flatnonzero(bad)
    quoted = ", ".join(f"{table.row_label} {table.first_row + i}: {text[i]!r}" for i in rows[:MAX_LISTED])
    if bad.sum() <= n_filled / 2:
        warnings.append(
            f"column '{name}': {int(bad.sum())} non-numeric cells read as missing ({quoted}); expected numbers"
        )
        table.add(name, values, filled.to_numpy() & ~bad)
        return
    if looks_like_loss(name) or canonical_series(name) is not None:
        first = int(rows[0])
        raise source.error(
            f"found {text[first]!r}, expected a number ({int(bad.sum())} of {n_filled} cells in this column are not numbers)",
            row=table.first_row + first,
            column=name,
        )
    if fold(name) in _RUN_NAME_COLUMNS and n_filled == len(text) >= 2 and text.nunique() > n_filled / 2:
        # A W&B runs table or an ablation summary: each row is another run's final values (a run name
        # may repeat for a re-run), and the row index across runs is no training axis. A stacked
        # multi-run history repeats each name on many rows.
        examples = ", ".join(repr(v) for v in text[:2])
        raise source.error(
            f"one row per run: column '{name}' names {text.nunique()} different runs in {n_filled} rows "
            f"({examples}, ...), so this is a "
            "table of final values, not a training history; expected one row per epoch or step (from W&B: a "
            "chart's 'Export CSV' or the run's history)", column=name)
    notes.append(f"text column '{name}' ignored (values like {text[int(rows[0])]!r})")


# Header of a column that names the run a row belongs to (folded as columns.fold does).
_RUN_NAME_COLUMNS = frozenset({"name", "run", "runname", "runid", "experiment", "experimentname", "exp", "expname"})


def table_present_any(values: np.ndarray | None, present: np.ndarray | None) -> bool:
    """Some cell of a column held a value."""
    if present is not None:
        return bool(present.any())
    return values is not None and len(values) > 0 and not bool(np.all(np.isnan(values)))


def _index_column(table: Table, notes: list[str]) -> None:
    """``pd.DataFrame(history).to_csv()`` writes an unnamed 0..n-1 index first: use it as epoch."""
    for name in list(table.columns):
        if name != "" and not name.startswith("Unnamed:"):
            continue
        values = table.columns[name]
        held = table_present_any(values, table.present.get(name))
        n = len(values)
        is_index = table.present.get(name) is None and n > 0 and (
            np.array_equal(values, np.arange(n)) or np.array_equal(values, np.arange(1, n + 1))
        )
        has_epoch = any(canonical_x(c) == "epoch" for c in table.columns if c != name)
        table.drop(name)
        if is_index and not has_epoch:
            cols = {"epoch": values, **table.columns}
            present = {"epoch": None, **table.present}
            table.columns, table.present = cols, present
            notes.append("unnamed leading index column (pandas to_csv) read as epoch")
        elif not held:
            notes.append(f"empty unnamed column '{name}' dropped (every line ends with a delimiter)" if name
                         else "empty unnamed column dropped (every line ends with a delimiter)")
        else:
            notes.append("unnamed column dropped (looks like a pandas index)")


def _column_summary(columns: list[str], *, limit: int = 8, width: int = 40) -> str:
    """The header's column names for a message, kept short: a 'header' that is really a whole file
    without line breaks (a log written with no newline) would otherwise quote every byte of it."""
    names = [c if len(c) <= width else c[: width - 3] + "..." for c in columns[:limit]]
    more = len(columns) - limit
    return ", ".join(names) + (f", ... and {more} more" if more > 0 else "")
