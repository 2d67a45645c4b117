"""Lines of one width read as a byte matrix (:mod:`trueloss_dash.ingest.textfixed`) must give exactly
what the line-by-line grammar gives - on logs printed at fixed widths, with lines of other widths,
other forms at the same width (a sign, an exponent, nan), words, separators and digits changed."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_textparser_fast_identity import FILES, _generated_log, _interleaved_log, assert_same, read_both

from trueloss_dash.ingest import textcolumns, textfixed
from trueloss_dash.ingest.textparser import TextLogParser

FIXED_TEMPLATES = [
    "2024-05-01 10:{mm}:{ss},123 - INFO - step {i}: train loss {a}, lr {b}, time {c}ms",
    "Epoch {e:03d}/100 step {i:05d} loss {a} lr {b}",
    "[{i:05d}/50000] loss: {a} lr: {b}",  # (an epoch x: often not a block)
    "step {i}: train loss {a}, val loss {a2}",
    "| epoch {e:03d} | step {i} | loss {a} | ppl {c}",
    "iter {i}: loss {a}, time {c}ms",
]
# forms of the same width as "1.2345" (the template's) that the grammar reads otherwise, or not at all
SAME_WIDTH = ["1.5e-5", "-1.500", "+1.500", "123456", ".12345", "12345.", "1e-100", "1E+300", "1_2345", "0x1234",
              "nan000", "1.2.34", "1.5e+5", "15e-05", "9.9e22", "1.0e-9", "-0.000", "000000", "99999."]
OTHER_WIDTH = ["nan", "inf", "-inf", "NaN", "1e-05", "0.5", "12.3456", "-1", "1,234", "Infinity", "1e999"]


def _fixed_log(seed: int, n_lines: int = 3000) -> str:
    """A log printed at fixed precision (the numbers' widths change at a power of ten only), with
    lines of other shapes, other forms and changed words now and then."""
    rng = random.Random(seed)
    template = FIXED_TEMPLATES[seed % len(FIXED_TEMPLATES)]
    odd = [0.0, 0.002, 0.02][seed % 3]
    lines, i = [], rng.randint(0, 50)
    for k in range(n_lines):
        i += 1
        vals = {"a": f"{rng.uniform(0, 9.99):.4f}", "a2": f"{rng.uniform(0, 9.99):.4f}",
                "b": f"{rng.uniform(1e-5, 1e-3):.3e}", "c": f"{rng.uniform(90, 99.9):.1f}"}
        if rng.random() < odd:
            vals[rng.choice("ab")] = rng.choice(SAME_WIDTH if rng.random() < 0.7 else OTHER_WIDTH)
        line = template.format(i=i, e=i // 100, mm=f"{(i // 60) % 60:02d}", ss=f"{i % 60:02d}", **vals)
        if rng.random() < odd:
            edits = [(" ", "  "), (" ", "\t"), ("loss", "LOSS"), ("INFO", "WARN"), ("2024", "2O24"), (":", ";"),
                     ("step", "stop"), ("0", "\u00e9"), ("1", "x"), (",", "")]
            a, b = rng.choice(edits)
            line = line.replace(a, b, 1)
        lines.append(line)
        if k % 97 == 96:  # another shape every 97 lines
            lines.append(f"step {i}: val loss {rng.uniform(0, 3):.4f}" if template.startswith(("2024", "step", "iter"))
                         else f"Saving checkpoint to out/ckpt-{i}.pt")
        if rng.random() < odd:
            lines.append(rng.choice(["", "Saving checkpoint", "WARNING: 12 of 13", "step 3"]))
    return "\n".join(lines) + "\n"


@pytest.fixture
def small_parts(monkeypatch):
    """Every part of a small log tried as a byte matrix, in small tiles, on two threads; counts
    the parts read so."""
    monkeypatch.setattr(textfixed, "MIN_PART_BYTES", 0)
    monkeypatch.setattr(textfixed, "MISSES", 10**9)
    monkeypatch.setattr(textfixed, "TILE_BYTES", 4096)
    monkeypatch.setattr(textfixed, "SCAN_BYTES", 1024)
    monkeypatch.setattr(textcolumns, "PARALLEL_BYTES", 8192)
    read = {"matrix": 0, "split": 0}
    original = textfixed.read_fixed

    def counted(*args, **kwargs):
        got = original(*args, **kwargs)
        read["matrix" if got is not None else "split"] += 1
        return got

    monkeypatch.setattr(textcolumns, "read_fixed", counted)
    return read


@pytest.mark.parametrize("seed", range(18))
def test_fixed_width_logs_read_as_a_matrix_equal_the_grammar(seed, small_parts):
    text = _fixed_log(seed)
    assert_same(text, label=f"seed {seed}")
    rng = random.Random(seed)
    assert_same(text, chunks=[rng.randint(300, 30000) for _ in range(5)], label=f"seed {seed} chunked")


@pytest.mark.parametrize("seed", range(8))
def test_generated_and_interleaved_logs_read_as_a_matrix_equal_the_grammar(seed, small_parts):
    assert_same(_generated_log(seed), label=f"generated {seed}")
    assert_same(_interleaved_log(seed), label=f"interleaved {seed}")


def test_fixed_width_logs_are_read_as_a_matrix(small_parts):
    """The tests above test the matrix reading: most parts of these logs are read so."""
    with_blocks = 0
    for seed in range(18):
        if seed % 3 < 2:  # no or few odd lines
            fast, _ = read_both(_fixed_log(seed))
            with_blocks += bool(fast._blocks)
    assert with_blocks >= 8
    assert small_parts["matrix"] > 4 * small_parts["split"], small_parts


def _one_column(texts: list[str]) -> np.ndarray:
    width = max(len(t) for t in texts)
    return np.frombuffer("".join(t.rjust(width) for t in texts).encode(), dtype=np.uint8).reshape(len(texts), width)


@pytest.mark.parametrize("seed", range(6))
def test_digits_added_up_give_exactly_what_float_gives(seed):
    """Numbers of one form (digits, a point, an exponent at the same places) added up from their
    digit columns must be the float64 ``float()`` gives, bit for bit, or refused (False)."""
    rng = random.Random(seed)
    for _ in range(300):
        whole, frac = rng.randint(0, 9), rng.randint(0, 9)
        if not whole + frac:
            whole = 1
        point = "." if frac or rng.random() < 0.3 else ""
        exp = rng.choice(["", "", f"e-{rng.randint(0, 30):02d}", f"E+{rng.randint(0, 9)}", f"e{rng.randint(0, 25):03d}"])
        texts = ["".join(rng.choice("0123456789") for _ in range(whole)) + point +
                 "".join(rng.choice("0123456789") for _ in range(frac)) + (exp[:2] + "".join(
                     rng.choice("0123456789") for _ in exp[2:]) if exp else "") for _ in range(50)]
        recipe = textfixed._recipe(texts[0], 0)
        if recipe is None:
            continue
        texts = [t for t in texts if len(t) == len(texts[0]) and (exp[:2] in t or not exp)]
        acc = np.empty(len(texts))
        if textfixed._digit_numbers(_one_column(texts), recipe, acc):
            assert acc.tobytes() == np.array([float(t) for t in texts]).tobytes(), texts


TEMPLATE_LINES = [
    "2024-05-01 10:00:07,123 - INFO - step 1207: train loss 2.3063, lr 1.000e-03, time 95.7ms",
    "Epoch 003/100 step 00012 loss 0.0417 lr 5.000e-04",
    "[Rank 0] step 12 loss=2.3063 grad_norm=1.25e+00",
    "step 12: train loss 2.31, val loss -2.45",
    "iter 425: loss 0.5, time 95.1ms",
]
NEAR_BYTES = " \t\r\n/:;.,-+eExn0159\x80\xff"


@pytest.mark.parametrize("line", TEMPLATE_LINES)
def test_a_line_the_template_takes_is_read_as_the_line_by_line_check_reads_it(line):
    """Every byte of a line replaced by bytes near it (separators, neighbours of the digits, a
    sign, an exponent letter, non-ASCII): when the layout takes the line, its values must be what
    the shape's own line check (:meth:`ColumnarShape.values_of`, the split's rules) gives."""
    fast = TextLogParser()
    fast.feed([line, line.replace("1", "2"), line.replace("2", "3")])
    shape = fast._recent[0].columnar
    layout = textfixed._layout(shape, line)
    assert layout is not None
    taken = 0
    for k in range(len(line)):
        for c in NEAR_BYTES:
            variant = line[:k] + c + line[k + 1:]
            data = (line + "\n" + variant + "\n").encode("latin-1")
            matrix = np.frombuffer(data, dtype=np.uint8).reshape(2, -1)
            bad = textfixed._mismatches(matrix, layout)
            if bad is not None and bad[1]:
                continue
            got = textfixed._values(matrix, layout, shape)
            if got is None:
                continue
            taken += 1
            want = shape.values_of(variant) if variant.isascii() else None
            assert want is not None, variant
            assert np.array([v[1] for v in got]).tobytes() == np.array(want, dtype=float).tobytes(), variant
    assert taken > len(line)  # the digits' neighbours at least


@pytest.mark.parametrize("rows, signed_ok, special_ok", [
    (["-1.50", "+2.50", "03.25"], False, True),  # signs where the template had none
    (["-1.50", "+2.50", "03.25"], True, True),
    (["nan", "inf", "1.5"], True, False),
    (["nan", "inf", "NaN", "1e9"], True, True),
    (["1e999", "1.5e0"], True, True),  # inf from digits: not what the grammar reads
    (["1_0", "1 0", "0x1"], True, True),
    (["12.5", "13.5", "07.1"], False, False),
])
def test_numbers_cast_from_the_matrix_are_read_like_the_split_reads_them(rows, signed_ok, special_ok):
    """A number of another form than plain digits is cast by Arrow and its form checked as the
    split's path does (textchecks._numbers): the same values, or None when some row is refused."""
    import pyarrow as pa

    from trueloss_dash.ingest.textcolumns import Field, _numbers

    field = Field("val", prefix="x=", suffix=";", role="m:x", signed_ok=signed_ok, special_ok=special_ok)
    texts = [f"x={r};" for r in rows]
    width = len(texts[0])
    texts = [t for t in texts if len(t) == width]
    want, ok = _numbers(pa.array([t.encode() for t in texts], pa.binary()), field)
    matrix = np.frombuffer("".join(texts).encode(), dtype=np.uint8).reshape(len(texts), width)
    got = textfixed._cast_numbers(matrix, 2, width - 1, field)
    if ok.all():
        assert got is not None and got.tobytes() == want.tobytes()
    else:
        assert got is None


