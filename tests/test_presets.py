"""Every preset really produces its phenomenon, measured on the run it trains (not assumed).

All presets run once in a module-scoped fixture (a few seconds each on CPU); the assertions reuse
the results. Criteria are stated on the measured curves, in the terms the dashboard explains them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from trueloss_dash import columns as C
from trueloss_dash.trainer import PRESETS, preset_config, train
from trueloss_dash.trainer.presets import Preset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs():
    results = {name: train(preset_config(name)) for name in PRESETS}
    # The leakage preset's twin: the same model and data without leakage (it is the overfit preset).
    assert {k: v for k, v in PRESETS["leakage"].config.items() if k != "leakage"} == PRESETS["overfit"].config
    return results


def series(result, key) -> np.ndarray:
    return np.array([r.get(key, math.nan) for r in result.records], dtype=float)


def frac(mask) -> float:
    return float(np.mean(mask))


def dominant_positive_term(record) -> str:
    return max(C.GAP_TERMS, key=lambda k: record[k])


def test_every_preset_is_described_and_quick_to_configure():
    assert len(PRESETS) == 15
    for name, preset in PRESETS.items():
        assert isinstance(preset, Preset) and preset.name == name
        assert preset.description and preset.title
        config = preset_config(name)
        assert config.name == name and config.epochs <= 40


def test_decomposition_identity_holds_every_epoch_of_every_preset(runs):
    for name, result in runs.items():
        for rec in result.records:
            if not all(math.isfinite(rec[k]) for k in (C.TRAIN_LOSS, C.VAL_LOSS, *C.GAP_TERMS)):
                continue
            total = sum(rec[k] for k in C.GAP_TERMS)
            assert abs(total - (rec[C.TRAIN_LOSS] - rec[C.VAL_LOSS])) < 1e-6, (name, rec[C.EPOCH])


def test_clean(runs):
    r = runs["clean"]
    R, T, V = series(r, C.TRAIN_LOSS), series(r, C.TRUE_TRAIN_LOSS), series(r, C.VAL_LOSS)
    assert r.status == "finished"
    assert V[-1] < 0.2 * V[0] and r.records[-1][C.VAL_ACC] > 0.9
    assert frac(V < R) < 0.5  # no persistent inverted gap
    assert T[-1] <= V[-1] and V[-1] - T[-1] < 0.2
    for k in (C.GAP_PENALTY, C.GAP_TRAIN_MODE, C.GAP_AUGMENTATION):
        assert np.all(series(r, k) == 0)


def test_dropout_inverts_the_gap_and_true_loss_stays_below_val(runs):
    r = runs["dropout"]
    R, T, V = series(r, C.TRAIN_LOSS), series(r, C.TRUE_TRAIN_LOSS), series(r, C.VAL_LOSS)
    assert frac(V < R) >= 0.6
    assert frac(T < V) >= 0.6 and T[-1] < V[-1]
    assert dominant_positive_term(r.records[-1]) == C.GAP_TRAIN_MODE
    assert frac(series(r, C.GAP_TRAIN_MODE) > 0) == 1.0


def test_l2_penalty_is_a_smooth_offset_in_the_reported_loss(runs):
    r = runs["l2_penalty"]
    R, T, V = series(r, C.TRAIN_LOSS), series(r, C.TRUE_TRAIN_LOSS), series(r, C.VAL_LOSS)
    P = series(r, C.PENALTY)
    assert frac(V < R) >= 0.6 and T[-1] < V[-1]
    assert np.all(P > 0)
    np.testing.assert_allclose(P, R - series(r, C.TRAIN_LOSS_NO_PENALTY), atol=1e-9)
    assert np.all([dominant_positive_term(rec) == C.GAP_PENALTY for rec in r.records[3:]])


def test_augmentation_gap_vanishes_on_clean_inputs(runs):
    r = runs["augmentation"]
    R, T, V = series(r, C.TRAIN_LOSS), series(r, C.TRUE_TRAIN_LOSS), series(r, C.VAL_LOSS)
    assert frac(V < R) >= 0.6
    assert frac(T < V) >= 0.6 and T[-1] < V[-1]
    assert frac([dominant_positive_term(rec) == C.GAP_AUGMENTATION for rec in r.records]) >= 0.8


def test_label_noise_puts_true_train_loss_above_val(runs):
    r = runs["label_noise"]
    T, V = series(r, C.TRUE_TRAIN_LOSS), series(r, C.VAL_LOSS)
    assert frac(T > V) >= 0.8 and T[-1] > V[-1] + 0.3
    assert series(r, C.GAP_GENERALIZATION)[-1] > 0.3  # negative generalization gap = mismatch


def test_easier_val_is_below_true_train_loss_from_the_first_epoch(runs):
    r = runs["easier_val"]
    T, V = series(r, C.TRUE_TRAIN_LOSS), series(r, C.VAL_LOSS)
    assert np.all(T > V)
    assert T[-1] - V[-1] > 0.1


def test_leakage_hides_the_overfitting_of_the_same_model(runs):
    leak, twin = runs["leakage"], runs["overfit"]
    V_leak, T_leak = series(leak, C.VAL_LOSS), series(leak, C.TRUE_TRAIN_LOSS)
    V_twin, T_twin = series(twin, C.VAL_LOSS), series(twin, C.TRUE_TRAIN_LOSS)
    assert V_leak[-1] < 0.05 * V_twin[-1]
    assert abs(T_leak[-1] - V_leak[-1]) < 0.02 * (V_twin[-1] - T_twin[-1])
    assert V_leak[-1] <= 1.1 * V_leak.min()  # no overfitting visible on the leaked validation set
    assert leak.records[-1][C.VAL_ACC] > twin.records[-1][C.VAL_ACC] + 0.2


def test_lr_spike_then_recovery(runs):
    r = runs["lr_spike"]
    k = r.config.lr_spike_epoch - 1  # index of the spiked epoch
    V, R, LR = series(r, C.VAL_LOSS), series(r, C.TRAIN_LOSS), series(r, C.LR)
    assert LR[k] == pytest.approx(r.config.lr * r.config.lr_spike_factor) and LR[k + 1] == pytest.approx(r.config.lr)
    assert V[k] > 2 * V[k - 1] and R[k] > 2 * R[k - 1]
    assert V[k + 1:k + 4].min() < 1.2 * V[k - 1]
    assert V[-1] < V[k - 1]


def test_diverge_ends_diverged_and_keeps_finished_epochs(runs):
    r = runs["diverge"]
    assert r.status == "diverged" and "epoch" in r.message
    R = series(r, C.TRAIN_LOSS)
    assert 3 <= len(r.records) < r.config.epochs
    assert np.all(np.isfinite(R[:-1])) and np.all(R[:-1] < 100)
    assert not math.isfinite(R[-1]) or R[-1] > 1000 * R[:-1].min()
    assert [rec[C.EPOCH] for rec in r.records] == list(range(1, len(r.records) + 1))


def _roughness(y: np.ndarray) -> float:
    """Total variation of log(y) relative to its net change: 1 for a monotone curve."""
    z = np.log(y)
    return float(np.abs(np.diff(z)).sum() / max(abs(z[-1] - z[0]), 1e-12))


def test_bn_small_batch_makes_val_erratic_while_training_loss_is_smooth(runs):
    r = runs["bn_small_batch"]
    R, V = series(r, C.TRAIN_LOSS), series(r, C.VAL_LOSS)
    assert _roughness(V) > 1.5 * _roughness(R)
    rise = lambda y: float(np.max(y[1:] / y[:-1] - 1))  # largest epoch-to-epoch relative rise
    assert rise(V) > 0.3 and rise(R) < 0.05


def test_overfit_val_minimum_then_rise(runs):
    r = runs["overfit"]
    R, V = series(r, C.TRAIN_LOSS), series(r, C.VAL_LOSS)
    best = int(np.argmin(V))
    assert best <= len(V) - 10
    assert V[-1] > 1.5 * V[best]
    assert R[-1] < 0.1 * R[best]


def test_lr_too_low_falls_steadily_but_barely(runs):
    r = runs["lr_too_low"]
    V = series(r, C.VAL_LOSS)
    assert np.all(np.diff(V) < 0)
    assert (V[0] - V[-1]) / V[0] < 0.1
    assert r.records[-1][C.VAL_ACC] < 0.6


def test_underfit_plateaus_high_with_train_and_val_together(runs):
    r, clean = runs["underfit"], runs["clean"]
    T, V = series(r, C.TRUE_TRAIN_LOSS), series(r, C.VAL_LOSS)
    assert T[-1] > 5 * series(clean, C.TRUE_TRAIN_LOSS)[-1]
    assert abs(T[-1] - V[-1]) / V[-1] < 0.15
    assert abs(V[-5] - V[-1]) / V[-1] < 0.08
    assert r.records[-1][C.TRUE_TRAIN_ACC] < 0.85


def test_oscillation_swings_epoch_to_epoch(runs):
    r = runs["oscillation"]
    for key in (C.VAL_LOSS, C.TRAIN_LOSS):
        d = np.diff(series(r, key))
        alternation = np.mean(np.sign(d[1:]) != np.sign(d[:-1]))
        assert alternation >= 0.5, key
        assert np.mean(np.abs(d)) > 2.5 * abs(np.mean(d)), key  # swings dwarf the downward trend


def test_no_shuffle_per_step_loss_repeats_every_epoch(runs):
    r = runs["no_shuffle"]
    y = np.log([s[C.TRAIN_LOSS] for s in r.step_records])
    spe = len(y) // r.config.epochs
    assert len(y) == spe * r.config.epochs
    z = y - np.convolve(y, np.ones(spe) / spe, "same")  # remove the slow learning trend
    z = z[spe // 2:-spe // 2]

    def autocorr(lag: int) -> float:
        a, b = z[:-lag] - z[:-lag].mean(), z[lag:] - z[lag:].mean()
        return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))

    assert autocorr(spe) > 0.8
    assert autocorr(spe) > autocorr(spe // 2) + 0.5
