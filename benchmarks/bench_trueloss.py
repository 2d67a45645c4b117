"""Cost and accuracy of the cheap true training loss.

For each preset and seed, the same run is trained twice: with the true loss on the fixed stratified
subsample (default) and with ``true_loss=full``. Measurement never changes training (tested in
tests/test_trainer.py), so both runs have bit-identical weights every epoch and the full-pass value
is the exact quantity the subsample estimates. Printed:

- overhead: seconds in the true-loss pass as % of training seconds (subsample vs full), and
  the extra decomposition passes (train-mode / augmented) as % of training;
- coverage: share of epochs whose full-pass value lies inside the subsample's 95% CI (target ≥ 95%).

    .venv/bin/python benchmarks/bench_trueloss.py [--seeds 3] [--presets clean dropout ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trueloss_dash import columns as C  # noqa: E402
from trueloss_dash.trainer import preset_config, train  # noqa: E402

DEFAULT_PRESETS = ["clean", "dropout", "l2_penalty", "augmentation", "label_noise", "easier_val", "overfit",
                   "underfit", "bn_small_batch"]
LARGER = ("dropout", {"task": "classification", "n_samples": 20000, "epochs": 6, "width": 128})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--presets", nargs="*", default=DEFAULT_PRESETS)
    args = parser.parse_args(argv)

    rows = []
    total = {"train": 0.0, "sub": 0.0, "full": 0.0, "decomp": 0.0, "inside": 0, "epochs": 0}
    cases = [(p, {}) for p in args.presets] + [(LARGER[0] + "@20k", LARGER[1])]
    for label, extra in cases:
        preset = label.split("@")[0]
        for seed in range(args.seeds):
            sub = train(preset_config(preset, seed=seed, **extra))
            full = train(preset_config(preset, seed=seed, true_loss="full", **extra))
            inside = n = 0
            for a, b in zip(sub.records, full.records):
                lo, hi = a.get(C.TRUE_TRAIN_LOSS + C.CI_LOW_SUFFIX), a.get(C.TRUE_TRAIN_LOSS + C.CI_HIGH_SUFFIX)
                if lo is None:  # training set smaller than the subsample: the "subsample" is the full set
                    continue
                n += 1
                inside += lo <= b[C.TRUE_TRAIN_LOSS] <= hi
            ts, tf = sub.timing, full.timing
            rows.append((label, seed, sub.n_train, len(sub.records),
                         100 * ts["true_loss_s"] / ts["train_s"], 100 * tf["true_loss_s"] / tf["train_s"],
                         100 * ts["decomposition_s"] / ts["train_s"], inside, n))
            total["train"] += ts["train_s"]
            total["sub"] += ts["true_loss_s"]
            total["full"] += tf["true_loss_s"] * ts["train_s"] / tf["train_s"]  # normalised to the same training time
            total["decomp"] += ts["decomposition_s"]
            total["inside"] += inside
            total["epochs"] += n

    print(f"{'preset':<14}{'seed':>5}{'n_train':>8}{'epochs':>7}{'sub %':>8}{'full %':>8}{'decomp %':>10}{'in CI':>8}")
    for label, seed, n_train, epochs, s, f, d, inside, n in rows:
        cov = f"{inside}/{n}" if n else "n/a"
        print(f"{label:<14}{seed:>5}{n_train:>8}{epochs:>7}{s:>8.2f}{f:>8.2f}{d:>10.2f}{cov:>8}")
    print()
    print(f"true-loss overhead, subsample: {100 * total['sub'] / total['train']:.2f}% of training time (target <= 5%)")
    print(f"true-loss overhead, full pass: {100 * total['full'] / total['train']:.2f}% of training time")
    print(f"ratio full / subsample:        {total['full'] / max(total['sub'], 1e-12):.1f}x")
    print(f"decomposition passes (subsample, train-mode + augmented): {100 * total['decomp'] / total['train']:.2f}%")
    cov = total["inside"] / max(total["epochs"], 1)
    print(f"coverage: full-pass value inside the subsample 95% CI in {total['inside']}/{total['epochs']} epochs "
          f"= {100 * cov:.1f}% (target >= 95%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
