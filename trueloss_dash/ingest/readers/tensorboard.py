"""TensorBoard event files (``events.out.tfevents.*``) and run directories.

Records are read with TensorBoard's own loader (``LegacyEventFileLoader``: TFRecord framing with
CRC checks, protobuf parsing in C); we only walk the parsed events and collect scalars into
numpy arrays - no per-event pandas and none of the accumulator's bookkeeping, which is why this
is faster than tbparse on the same file.

Scalars come as ``simple_value`` (TF1, PyTorch, Lightning) or as scalar tensors with the
``scalars`` plugin (TF2; the plugin name is only on a tag's first event). An ``epoch`` tag
(Lightning) becomes the epoch axis of the other tags at the same step. ``hparams`` plugin records
fill the RunContext. Keras' ``train/``/``validation/`` sub-directories become train/val series.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ...columns import EPOCH, canonical_x
from ...errors import LogFormatError
from ...run import Run
from ..hparams import context_from_params
from ..registry import Reader
from ..limits import MAX_BYTES
from ..safe_read import inside, read_capped
from ..source import Source
from ..tfrecord import read_records
from ..table import points_to_run
from .ultralytics import sum_components

_VALIDATION_DIRS = {"validation", "val", "valid", "eval", "test"}
_TRAIN_DIRS = {"train", "training"}


def is_event_file_name(name: str) -> bool:
    return "tfevents" in name.lower()


def sniff(sample) -> int:
    data = sample.source.head
    if len(data) < 12:
        return 0
    if is_event_file_name(sample.name):
        return 95
    # TFRecord framing: <u64 length><u32 crc><Event...>; an Event starts with wall_time (field 1, fixed64).
    (length,) = struct.unpack("<Q", data[:8])
    if 0 < length < 1 << 24 and len(data) > 12 and data[12] == 0x09:
        return 70
    return 0


def use_fast_crc() -> bool:
    """Swap TensorBoard's pure-Python CRC32C (its TF-less record reader checks one per record, ~100 µs
    per event) for the C one from ``google-crc32c`` when installed. Same checks, same results."""
    try:
        import google_crc32c
        from tensorboard.compat.tensorflow_stub import pywrap_tensorflow
    except ImportError:
        return False
    if google_crc32c.implementation != "c":
        return False
    pywrap_tensorflow.crc32c = google_crc32c.value
    return True


class Collector:
    """Scalars per tag, gathered from one or more event files."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[list, list, list]] = {}
        self.plugins: dict[str, str] = {}
        self.hparams: dict = {}
        self.skipped: set[str] = set()
        self.problems: list[str] = []  # damaged records, with their byte offsets
        self.events = 0

    def add_file(self, path: str, prefix: str = "", max_bytes: int = MAX_BYTES) -> None:
        self.add_bytes(read_capped(Path(path), max_bytes), prefix, where=Path(path).name)

    def add_bytes(self, data: bytes, prefix: str = "", where: str = "", *, final: bool = True, base: int = 0) -> int:
        """Every intact record of an event file's bytes; damaged ones are skipped and named in
        :attr:`problems` (see :mod:`..tfrecord`), so a CRC error mid-file costs one record, not the rest.

        The folder watcher feeds a growing file's new bytes with ``final=False`` (a half-written
        last record waits) and ``base`` = their file offset; returns how many bytes were used."""
        from google.protobuf.message import DecodeError
        from tensorboard.compat.proto import event_pb2

        parse = event_pb2.Event.FromString
        found = read_records(data, final=final, base=base)
        label = f"{where}: " if where else ""
        self.problems.extend(label + p for p in found.problems)
        for offset, payload in found.payloads:
            try:
                event = parse(payload)
            except DecodeError:
                self.problems.append(f"{label}record at byte {base + offset} is not a TensorBoard event; skipped")
                continue
            self.add_event(event, prefix)
        return found.end

    def add_event(self, event, prefix: str = "") -> None:
        """One parsed ``Event``: also the entry point of the folder watcher, which reads new records itself."""
        values, plugins = self.values, self.plugins
        self.events += 1
        if not event.HasField("summary"):
            return
        step, wall = event.step, event.wall_time
        for v in event.summary.value:
            kind = v.WhichOneof("value")
            tag = prefix + v.tag
            if kind is None and v.metadata.plugin_data.plugin_name == "hparams":
                self._hparams(v.metadata.plugin_data.content)  # PyTorch writes them without a value
                continue
            if kind == "simple_value":
                x = v.simple_value
            elif kind == "tensor":
                plugin = v.metadata.plugin_data.plugin_name
                if plugin:
                    plugins[tag] = plugin
                else:
                    plugin = plugins.get(tag, "")
                if plugin == "hparams":
                    self._hparams(v.metadata.plugin_data.content)
                    continue
                x = _tensor_scalar(v.tensor) if plugin in ("scalars", "") else None
                if x is None:
                    self.skipped.add(tag)
                    continue
            else:
                self.skipped.add(tag)
                continue
            bucket = values.get(tag)
            if bucket is None:
                bucket = values[tag] = ([], [], [])
            bucket[0].append(step)
            bucket[1].append(wall)
            bucket[2].append(x)

    def _hparams(self, content: bytes) -> None:
        try:
            from tensorboard.plugins.hparams import plugin_data_pb2

            data = plugin_data_pb2.HParamsPluginData.FromString(content)
        except Exception:  # malformed plugin data is not worth refusing the run
            return
        for key, value in data.session_start_info.hparams.items():
            kind = value.WhichOneof("kind")
            if kind:
                self.hparams[key] = getattr(value, kind)


