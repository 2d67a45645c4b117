"""Hyper-parameter grid logs: one line per configuration, its printed settings, a colon, then its curve.

``[64, 16, [64, 64], [0.1, 0.1, 1], 0.01, 1]: 13.32, 7.51, 7.51, ...`` (a list printed by ``print``) or
``{'lr': 0.01, 'bs': 32}: 1.2, 0.9, ...``: the line opens like JSON but the file is not JSON (the JSON
reader hands such a file here). Each line is one run, named after its settings; its numbers are one curve named after
the file (``train_loss.txt`` -> train_loss; a name that gives no role loads the curve role-less), on the
epoch axis by position - the file holds no epoch numbers. ``nan`` / ``inf`` are values (a diverged run).
"""

from __future__ import annotations

import re

import numpy as np

from ..columns import canonical_series, looks_like_loss
from ..roles import warn_if_roleless
from ..run import Run
from .limits import MAX_RUNS_PER_FILE
from .source import Source
from .table import points_to_run

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)"
_LINE = re.compile(
    rf"^(?P<label>[\[\{{(].*[\]\}})])\s*:\s*(?P<values>(?:{_NUM})(?:\s*,\s*(?:{_NUM}))+)\s*,?\s*$",
    re.IGNORECASE | re.ASCII,
)
MIN_LINES = 1
MIN_VALUES = 3


def looks_like_grid_log(text: str) -> bool:
    """The first non-blank line is '[settings]: values' (never the first line of a valid JSON text)."""
    stripped = text.lstrip()
    if stripped[:1] not in "[{":
        return False
    end = stripped.find("\n")
    return _LINE.match((stripped if end < 0 else stripped[:end]).strip()) is not None


def labelled_rows(text: str) -> list[tuple[int, str, np.ndarray]] | None:
    """(line number, settings, values) of every line when each non-blank line is one configuration's
    curve (at least ``MIN_LINES`` lines, ``MIN_VALUES`` values each); None otherwise."""
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        m = _LINE.match(line)
        if m is None:
            return None
        values = np.array([float(v) for v in re.split(r"\s*,\s*", m.group("values").strip())], dtype=np.float64)
        if len(values) < MIN_VALUES:
            return None
        rows.append((number, m.group("label"), values))
    return rows if len(rows) >= MIN_LINES else None


def read_labelled_rows(source: Source, format: str) -> list[Run] | None:
    """One run per line of a grid log (see the module doc); None when the file is not one."""
    rows = labelled_rows(source.text())
    if rows is None:
        if looks_like_grid_log(source.text()):  # it opens as one: name the line that is not
            for number, line in enumerate(source.text().split("\n"), start=1):
                m = _LINE.match(line.strip())
                if line.strip() and (m is None or len(re.split(r"\s*,\s*", m.group("values").strip())) < MIN_VALUES):
                    raise source.error(f"{line.strip()[:60]!r} is not '[settings]: value, value, ...' like line 1 of this "
                                       f"grid log (one configuration per line, at least {MIN_VALUES} numbers each)",
                                       row=number)
            raise source.error(f"a grid log needs at least {MIN_LINES} lines of '[settings]: value, value, ...'")
        return None
    if len(rows) > MAX_RUNS_PER_FILE:
        raise source.error(f"{len(rows):,} configurations, over the limit of {MAX_RUNS_PER_FILE:,} runs in one file; "
                           "expected fewer lines of '[settings]: loss, loss, ...'")
    stem = source.stem.strip() or "values"
    named = canonical_series(stem) is not None or looks_like_loss(stem)
    runs, seen = [], {}
    for number, label, y in rows:
        seen[label] = seen.get(label, 0) + 1
        name = f"{stem} {label}" + (f" #{seen[label]}" if seen[label] > 1 else "")
        x = np.arange(len(y), dtype=np.float64)
        note = (f"a grid log of {len(rows)} configurations, one per line ('[settings]: values'): this run is line "
                f"{number}, settings {label}, {len(y)} values read as one curve named after the file, '{stem}', "
                f"on the epoch axis by position (0 to {len(y) - 1}) - the file holds no epoch numbers")
        run = points_to_run({stem: {"y": y, "epoch": x}}, name=name, source=source.display, format=format,
                            notes=[note, *source.notes], require_loss=False, meta={"grid_settings": label})
        if not named:
            warn_if_roleless(run)
        runs.append(run)
    return runs
