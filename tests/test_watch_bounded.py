"""The watcher diagnoses a long run on a bounded, incrementally kept view of its table
(trueloss_dash/watch/bounded.py). These tests check that this diagnosis is the full-resolution
one: on generated long runs of every finding kind (two layouts, the log growing while watched)
and on real logs stretched to long runs, the bounded diagnosis has the same findings (kind,
severity, series), the same top cause, finding positions within POSITION_TOLERANCE of the run's
span and the top cause's confidence within CONFIDENCE_TOLERANCE. Plus the view's own invariants.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from trueloss_dash.columns import TRAIN_LOSS, VAL_LOSS
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.watch import Watcher
from trueloss_dash.watch import bounded as B
from trueloss_dash.watch.bounded import BoundedTable

POSITION_TOLERANCE = 0.02  # of the run's x span
CONFIDENCE_TOLERANCE = 0.05
N_ROWS = 150_000  # above LONG_TABLE_ROWS: the bounded view is what the watcher diagnoses
SPE = 1_500  # steps per epoch


# -- generated long runs ---------------------------------------------------------------------------
def long_run(kind: str, n: int = N_ROWS, seed: int = 0) -> dict[str, np.ndarray]:
    """A step-level training loss (minibatch noise 8%) with validation every epoch, shaped by ``kind``."""
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=float)
    base = 0.3 + 2.0 * np.exp(-step / (n / 5))
    y, lr, val_extra = base.copy(), np.full(n, 1e-3), np.zeros(n)
    if kind == "spike":
        at = int(0.6 * n)
        y[at:at + n // 500] *= 3.0
    elif kind == "divergence":
        at = int(0.7 * n)
        y[at:] = base[at] * np.exp((step[at:] - at) / (0.03 * n))
    elif kind == "overfitting":
        val_extra = np.where(step > 0.4 * n, 0.6 * (step - 0.4 * n) / n, 0.0)
    elif kind == "plateau":
        y = np.full(n, 1.2)
    elif kind == "unshuffled":
        y = base * (1 + 0.25 * np.sin(2 * np.pi * (step % SPE) / SPE))
    elif kind == "level_shift":
        y = np.where(step > 0.5 * n, base * 2.0, base)
    elif kind == "oscillation":
        y = base * np.exp(0.5 * np.sin(2 * np.pi * step / (n / 40)))
    train = y * np.exp(0.08 * rng.standard_normal(n))
    if kind == "nan":
        train[int(0.8 * n):] = np.nan
    val = (base + 0.05 + val_extra) * np.exp(0.02 * rng.standard_normal(n))
    if kind == "divergence":
        val = np.maximum(val, y * 1.05)
    return {"step": step, "epoch": np.floor(step / SPE), "train": train, "val": val, "lr": lr,
            "val_at": (step % SPE) == SPE - 1}


def csv_bytes(d: dict[str, np.ndarray], layout: str, lo: int, hi: int, header: bool) -> bytes:
    """Rows [lo, hi) of a run: ``flat`` (one row per step, validation in the same row at epoch
    ends) or ``lightning`` (step rows, and a validation-only row after each epoch's last step)."""
    s = slice(lo, hi)
    step, epoch, train, val, lr, at = (d[k][s] for k in ("step", "epoch", "train", "val", "lr", "val_at"))
    some = np.ones(hi - lo, dtype=bool)
    if layout == "flat":  # (value, written?) per column; a NaN loss is written as "nan"
        cols = {"epoch": (epoch, some), "step": (step, some), "train_loss": (train, some), "lr": (lr, some),
                "val_loss": (val, at)}
    else:  # interleave: every step row, then the validation rows after their step
        k = np.concatenate([np.arange(hi - lo), np.flatnonzero(at)])
        kind = np.concatenate([np.zeros(hi - lo), np.ones(int(at.sum()))])
        order = np.lexsort((kind, k))
        k, is_val = k[order], kind[order] == 1
        cols = {"epoch": (epoch[k], some[k]), "step": (step[k], some[k]), "train_loss_step": (train[k], ~is_val),
                "lr-Adam": (lr[k], ~is_val), "val_loss": (val[k], is_val)}
    table = pa.table({name: pa.array(v, mask=~written) for name, (v, written) in cols.items()})
    out = io.BytesIO()
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=header))
    return out.getvalue()


