"""The framework callbacks (Lightning, HF Trainer, Keras 3 on torch) on real tiny trainings.

Each framework's example in docs/integrations.md is run as written (in a temporary directory):
the file the framework writes must load with ``true_train_loss`` and the gap terms, and the
dropout model in it must be diagnosed as dropout with true <= val. Further tests check the values
against a direct computation, that measuring changes nothing, and Lightning under DDP (2 gloo ranks).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from trueloss_dash import columns as C
from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

from conftest import REPO

DOC = (REPO / "docs" / "integrations.md").read_text()
FRAMEWORK_MODULES = ("lightning", "pytorch_lightning", "transformers", "accelerate", "keras")


def _example(heading: str) -> str:
    """The python block under ``## heading`` in docs/integrations.md."""
    section = DOC.split(f"## {heading}\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def _run_example(heading: str, cwd) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "KERAS_BACKEND": "torch",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", _example(heading)], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


def _assert_diagnosis(run, top: str, *, missing: tuple[str, ...], epochs: int = 3, true_below_val: bool = True) -> None:
    true, val = run.get(C.TRUE_TRAIN_LOSS), run.get(C.VAL_LOSS)
    assert len(true) == epochs and len(val) == epochs
    assert run.band(C.TRUE_TRAIN_LOSS) is not None  # the subsample's 95% interval came through
    if true_below_val:
        assert true.y[-1] <= val.y[-1], (true.y, val.y)
    gm = run.get(C.GAP_TRAIN_MODE)
    assert gm is not None and np.all(gm.y > 0)  # dropout raises the train-mode loss every epoch
    report = diagnose(run)
    assert report.causes and report.causes[0].id == top, [(c.id, c.confidence) for c in report.causes]
    evidence = " ".join(report.causes[0].evidence)
    assert "measured gap decomposition" in evidence
    for term in missing:  # the evidence names the terms this framework cannot measure
        assert C.HUMAN_LABELS[term] in evidence.split("not measured in this log:")[1]


# --------------------------------------------------------------------------------------------------
# the documented examples, run as written
# --------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_lightning_example_writes_metrics_csv_with_the_true_loss_and_is_diagnosed_as_dropout(tmp_path):
    _run_example("Lightning", tmp_path)
    (path,) = tmp_path.glob("logs/digits/version_*/metrics.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert {"true_train_loss", "true_train_loss_ci_low", "true_train_loss_ci_high", "gap_train_mode",
            "gap_generalization", "true_train_acc"} <= set(header)
    (run,) = load_path(path.parent)  # the version folder, as a user would drop it
    assert run.format == "lightning_csv"
    assert run.context.dropout == 0.7  # from hparams.yaml beside the log
    _assert_diagnosis(run, "dropout", missing=(C.GAP_PENALTY, C.GAP_AVERAGING_LAG, C.GAP_AUGMENTATION))


@pytest.mark.slow
def test_hf_example_writes_trainer_state_with_the_true_loss_and_the_measured_lag_ranks_first(tmp_path):
    """The tiny BERT learns its task within an epoch: the reported epoch mean lags far behind the
    weights at the epoch's end. With the lag measured (stock loss, loss logged at eval steps), the
    diagnosis ranks it first - by the numbers, not by the context."""
    _run_example("Hugging Face Trainer", tmp_path)
    state = json.loads((tmp_path / "hf_out" / "trainer_state.json").read_text())
    entries = [e for e in state["log_history"] if "true_train_loss" in e]
    assert len(entries) == 3 and all("gap_train_mode" in e and "true_train_loss_ci_low" in e for e in entries)
    (run,) = load_path(tmp_path / "hf_out" / "trainer_state.json")
    assert run.format == "hf_trainer_state"
    assert np.all(run.get(C.GAP_PENALTY).y == 0.0)  # stock compute_loss: decoupled weight decay
    lag, tm = run.get(C.GAP_AVERAGING_LAG).y, run.get(C.GAP_TRAIN_MODE).y
    reported = run.get(C.TRAIN_LOSS).y
    np.testing.assert_allclose(lag + tm + run.get(C.TRUE_TRAIN_LOSS).y, reported, rtol=1e-9)  # the terms telescope
    _assert_diagnosis(run, "epoch_averaging_lag", missing=(C.GAP_AUGMENTATION,), true_below_val=False)


