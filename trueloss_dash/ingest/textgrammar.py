"""A small grammar for training console logs, read incrementally.

Why a grammar: every trainer prints ``key: value`` pairs after some progress marker, but each
in its own punctuation. One tokenizer plus a handful of rules reads them all, where per-site
regexes multiplied and still missed ``Epoch 1: loss 0.5`` beside ``Epoch 1, loss 0.5``.

Grammar (informal)::

    line     := prefix? item*
    prefix   := timestamps and log levels ("2024-05-01 10:00:00,123 - INFO -", "[12:00:01]")
    item     := pair | progress | phase | junk
    pair     := key (":" | "=" | " ") value avg?          loss: 0.5 | loss=0.5 | loss 0.5 | loss: 0.5 (0.6)
    key      := one to three words (a letter or _ then [\\w./@-]*; any script: '训练损失'), no stop-words ("improved from 0.5 to ...")
    value    := number | number "/" number | "[" number ("/" number)? "]" | tensor(number)
    number   := -1.5e-3 | 1,234,567.8 | 95.1ms | 45% | nan | inf | -inf
    avg      := "(" number ")"                              the running average: skipped
    progress := Epoch 3/20 | [3/20] | Epoch(train) [1][50/500] | Iter(val) [50/100] | step 0: | iter 425:
              | "| epoch 001 |" | tqdm "Epoch 1: 100%|####| 938/938 [..., loss=0.1]" | Keras "32/32 [===] - 1s"
    phase    := train | val | valid | validation | eval | test  (bare, "| valid |", "Epoch(val)", "Test: [..]")

Pairs whose key is an epoch or step alias (``columns.canonical_x``) are the x values; the others
are metrics, prefixed with their phase (``val/loss``) when the line is a validation line. A bracket
right after the epoch (``[1][50/500]``) is the iteration within the epoch; with its total it
becomes a global step. Unfinished progress-bar updates are skipped; a line holding only x values
(``Epoch 3/10``) sets the epoch for the lines that follow. When x falls back to where the current
run started, a new run begins (several runs appended to one file). Lines that yield nothing are
counted; the reader reports them in one warning.

Speed: a line's *shape* repeats for thousands of lines in real logs. The stateful reader
(:mod:`.textparser`) reads runs of one shape as blocks with Arrow (:mod:`.textcolumns`) and gives
exactly what this grammar gives line by line (``tests/test_textparser_fast_identity.py``).

The stateful, resumable reader built on this grammar is :class:`.textparser.TextLogParser`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..columns import EPOCH, STEP, WALL_TIME, canonical_x

# -- tokens ---------------------------------------------------------------------------------------
# A word may start with a minus glued to it at the start of a field, when a value follows: "-SISDR: -8.67" names
# the negated SI-SDR (a speech-separation loss), not an SI-SDR of -8.67.
# A number starts where no word, dot or sign precedes it (so "lr0", "top-1", "2024-05-01" are not
# numbers); its sign is taken only when no word precedes the sign. Units are glued on ("95.1ms").
NUMBER_START = r"(?:(?<![\w.])[-+]|(?<![\w.+-]))"
PLAIN_NUMBER = r"(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
SPECIAL_NUMBER = r"(?i:nan|inf(?:inity)?)"
_UNIT = r"(?:%|/[A-Za-z]{1,8}|[A-Za-z]{1,8}(?:/[A-Za-z]{1,8})?)"
NUMBER_END = r"(?![\w])(?!\.\d)"
TOKEN = re.compile(
    rf"""
    (?P<num>{NUMBER_START}(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?!\d|,\d)|{PLAIN_NUMBER})(?P<unit>{_UNIT})?{NUMBER_END})
  | (?P<special>{NUMBER_START}{SPECIAL_NUMBER}(?P<sunit>ms|s|%)?{NUMBER_END})
  | (?P<word>(?:(?<!\S)-(?=[^\W\d][\w./@-]*[ \t]*[:=]))?[^\W\d][\w./@-]*)
  | (?P<punct>[:=,;|()\[\]/])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.X,
)

