"""Benchmark: diagnose a 1,000,000-point step-level run (validation every 1,000 steps, a few spikes).

Prints the diagnosis time beside the time to load the same run from CSV (through
``trueloss_dash.ingest.load_path`` when available, else pandas) and their ratio. Target: < 1 s.

    .venv/bin/python benchmarks/bench_diagnose.py [--points 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def make_frame(n: int, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    step = np.arange(n)
    loss = 0.3 + 1.7 * np.exp(-step / (n / 6)) * 1.0
    loss = loss * np.exp(rng.normal(0, 0.15, n))  # minibatch noise
    for at in (n // 5, n // 2, 4 * n // 5):  # three spikes of 300 steps
        loss[at : at + 300] *= 6.0
    lr = np.full(n, 1e-3)
    lr[n // 2 - 100 : n // 2 + 400] = 3e-2
    val = np.full(n, np.nan)
    vi = np.arange(999, n, 1000)
    val[vi] = (0.35 + 1.75 * np.exp(-vi / (n / 6))) * np.exp(rng.normal(0, 0.01, len(vi)))
    return pd.DataFrame({"step": step, "epoch": (step + 1) / 1000.0, "train_loss": loss, "val_loss": val, "lr": lr})


def load(path: Path):
    try:
        from trueloss_dash.ingest import load_path
    except ImportError:
        load_path = None
    if load_path is not None:
        return load_path(path)[0], "trueloss_dash.ingest.load_path"
    import pandas as pd

    from trueloss_dash.run import Run, Series

    df = pd.read_csv(path)
    run = Run(path.name)
    for col in ("train_loss", "val_loss", "lr"):
        ok = df[col].notna().to_numpy()
        run.add(Series(col, df[col].to_numpy(float)[ok], step=df["step"].to_numpy(float)[ok], epoch=df["epoch"].to_numpy(float)[ok]))
    return run, "pandas.read_csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from trueloss_dash.diagnose import diagnose

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big_run.csv"
        make_frame(args.points).to_csv(path, index=False)
        t0 = time.perf_counter()
        run, how = load(path)
        t_load = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        report = diagnose(run)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t_diag = min(times)
    n = len(run.series["train_loss"])
    print(f"run: {n:,} training-loss points, {len(run.series['val_loss']):,} validation points")
    print(f"load from CSV ({how}): {t_load:8.3f} s")
    print(f"diagnose (best of {args.repeat}):      {t_diag:8.3f} s   target < 1 s: {'OK' if t_diag < 1 else 'MISSED'}")
    print(f"diagnose CPU time (best):    {min(cpu):8.3f} s   (wall time above includes waiting on a shared machine)")
    print(f"ratio diagnose / load:       {t_diag / t_load:8.2f}")
    print(f"findings: {', '.join(f'{f.kind}@{f.series}' for f in report.findings) or 'none'}")
    print(f"top cause: {report.causes[0].id if report.causes else 'none'}")


if __name__ == "__main__":
    main()
