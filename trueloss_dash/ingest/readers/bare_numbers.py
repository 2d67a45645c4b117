"""Files of bare numbers: a loss array saved with ``np.savetxt``, ``json.dump(list)`` or a loop.

Three layouts, each ONE curve, with no header:

* one number per line (``2.908779233694076538e-01``; ``np.savetxt`` of a 1-D array);
* one line of numbers separated by commas, semicolons, tabs or spaces (``0.71,0.52,0.44``; a leading
  empty field - ``,0.71,0.52,0.44``, a pandas Series written as a row - is skipped);
* a bracketed list of numbers, on one line or many (``[0.7, 0.5, 0.44]``, ``json.dump(losses)``,
  ``print(losses)``; ``nan``/``NaN``/``inf``/``Infinity`` are numbers).

``#`` lines (``np.savetxt``'s header and footer) are skipped. A numbers-only file with several
numbers on each of several lines is a table without a header, not one curve: it is left to the
table readers.

The series is named after the file stem and gets its role through the aliases of
:mod:`trueloss_dash.columns` (``train_loss.csv`` -> train_loss, ``val_loss.txt`` -> val_loss). A stem
that names no role (``history.csv``, ``cost.txt``) - or says "loss" but names no phase (``loss_history.txt``,
``loss_log.txt``; not a GAN ``d_loss``) - gives an unnamed curve, which
:mod:`..onecurve` reads as the training loss when it is the run's only curve and plainly a loss,
and leaves to the role picker otherwise. The x axis is each value's position in the file (0, 1,
2, ...), put on the epoch axis (the usual meaning of one saved value) and said in a note. Several
such files in one folder or one upload merge into one run (:func:`..onecurve.merge_one_curve_files`).
"""

from __future__ import annotations

import re
from pathlib import PurePath

import numpy as np

from ...columns import canonical_series, is_gan_loss_name, looks_like_loss
from ...roles import warn_if_roleless
from ...run import Run
from ..onecurve import MERGE_KEY, UNNAMED, X_IS_POSITION, read_lone_curve_as_loss
from ..registry import Reader
from ..source import Source
from ..table import points_to_run

FORMAT = "bare_numbers"
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)"
NUMBER = re.compile(rf"(?:{_NUM})", re.IGNORECASE | re.ASCII)
_SPACE = r"[ \t\f\v]*"
# A line that is not one number (a trailing separator and a '#' comment allowed) nor blank nor a comment.
_BAD_LINE = re.compile(rf"^(?!{_SPACE}(?:(?:{_NUM}){_SPACE}[,;]?{_SPACE})?(?:#.*)?$).*$",
                       re.IGNORECASE | re.ASCII | re.MULTILINE)
_A_NUMBER_LINE = re.compile(rf"^{_SPACE}(?:{_NUM})", re.IGNORECASE | re.ASCII | re.MULTILINE)
_COMMENT = re.compile(r"#.*")
_ODD_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # line breaks str.splitlines knows beside \n
_DELIMS = (",", ";", "\t")
_MISSING = ("null", "none")  # json.dump / print of a list holding None: a missing value, not a number
EXAMPLE = ("one number per line ('2.908779233694076538e-01'), one line of separated numbers "
           "('0.71,0.52,0.44') or a list '[0.71, 0.52, 0.44]'")

SNIFF_SURE = 70  # above every table reader's generic score, below the formats a file names itself as
SNIFF_MOSTLY = 3  # numbers with an odd line or two: claimed only when nothing else is, to name that line


def _normalise(text: str) -> str:
    """Every line break as \\n (the line numbers of messages are those of ``str.splitlines``)."""
    if any(c in text for c in _ODD_BREAKS):
        return "\n".join(text.splitlines())
    return text


def _data_lines(text: str) -> list[tuple[int, str]]:
    """(line number, stripped line) of every line that is neither blank nor a ``#`` comment."""
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        s = line.strip()
        if s and not s.startswith("#"):
            out.append((number, s))
    return out


def _split_row(line: str) -> list[str]:
    """The fields of one line of separated numbers (a trailing separator is allowed)."""
    delim = next((d for d in _DELIMS if d in line), None)
    fields = [f.strip() for f in (line.split(delim) if delim else line.split())]
    if delim and len(fields) > 1 and fields[-1] == "":
        fields.pop()
    if delim and len(fields) > 2 and fields[0] == "":  # a pandas Series written as a row: ',0.72,0.39,...'
        fields.pop(0)
    return fields


