"""JSON-lines logs: detectron2 ``metrics.json``, W&B ``wandb-history.jsonl``, and generic JSON.

Generic JSON also covers a JSON array of records and a dict of lists
(``json.dump(history.history)`` from Keras). Python's json accepts ``NaN``/``Infinity`` tokens.
A truncated last line (a run killed mid-write) is skipped with a warning; a file where most lines
are not JSON is refused.
"""

from __future__ import annotations

import json
import re

from ...columns import looks_like_loss
from ...run import Run
from ..labelled_rows import looks_like_grid_log, read_labelled_rows
from ..phasekeys import headerless_rows, name_phase_columns, phase_keyed_columns
from ..provenance_util import header_context
from ..records import records_to_table, scalar
from ..limits import MAX_LINE_BYTES, mb
from ..segment_lists import segment_records
from ..registry import Reader
from ..sniff import dict_in_json_string, python_dict_line
from ..source import Source
from ..sidebyside import NOT_A_MODEL, table_to_runs_by_prefix
from .hf_trainer import SUMMARY_KEYS


def _is_detectron2(sample) -> bool:
    keys = sample.json_keys
    return "iteration" in keys and ("total_loss" in keys or any(k.startswith("loss_") for k in keys))


def _is_wandb(sample) -> bool:
    keys = sample.json_keys
    return bool({"_step", "_runtime", "_timestamp"} & keys)


def sniff_detectron2(sample) -> int:
    return 90 if sample.json_kind == "lines" and _is_detectron2(sample) else 0


def sniff_wandb(sample) -> int:
    return 85 if sample.json_kind in ("lines", "object") and _is_wandb(sample) else 0


def _is_mmengine(sample) -> bool:
    recs = sample.json_records
    train = [r for r in recs if "iter" in r and "step" in r and ("lr" in r or "loss" in r)]
    return bool(train) and len(train) >= 0.3 * len(recs)


def sniff_mmengine(sample) -> int:
    return 88 if sample.json_kind == "lines" and _is_mmengine(sample) else 0


def mmengine_records(records: list[dict]) -> tuple[list[dict], list[str]]:
    """mmengine ``vis_data/scalars.json``: training rows carry ``epoch``/``iter``/``step``; validation
    rows carry only ``step`` = the epoch (epoch-based runs) or the iteration (iter-based runs). They
    get the last training iteration as their step, their epoch, and a ``val/`` prefix."""
    epoch_based = any("epoch" in r for r in records if "iter" in r)
    out, last_iter, n_val = [], None, 0
    for rec in records:
        if "iter" in rec:
            row = {k: v for k, v in rec.items() if k != "step"}
            last_iter = rec["iter"]
            out.append(row)
            continue
        row = {("val/" + k if k not in ("step", "epoch") and not k.startswith(("val/", "test/")) else k): v
               for k, v in rec.items() if k != "step"}
        if epoch_based:
            row["epoch"] = rec.get("step")
            row["iter"] = last_iter
        else:
            row["iter"] = rec.get("step")
        n_val += 1
        out.append(row)
    notes = [f"{n_val} validation rows placed at their epoch and the last training iteration"] if n_val else []
    return out, notes


def sniff_generic(sample) -> int:
    if sample.mixed_json_lines:
        return 0  # a console capture that prints dicts among other lines: the text grammar's
    if sample.json_kind in ("lines", "array"):
        return 30
    if sample.json_kind == "object":
        return 15
    return 0


def _columns_of(d: dict, min_len: int = 0) -> dict[str, list] | None:
    """The number lists of a dict (``{"loss": [...], "val_loss": [...]}``, lists shorter than
    ``min_len`` left out) when every one of them holds only numbers or nulls; None otherwise."""
    lists = {k: v for k, v in d.items() if isinstance(v, list) and len(v) >= min_len}
    if lists and all(all(scalar(x) is not None or x is None for x in v) for v in lists.values()):
        return lists
    return None


