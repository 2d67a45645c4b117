"""The text reader's block fast path must give exactly what the line-by-line grammar gives.

``TextLogParser(fast=False)`` reads every line through the grammar; the default parser reads runs
of lines of one shape as blocks. Both read every text file of the ingestion corpus and of
``../shared/real_logs``, plus variants of them (numbers perturbed, lines dropped/duplicated,
separators and spacing changed, chunked feeds), and must agree on every record, counter, series,
warning and refusal.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest.textparser import TextLogParser

ROOT = Path(__file__).resolve().parent
TEXT_DIRS = [ROOT / "data" / "corpus", ROOT.parent.parent / "shared" / "real_logs"]
MAX_FILE_BYTES = 2_000_000
VARIANT_LINES = 200  # variants are made of a file's head (the whole corpus is read unchanged above)


def _text_files() -> list[Path]:
    out = []
    for root in TEXT_DIRS:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                continue
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append(path)
    return out


def read_both(text: str, chunks: list[int] | None = None):
    """(fast parser, reference parser) after reading ``text`` (the fast one in chunks if given)."""
    fast, ref = TextLogParser(), TextLogParser(fast=False)
    if chunks:
        pos, i = 0, 0
        while pos < len(text):
            fast.feed_text(text[pos:pos + chunks[i % len(chunks)]])
            pos += chunks[i % len(chunks)]
            i += 1
    else:
        fast.feed_text(text)
    ref.feed_text(text)
    fast.flush()
    ref.flush()
    return fast, ref


def _canon_records(records):
    return [sorted((k, repr(float(v)) if k not in ("run", "line") else int(v)) for k, v in r.items()) for r in records]


def _canon_runs(parser: TextLogParser):
    try:
        runs = parser.runs(name="x", source="x.log")
    except LogFormatError as err:
        return ("refused", str(err))
    out = []
    for run in runs:
        series = {}
        for name, s in run.series.items():
            series[name] = tuple(None if a is None else np.asarray(a, dtype=float).tobytes()
                                 for a in (s.y, s.step, s.epoch, s.wall_time)) + (s.source_column,)
        out.append((run.name, series, list(run.notes), list(run.warnings), sorted(map(str, run.meta.items()))))
    return out


def assert_same(text: str, chunks: list[int] | None = None, label: str = "") -> None:
    fast, ref = read_both(text, chunks)
    assert (fast.lines_read, fast.ignored, fast.first_ignored, fast.progress_skipped, fast.run) == (
        ref.lines_read, ref.ignored, ref.first_ignored, ref.progress_skipped, ref.run), label
    assert _canon_records(fast.take_new()) == _canon_records(ref.take_new()), label
    assert _canon_runs(fast) == _canon_runs(ref), label


FILES = _text_files()


def test_the_corpus_is_there():
    assert len(FILES) > 100


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fast_path_equals_the_grammar_on_real_files(path):
    text = path.read_text(encoding="utf-8")
    assert_same(text, label=str(path))


def _variants(text: str, rng: random.Random) -> list[str]:
    lines = text.splitlines()
    out = []
    if not lines:
        return out
    # numbers perturbed: other digits, other lengths, signs, nan/inf
    def perturb(line: str) -> str:
        chars = list(line)
        for i, c in enumerate(chars):
            if c.isdigit() and rng.random() < 0.3:
                chars[i] = rng.choice("0123456789" + "9" * 3 + "." + "") if rng.random() < 0.95 else c * 2
        s = "".join(chars)
        if rng.random() < 0.05:
            s = s.replace("0.", "nan", 1) if rng.random() < 0.5 else s.replace("0.", "-inf", 1)
        return s
    out.append("\n".join(perturb(ln) for ln in lines) + "\n")
    # lines dropped and duplicated, a restart in the middle
    kept = [ln for ln in lines if rng.random() > 0.1]
    mid = len(kept) // 2
    out.append("\n".join(kept[:mid] + kept[: max(1, mid // 3)] + kept[mid:]) + "\n")
    # spacing and separators changed on some lines
    swaps = [(" ", "  "), (", ", ","), (": ", ":"), ("=", ": "), (" ", "\t"), ("loss", "val loss"), ("train", "val")]
    def respace(line: str) -> str:
        if rng.random() < 0.15:
            a, b = rng.choice(swaps)
            return line.replace(a, b, 1)
        return line
    out.append("\n".join(respace(ln) for ln in lines) + "\n")
    return out


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix in (".txt", ".log", "")],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fast_path_equals_the_grammar_on_fuzzed_variants(path):
    text = "\n".join(path.read_text(encoding="utf-8").splitlines()[:VARIANT_LINES]) + "\n"
    rng = random.Random(path.name)
    for k, variant in enumerate(_variants(text, rng)):
        assert_same(variant, label=f"{path} variant {k}")
    assert_same(text, chunks=[rng.randint(1, 4000) for _ in range(7)], label=f"{path} chunked")


# -- generated logs that keep the block path busy ------------------------------------------------
TEMPLATES = [
    "2024-05-01 10:{mm}:{ss},123 - INFO - step {i}: train loss {a}, lr {b}, time {c}ms",
    "Epoch {i}, loss: {a}, val_loss: {b}, acc: {c}%",
    "step {i}: train loss {a}, val loss {b}",
    "iter {i}: loss {a}, time {c}ms",
    "| epoch {i} | loss {a} | lr {b} | wps {c}",
    "[Rank 0] step {i} loss={a} grad_norm={b}",
    "INFO:root:Epoch {i}: Train Loss={a}, Val Loss={b}",
    "epoch {i}  loss {a}  lr {b}",
    "step {i}\tloss {a}\tlr {b}",
    "Test: step {i} loss {a} acc {c}",
    "{mm}:{ss} loss {a} step {i}",
    "train_loss: {a} epoch {i} top1 {c}",
    "[{i}/5000] loss: {a} lr: {b}",
    "epoch {i}/500 loss {a} acc {c}",
]
ODD_LINES = [
    "", "Saving checkpoint to out/ckpt.pt", "WARNING: something odd 12", "===== Training Loss (Mon) =====",
    "step 3: val loss 1.5", "Traceback (most recent call last):", "loss: 0.5", "  step 7: train loss 0.3, lr 1e-3",
]


def _number(rng: random.Random, i: int) -> str:
    r = rng.random()
    if r < 0.6:
        return f"{rng.uniform(0, 3):.{rng.randint(0, 6)}f}"
    return rng.choice(["nan", "inf", "-inf", "NaN", "-0.5", "+1", "1e-05", "2.5E+3", "5.", ".5", "1,234", "0",
                       "1" * rng.randint(1, 9), "-1e3", "nan(1)", "1_0", "0x5", "Infinity", "infinit", "1.2.3"])


def _generated_log(seed: int) -> str:
    rng = random.Random(seed)
    template = TEMPLATES[seed % len(TEMPLATES)]
    lines, i = [], rng.randint(0, 5)
    for _ in range(rng.randint(250, 800)):
        i += 1 if rng.random() > 0.01 else -rng.randint(0, i)  # now and then a restart
        odd = rng.random() < 0.03
        vals = {k: (f"{rng.uniform(0, 3):.4f}" if rng.random() > 0.08 else _number(rng, i)) for k in "abc"}
        line = template.format(i=i if rng.random() > 0.01 else _number(rng, i), mm=f"{(i // 60) % 60:02d}",
                               ss=f"{i % 60:02d}", **vals)
        if odd:
            edits = [(" ", "  "), ("loss", "val loss"), (":", ""), (",", ""), ("INFO", "ERROR"), ("1", "x")]
            line = rng.choice(ODD_LINES) if rng.random() < 0.6 else line.replace(*rng.choice(edits), 1)
        lines.append(line)
    return "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")


@pytest.mark.parametrize("seed", range(16))
def test_fast_path_equals_the_grammar_on_generated_logs(seed):
    text = _generated_log(seed)
    fast, _ = read_both(text)
    assert_same(text, label=f"seed {seed}")
    rng = random.Random(seed)
    assert_same(text, chunks=[rng.randint(500, 20000) for _ in range(5)], label=f"seed {seed} chunked")


def test_generated_logs_do_take_the_block_path():
    taken = 0
    for seed in range(len(TEMPLATES)):
        fast, _ = read_both(_generated_log(seed))
        taken += bool(fast._blocks)
    assert taken >= len(TEMPLATES) - 3


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_two_thread_chunks_equal_the_grammar(seed, monkeypatch):
    """Big chunks are read as two halves on two threads; force that on a small log."""
    from trueloss_dash.ingest import textcolumns

    monkeypatch.setattr(textcolumns, "PARALLEL_BYTES", 2048)
    text = _generated_log(seed)
    assert_same(text, label=f"seed {seed} two threads")


def _columns_from_records(records: list[dict]):
    """The reference for ``TextLogParser.columns()``: one record at a time into NaN columns."""
    n = len(records)
    runs = [int(r["run"]) for r in records]
    cols: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for row, rec in enumerate(records):
        for key, value in rec.items():
            if key in ("run", "line"):
                continue
            if key not in cols:
                cols[key] = (np.full(n, np.nan), np.zeros(n, dtype=bool))
            cols[key][0][row] = value
            cols[key][1][row] = True
    return runs, cols


def _assert_columns_match_records(parser: TextLogParser, label: str) -> None:
    runs, cols = parser.columns()
    ref_runs, ref_cols = _columns_from_records(parser.take_new())
    assert runs == ref_runs, label
    assert list(cols) == list(ref_cols), label  # key order decides which alias names a series
    for key, (values, present) in cols.items():
        ref_values, ref_present = ref_cols[key]
        assert np.array_equal(present, ref_present), (label, key)
        assert values.tobytes() == ref_values.tobytes(), (label, key)  # NaN gaps and NaN values alike


@pytest.mark.parametrize("seed", range(8))
def test_columns_of_blocks_and_records_equal_the_records_one_by_one(seed):
    """The columns are assembled from blocks (slices) and single records (scattered at once); both
    parsers must give what the records, placed one at a time, give."""
    text = _generated_log(seed)
    fast, ref = read_both(text)
    _assert_columns_match_records(fast, f"seed {seed} fast")
    _assert_columns_match_records(ref, f"seed {seed} grammar")


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix in (".txt", ".log", "")][:40],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_columns_equal_the_records_one_by_one_on_real_files(path):
    fast, _ = read_both(path.read_text(encoding="utf-8"))
    _assert_columns_match_records(fast, str(path))


@pytest.mark.parametrize("rows, want", [
    ([b"loss"] * 5, b"loss"),
    ([b"loss", b"loss", b"lost", b"loss"], b"loss"),
    ([b"a", b"bab"], b"ab"),  # same total length and same bytes end to end, other rows
    ([b"ab", b"ab", b"a", b"b"], b"ab"),
    ([b"", b"", b""], b""),
    ([b"", b"x", b""], b""),
    ([b"-"] * 3 + [b"+"], b"-"),
])
def test_a_word_column_is_checked_row_by_row_whatever_its_bytes_end_to_end(rows, want):
    """The word check takes a whole column at once when every row is the word; it must never
    take a row that is not (lengths that add up, bytes that match end to end)."""
    import pyarrow as pa

    from trueloss_dash.ingest.textcolumns import _equal

    expected = [r == want for r in rows]
    whole = pa.array(rows, pa.binary())
    assert _equal(whole, want.decode()).tolist() == expected
    assert _equal(pa.chunked_array([whole[:2], whole[2:]]), want.decode()).tolist() == expected
    assert _equal(whole[1:], want.decode()).tolist() == expected[1:]  # an offset slice


@pytest.mark.parametrize("seed", range(4))
def test_keys_are_the_keys_of_the_records(seed):
    """The sniffer asks ``keys()`` whether any line holds a loss; it must be the records' keys."""
    for parser in read_both(_generated_log(seed)):
        expected = set()
        for record in parser.take_new():
            expected.update(record)
        assert parser.keys() == expected


