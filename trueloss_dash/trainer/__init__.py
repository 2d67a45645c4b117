"""Live PyTorch trainer: demo runs that measure reported, true and validation loss and decompose
the gap between them exactly; plus :class:`TrueLossTracker` for users' own training loops.

Public API::

    from trueloss_dash.trainer import (TrainConfig, PRESETS, preset_config, train, start, Job,
                                       records_to_run, TrueLossTracker, write_log)

Config, presets, the log writer and ``records_to_run`` are torch-free; the names that need torch
(``train``, ``start``, ``Job``, ``TrueLossTracker``) are imported on first use, so listing presets
or building a form costs no torch import.
"""

from __future__ import annotations

import importlib
from typing import Any

from .config import TrainConfig
from .convert import records_to_run
from .logfile import write_log
from .presets import PRESETS, Preset, preset_config

_LAZY = {
    "train": ".loop",
    "TrainResult": ".loop",
    "configure_threads": ".loop",
    "start": ".jobs",
    "Job": ".jobs",
    "TrueLossTracker": ".tracker",
}

__all__ = ["TrainConfig", "PRESETS", "Preset", "preset_config", "records_to_run", "write_log", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