@pytest.mark.parametrize("seed", range(4))
def test_numbers_of_varying_widths_read_as_a_matrix_equal_the_grammar(seed, small_parts):
    """Numbers printed as Python prints a float (``repr``, ``:g``): lines of many lengths and
    layouts, a few lines of each read by Arrow's split beside the matrices."""
    rng = random.Random(seed)
    lines = []
    for i in range(3000):
        loss = rng.uniform(0, 3) if rng.random() > 0.01 else rng.uniform(0, 3) * 10 ** rng.choice([-1, 1, 2])
        lr = rng.uniform(1e-4, 1e-3) if seed % 2 else round(rng.uniform(1, 9), rng.randint(1, 3)) * 1e-4
        lines.append(f"step {i}: train loss {loss!r}, lr {lr:g}, time {rng.uniform(90, 99.9):.1f}ms")
        if i % 50 == 49:
            lines.append(f"step {i}: val loss {rng.uniform(0, 3)!r}")
    assert_same("\n".join(lines) + "\n", label=f"seed {seed}")
    assert small_parts["matrix"] > 0


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix in (".txt", ".log", "")],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_logs_read_in_small_parts_as_matrices_equal_the_grammar(path, small_parts):
    """Every text log of the corpus and ../shared/real_logs, each part of it tried as byte matrices."""
    assert_same(path.read_text(encoding="utf-8"), label=str(path))