def _tensor_scalar(tensor) -> float | None:
    if tensor.tensor_shape.dim and any(d.size != 1 for d in tensor.tensor_shape.dim):
        return None
    for field in ("float_val", "double_val", "int_val", "int64_val", "half_val"):
        vals = getattr(tensor, field)
        if len(vals):
            return float(vals[0])
    if tensor.tensor_content:
        dtype = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 19: np.float16}.get(tensor.dtype)
        if dtype is not None:
            arr = np.frombuffer(tensor.tensor_content, dtype=dtype)
            return float(arr[0]) if arr.size == 1 else None
    return None


def _keras_tag(tag: str) -> str:
    """Keras TensorBoard callback: ``validation/epoch_loss`` -> ``val_loss``; ``train/epoch_loss`` -> ``loss``."""
    if "/" not in tag:
        return tag
    role, rest = tag.split("/", 1)
    if rest.startswith("epoch_"):
        rest = rest[len("epoch_"):]
    if role in _VALIDATION_DIRS:
        return f"val_{rest}"
    if role in _TRAIN_DIRS:
        return rest
    return tag


def collect_run(files: list[tuple[Path, str]], *, name: str, source: str, max_bytes: int = MAX_BYTES) -> Run:
    """One Run from event files; each file comes with a tag prefix ('' or 'validation/' ...).

    Damaged records are skipped and reported (with their byte offsets) as a warning on the run;
    what could be read is kept."""
    col = Collector()
    for path, prefix in files:
        col.add_file(str(path), prefix, max_bytes)
    return run_from_collector(col, prefixed=any(p for _, p in files), name=name, source=source)


def run_from_collector(col: Collector, *, prefixed: bool, name: str, source: str) -> Run:
    """The Run the collected scalars make (``prefixed``: tags carry Keras' train/validation roles)."""
    if not col.values:
        what = f" (only {', '.join(sorted(col.skipped)[:10])})" if col.skipped else ""
        damage = f"; {'; '.join(col.problems[:3])}" if col.problems else ""
        raise LogFormatError(
            f"no scalar summaries in {col.events} readable events{what}{damage}; "
            "expected scalars such as train_loss/val_loss",
            path=source,
        )
    points: dict[str, dict[str, np.ndarray]] = {}
    for tag, (steps, walls, vals) in col.values.items():
        name_ = _keras_tag(tag) if prefixed else tag
        points[name_] = {
            "y": np.asarray(vals, dtype=np.float64),
            "step": np.asarray(steps, dtype=np.float64),
            "wall_time": np.asarray(walls, dtype=np.float64),
        }
    notes = []
    epoch_tag = next((t for t in points if canonical_x(t) == EPOCH), None)
    if epoch_tag:
        ep = points.pop(epoch_tag)
        order = np.argsort(ep["step"], kind="stable")
        ep_steps, ep_vals = ep["step"][order], ep["y"][order]
        for p in points.values():
            idx = np.clip(np.searchsorted(ep_steps, p["step"], side="right") - 1, 0, len(ep_steps) - 1)
            exact = ep_steps[idx] == p["step"]
            if exact.any():
                p["epoch"] = np.where(exact, ep_vals[idx], np.nan) if not exact.all() else ep_vals[idx]
        notes.append(f"'{epoch_tag}' tag used as the epoch axis of the other tags (matched by step)")
    if col.skipped:
        notes.append(f"non-scalar summaries skipped: {', '.join(sorted(col.skipped)[:10])}")
    context = None
    if col.hparams:
        context = context_from_params(col.hparams)
        notes.append("hyper-parameters read from the hparams plugin records")
    warnings = []
    if col.problems:
        more = f" (and {len(col.problems) - 5} more)" if len(col.problems) > 5 else ""
        warnings.append(f"damaged event file, the rest was kept: {'; '.join(col.problems[:5])}{more}")
    run = points_to_run(points, name=name, source=source, format="tensorboard", context=context, notes=notes,
                        warnings=warnings)
    sum_components(run)
    return run


def read(source: Source) -> list[Run]:
    if source.path is not None:
        return [collect_run([(source.path, "")], name=_run_name(source.path), source=source.display,
                            max_bytes=source.max_bytes)]
    col = Collector()
    col.add_bytes(source.data, "", where=source.name)
    return [run_from_collector(col, prefixed=False, name=source.name, source=source.display)]


def _run_name(path: Path) -> str:
    """``<prefix>events.out.tfevents...`` -> prefix; else the run folder's name."""
    prefix = path.name.split("events.out.tfevents")[0].rstrip("_-. ")
    if prefix:
        return prefix
    return path.parent.name or path.name


def read_directory(root: Path) -> list[Run]:
    """Event files under ``root`` grouped by run: a directory's own files plus its train/validation subdirs."""
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and is_event_file_name(p.name) and inside(p, root)
    )
    groups: dict[Path, list[tuple[Path, str]]] = {}
    for f in files:
        parent = f.parent
        role = parent.name.lower()
        if role in _VALIDATION_DIRS | _TRAIN_DIRS and parent != root:
            groups.setdefault(parent.parent, []).append((f, f"{role}/"))
        else:
            groups.setdefault(parent, []).append((f, ""))
    runs = []
    for run_dir, members in groups.items():
        runs.append(collect_run(members, name=run_dir.name, source=str(run_dir)))
    return runs


READERS = [Reader("tensorboard", sniff, read, "TensorBoard event files")]
