"""Regenerate ``sample_runs/``: one log per preset, written by this trainer, and the README table.

    python -m trueloss_dash.trainer.make_samples [OUT_DIR] [--only NAME ...]

Deterministic: same code and seeds → the same files (up to wall-time columns).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .logfile import write_training_log
from .presets import PRESETS, preset_config

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "sample_runs"

README_HEAD = """# Sample runs

One log per trainer preset, produced by `python -m trueloss_dash.trainer.make_samples` (the live
trainer in `trueloss_dash/trainer/`, CPU, fixed seeds). Each CSV starts with a `# trueloss-dash:`
line carrying the run's context (dropout, penalty, augmentation, batch norm, batch size, optimizer,
LR, data sizes) and the full trainer config, so `trueloss-dash diagnose sample_runs/dropout.csv`
needs no extra flags.

Columns (canonical names, see `trueloss_dash/columns.py`): `epoch` (epochs completed), `step`,
`wall_time`, `train_loss` (reported: train-mode running mean over the epoch, penalty included),
`true_train_loss` (eval mode, clean inputs, no penalty; on a fixed stratified subsample with its 95%
CI in `true_train_loss_ci_low/_ci_high`), `val_loss`, accuracies, `lr`, `grad_norm`,
`train_loss_no_penalty`, `penalty`, and the exact gap decomposition
`gap_penalty + gap_averaging_lag + gap_train_mode + gap_augmentation + gap_generalization = train_loss − val_loss`
(`gap_generalization` = true − val: negative normally, positive when validation is easier than the
training data - mismatch or leakage). `no_shuffle.csv` also has per-step rows (`train_loss_step`).

| preset | what it shows | expected findings | expected causes (top first) |
|---|---|---|---|
"""


def readme_text() -> str:
    rows = []
    for name, p in PRESETS.items():
        findings = ", ".join(f"`{f}`" for f in p.expected_findings) or "none"
        causes = ", ".join(f"`{c}`" for c in p.expected_causes) or "none"
        rows.append(f"| [`{name}`]({name}.csv) | {p.description} | {findings} | {causes} |")
    return README_HEAD + "\n".join(rows) + "\n"


def make_samples(out_dir: Path = DEFAULT_DIR, only: list[str] | None = None, *, verbose: bool = True) -> list[Path]:
    from .loop import train

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in only or list(PRESETS):
        config = preset_config(name)
        result = train(config)
        path = write_training_log(out_dir / f"{name}.csv", result.records, config, step_records=result.step_records,
                                  status=result.status, n_train=result.n_train, n_val=result.n_val,
                                  generator="trueloss-dash make_samples")
        paths.append(path)
        if verbose:
            print(f"{name:<16} {result.status:<9} {len(result.records):>3} epochs -> {path}", file=sys.stderr)
    if not only:
        (out_dir / "README.md").write_text(readme_text(), encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--only", nargs="*", choices=list(PRESETS))
    args = parser.parse_args(argv)
    make_samples(args.out_dir, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