@pytest.mark.slow
def test_keras_example_writes_csvlogger_with_the_true_loss_and_is_diagnosed_as_dropout(tmp_path):
    _run_example("Keras 3", tmp_path)
    path = tmp_path / "keras_run.csv"
    header = path.read_text().splitlines()[0].split(",")
    assert {"true_train_loss", "penalty", "gap_penalty", "gap_averaging_lag", "gap_train_mode",
            "gap_generalization"} <= set(header)
    (run,) = load_path(path)
    assert run.format == "keras_csv"
    _assert_diagnosis(run, "dropout", missing=(C.GAP_AUGMENTATION,), epochs=5)
    assert np.allclose(run.get(C.GAP_PENALTY).y, 0.0)  # no regularizer in this model


def test_core_and_page_import_no_framework():
    code = (
        "import sys, json\n"
        "import trueloss_dash, trueloss_dash.ingest, trueloss_dash.diagnose, trueloss_dash.cli\n"
        "import trueloss_dash.integrations, trueloss_dash.integrations.snippets\n"
        "import trueloss_dash.ui.page_runs, trueloss_dash.ui.app\n"
        f"print(json.dumps(sorted(m for m in {FRAMEWORK_MODULES!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_runs_page_empty_state_shows_the_three_snippets():
    from streamlit.testing.v1 import AppTest

    from trueloss_dash.integrations.snippets import SNIPPETS

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs][-3:] == list(SNIPPETS)
    shown = [c.value for c in at.code]
    for _, code in SNIPPETS.values():
        compile(code, "<snippet>", "exec")  # valid Python, shown as written
        assert code in shown
    for module in ("lightning", "hf", "keras"):
        assert any(f"from trueloss_dash.integrations.{module} import TrueLossCallback" in c for c in shown)
        assert any(f"trueloss-dash[{module}]" in c for c in shown)


# --------------------------------------------------------------------------------------------------
# Lightning under DDP: 2 gloo ranks, each measures its shard; all-reduced values = the union's
# --------------------------------------------------------------------------------------------------

