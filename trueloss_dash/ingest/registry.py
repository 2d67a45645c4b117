"""The reader registry: format id -> (sniff, read). One module per format family in ``readers/``.

Adding a format = writing a module with a ``READERS`` list and adding it to ``_MODULES``.
Modules are imported lazily (the first time a file is sniffed), so ``import trueloss_dash.ingest``
stays cheap and heavy dependencies (tensorboard, mlflow) load only when such a file is read.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from ..run import Run
from .source import Source

# Order = tie-break priority (more specific flavours before the generic ones).
FORMATS: tuple[str, ...] = (
    "tensorboard",
    "hf_trainer_state",
    "detectron2_json",
    "wandb_jsonl",
    "mmengine_json",
    "jsonl",
    "mlflow",
    "trueloss_csv",
    "tensorboard_csv",
    "wandb_csv",
    "long_csv",
    "lightning_csv",
    "ultralytics_csv",
    "fastai_csv",
    "keras_csv",
    "dvclive",
    "bare_numbers",
    "generic_csv",
    "yolov5_txt",
    "boosting_log",
    "catboost_tsv",
    "text_log",
    "console_table",
    "kv_table",
)

_MODULES = (
    "tensorboard",
    "hf_trainer",
    "jsonl",
    "mlflow",
    "trueloss_log",
    "lightning",
    "ultralytics",
    "fastai",
    "keras",
    "dvclive",
    "bare_numbers",
    "generic_csv",
    "exported_csv",
    "yolov5_txt",
    "boosting",
    "catboost_tsv",
    "text_log",
    "console_table",
    "kv_box",
)


@dataclass(frozen=True)
class Reader:
    format: str
    sniff: Callable[..., int]  # (Sample) -> 0..100
    read: Callable[[Source], list[Run]]
    description: str = ""
    # CSV flavours only: the flavour's table adjustment (see readers/_csv.py). Lets a caller that
    # parses a growing file in pieces (the folder watcher) finish the table exactly like ``read``.
    prepare: Callable | None = None


CSV_FORMATS = ("trueloss_csv", "lightning_csv", "ultralytics_csv", "fastai_csv", "keras_csv", "generic_csv")
JSON_LINES_FORMATS = ("detectron2_json", "wandb_jsonl", "jsonl")


_REGISTRY: dict[str, Reader] | None = None


def readers() -> dict[str, Reader]:
    global _REGISTRY
    if _REGISTRY is None:
        found: dict[str, Reader] = {}
        for mod in _MODULES:
            module = importlib.import_module(f"trueloss_dash.ingest.readers.{mod}")
            for reader in module.READERS:
                found[reader.format] = reader
        missing = set(FORMATS) - set(found)
        if missing:  # pragma: no cover - a programming error, caught by the tests
            raise RuntimeError(f"no reader registered for {sorted(missing)}")
        _REGISTRY = {f: found[f] for f in FORMATS}
    return _REGISTRY