# -- interleaved line shapes: training rows with a validation (or eval) line every few steps ------
INTERLEAVED = [
    ("2024-05-01 10:{mm}:{ss},123 - INFO - step {i}: train loss {a}, lr {b}, time {c}ms",
     "2024-05-01 10:{mm}:{ss},123 - INFO - step {i}: val loss {a}"),
    ("step {i}: train loss {a}, val loss {b}", "step {i}: val acc {c}%, val acc {a}"),  # a key twice: the first wins
    ("iter {i}: loss {a}, time {c}ms", "iter {i}: eval loss {a}, eval acc {c}"),
    ("[Rank 0] step {i} loss={a} grad_norm={b}", "[Rank 0] step {i} val_loss={a}"),
    ("step {i}\tloss {a}\tlr {b}", "step {i}\tval_loss {a}"),
    ("global_step {i} | loss {a} | lr {b} | tokens {c}", "global_step {i} | val_loss {a} | ppl {c}"),
]


def _interleaved_log(seed: int, n_lines: int | None = None, clean: bool = False) -> str:
    """Training lines with a second line shape every few steps (sometimes at the same step, sometimes
    a step later), odd values now and then, restarts (several runs in one file), banners and prose."""
    rng = random.Random(seed)
    train, val = INTERLEAVED[seed % len(INTERLEAVED)]
    every = rng.choice([1, 2, 3, 7, 50]) if not clean else 7
    odd = 0.0 if clean else 1.0
    lines, i = [], rng.randint(0, 5)
    first = i
    for _ in range(n_lines or rng.randint(300, 1500)):
        i += rng.choice([1, 1, 1, 2, 10])
        if rng.random() < 0.005 * odd:  # now and then a restart: back to the first step, or some way back
            i = first + rng.randint(0, 1) if rng.random() < 0.5 else i - rng.randint(0, i)
        vals = {k: (f"{rng.uniform(0, 3):.4f}" if rng.random() > 0.05 * odd else _number(rng, i)) for k in "abc"}
        fmt = dict(mm=f"{(i // 60) % 60:02d}", ss=f"{i % 60:02d}", **vals)
        lines.append(train.format(i=i if rng.random() > 0.005 * odd else _number(rng, i), **fmt))
        if rng.random() < 1 / every:
            lines.append(val.format(i=i + (0 if rng.random() < 1 - 0.3 * odd else rng.choice([1, -1])), **fmt))
        if rng.random() < 0.004 * odd:
            lines.append(rng.choice(ODD_LINES))
    return "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")


