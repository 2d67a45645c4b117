"""Builders for diagnosis tests: runs from numpy arrays, and real logs through the ingest layer
(falling back to a pandas reader for the simple Keras/fastai CSVs while ingest is not importable)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.run import Run, RunContext, Series


def epoch_run(name="run", *, context=None, first_epoch=0, **series) -> Run:
    """A run whose series are all epoch-level: ``epoch_run(train_loss=arr, val_loss=arr, lr=arr)``,
    epochs numbered from ``first_epoch``."""
    run = Run(name=name, format="test", context=context or RunContext())
    for key, y in series.items():
        y = np.asarray(y, dtype=float)
        run.add(Series(key, y, epoch=np.arange(first_epoch, first_epoch + len(y), dtype=float)))
    return run


def decay(n, start=2.0, floor=0.3, tau=8.0, shift=0.0):
    x = np.arange(n, dtype=float) - shift
    return floor + (start - floor) * np.exp(-x / tau)


def load_real(path: Path) -> list[Run]:
    try:
        from trueloss_dash.ingest import load_path  # noqa: PLC0415
    except ImportError:
        load_path = None
    if load_path is not None:
        return load_path(path)
    import pandas as pd

    df = pd.read_csv(path)
    df = df[[c for c in df.columns if c and not str(c).startswith("Unnamed")]]
    ep = df["epoch"].to_numpy(float) if "epoch" in df else np.arange(len(df), dtype=float)
    names = {"loss": "train_loss", "train_loss": "train_loss", "val_loss": "val_loss", "valid_loss": "val_loss",
             "accuracy": "val_acc" if "valid_loss" in df else "train_acc", "val_accuracy": "val_acc", "lr": "lr"}
    run = Run(name=path.name, source=str(path), format="csv")
    for col, canon in names.items():
        if col in df:
            run.add(Series(canon, df[col].to_numpy(float), epoch=ep, source_column=col))
    return [run]