def _history_lists(d: dict) -> tuple[dict[str, list], list[str]] | None:
    """The history of a dict that mixes run metadata (``timestamp``, ``backbone``, ``classes: [..]``,
    ``phase_starts: [3, 30, 60]``, ``test_acc``) with per-epoch lists: the number lists of one length
    (at least 3 values, at least one of them a loss), the length holding the most lists - the longest
    on a tie. Returns (lists, the other keys) or None."""
    by_len: dict[int, dict[str, list]] = {}
    for k, v in d.items():
        if isinstance(v, list) and len(v) >= 3 and all(scalar(x) is not None or x is None for x in v):
            by_len.setdefault(len(v), {})[k] = v
    with_loss = [(len(cols), n) for n, cols in by_len.items() if any(looks_like_loss(k) for k in cols)]
    if not with_loss:
        return None
    lists = by_len[max(with_loss)[1]]
    return lists, [k for k in d if k not in lists]


_X_KEY = re.compile(r"^(?P<prefix>.*?)[_\s./-]*(?P<axis>steps?|iters?|iterations?|epochs?)$", re.I)


def _x_keyed_lists(d: dict) -> tuple[list[dict], str] | None:
    """Parallel lists of different lengths, each group with its own x list: ``{"train_steps": [100, 200, ..],
    "train_losses": [..], "valid_steps": [400, 800, ..], "valid_losses": [..], "valid_ppl": [..]}`` - a list
    named ``<prefix>_steps`` / ``_epochs`` / ``_iters`` that rises at every value is the x of the lists of its
    length whose names start with that prefix. Read on the row index, validation evaluated every 400 steps
    was compared with training at step 100 (BMIHALKO). Records merge on the x value; None unless some
    group's lists hold a loss and the groups differ in length (lists of one length are a plain table)."""
    lists = _columns_of(d)
    if lists is None or len({len(v) for v in lists.values()}) < 2:
        return None
    groups: dict[str, tuple[str, list[str]]] = {}  # x key -> (axis, value keys)
    for key, xs in lists.items():
        m = _X_KEY.match(str(key))
        if m is None or not m.group("prefix") or len(xs) < 2:
            continue
        try:
            arr = [float(x) for x in xs]
        except (TypeError, ValueError):
            continue
        if not all(b > a for a, b in zip(arr, arr[1:])):
            continue
        prefix = m.group("prefix").lower()
        members = [k for k, v in lists.items() if k != key and len(v) == len(xs) and str(k).lower().startswith(prefix)
                   and _X_KEY.match(str(k)) is None]
        if members:
            axis = "epoch" if m.group("axis").lower().startswith("epoch") else "step"
            groups[key] = (axis, members)
    if len({axis for axis, _ in groups.values()}) != 1 or not any(looks_like_loss(k) for _, ks in groups.values() for k in ks):
        return None
    axis = next(iter(groups.values()))[0]
    by_x: dict[float, dict] = {}
    for xkey, (_, members) in groups.items():
        for i, x in enumerate(lists[xkey]):
            rec = by_x.setdefault(float(x), {axis: float(x)})
            rec.update({k: lists[k][i] for k in members})
    taken = {k for _, ks in groups.values() for k in ks} | set(groups)
    left = [k for k in lists if k not in taken]
    note = ("parallel lists with their own x: " + "; ".join(f"{', '.join(ks)} at {xk}" for xk, (_, ks) in groups.items())
            + (f"; {', '.join(left)} (no x list of their length) left out" if left else ""))
    return [by_x[x] for x in sorted(by_x)], note


def _rows_of(columns: dict[str, list]) -> list[dict]:
    """Column lists as records, row i holding the i-th value of every list long enough."""
    n = max(len(v) for v in columns.values())
    return [{k: v[i] for k, v in columns.items() if i < len(v)} for i in range(n)]


