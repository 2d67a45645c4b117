"""DVCLive folders whose plots/metrics hold bookkeeping files beside the metrics: HF's
DVCLiveCallback writes epoch.tsv (step -> epoch), Lightning's logger a train/step.tsv holding the
step alone. They are axes, not metrics: the folder used to be refused ('only x-axis columns'), and
its plots/metrics was also mistaken for an MLflow run folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.ingest import load_path

CORPUS = Path(__file__).parent / "data" / "corpus"


def _tsv(path: Path, header: str, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "".join("\t".join(str(v) for v in r) + "\n" for r in rows))


def test_epoch_tsv_gives_the_epochs_and_step_tsv_is_skipped(tmp_path):
    m = tmp_path / "dvclive" / "plots" / "metrics"
    steps = range(0, 60, 10)
    _tsv(m / "epoch.tsv", "step\tepoch", [(s, s // 20 + 1) for s in steps])
    _tsv(m / "train" / "loss.tsv", "step\tloss", [(s, 2.0 - s / 100) for s in steps])
    _tsv(m / "eval" / "loss.tsv", "step\tloss", [(s, 2.1 - s / 100) for s in steps[1::2]])
    (m / "train" / "step.tsv").write_text("step\n" + "".join(f"{s}.0\n" for s in steps))
    runs = load_path(tmp_path / "dvclive")
    assert len(runs) == 1
    run = runs[0]
    assert set(run.series) >= {"train_loss", "val_loss"} and "epoch" not in run.series
    assert np.array_equal(run.series["train_loss"].epoch, [1, 1, 2, 2, 3, 3])
    assert np.array_equal(run.series["val_loss"].epoch, [1, 2, 3])
    assert any("epoch.tsv (step -> epoch)" in n for n in run.notes)
    assert any("train/step.tsv holds only an axis" in n for n in run.notes)
    assert "skipped_files" not in run.meta  # nothing else was tried file by file (nor as an MLflow run)


def test_epochs_are_left_out_when_epoch_tsv_misses_a_step(tmp_path):
    m = tmp_path / "dvclive" / "plots" / "metrics"
    _tsv(m / "epoch.tsv", "step\tepoch", [(0, 1), (10, 1)])
    _tsv(m / "train" / "loss.tsv", "step\tloss", [(0, 2.0), (10, 1.5), (20, 1.2), (30, 1.0)])
    run = load_path(tmp_path / "dvclive")[0]
    assert run.series["train_loss"].epoch is None
    assert any("lists none of the series' steps" in n for n in run.notes)


def test_real_hf_dvclive_folder_loads():
    """avoytkiv/azml_finetune_llm (real dev): epoch.tsv, train/loss.tsv (one row), eval/loss.tsv (3 rows)."""
    run = load_path(CORPUS / "avoytkiv__azml_finetune_llm" / "dvclive")[0]
    assert run.series["val_loss"].y.tolist() == [0.006119155790656805, 0.002105922671034932, 0.0016672038473188877]
    assert run.series["val_loss"].epoch.tolist() == [1.0, 2.0, 3.0]
    assert run.series["train_loss"].epoch.tolist() == [3.0]
    assert "eval/runtime" in run.series  # a metric named like a clock is still a metric
