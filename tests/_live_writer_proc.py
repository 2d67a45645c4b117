"""Subprocess for tests/test_faults.py: writes a live run epoch by epoch until it is killed.

Usage: python _live_writer_proc.py HOME MODE EPOCHS
MODE 'synthetic' writes a made-up epoch every 50 ms; MODE 'trainer' runs the real live trainer
(``trueloss_dash.trainer``) and writes each epoch record it produces. After each committed epoch
the number of epochs written so far is printed on stdout, so the test knows when to kill.
"""

from __future__ import annotations

import math
import sys
import time

from trueloss_dash.run import RunContext
from trueloss_dash.store import open_store


def synthetic(home: str, epochs: int) -> None:
    store = open_store(home)
    writer = store.begin_live("synthetic victim", RunContext(dropout=0.1), {"mode": "synthetic"})
    for epoch in range(epochs):
        writer.append({"epoch": epoch, "train_loss": math.exp(-epoch / 5), "val_loss": 1.0 + epoch / 100})
        print(epoch + 1, flush=True)
        time.sleep(0.05)
    writer.finish("finished")


def trainer(home: str, epochs: int) -> None:
    from trueloss_dash import trainer as tr

    config = tr.preset_config("clean", epochs=epochs)
    store = open_store(home)
    writer = store.begin_live("trainer victim", config.run_context(), {"mode": "trainer", "config": config.to_dict()})
    job = tr.start(config)
    written = 0
    while True:
        for record in job.poll():
            writer.append(record)
            written += 1
            print(written, flush=True)
        if job.done:
            break
        time.sleep(0.02)
    writer.finish("finished")


if __name__ == "__main__":
    home, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    (trainer if mode == "trainer" else synthetic)(home, n)