def _bracket_fields(inner: str) -> list[str]:
    fields = [f.strip() for f in (inner.split(",") if "," in inner else inner.split())]
    if len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return [] if fields == [""] else fields


def _numbers(fields: list[str]) -> bool:
    return bool(fields) and all(NUMBER.fullmatch(f) for f in fields)


def layout(text: str, *, complete: bool = True) -> str | None:
    """'column', 'row', 'list' or None (not a file of bare numbers). ``complete=False``: ``text``
    is the head of a longer file (its last line or field may be cut)."""
    text = _normalise(text)
    stripped = text.strip()
    if stripped.startswith("["):
        inner = stripped[1:]
        if inner.endswith("]"):
            inner = inner[:-1]
        elif complete:
            return None
        if "[" in inner or "]" in inner:
            return None
        fields = _bracket_fields(inner.replace("\n", " "))
        if not complete:
            fields = fields[:-1]  # possibly cut
        numbers = [f for f in fields if f.lower() not in _MISSING]
        return "list" if _numbers(numbers) else None
    if not complete and "\n" in text:
        text = text[: text.rfind("\n")]
    if _BAD_LINE.search(text) is None:
        return "column" if _A_NUMBER_LINE.search(text) else None
    lines = _data_lines(text)
    if len(lines) == 1:
        fields = _split_row(lines[0][1])
        if not complete:
            fields = fields[:-1]  # possibly cut; the rest of the line follows beyond the head
        if (len(fields) >= 2 or not complete) and _numbers(fields):
            return "row"
    return None


def sniff(sample) -> int:
    if sample.binary:
        return 0
    if layout(sample.text, complete=sample.source.complete_in_head):
        return SNIFF_SURE
    # Mostly one number per line, with a stray line (a footer, a cut write): claimed weakly, so that the
    # refusal names that line instead of calling the file an unknown format.
    lines = [s for s in sample.lines if not s.startswith("#")]
    if len(lines) >= 10 and not _BAD_LINE.match(lines[0]):
        bad = sum(1 for s in lines if _BAD_LINE.match(s))
        if bad <= 0.1 * len(lines):
            return SNIFF_MOSTLY
    return 0


def _floats(tokens: list[str]) -> np.ndarray:
    try:
        return np.array(tokens, dtype=np.float64)
    except (ValueError, OverflowError):  # pragma: no cover - the tokens matched NUMBER
        return np.array([float(t) for t in tokens], dtype=np.float64)


def _values(source: Source) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(values, their positions when some are missing, the layout in words)."""
    text = _normalise(source.text())
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        y, at = _parse_list(source, stripped)
        gaps = "" if at is None else f"; {int(at[-1]) + 1 - len(y)} null item(s) before its last number left as gaps"
        return y, at, "a bracketed list" + gaps
    bad = _BAD_LINE.search(text)
    if bad is None:
        series_header = _series_header(text)
        if series_header is not None:
            y, _, how = _values(Source(name=source.name, _data=text[series_header:].encode()))
            return y, None, how + "; its first line '0' (the header pandas writes for an unnamed Series) skipped"
        plain = not any(c in text for c in "#,;")  # then every whitespace-separated token is one number
        tokens = text.split() if plain else NUMBER.findall(_COMMENT.sub("", text) if "#" in text else text)
        if not tokens:
            raise source.error(f"no numbers; expected a file of bare numbers: {EXAMPLE}")
        return _floats(tokens), None, "one number per line"
    lines = _data_lines(text)
    if len(lines) == 1:
        number, line = lines[0]
        fields = _split_row(line)
        for i, f in enumerate(fields, start=1):
            if not NUMBER.fullmatch(f):
                raise source.error(f"value {i} of the line is {f[:40]!r}; expected a number (a file of bare numbers: "
                                   f"{EXAMPLE})", row=number)
        lead = "; its leading empty field (a pandas index cell) skipped" if line.lstrip()[:1] in _DELIMS else ""
        return _floats(fields), None, "one line of separated numbers" + lead
    number = text.count("\n", 0, bad.start()) + 1
    line = bad.group(0).strip()
    fields = _split_row(line)
    what = f"{len(fields)} numbers on one line" if len(fields) > 1 and _numbers(fields) else repr(line[:60])
    raise source.error(f"found {what}; expected one number per line, like the other lines of this file of "
                       f"bare numbers ({EXAMPLE})", row=number)


_DECIMAL = re.compile(r"[.eE]|nan|inf", re.IGNORECASE)


def _series_header(text: str) -> int | None:
    """Where the values start when the first line is a bare ``0`` above values that are all written with a
    decimal point or exponent: ``pd.Series(losses).to_csv(path, index=False)`` writes the Series name ``0``
    as a header line. A first value 0 written by the training loop would read ``0.0`` like the others."""
    lines = _data_lines(text)
    if len(lines) < 4 or lines[0][1] != "0":
        return None
    if not all(_DECIMAL.search(line) for _, line in lines[1:]):
        return None
    first_line = lines[0][0]
    offset = 0
    for _ in range(first_line):
        offset = text.index("\n", offset) + 1
    return offset


def _parse_list(source: Source, stripped: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The list's numbers and their positions (None when no item is missing)."""
    inner = stripped[1:-1]
    expected = "expected a flat list of numbers like '[0.71, 0.52, 0.44]'"
    if "[" in inner or "]" in inner:
        raise source.error(f"a list of lists; {expected} (one curve per file)")
    fields = _bracket_fields(inner.replace("\n", " "))
    if not fields:
        raise source.error(f"an empty list; {expected}")
    missing = [f.lower() in _MISSING for f in fields]
    for i, f in enumerate(fields, start=1):
        if not missing[i - 1] and not NUMBER.fullmatch(f):
            raise source.error(f"item {i} of the list is {f[:40]!r}; {expected}")
    if not any(missing):
        return _floats(fields), None
    if all(missing):
        raise source.error(f"every item of the list is null; {expected}")
    keep = ~np.asarray(missing)
    return _floats([f for f, m in zip(fields, missing) if not m]), np.flatnonzero(keep).astype(np.float64)