def _nested_records(whole: dict) -> tuple[str, list[dict]] | None:
    """Per-epoch records held under one key of a JSON object, when it has at least 2:
    - a list of metric dicts - ``{"history": [{"epoch": 1, "train_loss": ...}, ...], "test_acc": 0.93}``
      (the longest such list);
    - a dict of number lists - ``{"hyperparams": {...}, "history": {"train_loss": [...], ...}}`` - with a
      top-level list of the same length beside it (``{"epochs": [0, 1, 2], "metrics": {...}}``) as a
      column too. None otherwise."""
    best = None
    for key, value in whole.items():
        if isinstance(value, list) and len(value) >= 2:
            recs = [r for r in value if isinstance(r, dict) and any(scalar(x) is not None for x in r.values())]
            if len(recs) >= max(2, 0.9 * len(value)) and (best is None or len(recs) > len(best[1])):
                best = (key, recs)
        elif isinstance(value, dict):
            cols = _columns_of(value, min_len=2)
            if cols is None:
                continue
            n = max(len(v) for v in cols.values())
            beside = {k: v for k, v in whole.items() if k != key and isinstance(v, list) and len(v) == n
                      and all(scalar(x) is not None for x in v) and k not in cols}
            recs = _rows_of({**beside, **cols})
            if best is None or len(recs) > len(best[1]):
                best = (key, recs)
    return best


def _drop_summary(records: list[dict], warnings: list[str]) -> list[dict]:
    """HF Trainer's final summary record (``train_runtime``, the run-average ``train_loss``) is no point
    on the curve: left out, said in a warning."""
    summary = [r for r in records if any(k in r for k in SUMMARY_KEYS)]
    if summary and len(summary) < len(records):
        warnings.append(f"{len(summary)} final summary record(s) ({', '.join(k for k in SUMMARY_KEYS if k in summary[-1])}, "
                        "a run-average train_loss) left out: not a point on the curve")
        return [r for r in records if not any(k in r for k in SUMMARY_KEYS)]
    return records


#: ``parse_records(whole=...)`` default: the file has not been parsed as one JSON value yet.
_UNPARSED = object()


def whole_json(source: Source):
    """The file parsed as one JSON value, or None when it is not one (JSON lines, a cut write): parsed
    once per read and shared by :func:`model_histories` and :func:`parse_records`."""
    try:
        return json.loads(source.text())
    except ValueError:
        return None


