"""Find the runs under a folder, the way training tools lay them out.

- Lightning ``lightning_logs/version_*/metrics.csv``, Ultralytics ``runs/*/*/results.csv``, Keras
  CSVLogger files, JSON lines and text logs: one run per log file (its format is sniffed later, from
  content, by the ingest layer);
- TensorBoard: one run per folder holding ``events.out.tfevents.*`` (Keras' ``train/`` and
  ``validation/`` sub-folders join their parent);
- Hugging Face output folders: ``trainer_state.json`` at the top or in ``checkpoint-*/`` - one run
  per output folder (checkpoint folders are not walked: they hold the model weights);
- ``mlruns``: one run per MLflow run folder (``meta.yaml`` + ``metrics/``); DVCLive folders.

Never leaves the folder: symbolic links (files or folders) are listed as refused, not followed;
hidden folders are skipped; the walk stops after ``MAX_SCAN_ENTRIES`` entries.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.loader import COMPANION_FILES, GENERIC_STEMS, LOG_SUFFIXES
from ..ingest.readers.tensorboard import is_event_file_name
from ..provenance import SIDECAR_SUFFIX

MAX_SCAN_ENTRIES = 20_000
MAX_RUNS = 500
_ROLE_DIRS = {"train", "training", "validation", "val", "valid", "eval", "test"}
_SKIP_DIRS = {"__pycache__", "node_modules", "wandb-media"}


@dataclass
class Found:
    key: str  # path relative to the root (posix): the run's id in the watch
    kind: str  # file | tensorboard | hf | mlflow | dvclive
    path: Path
    label: str  # what the list shows: the run folder for generic file names (lightning_logs/version_3)
    files: dict[Path, str] = field(default_factory=dict)  # tensorboard: event file -> tag prefix


@dataclass
class Scan:
    found: dict[str, Found]
    refused: list[str]
    truncated: bool = False


def _rel(root: Path, path: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return "." if rel == "" else rel


def scan(root: Path) -> Scan:
    """Every run source under ``root`` (a resolved folder)."""
    found: dict[str, Found] = {}
    refused: list[str] = []
    entries = 0
    truncated = False
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        d = Path(dirpath)
        entries += len(dirnames) + len(filenames)
        if entries > MAX_SCAN_ENTRIES or len(found) >= MAX_RUNS:
            truncated = True
            dirnames[:] = []
            break
        keep = []
        for name in sorted(dirnames):
            if name.startswith(".") or name in _SKIP_DIRS:
                continue
            if os.path.islink(d / name):
                refused.append(f"{_rel(root, d / name)}: a symbolic link to a folder; not followed")
                continue
            keep.append(name)
        names = set(filenames)
        if (d / "meta.yaml").is_file() and "metrics" in keep and d != root:
            found[_rel(root, d)] = Found(_rel(root, d), "mlflow", d, _rel(root, d))
            dirnames[:] = []
            continue
        if "plots" in keep and (d / "plots" / "metrics").is_dir():
            found[_rel(root, d)] = Found(_rel(root, d), "dvclive", d, _rel(root, d))
            dirnames[:] = []
            continue
        checkpoints = [n for n in keep if n.startswith("checkpoint-")]
        if "trainer_state.json" in names or any((d / n / "trainer_state.json").is_file() for n in checkpoints):
            found[_rel(root, d)] = Found(_rel(root, d), "hf", d, _rel(root, d))
        dirnames[:] = [n for n in keep if not n.startswith("checkpoint-")]
        for name in sorted(filenames):
            path = d / name
            lower = name.lower()
            if is_event_file_name(lower):
                if path.is_symlink():
                    refused.append(f"{_rel(root, path)}: a symbolic link; not followed")
                    continue
                role = d.name.lower()
                group, prefix = (d.parent, f"{role}/") if role in _ROLE_DIRS and d != root else (d, "")
                key = _rel(root, group)
                entry = found.get(key)
                if entry is None or entry.kind != "tensorboard":
                    entry = found[key if entry is None else key + " (tensorboard)"] = Found(
                        key if entry is None else key + " (tensorboard)", "tensorboard", group, key)
                entry.files[path] = prefix
                continue
            if (Path(name).suffix.lower() not in LOG_SUFFIXES or lower in COMPANION_FILES
                    or lower.endswith(SIDECAR_SUFFIX) or lower == "trainer_state.json"):
                continue
            if path.is_symlink():
                refused.append(f"{_rel(root, path)}: a symbolic link; not followed")
                continue
            key = _rel(root, path)
            stem = Path(name).stem.lower()
            label = _rel(root, d) if stem in GENERIC_STEMS and d != root else key
            found[key] = Found(key, "file", path, label)
    return Scan(found, refused, truncated)