# Timestamps and log levels before the message (stripped so the rest of the line keeps one shape).
LINE_PREFIX = re.compile(
    r"(?:\[?\d{4}[-/]\d{2}[-/]\d{2}[ T_]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\]?[ \t]*"
    r"|\[?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?[ \t]*"
    r"|\[?(?:INFO|DEBUG|WARNING|WARN|ERROR|CRITICAL|NOTICE)\]?(?::[\w.]+(?=:))*:?[ \t]*"
    r"|\[(?:[Rr]ank|GPU|gpu|[Ww]orker|[Pp]rocess)[ :]?\d+\][ \t]*"
    r"|\d{2}/\d{2} \d{2}:\d{2}:\d{2}[ \t]*"
    # glog / absl (Caffe, TensorFlow, JAX): "I0305 16:59:10.118186 11114 solver.cpp:228] "
    r"|[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+[ \t]+\d+[ \t]+[\w.-]+:\d+\][ \t]*"
    # loguru's source field: "| yolox.core.trainer:261 - ", "| __main__:train:45 - " (a dotted name or a function)
    r"|(?:[A-Za-z_]\w*(?:\.\w+)+(?::[\w<>]+)?|[A-Za-z_][\w.]*:[\w<>]+):\d+[ \t]+-[ \t]+"
    # Python logging's '%(name)s - ' with a dotted logger name: "... - INFO - allennlp.training.trainer - Epoch 0/9"
    r"|[A-Za-z_]\w*(?:\.\w+)+[ \t]+-[ \t]+"  # (a name: '0.5 - loss: 0.3' keeps its number)
    # a host in brackets before the timestamp, the module:line in parentheses (ESPnet: "[host] 2021-... (trainer:732) INFO:")
    r"|\[[\w.-]+\][ \t]+(?=\d{4}[-/]\d{2}[-/]\d{2})|\([\w.]+:\d+\)[ \t]+"
    r"|\d+(?:\.\d+)?s[ \t]+\d+[ \t]+(?=\S)"  # a Kaggle notebook's output log: elapsed seconds, line number
    r"|[-|:>]+[ \t]+)*"
)
_BRACED = re.compile(r"\{\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:\s*/\s*\d+)?)\s*\}")
_TENSOR = re.compile(r"tensor\(\s*([^,()]+?)\s*(?:,[^()]*)?\)")
_QUOTED = re.compile(r"(['\"])([\w./@+-]+)\1")
BANNER = re.compile(r"^[=\-*#]{5,}.*[=\-*#]{5,}$")
_BAR = re.compile(r"%\||\[[=>.\s]{3,}\]|[█▏▎▍▌▋▊▉]")
# A tqdm bar whose status bracket ("[31:27<51:54:28, 1887.57s/it]") is followed, on the same line, by
# what the program printed next (the bar's carriage return left both on one line): that text is a line
# of its own ("  1%|   | 1/100 [31:27<51:54, 1887.57s/it]Epoch 2, Training loss: 1.69, ..."), also after the
# ANSI codes of a coloured logger ("Validation: | | 0/? [00:00<?, ?it/s]\x1b[A[12/09/24 14:39:27] INFO Epoch 10: ...").
_GLUED_AFTER_BAR = re.compile(
    r"\|[^|\n]*\[[^\[\]]*(?:it/s|s/it)[^\[\]]*\](?=[ \t]*[A-Za-z]|(?:\x1b\[[0-9;]*[A-Za-z])+[ \t]*[\[A-Za-z])")

# An epoch counter glued to its word, standing alone between separators: "EP1, avg_loss=0.0012", "in epoch3, loss".
_GLUED_EPOCH = re.compile(r"(?<![\w./-])(?i:ep|epoch)(\d+)(?=[ \t]*[,;|]|[ \t]*$)")

PHASES = {
    "train": "train", "training": "train", "train_inner": "train",
    "val": "val", "valid": "val", "validation": "val", "validate": "val", "eval": "val", "evaluation": "val",
    "evaluating": "val", "validating": "val", "dev": "val",
    "test": "test", "testing": "test",
}
# Words that make a "key" prose: "val_loss improved from 0.52 to 0.50", "best loss at epoch 3".
STOP_WORDS = {
    "from", "to", "at", "of", "is", "was", "are", "by", "improved", "improve", "did", "not", "the", "a", "an",
    "in", "on", "for", "with", "than", "best", "saving", "saved", "save", "reached", "after", "using", "be",
}
# A verb between a metric's name and its value ("loss is: 0.49", "accuracy was 0.91").
_COPULAS = {"is", "was", "are", "="}
# Words linking a metric to the counter inside a sentence: "loss for epoch 3: 0.36", "loss after step 200 = 0.5".
_LINKING = {"for", "after", "at", "of"}
# Keys that are countdowns or bookkeeping, not measurements.
DROPPED_KEYS = {"eta", "v_num"}  # v_num: the Lightning logger's version number in its progress bar
# Words after a counter's number that make it a duration ("1 epoch 658.7 sec")
_DURATION_WORDS = frozenset({"s", "sec", "secs", "second", "seconds", "ms", "min", "mins", "minute", "minutes", "h",
                             "hour", "hours"})
MAX_KEY_WORDS = 3
#: A progress bar's description that says it counts the training's steps (diffusers' 'Steps'): its count is the step.
_STEP_BAR_WORDS = frozenset({"steps", "step", "training steps", "train steps", "global step"})


