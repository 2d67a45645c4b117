"""Cost and accuracy of the framework callbacks (Lightning, HF Trainer, Keras 3 on torch).

For each framework and seed the same training runs twice: with the callback on its fixed
subsample (default) and with ``full=True``. Measuring never changes training (tested in
tests/test_integrations.py), so both runs have the same weights every epoch and the full-pass
value is exactly what the subsample estimates. Printed, per framework and overall:

- overhead: seconds inside the callback (eval-mode pass + train-mode pass) as % of the training
  seconds of the same run (fit time minus the callback's time) - target ≤ 5 % with the subsample;
- coverage: share of epochs whose full-pass value lies inside the subsample's 95 % interval
  (target ≥ 95 %).

    .venv/bin/python benchmarks/bench_integrations.py [--seeds 3] [--frameworks keras lightning hf]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")

from trueloss_dash import columns as C  # noqa: E402

LOW, HIGH = C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX, C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX


def _tabular(seed: int, n: int):
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=n, n_features=20, n_informative=10, n_classes=4, class_sep=1.5,
                               flip_y=0.05, random_state=seed)
    return x.astype("float32"), y


def run_keras(seed: int, full: bool, n_train: int, epochs: int):
    import keras

    from trueloss_dash.integrations.keras import TrueLossCallback

    x, y = _tabular(seed, n_train + 1000)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(4)])
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    cb = TrueLossCallback(x[:n_train], y[:n_train], full=full, seed=seed)
    t0 = time.perf_counter()
    model.fit(x[:n_train], y[:n_train], validation_data=(x[n_train:], y[n_train:]), epochs=epochs, batch_size=32,
              verbose=0, callbacks=[cb])
    return cb.records, sum(cb.seconds), time.perf_counter() - t0


def run_lightning(seed: int, full: bool, n_train: int, epochs: int):
    import lightning as L
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from trueloss_dash.integrations.lightning import TrueLossCallback

    class MLP(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 4))

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, _):
            loss = nn.functional.cross_entropy(self(batch[0]), batch[1])
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            self.log("val_loss", nn.functional.cross_entropy(self(batch[0]), batch[1]))

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=2e-3)

    x, y = _tabular(seed, n_train + 1000)
    x, y = torch.tensor(x), torch.tensor(y)
    L.seed_everything(seed, verbose=False)
    cb = TrueLossCallback(full=full, seed=seed)
    trainer = L.Trainer(max_epochs=epochs, logger=False, callbacks=[cb], accelerator="cpu", enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False, num_sanity_val_steps=0)
    t0 = time.perf_counter()
    trainer.fit(MLP(), DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=32, shuffle=True),
                DataLoader(TensorDataset(x[n_train:], y[n_train:]), batch_size=500))
    return cb.records, sum(cb.seconds), time.perf_counter() - t0


def run_hf(seed: int, full: bool, n_train: int, epochs: int):
    import tempfile

    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    from trueloss_dash.integrations.hf import TrueLossCallback

    n = n_train + 512
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(10, 100, (n, 16), generator=g)
    labels = torch.randint(0, 2, (n,), generator=g)
    ids[labels == 1, torch.randint(0, 16, (int(labels.sum()),), generator=g)] = 7
    flip = torch.rand(n, generator=g) < 0.1  # some label noise: the loss stays off zero
    labels = torch.where(flip, 1 - labels, labels)
    examples = [{"input_ids": i, "attention_mask": torch.ones(16, dtype=torch.long), "labels": lab}
                for i, lab in zip(ids, labels)]
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=32, num_labels=2, hidden_dropout_prob=0.3)
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(out, num_train_epochs=epochs, per_device_train_batch_size=32, learning_rate=2e-3,
                                 eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to=[],
                                 disable_tqdm=True, use_cpu=True, seed=seed)
        trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=examples[:n_train],
                          eval_dataset=examples[n_train:])
        cb = TrueLossCallback(trainer, full=full, seed=seed)
        trainer.add_callback(cb)
        t0 = time.perf_counter()
        trainer.train()
        return cb.records, sum(cb.seconds), time.perf_counter() - t0


FRAMEWORKS = {
    "keras": (run_keras, {"n_train": 8000, "epochs": 5}),
    "lightning": (run_lightning, {"n_train": 8000, "epochs": 5}),
    "hf": (run_hf, {"n_train": 8192, "epochs": 3}),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--frameworks", nargs="*", default=list(FRAMEWORKS))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # ratios, not absolute speed: one thread survives a shared machine

    print(f"{'framework':<10}{'seed':>5}{'n_train':>8}{'epochs':>7}{'sub %':>8}{'full %':>8}{'in CI':>8}")
    total = {"sub": 0.0, "sub_train": 0.0, "full": 0.0, "full_train": 0.0, "inside": 0, "epochs": 0}
    per_fw = {}
    for name in args.frameworks:
        fn, kw = FRAMEWORKS[name]
        acc = {"sub": 0.0, "sub_train": 0.0, "full": 0.0, "full_train": 0.0, "inside": 0, "epochs": 0}
        for seed in range(args.seeds):
            sub, sub_s, sub_fit = fn(seed, False, **kw)
            full, full_s, full_fit = fn(seed, True, **kw)
            inside = sum(a[LOW] <= b[C.TRUE_TRAIN_LOSS] <= a[HIGH] for a, b in zip(sub, full))
            epochs = min(len(sub), len(full))
            s_pct = 100 * sub_s / (sub_fit - sub_s)
            f_pct = 100 * full_s / (full_fit - full_s)
            print(f"{name:<10}{seed:>5}{kw['n_train']:>8}{epochs:>7}{s_pct:>8.2f}{f_pct:>8.2f}{f'{inside}/{epochs}':>8}", flush=True)
            for d in (acc, total):
                d["sub"] += sub_s
                d["sub_train"] += sub_fit - sub_s
                d["full"] += full_s
                d["full_train"] += full_fit - full_s
                d["inside"] += inside
                d["epochs"] += epochs
        per_fw[name] = acc
    print()
    for name, d in [*per_fw.items(), ("all", total)]:
        cov = d["inside"] / max(d["epochs"], 1)
        sub_pct = 100 * d["sub"] / d["sub_train"]
        full_pct = 100 * d["full"] / d["full_train"]
        print(f"{name:<10} overhead subsample {sub_pct:5.2f}% of training (target <= 5%), full pass {full_pct:5.2f}% "
              f"({full_pct / max(sub_pct, 1e-12):.1f}x); coverage {d['inside']}/{d['epochs']} = {100 * cov:.1f}% (target >= 95%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