def parse_records(source: Source, whole=_UNPARSED) -> tuple[list[dict], list[str], int]:
    """Records from JSON lines / array / dict-of-lists; returns (records, warnings, first line).
    ``whole``: the file already parsed by :func:`whole_json` (None: not one JSON value)."""
    text = source.text()
    warnings: list[str] = []
    stripped = text.lstrip()
    first_line = 1
    if stripped.startswith("["):
        data = whole if whole is not _UNPARSED else None
        if data is None:
            try:
                data = json.loads(text)
            except ValueError as err:
                raise source.error(f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
        records = [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
        rows = None if records else headerless_rows(data, source.stem)
        if rows is not None:
            return rows[0], warnings + rows[1], first_line
        if not records:
            raise source.error("a JSON array without objects; expected a list of {metric: value} records "
                               "(or a flat list of numbers, read as one curve)")
        return segment_records(records, "", warnings) or records, warnings, first_line
    if whole is _UNPARSED:
        try:
            whole = json.loads(text)
        except ValueError:
            whole = None
    literal = dict_in_json_string(whole)
    if literal is not None:
        warnings.append("the file is one JSON string holding a Python dict ({'loss': [...], ...}, as "
                        "json.dump(str(history.history)) writes it): read as that dict")
        whole = literal
    elif whole is None and (literal := dict_in_json_string(text)) is not None:
        warnings.append("the file is a Python dict literal ({'loss': [...], ...} in single quotes, as "
                        "print(history.history) writes it), not JSON: read as that dict")
        whole = literal
    if isinstance(whole, dict):
        phased = phase_keyed_columns(whole)
        if phased is not None:
            cols, notes = phased
            return _rows_of(cols), warnings + notes, first_line
        nested = _nested_records(whole)
        if nested is not None:
            key, records = nested
            rest = sorted(k for k, v in whole.items() if k != key and scalar(v) is not None)
            warnings.append(f"read the {len(records)} records under {key!r}" + (
                f"; top-level values {', '.join(rest[:6])} (a final summary, one value each) are not curves" if rest else ""))
            return segment_records(records, f" under {key!r}", warnings) or records, warnings, first_line
        keyed = _x_keyed_lists(whole)
        if keyed is not None:
            records, note = keyed
            return records, warnings + [note], first_line
        lists = _columns_of(whole)
        if lists is not None:
            return _rows_of(lists), warnings, first_line
        history = _history_lists(whole)
        if history is not None:
            lists, rest = history
            warnings.append(f"read the {len(lists)} number lists of {len(next(iter(lists.values())))} values "
                            f"({', '.join(list(lists)[:6])}{' ...' if len(lists) > 6 else ''}) as the history; "
                            f"{', '.join(rest[:8])}{' ...' if len(rest) > 8 else ''} beside them "
                            "(other lengths, text, single values) are run metadata, not curves")
            return _rows_of(lists), warnings, first_line
        return [whole], warnings, first_line
    records, bad, printed = [], [], 0
    lines = text.splitlines()
    for i, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE_BYTES:
            raise source.error(
                f"line is {mb(len(line))} long, over the limit of {mb(MAX_LINE_BYTES)}; "
                "expected one small JSON object of metrics per line",
                row=i,
            )
        try:
            rec = json.loads(line)
        except ValueError:
            rec = python_dict_line(line)
            if rec is None:
                bad.append(i)
                continue
            printed += 1
        if isinstance(rec, dict):
            records.append(rec)
        else:
            bad.append(i)
    if bad and (len(bad) > max(2, len(records) // 10)):
        raise source.error(
            f"{len(bad)} lines are not JSON objects (first at line {bad[0]}: {lines[bad[0] - 1][:80]!r}); "
            "expected one JSON object per line",
            row=bad[0],
        )
    if bad:
        warnings.append(f"{len(bad)} unreadable lines skipped (line {', '.join(map(str, bad[:5]))}); truncated write?")
    if not records:
        raise source.error("no JSON records found; expected one JSON object per line")
    if printed:
        warnings.append(f"{printed} lines are dicts printed by Python (single quotes, not JSON): read as records")
    records = _drop_summary(records, warnings)
    _number_rounded_epochs(records, warnings)
    return records, warnings, first_line


#: keys that already give a record its place on a step axis
_STEP_KEYS = ("step", "global_step", "iteration", "iter", "it", "batch", "steps", "total_steps")


def _number_rounded_epochs(records: list[dict], warnings: list[str]) -> None:
    """HF Trainer logs ``{'loss': ..., 'learning_rate': ..., 'epoch': 0.01}`` with the fractional epoch rounded
    to two decimals and no step: in a short run many logging steps share one epoch value, and the table
    would average them into one point per value (49 losses at epoch 0.0 and 0.01 became 2 points). When
    training records (a loss beside a learning rate) repeat a fractional epoch with different losses, the
    order of the records is the step axis: each record gets ``step`` = its position (1, 2, ...), said in a
    warning. Integer epochs, records with a step key and runs whose epochs never repeat are left alone."""
    if not records or any(k in r for r in records for k in _STEP_KEYS):
        return
    train = [r for r in records if "loss" in r and "learning_rate" in r and isinstance(r.get("epoch"), (int, float))]
    if len(train) < 3 or not any(float(r["epoch"]) % 1 for r in train):
        return
    repeats = sum(1 for a, b in zip(train, train[1:]) if a["epoch"] == b["epoch"] and a["loss"] != b["loss"])
    if repeats < 2:
        return
    for i, rec in enumerate(records, start=1):
        rec["step"] = i
    warnings.append(f"'epoch' is rounded (HF Trainer logs it to two decimals): {repeats} training records repeat the "
                    f"epoch value of the one before; the {len(records)} records are placed by their order (step 1, 2, ...), "
                    "not averaged per epoch value")


def runs_from_table(table, notes: list, warnings: list, source: Source, format: str) -> list[Run]:
    """Normalise the records' table (also used by the folder watcher, which builds it in pieces)."""
    context, meta = header_context(source)
    notes = list(notes)
    name_phase_columns(table, source.stem, notes)
    return table_to_runs_by_prefix(
        table, name=source.stem, source=source.display, format=format, context=context,
        meta=meta, notes=notes + source.notes, warnings=warnings,
    )


def model_histories(whole) -> dict[str, list[dict]] | None:
    """A JSON object holding two or more per-epoch histories side by side, one per trained model
    (``{"mlp": [{"epoch": 1, "train_loss": ...}, ...], "text": [...]}``), or an array of runs each holding
    one (:func:`_keyed_by_id`: cross-validation folds): every key whose value is a list
    of at least 2 metric records with a loss in them, the keys naming models rather than phases (a
    ``train``/``val`` pair is one run's two halves) and the histories sharing their loss names. None
    otherwise - the longest history is then read as the run (``_nested_records``)."""
    if isinstance(whole, list):
        whole = _keyed_by_id(whole)
    if not isinstance(whole, dict):
        return None
    groups, losses = {}, []
    for key, value in whole.items():
        if not isinstance(value, list) or len(value) < 2:
            continue
        recs = [r for r in value if isinstance(r, dict)]
        if len(recs) < max(2, 0.9 * len(value)):
            continue
        names = {k for r in recs for k, v in r.items() if looks_like_loss(k) and scalar(v) is not None}
        if not names:
            continue
        groups[str(key)] = recs
        losses.append(names)
    if len(groups) < 2 or any(k.strip().lower() in NOT_A_MODEL for k in groups) or any(n != losses[0] for n in losses):
        return None
    return groups


def _keyed_by_id(items: list) -> dict[str, list] | None:
    """A JSON array of runs, each an object with its scalar id(s) and one list of per-epoch records
    (``[{"fold": 1, "metrics": [{"epoch": 1, "train_loss": ...}, ...]}, ...]``: cross-validation folds) as
    {"fold 1": records, ...}; None when the array is not that shape."""
    if len(items) < 2 or not all(isinstance(it, dict) for it in items):
        return None
    out = {}
    for i, it in enumerate(items, start=1):
        lists = [v for v in it.values() if isinstance(v, list) and len(v) >= 2 and all(isinstance(r, dict) for r in v)]
        ids = [f"{k} {v}" for k, v in it.items() if not isinstance(v, (list, dict)) and scalar(v) is not None]
        if len(lists) != 1:
            return None
        name = ", ".join(ids[:2]) or f"run {i}"
        if name in out:
            return None
        out[name] = lists[0]
    return out


def _runs_per_model(groups: dict[str, list[dict]], source: Source, format: str) -> list[Run]:
    """One run per model history (:func:`model_histories`), each named after its key."""
    runs: list[Run] = []
    for key, records in groups.items():
        table, notes = records_to_table(records, first_row=1, row_label="record")
        warnings = [f"the file holds {len(groups)} histories side by side ({', '.join(list(groups)[:6])}): "
                    f"read as one run each; this is {key!r} ({len(records)} records)"]
        for run in runs_from_table(table, notes, warnings, source, format):
            run.name = f"{run.name}:{key}"
            runs.append(run)
    return runs


def _reader(format: str):
    def read(source: Source) -> list[Run]:
        if format == "jsonl" and looks_like_grid_log(source.text()):  # '[settings]: loss, ...' is no JSON
            grid = read_labelled_rows(source, format)
            if grid is not None:
                return grid
        whole = whole_json(source)
        groups = model_histories(whole) if format == "jsonl" else None
        if groups is not None:
            return _runs_per_model(groups, source, format)
        records, warnings, first = parse_records(source, whole)
        extra: list[str] = []
        if format == "mmengine_json":
            records, extra = mmengine_records(records)
        table, notes = records_to_table(records, first_row=first, row_label="record")
        notes = extra + notes
        return runs_from_table(table, notes, warnings, source, format)

    return read


READERS = [
    Reader("detectron2_json", sniff_detectron2, _reader("detectron2_json"), "detectron2 metrics.json (JSON lines)"),
    Reader("wandb_jsonl", sniff_wandb, _reader("wandb_jsonl"), "Weights & Biases wandb-history.jsonl"),
    Reader("mmengine_json", sniff_mmengine, _reader("mmengine_json"), "mmengine / OpenMMLab vis_data/scalars.json"),
    Reader("jsonl", sniff_generic, _reader("jsonl"), "JSON lines, a JSON array of records, or a dict of lists"),
]
