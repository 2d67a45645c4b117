"""Plain-text console / logging output, read with the grammar in :mod:`..textgrammar`.

Understood shapes include (see ``docs/ingest.md`` for the full list)::

    Epoch [3/50], Train Loss: 0.41, Val Loss: 0.52
    INFO:root:Epoch 1: Train Loss=0.0717, Val Loss=0.0766
    step 0: train loss 10.98, val loss 10.99            iter 425: loss nan, time 95.1ms
    Epoch(train) [1][ 50/500]  lr: 1.0e-03  loss: 1.2345     (mmengine)
    iter: 20  loss: 1.2 (1.3)  loss_classifier: 0.5 (0.6)    (maskrcnn-benchmark)
    (epoch: 1, iters: 100, time: 0.12, data: 0.2) D_A: 0.254 G_A: 0.409    (CycleGAN)
    | epoch 001 | loss 4.5 | ... | num_updates 100           (fairseq)
    1875/1875 [====] - 5s 2ms/step - loss: 0.29 - val_loss: 0.14     (after an "Epoch 1/10" line)
"""

from __future__ import annotations

import re

from ...columns import looks_like_loss, perplexity_role
from ...run import Run
from ..provenance_util import header_context
from ..registry import Reader
from ..source import NotPlain, Source
from ..textcjk import split_glued_records
from ..textgrammar import LINE_PREFIX, parse_message
from ..textparser import BACKSPACES, TextLogParser


def parse_line(line: str) -> dict[str, float] | None:
    """The metric pairs and x values of one line (for sniffing and tests); None when it has none."""
    text = line.strip()
    p = parse_message(text[LINE_PREFIX.match(text).end():])
    out = dict(p.pairs)
    if p.epoch is not None:
        out["epoch"] = p.epoch
    if p.step is not None:
        out["step"] = p.step
    return out or None


def sniff(sample) -> int:
    if sample.binary or (sample.json_kind and not sample.mixed_json_lines):
        return 0
    # The whole 64 KB head, not its first lines: real logs open with config dumps and warnings.
    text = sample.text
    redrawn = "\x08" in text  # a progress bar redrawn with backspaces: each redraw is a line (textparser)
    if redrawn:
        text = BACKSPACES.sub("\n", text)
    if not sample.source.complete_in_head:
        text = text[: text.rfind("\n") + 1]
    glued = split_glued_records(text) if sample.source.complete_in_head else None
    text = glued or text
    parser = TextLogParser()
    parser.feed_text(text)
    if any(looks_like_loss(k) or perplexity_role(k) for k in parser.keys()):  # text_log is the last resort: any line with a loss value
        if text.isascii() and "\r" not in text and not redrawn and glued is None:  # the reader of a big mapped file carries on from here (see _read_mapped)
            sample.source.sniffed["text_log"] = (parser, len(text))
        return 60
    if sample.source.complete_in_head and "\r" in text:
        # the whole file: its last line is whole too (a tqdm bar redrawn with carriage returns up to the end of a
        # file with no final line break holds every point of a file that is one line)
        parser.flush()
        if any(looks_like_loss(k) or perplexity_role(k) for k in parser.keys()):
            return 60
    if redrawn and _BAR_LOSS.search(text):
        # a Keras bar redrawn with backspaces whose first epoch is longer than the head: only its running
        # updates ('- ETA: 1s - loss: 2.53') are in it, which the parser skips - the epoch lines follow
        return 30
    return 0


_BAR_LOSS = re.compile(r"ETA: [^\n]*\bloss: ?[-+]?\d")


def has_metric_lines(text: str) -> bool:
    """True when some line of ``text`` carries a loss value (the sniff fallback beyond 64 KB)."""
    parser = TextLogParser()
    parser.feed_text(text)
    parser.flush()
    return any(looks_like_loss(k) or perplexity_role(k) for k in parser.keys())


def metrics_without_loss(text: str) -> str | None:
    """For a refusal: the keys the grammar reads at least 3 times in ``text`` when none of them is a loss
    ("its console lines hold values ('Val_rmse' 30 times) but none is named as a loss"), else None."""
    parser = TextLogParser()
    parser.feed_text(text)
    parser.flush()
    counts: dict[str, int] = {}
    for record in parser.take_new():
        for key in record:
            if key not in ("run", "line", "epoch", "step"):
                counts[key] = counts.get(key, 0) + 1
    if any(looks_like_loss(k) or perplexity_role(k) for k in counts):
        return None
    kept = sorted(((n, k) for k, n in counts.items() if n >= MIN_REPEATS), key=lambda t: -t[0])
    if not kept:
        return None
    listed = ", ".join(f"'{k}' {n:,} times" for n, k in kept[:4])
    return f"its console lines hold values ({listed}) but none is named as a loss"


MIN_REPEATS = 3  # a key read this often is a logged series, not a config line


def read(source: Source) -> list[Run]:
    parser = _read_mapped(source)
    if parser is None:
        parser = TextLogParser()
        glued = split_glued_records(source.text()) if len(source.utf8()) < GLUED_MAX_BYTES else None
        if glued is not None:  # epoch records written with no line break: one line each
            parser.feed_text(glued)
            source.notes.append("the file is one line of epoch records with no line breaks: each epoch marker "
                                "starts a line of its own")
        elif source.utf8_is_ascii():  # most logs: the bytes are read as they are, never decoded as one string
            parser.feed_ascii(source.utf8())
        else:
            parser.feed_text(source.text())
        parser.flush()
    context, meta = header_context(source)
    return parser.runs(name=source.stem, source=source.display, format="text_log", context=context, meta=meta,
                       notes=source.notes)


_BACKGROUND = None
GLUED_MAX_BYTES = 8 << 20  # a file of glued records is looked for only below this size (it is one line)


def _read_mapped(source: Source) -> TextLogParser | None:
    """A big log on disk parsed in place from a memory map, never copied into Python; None when the
    file is not one, or is not plain ASCII without carriage returns (the caller then decodes it).

    Why the bytes are checked as they are read: the check is one pass over every byte (~10 ms for
    100 MB, page faults of the map included) that held up the first chunk, and on a thread of its
    own it still slowed the first chunks down. Each chunk is now checked on the thread that reads
    it, each other line as it is decoded (``feed_ascii(unchecked=True)``); the first byte that is
    not plain stops the parse and the careful path reads the file, as before."""
    global _BACKGROUND
    mapped = source.mapped_ascii(scan=False)
    if mapped is None:
        return None
    # The sniffer's parser has read the head (ASCII text, cut after a newline): carry on from there,
    # the parser is resumable (its state, shapes and chunk sizes are those of the head's last line).
    parser, start = source.sniffed.pop("text_log", None) or (TextLogParser(), 0)
    try:
        parser.feed_ascii(mapped, start=start, unchecked=True)
        parser.flush()
    except (NotPlain, UnicodeDecodeError):
        return None
    finally:
        # Unmapping 100 MB of read pages takes the kernel ~4 ms: on a thread of its own, while the
        # Runs are built (the map holds nothing a Run uses).
        if _BACKGROUND is None:
            from concurrent.futures import ThreadPoolExecutor

            _BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="text-log-unmap")
        _BACKGROUND.submit(_unmap, mapped)
    return parser


def _unmap(mapped) -> None:
    try:
        mapped.close()
    except BufferError:  # something still exports its bytes: it is unmapped when that goes
        pass


READERS = [Reader("text_log", sniff, read, "console / logging text output")]
