"""Subprocess for the watch tests: a training job's log writer, in its own process.

Usage: python _watch_writer_proc.py DIR STEPS DELAY

Appends one step every DELAY seconds to a Lightning-style ``DIR/lightning_logs/version_0/metrics.csv``
(step rows, an epoch-end validation row every 10 steps) and to a console log ``DIR/train.log``, both
starting where the files already end. After STEPS healthy steps it waits until ``DIR/diverge`` exists,
then writes steps whose loss grows tenfold every two steps and finally NaN - a divergence. Prints the
last step written after each step (flushes), so a test can follow.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path


def loss_at(step: int) -> float:
    return 2.0 * math.exp(-step / 60) + 0.05 + 0.01 * math.sin(step)


def main(root: Path, steps: int, delay: float) -> None:
    csv = root / "lightning_logs" / "version_0" / "metrics.csv"
    text = root / "train.log"
    start = sum(1 for line in csv.read_text().splitlines()[1:] if line.split(",")[2])  # step rows so far
    step = start
    with open(csv, "a", buffering=1) as c, open(text, "a", buffering=1) as t:
        def write(step: int, loss: float) -> None:
            epoch = step // 10
            c.write(f"{epoch},{step},{loss:.6g},\n")
            if step % 10 == 9:
                c.write(f"{epoch},{step},,{loss * 1.08:.6g}\n")
            t.write(f"step:{step} train_loss:{loss:.6g}\n")
            print(step, flush=True)

        for step in range(start, start + steps):
            write(step, loss_at(step))
            time.sleep(delay)
        marker = root / "diverge"
        while not marker.exists():
            time.sleep(0.05)
        base = loss_at(step)
        for k in range(1, 13):
            write(step + k, base * 10 ** (k / 2) if k < 11 else float("nan"))
            time.sleep(delay)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