DDP_WORKER = textwrap.dedent('''
    import json, os, sys
    import torch
    import lightning as L
    from lightning.pytorch.loggers import CSVLogger
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    from trueloss_dash.integrations.lightning import TrueLossCallback

    out = sys.argv[1]
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 6, generator=g); y = torch.randint(0, 3, (400,), generator=g)

    class M(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
        def forward(self, x):
            return self.net(x)
        def training_step(self, batch, _):
            loss = nn.functional.cross_entropy(self(batch[0]), batch[1])
            self.log("train_loss", loss, on_step=False, on_epoch=True, sync_dist=True)
            return loss
        def validation_step(self, batch, _):
            self.log("val_loss", nn.functional.cross_entropy(self(batch[0]), batch[1]), sync_dist=True)
        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.2)

    states = []
    class Snapshot(L.Callback):  # the weights the measurement saw, per epoch
        def on_validation_epoch_end(self, trainer, pl_module):
            if not trainer.sanity_checking:
                states.append({k: v.tolist() for k, v in pl_module.state_dict().items()})

    L.seed_everything(0)
    cb = TrueLossCallback(subsample=101, batch_size=16)
    trainer = L.Trainer(accelerator="cpu", devices=2, num_nodes=1, strategy="ddp", max_epochs=2,
                        logger=CSVLogger(out, name="ddp"), callbacks=[cb, Snapshot()], enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(M(), DataLoader(TensorDataset(x[:300], y[:300]), batch_size=20, shuffle=True),
                DataLoader(TensorDataset(x[300:], y[300:]), batch_size=50))
    with open(os.path.join(out, "rank%d.json" % trainer.global_rank), "w") as fh:
        json.dump({"records": cb.records, "states": states, "world": trainer.world_size}, fh)
''')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_lightning_ddp_two_gloo_ranks_log_the_value_over_the_union_of_their_shards(tmp_path):
    import torch
    from torch import nn

    from trueloss_dash.trainer.estimate import Z95, subsample_indices

    script = tmp_path / "worker.py"
    script.write_text(DDP_WORKER)
    base = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()), "WORLD_SIZE": "2",
            "NODE_RANK": "0", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=tmp_path,
                              env={**base, "RANK": str(r), "LOCAL_RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
    logs = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert logs[0]["world"] == 2
    assert logs[0]["records"] == logs[1]["records"]  # every rank logged the same, reduced value

    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 6, generator=g)
    y = torch.randint(0, 3, (400,), generator=g)
    sub = subsample_indices(300, 101, 0, y[:300].numpy())  # the callback's stratified subsample
    assert abs(len(sub) - 101) <= 3 and len(set(sub)) == len(sub)  # per-class rounding
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    (run,) = load_path(next(tmp_path.glob("ddp/version_*")), require_curve=False)  # two epochs: the values, not a diagnosis
    assert len(run.get(C.TRUE_TRAIN_LOSS)) == 2
    for epoch, rec in enumerate(logs[0]["records"]):
        assert logs[0]["states"][epoch] == logs[1]["states"][epoch]
        model.load_state_dict({k.removeprefix("net."): torch.tensor(v) for k, v in logs[0]["states"][epoch].items()})
        model.eval()
        with torch.no_grad():
            losses = nn.functional.cross_entropy(model(x[sub]), y[sub], reduction="none").double()
            acc = (model(x[sub]).argmax(1) == y[sub]).double().mean().item()
        half = Z95 * losses.std().item() / np.sqrt(len(losses))
        assert rec[C.TRUE_TRAIN_LOSS] == pytest.approx(losses.mean().item(), rel=1e-6)
        assert rec[C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX] == pytest.approx(losses.mean().item() + half, rel=1e-6)
        assert rec[C.TRUE_TRAIN_ACC] == pytest.approx(acc)
        assert run.get(C.TRUE_TRAIN_LOSS).y[epoch] == pytest.approx(rec[C.TRUE_TRAIN_LOSS], rel=1e-6)
        assert C.GAP_TRAIN_MODE in rec


# --------------------------------------------------------------------------------------------------
# values against a direct computation; measuring changes nothing
# --------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_keras_true_loss_excludes_the_penalty_and_measuring_changes_nothing(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    import keras
    from sklearn.datasets import make_classification

    from trueloss_dash.integrations.keras import TrueLossCallback

    assert keras.backend.backend() == "torch"
    x, y = make_classification(n_samples=700, n_features=10, n_informative=6, n_classes=3, random_state=1)
    x = x.astype("float32")
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def fit(callbacks):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(32, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-2)),
                                  keras.layers.BatchNormalization(), keras.layers.Dropout(0.3), keras.layers.Dense(3)])
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=ce)
        history = model.fit(x[:500], y[:500], validation_data=(x[500:], y[500:]), epochs=2, batch_size=50,
                            verbose=0, callbacks=callbacks)
        return model, history.history

    cb = TrueLossCallback(x[:500], y[:500], full=True)
    measured, history = fit([cb])
    plain, _ = fit([])
    for a, b in zip(measured.get_weights(), plain.get_weights()):  # incl. BatchNorm moving statistics
        np.testing.assert_array_equal(a, b)

    direct = float(keras.ops.convert_to_numpy(ce(y[:500], measured(x[:500], training=False))))
    penalty = float(sum(float(keras.ops.convert_to_numpy(w)) for w in measured.losses))
    assert penalty > 0.01
    assert history["true_train_loss"][-1] == pytest.approx(direct, rel=1e-5)
    assert history["penalty"][-1] == pytest.approx(penalty, rel=1e-6)
    # model.evaluate (what the trueloss library logs as base_loss) keeps the penalty inside
    assert measured.evaluate(x[:500], y[:500], verbose=0) == pytest.approx(direct + penalty, rel=1e-4)
    assert "true_train_loss_ci_low" not in history  # a full pass estimates nothing
    h = {k: v[-1] for k, v in history.items()}
    assert h["gap_averaging_lag"] + h["gap_penalty"] + h["gap_train_mode"] + h["gap_generalization"] == pytest.approx(h["loss"] - h["val_loss"], rel=1e-9)


