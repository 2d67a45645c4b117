"""TrueLossTracker in a user's own loop, single process and under DDP (2 ranks, gloo, CPU)."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

from trueloss_dash import columns as C
from trueloss_dash.ingest import load_path
from trueloss_dash.trainer import TrueLossTracker

from conftest import REPO


def _data(seed=0, n=96, d=6, k=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = torch.randint(0, k, (n,), generator=g)
    return x, y


def _model(seed=0, d=6, k=3, dropout=0.5):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, k))


def _batches(x, y, size):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def test_tracker_records_reported_true_and_val_and_writes_a_readable_log(tmp_path):
    x, y = _data()
    xv, yv = _data(seed=1, n=40)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    crit = nn.CrossEntropyLoss()
    path = tmp_path / "mine.csv"
    tracker = TrueLossTracker(model, _batches(x, y, 32), _batches(xv, yv, 16), nn.CrossEntropyLoss(reduction="none"),
                              path=path, context={"dropout": 0.5, "batchnorm": True})
    reported = []
    for epoch in range(3):  # three epochs: the least a log needs to be read as a curve
        model.train()
        batch_losses = []
        for xb, yb in _batches(x, y, 20):  # last batch has 16 examples: weighting matters
            loss = crit(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tracker.log_batch(loss, batch_size=len(xb))
            batch_losses.append((loss.item(), len(xb)))
        reported.append(sum(v * n for v, n in batch_losses) / sum(n for _, n in batch_losses))
        state = {k: v.clone() for k, v in model.state_dict().items()}
        rec = tracker.end_epoch(lr=0.1)
        # the measurement changed nothing and left the model in train mode
        assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
        assert model.training
        model.eval()
        with torch.no_grad():
            true = nn.functional.cross_entropy(model(x), y, reduction="none").double()
            val = nn.functional.cross_entropy(model(xv), yv).item()
            acc = (model(xv).argmax(1) == yv).double().mean().item()
        assert rec[C.TRAIN_LOSS] == pytest.approx(reported[-1], rel=1e-12)
        assert rec[C.TRUE_TRAIN_LOSS] == pytest.approx(true.mean().item(), rel=1e-6)
        half = 1.959963984540054 * true.std().item() / math.sqrt(len(true))
        assert rec[C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX] == pytest.approx(true.mean().item() + half, rel=1e-6)
        assert rec[C.VAL_LOSS] == pytest.approx(val, rel=1e-6) and rec[C.VAL_ACC] == pytest.approx(acc)
        assert rec[C.GAP_GENERALIZATION] == pytest.approx(rec[C.TRUE_TRAIN_LOSS] - rec[C.VAL_LOSS])
        assert rec["lr"] == 0.1 and rec[C.EPOCH] == epoch + 1 and rec[C.STEP] == 5 * (epoch + 1)
    (run,) = load_path(path)
    assert run.context.dropout == 0.5 and run.context.batchnorm is True
    np.testing.assert_allclose(run.get(C.TRAIN_LOSS).y, reported, rtol=1e-9)
    assert len(run.get(C.TRUE_TRAIN_LOSS)) == 3 and run.band(C.TRUE_TRAIN_LOSS) is not None


def test_tracker_with_a_batch_mean_loss_writes_no_ci_and_jsonl(tmp_path):
    x, y = _data()
    model = _model(dropout=0.0)
    tracker = TrueLossTracker(model, _batches(x, y, 32), None, nn.CrossEntropyLoss(), path=tmp_path / "m.jsonl")
    tracker.log_batch(1.5, batch_size=10)
    rec = tracker.end_epoch()
    assert C.TRUE_TRAIN_LOSS in rec and C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX not in rec and C.VAL_LOSS not in rec
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert lines[0].startswith("# trueloss-dash:") and json.loads(lines[1])[C.TRAIN_LOSS] == 1.5


WORKER = textwrap.dedent('''
    import json, os, sys
    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel as DDP
    from trueloss_dash.trainer import TrueLossTracker

    rank, world, out_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(120, 6, generator=g); y = torch.randint(0, 3, (120,), generator=g)
    xv = torch.randn(50, 6, generator=g); yv = torch.randint(0, 3, (50,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.2)
    mine = slice(rank, None, world)  # this rank's shard (sizes differ: 60/60 train, 25/25 val)
    xs, ys, xvs, yvs = x[mine], y[mine], xv[mine], yv[mine]
    train_sub = [(xs[i:i + 16], ys[i:i + 16]) for i in range(0, len(xs), 16)]
    val = [(xvs[i:i + 7], yvs[i:i + 7]) for i in range(0, len(xvs), 7)]
    tracker = TrueLossTracker(ddp, train_sub, val, nn.CrossEntropyLoss(reduction="none"),
                              path=os.path.join(out_dir, "ddp.csv"), context={"dropout": 0.3})
    torch.manual_seed(100 + rank)
    log = {"batches": [], "states": []}
    for epoch in range(2):
        ddp.train()
        for i in range(0, len(xs), 16 + rank):  # ranks see different batch sizes, same batch count
            xb, yb = xs[i:i + 16 + rank], ys[i:i + 16 + rank]
            loss = nn.functional.cross_entropy(ddp(xb), yb)
            opt.zero_grad(); loss.backward(); opt.step()
            tracker.log_batch(loss, batch_size=len(xb))
            log["batches"].append([epoch, loss.item(), len(xb)])
        rec = tracker.end_epoch()
        log["states"].append({k: v.tolist() for k, v in model.state_dict().items()})
        log.setdefault("records", []).append(rec)
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as fh:
        json.dump(log, fh)
    dist.barrier()  # tear down together: a rank leaving while its peer is still connected aborted once in CI
    dist.destroy_process_group()
''')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_ranks_write_the_global_values(tmp_path):
    if not torch.distributed.is_available():
        pytest.skip("torch.distributed not available")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()),
           "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, str(script), str(r), "2", str(tmp_path)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    logs = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    (run,) = load_path(tmp_path / "ddp.csv", require_curve=False)  # two epochs: the values, not a diagnosis
    assert run.context.dropout == 0.3
    assert not (tmp_path / "ddp.csv.tmp").exists()

    g = torch.Generator().manual_seed(0)
    x = torch.randn(120, 6, generator=g); y = torch.randint(0, 3, (120,), generator=g)
    xv = torch.randn(50, 6, generator=g); yv = torch.randint(0, 3, (50,), generator=g)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    for epoch in range(2):
        # the model is identical on both ranks (DDP); evaluate it once over the union of the shards
        state0, state1 = logs[0]["states"][epoch], logs[1]["states"][epoch]
        assert state0 == state1
        model.load_state_dict({k: torch.tensor(v) for k, v in state0.items()})
        model.eval()
        with torch.no_grad():
            true = nn.functional.cross_entropy(model(x), y).item()
            val = nn.functional.cross_entropy(model(xv), yv).item()
            val_acc = (model(xv).argmax(1) == yv).double().mean().item()
        batches = [b for log in logs for b in log["batches"] if b[0] == epoch]
        reported = sum(v * n for _, v, n in batches) / sum(n for _, _, n in batches)
        assert run.get(C.TRUE_TRAIN_LOSS).y[epoch] == pytest.approx(true, rel=1e-6)
        assert run.get(C.VAL_LOSS).y[epoch] == pytest.approx(val, rel=1e-6)
        assert run.get(C.VAL_ACC).y[epoch] == pytest.approx(val_acc, rel=1e-9)
        assert run.get(C.TRAIN_LOSS).y[epoch] == pytest.approx(reported, rel=1e-8)
        # every rank returned the same global record
        assert logs[0]["records"][epoch][C.VAL_LOSS] == logs[1]["records"][epoch][C.VAL_LOSS]
