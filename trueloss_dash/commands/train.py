"""`trueloss-dash train`: run a preset (optionally tweaked) and write a log `inspect`/`diagnose` read.

The log's first line carries the run's RunContext, so `trueloss-dash diagnose LOG` knows about
dropout, penalties, augmentation ... without retyping them. torch is imported only when a
training actually starts.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import TruelossError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="run a demo training (preset) and write its log",
        description="Train a small PyTorch model from a preset and write a CSV/JSONL log with reported, "
        "true and validation losses and the exact gap decomposition.",
    )
    p.add_argument("--preset", help="preset name (see --list-presets)")
    p.add_argument("--list-presets", action="store_true", help="list the presets and exit")
    p.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override any training setting, e.g. --set lr=0.1 --set dropout=0.3 (repeatable)")
    p.add_argument("--true-loss", choices=("subsample", "full"), help="true training loss on a subsample (default) or the full set")
    p.add_argument("--out", help="log file to write (.csv or .jsonl)")
    p.add_argument("--format", choices=("csv", "jsonl"), help="log format (default: from the file suffix, else csv)")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _parse_overrides(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise TruelossError(f"--set {item!r}: expected KEY=VALUE, e.g. --set lr=0.01")
        out[key.strip()] = value
    return out


def _list_presets() -> int:
    from ..trainer.presets import PRESETS

    width = max(len(n) for n in PRESETS)
    for name, preset in PRESETS.items():
        causes = ", ".join(preset.expected_causes) or "-"
        print(f"{name:<{width}}  {preset.title}  [expected: {causes}]")
        print(f"{'':<{width}}  {preset.description}")
    return 0


def _bar(done: int, total: int, elapsed: float, record: dict | None) -> str:
    width = 24
    filled = int(round(width * done / max(total, 1)))
    eta = elapsed / done * (total - done) if done else 0.0
    text = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} epochs"
    if record:
        from .. import columns as C

        parts = []
        for key, label in ((C.TRAIN_LOSS, "reported"), (C.TRUE_TRAIN_LOSS, "true"), (C.VAL_LOSS, "val")):
            if record.get(key) is not None:
                parts.append(f"{label} {record[key]:.4g}")
        text += "  " + "  ".join(parts)
    return text + f"  eta {eta:.0f}s "


def run(args: argparse.Namespace) -> int:
    if args.list_presets:
        return _list_presets()
    if not args.preset:
        raise TruelossError("--preset is required (see --list-presets)")
    if not args.out:
        raise TruelossError("--out is required: the log file to write, e.g. --out run.csv")
    from ..trainer.config import TrainConfig
    from ..trainer.logfile import format_for, write_training_log
    from ..trainer.presets import preset_config

    overrides = _parse_overrides(args.overrides)
    for key, value in (("epochs", args.epochs), ("true_loss", args.true_loss), ("seed", args.seed)):
        if value is not None:
            overrides[key] = value
    config = preset_config(args.preset)
    config = TrainConfig.from_overrides(config, overrides)
    fmt = format_for(args.out, args.format)

    from ..trainer.loop import train  # imports torch

    show = not args.quiet
    started = time.perf_counter()
    records: list[dict] = []
    sizes: dict = {}

    def on_epoch(record: dict) -> None:
        records.append(record)
        # Written after every epoch (atomically), so an interrupted run keeps what it finished.
        write_training_log(args.out, records, config, status="running", fmt=fmt, **sizes)
        if show:
            sys.stderr.write(_bar(len(records), config.epochs, time.perf_counter() - started, record))
            sys.stderr.flush()

    def on_start(info: dict) -> None:
        sizes.update(n_train=info["n_train"], n_val=info["n_val"])

    if show:
        sys.stderr.write(_bar(0, config.epochs, 0.0, None))
    result = train(config, on_epoch=on_epoch, on_start=on_start)
    if show:
        sys.stderr.write("\n")
    path = write_training_log(args.out, result.records, config, step_records=result.step_records,
                              status=result.status, n_train=result.n_train, n_val=result.n_val, fmt=fmt)
    msg = f"{result.status}: {len(result.records)} epochs in {time.perf_counter() - started:.1f}s -> {path}"
    if result.message:
        msg += f" ({result.message})"
    print(msg, file=sys.stderr)
    return 0