@pytest.mark.parametrize("seed", range(18))
def test_interleaved_shapes_equal_the_grammar(seed):
    text = _interleaved_log(seed)
    assert_same(text, label=f"seed {seed}")
    rng = random.Random(seed)
    assert_same(text, chunks=[rng.randint(300, 30000) for _ in range(5)], label=f"seed {seed} chunked")
    fast, _ = read_both(text)
    _assert_columns_match_records(fast, f"seed {seed} columns")


def test_interleaved_shapes_are_read_as_merged_blocks():
    """The validation lines between the training rows join them in one block (the key that only
    some rows hold is marked per row), not a block per stretch of training lines."""
    text = _interleaved_log(0, n_lines=4000, clean=True)
    fast, ref = read_both(text)
    assert any(present for _, _, present in fast._blocks), "no block holds two line shapes"
    n_val = text.count("val loss")
    assert len(fast._segments) < n_val / 4, (len(fast._segments), n_val)
    assert_same(text, label="merged")


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_interleaved_shapes_resume_across_partial_lines(seed):
    """The folder watcher feeds a growing file: a chunk may end inside a line (kept until the next
    chunk) and take_new hands out the records of the merged blocks as the grammar would."""
    text = _interleaved_log(seed, n_lines=3000)
    rng = random.Random(seed)
    fast, ref = TextLogParser(), TextLogParser(fast=False)
    got, want = [], []
    pos = 0
    while pos < len(text):
        step = rng.randint(1, 60000)
        fast.feed_text(text[pos:pos + step])
        ref.feed_text(text[pos:pos + step])
        got += fast.take_new()
        want += ref.take_new()
        pos += step
    fast.flush()
    ref.flush()
    got += fast.take_new()
    want += ref.take_new()
    assert _canon_records(got) == _canon_records(want)
    assert _canon_runs(fast) == _canon_runs(ref)


