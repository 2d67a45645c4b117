"""Key/value boxes: one record per box of ``| key | value |`` rows between rules (Stable-Baselines3's and
OpenAI Baselines' console logger)::

    -----------------------------------------
    | rollout/                |             |
    |    ep_rew_mean          | 22.2        |
    | time/                   |             |
    |    total_timesteps      | 4096        |
    | train/                  |             |
    |    loss                 | 6.52        |
    -----------------------------------------

Why a reader of its own: the table is transposed - each box is one record, its names down the first
column - so neither the console-table reader (names across a header line) nor the line grammar reads
it. A row with no value whose key ends with ``/`` opens a section: the keys under it are named
``<section>/<key>`` (``train/loss``), as the library names them in its CSV and TensorBoard output. The
box's step is its ``total_timesteps`` (``timesteps``), else its ``iterations`` / ``n_updates`` count,
else its place in the file.
"""

from __future__ import annotations

import re

from ...columns import fold
from ..records import records_to_table, scalar
from ..registry import Reader
from ..source import Source
from ..table import table_to_runs

MIN_BOXES = 3
_RULE = re.compile(r"^-{10,}$")
_ROW = re.compile(r"^\|\s*(\S[^|]*?)\s*\|\s*([^|]*?)\s*\|$")
#: folded key endings that count the box's progress, finest first
_STEP_KEYS = ("totaltimesteps", "timesteps", "totalsteps", "iterations", "nupdates", "updates")


def _boxes(text: str) -> list[dict[str, str]]:
    """The boxes of ``text`` in file order: key -> value text, section prefixes applied."""
    boxes: list[dict[str, str]] = []
    box: dict[str, str] | None = None
    section = ""
    for raw in text.replace("\r", "\n").split("\n"):
        line = raw.strip()
        if _RULE.match(line):
            if box:
                boxes.append(box)
            box, section = {}, ""
            continue
        m = _ROW.match(line) if box is not None else None
        if m is None:
            if box:
                boxes.append(box)
            box = None
            continue
        key, value = m.group(1), m.group(2)
        if not value and key.endswith("/"):
            section = key
        else:
            indented = line.split("|")[1].startswith("    ")  # '|    loss': a key of the section above
            box[section + key if section and indented else key] = value
    if box:
        boxes.append(box)
    return boxes


def _step_key(keys) -> str | None:
    for want in _STEP_KEYS:
        for key in keys:
            if fold(key.rsplit("/", 1)[-1]) == want:
                return key
    return None


def sniff(sample) -> int:
    if sample.binary or sample.json_kind or "|" not in sample.text:
        return 0
    boxes = [b for b in _boxes(sample.text) if sum(scalar(v) is not None for v in b.values()) >= 2]
    return 60 if len(boxes) >= MIN_BOXES else 0  # above the console tables (58): a box is no table row


def read(source: Source) -> list:
    boxes = [b for b in _boxes(source.text()) if any(scalar(v) is not None for v in b.values())]
    if not boxes:
        raise source.error("no '| key | value |' boxes between rules of dashes; expected a console logger's "
                           "boxes such as '| train/loss | 0.52 |' (Stable-Baselines3)")
    step = _step_key({k for b in boxes for k in b})
    rows = []
    for i, box in enumerate(boxes):
        row = {k: v for k, v in box.items() if scalar(v) is not None}
        row["step"] = scalar(box[step]) if step and step in box else float(i)
        rows.append(row)
    table, notes = records_to_table(rows)
    notes.append(f"{len(boxes):,} key/value boxes read, one record each; the step is "
                 + (f"'{step}'" if step else "the box's place in the file"))
    return table_to_runs(table, name=source.stem, source=source.display, format="kv_table",
                         notes=notes + source.notes)


READERS = [Reader("kv_table", sniff, read, "key/value boxes: '| train/loss | 0.52 |' rows between rules, one record a box")]
