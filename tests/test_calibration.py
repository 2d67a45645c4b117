"""Cause-confidence calibration (trueloss_dash/diagnose/calibration.py): the shipped table is what
benchmarks/fit_calibration.py fits on the dev splits, it never changes which cause leads, and the
evaluation still prints its reliability tables."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import eval_diagnosis  # noqa: E402
import fit_calibration  # noqa: E402

from trueloss_dash.diagnose import calibration, diagnose  # noqa: E402
from trueloss_dash.ingest import load_path  # noqa: E402


@pytest.fixture(scope="module")
def dev_points():
    return fit_calibration.dev_points()


def test_shipped_table_is_the_fit_on_dev(dev_points):
    positions = {w for _, w, _ in dev_points}
    assert positions == set(calibration.POSITIONS)
    fit = fit_calibration.fit_table(dev_points)
    assert fit == fit_calibration.shipped(), "run: python benchmarks/fit_calibration.py --write"
    # the points are the dev splits' scored causes: as many as the evaluation counts on dev
    scores, _ = eval_diagnosis.score_all(eval_diagnosis.scenario_items(splits=("dev",)) + eval_diagnosis.real_items(splits=("dev",)))
    assert len(dev_points) == sum(s.reliability.n for s in scores.values())


def test_fit_reads_no_test_split(monkeypatch):
    asked = []
    monkeypatch.setattr(fit_calibration, "scenario_items", lambda splits: asked.append(splits) or [])
    monkeypatch.setattr(fit_calibration, "real_items", lambda splits: asked.append(splits) or [])
    assert fit_calibration.dev_points() == [] and asked == [("dev",), ("dev",)]


def test_rows_are_monotone_and_the_leading_row_is_on_top():
    table = {w: np.array(v) for w, v in calibration.CALIBRATION_TABLE.items()}
    assert list(calibration.RAW_GRID) == sorted(calibration.RAW_GRID)
    for row in table.values():
        assert np.all(np.diff(row) >= 0) and np.all((row > 0) & (row < 1))
    assert np.all(table["leading"] >= table["rival"]) and np.all(table["leading"] >= table["side"])


def test_fit_of_known_points_recovers_their_rates():
    rng = np.random.default_rng(0)
    pts = [(float(s), "leading", bool(rng.random() < s)) for s in rng.uniform(0.3, 1.0, 400)]
    pts += [(float(s), "rival", bool(rng.random() < 0.5)) for s in rng.uniform(0.2, 0.6, 200)]
    pts += [(float(s), "side", bool(rng.random() < 0.1)) for s in rng.uniform(0.2, 0.6, 200)]
    fit = fit_calibration.fit_table(pts)
    lead = dict(zip(fit["grid"], fit["table"]["leading"]))
    assert lead[0.4] < lead[0.9] and abs(lead[0.9] - 0.9) < 0.1 and abs(lead[0.4] - 0.4) < 0.12
    assert all(abs(v - 0.5) < 0.1 for v in fit["table"]["rival"]) and all(v < 0.2 for v in fit["table"]["side"])


def test_calibration_keeps_the_lead_and_lists_causes_by_probability():
    run = load_path(ROOT / "tests" / "data" / "corpus" / "GajdaMJ__AI-for-Chemistry-Project" / "metrics.csv")[0]
    rep = diagnose(run)
    assert len(rep.causes) >= 3
    top = rep.causes[0]
    assert top.score == max(c.score for c in rep.causes)  # the rules' strongest cause leads
    conf = [c.confidence for c in rep.causes]
    assert conf == sorted(conf, reverse=True)
    for c in rep.causes:
        where = calibration.position(c.score, c.findings, rep.causes[0].score, rep.causes[0].findings, 0.05)
        assert c.confidence == pytest.approx(calibration.calibrate(c.score, where))
    assert rep.to_dict()["causes"][0]["score"] == pytest.approx(top.score)


def test_evaluation_prints_the_reliability_table(capsys):
    eval_diagnosis.main(["--split", "dev", "--groups", "real", "--reliability", "--no-failures"])
    out = capsys.readouterr().out
    assert "calibration error (ECE)" in out and "Reliability of cause confidences, real:dev" in out
    assert "mean confidence" in out and "fraction right" in out