def _series_bytes(runs):
    return [({name: tuple(None if a is None else np.asarray(a, dtype=float).tobytes()
                                    for a in (s.y, s.step, s.epoch)) for name, s in run.series.items()},
             list(run.warnings)) for run in runs]


@pytest.mark.parametrize("accent, crlf", [(False, False), (True, False), (False, True), ("middle", False),
                                          ("last", False), (False, "one"), (False, "last"), ("row", False)])
def test_a_big_log_on_disk_reads_like_the_same_bytes_uploaded(tmp_path, accent, crlf):
    """A big ASCII log on disk is parsed from a memory map of the file, its bytes checked as they
    are read; an upload (bytes), or a file with one non-ASCII character or a carriage return
    anywhere (head, a chunk's middle, a line the grammar reads, the last line), takes the
    in-memory paths. All give the same runs."""
    from trueloss_dash.ingest.loader import load_bytes, load_path
    from trueloss_dash.ingest.source import MAP_MIN_BYTES

    text = _interleaved_log(4, n_lines=30000, clean=True)
    lines = text.split("\n")
    middle = len(lines) * 2 // 3
    if accent is True:
        text = text.replace("\n", "\nnote: caf\u00e9 ouvert\n", 1)
    elif accent == "middle":  # a line no shape reads, deep in a chunk
        text = "\n".join(lines[:middle] + ["note: caf\u00e9 ouvert"] + lines[middle:])
    elif accent == "row":  # inside a row of the hot shape
        lines[middle] = lines[middle].replace(" ", " \u00e9", 1)
        text = "\n".join(lines)
    elif accent == "last":  # the last line, without a newline
        text = text.rstrip("\n") + "\nnote: caf\u00e9"
    if crlf is True:
        text = text.replace("\n", "\r\n")
    elif crlf == "one":
        text = "\n".join(lines[:middle]) + "\r\n" + "\n".join(lines[middle:])
    elif crlf == "last":
        text = text.rstrip("\n") + "\r"
    path = tmp_path / "train.log"
    path.write_bytes(text.encode("utf-8"))
    assert path.stat().st_size > MAP_MIN_BYTES
    on_disk = load_path(path)
    uploaded = load_bytes("train.log", text.encode("utf-8"))
    assert _series_bytes(on_disk) == _series_bytes(uploaded)
    assert len(on_disk[0].series["train_loss"]) == 30000 - (accent == "row")  # that row is not a metric line


