"""The self-check that lets a line read by the grammar seed the text reader's block path.

Why: the block path (:mod:`.textcolumns`) takes a row only when the grammar would read it as it read
the template line. Which number forms may stand in each number's place is decided here, once per
shape, by the grammar itself: every stand-in form is put in place of the template's numbers and the
line re-read (:func:`allowed_forms`).
"""

from __future__ import annotations

import re

from .textgrammar import LINE_PREFIX, ParsedLine, parse_message

# Stand-ins for a template's number, one per form the grammar must read alike (plain forms: all must
# pass or the shape is not used; signed and nan/inf forms: allowed per number when they pass).
_PLAIN_FORMS = ("7", "123456", "7.5", "1234.5678", "7.", ".5", "1e-05", "2.5E+10", "0")
_SIGNED_FORMS = ("-7", "+7", "-0.25", "-1e-05", "+.5")
_SPECIAL_FORMS = ("nan", "NaN", "inf", "Infinity", "-inf", "+inf", "-nan")


_CHECKED: dict[tuple, list | None] = {}  # (line, pre, fixed) -> result: a log is sniffed, then read
_CHECKED_MAX = 256


def allowed_forms(line: str, pre: int, parsed: ParsedLine, numbers: list[re.Match],
                  fixed: set[int] = frozenset()) -> list[tuple[bool, bool]] | None:
    """:func:`_allowed_forms`, remembered per template line: the sniffer reads a log's head and the
    reader then reads the same first lines again; the self-check (some twenty re-reads of the line by
    the grammar) is the costliest step of starting a shape. ``parsed`` and ``numbers`` follow from
    ``line`` and ``pre`` (the grammar's reading of it), so the line is the whole key."""
    key = (line, pre, tuple(sorted(fixed)))
    if key in _CHECKED:
        got = _CHECKED[key]
        return None if got is None else list(got)
    got = _allowed_forms(line, pre, parsed, numbers, fixed)
    if len(_CHECKED) >= _CHECKED_MAX:
        _CHECKED.clear()
    _CHECKED[key] = None if got is None else tuple(got)
    return got


def _allowed_forms(line: str, pre: int, parsed: ParsedLine, numbers: list[re.Match],
                   fixed: set[int] = frozenset()) -> list[tuple[bool, bool]] | None:
    """Self-check of a template: put each stand-in form in place of the numbers of ``line`` and
    re-read it with the grammar. Returns per number (signed forms read alike, nan/inf read alike),
    or None when some plain form is read differently (the shape then stays on the slow path).

    A form is first tried in every number at once (one re-read); only when that fails is it tried
    number by number, to find which numbers it may not stand in. Numbers in ``fixed`` (inside
    fixed-width fields, where only their digits may change) keep their text."""
    want = _structure(parsed)
    spans = []
    for tok in numbers:
        unit = tok.group("unit") if tok.lastgroup in ("num", "unit") else tok.group("sunit")
        spans.append((pre + tok.start(), pre + tok.end() - len(unit or "")))

    def reads_alike(form: str, where: list[int]) -> bool:
        trial, last = [], 0
        for k in where:
            a, b = spans[k]
            trial += [line[last:a], form]
            last = b
        trial = "".join(trial) + line[last:]
        if LINE_PREFIX.match(trial).end() != pre:
            return False
        got = parse_message(trial[pre:])
        if _structure(got) != want:
            return False
        value = float(form)
        for k in where:
            role = parsed.slots[k]
            if role is None:
                continue
            if role == "epoch":
                seen = got.epoch
            elif role == "step":
                seen = got.step
            else:  # the n-th pair of that key is the n-th number with this role
                nth = sum(1 for r in parsed.slots[:k] if r == role)
                same = [v for key, v in got.pairs if key == role[2:]]
                seen = same[nth] if nth < len(same) else None
            if seen is None or not (seen == value or (seen != seen and value != value)):
                return False
        return True

    every = [k for k in range(len(numbers)) if k not in fixed]
    allowed = {}
    for form in _PLAIN_FORMS + _SIGNED_FORMS + _SPECIAL_FORMS:
        if not every or reads_alike(form, every):
            allowed[form] = dict.fromkeys(every, True)
        else:
            allowed[form] = {k: reads_alike(form, [k]) for k in every}
            if form in _PLAIN_FORMS and not all(allowed[form].values()):
                return None
    return [(all(allowed[f][k] for f in _SIGNED_FORMS), all(allowed[f][k] for f in _SPECIAL_FORMS))
            if k not in fixed else (False, False) for k in range(len(numbers))]


def _structure(p: ParsedLine) -> tuple:
    """What a line said apart from its values."""
    return ([k for k, _ in p.pairs], p.epoch is None, p.step is None, p.step_total is None, p.in_epoch is None,
            p.in_epoch_total is None, p.phase, p.bar, p.unfinished, tuple(p.slots), p.simple)