def watch_growing(root: Path, path: Path, chunks: list[bytes]) -> Watcher:
    """A watcher that reads the first chunk as one file and each further chunk as an append."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(chunks[0])
    w = Watcher(root, use_watchdog=False, rescan_seconds=1e9)
    w.discovery_budget = float("inf")
    w.step()
    for chunk in chunks[1:]:
        with open(path, "ab") as fh:
            fh.write(chunk)
        w.step()
    return w


def assert_equivalent(bounded, full, run, label: str) -> None:
    """Same findings (kind, severity, series), same top cause, positions and confidence within tolerance."""
    key = lambda f: (f.kind, f.severity, f.series)  # noqa: E731
    got, want = sorted(map(key, bounded.findings)), sorted(map(key, full.findings))
    assert got == want, f"{label}: bounded {got} vs full {want}"
    assert bounded.cause_ids()[:1] == full.cause_ids()[:1], f"{label}: {bounded.cause_ids()} vs {full.cause_ids()}"
    if full.causes:
        assert abs(bounded.causes[0].confidence - full.causes[0].confidence) <= CONFIDENCE_TOLERANCE, label
    assert bounded.status == full.status, label
    for fb, ff in zip(sorted(bounded.findings, key=key), sorted(full.findings, key=key)):
        s = run.series.get(ff.series) or run.series[TRAIN_LOSS]
        xs = s.x(ff.x_axis)
        width = float(np.nanmax(xs) - np.nanmin(xs)) if xs is not None else 1.0
        for a, b in ((fb.start, ff.start), (fb.end, ff.end)):
            if a is None or b is None:
                assert a is None and b is None, f"{label}: {ff.kind} position {a} vs {b}"
                continue
            assert abs(a - b) <= POSITION_TOLERANCE * width, f"{label}: {ff.kind} at {a} vs {b} (span {width})"


KINDS = ["healthy", "spike", "divergence", "nan", "overfitting", "plateau", "unshuffled", "level_shift", "oscillation"]


@pytest.mark.parametrize("layout", ["flat", "lightning"])
def test_bounded_diagnosis_equals_full_on_long_generated_runs(tmp_path, layout):
    """Every kind, the log growing while watched (a first read, then appends, across bucket merges)."""
    seen_kinds = set()
    for i, kind in enumerate(KINDS):
        d = long_run(kind, seed=i)
        root = tmp_path / f"{layout}-{kind}"
        path = root / "lightning_logs" / "version_0" / "metrics.csv"
        cuts = [0, 110_000, 125_000, 126_000, 140_000, N_ROWS]
        chunks = [csv_bytes(d, layout, a, b, header=a == 0) for a, b in zip(cuts, cuts[1:])]
        w = watch_growing(root, path, chunks)
        try:
            row = w.snapshot().runs[0]
            full_run = load_path(path)[0]
            view_len = len(row.view.series[TRAIN_LOSS])
            assert view_len < len(full_run.series[TRAIN_LOSS]) / 4, f"{kind}: the bounded view was not used"
            assert row.points == len(full_run.series[TRAIN_LOSS])  # the list shows the rows, not the view
            assert len(row.run.series[TRAIN_LOSS]) == len(full_run.series[TRAIN_LOSS])  # full run on demand
            full = diagnose(full_run)
            assert_equivalent(row.report, full, full_run, f"{layout}/{kind}")
            seen_kinds |= set(full.kinds())
        finally:
            w.stop()
    # the generated runs do exercise the findings they are named after
    assert {"spike", "divergence", "overfitting", "plateau", "shuffling", "level_shift", "oscillation"} <= seen_kinds


def test_bounded_diagnosis_equals_full_on_a_long_json_lines_log(tmp_path):
    """The JSON-lines follower takes the same path: records -> growing table -> bounded view."""
    import json

    d = long_run("spike", n=120_000, seed=11)
    lines = [json.dumps({"step": int(s), "epoch": int(e), "loss": float(t), **({"val_loss": float(v)} if at else {})})
             for s, e, t, v, at in zip(d["step"], d["epoch"], d["train"], d["val"], d["val_at"])]
    text = ("\n".join(lines) + "\n").encode()
    cut = text.index(b"\n", len(text) * 3 // 4) + 1
    root = tmp_path / "jsonl"
    path = root / "run" / "metrics.jsonl"
    w = watch_growing(root, path, [text[:cut], text[cut:]])
    try:
        row = w.snapshot().runs[0]
        full_run = load_path(path)[0]
        assert len(row.view.series[TRAIN_LOSS]) < len(full_run.series[TRAIN_LOSS]) / 4
        full = diagnose(full_run)
        assert "spike" in full.kinds()
        assert_equivalent(row.report, full, full_run, "jsonl/spike")
    finally:
        w.stop()


# -- real logs, stretched to long runs -------------------------------------------------------------
REAL = [
    "keras_csv/Car-Prediction-CNN-Model__training.log",
    "lightning_csv/Gaussian-Mixture-Neural-Network__version_0_metrics.csv",
    "lightning_csv/cv-image-classification__metrics.csv",
    "yolo_results/HandRaisingDetector-YOLO12n__train3_results.csv",
    "yolo_results/helmet-detection-yolov5__exp2_results.csv",
    "hf_trainer_state/mT5-based-azerbaijani-news-summarize__trainer_state.json",
    "text_log/modded-nanogpt__2024-06-06_AdamW_f66d43d7.log",
    "detectron2_metrics_json/Medical_Waste_Detection_Detectron2__metrics.json",
]


def stretched(run, n: int = 120_000, seed: int = 0) -> bytes:
    """A real run as a long step-level log: the training curve interpolated (geometrically) onto
    ``n`` steps over the same span, with the real curve's own point-to-point noise; validation at
    its real points (the same values, placed on the nearest long step)."""
    tr, va = run.series[TRAIN_LOSS], run.series.get(VAL_LOSS)
    axis = "step" if tr.x("step") is not None and np.isfinite(tr.x("step")).sum() >= 3 else "epoch"
    x = tr.x(axis) if tr.x(axis) is not None else np.arange(len(tr), dtype=float)
    ok = np.isfinite(x) & np.isfinite(tr.y) & (tr.y > 0)
    x, y = x[ok], tr.y[ok]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    lx = np.log(y)
    noise = 1.4826 * np.median(np.abs(np.diff(lx) - np.median(np.diff(lx)))) / np.sqrt(2) if len(lx) > 2 else 0.0
    rng = np.random.default_rng(seed)
    pos = np.linspace(x[0], x[-1], n)
    train = np.exp(np.interp(pos, x, lx) + noise * rng.standard_normal(n))
    val = np.full(n, np.nan)
    if va is not None:
        vx = va.x(axis) if va.x(axis) is not None else np.arange(len(va), dtype=float)
        keep = np.isfinite(vx) & np.isfinite(va.y) & (vx >= x[0]) & (vx <= x[-1])
        idx = np.clip(np.searchsorted(pos, vx[keep]), 0, n - 1)
        val[idx] = va.y[keep]
    step = np.arange(n, dtype=float)
    cols = {"step": step, "train_loss": train, "val_loss": val}
    if axis == "epoch":  # the epoch column, so that the diagnosis reads the run on the same axis
        cols = {"epoch": np.floor(pos), **cols}
    out = io.BytesIO()
    pacsv.write_csv(pa.table({k: pa.array(v, from_pandas=True) for k, v in cols.items()}), out)
    return out.getvalue()


def test_bounded_diagnosis_equals_full_on_stretched_real_logs(tmp_path, real_logs):
    for i, rel in enumerate(REAL):
        src = real_logs / rel
        assert src.exists(), src
        run = load_path(src)[0]
        data = stretched(run, seed=i)
        root = tmp_path / f"real{i}"
        path = root / "lightning_logs" / "version_0" / "metrics.csv"
        head = data.index(b"\n") + 1
        lines = data.count(b"\n")
        cut = data.index(b"\n", head + len(data) * 7 // 10) + 1  # 70% first, the rest appended
        w = watch_growing(root, path, [data[:cut], data[cut:]])
        try:
            row = w.snapshot().runs[0]
            full_run = load_path(path)[0]
            assert len(row.view.series[TRAIN_LOSS]) < (lines - 1) / 4, rel
            assert_equivalent(row.report, diagnose(full_run), full_run, rel)
        finally:
            w.stop()


# -- the view itself -------------------------------------------------------------------------------
def _feed(b: BoundedTable, cols: dict[str, np.ndarray], pres: dict[str, np.ndarray], cuts: list[int]):
    for hi in cuts:
        b.update(cols, pres, hi)
    return b.view(cols, pres, cuts[-1], 2, "row")


def test_view_is_bounded_uniform_and_loses_no_rows():
    """Every row counted once per column; the dense stream's buckets all the same width (but its
    open last one); a sparse stream kept at full resolution; size bounded across doublings."""
    n = 400_000
    rng = np.random.default_rng(3)
    step = np.arange(n, dtype=float)
    train = np.exp(-step / 1e5) + 0.05 * rng.random(n)
    val_at = step % 1000 == 999
    cols = {"step": step, "epoch": np.floor(step / 10_000), "train_loss": np.where(val_at, np.nan, train),
            "val_loss": np.where(val_at, train, np.nan)}
    pres = {"step": np.ones(n, bool), "epoch": np.ones(n, bool), "train_loss": ~val_at, "val_loss": val_at}
    b = BoundedTable(max_rows=2048, keep_rows=512, batch_rows=1024)
    cuts = [20_000] + list(range(20_000, n, 7_919)) + [n]  # growth, doublings, odd batch boundaries
    view = _feed(b, cols, pres, cuts)
    assert b.width >= 64  # it doubled on the way
    assert len(view.columns["step"]) <= 2 * 2048 + 400 + 8  # dense buckets + the 400 validation rows + open ones
    assert b.represented("train_loss") == int((~val_at).sum()) and b.represented("val_loss") == 400
    w = b.last_weight[view.present["train_loss"]]
    assert np.all(w[:-1][w[:-1] != b.width] < b.width)  # only epoch-cut buckets are smaller ...
    assert np.mean(w == b.width) > 0.95  # ... and they are few
    assert np.all(b.last_weight[view.present["val_loss"]] == 1)  # 400 validation rows: kept as they are
    assert np.array_equal(view.columns["val_loss"][view.present["val_loss"]], train[val_at])
    assert np.all(np.diff(view.columns["step"]) >= 0)  # table order kept (a bucket centre may equal a validation step)
    # the bucket means are the means of the rows they stand for
    np.testing.assert_allclose(np.sum(view.columns["train_loss"][view.present["train_loss"]] * w),
                               train[~val_at].sum(), rtol=1e-9)
    # the same rows in one go give a view of the same kind and size
    once = _feed(BoundedTable(max_rows=2048, keep_rows=512, batch_rows=1024), cols, pres, [n])
    assert abs(len(once.columns["step"]) - len(view.columns["step"])) <= len(view.columns["step"]) // 2


def test_restart_and_nonfinite_rows_are_never_averaged_with_others():
    step = np.concatenate([np.arange(50_000.0), np.arange(30_000.0)])  # the step goes back: a restart
    n = len(step)
    y = np.ones(n)
    y[60_000:60_010] = np.inf
    cols = {"step": step, "train_loss": y}
    pres = {"step": np.ones(n, bool), "train_loss": np.ones(n, bool)}
    b = BoundedTable(max_rows=1024, keep_rows=256, batch_rows=4096)
    view = _feed(b, cols, pres, [40_000, 70_000, n])
    v, s = view.columns["train_loss"], view.columns["step"]
    assert np.all(np.isinf(v[~np.isfinite(v)])) and 1 <= np.count_nonzero(~np.isfinite(v)) <= 10
    assert np.all(v[np.isfinite(v)] == 1.0)
    back = np.flatnonzero(np.diff(s) < 0)
    assert len(back) == 1 and s[back[0]] > 49_000 and s[back[0] + 1] < 1_000  # one restart, at its place


def test_fractional_epochs_are_bucketed_within_whole_epochs():
    """HF-style epochs (0.0001, 0.0002 ...) change every row: buckets break at whole epochs only."""
    n = 60_000
    step = np.arange(n, dtype=float)
    epoch = (step + 1) / 10_000  # 6 epochs
    cols = {"step": step, "epoch": epoch, "loss": np.floor(epoch)}  # a bucket across epochs would average these
    pres = {k: np.ones(n, bool) for k in cols}
    b = BoundedTable(max_rows=1024, keep_rows=256, batch_rows=4096)
    view = _feed(b, cols, pres, [30_000, n])
    assert len(view.columns["step"]) <= 2 * 1024 + 8
    loss = view.columns["loss"]
    assert np.array_equal(loss, np.floor(loss)) and set(loss) == {0, 1, 2, 3, 4, 5, 6}