@dataclass
class ParsedLine:
    """What one line said."""

    pairs: list[tuple[str, float]] = field(default_factory=list)  # metrics, key as written
    epoch: float | None = None
    step: float | None = None
    step_total: float | None = None
    in_epoch: float | None = None  # iteration within the epoch ("[1][50/500]" -> 50)
    in_epoch_total: float | None = None
    phase: str | None = None
    bar: bool = False  # a progress-bar line (tqdm / Keras)
    unfinished: bool = False  # a progress-bar update before the end of its epoch
    progress: tuple[float, float] | None = None  # Keras' "1024/113600 [...]": (done, total) of the epoch
    slots: list[str | None] = field(default_factory=list)  # per number token: its role (fast path)
    simple: bool = True  # the line can seed the fast path
    phase_named: bool = False  # a loss named only by its phase ("train: 1090.2 | val: 1078.7", "250 val 5.87")


def _number(tok: re.Match) -> float:
    text = tok.group()
    kind = tok.lastgroup
    if kind == "special" or kind == "sunit":
        core = text[: len(text) - len(tok.group("sunit") or "")]
        return float(core)
    unit = tok.group("unit")
    core = text[: len(text) - len(unit)] if unit else text
    return float(core.replace(",", ""))


def is_number(tok: re.Match | None) -> bool:
    return tok is not None and tok.lastgroup in ("num", "unit", "special", "sunit")


#: Words that mark an epoch's boundary before the counter ("END epoch:1", "Finished epoch 3").
_BOUNDARY_WORDS = frozenset({"end", "finished", "finish", "completed", "done", "start", "begin", "starting"})


def phase_of(word: str) -> str | None:
    return PHASES.get(word.lower())


def tokenize(text: str) -> list[re.Match]:
    """Tokens of a line, spaces dropped."""
    return [m for m in TOKEN.finditer(text) if m.lastgroup != "space"]


_PHASE_WORDS = r"(?i:train|training|val|valid|validation|eval|dev|test|held[-_]?out|hold[-_]?out)"
# a loss is written as a float: "Train=3667 | Val=786" (whole numbers) are the split sizes, not losses
_VALUE = r"[-+]?(?:\d*\.\d+(?:[eE][-+]?\d+)?|\d+(?:\.\d*)?[eE][-+]?\d+)|(?i:nan|inf)"
# build-nanogpt / nanoGPT-style logs: "<step> train <loss>", "<step> val <loss>" and nothing else on the line
_STEP_PHASE_VALUE = re.compile(rf"^(\d+)[ \t]+({_PHASE_WORDS})[ \t]+({_VALUE})$")
# one field of a '|'-separated line that is a phase word and a value: "train: 1090.19 (2.0 bpd)", " val = 0.93 "
_PHASE_FIELD = re.compile(rf"^(\s*)({_PHASE_WORDS})(\s*[:=]\s*)({_VALUE})(?![\w.%])(\s*(?:\([^()|]*\))?\s*)$")
# A metric whose phase follows it in parentheses: "Loss(train): 6.55, Loss(val): 6.49".
_PHASE_IN_PARENS = re.compile(rf"(?<![\w.])([A-Za-z][A-Za-z_]*)\(({_PHASE_WORDS})\)(?=[ \t]*[:=])")


def _phase_named(text: str) -> str | None:
    """The line with its losses named only by phase spelled as losses, or None when it has none.

    Three families: a bare "<step> <phase> <value>" line (build-nanogpt's log.txt: "250 val 5.8727"),
    a line that is one "<phase>: <value>" field ("Training: 4.52" below an "Epoch: 0" line),
    and '|'-separated fields that are just a phase and a value ("Epoch 1/1000 | train: 1090.19 (2.0
    bpd) | val: 1078.67 | lr: 1e-4"). Only float values: a percentage ("val: 93.1%") is an accuracy and
    a whole number ("Train=3667 | Val=786") a count; both stay as they are."""
    if text[:1].isdigit():
        m = _STEP_PHASE_VALUE.match(text.strip())
        if m:
            return f"step {m.group(1)}: {m.group(2)} loss {m.group(3)}"
    if "|" not in text and (m := _PHASE_FIELD.match(text)):
        # the line is one phase field and nothing else: "Training: 4.5240" / "Validation: 4.3572" under "Epoch: 0"
        return f"{m.group(1)}{m.group(2)} loss{m.group(3)}{m.group(4)}{m.group(5)}"
    if "|" in text:
        fields = text.split("|")
    elif "  " in text and "=" in text:
        # fields apart by 2+ spaces: "epoch   1/40  train=35.0026  heldout=26.8717  lr=1.50e-04" (the separators kept)
        fields = re.split(r"(\s{2,})", text)
    else:
        return None
    changed = False
    for i, part in enumerate(fields):
        m = _PHASE_FIELD.match(part)
        if m:
            fields[i] = f"{m.group(1)}{m.group(2)} loss{m.group(3)}{m.group(4)}{m.group(5)}"
            changed = True
    return ("|" if "|" in text else "").join(fields) if changed else None


