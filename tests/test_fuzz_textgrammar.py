"""Fuzz the text-log grammar with lines built from its own vocabulary (keys, numbers with units,
progress markers, separators, prefixes, bars, quotes): every input loads or is refused with a
LogFormatError, and reading it in random chunks gives the same records as reading it at once."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes
from trueloss_dash.ingest.textparser import TextLogParser

PIECES = st.sampled_from([
    "loss", "val_loss", "Train Loss", "val loss", "epoch", "Epoch", "step", "iter", "iters", "lr", "acc", "D_A",
    "G_A", "time", "eta", "tensor(", ")", "(", "[", "]", "/", ":", "=", ",", "|", " - ", " ", "  ", "\t", "%", "ms",
    "nan", "inf", "-inf", "1,234", "95.1ms", "1e-3", "-0.5", "0", "3/20", "[1][50/500]", "Epoch(train)",
    "Epoch(val)", "100%|####|", "45%|##  |", "INFO:root:", "2024-05-01 10:00:00,123 - INFO - ", "[Rank 0] ",
    "'loss': ", "{", "}", "=====", "valid", "Test:", "improved from", "\r",
])
NUMBER = st.one_of(st.integers(-5, 10_000).map(str), st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr))
LINE = st.lists(st.one_of(PIECES, NUMBER), min_size=0, max_size=14).map("".join)
LOG = st.lists(LINE, min_size=1, max_size=40)


def _settings(n):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@_settings(200)
@given(LOG)
def test_any_line_soup_loads_or_is_refused_with_a_sentence(lines):
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    try:
        runs = load_bytes("soup.log", data, format="text_log")
    except LogFormatError as err:
        assert "soup.log" in str(err)
        return
    assert runs and all(r.series for r in runs)


@_settings(150)
@given(LOG, st.lists(st.integers(1, 50), min_size=1, max_size=10))
def test_chunked_feed_equals_one_shot(lines, cuts):
    text = "\n".join(lines) + "\n"
    whole = TextLogParser()
    whole.feed_text(text)
    whole.flush()
    parts = TextLogParser()
    pos, i = 0, 0
    while pos < len(text):
        step = cuts[i % len(cuts)]
        parts.feed_text(text[pos:pos + step])
        pos += step
        i += 1
    parts.flush()

    def canon(recs):  # NaN != NaN: compare the written form
        return [sorted((k, repr(v)) for k, v in r.items() if k != "line") for r in recs]

    assert canon(parts.take_new()) == canon(whole.take_new())