@pytest.mark.parametrize("rows, template", [
    ([b"2024-05-01"] * 4, "2024-05-01"),  # one value in every row (a date): one compare
    ([b"2024-05-01"] * 3 + [b"2024-05-0x"], "2024-05-01"),
    ([b"2024/05/01"] * 3, "2024-05-01"),  # the same bytes in every row, not the template's
    ([b"10:00:01,123", b"10:59:59,999", b"00:00:00,000"], "10:00:01,123"),  # digits free
    ([b"10:00:01,123", b"10:00:01.123", b"10:00:01,123"], "10:00:01,123"),  # a separator differs
    ([b"10:00:01,123", b"10:0:01,1234", b"10:00:01,123"], "10:00:01,123"),  # widths that add up
    ([b"1:00:01,123", b"10:00:01,1230"], "10:00:01,123"),
    ([b"ab", b"a0", b"0b"], "a0"),
    ([b"\xc3\xa9", b"12"], "12"),
])
def test_a_fixed_width_field_is_checked_row_by_row_digit_for_digit(rows, template):
    """The logging prefix (dates, times) is checked a chunk at a time when every row has its width;
    it must take exactly the rows that equal the template but for their digits."""
    import re

    import pyarrow as pa

    from trueloss_dash.ingest.textcolumns import _mask_check, _mask_regex

    pattern = _mask_regex(template)
    expected = [re.fullmatch(pattern[1:-1], r.decode("latin-1"), re.ASCII) is not None for r in rows]
    whole = pa.array(rows, pa.binary())
    assert _mask_check(whole, template, pattern).tolist() == expected
    assert _mask_check(pa.chunked_array([whole[:2], whole[2:]]), template, pattern).tolist() == expected
    assert _mask_check(whole[1:], template, pattern).tolist() == expected[1:]


@pytest.mark.parametrize("seed", [0, 3])
def test_columns_assembled_on_two_threads_equal_the_records_one_by_one(seed, monkeypatch):
    """A long log assembles its columns on two threads; force that on a small one."""
    from trueloss_dash.ingest import textassemble

    monkeypatch.setattr(textassemble, "PARALLEL_ROWS", 10)
    fast, _ = read_both(_interleaved_log(seed))
    _assert_columns_match_records(fast, f"seed {seed} two-thread columns")
    assert_same(_interleaved_log(seed), label=f"seed {seed} two-thread columns")