# a printed (counter, value) tuple after a metric's name: "loss: (0, 23047468.0)", "val_loss = (3, 0.61)"
_TUPLE = re.compile(rf"([A-Za-z][\w./-]*(?: [A-Za-z][\w./-]*){{0,2}})\s*[:=]\s*\(\s*(\d+)\s*,\s*({_VALUE})\s*\)")


def _counter_tuples(text: str) -> str | None:
    """A line made only of 'name: (n, value)' tuples (a float value) that share one counter n, one of
    them a loss, spelled 'epoch n: name value ...' (the row index convention: a counter with no name
    is the epoch), or None."""
    parts = list(_TUPLE.finditer(text))
    if not parts or _TUPLE.sub("", text).strip(" \t,;|") or len({m.group(2) for m in parts}) != 1:
        return None
    from ..columns import looks_like_loss

    if not any(looks_like_loss(m.group(1)) for m in parts):
        return None  # "ASPECT_RATIOS: (0, 1.5)" in a config dump: a loss must be named
    return f"epoch {parts[0].group(2)}: " + ", ".join(f"{m.group(1)}: {m.group(3)}" for m in parts)


# Python's warnings module prints "<file>.py:<line>: <Category>Warning: <message>", at a line's start or glued
# after a print or a tqdm bar: the rest of the line is the warning, its line number no metric of a key named by
# the file's path ("/.../torch/nn/modules/loss.py: 128" read as a loss)
# PyTorch's ReduceLROnPlateau (verbose): "Epoch    30: reducing learning rate of group 0 to 1.0000e-04." - its
# epoch is the scheduler's count of step() calls (one ahead of a 0-based training loop), so the line moves no epoch
_REDUCE_LR = re.compile(r"^\s*Epoch\s+\d+: reducing learning rate of group \d+ to ")
_PY_WARNING = re.compile(r"[\w./\\:~-]*\.pyx?:\d+: [A-Z]\w*(?:Warning|Error):")


# Darknet: " 100: 2.415000, 2.300000 avg loss, 0.001000 rate, 3.126812 seconds, 6400 images": items that write
# the value before its name, after the iteration counter
_COUNTER_START = re.compile(r"^\s*(\d+):\s+(?=\S)")
_VALUE_FIRST = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|(?i:-?nan|-?inf))[ \t]+([A-Za-z][A-Za-z_ ]*?)\s*$")


def _value_first(text: str) -> str | None:
    """'<n>: <v> <name>, <v> <name>, ...' (at least 3 named items, one a loss; a bare value stays unnamed)
    spelled 'step <n>: <name>: <v>, ...', or None."""
    start = _COUNTER_START.match(text)
    if start is None or "," not in text:
        return None
    items, named, lossy = [], 0, False
    for item in text[start.end():].split(","):
        m = _VALUE_FIRST.match(item)
        if m is not None:
            items.append(f"{m.group(2)}: {m.group(1)}")
            named += 1
            lossy = lossy or _names_loss(m.group(2).split())
        elif re.fullmatch(r"\s*[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?\s*", item):
            items.append("")  # the unnamed value (Darknet's loss of this batch, beside its running 'avg loss')
        else:
            return None
    return f"step {start.group(1)}: " + ", ".join(i for i in items if i) if named >= 3 and lossy else None


# AllenNLP's epoch summary: a header naming phases as columns ("Training |  Validation"), then a row per metric
# ("loss | 3.572 | 3.231"; "N/A" where a phase has none)
_PHASE_COLUMNS = re.compile(rf"^\s*{_PHASE_WORDS}(?:\s*\|\s*{_PHASE_WORDS})+\s*$")
_ROW_NAME = re.compile(r"^[A-Za-z_][\w./@-]*$")
_ROW_VALUE = re.compile(rf"^(?:{_VALUE}|[-+]?\d+)$")


def phase_columns(message: str) -> list[str] | None:
    """The phases of a header that names phases as columns ('Training |  Validation'), or None."""
    if "|" not in message or not _PHASE_COLUMNS.match(message):
        return None
    return [w.strip() for w in message.split("|")]


def phase_row(message: str, phases: list[str]) -> str | None:
    """A row under :func:`phase_columns` ('loss | 3.572 | 3.231') spelled 'Training loss: 3.572, Validation loss:
    3.231' (a phase with 'N/A' left out), or None when the line is no such row."""
    cells = message.split("|")
    if len(cells) != len(phases) + 1 or not _ROW_NAME.match(cells[0].strip()):
        return None
    out = []
    for phase, cell in zip(phases, cells[1:]):
        value = cell.strip()
        if value.upper() == "N/A":
            continue
        if not _ROW_VALUE.match(value):
            return None
        out.append(f"{phase} {cells[0].strip()}: {value}")
    return ", ".join(out) or None


