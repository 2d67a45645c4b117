"""Hugging Face ``trainer_state.json``: the ``log_history`` list of train, eval and summary entries.

- train entries: ``loss``, ``learning_rate``, ``grad_norm`` ... at ``step``/``epoch``;
- eval entries: ``eval_loss`` and ``eval_*`` metrics; with several eval datasets the keys are
  ``eval_<name>_loss``: the first set becomes ``val_loss``, the others stay extra series (noted);
- the final summary entry (``train_runtime``, ``train_loss`` = average over the whole run) is
  not a point on the curve: it goes to ``run.meta["summary"]``.
"""

from __future__ import annotations

import json
import re

from ...columns import VAL_LOSS
from ...run import Run, RunContext
from ..hparams import context_from_params
from ..records import records_to_table
from ..registry import Reader
from ..source import Source
from ..table import table_to_runs

_EVAL_SET = re.compile(r"^eval_(.+)_loss$")
SUMMARY_KEYS = ("train_runtime", "total_flos", "train_samples_per_second")  # the final summary entry


def sniff(sample) -> int:
    if sample.json_kind != "object":
        return 0
    head = sample.text[:65536]
    if '"log_history"' in head:
        return 95
    return 0


def read(source: Source) -> list[Run]:
    try:
        state = json.loads(source.text())
    except ValueError as err:
        raise source.error(f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})", row=err.lineno) from None
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        raise source.error("no 'log_history' list; expected a Hugging Face trainer_state.json")
    notes: list[str] = []
    meta = {k: state[k] for k in ("global_step", "max_steps", "num_train_epochs", "best_metric",
                                   "best_model_checkpoint", "best_global_step") if state.get(k) is not None}
    entries = []
    for entry in history:
        if not isinstance(entry, dict):
            continue
        if any(k in entry for k in SUMMARY_KEYS):
            meta["summary"] = {k: v for k, v in entry.items() if isinstance(v, (int, float, str))}
            notes.append("final summary entry (train_runtime, run-average train_loss) kept in meta, not plotted")
            continue
        entries.append(entry)
    if not entries:
        raise source.error("log_history holds no train or eval entries (was logging disabled?)")
    sets: list[str] = []
    for entry in entries:
        for key in entry:
            m = _EVAL_SET.match(key)
            if m and m.group(1) not in sets:
                sets.append(m.group(1))
    has_plain = any("eval_loss" in e for e in entries)
    if sets and not has_plain:
        primary = f"eval_{sets[0]}_loss"
        entries = [{(VAL_LOSS if k == primary else k): v for k, v in e.items()} for e in entries]
        others = [f"eval_{s}_loss" for s in sets[1:]]
        notes.append(
            f"{len(sets)} eval sets ({', '.join(sets)}): val_loss = {primary}"
            + (f"; {', '.join(others)} kept as extra series" if others else "")
        )
    elif sets:
        notes.append(f"val_loss = eval_loss; other eval sets kept as extra series: {', '.join(sets)}")
    table, rec_notes = records_to_table(entries, row_label="log_history entry", first_row=0)
    context = RunContext()
    params = {}
    if state.get("train_batch_size") is not None:
        params["batch_size"] = state["train_batch_size"]
    if isinstance(state.get("trial_params"), dict):
        params.update(state["trial_params"])
    if params:
        context = context_from_params(params)
    return table_to_runs(
        table, name=source.stem, source=source.display, format="hf_trainer_state", context=context,
        notes=notes + rec_notes + source.notes, meta=meta,
    )


READERS = [Reader("hf_trainer_state", sniff, read, "Hugging Face trainer_state.json")]
