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
from trueloss_dash.trainer.phenomena import TWINS, check_phenomenon
from trueloss_dash.trainer.presets import Preset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs():
    results = {name: train(preset_config(name)) for name in PRESETS}
    for result in results.values():
        result.run = result.to_run()
    # The leakage preset's twin: the same model and data without leakage (it is the overfit preset).
    assert {k: v for k, v in PRESETS["leakage"].config.items() if k != "leakage"} == PRESETS["overfit"].config
    return results


def series(result, key) -> np.ndarray:
    return np.array([r.get(key, math.nan) for r in result.records], dtype=float)


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


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_reproduces_its_phenomenon(runs, name):
    """The criterion of ``trainer.phenomena`` (the same one eval_diagnosis.py verifies labels with)."""
    twin = runs[TWINS[name]].run if name in TWINS else None
    result = check_phenomenon(name, runs[name].run, twin)
    assert result.ok, str(result)


def test_clean_has_only_lag_and_generalization_terms(runs):
    r = runs["clean"]
    assert r.status == "finished" and r.records[-1][C.VAL_ACC] > 0.9
    for k in (C.GAP_PENALTY, C.GAP_TRAIN_MODE, C.GAP_AUGMENTATION):
        assert np.all(series(r, k) == 0)


def test_l2_penalty_is_the_reported_minus_unpenalised_loss(runs):
    r = runs["l2_penalty"]
    P = series(r, C.PENALTY)
    assert np.all(P > 0)
    np.testing.assert_allclose(P, series(r, C.TRAIN_LOSS) - series(r, C.TRAIN_LOSS_NO_PENALTY), atol=1e-9)


def test_lr_spike_is_exactly_one_epoch_of_higher_lr(runs):
    r = runs["lr_spike"]
    k = r.config.lr_spike_epoch - 1
    LR = series(r, C.LR)
    assert LR[k] == pytest.approx(r.config.lr * r.config.lr_spike_factor) and LR[k + 1] == pytest.approx(r.config.lr)
    assert np.all(np.delete(LR, k) == pytest.approx(r.config.lr))


def test_diverge_ends_diverged_and_keeps_finished_epochs(runs):
    r = runs["diverge"]
    assert r.status == "diverged" and "epoch" in r.message
    assert 3 <= len(r.records) < r.config.epochs
    assert [rec[C.EPOCH] for rec in r.records] == list(range(1, len(r.records) + 1))


def test_leakage_twin_is_the_overfit_preset(runs):
    leak, twin = runs["leakage"], runs["overfit"]
    assert leak.records[-1][C.VAL_ACC] > twin.records[-1][C.VAL_ACC] + 0.2


def test_oscillation_swings_epoch_to_epoch_on_both_curves(runs):
    r = runs["oscillation"]
    for key in (C.VAL_LOSS, C.TRAIN_LOSS):
        d = np.diff(series(r, key))
        assert np.mean(np.sign(d[1:]) != np.sign(d[:-1])) >= 0.5, key


def test_criteria_reject_the_wrong_run(runs):
    """A criterion is not vacuous: the clean run does not pass as any other phenomenon."""
    clean = runs["clean"].run
    for name in PRESETS:
        if name != "clean":
            twin = runs[TWINS[name]].run if name in TWINS else None
            assert not check_phenomenon(name, clean, twin).ok, name


@pytest.mark.parametrize("name", list(PRESETS))
def test_verdict_names_the_top_cause_of_every_preset(runs, name):
    """One verdict rule (docs/diagnosis.md): the verdict names the top-ranked cause (both, on a tie)."""
    from trueloss_dash.diagnose import diagnose

    rep = diagnose(runs[name].run)
    if rep.causes:
        assert rep.causes[0].title in rep.verdict, (rep.verdict, rep.cause_ids())
        if len(rep.causes) > 1 and rep.causes[0].score - rep.causes[1].score <= 0.05:
            assert rep.causes[1].title.lower() in rep.verdict.lower()
