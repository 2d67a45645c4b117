"""Ingest benchmark: our readers vs the plain baseline on the same big files, as ratios.

1. A 1,000,000-row step-level CSV (step, train_loss, lr, val_loss every 1,000 steps):
   ``load_path`` vs ``pandas.read_csv(engine="pyarrow")``.          target: ratio <= 1.5
2. A 1,000,000-line console log (``2024-05-01 10:00:00,123 - INFO - step 120: train loss 2.3063, lr
   1.000e-03, time 95.1ms`` with a ``step N: val loss x`` line every 1,000 steps): ``load_path`` vs
   ``pandas.read_csv`` (default C engine) on the same numbers written as CSV.     target: ratio <= 3
   (best of 5 interleaved runs, like the CSV part; the load average is printed beside the ratio).
   Then the same log with the loss and the learning rate printed as Python prints a float
   (``repr``, ``:g``: widths vary from line to line), ratio shown beside it: lines of a few widths
   are read as a byte matrix (``ingest/textfixed.py``), these go through Arrow's split.
3. A TensorBoard event file of 1,000,000 scalars (train_loss and lr at 500,000 steps, plus
   val_loss every 1,000 steps): ``load_path`` vs ``tbparse.SummaryReader(...).scalars``.
                                                                    target: ratio <= 1.0
Files are generated into a temp dir. CSV timings are the best of 5 interleaved runs; the TensorBoard ones
a single run each (they take tens of seconds). Both contenders run in the same process with the
same TensorBoard record reader (incl. the C CRC32C our reader enables), so the ratio measures
what each does on top of reading records.

Run: ``.venv/bin/python benchmarks/bench_ingest.py`` (about 3 minutes on 2 cores);
``--only csv|text|tb`` runs one part.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_ROWS = 1_000_000
N_TB_STEPS = 500_000
VAL_EVERY = 1_000


def make_csv(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(0)
    step = np.arange(N_ROWS)
    train = 2.0 * np.exp(-step / 2e5) + 0.05 * rng.standard_normal(N_ROWS) + 0.3
    lr = 1e-3 * np.minimum(1.0, step / 1e4) * np.cos(np.pi * step / (2 * N_ROWS))
    val = pa.array(np.where(step % VAL_EVERY == VAL_EVERY - 1, train + 0.1, np.nan), from_pandas=True)
    table = pa.table({"step": step, "train_loss": train, "lr": lr, "val_loss": val})
    pacsv.write_csv(table, path)


def make_events(path: Path) -> None:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    from trueloss_dash.ingest.readers.tensorboard import use_fast_crc

    use_fast_crc()  # writing uses the same CRC function
    rng = np.random.default_rng(0)
    losses = (2.0 * np.exp(-np.arange(N_TB_STEPS) / 1e5) + 0.05 * rng.standard_normal(N_TB_STEPS)).tolist()
    Event, Summary, Value = event_pb2.Event, summary_pb2.Summary, summary_pb2.Summary.Value
    with open(path, "wb") as fh:
        writer = RecordWriter(fh)
        writer.write(Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())
        for step in range(N_TB_STEPS):
            wall = 1.7e9 + step * 0.01
            writer.write(Event(wall_time=wall, step=step, summary=Summary(
                value=[Value(tag="train_loss", simple_value=losses[step])])).SerializeToString())
            writer.write(Event(wall_time=wall, step=step, summary=Summary(
                value=[Value(tag="lr", simple_value=1e-3)])).SerializeToString())
            if step % VAL_EVERY == VAL_EVERY - 1:
                writer.write(Event(wall_time=wall, step=step, summary=Summary(
                    value=[Value(tag="val_loss", simple_value=losses[step] + 0.1)])).SerializeToString())


def make_text_log(log_path: Path, csv_path: Path, varying: bool = False) -> int:
    """The console log and the same numbers as CSV; returns the number of log lines. ``varying``:
    the loss and the learning rate printed as Python prints a float (``repr``, ``:g``), so their
    widths vary from line to line (the default prints them at fixed precision, ``:.4f``/``:.3e``)."""
    rng = np.random.default_rng(0)
    step = np.arange(N_ROWS)
    train = 2.0 * np.exp(-step / 2e5) + 0.05 * rng.standard_normal(N_ROWS) + 0.3
    lr = 1e-3 * np.cos(np.pi * step / (2 * N_ROWS))
    ms = 95 + 5 * rng.random(N_ROWS)
    lines, rows = [], ["step,train_loss,lr,time_ms,val_loss"]
    for i in range(N_ROWS):
        sec = i % 60
        loss, rate = (repr(float(train[i])), f"{lr[i]:g}") if varying else (f"{train[i]:.4f}", f"{lr[i]:.3e}")
        lines.append(f"2024-05-01 10:{(i // 60) % 60:02d}:{sec:02d},123 - INFO - step {i}: train loss {loss}, "
                     f"lr {rate}, time {ms[i]:.1f}ms")
        if i % VAL_EVERY == VAL_EVERY - 1:
            val = train[i] + 0.1
            lines.append(f"2024-05-01 10:{(i // 60) % 60:02d}:{sec:02d},123 - INFO - step {i}: val loss {val:.4f}")
            rows.append(f"{i},{loss},{rate},{ms[i]:.1f},{val:.4f}")
        else:
            rows.append(f"{i},{loss},{rate},{ms[i]:.1f},")
    log_path.write_text("\n".join(lines) + "\n")
    csv_path.write_text("\n".join(rows) + "\n")
    return len(lines)


def bench_text(tmp: str) -> bool:
    """The target is on the log printed at fixed precision; the same log with numbers of varying
    widths (which the byte-matrix reading does not take: Arrow's split reads it) is shown beside it."""
    ok = True
    for varying in (False, True):
        ratio = _bench_text_log(tmp, varying)
        ok &= varying or ratio <= 3
    return ok


def _bench_text_log(tmp: str, varying: bool) -> float:
    import pandas as pd

    from trueloss_dash.ingest import load_path

    log_path, csv_path = Path(tmp) / "train.log", Path(tmp) / "same_numbers.csv"
    t0 = time.perf_counter()
    n_lines = make_text_log(log_path, csv_path, varying)
    print(f"generated {log_path.name}{' (numbers of varying widths)' if varying else ''}: {n_lines:,} lines, "
          f"{log_path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")
    base, ours = float("inf"), float("inf")
    for _ in range(5):  # interleaved best-of-5: on a shared machine the load changes between runs
        t, frame = timed(lambda: pd.read_csv(csv_path))
        base = min(base, t)
        t, runs = timed(lambda: load_path(log_path))
        ours = min(ours, t)
    run = runs[0]
    assert len(frame) == N_ROWS and len(run.series["train_loss"]) == N_ROWS, {k: len(s) for k, s in run.series.items()}
    assert len(run.series["val_loss"]) == N_ROWS // VAL_EVERY
    ratio = ours / base
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    verdict = "(shown for the general path; the target is on the log above)" if varying else (
        f"(target <= 3x) {'OK' if ratio <= 3 else 'MISSED'}")
    print(f"TEXT 1M lines{', varying widths' if varying else ''}: trueloss load_path {ours:.3f} s   pandas.read_csv "
          f"(same numbers as CSV, same run) {base:.3f} s   ratio {ratio:.2f}x  {verdict}   "
          f"[load average {load:.1f}, {os.cpu_count()} cores]")
    return ratio


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> int:
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        if only in (None, "text"):
            ok &= bench_text(tmp)
        if only in (None, "csv"):
            ok &= bench_csv(tmp)
        if only in (None, "tb"):
            ok &= bench_tb(tmp)
    return 0 if ok else 1


def bench_csv(tmp: str) -> bool:
    import pandas as pd

    from trueloss_dash.ingest import load_path

    csv_path = Path(tmp) / "steps.csv"
    t0 = time.perf_counter()
    make_csv(csv_path)
    print(f"generated {csv_path.name}: {N_ROWS:,} rows, {csv_path.stat().st_size / 1e6:.1f} MB "
          f"in {time.perf_counter() - t0:.1f} s")
    # Interleaved best-of-5: on shared machines the load changes between runs.
    base, ours = float("inf"), float("inf")
    for _ in range(5):
        t, frame = timed(lambda: pd.read_csv(csv_path, engine="pyarrow"))
        base = min(base, t)
        t, runs = timed(lambda: load_path(csv_path))
        ours = min(ours, t)
    run = runs[0]
    assert len(frame) == N_ROWS and len(run.series["train_loss"]) == N_ROWS
    assert len(run.series["val_loss"]) == N_ROWS // VAL_EVERY
    ratio = ours / base
    ok = ratio <= 1.5
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CSV  1M rows : trueloss {ours:.3f} s   pandas.read_csv(pyarrow) {base:.3f} s   "
          f"ratio {ratio:.2f}x  (target <= 1.5x) {'OK' if ratio <= 1.5 else 'MISSED'}   "
          f"[load average {load:.1f}, {os.cpu_count()} cores]")
    return ok


def bench_tb(tmp: str) -> bool:
    from trueloss_dash.ingest import load_path

    ev_path = Path(tmp) / "events.out.tfevents.1700000000.bench"
    t0 = time.perf_counter()
    make_events(ev_path)
    n_scalars = 2 * N_TB_STEPS + N_TB_STEPS // VAL_EVERY
    print(f"generated {ev_path.name}: {n_scalars:,} scalars, {ev_path.stat().st_size / 1e6:.1f} MB "
          f"in {time.perf_counter() - t0:.1f} s")
    ours, runs = timed(lambda: load_path(ev_path))
    from tbparse import SummaryReader

    base, frame = timed(lambda: SummaryReader(str(ev_path)).scalars)
    run = runs[0]
    assert len(frame) == n_scalars, len(frame)
    assert sum(len(s) for s in run.series.values()) == n_scalars
    ratio = ours / base
    ok = ratio <= 1.0
    print(f"TB   1M scalars: trueloss {ours:.2f} s   tbparse {base:.2f} s   "
          f"ratio {ratio:.2f}x  (target <= 1.0x) {'OK' if ratio <= 1.0 else 'MISSED'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
