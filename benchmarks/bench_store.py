"""Run store speed against plain numpy files (np.save/np.load) and parquet, same data, one run.

Prints absolute times and ratios (store / baseline). Not a test: numbers go to docs/store.md.
  .venv/bin/python benchmarks/bench_store.py [N_POINTS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from trueloss_dash.run import Run, Series
from trueloss_dash.store import open_store


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    step = np.arange(n, dtype=float)
    y = np.exp(-step / n * 5) + rng.normal(0, 0.01, n)
    wall = step * 0.01
    run = Run("bench", format="generic_csv",
              series={"train_loss": Series("train_loss", y=y, step=step, wall_time=wall)})
    tmp = Path(tempfile.mkdtemp())
    store = open_store(tmp / "home")

    save_t, run_id = best_of(lambda: store.save(run), repeat=3)
    load_t, back = best_of(lambda: store.load(run_id))
    assert np.array_equal(back.series["train_loss"].y, y)

    def np_save():
        np.save(tmp / "y.npy", y), np.save(tmp / "step.npy", step), np.save(tmp / "wall.npy", wall)

    def np_load():
        return [np.load(tmp / f) for f in ("y.npy", "step.npy", "wall.npy")]

    npsave_t, _ = best_of(np_save, repeat=3)
    npload_t, _ = best_of(np_load)

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"step": step, "wall_time": wall, "train_loss": y})
    pqsave_t, _ = best_of(lambda: pq.write_table(table, tmp / "run.parquet"), repeat=3)
    pqload_t, _ = best_of(lambda: pq.read_table(tmp / "run.parquet").to_pandas())

    # Live appends: one transaction per epoch with 12 series (a trainer record).
    epochs = 500
    writer = store.begin_live("live bench")
    record = {"epoch": 0.0, "step": 0.0, "wall_time": 0.0,
              **{f"s{k}": 0.0 for k in range(12)}}
    t = time.perf_counter()
    for e in range(epochs):
        record.update(epoch=float(e), step=float(e * 100), wall_time=e * 0.5)
        writer.append(record)
    append_t = (time.perf_counter() - t) / epochs
    t = time.perf_counter()
    writer.finish("finished")
    finish_t = time.perf_counter() - t
    live_load_t, _ = best_of(lambda: store.load(writer.run_id))

    print(f"points: {n:,} (y + step + wall_time, float64)")
    print(f"store.save  {save_t * 1e3:8.1f} ms   np.save {npsave_t * 1e3:7.1f} ms   ratio {save_t / npsave_t:5.2f}x   "
          f"parquet write {pqsave_t * 1e3:7.1f} ms   ratio {save_t / pqsave_t:5.2f}x")
    print(f"store.load  {load_t * 1e3:8.1f} ms   np.load {npload_t * 1e3:7.1f} ms   ratio {load_t / npload_t:5.2f}x   "
          f"parquet read  {pqload_t * 1e3:7.1f} ms   ratio {load_t / pqload_t:5.2f}x")
    print(f"live append {append_t * 1e3:8.2f} ms per epoch (12 series, one transaction)   "
          f"finish+compact {finish_t * 1e3:.1f} ms   load {epochs}-epoch run {live_load_t * 1e3:.1f} ms")
    print(f"db size {store.path.stat().st_size / 1e6:.1f} MB (+ wal)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