def _runs_packed_and_full(parser: TextLogParser, monkeypatch):
    """(runs with keys held by some rows kept packed in the Table, runs with every key spread into a
    full NaN column first) - the layout must not change a value, a note or a warning."""
    packed = _canon_runs(parser)
    original = TextLogParser._columns
    with monkeypatch.context() as m:
        m.setattr(TextLogParser, "_columns", lambda self, pack=False: original(self))
        full = _canon_runs(parser)
    return packed, full


@pytest.mark.parametrize("seed", range(6))
def test_packed_columns_give_the_runs_full_columns_give(seed, monkeypatch):
    for text in (_interleaved_log(seed), _generated_log(seed)):
        for parser in read_both(text):
            packed, full = _runs_packed_and_full(parser, monkeypatch)
            assert packed == full, f"seed {seed}"


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix in (".txt", ".log", "")][:60],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_packed_columns_give_the_runs_full_columns_give_on_real_files(path, monkeypatch):
    fast, _ = read_both(path.read_text(encoding="utf-8"))
    packed, full = _runs_packed_and_full(fast, monkeypatch)
    assert packed == full, str(path)


@pytest.mark.parametrize("rows, prefix, suffix, signed_ok, special_ok", [
    ([b"2.3063,", b"2.2934,", b"0.0001,", b"9.9999,"], "", ",", True, True),
    ([b"2.3063,", b"2.2934;", b"0.0001,"], "", ",", True, True),  # one width, one suffix wrong
    ([b"lr=1e-05", b"lr=2e-05", b"xr=3e-05"], "lr=", "", True, True),  # a prefix wrong
    ([b"-1.50ms", b"+2.50ms", b"03.25ms"], "", "ms", False, True),  # signs where the template had none
    ([b"nan,", b"inf,", b"1.5,", b"-inf"], "", ",", True, True),
    ([b"nan,", b"inf,", b"1.5,"], "", ",", True, False),
    ([b",", b",", b","], "", ",", True, True),  # nothing between the affixes
    ([b"1_0,", b"1 0,", b"0x1,", b"1e5,"], "", ",", True, True),  # float() would take "1_0"; the grammar not
    ([b"12:", b"3:", b"456:"], "", ":", True, True),  # widths differ: row by row
])
def test_a_value_column_of_one_width_reads_like_row_by_row(rows, prefix, suffix, signed_ok, special_ok, monkeypatch):
    """Values of one width are checked and cut as a byte matrix; that must take exactly the rows,
    and give exactly the values, of the row-by-row check (also on a slice and on chunks)."""
    import pyarrow as pa

    from trueloss_dash.ingest import textchecks
    from trueloss_dash.ingest.textcolumns import Field, _numbers

    field = Field("val", prefix=prefix, suffix=suffix, role="m:x", signed_ok=signed_ok, special_ok=special_ok)
    whole = pa.array(rows, pa.binary())
    inputs = [whole, whole[1:], pa.chunked_array([whole[:2], whole[2:]])]
    fast = [_numbers(col, field) for col in inputs]
    monkeypatch.setattr(textchecks, "_fixed_width_core", lambda *args: None)
    for (values, ok), col in zip(fast, inputs):
        want_values, want_ok = _numbers(col, field)
        assert ok.tolist() == want_ok.tolist(), rows
        assert values[ok].tobytes() == want_values[want_ok].tobytes(), rows


@pytest.mark.parametrize("bad_at", [None, 0, 16383, 16384, 39999])
def test_a_long_fixed_width_field_is_checked_in_pieces_to_its_last_row(bad_at):
    """Many rows are checked some thousands at a time; a row out of shape anywhere is found."""
    import pyarrow as pa

    from trueloss_dash.ingest.textcolumns import _mask_check, _mask_regex

    rows = [b"10:%02d:%02d,123" % (i // 60 % 60, i % 60) for i in range(40000)]
    if bad_at is not None:
        rows[bad_at] = b"10:00:01;123"
    expected = [k != bad_at for k in range(len(rows))]
    assert _mask_check(pa.array(rows, pa.binary()), "10:00:01,123", _mask_regex("10:00:01,123")).tolist() == expected