def _names_loss(words: list[str]) -> bool:
    from ..columns import looks_like_loss

    return looks_like_loss(" ".join(words))


def parse_message(text: str) -> ParsedLine:
    """Apply the grammar to one line (prefix already removed)."""
    out = ParsedLine()
    if _REDUCE_LR.match(text):
        out.simple = False
        return out  # the scheduler's own count, not the training's epoch
    if ".py" in text and (warning := _PY_WARNING.search(text)):
        text, out.simple = text[: warning.start()], False
    named = _phase_named(text)
    if named is not None:
        text, out.simple, out.phase_named = named, False, True
    elif "(" in text:
        pairs = _counter_tuples(text)
        if pairs is not None:
            text, out.simple = pairs, False
    elif text[:8].lstrip()[:1].isdigit():
        spelled = _value_first(text)
        if spelled is not None:
            text, out.simple = spelled, False
    if "it" in text and "|" in text:
        glued = None
        for glued in _GLUED_AFTER_BAR.finditer(text):
            pass
        if glued is not None:
            text = text[glued.end():]
            out.simple = False
    if "tensor(" in text:
        text = _TENSOR.sub(r"\1", text)
        out.simple = False
    if "{" in text and _BRACED.search(text):  # "loss : {1.9027643}", "epoch: {1/300}": a value in braces
        text = _BRACED.sub(r"\1", text)
        out.simple = False
    if "'" in text or '"' in text:  # printed dicts: {'loss': 0.69, 'epoch': '0.04'}
        text = _QUOTED.sub(r"\2", text)
        out.simple = False
    if "p" in text or "P" in text:
        text = _GLUED_EPOCH.sub(r"epoch \1", text)  # "EP1, avg_loss=0.0012" / "TEST in epoch3, loss = 2.0"
    if "(" in text:
        text = _PHASE_IN_PARENS.sub(r"\2_\1", text)  # "Loss(train): 6.55, Loss(val): 6.49" -> train_Loss, val_Loss
    out.bar = bool(_BAR.search(text))
    toks = tokenize(text)
    out.slots = [None] * sum(1 for t in toks if is_number(t))
    slot_of = {}
    k = 0
    for i, t in enumerate(toks):
        if is_number(t):
            slot_of[i] = k
            k += 1
    words: list[str] = []
    last_key: str | None = None  # key of the previous pair (a bracket right after it continues it)
    after_value = False
    n = len(toks)
    i = 0

    pending: list[str | None] = [None]  # "loss for epoch 3: 0.36": the metric named before its epoch
    phase_values: list[str] = []  # phases written with a bare value ("Val: 0.19")
    section: list[str | None] = [None]  # the phase of the last '[valid]' marker inside the line (ESPnet)
    step_bar: list[bool] = [False]  # the line is a progress bar whose description says it counts steps

    def take_pair(key: str, value: float, total: float | None, idx: int, bracket: bool = False) -> None:
        nonlocal last_key
        last_key = key
        lowered = [w.lower() for w in key.split()]
        if len(lowered) > 1 and lowered[-1] in _COPULAS and not any(w in STOP_WORDS for w in lowered[:-1]):
            key = " ".join(key.split()[:-1])  # "loss is: 0.49": the verb is not part of the name
            lowered = lowered[:-1]
        if len(lowered) > 1 and lowered[-1] == "value" and _names_loss(lowered[:-1]):
            key = " ".join(key.split()[:-1])  # Megatron's "lm loss value: 6.1E+00": the loss is 'lm loss'
            lowered = lowered[:-1]
        if (len(lowered) == 3 and lowered[1] == "in" and phase_of(lowered[0])
                and canonical_x(lowered[2]) in (EPOCH, STEP)):
            # "TRAIN in epoch 3 , step 50, loss = 4.1": a phase, then the counter it is in
            out.phase = out.phase or phase_of(lowered[0])
            if canonical_x(lowered[2]) == EPOCH:
                out.epoch = value
                out.slots[slot_of[idx]] = "epoch"
            else:
                out.step, out.step_total = value, total
                out.slots[slot_of[idx]] = "step"
            return
        if any(w in STOP_WORDS for w in lowered):
            # "Average loss for epoch 3: 0.36" / "Loss after step 200 = 0.5": the counter sits inside the
            # sentence; the number is its x and the words before the linking word name the value after ':'
            s_at = max(k for k, w in enumerate(lowered) if w in STOP_WORDS)
            tail = " ".join(key.split()[s_at + 1:])
            if (0 < s_at and lowered[s_at] in _LINKING and tail and canonical_x(tail) in (EPOCH, STEP)
                    and not any(w in STOP_WORDS for w in lowered[:s_at])
                    and idx + 2 < n and toks[idx + 1].group() in ":=" and is_number(toks[idx + 2])):
                if canonical_x(tail) == EPOCH:
                    out.epoch = value
                    out.slots[slot_of[idx]] = "epoch"
                else:
                    out.step, out.step_total = value, total
                    out.slots[slot_of[idx]] = "step"
                pending[0] = " ".join(key.split()[:s_at])
                out.simple = False
            return
        axis = canonical_x(key)
        phase = phase_of(key)
        if (" ".join(lowered) in _STEP_BAR_WORDS and out.bar and toks[idx].group("unit") == "%"
                and idx + 1 < n and toks[idx + 1].group() == "|"):
            # "Steps:  10%|#  | 100/1000 [..., step_loss=0.07]" (diffusers): a bar counting the training's steps;
            # its count (not the percentage) is the step and each update a point of the curve
            step_bar[0] = True
            return
        if len(lowered) == 2 and lowered[0] in _BOUNDARY_WORDS and canonical_x(lowered[1]) == EPOCH:
            axis = EPOCH  # "END epoch:1 train loss_avg: 3.94": the epoch a summary line closes
        if (len(lowered) == 2 and phase_of(lowered[0]) and axis is None
                and canonical_x(lowered[1]) in (EPOCH, STEP)):
            # "train step:100 loss: 3.45" / "val step:0 loss: 3.27" (PaddleVideo): the phase names
            # the progress counter that follows it, and the line's metrics belong to that phase
            out.phase = out.phase or phase_of(lowered[0])
            axis = canonical_x(lowered[1])
            if out.phase in ("val", "test"):
                return  # the evaluation loop's own batch counter, not the training step
        if phase and len(lowered) == 1:
            if bracket:  # "Test: [ 10/390]": progress through the test set, not an epoch
                out.phase = phase
                return
            if not (idx + 1 < n and toks[idx + 1].group() == "["):
                # "Train=3667 | Val=786": a phase with a count (examples, batches), not an epoch; the line's
                # phase unless it names several ("Loss: 1.94, Train: 0.21, Val: 0.19, Test: 0.20": per-split
                # accuracies of PyTorch Geometric's examples beside the training loss; settled at the end)
                phase_values.append(phase)
                return
            out.phase = phase
            if idx + 2 < n and toks[idx + 2].group().lower() in _DURATION_WORDS:
                return  # "evaluation: 0.0000[sec]" (Joey NMT): how long the evaluation took, not an epoch
            if toks[idx].lastgroup in ("num", "unit") and toks[idx].group("unit"):
                return  # "Validation: 0it [00:00, ?it/s]" (tqdm, Lightning): a count of iterations, not an epoch
            axis = EPOCH  # "Train: 0 [ 100/1251]" (timm): a phase with its epoch
        if axis in (EPOCH, STEP) and idx + 1 < n and toks[idx + 1].group().lower() in _DURATION_WORDS:
            return  # "Time taken for 1 epoch 658.7 sec": how long the epoch took, not a counter
        if axis == EPOCH:
            out.epoch = value
            out.slots[slot_of[idx]] = "epoch"
        elif axis == STEP:
            if out.step is not None and (out.step_total is None) != (total is None):
                # "iteration:2 step:18/82": two step counters, one of them a count through its total (the batch
                # within the epoch, restarting every epoch): the one that counts on is the line's step
                out.simple = False
                if total is not None:
                    return
                out.slots = [None if slot == "step" else slot for slot in out.slots]
            out.step, out.step_total = value, total
            out.slots[slot_of[idx]] = "step"
        elif lowered[0] in DROPPED_KEYS:
            return
        else:
            if axis == WALL_TIME:  # "time: 0.12" in a console log is seconds per iteration, not a clock
                key = f"{key} per iter"
            if section[0] in ("val", "test") and out.phase != section[0]:
                # "1epoch results: [train] loss=48.3, ..., [valid] loss=47.9" (ESPnet): the pairs after a phase
                # marker inside the line belong to that phase
                key = f"{section[0]}/{key}"
            out.pairs.append((key, value))
            out.slots[slot_of[idx]] = "m:" + key

    def drop_words() -> None:
        for w in words:
            p = phase_of(w) or (phase_of(w.split("_")[0]) if "_" in w else None)
            if p and w.lower() in PHASES:
                out.phase = out.phase or p
        words.clear()

    while i < n:
        t = toks[i]
        kind = t.lastgroup
        if kind == "word":
            w = t.group()
            # Epoch(train) / Iter(val): the phase in parentheses belongs to the progress keyword.
            if (i + 3 < n and toks[i + 1].group() == "(" and toks[i + 2].lastgroup == "word"
                    and phase_of(toks[i + 2].group()) and toks[i + 3].group() == ")"):
                out.phase = phase_of(toks[i + 2].group())
                words.clear()
                words.append(w)
                i += 4
                after_value = False
                continue
            if after_value and words:
                words.clear()
            if w[0] == "-":
                drop_words()  # "Valid  -SISDR: -7.79": the negated measure is a name of its own; 'Valid' is the phase
            words.append(w)
            if len(words) > MAX_KEY_WORDS:
                dropped = words[:-MAX_KEY_WORDS]
                del words[:-MAX_KEY_WORDS]
                for d in dropped:
                    if d.lower() in PHASES:
                        out.phase = out.phase or PHASES[d.lower()]
            after_value = False
            i += 1
            continue
        if is_number(t):
            value = _number(t)
            total = None
            if (not words and t.lastgroup == "num" and (t.group("unit") or "").lower() == "epoch" and out.epoch is None
                    and i + 1 < n and (toks[i + 1].group() == ":" or toks[i + 1].lastgroup == "word")):
                # "1epoch results:", "1epoch:train:401-500batch:" (ESPnet): the epoch glued to its word (not tqdm's
                # count of epochs with no total, "0epoch [00:00, ?epoch/s]")
                out.epoch = value
                out.slots[slot_of[i]] = "epoch"
                after_value = True
                i += 1
                continue
            j = i + 1
            if j + 1 < n and toks[j].group() == "/" and is_number(toks[j + 1]):
                total = _number(toks[j + 1])
                j += 2
            if words:
                take_pair(" ".join(words), value, total, i)
                words.clear()
            elif pending[0] is not None and i > 0 and toks[i - 1].group() in ":=":
                key, pending[0] = pending[0], None
                take_pair(key, value, total, i)
            elif i == 0 and total is not None:
                # "32/32 [====] - 1s - loss: ..." / "19/19 - 21s - loss: ..." (Keras): batches of the epoch
                out.unfinished = value < total
                out.progress = (value, total)
                out.simple = False
            elif total is not None and out.bar and step_bar[0] and out.step is None:
                out.step, out.step_total = value, total  # the step bar's count
                out.slots[slot_of[i]] = "step"
            elif total is not None and out.bar:
                out.unfinished = out.unfinished or value < total  # tqdm "425/938"
            elif t.group("unit") == "%" and out.bar and j < n and toks[j].group() == "|":
                out.unfinished = out.unfinished or value < 100
            # "loss: 1.2 (1.3)": the running average in parentheses is skipped
            if (j + 2 < n and toks[j].group() == "(" and is_number(toks[j + 1]) and toks[j + 2].group() == ")"):
                j += 3
            after_value = True
            i = j
            continue
        if kind == "punct":
            c = t.group()
            if c == "[":
                # "[3/20]", "Epoch [3/50]", "[1][50/500]": a bracketed count
                if (i + 2 < n and is_number(toks[i + 1]) and not toks[i + 1].group("unit") and (toks[i + 2].group() == "]"
                        or (i + 4 < n and toks[i + 2].group() == "/" and is_number(toks[i + 3]) and toks[i + 4].group() == "]"))):
                    value = _number(toks[i + 1])
                    total = _number(toks[i + 3]) if toks[i + 2].group() == "/" else None
                    end = i + (3 if total is None else 5)
                    if words:
                        take_pair(" ".join(words), value, total, i + 1, bracket=True)
                        words.clear()
                    elif after_value and last_key is not None and canonical_x(last_key) == EPOCH:
                        out.in_epoch, out.in_epoch_total = value, total  # [1][50/500]
                        out.slots[slot_of[i + 1]] = "in_epoch"
                        out.simple = False
                    elif not out.pairs and out.epoch is None and total is not None:
                        out.epoch = value  # a bare "[3/20]" at the start
                        out.slots[slot_of[i + 1]] = "epoch"
                        last_key = "epoch"
                    elif total is not None and out.epoch is not None and out.in_epoch is None:
                        out.in_epoch, out.in_epoch_total = value, total  # "Train: 0 [ 100/1251 ( 8%)]"
                        out.slots[slot_of[i + 1]] = "in_epoch"
                        out.simple = False
                    after_value = True
                    i = end
                    continue
                drop_words()
                after_value = False
                i += 1
                continue
            if c in ":=":
                nxt = toks[i + 1] if i + 1 < n else None
                if words and not is_number(nxt) and not (nxt is not None and nxt.group() == "["):
                    drop_words()  # "INFO:", "eta: 1 day" - a word before ':' that has no value
                i += 1
                continue
            if c == "]" and len(words) == 1 and i >= 2 and toks[i - 2].group() == "[" and phase_of(words[0]):
                section[0] = phase_of(words[0])  # "[valid]": a phase marker; a line may hold several
            drop_words()
            after_value = False
            i += 1
            continue
        # other characters: '-', quotes, bar glyphs
        drop_words()
        after_value = False
        i += 1
    drop_words()
    if len(set(phase_values)) == 1:
        out.phase = phase_values[-1]
    if out.unfinished and out.bar and out.in_epoch is not None:
        # "Epoch [0][12/1200] Loss 330.97 (330.98) :  1%|  | 13/1200 [...]": the bar's description is the
        # iteration the program logged, with its own counter - a point of the curve, not a redraw of the
        # epoch's running postfix (tqdm's carriage returns put each update on a line of its own)
        out.unfinished = False
    if out.bar or out.step_total is not None and out.epoch is not None:
        out.simple = False
    if out.pairs and "osses" in text and _LOSSES_GROUP.search(text):
        _name_total(out)
    return out


