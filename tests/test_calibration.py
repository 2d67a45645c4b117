"""Cause-confidence calibration (trueloss_dash/diagnose/calibration.py): the shipped table is what
benchmarks/fit_calibration.py fits on the dev splits with the design grouped cross-validation picked
(benchmarks/cv_calibration.py), it never changes which cause leads, every cause says what its reading
rests on, and the evaluation still prints its reliability tables."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import cv_calibration  # noqa: E402
import eval_diagnosis  # noqa: E402
import fit_calibration  # noqa: E402
from fit_calibration import Point  # noqa: E402

from trueloss_dash.diagnose import calibration, diagnose  # noqa: E402
from trueloss_dash.ingest import load_path  # noqa: E402


@pytest.fixture(scope="module")
def dev_fit():
    return fit_calibration.dev_points(with_accuracy=True)


@pytest.fixture(scope="module")
def dev_points(dev_fit):
    return dev_fit[0]


def test_shipped_table_is_the_fit_on_dev(dev_fit):
    dev_points, accuracy = dev_fit
    assert {p.where for p in dev_points} == set(calibration.POSITIONS)
    assert {p.group for p in dev_points} == {"scenarios", "real"} and {p.basis for p in dev_points} == set(calibration.BASES)
    optimism = fit_calibration.optimism_factor(accuracy)
    fit = fit_calibration.fit_table(dev_points, optimism, fit_calibration.first_sight_single_curve())
    assert fit == fit_calibration.shipped(), "run: python benchmarks/fit_calibration.py --write"
    # the real dev causes are discounted by first-sight accuracy over today's (both measured on dev)
    assert 0.5 < optimism <= 1.0 and calibration.OPTIMISM_FACTOR == round(optimism, 3)
    assert optimism == pytest.approx(min(1.0, fit_calibration.first_sight_rate() / accuracy))
    # the points are the dev splits' scored causes: as many as the evaluation counts on dev
    scores, _ = eval_diagnosis.score_all(eval_diagnosis.scenario_items(splits=("dev",)) + eval_diagnosis.real_items(splits=("dev",)))
    assert len(dev_points) == sum(s.reliability.n for s in scores.values())


def test_fit_reads_no_test_split(monkeypatch):
    asked = []
    monkeypatch.setattr(fit_calibration, "scenario_items", lambda splits: asked.append(splits) or [])
    monkeypatch.setattr(fit_calibration, "real_items", lambda splits: asked.append(splits) or [])
    assert fit_calibration.dev_points() == [] and asked == [("dev",), ("dev",)]


def test_rows_are_monotone_and_every_leading_row_is_on_top():
    table = {k: np.array(v) for k, v in calibration.CALIBRATION_TABLE.items()}
    assert set(table) == {(w, b) for w in calibration.POSITIONS for b in calibration.BASES}
    assert list(calibration.RAW_GRID) == sorted(calibration.RAW_GRID)
    for row in table.values():
        assert np.all(np.diff(row) >= 0) and np.all((row > 0) & (row < 1))
    lower = np.max([table[(w, b)] for w in (calibration.RIVAL, calibration.SIDE) for b in calibration.BASES], axis=0)
    for w in calibration.LEADS:
        for b in calibration.BASES:  # a leading guess still outranks a measured rival: the lead is never demoted
            assert np.all(table[(w, b)] >= lower)
    # an alike cause may fit above the lead: it is capped at the lead's probability when read
    assert calibration.cap(0.9, calibration.ALIKE, 0.8) == 0.8 and calibration.cap(0.9, calibration.LEADING, 0.8) == 0.9


def test_positions_tell_a_second_harmless_reading_from_a_competing_one():
    from trueloss_dash.diagnose.model import Cause

    def cause(cid, score, findings):
        return Cause(cid, cid, score, findings=findings, score=score)

    # dropout leads an inverted gap; augmentation reads it the same way (harmless), data mismatch
    # does not (a bug); overfitting explains another finding
    causes = [cause("dropout", 0.45, [0]), cause("augmentation", 0.35, [0]), cause("data_mismatch", 0.25, [0]),
              cause("overfitting", 0.3, [1])]
    assert calibration.positions_of(causes, 0.05) == [calibration.AGREED, calibration.ALIKE, calibration.RIVAL, calibration.SIDE]
    # a harmful lead: every lower cause of its finding competes with it
    causes = [cause("lr_overshoot", 0.5, [0]), cause("data_or_pipeline_change", 0.35, [0]), cause("dropout", 0.45, [1])]
    assert calibration.positions_of(causes, 0.05) == [calibration.LEADING, calibration.RIVAL, calibration.LEADING]


def _synthetic(rng, group="scenarios", prior_rate=None):
    """Scored causes whose chance of being right is known: leading = its raw score, rival 0.5, side 0.1
    (a ``prior``-based cause right at ``prior_rate`` instead, when given)."""
    def point(s, where, rate, k):
        basis = calibration.PRIOR if prior_rate is not None and k % 2 else calibration.SHAPE
        rate = prior_rate if basis == calibration.PRIOR else rate
        return Point(float(s), where, basis, bool(rng.random() < rate), group, f"{group}:{k % 40}")
    pts = [point(s, "leading", s, k) for k, s in enumerate(rng.uniform(0.3, 1.0, 400))]
    pts += [point(s, "rival", 0.5, k) for k, s in enumerate(rng.uniform(0.2, 0.6, 200))]
    pts += [point(s, "side", 0.1, k) for k, s in enumerate(rng.uniform(0.2, 0.6, 200))]
    return pts


def test_fit_of_known_points_recovers_their_rates():
    fit = fit_calibration.fit_table(_synthetic(np.random.default_rng(0)))
    lead = dict(zip(fit["grid"], fit["table"][("leading", "shape")]))
    if not fit_calibration.DESIGN.get("split_agreed"):  # a design that does not split leads gives agreed = leading
        assert fit["table"][("agreed", "shape")] == fit["table"][("leading", "shape")]
    if fit_calibration.DESIGN.get("slope", True) is False:
        # a position-only design (no score slope) learns one rate per row: the points' mean rate; the
        # slope machinery is still checked on the same points with the slope switched on
        assert max(lead.values()) - min(lead.values()) < 1e-9 and 0.5 < lead[0.9] < 0.8
        sloped = fit_calibration.table_of(fit_calibration.fit_model(
            _synthetic(np.random.default_rng(0)), **{**fit_calibration.DESIGN, "slope": True}))
        lead = dict(zip(fit["grid"], sloped[("leading", "shape")]))
    assert lead[0.4] < lead[0.9] and abs(lead[0.9] - 0.9) < 0.1 and abs(lead[0.4] - 0.4) < 0.12
    assert all(abs(v - 0.5) < 0.1 for v in fit["table"][("rival", "shape")])
    assert all(v < 0.2 for v in fit["table"][("side", "shape")])


def test_basis_design_learns_what_a_guess_is_worth_and_group_weights_count():
    rng = np.random.default_rng(1)
    # guesses right 10% of the time: the basis design learns the offset, and the leading guess is
    # still lifted to the lower rows (never demoted)
    pts = _synthetic(rng, prior_rate=0.1)
    table = fit_calibration.table_of(fit_calibration.fit_model(pts, use_basis=True, balanced=False))
    assert np.all(np.array(table[("rival", "prior")]) < 0.25) and np.all(np.array(table[("rival", "shape")]) > 0.4)
    assert np.all(np.array(table[("leading", "prior")]) >= np.array(table[("rival", "shape")]))
    # a small group (real logs) with its own rates pulls a balanced fit, and barely a pooled one
    real = [Point(0.5, "rival", "shape", bool(k % 10 == 0), "real", f"real:{k}") for k in range(30)]
    pooled = fit_calibration.table_of(fit_calibration.fit_model(pts + real, use_basis=False, balanced=False))
    even = fit_calibration.table_of(fit_calibration.fit_model(pts + real, use_basis=False, balanced=True))
    assert even[("rival", "shape")][3] < pooled[("rival", "shape")][3] - 0.1


def test_cross_validation_keeps_folds_whole_and_scores_each_group():
    rng = np.random.default_rng(2)
    pts = _synthetic(rng) + _synthetic(rng, group="real")
    fold = cv_calibration.folds_of(pts, 5, rng)
    by_key = {}
    for p, f in zip(pts, fold):
        assert by_key.setdefault(p.fold, f) == f  # a repository / seed never straddles two folds
    cv = cv_calibration.cross_validate(pts, fit_calibration.DESIGN, 5, 2)
    assert set(cv) == {"real", "scenarios"}
    for ece, brier, n in cv.values():
        assert n == 800 and 0 <= ece < 0.1 and 0 < brier < 0.25  # a well-specified fit holds out of fold
    assert fit_calibration.DESIGN in cv_calibration.CANDIDATES.values()


def test_split_design_learns_that_agreeing_readings_are_right_more_often():
    rng = np.random.default_rng(4)
    pts = _synthetic(rng)
    pts += [Point(0.4, "alike", "prior", bool(rng.random() < 0.9), "scenarios", f"s:{k}", 0.45, "prior", "agreed") for k in range(200)]
    pts += [Point(0.45, "agreed", "prior", bool(rng.random() < 0.9), "scenarios", f"s:{k}") for k in range(200)]
    table = fit_calibration.table_of(fit_calibration.fit_model(pts, use_basis=False, balanced=False, split_alike=True, split_agreed=True))
    assert table[("alike", "shape")][2] > 0.8 and table[("rival", "shape")][2] < 0.6 and table[("agreed", "shape")][3] > 0.8


def test_calibration_keeps_the_lead_and_lists_causes_by_probability():
    # a run with several causes at three levels (lead, rivals, a side cause)
    run = load_path(ROOT / "tests" / "data" / "corpus" / "BraydenBoyson__Cat-Detector" / "detect_train7_results.csv")[0]
    rep = diagnose(run)
    assert len(rep.causes) >= 3
    top = rep.causes[0]
    assert top.score == max(c.score for c in rep.causes)  # the rules' strongest cause leads
    conf = [c.confidence for c in rep.causes]
    assert conf == sorted(conf, reverse=True)
    for c, where in zip(rep.causes, calibration.positions_of(rep.causes, 0.05)):
        want = calibration.cap(calibration.calibrate(c.score, where, c.basis), where, top.confidence)
        assert c.confidence == pytest.approx(want)
    assert rep.to_dict()["causes"][0]["score"] == pytest.approx(top.score)


def test_every_cause_says_what_it_rests_on():
    # no context, no learning-rate column: the inverted gap's explanations are guesses ...
    run = load_path(ROOT / "tests" / "data" / "corpus" / "GajdaMJ__AI-for-Chemistry-Project" / "metrics.csv")[0]
    rep = diagnose(run)
    assert {c.id: c.basis for c in rep.causes}["dropout"] == calibration.PRIOR
    # ... and the context settles one: the same reading becomes a measurement
    from trueloss_dash.run import RunContext

    rep2 = diagnose(run, context=RunContext(dropout=0.3, augmentation=False, penalty_in_loss=False, batchnorm=False))
    assert {c.id: c.basis for c in rep2.causes}["dropout"] == calibration.MEASURED
    # a finding that names its cause: overfitting rests on the curve's shape
    over = diagnose(load_path(ROOT / "tests" / "data" / "corpus" / "DinaKhezzane__bert-imdb-sentiment" / "training_log.csv")[0])
    assert over.causes[0].id == "overfitting" and over.causes[0].basis == calibration.SHAPE
    assert all(c.to_dict()["basis"] in calibration.BASES for c in rep.causes + over.causes)


def test_evaluation_prints_the_reliability_table(capsys):
    eval_diagnosis.main(["--split", "dev", "--groups", "real", "--reliability", "--no-failures"])
    out = capsys.readouterr().out
    assert "calibration error (ECE)" in out and "Reliability of cause confidences, real:dev" in out
    assert "mean confidence" in out and "fraction right" in out


def test_ece_bins_cover_every_confidence_once():
    # the evaluation's bins: [0, 0.2), [0.2, 0.3), ..., [0.9, 1.0] - a cause at exactly 0.2 is in the
    # second bin, one at 1.0 in the last; ECE weighs each bin by its share of the causes
    from eval_scoring import reliability

    rel = reliability([(0.19, False), (0.2, True), (0.25, False), (1.0, True)])
    assert [(lo, n) for lo, _, n, _, _ in rel.rows] == [(0.0, 1), (0.2, 2), (0.9, 1)]
    assert rel.ece == pytest.approx(0.25 * 0.19 + 0.5 * abs(0.225 - 0.5) + 0.25 * 0.0)


def test_optimism_discounts_only_the_real_causes():
    pts = _synthetic(np.random.default_rng(5)) + _synthetic(np.random.default_rng(6), group="real")
    plain = fit_calibration.fit_table(pts, 1.0)
    discounted = fit_calibration.fit_table(pts, 0.8)
    assert discounted["optimism"] == 0.8
    lead = ("leading", "shape")
    assert all(d < p for d, p in zip(discounted["table"][lead], plain["table"][lead]))
    only_scenarios = [p for p in pts if p.group == "scenarios"]
    assert fit_calibration.fit_table(only_scenarios, 0.8)["table"] == fit_calibration.fit_table(only_scenarios, 1.0)["table"]
    assert fit_calibration.optimism_factor(0.5) == 1.0  # never above 1: a worse engine is not discounted


def test_single_curve_offset_is_fitted_on_first_sight_outcomes():
    """The offset for runs without validation comes from the first-sight ledger (dev rows judged before
    any fix), not from today's dev, where such logs hold a handful of causes fixed since first sight."""
    outcomes = fit_calibration.first_sight_single_curve()
    assert len(outcomes) >= 20 and set(outcomes) <= {0.0, 1.0}
    rate = sum(outcomes) / len(outcomes)
    lead = calibration.calibrate(0.8, calibration.LEADING, single=True)
    # the leading cause of a one-curve log reads near what first sight measured (ridge-shrunk towards the row)
    assert rate < lead < calibration.calibrate(0.8, calibration.LEADING)
    assert lead < 0.35 and calibration.SINGLE_CURVE_OFFSET < 0
    # the offset follows the outcomes it is given: all right lifts, all wrong lowers
    pts = _synthetic(np.random.default_rng(7)) + _synthetic(np.random.default_rng(8), group="real")
    up = fit_calibration.fit_table(pts, 1.0, [1.0] * 20)["single_offset"]
    down = fit_calibration.fit_table(pts, 1.0, [0.0] * 20)["single_offset"]
    assert down < 0 < up


def test_first_sight_ledger_marks_logs_without_validation():
    """The ledger's single_curve column is today's reading of each dev file (calibration.single_curve)."""
    import csv

    from trueloss_dash.diagnose.view import RunView
    from trueloss_dash.ingest import load_path

    with fit_calibration.FIRST_SIGHT_CAUSES.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t")]
    marked = [r for r in rows if r["single_curve"] in ("0", "1")]
    assert len(marked) >= 0.8 * len(rows)
    for r in marked[::40]:  # a sample across rounds: the column says what the reader sees today
        runs = load_path(ROOT / "tests" / "data" / "corpus" / r["file"])
        assert int(calibration.single_curve(RunView.of(runs[0]))) == int(r["single_curve"]), r["file"]