@pytest.mark.slow
def test_lightning_measuring_changes_nothing_and_a_full_pass_equals_the_direct_loss(tmp_path):
    import lightning as L
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from trueloss_dash.integrations.lightning import TrueLossCallback

    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(260, 5, generator=g), torch.randint(0, 3, (260,), generator=g)

    class M(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.4), nn.Linear(16, 3))

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, _):
            loss = nn.functional.cross_entropy(self(batch[0]), batch[1])
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            self.log("val_loss", nn.functional.cross_entropy(self(batch[0]), batch[1]))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    def fit(callbacks):
        L.seed_everything(0)
        model = M()
        trainer = L.Trainer(max_epochs=2, logger=False, callbacks=callbacks, default_root_dir=tmp_path, accelerator="cpu",
                            enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
        trainer.fit(model, DataLoader(TensorDataset(x[:200], y[:200]), batch_size=20, shuffle=True),
                    DataLoader(TensorDataset(x[200:], y[200:]), batch_size=60))
        return model, trainer

    cb = TrueLossCallback(full=True, penalty_free_loss=True)
    (measured, trainer), (plain, _) = fit([cb]), fit([])
    for (k, a), b in zip(measured.state_dict().items(), plain.state_dict().values()):  # incl. BN running stats
        assert torch.equal(a, b), k
    measured.eval()
    with torch.no_grad():
        direct = nn.functional.cross_entropy(measured(x[:200]), y[:200]).item()
        val = nn.functional.cross_entropy(measured(x[200:]), y[200:]).item()
    rec = cb.records[-1]
    assert len(cb.records) == 2 and C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX not in rec
    assert rec[C.TRUE_TRAIN_LOSS] == pytest.approx(direct, rel=1e-6)
    assert rec[C.GAP_GENERALIZATION] == pytest.approx(direct - val, abs=1e-6)  # val_loss is logged in float32
    # penalty-free loss declared: the lag closes reported = true + train-mode effect + lag
    reported = float(trainer.callback_metrics["train_loss"])
    assert rec[C.GAP_PENALTY] == 0.0
    assert rec[C.GAP_AVERAGING_LAG] + rec[C.GAP_TRAIN_MODE] + rec[C.TRUE_TRAIN_LOSS] == pytest.approx(reported, rel=1e-6)


@pytest.mark.slow
def test_hf_values_per_example_with_the_stock_loss_and_per_unit_with_a_custom_one(tmp_path):
    """Stock Trainer: per-example losses from the logits (checked against compute_loss), penalty 0,
    lag measured. A Trainer whose compute_loss adds a penalty: the trainer's own loss per unit of
    8 examples, and the penalty and lag are left unmeasured (the diagnosis says so)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    from trueloss_dash.integrations.hf import TrueLossCallback
    from trueloss_dash.trainer.estimate import subsample_indices

    g = torch.Generator().manual_seed(1)
    ids, labels = torch.randint(10, 100, (200, 12), generator=g), torch.randint(0, 3, (200,), generator=g)
    examples = [{"input_ids": i, "attention_mask": torch.ones(12, dtype=torch.long), "labels": lab} for i, lab in zip(ids, labels)]
    train, val = examples[:160], examples[160:]

    class PenalisedTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            out = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
            penalty = 1e-3 * sum((p ** 2).sum() for p in model.parameters())
            return (out[0] + penalty, out[1]) if return_outputs else out + penalty

    def fit(trainer_class, measure=True):
        torch.manual_seed(0)
        config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                            max_position_embeddings=16, num_labels=3, hidden_dropout_prob=0.2)
        args = TrainingArguments(str(tmp_path / trainer_class.__name__), num_train_epochs=1, per_device_train_batch_size=16,
                                 eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to=[],
                                 disable_tqdm=True, use_cpu=True, seed=0)
        trainer = trainer_class(model=BertForSequenceClassification(config), args=args, train_dataset=train, eval_dataset=val)
        cb = TrueLossCallback(trainer, subsample=64)
        if measure:
            trainer.add_callback(cb)
        trainer.train()
        return trainer, cb

    sub = subsample_indices(160, 64, 0, [int(e["labels"]) for e in train])
    stock, cb = fit(Trainer)
    plain, _ = fit(Trainer, measure=False)
    for (k, a), b in zip(stock.model.state_dict().items(), plain.model.state_dict().values()):
        assert torch.equal(a, b), k  # measuring changed nothing
    rec = cb.records[-1]
    assert cb._per_example is True and rec[C.GAP_PENALTY] == 0.0 and C.GAP_AVERAGING_LAG in rec
    model = stock.model.eval()
    with torch.no_grad():
        batch = stock._prepare_inputs(stock.data_collator([train[i] for i in sub]))
        logits = model(**batch).logits
        per = torch.nn.functional.cross_entropy(logits, batch["labels"], reduction="none").double()
    assert rec[C.TRUE_TRAIN_LOSS] == pytest.approx(per.mean().item(), rel=1e-5)
    assert rec[C.TRUE_TRAIN_ACC] == pytest.approx((logits.argmax(1) == batch["labels"]).double().mean().item())

    custom, cb = fit(PenalisedTrainer)
    rec = cb.records[-1]
    assert cb._per_example is False  # the custom loss is not the mean of per-example cross-entropies
    assert C.GAP_PENALTY not in rec and C.GAP_AVERAGING_LAG not in rec and C.GAP_TRAIN_MODE in rec
    model = custom.model.eval()
    with torch.no_grad():
        units = np.array([float(custom.compute_loss(model, custom._prepare_inputs(custom.data_collator([train[i] for i in sub[k:k + 8]]))))
                          for k in range(0, len(sub), 8)])
    assert rec[C.TRUE_TRAIN_LOSS] == pytest.approx(units.mean(), rel=1e-5)
    half = 1.959963984540054 * units.std(ddof=1) / np.sqrt(len(units))
    assert rec[C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX] == pytest.approx(units.mean() + half, rel=1e-5)


@pytest.mark.parametrize("prefix", ["", "train/"])  # Lightning/Keras keys as logged; HF's TensorBoard/W&B reporters add "train/"
def test_readers_recognise_the_callback_keys_in_every_layout(tmp_path, prefix):
    from torch.utils.tensorboard import SummaryWriter

    keys = ("true_train_loss", "true_train_loss_ci_low", "true_train_loss_ci_high", "true_train_acc", "penalty",
            "gap_penalty", "gap_averaging_lag", "gap_train_mode", "gap_generalization")
    rows = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 0.8 / e,
             **{prefix + k: (0.5 + 0.01 * i) / e for i, k in enumerate(keys)}} for e in (1, 2, 3)]
    (tmp_path / "run.csv").write_text(",".join(rows[0]) + "\n" + "\n".join(",".join(str(v) for v in r.values()) for r in rows) + "\n")
    (tmp_path / "run.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    writer = SummaryWriter(str(tmp_path / "tb"))
    for r in rows:
        for k, v in r.items():
            if k != "epoch":
                writer.add_scalar(k, v, r["epoch"])
    writer.close()
    for path in (tmp_path / "run.csv", tmp_path / "run.jsonl", tmp_path / "tb"):
        (run,) = load_path(path)
        for k in keys:
            assert k in run.series, (path.name, k, sorted(run.series))
        np.testing.assert_allclose(run.get(C.TRUE_TRAIN_LOSS).y, [0.5, 0.25, 0.5 / 3], rtol=1e-6)
        assert run.band(C.TRUE_TRAIN_LOSS) is not None
