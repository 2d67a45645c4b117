"""Complexity fuzz: hostile inputs grown along each dimension that once hurt.

For every dimension (distinct keys, columns, YAML aliases, nesting, appended runs, zip members,
log lines) an input is built at size n and 4n and read through the public loader. Linear work
quadruples; quadratic work grows 16x. The test asserts the ratio of peak traced memory stays
within about 4x (memory is deterministic) and the ratio of CPU time (best of two, process time:
insensitive to other processes) within 8x - a bound a quadratic reader cannot meet. No absolute
timing is asserted anywhere: the ratio is measured in one run, on the same machine, back to back.
"""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile

import pytest

from trueloss_dash.errors import LogFormatError
from trueloss_dash.ingest import load_bytes

MEMORY_RATIO_MAX = 5.0
TIME_RATIO_MAX = 8.0


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buf.getvalue()


def _lightning(epochs: int = 5) -> str:
    rows = "".join(f"{e},{e * 10 + 9},{1 / (e + 1)},\n{e},{e * 10 + 9},,{1.1 / (e + 1)}\n" for e in range(epochs))
    return "epoch,step,train_loss_step,val_loss\n" + rows


def keys(n: int) -> tuple[str, bytes]:
    """JSON lines where every line adds a key (the D2 attack)."""
    return "m.jsonl", "".join(json.dumps({"step": i, "loss": 1 / (i + 1), f"k{i}": 1.0}) + "\n" for i in range(n)).encode()


def columns(n: int) -> tuple[str, bytes]:
    """A CSV n columns wide (the D3 attack: a membership scan per column)."""
    header = ",".join(["step", "loss"] + [f"metric_{i}" for i in range(n)])
    rows = "".join(",".join([str(s), str(1 / s)] + ["0.5"] * n) + "\n" for s in range(1, 4))
    return "wide.csv", (header + "\n" + rows).encode()


def aliases(n: int) -> tuple[str, bytes]:
    """hparams.yaml with n aliases, each referring to the previous twice (2**n expansion)."""
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, n)]
    return "run.zip", _zip({"v0/metrics.csv": _lightning(), "v0/hparams.yaml": "\n".join(lines) + "\n"})


def nesting(n: int) -> tuple[str, bytes]:
    """JSON records nested n levels deep."""
    rec = "{}"
    for _ in range(n):
        rec = '{"d": ' + rec + "}"
    lines = "".join('{"step": %d, "loss": %g, "deep": %s}\n' % (s, 1 / s, rec) for s in range(1, 20))
    return "m.jsonl", lines.encode()


def runs(n: int) -> tuple[str, bytes]:
    """A CSV holding n appended runs (the step axis restarts n - 1 times)."""
    rows = "".join(f"{s},{1 / (s + 1)}\n" for _ in range(n) for s in range(3))
    return "metrics.csv", ("step,loss\n" + rows).encode()


def members(n: int) -> tuple[str, bytes]:
    """A zip with n run folders."""
    return "runs.zip", _zip({f"run{i}/metrics.csv": _lightning(3) for i in range(n)})


def lines(n: int) -> tuple[str, bytes]:
    """A console log n lines long."""
    text = "".join(f"epoch {e} loss: {1 / (e + 1):.5f} val_loss: {1.1 / (e + 1):.5f}\n" for e in range(n))
    return "train.log", text.encode()


def bare_files(n: int) -> tuple[str, bytes]:
    """A zip with n files of bare numbers in one folder: merged into one run (one-curve files)."""
    return "curves.zip", _zip({f"run/curve_{i}_loss.txt": "".join(f"{1 / (e + 1):.6e}\n" for e in range(20))
                               for i in range(n)})


def bare_lines(n: int) -> tuple[str, bytes]:
    """A file of n bare numbers, one per line (np.savetxt)."""
    return "train_loss.txt", "".join(f"{1 / (e + 1):.18e}\n" for e in range(n)).encode()


# (builder, base size n): n chosen so the base case does measurable work, 4n stays under every cap.
DIMENSIONS = {
    "distinct keys": (keys, 1_000),
    "columns": (columns, 300),
    "yaml aliases": (aliases, 200),
    "nesting": (nesting, 40),
    "runs per file": (runs, 60),
    "zip members": (members, 12),
    "log lines": (lines, 2_000),
    "bare number files": (bare_files, 12),
    "bare number lines": (bare_lines, 5_000),
}


def _read(name: str, data: bytes) -> None:
    try:
        load_bytes(name, data)
    except LogFormatError:
        pass  # a refusal is an answer; what matters is what it cost


def _cost(name: str, data: bytes) -> tuple[float, int]:
    _read(name, data)  # warm caches and imports
    best = float("inf")
    for _ in range(2):
        t0 = time.process_time()
        _read(name, data)
        best = min(best, time.process_time() - t0)
    tracemalloc.start()
    _read(name, data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


@pytest.mark.parametrize("dimension", list(DIMENSIONS))
def test_work_and_memory_grow_linearly(dimension):
    build, n = DIMENSIONS[dimension]
    small_t, small_m = _cost(*build(n))
    big_t, big_m = _cost(*build(4 * n))
    memory_ratio = big_m / max(small_m, 1)
    time_ratio = big_t / max(small_t, 1e-3)
    print(f"{dimension}: n={n} -> 4n: memory x{memory_ratio:.2f}, CPU time x{time_ratio:.2f}")
    assert memory_ratio <= MEMORY_RATIO_MAX, f"{dimension}: peak memory grew x{memory_ratio:.1f} for 4x input"
    assert time_ratio <= TIME_RATIO_MAX, f"{dimension}: CPU time grew x{time_ratio:.1f} for 4x input"
