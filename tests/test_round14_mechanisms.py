"""Round 14 (stop 19) mechanisms, each on a real dev file or a generated run (issue 9: a noise model
under every detector; severity follows consequence)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from trueloss_dash.diagnose import diagnose
from trueloss_dash.ingest import load_path
from trueloss_dash.run import Run, Series

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def _alarms(rep) -> list[tuple[str, str]]:
    return [(f.kind, f.severity) for f in rep.findings if f.severity in ("warning", "critical")]


def _keep_rows(run: Run, pick) -> Run:
    """A copy of the run with only the rows ``pick(n)`` of every series (the perturbation probe's cuts)."""
    r = copy.deepcopy(run)
    for s in r.series.values():
        keep = pick(len(s.y))
        for axis in ("y", "step", "epoch", "wall_time"):
            v = getattr(s, axis, None)
            if v is not None:
                setattr(s, axis, v[keep])
    return r


def _without_first_tenth(run: Run) -> Run:
    """The same log had it started late (the perturbation probe's 'first 10% missing')."""
    return _keep_rows(run, lambda n: np.arange(int(0.1 * n), n))


def test_training_only_swings_on_a_loss_still_falling_on_trend_are_info():
    """21AlexandruPOP (healthy, training loss only, 22 epochs): with its fast first epochs missing, the
    loss reads 'still at 30% of its start' while bouncing ~8%. Its trend still falls ~7 standard errors
    below flat: the swings have not stopped learning - info, not 'LR too high'."""
    run = load_path(CORPUS / "21AlexandruPOP__PTCC" / "training_history.csv")[0]
    assert not _alarms(diagnose(run))
    late = diagnose(_without_first_tenth(run))
    osc = [f for f in late.findings if f.kind == "oscillation"]
    assert osc and osc[0].severity == "info", late.findings
    assert "still falls on its trend" in osc[0].summary
    assert not _alarms(late)


def _training_only(y) -> Run:
    run = Run(name="swings")
    run.add(Series("train_loss", np.asarray(y, float), epoch=np.arange(1, len(y) + 1, dtype=float)))
    return run


def test_training_only_swings_with_no_trend_still_warn():
    """The same ~20% bounces around a level that no longer falls (an LR too high to settle): learning
    has stopped far above where the loss could be - still a warning."""
    rng = np.random.default_rng(3)
    head = [2.3, 1.6, 1.2, 1.0]
    bounce = 0.9 * np.exp(0.18 * np.where(np.arange(26) % 2 == 0, 1.0, -1.0) + 0.03 * rng.standard_normal(26))
    rep = diagnose(_training_only(head + list(bounce)))
    osc = [f for f in rep.findings if f.kind == "oscillation"]
    assert osc and osc[0].severity == "warning", rep.findings


def test_training_only_swings_on_a_steady_descent_are_info():
    """Irregular ~6% scatter on a loss falling ~4% per epoch, the start not logged (30 epochs, training
    only): it bounces up at a third of its moves, but the descent dominates the swings."""
    rng = np.random.default_rng(4)
    base = 2.0 * np.exp(-0.04 * np.arange(30))
    y = base * np.exp(0.06 * rng.standard_normal(30))
    rep = diagnose(_training_only(y))
    osc = [f for f in rep.findings if f.kind == "oscillation"]
    assert osc and osc[0].severity == "info", rep.findings
    assert "still falls on its trend" in osc[0].summary
    assert not _alarms(rep)


def test_validation_climbing_beside_a_training_loss_still_creeping_down_is_overfitting():
    """elpis51613 (dev, overfitting): a full-batch MSE regression whose training loss falls at every one
    of the 466 epochs after validation's best (217.4 -> 216.9, ~1%) while validation climbs +48%. Still
    fitting is measured against training's own noise, not a fixed 4%."""
    run = load_path(CORPUS / "elpis51613__civil" / "train_val_loss.csv")[0]
    over = [f for f in diagnose(run).findings if f.kind == "overfitting"]
    assert over and over[0].severity == "warning", over
    assert "466 points" in over[0].summary


def _two_curves(train, val) -> Run:
    e = np.arange(1, len(train) + 1, dtype=float)
    run = Run(name="generated")
    run.add(Series("train_loss", np.asarray(train, float), epoch=e))
    run.add(Series("val_loss", np.asarray(val, float), epoch=e))
    return run


def test_validation_climbing_beside_a_flat_noisy_training_loss_is_not_overfitting():
    """The same climb beside a training loss that only wanders (+-2% noise, no trend, ~1% lower at the
    end by chance) does not show a model still fitting its training data."""
    rng = np.random.default_rng(7)
    e = np.arange(60)
    train = np.where(e < 20, 2.0 * np.exp(-e / 5), 2.0 * np.exp(-4)) * np.exp(0.02 * rng.standard_normal(60))
    train[-8:] *= 0.99
    val = np.where(e < 20, 2.2 * np.exp(-e / 5) + 0.1, (2.2 * np.exp(-4) + 0.1) * (1 + 0.012 * (e - 19)))
    rep = diagnose(_two_curves(train, val))
    assert "overfitting" not in [f.kind for f in rep.findings if f.severity != "info"], rep.findings


def test_a_loss_at_zero_for_half_its_epochs_is_described_by_amounts_not_ratios():
    """Beatrice0399 (dev, healthy, erratic validation allowed): a test loss printed as 0.0 at 120 of 250
    epochs with one-epoch jumps to 0.44-2.28. A ratio to a trend at ~0 means nothing: the texts read
    'x6.17e8 its trend' and 'largest n/a', and numpy overflowed. Jumps of such a loss are amounts."""
    import warnings

    run = load_path(CORPUS / "Beatrice0399__conntect4" / "training_history.json")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        rep = diagnose(run)
    texts = [f.summary for f in rep.findings] + [c["detail"] for c in rep.checks]
    assert not [t for t in texts if "n/a" in t or "e8" in t or "e+" in t], texts
    erratic = next(f for f in rep.findings if f.kind == "erratic_validation")
    assert "largest +" in erratic.summary
    spikes = [f for f in rep.findings if f.kind == "spike" and f.series == "val_loss"]
    assert all("above its trend" in f.summary and "×" not in f.summary.split("(")[1].split(",")[0] for f in spikes)


def _every_second_row(run: Run) -> Run:
    """The same log written every second step (the perturbation probe's 'every 2nd point')."""
    return _keep_rows(run, lambda n: np.arange(0, n, 2))


def test_a_first_validation_after_the_training_loss_fell_is_not_before_learning():
    """Driemann__ml-aos version_3 (dev, healthy): the first validation (step 150) comes after training
    fell 0.129 -> 0.044 over steps 49-149. Logged every second step, only two training rows precede it
    and it read 'already 61% below the training loss before any learning' - a data-mismatch WARNING.
    Learning is judged by the training loss's fall before that validation, not by how many rows were logged."""
    run = load_path(CORPUS / "Driemann__ml-aos" / "version_3_metrics.csv")[0]
    for variant in (run, _every_second_row(run)):
        rep = diagnose(variant)
        gap = [f for f in rep.findings if f.kind == "inverted_gap"]
        assert gap and gap[0].severity == "info", gap
        assert not gap[0].metrics.get("first_point_before_learning")