# "[Losses: x 0.27, y 0.25, w 4.8, conf 4.4, cls 0.82, total 15.1, recall: 0.0]" (PyTorch-YOLOv3): a group
# headed 'Losses' names its terms without the word loss; its 'total' is the loss
_LOSSES_GROUP = re.compile(r"(?i)\blosses\s*[:=]")
_TOTAL_KEYS = ("total", "sum", "overall")


def _name_total(out: ParsedLine) -> None:
    """In a line with a 'Losses:' group and no key saying loss, the total term ('total', 'sum',
    'overall') is the loss: it becomes 'total loss'."""
    from ..columns import looks_like_loss

    if any(looks_like_loss(k) for k, _ in out.pairs):
        return
    for i, (key, value) in enumerate(out.pairs):
        if key.lower() in _TOTAL_KEYS:
            out.pairs[i] = ("total loss", value)  # 'sum' / 'overall' too: the total loss (a train_loss alias)
            out.slots = ["m:total loss" if slot == f"m:{key}" else slot for slot in out.slots]
            return


#: Words an evaluation header may hold beside its phase word ("testing in eval mode", "Start validation").
HEADER_FILLER = frozenset({"in", "on", "mode", "set", "now", "start", "starting", "begin", "running", "run", "phase",
                            "loop", "the", "model", "step", "epoch"})
