"""Mechanisms fixed at stop 24 on DEV-range generated runs (``benchmarks/gen_extra_dev.py``: seeds
1,000,000 + index, never the test split's) kept in ``tests/data/generated/``, plus generated CSVs for
the complements each mechanism must not swallow."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path

GENERATED = Path(__file__).resolve().parent / "data" / "generated"


def _diag(path: Path):
    return diagnose(load_path(path)[0])


def _write(tmp_path: Path, name: str, cols: dict[str, list[float]]) -> Path:
    p = tmp_path / name
    n = len(next(iter(cols.values())))
    lines = ["epoch," + ",".join(cols)] + [f"{i + 1}," + ",".join(f"{v[i]:.6g}" for v in cols.values()) for i in range(n)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_eval_mode_blowup_with_train_mode_loss_falling_is_batch_norm_not_the_lr():
    # batch norm, batches of 4, bn momentum 1.0 (dev-70027): the reported train-mode loss falls
    # 1.63 -> 0.51 while the same training data scored in eval mode (the true loss) sits at 25-80,
    # ~x64 - the eval-mode curves 'diverge' with the weights and LR training fine. Before the fix the
    # verdict was 'Learning rate too high (80%)'.
    rep = _diag(GENERATED / "bn_tiny_batch" / "dev-70027" / "run.csv")
    assert rep.causes[0].id == "batchnorm_instability", rep.verdict
    assert any("eval mode" in e for e in rep.causes[0].evidence)
    lr = [c for c in rep.causes if c.id == "lr_too_high"]
    assert not lr or lr[0].confidence < rep.causes[0].confidence


def test_blowup_in_both_modes_stays_the_learning_rate(tmp_path):
    # the complement: the train-mode loss explodes with the eval-mode ones - the weights blew up
    up = [1.0, 0.7, 0.5, 0.45, 0.6, 1.5, 4.0, 9.0, 20.0, 40.0]
    p = _write(tmp_path, "run.csv", {"train_loss": up, "true_train_loss": [v * 1.05 for v in up],
                                      "val_loss": [v * 1.2 for v in up]})
    rep = _diag(p)
    assert "divergence" in rep.kinds()
    assert rep.causes[0].id == "lr_too_high", rep.verdict
    assert "batchnorm_instability" not in [c.id for c in rep.causes[:2]]


def test_healthy_true_loss_run_gets_no_eval_mode_cause():
    rep = _diag(GENERATED / "healthy" / "dev-60018" / "run.csv")
    assert "batchnorm_instability" not in [c.id for c in rep.causes]


def test_level_shift_causes_are_judged_per_shift():
    # warm-up to SGD lr 0.34 (dev-71028): validation jumps x1.55 at the warm-up peak (epoch 7) and
    # stays; much later the reported loss climbs x1.67 while validation does not follow. The second
    # shift says the measurement changed - it must not make the first (which hurt the model) a data
    # change: the data cause explains the training shift only, an LR cause the validation one.
    rep = _diag(GENERATED / "warmup_overshoot" / "dev-71028" / "metrics.csv")
    shifts = {f.series: i for i, f in enumerate(rep.findings) if f.kind == "level_shift"}
    assert {"val_loss", "train_loss"} <= set(shifts)
    by_id = {c.id: c for c in rep.causes}
    data = by_id["data_or_pipeline_change"]
    assert shifts["val_loss"] not in data.findings and shifts["train_loss"] in data.findings
    lr = [c for c in rep.causes if c.id in ("lr_overshoot", "lr_too_high") and shifts["val_loss"] in c.findings]
    assert lr, [(c.id, c.findings) for c in rep.causes]


def test_a_loss_that_fitted_and_then_lost_it_is_not_underfitting():
    # same run: the reported loss fell 1.38 -> 0.79, then climbed back to ~1.32 after the LR peak -
    # ending near its start says nothing about capacity (it fitted); before the fix an underfitting
    # WARNING ('only fell to 103% of its start ... stopped improving')
    rep = _diag(GENERATED / "warmup_overshoot" / "dev-71028" / "metrics.csv")
    assert "underfitting" not in rep.kinds(), rep.verdict
    check = next(c for c in rep.checks if c["id"] == "underfitting")
    assert "fitted, then lost it" in check["detail"]


def test_a_loss_that_never_got_lower_is_still_underfitting(tmp_path):
    rng = np.random.default_rng(3)
    tr = list(2.30 - 0.1 * (1 - np.exp(-np.arange(20) / 4)) + rng.normal(0, 0.005, 20))
    acc = list(0.12 + 0.02 * (1 - np.exp(-np.arange(20) / 4)))
    p = _write(tmp_path, "log.csv", {"loss": tr, "val_loss": [v * 1.01 for v in tr], "accuracy": acc})
    rep = _diag(p)
    assert "underfitting" in rep.kinds(), rep.verdict


CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def test_mape_is_lower_is_better():
    # corpus21A first sight (dev): a rising val_mape was read as 'kept improving' beside a rising
    # validation loss (a metric-disagreement WARNING)
    from trueloss_dash.diagnose.detectors.metric_disagreement import higher_is_better

    assert not higher_is_better("val_mape") and not higher_is_better("val_SMAPE") and higher_is_better("val_map50")
    rep = _diag(CORPUS / "PanggNOTlovebean__TimeseriesTransformer" / "epoch_loss.csv")
    assert "metric_disagreement" not in rep.kinds()


def test_metrics_that_disagree_among_themselves_do_not_excuse_the_loss():
    # Elon379mark (dev): validation loss +19%, RMSE and MAE worse with it, MAPE/SMAPE better - the
    # model got worse by measures the user logs: overfitting stands (a warning), no 'over-confidence'
    rep = _diag(CORPUS / "Elon379mark__AlphaLens" / "metrics.csv")
    assert "metric_disagreement" not in rep.kinds()
    assert any(f.kind == "overfitting" and f.severity == "warning" for f in rep.findings), rep.verdict


def test_a_metric_improving_alone_beside_a_rising_loss_is_still_disagreement(tmp_path):
    n = 20
    val = [1.0 * np.exp(-e / 3) + 0.4 + (0.02 * (e - 8) if e > 8 else 0.0) for e in range(n)]
    acc = [0.5 + 0.4 * (1 - np.exp(-e / 4)) for e in range(n)]
    tr = [1.1 * np.exp(-e / 3) + 0.2 for e in range(n)]
    rep = _diag(_write(tmp_path, "log.csv", {"train_loss": tr, "val_loss": val, "val_accuracy": acc}))
    assert "metric_disagreement" in rep.kinds(), rep.verdict


def test_three_points_that_explode_are_a_divergence():
    # DanSchum (dev): Adam at lr 1.0, ln(ppl) 9.7 -> 348 -> 642 before an OverflowError; 3 points were
    # too few for the explosion test ('No problems found')
    rep = _diag(CORPUS / "DanSchum__NMTGMinor" / "output.log")
    div = [f for f in rep.findings if f.kind == "divergence"]
    assert div and div[0].severity == "critical" and "only 3 points" in div[0].summary


def test_three_points_rising_a_little_are_not_judged(tmp_path):
    rep = _diag(_write(tmp_path, "log.csv", {"train_loss": [0.5, 0.7, 1.1]}))
    assert "divergence" not in rep.kinds()
    rep = _diag(_write(tmp_path, "log2.csv", {"train_loss": [0.5, 0.2, 6.0]}))
    assert "divergence" not in rep.kinds()  # not rising at each point: one bad value, not a trend