def _whole_number_list(y: np.ndarray) -> tuple[int, int, int] | None:
    """(distinct count, lowest, highest) when every value is a whole number and they repeat (fewer
    distinct values than half the count): class labels, indices or counts - a loss is never that."""
    f = y[np.isfinite(y)]
    if len(f) < 6 or not np.all(f == np.round(f)):
        return None
    distinct = len(np.unique(f))
    return (distinct, int(f.min()), int(f.max())) if distinct < len(f) / 2 else None


def _loss_named_without_role(stem: str) -> bool:
    """A stem that says 'loss' but names no phase (``loss_history``, ``loss_log``, ``loss_values``): the
    file's one curve is a loss whose role the name does not give - the same guess as for an unnamed curve
    applies (the training loss, when it plainly falls like one). GAN losses (``d_loss``, ``g_loss``) are
    not guessed: a generator or discriminator loss is not the training loss."""
    return "loss" in stem.lower() and not is_gan_loss_name(stem)


def read(source: Source) -> list[Run]:
    y, at, how = _values(source)
    named_loss = canonical_series(source.stem.strip()) is not None or looks_like_loss(source.stem.strip())
    whole = _whole_number_list(y) if named_loss else None  # (an unnamed list is set aside as lossless anyway)
    if whole is not None:
        raise source.error(
            f"holds only whole numbers ({len(y):,} values, {whole[0]} distinct, from {whole[1]} to {whole[2]}): "
            "a list of labels, indices or counts, not a loss curve; expected loss values such as 0.693, 0.41")
    stem = source.stem.strip() or "values"
    x = np.arange(len(y), dtype=np.float64) if at is None else at
    notes = [f"a file of bare numbers ({how}, {len(y):,} values, no header): one curve named after the file, "
             f"'{stem}'; its x is each value's position in the file (0 to {int(x[-1])}), read as the epoch - "
             "the file holds no epoch or step numbers"] + source.notes
    points = {stem: {"y": y, "epoch": x}}
    parent = PurePath(source.display.replace("\\", "/")).parent
    # The file name names the curve, not the run: a file on disk is a run of its folder.
    name = (source.path.parent.name if source.path is not None else "") or stem
    run = points_to_run(points, name=name, source=source.display, format=FORMAT, notes=notes, require_loss=False)
    run.meta[MERGE_KEY] = "" if str(parent) == "." else str(parent)
    run.meta[X_IS_POSITION] = True
    if canonical_series(stem) is None and (not looks_like_loss(stem) or _loss_named_without_role(stem)):
        run.meta[UNNAMED] = [stem]
        read_lone_curve_as_loss(run)
        warn_if_roleless(run)
    return [run]


READERS = [Reader(FORMAT, sniff, read, "bare numbers: one curve per file, no header (np.savetxt, json.dump(list))")]