#: A header gives its phase to metric lines at most this many lines below it.
HEADER_REACH = 5


def is_phase_header(message: str) -> bool:
    """An evaluation header, not prose or a logger name that happens to hold a phase word ("testing
    the cuda device here", "d2.evaluation.coco_evaluation INFO: Evaluating predictions ..."): a few
    words, each a phase word or filler ("Validation:", "=== Test ===", "testing in eval mode...")."""
    words = [w.lower() for w in re.findall(r"[A-Za-z_]+", message)]
    return (0 < len(words) <= 5 and any(phase_of(w) in ("val", "test") for w in words)
            and all(phase_of(w) is not None or w in HEADER_FILLER for w in words))


# Chinese: best (optimal, finest, best); Portuguese / Spanish / French / Italian / German: best
_BEST = re.compile(r"(?i)(?<![a-z])(?:best|melhor|mejor|meilleure?|migliore|beste[nrs]?)(?![a-z])|best_|_best|最优|最佳|最好")


#: keras-tuner's banner after each trial; the line after it restates the trial's objective (its best value), no point
TRIAL_DONE = re.compile(r"^Trial \d+ Complete \[")


def drop_best(message: str, parsed: ParsedLine) -> bool:
    """Drop the best-so-far values of a line that says 'best' about a loss: they restate an earlier
    point (or an inf sentinel printed before any evaluation), not a new measurement of the curve.
    "Best model found at epoch 0, Val Loss: inf, AUC: 0.00%", "best val loss: 0.31", "Saving best
    model ... with val loss 0.28", "get best test loss 0.12": every value after a 'best' in the prose
    goes, and any loss whose own name holds 'best' ("best_val_loss=0.27"). Untouched: a 'best' after
    the values ("Val Loss: 0.41 <- best loss"), or one inside another metric's name ("best_acc 0.9,
    loss 0.3"). Returns True when something was dropped (the line then seeds no fast-path shape)."""
    if not parsed.pairs or not _BEST.search(message):
        return False
    from ..columns import looks_like_loss

    low = message.lower()
    kept: list[tuple[str, float]] = []
    pos, after_best, dropped_loss = 0, False, False
    for key, value in parsed.pairs:
        at = low.find(key.lower(), pos)
        at = pos if at < 0 else at
        own = bool(_BEST.search(key))
        after_best = after_best or bool(_BEST.search(message[pos:at]))
        if after_best or (own and looks_like_loss(key)):
            dropped_loss = dropped_loss or looks_like_loss(key)
        else:
            kept.append((key, value))
        pos = at + len(key)
    if not dropped_loss:
        return False  # 'best' about something else: the line is a measurement
    parsed.pairs = kept
    parsed.simple = False
    return True
