"""Content sniffing: what the first 64 KB of a file look like, computed once and shared.

Each reader's ``sniff(sample) -> int`` scores how sure it is (0 = not mine, 100 = certain);
the registry picks the highest score. File names are only a tie-breaker hint.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cached_property

from ..columns import fold
from .delimited import Header, read_header
from .source import Source


# ("[12]\ttrain-logloss:0.41" opens an XGBoost / LightGBM console log, not an array: a one-number array is
# followed by nothing, a comma or a bracket - never by a name)
_JSON_ARRAY_START = re.compile(r'\[\s*(?:[\[{"\]]|-?\d[\d.eE+-]*\s*(?:,|\](?!\s*[A-Za-z_]))|null\b|true\b|false\b|NaN\b|-?Infinity\b)')


_JSON_WORDS = {"nan", "inf", "infinity", "null", "true", "false", "none"}


def _bracket_tag_line(head: str) -> bool:
    """The first line opens with a bracketed counter or tag that closes on that line and is followed by words
    - '[1] [data:50] loss: 4.41', '[1,  2000] loss: 2.197' (PyTorch's tutorial print) -: a log line. A JSON
    array closes at the end of its line (or goes on with numbers / another array), or spans lines (pretty-printed)."""
    first = head.split("\n", 1)[0].strip()
    try:
        _, end = json.JSONDecoder().raw_decode(first)
    except (ValueError, RecursionError):  # not closed on the first line (pretty-printed, cut), no JSON at all, or
        return False  # nested past the decoder's depth (the JSON reader refuses that with its own sentence)
    rest = first[end:].lstrip()
    # only words make it a log line: numbers or another array after it ('[16, 0.1] [7.51, 7.50]', lists printed
    # side by side) stay JSON-like, for the JSON reader as before
    return any(w.lower() not in _JSON_WORDS for w in re.findall(r"[A-Za-z_]{2,}", rest))


# Python's repr of a float that JSON has no literal for: quoted, so literal_eval reads it as text ('nan').
_PY_SPECIAL = re.compile(r"(?<=[:,\[\s])(-?(?:nan|inf))(?=\s*[,}\]])")


def python_dict_line(line: str) -> dict | None:
    """A dict printed by Python (``print(logs)``: ``{'loss': 2.07, 'epoch': 0.2}``, single quotes, ``nan``,
    ``True``/``None``), read as a literal - never evaluated as code; None for anything else."""
    if not (line.startswith("{") and line.endswith("}")):
        return None
    try:
        value = ast.literal_eval(_PY_SPECIAL.sub(r"'\1'", line))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def dict_in_json_string(value) -> dict | None:
    """The dict written as Python source inside a JSON string - ``json.dump(str(history.history), f)``
    gives ``"{'loss': [0.84, 0.36], 'val_loss': [...]}"`` -, read with ``ast.literal_eval`` (literals
    only, nothing is executed; ``nan``/``inf`` as Python prints them); None for any other value."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    text = re.sub(r"\bnan\b", "None", text)
    text = re.sub(r"\binf\b", "1e999", text)
    try:
        found = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return found if isinstance(found, dict) else None


class Sample:
    def __init__(self, source: Source) -> None:
        self.source = source

    @cached_property
    def name(self) -> str:
        return self.source.name.replace("\\", "/").rsplit("/", 1)[-1].lower()

    @cached_property
    def binary(self) -> bool:
        return self.source.is_binary()

    @cached_property
    def text(self) -> str:
        return "" if self.binary else self.source.head_text()

    @cached_property
    def lines(self) -> list[str]:
        """Up to 200 non-empty lines from the head (the last, possibly cut, line dropped)."""
        text = self.text
        if not self.source.complete_in_head:
            text = text[: text.rfind("\n")] if "\n" in text else text
        return [ln.strip() for ln in text.splitlines() if ln.strip()][:200]

    @cached_property
    def header(self) -> Header | None:
        if self.binary or self.json_kind:
            return None
        try:
            return read_header(self.source, raw=True)
        except Exception:  # sniffing never fails; the chosen reader reports problems
            return None

    @cached_property
    def columns(self) -> list[str]:
        return self.header.columns if self.header else []

    @cached_property
    def numeric_row_share(self) -> float:
        """Share of data lines (after the header) with a field that parses as a number; 1.0 if none."""
        import csv

        header = self.header
        if header is None:
            return 0.0
        body = [ln for ln in self.lines if not ln.startswith("#")][1:60]
        if not body:
            return 1.0
        hits = 0
        for row in csv.reader(body, delimiter=header.delimiter):
            for cell in row:
                try:
                    float(cell.removeprefix("tensor(").split(",")[0].rstrip(")"))
                except ValueError:
                    continue
                hits += 1
                break
        return hits / len(body)

    @cached_property
    def folded(self) -> set[str]:
        return {fold(c) for c in self.columns}

    @cached_property
    def json_kind(self) -> str | None:
        """'object' (one JSON document), 'lines' (JSON per line), 'array', or None."""
        head = self.text.lstrip()
        while head.startswith("#"):  # provenance header / comments before JSON lines
            head = head.split("\n", 1)[1].lstrip() if "\n" in head else ""
        if head.startswith('"{') and self.source.complete_in_head:
            try:  # one JSON string holding a Python dict literal (str(history) saved with json.dump)
                return "object" if dict_in_json_string(json.loads(head)) is not None else None
            except ValueError:
                return None
        if not head or head[0] not in "{[":
            return None
        if head[0] == "[":
            # "[2022-09-23 19:29:09][INFO] ..." is a log line, not a JSON array
            return "array" if _JSON_ARRAY_START.match(head) and not _bracket_tag_line(head) else None
        first = head.split("\n", 1)[0].strip()
        try:
            if isinstance(json.loads(first), dict) and (len(self.lines) > 1 or len(first) == len(head.strip())):
                return "lines" if len(self.lines) > 1 else "object"
        except ValueError:
            pass
        return "object"

    @cached_property
    def mixed_json_lines(self) -> bool:
        """JSON lines (or Python dicts) are under 90% of the head's lines: a console capture that prints
        its metrics as dicts among banners and other lines (the Hugging Face Trainer's '{'loss': ...}'
        beside '***** eval metrics *****' and '  eval_loss = 0.35'), for the text grammar, not the
        JSON-lines reader."""
        if self.json_kind not in ("lines", "object"):
            return False
        body = [ln for ln in self.lines if not ln.startswith("#")]
        if len(body) < 10:
            return False
        def is_record(line: str) -> bool:  # what the JSON-lines reader takes as a record
            if not (line.startswith("{") and line.endswith("}")):
                return False
            try:
                return isinstance(json.loads(line), dict)
            except ValueError:
                return python_dict_line(line) is not None

        # the first line a record of its own (a pretty-printed document opens with a bare '{')
        return is_record(body[0]) and sum(map(is_record, body)) < 0.9 * len(body)

    @cached_property
    def json_records(self) -> list[dict]:
        """The first records of a JSON-lines file (for key-based sniffing)."""
        out = []
        for line in self.lines[:50]:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
        return out

    @cached_property
    def json_keys(self) -> set[str]:
        keys: set[str] = set()
        for rec in self.json_records:
            keys.update(rec)
        return keys
